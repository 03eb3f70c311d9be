#pragma once
// What `consume -G` needs from a consumer group member, whichever protocol it speaks: the
// classic one (group_member: JoinGroup/SyncGroup/Heartbeat, the assignment made by a member)
// or KIP-848's (consumer_group_member: ConsumerGroupHeartbeat, the assignment made by the
// broker).
//
// Both work the same way for the caller: join() returns this member's partitions; when the
// member learns that its partitions change, rebalance_needed() turns true, and the caller
// commits what it has written (commit()) and then calls join() again, which returns the new
// share. That order is what lets a member hand a partition over only after its offsets are
// committed.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "client/group/consumer_protocol.hpp"
#include "client/group_offsets.hpp"
#include "util/result.hpp"

namespace kpipe::client {

class group_membership {
 public:
  virtual ~group_membership() = default;

  // Joins the group, or (after rebalance_needed()) takes the new share; this member's
  // partitions.
  virtual boost::asio::awaitable<result<group::topic_partitions>> join() = 0;
  virtual bool rebalance_needed() const = 0;
  // Commits next-offsets-to-read under the member's current generation or epoch.
  virtual boost::asio::awaitable<status> commit(const offsets_by_topic& offsets) = 0;
  virtual boost::asio::awaitable<void> leave() = 0;

  // Whether the member is in the group (a join succeeded), so that there is something to commit.
  virtual bool joined() const = 0;
  // Whether a partition taken over from another member may still get a commit from it after
  // this join returned (classic: a commit refused during the rebalance is sent again after it),
  // so that its committed offset should be read a moment later.
  virtual bool late_commits_possible() const = 0;

  std::function<void(const std::string&)> on_debug;
};

}  // namespace kpipe::client
