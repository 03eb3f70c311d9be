#include "consume_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <iostream>
#include <limits>
#include <memory>

#include "client/cluster.hpp"
#include "client/consumer.hpp"
#include "client/consumer_group_member.hpp"
#include "event_loop.hpp"
#include "exit_codes.hpp"
#include "filter/record_filter.hpp"
#include "format/envelope.hpp"
#include "format/record_format.hpp"
#include "output.hpp"
#include "parse/duration.hpp"
#include "parse/escapes.hpp"
#include "parse/offset_spec.hpp"

namespace kpipe::cli {

namespace asio = boost::asio;

namespace {

constexpr std::size_t flush_bytes = 1 << 20;
// How long a group member interrupted by Ctrl-C may spend on its last commit and LeaveGroup.
constexpr std::chrono::milliseconds interrupt_deadline{2000};

// The command over client::consumer: options turned into the consumer's, its records formatted
// and written to stdout, and what reached stdout marked written, so that the consumer commits
// only that (--commit after-write).
class consume_run {
 public:
  consume_run(asio::io_context& io, const global_options& global, const consume_options& options)
      : io_(io),
        global_(global),
        options_(options),
        cluster_(io.get_executor(), global.broker_list, global.connection_options()),
        deadline_(io) {}

  asio::awaitable<int> run();
  void interrupt(const end_event_loop& end);

 private:
  // The consumer's options from the command's; a usage error names the flag or property.
  result<client::consumer_options> consumer_settings();
  status prepare_output();
  bool emit(const record::record_batch& batch, const record::record& r,
            const client::partition_records& part);
  bool flush();

  asio::io_context& io_;
  const global_options& global_;
  const consume_options& options_;
  // Declared before the consumer, which uses it: it goes after it.
  client::cluster cluster_;
  std::optional<client::consumer> consumer_;
  std::optional<record_format> format_;
  record_filter filter_;
  envelope_options envelope_;
  std::string delimiter_ = "\n";
  std::optional<std::string> key_delimiter_;
  bool line_buffered_ = false;
  std::string out_;
  std::uint64_t written_ = 0;
  bool stopping_ = false;
  bool final_commit_done_ = false;
  asio::steady_timer deadline_;
};

status consume_run::prepare_output() {
  if (options_.format) {
    auto compiled = record_format::compile(*options_.format);
    if (!compiled) return error{error_kind::usage, "-f: " + compiled.error().message};
    format_ = std::move(compiled).value();
  }
  if (options_.delimiter) {
    auto d = parse_escapes(*options_.delimiter);
    if (!d) return error{error_kind::usage, "-D: " + d.error().message};
    delimiter_ = *d;
  }
  if (options_.key_delimiter) {
    auto d = parse_escapes(*options_.key_delimiter);
    if (!d) return error{error_kind::usage, "-K: " + d.error().message};
    key_delimiter_ = *d;
  }
  auto key = parse_byte_encoding(options_.key_encoding);
  if (!key) return error{error_kind::usage, "--key-encoding: " + key.error().message};
  auto value = parse_byte_encoding(options_.value_encoding);
  if (!value) return error{error_kind::usage, "--value-encoding: " + value.error().message};
  envelope_.key_encoding = *key;
  envelope_.value_encoding = *value;
  line_buffered_ = options_.unbuffered || ::isatty(STDOUT_FILENO);
  for (const auto& g : options_.grep) {
    if (auto added = filter_.add(g); !added) return added.error();
  }
  return success{};
}

// Appends one record in the chosen layout; false when stdout is closed.
bool consume_run::emit(const record::record_batch& batch, const record::record& r,
                       const client::partition_records& part) {
  record_view view;
  view.topic = part.topic;
  view.partition = part.partition;
  view.offset = r.offset;
  view.timestamp = r.timestamp;
  view.timestamp_type = batch.timestamps();
  view.key = r.key;
  view.value = r.value;
  view.headers = r.headers;
  if (batch.partition_leader_epoch >= 0) view.leader_epoch = batch.partition_leader_epoch;
  if (options_.json) {
    append_envelope(out_, view, envelope_);
  } else if (format_) {
    format_->append(out_, view);
  } else {
    if (key_delimiter_) {
      if (r.key) out_.append(reinterpret_cast<const char*>(r.key->data()), r.key->size());
      out_ += *key_delimiter_;
    }
    if (r.value) out_.append(reinterpret_cast<const char*>(r.value->data()), r.value->size());
    out_ += delimiter_;
  }
  ++written_;
  if (line_buffered_ || out_.size() >= flush_bytes) return flush();
  return true;
}

bool consume_run::flush() {
  if (out_.empty()) return true;
  bool ok = write_stdout(out_);
  out_.clear();
  return ok;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

result<client::consumer_options> consume_run::consumer_settings() {
  client::consumer_options c;
  c.topics = options_.topics;
  c.partitions = options_.partitions;
  c.group = options_.group;
  c.group_protocol = options_.group_protocol;
  c.assignor = options_.assignor;
  c.instance_id = options_.instance_id;
  c.stop_at_end = options_.exit_at_end;
  c.fetch.read_committed = options_.isolation != "read-uncommitted";
  c.fetch.control_records = options_.print_control_records;
  c.fetch.check_crcs = options_.check_crcs;
  std::string offset_text = options_.offset.value_or(options_.group ? "end" : "beginning");
  auto spec = parse_offset_spec(offset_text, now_ms());
  if (!spec) return error{error_kind::usage, "-o: " + spec.error().message};
  c.start = spec.value();
  if (options_.commit.starts_with("interval:")) {
    auto d = parse_duration(options_.commit.substr(9));
    if (!d) return error{error_kind::usage, "--commit " + options_.commit + ": bad duration"};
    c.commit = client::commit_mode::interval;
    c.commit_interval = *d;
  } else if (options_.commit == "on-exit") {
    c.commit = client::commit_mode::on_exit;
  } else if (options_.commit == "none") {
    c.commit = client::commit_mode::none;
  } else {
    c.commit = client::commit_mode::after_write;
    c.commit_interval = std::chrono::milliseconds(200);
  }
  if (auto it = global_.properties.find("session.timeout.ms"); it != global_.properties.end()) {
    const std::string& text = it->second;
    std::int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || end != text.data() + text.size() || ms <= 0 ||
        ms > std::numeric_limits<std::int32_t>::max()) {
      return error{error_kind::usage,
                   "-X session.timeout.ms=" + text + ": want a positive number of milliseconds"};
    }
    c.session_timeout = std::chrono::milliseconds(ms);
  }
  return c;
}

// Ctrl-C (the first SIGINT or SIGTERM). A broker that stays silent can hold any stage of the run
// (connecting, ApiVersions, Metadata, ListOffsets, JoinGroup, Fetch) for its full timeout, so
// rather than making each of those cancellable this ends the event loop itself:
// - with nothing to commit (no group, or not joined yet) at once: the output formatted so far
//   is written here, and the sockets close with the loop;
// - a group member stops fetching now (which wakes the run if it waits for records), then
//   commits what it wrote and leaves on its own, but gets interrupt_deadline for that: a silent
//   coordinator must not keep it (the message then says that the commit may be missing).
void consume_run::interrupt(const end_event_loop& end) {
  stopping_ = true;
  if (!consumer_ || !consumer_->joined()) {
    flush();
    end(exit_interrupted);
    return;
  }
  consumer_->stop();
  deadline_.expires_after(interrupt_deadline);
  deadline_.async_wait([this, end](const boost::system::error_code& ec) {
    if (ec) return;  // the run ended first (this timer went with it)
    flush();
    if (!final_commit_done_) {
      std::cerr << "kpipe: consume: interrupted: could not commit group " << *options_.group
                << "'s offsets within " << interrupt_deadline.count()
                << " ms; records written since its last confirmed commit may be read again\n";
    }
    end(exit_interrupted);
  });
}

asio::awaitable<int> consume_run::run() {
  if (auto prepared = prepare_output(); !prepared) {
    std::cerr << "kpipe: consume: " << prepared.error().message << '\n';
    co_return exit_usage;
  }
  auto settings = consumer_settings();
  if (!settings) {
    std::cerr << "kpipe: consume: " << settings.error().message << '\n';
    co_return exit_usage;
  }
  if (options_.group && options_.group_protocol == "consumer" && settings->session_timeout) {
    // KIP-848: the broker sets the session timeout (group.consumer.session.timeout.ms).
    std::cerr << "kpipe: consume: " << global_.source_of("session.timeout.ms")
              << ": ignored with --group-protocol consumer (the broker's "
                 "group.consumer.session.timeout.ms applies)\n";
    settings->session_timeout.reset();
  }
  consumer_.emplace(io_.get_executor(), cluster_, std::move(settings).value());
  consumer_->on_warning = [](const std::string& w) {
    std::cerr << "kpipe: consume: " << w << '\n';
  };
  if (global_.verbosity > 0) {
    consumer_->on_debug = [](const std::string& m) {
      std::cerr << "kpipe: consume: " << m << '\n';
    };
  }
  if (auto started = co_await consumer_->start(); !started) {
    std::cerr << "kpipe: consume: " << started.error().message << '\n';
    cluster_.close();
    co_return exit_code_for(started.error());
  }

  int code = exit_ok;
  bool open = true;
  // Per partition of one answer: the offset after its last record handled (written or filtered
  // out), marked written once the answer's output reached stdout.
  std::vector<std::pair<const client::partition_records*, std::int64_t>> handled;
  while (open && !stopping_) {
    auto answer = co_await consumer_->next();
    if (!answer) {
      std::cerr << "kpipe: consume: " << answer.error().message << '\n';
      code = exit_code_for(answer.error());
      break;
    }
    if (!answer->has_value()) break;  // every range read, -e's end reached, or Ctrl-C
    const client::fetched& records = **answer;
    handled.clear();
    for (const auto& part : records.partitions) {
      std::int64_t next = -1;
      for (const auto& batch : part.batches) {
        for (const auto& r : batch.records) {
          if (options_.count && written_ >= *options_.count) break;
          // A filtered-out record counts as handled: its offset may be committed.
          if (!filter_.empty() && !filter_.matches(r)) {
            next = r.offset + 1;
            continue;
          }
          if (!emit(batch, r, part)) {
            open = false;  // stdout closed (`| head`): a normal end
            break;
          }
          next = r.offset + 1;
          // Written record by record: each one reached stdout already.
          if (line_buffered_) consumer_->mark_written(part.topic, part.partition, next);
        }
        if (!open || (options_.count && written_ >= *options_.count)) break;
      }
      if (next >= 0) handled.emplace_back(&part, next);
      if (!open) break;
    }
    if (open && !flush()) open = false;
    // Only what reached stdout counts as written (--commit after-write).
    if (open) {
      for (const auto& [part, next] : handled) {
        consumer_->mark_written(part->topic, part->partition, next);
      }
    }
    handled.clear();
    if (options_.count && written_ >= *options_.count) break;
  }
  if (open) flush();
  if (options_.group) {
    auto committed = co_await consumer_->commit();
    if (!committed) {
      std::cerr << "kpipe: consume: commit: " << committed.error().message << '\n';
      if (code == exit_ok) code = exit_failure;
    } else {
      final_commit_done_ = true;
    }
    co_await consumer_->leave();
  }
  cluster_.close();
  co_return stopping_ ? exit_interrupted : code;
}

}  // namespace

CLI::App* register_consume(CLI::App& app, consume_options& o) {
  auto* cmd = app.add_subcommand("consume", "Read records of one or more topics to stdout");
  cmd->add_option("-t,--topic", o.topics, "Topic to read (repeatable)")->type_name("TOPIC");
  cmd->add_option("topic", o.topics, "Topics (with -G, as in kcat -G GROUP TOPIC...)")
      ->type_name("TOPIC");
  cmd->add_option("-G,--group", o.group, "Consume as a member of this consumer group")
      ->type_name("GROUP");
  cmd->add_option_function<std::string>(
         "--group-protocol",
         [&o](const std::string& protocol) {
           o.group_protocol = protocol;
           o.group_protocol_given = true;
         },
         "classic (default) or consumer (KIP-848: the broker assigns; property group.protocol)")
      ->check(CLI::IsMember({"classic", "consumer"}))
      ->type_name("PROTOCOL");
  // Checked against the protocol in run_consume (the two protocols have different assignors).
  cmd->add_option("--assignor", o.assignor,
                  "classic: range (default), roundrobin, cooperative-sticky; consumer: uniform "
                  "(the broker's default) or range")
      ->type_name("NAME");
  cmd->add_option("--instance-id", o.instance_id, "Static group membership (KIP-345)")
      ->type_name("ID");
  cmd->add_option("--commit", o.commit,
                  "after-write (default: only what reached stdout), on-exit, interval:DURATION, "
                  "none")
      ->type_name("MODE");
  cmd->add_option("-p,--partition", o.partitions, "Only these partitions (N[,N...])")
      ->delimiter(',')
      ->type_name("N");
  cmd->add_option("-o,--offset", o.offset,
                  "beginning (default; with -G: end), end, stored, N, -N, +N, @TIME, s@MS, e@MS, "
                  "START:END ranges (TIME: ISO 8601, epoch ms, -1h, now)")
      ->type_name("SPEC");
  cmd->add_flag("-e,--exit", o.exit_at_end, "Stop at the end offsets taken at start");
  cmd->add_option("-c,--count", o.count, "Stop after N records in total")->type_name("N");
  cmd->add_option("-f,--format", o.format,
                  "Output layout: kcat's tokens %t %p %o %k %s %S %K %T %h, and %d %{h:NAME} "
                  "%{k:hex} %{s:base64} %{s:json}")
      ->type_name("FMT");
  cmd->add_flag("-J,--json", o.json, "One JSON envelope per record (produce -J reads it back)");
  cmd->add_option("-D,--delimiter", o.delimiter, "After each record (default \\n)")
      ->type_name("STR");
  cmd->add_option("-K,--key-delimiter", o.key_delimiter, "Print the key, STR, then the value")
      ->type_name("STR");
  cmd->add_option("--key-encoding", o.key_encoding, "For -J: text|hex|base64|json|auto")
      ->type_name("ENC");
  cmd->add_option("--value-encoding", o.value_encoding, "For -J: text|hex|base64|json|auto")
      ->type_name("ENC");
  cmd->add_option_function<std::string>(
         "--isolation",
         [&o](const std::string& mode) {
           o.isolation = mode;
           o.isolation_given = true;
         },
         "read-committed (default: aborted transactions skipped) or read-uncommitted "
         "(property isolation.level)")
      ->check(CLI::IsMember({"read-committed", "read-uncommitted"}))
      ->type_name("MODE");
  cmd->add_flag("--print-control-records", o.print_control_records, "Show transaction markers too");
  cmd->add_flag("-u,--unbuffered", o.unbuffered, "Write each record at once (default on a tty)");
  cmd->add_option("--grep", o.grep,
                  "Only records matching k:RE (key), v:RE (value) or h:NAME=RE (a header); "
                  "repeatable, ANDed")
      ->type_name("FILTER");
  cmd->footer(
      "Examples:\n"
      "  kpipe consume -t orders -e                 # everything there now, then exit\n"
      "  kpipe consume -t orders -o -10 -e -J       # the last 10 per partition as JSON\n"
      "  kpipe consume -t logs -f '%p:%o %k=%s\\n'\n"
      "  kpipe consume -G readers orders refunds    # a group member reading two topics\n"
      "  kpipe consume -G readers --group-protocol consumer --assignor range orders\n"
      "                                             # a KIP-848 group: the broker assigns\n"
      "  kpipe consume -t orders -e -J | kpipe produce -t orders-copy -J\n"
      "\n"
      "A closed stdout (| head) ends the run quietly with exit 0.");
  return cmd;
}

int run_consume(const global_options& global, const consume_options& given) {
  consume_options options = given;
  if (auto it = global.properties.find("isolation.level");
      it != global.properties.end() && !options.isolation_given) {
    if (it->second == "read_committed" || it->second == "read_uncommitted") {
      options.isolation = it->second == "read_committed" ? "read-committed" : "read-uncommitted";
    } else {
      std::cerr << "kpipe: consume: " << global.source_of("isolation.level")
                << ": read_committed or read_uncommitted, got '" << it->second << "'\n";
      return exit_usage;
    }
  }
  if (auto it = global.properties.find("check.crcs"); it != global.properties.end()) {
    if (it->second != "true" && it->second != "false") {
      std::cerr << "kpipe: consume: " << global.source_of("check.crcs") << ": true or false, got '"
                << it->second << "'\n";
      return exit_usage;
    }
    options.check_crcs = it->second == "true";
  }
  if (auto it = global.properties.find("group.protocol");
      it != global.properties.end() && !options.group_protocol_given) {
    if (it->second != "classic" && it->second != "consumer") {
      std::cerr << "kpipe: consume: " << global.source_of("group.protocol")
                << ": classic or consumer, got '" << it->second << "'\n";
      return exit_usage;
    }
    options.group_protocol = it->second;
  }
  if (options.group_protocol == "consumer") {
    if (auto it = global.properties.find("group.remote.assignor");
        it != global.properties.end() && !options.assignor) {
      options.assignor = it->second;
      if (!client::is_server_assignor(it->second)) {
        std::cerr << "kpipe: consume: " << global.source_of("group.remote.assignor")
                  << ": uniform or range (the broker's assignors), got '" << it->second << "'\n";
        return exit_usage;
      }
    }
    if (options.assignor && !client::is_server_assignor(*options.assignor)) {
      std::cerr << "kpipe: consume: --assignor " << *options.assignor
                << " does not go with --group-protocol consumer, whose broker-side assignors "
                   "are uniform and range (range, roundrobin and cooperative-sticky are for "
                   "--group-protocol classic)\n";
      return exit_usage;
    }
  } else if (options.assignor && *options.assignor != "range" &&
             *options.assignor != "roundrobin" && *options.assignor != "cooperative-sticky") {
    std::cerr << "kpipe: consume: --assignor " << *options.assignor
              << " does not go with --group-protocol classic, whose assignors are range, "
                 "roundrobin and cooperative-sticky (uniform and range are for "
                 "--group-protocol consumer)\n";
    return exit_usage;
  }
  if (options.topics.empty()) {
    std::cerr << "kpipe: consume: name a topic (-t TOPIC)\n";
    return exit_usage;
  }
  if (options.group && !options.partitions.empty()) {
    std::cerr << "kpipe: consume: -p does not go with -G (the group assigns partitions)\n";
    return exit_usage;
  }
  if (options.commit != "after-write" && options.commit != "on-exit" && options.commit != "none" &&
      !options.commit.starts_with("interval:")) {
    std::cerr << "kpipe: consume: --commit: after-write, on-exit, interval:DURATION or none\n";
    return exit_usage;
  }
  consume_run* current = nullptr;
  return run_event_loop(
      [&](asio::io_context& io) -> asio::awaitable<int> {
        auto run = std::make_unique<consume_run>(io, global, options);
        current = run.get();
        int code = co_await run->run();
        current = nullptr;
        co_return code;
      },
      [&](const end_event_loop& end) {
        // Ctrl-C: see consume_run::interrupt.
        if (current) current->interrupt(end);
      });
}

}  // namespace kpipe::cli
