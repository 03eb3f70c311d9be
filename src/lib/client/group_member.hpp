#pragma once
// A member of a consumer group, classic protocol: FindCoordinator, JoinGroup (with the
// MEMBER_ID_REQUIRED round of KIP-394), the leader's assignment (assignor.hpp), SyncGroup,
// Heartbeat in the background, OffsetCommit with the member's generation, LeaveGroup.
//
// A failed SyncGroup never strands the member: whatever the error (the reference cluster answers
// INVALID_REQUEST to a follower whose SyncGroup arrives after the leader's), it joins again.
// Rebalances are announced by the heartbeat through rebalance_needed(); the caller commits what
// it has written and calls join() again.

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
#include "client/group/assignor.hpp"
#include "client/group/consumer_protocol.hpp"
#include "client/group_membership.hpp"
#include "client/group_offsets.hpp"
#include "util/result.hpp"

namespace kpipe::client {

struct group_options {
  std::string group;
  std::vector<std::string> topics;
  std::string assignor = "range";
  std::optional<std::string> instance_id;  // static membership (KIP-345)
  std::chrono::milliseconds session_timeout{10'000};
  std::chrono::milliseconds rebalance_timeout{30'000};
  std::chrono::milliseconds heartbeat_interval{1'000};
};

class group_member : public group_membership {
 public:
  group_member(boost::asio::any_io_executor executor, cluster& cluster, group_options options);
  ~group_member() override;

  // Joins (or rejoins) the group; this member's partitions.
  boost::asio::awaitable<result<group::topic_partitions>> join() override;
  bool rebalance_needed() const override { return rebalance_needed_; }
  // Commits next-offsets-to-read of any number of topics under the current generation.
  boost::asio::awaitable<status> commit(const offsets_by_topic& offsets) override;
  // Leaves the group (a static member stays: its partitions wait for it until the session
  // times out, KIP-345).
  boost::asio::awaitable<void> leave() override;

  std::int32_t generation() const { return generation_; }
  const std::string& member_id() const { return member_id_; }
  // Whether this member was the group's only one at the last join.
  bool alone() const { return alone_; }
  bool joined() const override { return generation_ >= 0; }
  // After a rebalance, a partition from another member may still get that member's late commit
  // (see consumer.cpp), unless this member is alone in the group.
  bool late_commits_possible() const override { return generation_ > 1 && !alone_; }

 private:
  boost::asio::awaitable<result<std::shared_ptr<net::connection>>> coordinator();
  boost::asio::awaitable<void> heartbeat_loop(std::int32_t generation);
  boost::asio::awaitable<result<std::vector<protocol::byte_buffer>>> assign_as_leader(
      const std::vector<std::pair<std::string, std::optional<std::string>>>& ids,
      const std::vector<protocol::byte_buffer>& metadata, std::vector<std::string>& member_ids);
  void debug(const std::string& message);

  boost::asio::any_io_executor executor_;
  cluster& cluster_;
  group_options options_;
  std::unique_ptr<group::assignor> assignor_;
  std::optional<std::int32_t> coordinator_;
  std::string member_id_;
  std::int32_t generation_ = -1;
  group::topic_partitions owned_;
  bool rebalance_needed_ = false;
  bool alone_ = false;
  bool left_ = false;
  std::shared_ptr<bool> alive_;
};

}  // namespace kpipe::client
