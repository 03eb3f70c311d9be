#include "consume_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <iostream>
#include <memory>

#include "client/cluster.hpp"
#include "client/fetcher.hpp"
#include "client/group_member.hpp"
#include "client/group_offsets.hpp"
#include "client/list_offsets.hpp"
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

class consume_run {
 public:
  consume_run(asio::io_context& io, const global_options& global, const consume_options& options)
      : io_(io),
        global_(global),
        options_(options),
        cluster_(io.get_executor(), global.broker_list, global.connection_options()) {}

  asio::awaitable<int> run();
  void stop() { stopping_ = true; }

 private:
  asio::awaitable<result<std::vector<client::fetch_position>>> positions_for(
      const std::map<std::int32_t, std::int32_t>& leaders,
      const std::vector<std::int32_t>& partitions,
      const std::map<std::int32_t, client::committed_offset>& committed);
  asio::awaitable<status> commit_written(bool force);
  status prepare_output();
  bool emit(const record::record_batch& batch, const record::record& r, std::int32_t partition);
  bool flush();

  asio::io_context& io_;
  const global_options& global_;
  const consume_options& options_;
  client::cluster cluster_;
  std::optional<record_format> format_;
  record_filter filter_;
  envelope_options envelope_;
  std::string delimiter_ = "\n";
  std::optional<std::string> key_delimiter_;
  bool line_buffered_ = false;
  std::string out_;
  std::uint64_t written_ = 0;
  offset_spec spec_;
  bool group_mode_ = false;
  bool stopping_ = false;
  std::size_t assigned_ = 0;
  client::group_member* member_ = nullptr;
  // Per partition: the next offset after what reached stdout, and after what was committed.
  std::map<std::int32_t, std::int64_t> written_next_;
  std::map<std::int32_t, std::int64_t> committed_next_;
  std::chrono::milliseconds commit_interval_{200};
  std::chrono::steady_clock::time_point last_commit_{};
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
                       std::int32_t partition) {
  record_view view;
  view.topic = options_.topics[0];
  view.partition = partition;
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

// Where each partition starts (and stops): -o resolved with ListOffsets (earliest, latest, and a
// time lookup for @TIME points), a group's committed offsets first when there are any, and -e's
// end offsets taken now.
asio::awaitable<result<std::vector<client::fetch_position>>> consume_run::positions_for(
    const std::map<std::int32_t, std::int32_t>& leaders,
    const std::vector<std::int32_t>& partitions,
    const std::map<std::int32_t, client::committed_offset>& committed) {
  const std::string& topic = options_.topics[0];
  bool read_committed = options_.isolation != "read-uncommitted";
  auto query = [&](std::int64_t timestamp) {
    std::map<std::int32_t, std::int64_t> q;
    for (auto p : partitions) q[p] = timestamp;
    return q;
  };
  auto earliest = co_await client::list_offsets(cluster_, topic, leaders,
                                                query(client::earliest_timestamp), read_committed);
  if (!earliest) co_return earliest.error();
  auto latest = co_await client::list_offsets(cluster_, topic, leaders,
                                              query(client::latest_timestamp), read_committed);
  if (!latest) co_return latest.error();
  std::map<std::int32_t, client::offset_answer> start_times;
  std::map<std::int32_t, client::offset_answer> stop_times;
  if (spec_.start.what == offset_point::kind::time) {
    auto found = co_await client::list_offsets(cluster_, topic, leaders, query(spec_.start.value),
                                               read_committed);
    if (!found) co_return found.error();
    start_times = std::move(found).value();
  }
  if (spec_.stop && spec_.stop->what == offset_point::kind::time) {
    auto found = co_await client::list_offsets(cluster_, topic, leaders, query(spec_.stop->value),
                                               read_committed);
    if (!found) co_return found.error();
    stop_times = std::move(found).value();
  }
  std::vector<client::fetch_position> positions;
  for (auto p : partitions) {
    partition_bounds bounds;
    bounds.earliest = earliest->at(p).offset;
    bounds.latest = latest->at(p).offset;
    auto c = committed.find(p);
    bool has_committed = c != committed.end() && c->second.offset >= 0;
    if (has_committed) bounds.committed = c->second.offset;
    if (auto t = start_times.find(p); t != start_times.end() && t->second.offset >= 0) {
      bounds.start_time_offset = t->second.offset;
    }
    if (auto t = stop_times.find(p); t != stop_times.end() && t->second.offset >= 0) {
      bounds.stop_time_offset = t->second.offset;
    }
    client::fetch_position position;
    position.partition = p;
    if (group_mode_ && has_committed) {
      // A group goes on where it left off; -o only says where partitions without a commit start.
      position.offset = std::clamp(c->second.offset, bounds.earliest, bounds.latest);
      if (spec_.stop) {
        offset_spec stop_only{offset_point{}, spec_.stop};
        auto r = resolve(stop_only, bounds);
        if (!r) co_return r.error();
        position.stop = r->stop;
      }
    } else {
      if (spec_.start.what == offset_point::kind::stored && !group_mode_) {
        co_return error{error_kind::usage, std::string("-o stored needs a group (-G)")};
      }
      auto r = resolve(spec_, bounds);
      if (!r) co_return r.error();
      position.offset = r->start;
      position.stop = r->stop;
    }
    // -e: the end offsets taken now (the last stable offset under read_committed).
    if (options_.exit_at_end) {
      position.stop = position.stop ? std::min(*position.stop, bounds.latest) : bounds.latest;
    }
    positions.push_back(position);
  }
  co_return positions;
}

asio::awaitable<status> consume_run::commit_written(bool force) {
  if (!member_ || options_.commit == "none") co_return success{};
  if (!force && options_.commit != "after-write" && !options_.commit.starts_with("interval:")) {
    co_return success{};
  }
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_commit_ < commit_interval_) co_return success{};
  std::map<std::int32_t, std::int64_t> changed;
  for (const auto& [p, next] : written_next_) {
    auto it = committed_next_.find(p);
    if (it == committed_next_.end() || it->second != next) changed[p] = next;
  }
  last_commit_ = now;
  if (changed.empty()) co_return success{};
  auto done = co_await member_->commit(options_.topics[0], changed);
  if (done) {
    for (const auto& [p, next] : changed) committed_next_[p] = next;
  }
  co_return done;
}

asio::awaitable<int> consume_run::run() {
  if (auto prepared = prepare_output(); !prepared) {
    std::cerr << "kpipe: consume: " << prepared.error().message << '\n';
    co_return exit_usage;
  }
  if (options_.topics.size() != 1) {
    std::cerr << "kpipe: consume: one topic at a time for now\n";
    co_return exit_usage;
  }
  group_mode_ = options_.group.has_value();
  std::string offset_text = options_.offset.value_or(group_mode_ ? "end" : "beginning");
  auto spec = parse_offset_spec(offset_text, now_ms());
  if (!spec) {
    std::cerr << "kpipe: consume: -o: " << spec.error().message << '\n';
    co_return exit_usage;
  }
  spec_ = spec.value();
  if (options_.commit.starts_with("interval:")) {
    auto d = parse_duration(options_.commit.substr(9));
    if (!d) {
      std::cerr << "kpipe: consume: --commit " << options_.commit << ": bad duration\n";
      co_return exit_usage;
    }
    commit_interval_ = *d;
  } else if (options_.commit == "after-write") {
    commit_interval_ = std::chrono::milliseconds(200);
  }
  const std::string& topic = options_.topics[0];
  std::vector<std::string> topics(1, topic);
  auto metadata = co_await cluster_.fetch_metadata(topics);
  if (!metadata) {
    std::cerr << "kpipe: consume: " << metadata.error().message << '\n';
    co_return exit_code_for(metadata.error());
  }
  auto leaders = client::partition_leaders(metadata.value(), topic);
  if (!leaders) {
    std::cerr << "kpipe: consume: " << leaders.error().message << '\n';
    co_return exit_code_for(leaders.error());
  }
  for (auto p : options_.partitions) {
    if (!leaders->count(p)) {
      std::cerr << "kpipe: consume: partition " << p << " of " << topic
                << " does not exist (it has " << leaders->size() << ")\n";
      co_return exit_not_found;
    }
  }

  client::fetcher_options fetch_options;
  fetch_options.read_committed = options_.isolation != "read-uncommitted";
  fetch_options.control_records = options_.print_control_records;
  client::fetcher fetcher(io_.get_executor(), cluster_, topic, fetch_options);
  fetcher.on_warning = [](const std::string& w) { std::cerr << "kpipe: consume: " << w << '\n'; };

  std::optional<client::group_member> member;
  if (group_mode_) {
    client::group_options g;
    g.group = *options_.group;
    g.topics = options_.topics;
    g.assignor = options_.assignor;
    g.instance_id = options_.instance_id;
    if (auto it = global_.properties.find("session.timeout.ms"); it != global_.properties.end()) {
      g.session_timeout = std::chrono::milliseconds(std::stoll(it->second));
      g.heartbeat_interval = std::max(std::chrono::milliseconds(100), g.session_timeout / 4);
    }
    member.emplace(io_.get_executor(), cluster_, g);
    if (global_.verbosity > 0) {
      member->on_debug = [](const std::string& m) { std::cerr << "kpipe: consume: " << m << '\n'; };
    }
    member_ = &*member;
  }

  // (Re)assigns the fetcher: all or -p partitions, or the group's share.
  auto assign = [&]() -> asio::awaitable<status> {
    std::vector<std::int32_t> partitions = options_.partitions;
    std::map<std::int32_t, client::committed_offset> committed;
    if (member_) {
      auto joined = co_await member_->join();
      if (!joined) co_return joined.error();
      // What was written but not committed before the rebalance (the coordinator refuses
      // commits while the group rebalances) goes in now, under the new generation: any member of
      // it may commit any partition, so a partition moving elsewhere starts after our output.
      if (auto late = co_await commit_written(true); !late) {
        std::cerr << "kpipe: consume: commit: " << late.error().message << '\n';
      }
      partitions.clear();
      if (auto it = joined->find(topic); it != joined->end()) partitions = it->second;
      if (!partitions.empty()) {
        auto fetched =
            co_await client::fetch_committed(cluster_, *options_.group, topic, partitions);
        if (!fetched) co_return fetched.error();
        committed = std::move(fetched).value();
      }
      // A partition this member keeps continues right after what it wrote, whatever the
      // coordinator has (a commit may have been refused): nothing is printed twice.
      std::map<std::int32_t, std::int64_t> kept;
      for (auto p : partitions) {
        if (auto w = written_next_.find(p); w != written_next_.end()) {
          kept[p] = w->second;
          auto& c = committed[p];
          c.offset = std::max(c.offset, w->second);
        }
      }
      written_next_ = kept;
      std::map<std::int32_t, std::int64_t> kept_committed;
      for (auto p : partitions) {
        if (auto c = committed_next_.find(p); c != committed_next_.end()) {
          kept_committed[p] = c->second;
        }
      }
      committed_next_ = kept_committed;
    } else {
      if (partitions.empty()) {
        for (const auto& [p, leader] : leaders.value()) partitions.push_back(p);
      }
      written_next_.clear();
      committed_next_.clear();
    }
    auto positions = co_await positions_for(leaders.value(), partitions, committed);
    if (!positions) co_return positions.error();
    for (const auto& pos : positions.value()) {
      if (member_ && !committed_next_.count(pos.partition)) {
        committed_next_[pos.partition] = pos.offset;
      }
    }
    assigned_ = positions->size();
    fetcher.assign(std::move(positions).value());
    co_return success{};
  };
  if (auto assigned = co_await assign(); !assigned) {
    std::cerr << "kpipe: consume: " << assigned.error().message << '\n';
    cluster_.close();
    co_return exit_code_for(assigned.error());
  }

  int code = exit_ok;
  bool open = true;
  while (open && !stopping_) {
    if (member_ && member_->rebalance_needed()) {
      (void)co_await commit_written(true);
      if (auto assigned = co_await assign(); !assigned) {
        std::cerr << "kpipe: consume: " << assigned.error().message << '\n';
        code = exit_code_for(assigned.error());
        break;
      }
      continue;
    }
    if (options_.exit_at_end && (assigned_ == 0 || fetcher.done())) break;
    if (assigned_ == 0) {
      if (!member_) break;
      // A member without partitions waits for a rebalance (or Ctrl-C), heartbeating meanwhile.
      asio::steady_timer idle(io_, std::chrono::milliseconds(200));
      co_await idle.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    auto answer = co_await fetcher.next();
    if (!answer) {
      std::cerr << "kpipe: consume: " << answer.error().message << '\n';
      code = exit_code_for(answer.error());
      break;
    }
    std::map<std::int32_t, std::int64_t> appended;
    for (const auto& part : answer->partitions) {
      for (const auto& batch : part.batches) {
        for (const auto& r : batch.records) {
          if (options_.count && written_ >= *options_.count) break;
          // A filtered-out record counts as handled: its offset may be committed.
          if (!filter_.empty() && !filter_.matches(r)) {
            appended[part.partition] = r.offset + 1;
            continue;
          }
          if (!emit(batch, r, part.partition)) {
            open = false;  // stdout closed (`| head`): a normal end
            break;
          }
          appended[part.partition] = r.offset + 1;
          if (line_buffered_) written_next_[part.partition] = r.offset + 1;
        }
        if (!open || (options_.count && written_ >= *options_.count)) break;
      }
      if (!open) break;
    }
    if (open && !flush()) open = false;
    // Only what reached stdout counts as written (--commit after-write).
    if (open) {
      for (const auto& [p, next] : appended) written_next_[p] = next;
    }
    if (auto committed = co_await commit_written(false); !committed) {
      std::cerr << "kpipe: consume: commit: " << committed.error().message << '\n';
    }
    if (options_.count && written_ >= *options_.count) break;
    if (options_.exit_at_end && fetcher.done()) break;
  }
  if (open) flush();
  if (member_) {
    auto committed = co_await commit_written(true);
    // Refused because the group is rebalancing: join the new generation just to commit (again,
    // as long as members keep coming and going, a few times).
    for (int attempt = 0; attempt < 5 && !committed && member_->rebalance_needed(); ++attempt) {
      if (auto joined = co_await member_->join(); joined) committed = co_await commit_written(true);
    }
    if (!committed) {
      std::cerr << "kpipe: consume: commit: " << committed.error().message << '\n';
      if (code == exit_ok) code = exit_failure;
    }
    co_await member_->leave();
  }
  cluster_.close();
  co_return stopping_ ? exit_interrupted : code;
}

}  // namespace

CLI::App* register_consume(CLI::App& app, consume_options& o) {
  auto* cmd = app.add_subcommand("consume", "Read records of a topic to stdout");
  cmd->add_option("-t,--topic", o.topics, "Topic to read")->type_name("TOPIC");
  cmd->add_option("topic", o.topics, "Topic (with -G, as in kcat -G GROUP TOPIC)")
      ->type_name("TOPIC");
  cmd->add_option("-G,--group", o.group, "Consume as a member of this consumer group")
      ->type_name("GROUP");
  cmd->add_option("--assignor", o.assignor, "range (default), roundrobin, cooperative-sticky")
      ->type_name("NAME")
      ->check(CLI::IsMember({"range", "roundrobin", "cooperative-sticky"}));
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
  cmd->add_option("--isolation", o.isolation,
                  "read-committed (default: aborted transactions skipped) or read-uncommitted")
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
      "  kpipe consume -t orders -e -J | kpipe produce -t orders-copy -J\n"
      "\n"
      "A closed stdout (| head) ends the run quietly with exit 0.");
  return cmd;
}

int run_consume(const global_options& global, const consume_options& options) {
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
      [&] {
        // Ctrl-C: stop after the current answer; a group member commits what it wrote and
        // leaves.
        if (current) current->stop();
      });
}

}  // namespace kpipe::cli
