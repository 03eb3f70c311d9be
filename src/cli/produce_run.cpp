#include "produce_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "event_loop.hpp"
#include "exit_codes.hpp"
#include "input/delimited_reader.hpp"
#include "input/input_source.hpp"
#include "input/key_split.hpp"
#include "output.hpp"
#include "protocol/generated/error_table.hpp"
#include "record/record_batch.hpp"

namespace kpipe::cli {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t dry_run_flush_bytes = 1 << 20;
constexpr std::uint64_t max_delivery_errors_shown = 10;

record::bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_rate(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value >= 100 ? "%.0f" : "%.2f", value);
  return text;
}

}  // namespace

produce_run::produce_run(asio::io_context& io, const global_options& global,
                         const produce_settings& settings)
    : io_(io),
      global_(global),
      settings_(settings),
      cluster_(io.get_executor(), global.broker_list, global.connection_options()) {
  for (const auto& [name, value] : settings_.headers) {
    static_headers_.push_back(record::record_header{
        name, value ? std::optional<record::bytes_view>(as_bytes(*value)) : std::nullopt});
  }
}

int produce_run::execute(const global_options& global, const produce_settings& settings) {
  // The run lives in the main coroutine's frame, so that its sockets go before the event loop.
  produce_run* current = nullptr;
  return run_event_loop(
      [&](asio::io_context& io) -> asio::awaitable<int> {
        std::unique_ptr<produce_run> run(new produce_run(io, global, settings));
        current = run.get();
        int code = co_await run->run();
        current = nullptr;
        co_return code;
      },
      [&] {
        if (current) current->interrupt();
      });
}

void produce_run::interrupt() {
  // Ctrl-C: stop reading; what was read is still delivered (a transaction is aborted instead).
  stop_input_ = true;
  // A read waiting on an idle pipe would otherwise hold the run until the writer writes.
  if (reading_) reading_->cancel();
  if (producer_ && settings_.producer.transactional_id) {
    if (producer_->commit_decided()) {
      // Too late to abort: the input had ended and the commit is under way. Say so, and let the
      // exit status be the commit's.
      std::cerr << "kpipe: produce: interrupted while the transaction commits; it can no longer "
                   "be aborted\n";
      return;
    }
    producer_->abort("interrupted: the transaction is aborted");
  }
  interrupted_ = true;
  std::cerr << "kpipe: produce: interrupted; "
            << (settings_.producer.transactional_id ? "aborting the transaction"
                                                    : "delivering what was read")
            << " (Ctrl-C again to quit at once)\n";
}

// ---- the run ----------------------------------------------------------------------------------

asio::awaitable<int> produce_run::run() {
  started_ = std::chrono::steady_clock::now();
  if (settings_.tee) {
    auto compiled = record_format::compile(settings_.format.value_or("%t\t%p\t%o\t%s\n"));
    if (!compiled) {
      std::cerr << "kpipe: produce: -f: " << compiled.error().message << '\n';
      co_return exit_usage;
    }
    tee_format_ = std::move(compiled).value();
  }
  if (settings_.dry_run) {
    // Partitioning needs the partition count, nothing else from the cluster.
    std::vector<std::string> topics(1, settings_.topic);
    auto metadata = co_await cluster_.fetch_metadata(topics);
    if (!metadata) {
      std::cerr << "kpipe: produce: " << metadata.error().message << '\n';
      co_return exit_code_for(metadata.error());
    }
    for (const auto& t : metadata->topics) {
      if (t.name && *t.name == settings_.topic && t.error_code == protocol::errc::none) {
        dry_run_partitions_ = static_cast<std::int32_t>(t.partitions.size());
      }
    }
    if (dry_run_partitions_ == 0) {
      std::cerr << "kpipe: produce: topic " << settings_.topic << " does not exist\n";
      co_return exit_not_found;
    }
    dry_run_partitioner_.emplace(settings_.producer.partitioner);
    bool ok = co_await read_inputs();
    write_stdout(out_);
    cluster_.close();
    std::cerr << "kpipe: produce: dry run: " << (records_read_ - input_failures_)
              << " records would be sent, nothing was\n";
    co_return ok&& input_failures_ == 0 ? exit_ok : exit_failure;
  }

  producer_.emplace(io_.get_executor(), cluster_, settings_.topic, settings_.producer);
  producer_->on_delivery = [this](const client::delivery& d) { on_delivery(d); };
  producer_->on_warning = [](const std::string& w) {
    std::cerr << "kpipe: produce: " << w << '\n';
  };
  if (global_.verbosity > 0) {
    producer_->on_debug = [](const std::string& m) {
      std::cerr << "kpipe: produce: " << m << '\n';
    };
  }
  if (auto started = co_await producer_->start(); !started) {
    std::cerr << "kpipe: produce: " << started.error().message << '\n';
    cluster_.close();
    co_return exit_code_for(started.error());
  }
  bool input_ok = co_await read_inputs();
  auto finished = co_await producer_->finish(input_ok && !interrupted_);
  if (!out_.empty()) write_stdout(out_);
  cluster_.close();

  const auto& stats = producer_->stats();
  std::uint64_t not_delivered = stats.records_failed + input_failures_;
  // An aborted transaction takes back every record it held, acknowledged ones too.
  if (settings_.producer.transactional_id && !finished) not_delivered = records_read_;
  bool long_run = std::chrono::steady_clock::now() - started_ > std::chrono::seconds(2);
  if (settings_.stats || (long_run && ::isatty(STDERR_FILENO) && global_.verbosity >= 0)) {
    print_stats();
  }
  if (!finished && settings_.producer.transactional_id) {
    std::cerr << "kpipe: produce: " << finished.error().message << '\n';
  }
  if (interrupted_) co_return exit_interrupted;
  if (not_delivered > 0 || !finished || !input_ok) {
    std::cerr << "kpipe: produce: " << not_delivered << " of " << records_read_
              << " records not delivered"
              << (settings_.producer.transactional_id && !finished ? " (transaction aborted)" : "")
              << '\n';
    // Refused credentials end the run and are why the rest was not delivered.
    if (!finished && is_auth_failure(finished.error())) {
      if (!settings_.producer.transactional_id) {
        std::cerr << "kpipe: produce: " << finished.error().message << '\n';
      }
      co_return exit_auth;
    }
    co_return exit_failure;
  }
  if (settings_.producer.acks == 0 && global_.verbosity > 0) {
    std::cerr << "kpipe: produce: " << stats.records_delivered
              << " records written with --acks 0: the broker confirmed none\n";
  }
  co_return exit_ok;
}

// ---- input ------------------------------------------------------------------------------------

asio::awaitable<bool> produce_run::read_inputs() {
  if (settings_.files.empty()) {
    auto source = input_source::standard_input();
    co_return co_await read_delimited(source);
  }
  for (const auto& path : settings_.files) {
    if (stop_input_) break;
    if (!settings_.delimited_files) {
      // One file, one record (kcat's file arguments).
      inputs_.push_back({next_tag_, path});
      std::uint64_t tag = next_tag_++;
      auto whole = read_whole(path, settings_.producer.batch.max_batch_bytes);
      if (!whole) {
        ++records_read_;
        input_error(tag, whole.error().message);
        if (!settings_.skip_errors) co_return false;
        continue;
      }
      chunk_timestamp_ = wall_clock_ms();
      ++records_read_;
      auto st = offer(whole.value(), tag);
      while (st == step::wait) {
        co_await producer_->wait_for_space();
        st = offer(whole.value(), tag);
      }
      if (st == step::stop) co_return false;
      continue;
    }
    auto source = input_source::open(path);
    if (!source) {
      std::cerr << "kpipe: produce: " << source.error().message << '\n';
      first_input_error_ = source.error();
      co_return false;
    }
    if (!co_await read_delimited(source.value())) co_return false;
  }
  co_return true;
}

asio::awaitable<bool> produce_run::read_delimited(input_source& source) {
  const std::uint64_t base = next_tag_ - 1;
  inputs_.push_back({next_tag_, source.name()});
  delimited_reader reader(settings_.delimiter);
  // A record that cannot fit into a batch cannot be sent: refuse it while reading instead of
  // buffering an endless line.
  reader.set_max_record_bytes(settings_.producer.batch.max_batch_bytes);

  // Pipes and terminals are read asynchronously; regular files (and /dev/null, which epoll
  // refuses) with plain reads.
  bool async = !source.is_regular_file() && (source.is_pipe() || ::isatty(source.fd()));
  std::optional<asio::posix::stream_descriptor> stream;
  int saved_flags = -1;
  if (async) {
    saved_flags = ::fcntl(source.fd(), F_GETFL);
    stream.emplace(io_, source.fd());
    reading_ = &*stream;
  }
  auto restore = [&] {
    reading_ = nullptr;
    if (stream) {
      stream->release();  // the fd stays open: it belongs to input_source (or is stdin)
      if (saved_flags >= 0) ::fcntl(source.fd(), F_SETFL, saved_flags);
    }
  };

  auto handle = [&](std::string_view text) -> asio::awaitable<bool> {
    std::uint64_t tag = base + reader.record_number();
    ++records_read_;
    auto st = offer(text, tag);
    while (st == step::wait) {
      co_await producer_->wait_for_space();
      st = offer(text, tag);
    }
    if (settings_.rate) co_await pace();
    co_return st != step::stop;
  };

  bool ok = true;
  while (!stop_input_) {
    auto space = reader.prepare();
    std::size_t n = 0;
    if (stream) {
      auto [ec, m] =
          co_await stream->async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
      if (ec == asio::error::operation_aborted && stop_input_) break;  // interrupt() cancelled it
      if (ec && ec != asio::error::eof) {
        std::cerr << "kpipe: produce: " << source.name() << ": " << ec.message() << '\n';
        first_input_error_ = kpipe::error{error_kind::io, source.name() + ": " + ec.message()};
        ok = false;
        break;
      }
      n = ec ? 0 : m;
    } else {
      auto m = source.read_some(space);
      if (!m) {
        std::cerr << "kpipe: produce: " << m.error().message << '\n';
        first_input_error_ = m.error();
        ok = false;
        break;
      }
      n = m.value();
    }
    if (n == 0) break;
    reader.commit(n);
    chunk_timestamp_ = wall_clock_ms();
    // The hot loop: no coroutine call per record unless the producer is full or --rate paces.
    while (auto text = reader.next()) {
      ++records_read_;
      std::uint64_t tag = base + reader.record_number();
      auto st = offer(*text, tag);
      while (st == step::wait) {
        co_await producer_->wait_for_space();
        st = offer(*text, tag);
      }
      if (st == step::stop) {
        ok = false;
        break;
      }
      if (settings_.rate) co_await pace();
      if (stop_input_) break;
    }
    if (!ok) break;
    if (reader.error()) {
      ++records_read_;
      // The refused record is the one after the last returned.
      input_error(base + reader.record_number() + 1, reader.error()->message);
      if (!settings_.skip_errors) {
        ok = false;
        break;
      }
      reader.skip_record();
    }
    // Let deliveries and timers run between chunks of a file that is always ready.
    if (!stream) co_await asio::post(io_, asio::use_awaitable);
  }
  if (ok && !stop_input_) {
    while (auto text = reader.finish()) {
      if (!co_await handle(*text)) {
        ok = false;
        break;
      }
    }
    if (ok && reader.error()) {
      ++records_read_;
      // The refused record is the one after the last returned.
      input_error(base + reader.record_number() + 1, reader.error()->message);
      ok = settings_.skip_errors;
    }
  }
  next_tag_ = base + reader.record_number() + 1;
  restore();
  co_return ok;
}

// Turns one input record into a Kafka record and appends it: next, wait (the producer is full:
// wait_for_space, then offer the same record again) or stop.
produce_run::step produce_run::offer(std::string_view text, std::uint64_t tag) {
  client::outgoing_record r;
  r.tag = tag;
  r.timestamp = chunk_timestamp_;
  r.partition = settings_.partition;
  if (settings_.json) {
    if (auto parsed = parse_envelope(text, envelope_); !parsed) {
      input_error(tag, parsed.error().message);
      return settings_.skip_errors ? step::next : step::stop;
    }
    if (envelope_.key) r.key = as_bytes(*envelope_.key);
    if (envelope_.value) r.value = as_bytes(*envelope_.value);
    headers_.clear();
    for (const auto& [name, value] : envelope_.headers) {
      headers_.push_back(record::record_header{
          name, value ? std::optional<record::bytes_view>(as_bytes(*value)) : std::nullopt});
    }
    r.headers = headers_;
    if (envelope_.timestamp) r.timestamp = *envelope_.timestamp;
    if (!settings_.partition && envelope_.partition) r.partition = *envelope_.partition;
  } else {
    r.headers = static_headers_;
    if (settings_.key_delimiter) {
      auto kv = split_key(text, *settings_.key_delimiter);
      if (kv.key) r.key = as_bytes(*kv.key);
      r.value = as_bytes(kv.value);
    } else {
      r.value = as_bytes(text);
    }
    if (!r.key && settings_.key) r.key = as_bytes(*settings_.key);
    if (settings_.null_empty) {
      if (r.key && r.key->empty()) r.key.reset();
      if (r.value && r.value->empty()) r.value.reset();
    }
  }

  if (settings_.dry_run) {
    std::int32_t partition = r.partition
                                 ? *r.partition
                                 : dry_run_partitioner_->partition_for(r.key, dry_run_partitions_);
    if (partition < 0 || partition >= dry_run_partitions_) {
      input_error(tag, "partition " + std::to_string(partition) + " does not exist (topic " +
                           settings_.topic + " has " + std::to_string(dry_run_partitions_) +
                           " partitions)");
      return settings_.skip_errors ? step::next : step::stop;
    }
    record_view view;
    view.topic = settings_.topic;
    view.partition = partition;
    view.offset = -1;
    view.timestamp = r.timestamp;
    view.key = r.key;
    view.value = r.value;
    view.headers = r.headers;
    append_envelope(out_, view, envelope_options{});
    if (out_.size() >= dry_run_flush_bytes) {
      write_stdout(out_);
      out_.clear();
    }
    return step::next;
  }

  auto appended = producer_->append(r);
  if (!appended) {
    input_error(tag, appended.error().message);
    // Errors of the record itself (too large, no such partition) can be skipped; others end.
    bool about_record = appended.error().kind == error_kind::usage ||
                        appended.error().kind == error_kind::not_found;
    return settings_.skip_errors && about_record ? step::next : step::stop;
  }
  return *appended == client::append_result::appended ? step::next : step::wait;
}

asio::awaitable<void> produce_run::pace() {
  auto now = std::chrono::steady_clock::now();
  if (rate_sent_ == 0) rate_start_ = now;
  ++rate_sent_;
  auto due = rate_start_ +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(static_cast<double>(rate_sent_) / *settings_.rate));
  if (due > now) {
    asio::steady_timer timer(io_, due);
    co_await timer.async_wait(use_tuple);
  }
}

// ---- reporting ----------------------------------------------------------------------------------

// "line 12", "records.txt: line 3", "record 7" (-D other than a newline), "lines 4-90".
std::string produce_run::describe(std::uint64_t first, std::uint64_t last) const {
  auto input_of = [&](std::uint64_t tag) {
    const input_name* found = nullptr;
    for (const auto& i : inputs_) {
      if (i.first_tag <= tag) found = &i;
    }
    return found;
  };
  const input_name* input = input_of(first);
  if (!settings_.files.empty() && !settings_.delimited_files) {
    // Whole files as records: the files name them.
    std::string text = input ? input->name : "input";
    if (const input_name* to = input_of(last); to && to != input) text += " .. " + to->name;
    return text;
  }
  std::string prefix = input && !settings_.files.empty() ? input->name + ": " : "";
  std::uint64_t offset = input ? input->first_tag - 1 : 0;
  std::string unit = settings_.delimiter == "\n" ? "line" : "record";
  if (first == last) return prefix + unit + " " + std::to_string(first - offset);
  return prefix + unit + "s " + std::to_string(first - offset) + "-" +
         std::to_string(last - offset);
}

void produce_run::input_error(std::uint64_t tag, const std::string& message) {
  ++input_failures_;
  if (!first_input_error_) first_input_error_ = kpipe::error{error_kind::usage, message};
  std::cerr << "kpipe: produce: " << describe(tag, tag) << ": " << message
            << (settings_.skip_errors ? " (skipped)" : "") << '\n';
}

void produce_run::on_delivery(const client::delivery& d) {
  if (d.error) {
    if (delivery_errors_shown_++ < max_delivery_errors_shown) {
      std::cerr << "kpipe: produce: " << describe(d.first_tag, d.last_tag) << " (" << d.record_count
                << (d.record_count == 1 ? " record" : " records")
                << ") not delivered: " << d.error->message << '\n';
    } else if (delivery_errors_shown_ == max_delivery_errors_shown + 1) {
      std::cerr << "kpipe: produce: more batches failed; the count follows at the end\n";
    }
    return;
  }
  if (settings_.tee) write_tee(d);
}

void produce_run::write_tee(const client::delivery& d) {
  record::read_options options;
  auto batch = record::read_batch(d.batch, options);
  if (!batch) return;
  for (const auto& rec : batch->records) {
    record_view view;
    view.topic = settings_.topic;
    view.partition = d.partition;
    view.offset = d.base_offset >= 0 ? d.base_offset + rec.offset_delta : -1;
    view.timestamp = rec.timestamp;
    view.key = rec.key;
    view.value = rec.value;
    view.headers = rec.headers;
    if (settings_.json && !settings_.format) {
      append_envelope(out_, view, envelope_options{});
    } else {
      tee_format_->append(out_, view);
    }
  }
  // Written as each batch is acknowledged (one write a batch, not a record), so that a pipeline
  // follows the deliveries as they happen. A closed stdout ends the tee, not the delivery:
  // input stops, what was read goes out.
  if (!out_.empty()) {
    if (!write_stdout(out_)) stop_input_ = true;
    out_.clear();
  }
}

void produce_run::print_stats() const {
  const auto& s = producer_->stats();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (seconds <= 0) seconds = 1e-9;
  auto ms = [](std::chrono::microseconds us) {
    return format_rate(static_cast<double>(us.count()) / 1000.0);
  };
  std::cerr << "kpipe: produce: " << s.records_delivered << " records delivered ("
            << format_rate(static_cast<double>(s.bytes_delivered) / 1e6) << " MB in "
            << s.batches_delivered << " batches, " << s.requests << " requests) in "
            << format_rate(seconds)
            << " s: " << format_rate(static_cast<double>(s.records_delivered) / seconds)
            << " records/s, " << format_rate(static_cast<double>(s.bytes_delivered) / 1e6 / seconds)
            << " MB/s; latency p50 " << ms(s.latency.percentile(0.5)) << " ms, p99 "
            << ms(s.latency.percentile(0.99)) << " ms; retries " << s.retries << "; failed "
            << (s.records_failed + input_failures_) << '\n';
}

}  // namespace kpipe::cli
