#pragma once
// A member of a consumer group under KIP-848's protocol ("consumer"): one request,
// ConsumerGroupHeartbeat, does joining, heartbeating, receiving the assignment and leaving; the
// broker runs the assignor (ServerAssignor: uniform or range).
//
// - Join: member epoch 0 with the subscribed topics, the assignor and the rebalance timeout.
//   From ConsumerGroupHeartbeat v1 on, the member names itself (KIP-1082: a random UUID kept
//   for the member's life); v0's coordinator hands out the id in its first answer.
// - Heartbeats at the interval the coordinator gives, each carrying the current epoch and the
//   partitions the member owns. Every request is a full one (topics, assignor, timeout, owned
//   partitions), so every answer carries the member's whole current assignment: a lost answer
//   costs nothing.
// - Reconciliation: the assignment names topics by id (mapped to names through Metadata). When
//   it differs from what the member owns, rebalance_needed() turns true; the caller commits what
//   it has written (the partitions leaving are still owned, under the current epoch), then calls
//   join(), which takes the new assignment and acknowledges it at once with a heartbeat carrying
//   the new owned partitions. The coordinator gives a revoked partition to its next owner only
//   after that acknowledgement (KIP-848's "unreleased partitions"), so the next owner reads the
//   committed offsets after they were written.
// - FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID: the partitions are lost (never committed again)
//   and the member joins again with epoch 0. A coordinator that moved or loads is looked up
//   again. Authorization failures and errors that another attempt cannot fix end the member.
// - Commits: OffsetCommit (v9+, which Kafka requires of these members) with the member epoch in
//   the generation field, only for partitions the member owns.
// - Leave: epoch -1, or -2 for a static member (KIP-345: it keeps its partitions for the
//   session timeout, which is the broker's group.consumer.session.timeout.ms).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "client/group/consumer_protocol.hpp"
#include "client/group_membership.hpp"
#include "client/group_offsets.hpp"
#include "protocol/generated/consumer_group_describe.hpp"
#include "protocol/generated/consumer_group_heartbeat.hpp"
#include "util/result.hpp"

namespace kpipe::client {

struct consumer_group_options {
  std::string group;
  std::vector<std::string> topics;
  // The broker's assignor (one of its group.consumer.assignors); empty: the broker's default.
  std::string assignor;
  std::optional<std::string> instance_id;  // static membership (KIP-345)
  std::chrono::milliseconds rebalance_timeout{30'000};
};

// The server-side assignors Kafka ships (group.consumer.assignors).
bool is_server_assignor(const std::string& name);

// ---- The pure halves, public for the unit tests. ----

using topic_ids = std::map<std::string, protocol::uuid>;  // name -> id (Metadata v10+)

// What a member knows between heartbeats.
struct consumer_member_state {
  std::string member_id;
  std::int32_t epoch = 0;  // 0: (re)joining
  group::topic_partitions owned;
};

// A full ConsumerGroupHeartbeat request for the member's state (epoch 0: owned partitions are
// sent empty, as a join must). Owned topics without a known id are left out.
protocol::consumer_group_heartbeat::request build_heartbeat(const consumer_group_options& options,
                                                            const consumer_member_state& state,
                                                            const topic_ids& ids);

// The LeaveGroup-like heartbeat: epoch -1, or -2 for a static member.
protocol::consumer_group_heartbeat::request build_leave(const consumer_group_options& options,
                                                        const consumer_member_state& state);

// What to do after an answer.
enum class heartbeat_action {
  ok,                // state updated (epoch, interval, maybe an assignment)
  find_coordinator,  // NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS
  rejoin,            // FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID: partitions lost, epoch 0
  retry,             // a transient refusal (UNRELEASED_INSTANCE_ID, REQUEST_TIMED_OUT...)
  fail,              // the member ends with `failure`
};

struct heartbeat_outcome {
  heartbeat_action action = heartbeat_action::ok;
  std::optional<std::string> member_id;  // given by the coordinator (v0) or echoed
  std::int32_t epoch = 0;
  std::chrono::milliseconds interval{0};  // 0: the answer gave none that makes sense
  // The member's whole assignment by topic id, when the answer carries one.
  std::optional<std::map<protocol::uuid, std::vector<std::int32_t>>> assignment;
  std::optional<kpipe::error> failure;  // for fail, and the reason for the others
};

// Reads an answer; never trusts it: an assignment with a negative partition, or an ok answer
// with a negative epoch, is a protocol error.
heartbeat_outcome read_heartbeat(const protocol::consumer_group_heartbeat::response& response,
                                 const consumer_group_options& options);

// The error for a refusal, worded for the user (which protocol the group speaks, which
// assignors the broker has).
kpipe::error heartbeat_error(const consumer_group_options& options, std::int16_t code,
                             const std::optional<std::string>& broker_message);

// An assignment by topic id in names; ids that `names` does not know are listed in `unknown`.
struct named_assignment {
  group::topic_partitions partitions;  // sorted, without repeats, no empty topics
  std::vector<protocol::uuid> unknown;
};
named_assignment name_assignment(const std::map<protocol::uuid, std::vector<std::int32_t>>& by_id,
                                 const std::map<protocol::uuid, std::string>& names);

// The partitions of `owned` that `target` no longer has.
group::topic_partitions revoked_partitions(const group::topic_partitions& owned,
                                           const group::topic_partitions& target);

// Only the offsets of partitions in `owned`.
offsets_by_topic owned_offsets(const offsets_by_topic& offsets,
                               const group::topic_partitions& owned);

// A new member id: a random UUID in Kafka's 22-character URL-safe base64 (KIP-1082).
std::string random_member_id();

// ---- One protocol per group. ----
//
// Kafka 4 lets classic and KIP-848 members share a group: with its default
// group.consumer.migration.policy (bidirectional) a consumer member joining a classic group
// converts it, and classic members may join a consumer group (the broker assigns them too).
// That is a migration path, not a way to run a group, and a broker that cannot or may not
// convert the group refuses it (GROUP_ID_NOT_FOUND, INCONSISTENT_GROUP_PROTOCOL). kpipe does not
// mix them either: right after its first join a member asks ConsumerGroupDescribe, and ends with an
// error that names the protocol to use if the group holds members of the other one.

struct group_protocols {
  bool consumer_group = false;       // the broker describes it as a KIP-848 group
  std::size_t classic_members = 0;   // member_type 0 (ConsumerGroupDescribe v1, KIP-1099)
  std::size_t consumer_members = 0;  // member_type 1
};

// The group in a ConsumerGroupDescribe answer: nullopt when the broker says it is no consumer
// group (GROUP_ID_NOT_FOUND) or does not mention it; other errors are returned.
result<std::optional<group_protocols>> read_group_protocols(
    const protocol::consumer_group_describe::response& response, const std::string& group);

// The error for a member of `protocol` ("classic" or "consumer") in `found`, if they do not go
// together.
std::optional<kpipe::error> mixed_protocol_error(const std::string& group,
                                                 const std::string& protocol,
                                                 const std::optional<group_protocols>& found);

// Asks the group's coordinator (ConsumerGroupDescribe) and returns mixed_protocol_error's
// verdict; nothing when the broker cannot say (no ConsumerGroupDescribe, a refusal).
boost::asio::awaitable<std::optional<kpipe::error>> check_group_protocol(
    cluster& cluster, const std::string& group, const std::string& protocol);

// ---- The member. ----

class consumer_group_member : public group_membership {
 public:
  consumer_group_member(boost::asio::any_io_executor executor, cluster& cluster,
                        consumer_group_options options);
  ~consumer_group_member() override;

  boost::asio::awaitable<result<group::topic_partitions>> join() override;
  bool rebalance_needed() const override { return rebalance_needed_; }
  boost::asio::awaitable<status> commit(const offsets_by_topic& offsets) override;
  boost::asio::awaitable<void> leave() override;
  bool joined() const override { return joined_; }
  // The coordinator hands a revoked partition over only after its owner acknowledged the
  // revocation, which it does after committing: no commit can arrive late.
  bool late_commits_possible() const override { return false; }

  std::int32_t epoch() const { return state_.epoch; }
  const std::string& member_id() const { return state_.member_id; }

 private:
  boost::asio::awaitable<result<std::shared_ptr<net::connection>>> coordinator();
  boost::asio::awaitable<result<heartbeat_outcome>> heartbeat_once(bool joining);
  boost::asio::awaitable<status> take_assignment(const heartbeat_outcome& outcome);
  boost::asio::awaitable<status> refresh_topic_ids();
  boost::asio::awaitable<void> heartbeat_loop(std::uint64_t run);
  void wake();
  void debug(const std::string& message);

  boost::asio::any_io_executor executor_;
  cluster& cluster_;
  consumer_group_options options_;
  std::optional<std::int32_t> coordinator_;
  consumer_member_state state_;
  topic_ids ids_;
  std::map<protocol::uuid, std::string> names_;
  // The latest assignment the coordinator sent, in names; join() makes it the owned one.
  std::optional<group::topic_partitions> target_;
  std::chrono::milliseconds interval_{1000};
  std::optional<kpipe::error> failure_;  // the heartbeat loop's fatal error, for join()
  bool rebalance_needed_ = false;
  bool joined_ = false;
  bool left_ = false;
  bool heartbeat_now_ = false;  // wake(): the next heartbeat goes without waiting the interval

  std::uint64_t loop_run_ = 0;  // a new loop per join; an older one ends
  std::shared_ptr<boost::asio::steady_timer> wake_;
  std::shared_ptr<bool> alive_;
};

}  // namespace kpipe::client
