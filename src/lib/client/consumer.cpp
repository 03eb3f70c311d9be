#include "client/consumer.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "client/consumer_group_member.hpp"
#include "client/group_member.hpp"
#include "client/list_offsets.hpp"
#include "protocol/generated/error_table.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

namespace {

// How long a member waits after a rebalance before reading the committed offsets of partitions
// it takes over (see consumer::assign).
constexpr std::chrono::milliseconds late_commit_grace{500};
// How often a member without anything to fetch looks for a rebalance (or a stop).
constexpr std::chrono::milliseconds idle_poll{200};
// KIP-848: commits before a revocation is acknowledged are tried this often, this far apart.
constexpr int revocation_commit_tries = 3;
constexpr std::chrono::milliseconds revocation_commit_pause{100};
// Commits refused while the group rebalances, at the end: new generations joined to commit.
constexpr int final_commit_joins = 5;

}  // namespace

consumer::consumer(asio::any_io_executor executor, cluster& cluster, consumer_options options)
    : executor_(std::move(executor)), cluster_(cluster), options_(std::move(options)) {
  for (const auto& t : options_.topics) {
    if (std::find(topics_.begin(), topics_.end(), t) == topics_.end()) topics_.push_back(t);
  }
  rules_.spec = options_.start;
  rules_.group = options_.group.has_value();
  rules_.stop_at_end = options_.stop_at_end;
}

consumer::~consumer() = default;

bool consumer::joined() const { return member_ && member_->joined(); }

void consumer::warn(const std::string& message) {
  if (on_warning) on_warning(message);
}

asio::awaitable<void> consumer::pause(std::chrono::milliseconds how_long) {
  asio::steady_timer timer(executor_, how_long);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<status> consumer::start() {
  auto metadata = co_await cluster_.fetch_metadata(topics_);
  if (!metadata) co_return metadata.error();
  for (const auto& topic : topics_) {
    auto leaders = partition_leaders(metadata.value(), topic);
    if (!leaders) co_return leaders.error();
    for (auto p : options_.partitions) {
      if (!leaders->count(p)) {
        co_return error{error_kind::not_found, "partition " + std::to_string(p) + " of " + topic +
                                                   " does not exist (it has " +
                                                   std::to_string(leaders->size()) + ")"};
      }
    }
    auto& route = routes_[topic];
    route.leaders = std::move(leaders).value();
    route.id = topic_id_of(metadata.value(), topic);
  }

  fetcher_.emplace(executor_, cluster_, options_.fetch);
  fetcher_->on_warning = [this](const std::string& w) { warn(w); };

  if (options_.group && options_.group_protocol == "consumer") {
    // KIP-848: the broker assigns (ServerAssignor) and sets the session timeout
    // (group.consumer.session.timeout.ms); without an assignor the broker's default is used.
    consumer_group_options g;
    g.group = *options_.group;
    g.topics = topics_;
    g.assignor = options_.assignor.value_or("");
    g.instance_id = options_.instance_id;
    member_ = std::make_unique<consumer_group_member>(executor_, cluster_, g);
  } else if (options_.group) {
    group_options g;
    g.group = *options_.group;
    g.topics = topics_;
    g.assignor = options_.assignor.value_or("range");
    g.instance_id = options_.instance_id;
    if (options_.session_timeout) {
      g.session_timeout = *options_.session_timeout;
      g.heartbeat_interval = std::max(std::chrono::milliseconds(100), g.session_timeout / 4);
    }
    member_ = std::make_unique<group_member>(executor_, cluster_, g);
  }
  if (member_ && on_debug) member_->on_debug = on_debug;
  co_return co_await assign();
}

// Where each partition of a topic starts (and stops), with the group's committed offsets.
asio::awaitable<result<std::vector<fetch_position>>> consumer::positions_for(
    const std::string& topic, const std::vector<std::int32_t>& partitions,
    const std::map<std::int32_t, committed_offset>& committed) {
  auto route = routes_.find(topic);
  if (route == routes_.end()) {
    co_return error{error_kind::not_found, "topic " + topic + " has no metadata"};
  }
  auto answers = co_await query_topic_offsets(cluster_, topic, route->second.leaders, partitions,
                                              rules_.spec, options_.fetch.read_committed);
  if (!answers) co_return answers.error();
  co_return start_positions(topic, partitions, rules_, answers.value(), committed, route->second);
}

// (Re)assigns the fetcher: all (or the chosen) partitions of every topic, or the group's share.
asio::awaitable<status> consumer::assign() {
  std::vector<fetch_position> positions;
  if (!member_) {
    tracker_.clear();
    for (const auto& topic : topics_) {
      std::vector<std::int32_t> partitions = options_.partitions;
      if (partitions.empty()) {
        for (const auto& [p, leader] : routes_.at(topic).leaders) partitions.push_back(p);
      }
      std::map<std::int32_t, committed_offset> none;
      auto found = co_await positions_for(topic, partitions, none);
      if (!found) co_return found.error();
      for (auto& pos : found.value()) positions.push_back(std::move(pos));
    }
    assigned_ = positions.size();
    fetcher_->assign(std::move(positions));
    co_return success{};
  }

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
  // One protocol per group (see check_group_protocol): checked once, after the first join, so
  // that the member that came last is the one to go.
  if (!protocol_checked_) {
    protocol_checked_ = true;
    auto mixed = co_await check_group_protocol(cluster_, *options_.group, options_.group_protocol);
    if (mixed) {
      co_await member_->leave();
      co_return *mixed;
    }
  }
  // What was written but not committed before the rebalance (the coordinator refuses commits
  // while the group rebalances) goes in now, under the new generation: any member of it may
  // commit any partition, so a partition moving elsewhere starts after our output.
  if (auto late = co_await commit_written(true); !late) {
    warn("commit: " + late.error().message);
  }
  // Stopped while joining: the caller commits and leaves next, nothing more to fetch.
  if (stopping_) co_return success{};
  // Partitions that come from another member: its output may be ahead of the coordinator,
  // because a commit sent while the group rebalanced was refused (REBALANCE_IN_PROGRESS: Kafka
  // in CompletingRebalance, librdkafka's mock during the whole rebalance) and goes in just after
  // this same join, as ours did above. Reading the committed offsets at once would race that
  // late commit and print its records a second time: give it a moment first. (Not needed by a
  // member alone in the group, nor under KIP-848, whose coordinator hands a partition over only
  // after its owner acknowledged the revocation, which it does after committing.)
  if (member_->late_commits_possible() && tracker_.takes_over(joined.value())) {
    co_await pause(late_commit_grace);
    if (stopping_) co_return success{};
    // The group moved on meanwhile (another member joined or left): this assignment is stale,
    // and reading it would print what its next owner prints too. next() joins again first.
    if (member_->rebalance_needed()) co_return success{};
  }
  for (const auto& topic : topics_) {
    auto mine = joined->find(topic);
    if (mine == joined->end() || mine->second.empty()) continue;
    const auto& partitions = mine->second;
    auto fetched = co_await fetch_committed(cluster_, *options_.group, topic, partitions);
    if (!fetched) co_return fetched.error();
    auto committed = std::move(fetched).value();
    tracker_.raise_to_written(topic, partitions, committed);
    auto found = co_await positions_for(topic, partitions, committed);
    if (!found) co_return found.error();
    for (auto& pos : found.value()) positions.push_back(std::move(pos));
  }
  tracker_.reassign(positions);
  assigned_ = positions.size();
  fetcher_->assign(std::move(positions));
  co_return success{};
}

// Commits what was written since the last commit, every topic in one OffsetCommit: when forced
// (rebalances, the end) or when the commit mode says it is time.
asio::awaitable<status> consumer::commit_written(bool force) {
  if (!member_ || options_.commit == commit_mode::none) co_return success{};
  if (!force && options_.commit == commit_mode::on_exit) co_return success{};
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_commit_ < options_.commit_interval) co_return success{};
  last_commit_ = now;
  auto changes = tracker_.uncommitted();
  if (changes.empty()) co_return success{};
  auto done = co_await member_->commit(changes);
  if (!done) co_return done;
  tracker_.mark_committed(changes);
  co_return success{};
}

void consumer::mark_written(const std::string& topic, std::int32_t partition,
                            std::int64_t next_offset) {
  tracker_.mark_written(topic, partition, next_offset);
}

asio::awaitable<result<std::optional<fetched>>> consumer::next() {
  std::optional<fetched> nothing_more;
  if (!fetcher_) co_return error{error_kind::usage, std::string("consumer: next() before start()")};
  if (answer_handed_out_) {
    answer_handed_out_ = false;
    if (auto committed = co_await commit_written(false); !committed) {
      warn("commit: " + committed.error().message);
    }
    if (options_.stop_at_end && fetcher_->done()) co_return nothing_more;
  }
  while (!stopping_) {
    if (member_ && member_->rebalance_needed()) {
      // Commit before join(): a KIP-848 member acknowledges a revocation in join(), after which
      // the partition's next owner reads its committed offset, so a failed commit is tried
      // again a few times. (A classic member's commit is refused while the group rebalances; it
      // commits late, after the join.)
      int tries = options_.group_protocol == "consumer" ? revocation_commit_tries : 1;
      for (int attempt = 0; attempt < tries; ++attempt) {
        auto committed = co_await commit_written(true);
        if (committed || stopping_ || attempt + 1 == tries) break;
        co_await pause(revocation_commit_pause);
      }
      if (auto assigned = co_await assign(); !assigned) co_return assigned.error();
      continue;
    }
    if (options_.stop_at_end && (assigned_ == 0 || fetcher_->done())) break;
    // Every partition reached the stop of its range: done, as without -e. The fetcher would
    // answer at once with nothing, a loop that never lets signals in.
    if (!member_ && fetcher_->done()) break;
    if (assigned_ == 0 || fetcher_->done()) {
      if (!member_) break;
      // A member without partitions (or whose ranges are all read) waits for a rebalance (or a
      // stop), heartbeating meanwhile.
      co_await pause(idle_poll);
      continue;
    }
    auto answer = co_await fetcher_->next();
    if (!answer) co_return answer.error();
    answer_handed_out_ = true;
    co_return std::optional<fetched>(std::move(answer).value());
  }
  co_return nothing_more;
}

asio::awaitable<status> consumer::commit() {
  if (!member_) co_return success{};
  auto committed = co_await commit_written(true);
  // Refused because the group is rebalancing: join the new generation just to commit (again, as
  // long as members keep coming and going, a few times).
  for (int attempt = 0; attempt < final_commit_joins && !committed && member_->rebalance_needed();
       ++attempt) {
    if (auto joined = co_await member_->join(); joined) committed = co_await commit_written(true);
  }
  co_return committed;
}

asio::awaitable<void> consumer::leave() {
  if (member_) co_await member_->leave();
}

void consumer::stop() {
  stopping_ = true;
  if (fetcher_) fetcher_->cancel();
}

}  // namespace kpipe::client
