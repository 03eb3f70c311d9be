#pragma once
// The consumer: reads partitions of one or more topics, on its own (all or some partitions of
// each topic) or as a member of a consumer group (classic or KIP-848 protocol, through
// group_membership), and commits only what its caller says it wrote.
//
// Flow. start() reads the topics' metadata, resolves where each partition starts and stops
// (consumer_positions.hpp: the offset spec, a group's committed offsets, -e's end) and assigns
// the fetcher. next() hands over the fetcher's answers one at a time. The caller writes the
// records out and then calls mark_written(topic, partition, next offset) for what reached its
// output; the next next() commits that (commit_tracker.hpp) when the commit mode says so.
//
// Rebalances are handled inside next(): when the member's partitions change it commits what was
// written (the leaving partitions are still its own), joins again, commits late what a
// rebalancing coordinator refused, reads the committed offsets of the partitions it gets (after
// a grace period when another member's late commit may still come, classic protocol) and
// reassigns the fetcher. A partition is thus handed over only after what was written of it is
// committed, and a partition kept goes on right after what was written.
//
// Ending: stop() (Ctrl-C) cancels the fetcher so that a waiting next() returns; commit() then
// commits what was written (joining the new generation just for that while the group
// rebalances), and leave() leaves the group.
//
// Everything runs on the caller's executor, one thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "client/commit_tracker.hpp"
#include "client/consumer_positions.hpp"
#include "client/fetcher.hpp"
#include "client/group_membership.hpp"
#include "client/offset_range.hpp"
#include "util/result.hpp"

namespace kpipe::client {

// When a group member commits what was written.
enum class commit_mode {
  after_write,  // after each answer written, at most every commit_interval (200 ms)
  interval,     // at most every commit_interval
  on_exit,      // only at rebalances and at the end
  none,         // never
};

struct consumer_options {
  std::vector<std::string> topics;  // repeats are read once
  // Without a group: only these partitions of every topic (empty: all of them).
  std::vector<std::int32_t> partitions;
  std::optional<std::string> group;  // set: a member of this consumer group
  // "classic" (JoinGroup/SyncGroup, a member assigns) or "consumer" (KIP-848, the broker does).
  std::string group_protocol = "classic";
  // classic: range (default), roundrobin, cooperative-sticky; consumer: the broker's assignor
  // (unset: the broker's default).
  std::optional<std::string> assignor;
  std::optional<std::string> instance_id;  // static membership (KIP-345)
  // classic only (a KIP-848 broker sets it); the heartbeat goes at a quarter of it.
  std::optional<std::chrono::milliseconds> session_timeout;
  offset_spec start;         // where partitions start (a group's: those without a commit)
  bool stop_at_end = false;  // end at the end offsets taken when a partition is assigned
  commit_mode commit = commit_mode::after_write;
  std::chrono::milliseconds commit_interval{200};
  fetcher_options fetch;  // read_committed, control records, CRC checks
};

class consumer {
 public:
  consumer(boost::asio::any_io_executor executor, cluster& cluster, consumer_options options);
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Metadata of the topics (every partition asked for must exist: not_found), the group joined,
  // start positions resolved, the fetcher assigned.
  boost::asio::awaitable<status> start();

  // The next records; nullopt when there is nothing more to read: every partition reached its
  // stop (a range, -e), no partition assigned without a group, or stop(). Commits what was
  // written since the last call first, when the commit mode says it is time. Errors (fetching,
  // joining after a rebalance) end the consumer; commit failures here are warnings. Only after
  // start() succeeded.
  boost::asio::awaitable<result<std::optional<fetched>>> next();
  // Everything of the partition before `next_offset` reached the output (its records were
  // written, or skipped by the caller's filters): that much may be committed.
  void mark_written(const std::string& topic, std::int32_t partition, std::int64_t next_offset);

  // Commits everything marked written and not committed yet, whatever the commit mode but
  // none; while the group rebalances, joins the new generation just to commit (a few times).
  boost::asio::awaitable<status> commit();
  // Leaves the group (a static member stays, KIP-345). Nothing without a group.
  boost::asio::awaitable<void> leave();
  // Ctrl-C: fetching stops, a waiting next() returns at once and later calls return nullopt.
  void stop();

  // A group member that joined its group: commit() and leave() have something to do.
  bool joined() const;

  std::function<void(const std::string&)> on_warning;
  // Group membership steps: for `-v`.
  std::function<void(const std::string&)> on_debug;

 private:
  boost::asio::awaitable<status> assign();
  boost::asio::awaitable<result<std::vector<fetch_position>>> positions_for(
      const std::string& topic, const std::vector<std::int32_t>& partitions,
      const std::map<std::int32_t, committed_offset>& committed);
  boost::asio::awaitable<status> commit_written(bool force);
  boost::asio::awaitable<void> pause(std::chrono::milliseconds how_long);
  void warn(const std::string& message);

  boost::asio::any_io_executor executor_;
  cluster& cluster_;
  consumer_options options_;
  position_rules rules_;
  std::vector<std::string> topics_;  // as named, without repeats
  std::map<std::string, topic_route> routes_;
  std::optional<fetcher> fetcher_;
  // The group member, classic or KIP-848.
  std::unique_ptr<group_membership> member_;
  commit_tracker tracker_;
  std::size_t assigned_ = 0;
  bool protocol_checked_ = false;
  bool stopping_ = false;
  bool answer_handed_out_ = false;  // next() returned records the caller has been writing
  std::chrono::steady_clock::time_point last_commit_{};
};

}  // namespace kpipe::client
