#include "consume_command.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <iostream>
#include <limits>
#include <memory>

#include "client/cluster.hpp"
#include "client/consumer_group_member.hpp"
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
#include "protocol/generated/error_table.hpp"

namespace kpipe::cli {

namespace asio = boost::asio;

namespace {

constexpr std::size_t flush_bytes = 1 << 20;
// How long a member waits after a rebalance before reading the committed offsets of partitions
// it takes over (see consume_run::assign).
constexpr std::chrono::milliseconds late_commit_grace{500};
// How long a group member interrupted by Ctrl-C may spend on its last commit and LeaveGroup.
constexpr std::chrono::milliseconds interrupt_deadline{2000};

// Next offsets by topic, then partition.
using partition_offsets = std::map<std::int32_t, std::int64_t>;
using offsets_by_topic = std::map<std::string, partition_offsets>;

std::optional<std::int64_t> find_offset(const offsets_by_topic& offsets, const std::string& topic,
                                        std::int32_t partition) {
  auto t = offsets.find(topic);
  if (t == offsets.end()) return std::nullopt;
  auto p = t->second.find(partition);
  if (p == t->second.end()) return std::nullopt;
  return p->second;
}

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
  asio::awaitable<result<std::vector<client::fetch_position>>> positions_for(
      const std::string& topic, const std::vector<std::int32_t>& partitions,
      const std::map<std::int32_t, client::committed_offset>& committed);
  asio::awaitable<status> assign();
  asio::awaitable<status> commit_written(bool force);
  status prepare_output();
  bool emit(const record::record_batch& batch, const record::record& r,
            const client::partition_records& part);
  bool flush();

  asio::io_context& io_;
  const global_options& global_;
  const consume_options& options_;
  // Declared before the fetcher and the member, which use it: it goes after them.
  client::cluster cluster_;
  std::optional<client::fetcher> fetcher_;
  // The group member, classic or KIP-848 (--group-protocol).
  std::unique_ptr<client::group_membership> member_;
  std::vector<std::string> topics_;  // as named, without repeats
  std::map<std::string, std::map<std::int32_t, std::int32_t>> leaders_;  // topic -> p -> leader
  // Topic ids (Metadata v10+; all zeros before), for Fetch v13+ (KIP-516).
  std::map<std::string, protocol::uuid> topic_ids_;
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
  bool final_commit_done_ = false;
  bool protocol_checked_ = false;
  asio::steady_timer deadline_;
  std::size_t assigned_ = 0;
  // Per partition: the next offset after what reached stdout, and after what was committed.
  offsets_by_topic written_next_;
  offsets_by_topic committed_next_;
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

// Where each partition of a topic starts (and stops): -o resolved with ListOffsets (earliest,
// latest, and a time lookup for @TIME points), a group's committed offsets first when there are
// any, and -e's end offsets taken now.
asio::awaitable<result<std::vector<client::fetch_position>>> consume_run::positions_for(
    const std::string& topic, const std::vector<std::int32_t>& partitions,
    const std::map<std::int32_t, client::committed_offset>& committed) {
  auto found_leaders = leaders_.find(topic);
  if (found_leaders == leaders_.end()) {
    co_return error{error_kind::not_found, "topic " + topic + " has no metadata"};
  }
  const auto& leaders = found_leaders->second;
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
    auto e = earliest->find(p);
    auto l = latest->find(p);
    if (e == earliest->end() || l == latest->end()) {
      co_return error{error_kind::protocol, "ListOffsets for " + topic + " did not answer for " +
                                                "partition " + std::to_string(p)};
    }
    partition_bounds bounds;
    bounds.earliest = e->second.offset;
    bounds.latest = l->second.offset;
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
    position.topic = topic;
    position.partition = p;
    if (auto l = leaders.find(p); l != leaders.end()) position.leader = l->second;
    if (auto id = topic_ids_.find(topic); id != topic_ids_.end()) position.topic_id = id->second;
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

// Commits what reached stdout since the last commit, every topic in one OffsetCommit.
asio::awaitable<status> consume_run::commit_written(bool force) {
  if (!member_ || options_.commit == "none") co_return success{};
  if (!force && options_.commit != "after-write" && !options_.commit.starts_with("interval:")) {
    co_return success{};
  }
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_commit_ < commit_interval_) co_return success{};
  last_commit_ = now;
  offsets_by_topic changes;
  for (const auto& [topic, written] : written_next_) {
    for (const auto& [p, next] : written) {
      if (find_offset(committed_next_, topic, p) != next) changes[topic][p] = next;
    }
  }
  if (changes.empty()) co_return success{};
  auto done = co_await member_->commit(changes);
  if (!done) co_return done;
  for (const auto& [topic, changed] : changes) {
    auto& committed = committed_next_[topic];
    for (const auto& [p, next] : changed) committed[p] = next;
  }
  co_return success{};
}

// (Re)assigns the fetcher: all or -p partitions of every topic, or the group's share.
asio::awaitable<status> consume_run::assign() {
  std::vector<client::fetch_position> positions;
  if (member_) {
    auto joined = co_await member_->join();
    if (!joined) {
      auto failed = joined.error();
      // A broker that does not mix protocols (group.consumer.migration.policy) refuses a classic
      // member of a KIP-848 group with one of these.
      auto says = [&](std::int16_t code) {
        return failed.message.find(protocol::error_name(code)) != std::string::npos;
      };
      if (options_.group_protocol == "classic" &&
          (says(protocol::errc::inconsistent_group_protocol) ||
           says(protocol::errc::group_id_not_found))) {
        failed.message += " (group " + *options_.group +
                          " may be a KIP-848 consumer group: try --group-protocol consumer)";
      }
      co_return failed;
    }
    // One protocol per group (see client::check_group_protocol): checked once, after the first
    // join, so that the member that came last is the one to go.
    if (!protocol_checked_) {
      protocol_checked_ = true;
      auto mixed =
          co_await client::check_group_protocol(cluster_, *options_.group, options_.group_protocol);
      if (mixed) {
        co_await member_->leave();
        co_return *mixed;
      }
    }
    // What was written but not committed before the rebalance (the coordinator refuses
    // commits while the group rebalances) goes in now, under the new generation: any member of
    // it may commit any partition, so a partition moving elsewhere starts after our output.
    if (auto late = co_await commit_written(true); !late) {
      std::cerr << "kpipe: consume: commit: " << late.error().message << '\n';
    }
    // Ctrl-C while joining: the run commits and leaves next, nothing more to fetch.
    if (stopping_) co_return success{};
    // Partitions that come from another member: its output may be ahead of the coordinator,
    // because a commit sent while the group rebalanced was refused (REBALANCE_IN_PROGRESS:
    // Kafka in CompletingRebalance, librdkafka's mock during the whole rebalance) and goes in
    // just after this same join, as ours did above. Reading the committed offsets at once would
    // race that late commit and print its records a second time: give it a moment first.
    // (Not needed by a member alone in the group: nobody else's commit can be on its way.)
    bool taken_over = false;
    if (member_->late_commits_possible()) {
      for (const auto& [topic, partitions] : joined.value()) {
        for (auto p : partitions) taken_over = taken_over || !find_offset(written_next_, topic, p);
      }
    }
    if (taken_over) {
      asio::steady_timer grace(io_, late_commit_grace);
      co_await grace.async_wait(asio::as_tuple(asio::use_awaitable));
      if (stopping_) co_return success{};
    }
    offsets_by_topic kept;
    offsets_by_topic kept_committed;
    for (const auto& topic : topics_) {
      auto mine = joined->find(topic);
      if (mine == joined->end() || mine->second.empty()) continue;
      const auto& partitions = mine->second;
      auto fetched = co_await client::fetch_committed(cluster_, *options_.group, topic, partitions);
      if (!fetched) co_return fetched.error();
      auto committed = std::move(fetched).value();
      // A partition this member keeps continues right after what it wrote, whatever the
      // coordinator has (a commit may have been refused): nothing is printed twice.
      for (auto p : partitions) {
        if (auto w = find_offset(written_next_, topic, p)) {
          kept[topic][p] = *w;
          auto& c = committed[p];
          c.offset = std::max(c.offset, *w);
        }
        if (auto c = find_offset(committed_next_, topic, p)) kept_committed[topic][p] = *c;
      }
      auto found = co_await positions_for(topic, partitions, committed);
      if (!found) co_return found.error();
      for (auto& pos : found.value()) positions.push_back(std::move(pos));
    }
    written_next_ = std::move(kept);
    committed_next_ = std::move(kept_committed);
    for (const auto& pos : positions) {
      auto& committed = committed_next_[pos.topic];
      if (!committed.count(pos.partition)) committed[pos.partition] = pos.offset;
    }
  } else {
    written_next_.clear();
    committed_next_.clear();
    for (const auto& topic : topics_) {
      std::vector<std::int32_t> partitions = options_.partitions;
      if (partitions.empty()) {
        for (const auto& [p, leader] : leaders_.at(topic)) partitions.push_back(p);
      }
      std::map<std::int32_t, client::committed_offset> none;
      auto found = co_await positions_for(topic, partitions, none);
      if (!found) co_return found.error();
      for (auto& pos : found.value()) positions.push_back(std::move(pos));
    }
  }
  assigned_ = positions.size();
  fetcher_->assign(std::move(positions));
  co_return success{};
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
  if (!member_ || !member_->joined()) {
    flush();
    end(exit_interrupted);
    return;
  }
  if (fetcher_) fetcher_->cancel();
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
  for (const auto& t : options_.topics) {
    if (std::find(topics_.begin(), topics_.end(), t) == topics_.end()) topics_.push_back(t);
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
  std::optional<std::chrono::milliseconds> session_timeout;
  if (auto it = global_.properties.find("session.timeout.ms"); it != global_.properties.end()) {
    const std::string& text = it->second;
    std::int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || end != text.data() + text.size() || ms <= 0 ||
        ms > std::numeric_limits<std::int32_t>::max()) {
      std::cerr << "kpipe: consume: -X session.timeout.ms=" << text
                << ": want a positive number of milliseconds\n";
      co_return exit_usage;
    }
    session_timeout = std::chrono::milliseconds(ms);
  }
  auto metadata = co_await cluster_.fetch_metadata(topics_);
  if (!metadata) {
    std::cerr << "kpipe: consume: " << metadata.error().message << '\n';
    co_return exit_code_for(metadata.error());
  }
  for (const auto& topic : topics_) {
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
    leaders_[topic] = std::move(leaders).value();
    topic_ids_[topic] = client::topic_id_of(metadata.value(), topic);
  }

  client::fetcher_options fetch_options;
  fetch_options.read_committed = options_.isolation != "read-uncommitted";
  fetch_options.control_records = options_.print_control_records;
  fetch_options.check_crcs = options_.check_crcs;
  fetcher_.emplace(io_.get_executor(), cluster_, fetch_options);
  fetcher_->on_warning = [](const std::string& w) { std::cerr << "kpipe: consume: " << w << '\n'; };

  if (group_mode_ && options_.group_protocol == "consumer") {
    // KIP-848: the broker assigns (ServerAssignor) and sets the session timeout
    // (group.consumer.session.timeout.ms); without --assignor the broker's default is used.
    if (session_timeout) {
      std::cerr << "kpipe: consume: " << global_.source_of("session.timeout.ms")
                << ": ignored with --group-protocol consumer (the broker's "
                   "group.consumer.session.timeout.ms applies)\n";
    }
    client::consumer_group_options g;
    g.group = *options_.group;
    g.topics = topics_;
    g.assignor = options_.assignor.value_or("");
    g.instance_id = options_.instance_id;
    member_ = std::make_unique<client::consumer_group_member>(io_.get_executor(), cluster_, g);
  } else if (group_mode_) {
    client::group_options g;
    g.group = *options_.group;
    g.topics = topics_;
    g.assignor = options_.assignor.value_or("range");
    g.instance_id = options_.instance_id;
    if (session_timeout) {
      g.session_timeout = *session_timeout;
      g.heartbeat_interval = std::max(std::chrono::milliseconds(100), g.session_timeout / 4);
    }
    member_ = std::make_unique<client::group_member>(io_.get_executor(), cluster_, g);
  }
  if (member_) {
    if (global_.verbosity > 0) {
      member_->on_debug = [](const std::string& m) {
        std::cerr << "kpipe: consume: " << m << '\n';
      };
    }
  }

  if (auto assigned = co_await assign(); !assigned) {
    std::cerr << "kpipe: consume: " << assigned.error().message << '\n';
    cluster_.close();
    co_return exit_code_for(assigned.error());
  }

  int code = exit_ok;
  bool open = true;
  // Per partition of one answer: the offset after its last record handled (written or filtered
  // out), recorded as written once the answer's output reached stdout.
  std::vector<std::pair<const client::partition_records*, std::int64_t>> handled;
  while (open && !stopping_) {
    if (member_ && member_->rebalance_needed()) {
      // Commit before join(): a KIP-848 member acknowledges a revocation in join(), after which
      // the partition's next owner reads its committed offset, so a failed commit is tried again
      // a few times. (A classic member's commit is refused while the group rebalances; it
      // commits late, after the join.)
      int tries = options_.group_protocol == "consumer" ? 3 : 1;
      for (int attempt = 0; attempt < tries; ++attempt) {
        auto committed = co_await commit_written(true);
        if (committed || stopping_ || attempt + 1 == tries) break;
        asio::steady_timer pause(io_, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      if (auto assigned = co_await assign(); !assigned) {
        std::cerr << "kpipe: consume: " << assigned.error().message << '\n';
        code = exit_code_for(assigned.error());
        break;
      }
      continue;
    }
    if (options_.exit_at_end && (assigned_ == 0 || fetcher_->done())) break;
    // Every partition reached the stop of its range (-o A:B, e@...): done, as without -e. The
    // fetcher would answer at once with nothing, a loop that never lets signals in.
    if (!member_ && fetcher_->done()) break;
    if (assigned_ == 0 || fetcher_->done()) {
      if (!member_) break;
      // A member without partitions (or whose ranges are all read) waits for a rebalance (or
      // Ctrl-C), heartbeating meanwhile.
      asio::steady_timer idle(io_, std::chrono::milliseconds(200));
      co_await idle.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    auto answer = co_await fetcher_->next();
    if (!answer) {
      std::cerr << "kpipe: consume: " << answer.error().message << '\n';
      code = exit_code_for(answer.error());
      break;
    }
    handled.clear();
    for (const auto& part : answer->partitions) {
      std::int64_t next = -1;
      std::int64_t* written_slot = nullptr;  // found once per partition, not per record
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
          if (line_buffered_) {
            if (!written_slot) written_slot = &written_next_[part.topic][part.partition];
            *written_slot = next;
          }
        }
        if (!open || (options_.count && written_ >= *options_.count)) break;
      }
      if (next >= 0) handled.emplace_back(&part, next);
      if (!open) break;
    }
    if (open && !flush()) open = false;
    // Only what reached stdout counts as written (--commit after-write).
    if (open) {
      for (const auto& [part, next] : handled) written_next_[part->topic][part->partition] = next;
    }
    handled.clear();
    if (auto committed = co_await commit_written(false); !committed) {
      std::cerr << "kpipe: consume: commit: " << committed.error().message << '\n';
    }
    if (options_.count && written_ >= *options_.count) break;
    if (options_.exit_at_end && fetcher_->done()) break;
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
    } else {
      final_commit_done_ = true;
    }
    co_await member_->leave();
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
