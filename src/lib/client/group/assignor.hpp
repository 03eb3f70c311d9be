#pragma once
// Client-side partition assignors of the classic group protocol: the group leader runs one over
// every member's subscription and sends each member its assignment through SyncGroup.
//
// - "range" (Java's RangeAssignor): per topic, the subscribed members in order take contiguous
//   ranges of partitions; the first (count % members) members take one more.
// - "roundrobin" (Java's RoundRobinAssignor): every partition of every subscribed topic, sorted
//   by topic then partition, dealt in turn to the members in order, skipping a member that is
//   not subscribed to the partition's topic.
// - "cooperative-sticky" (the behaviour of Java's CooperativeStickyAssignor, KIP-54/KIP-429,
//   not its algorithm, so the exact partitions chosen can differ from Java's):
//   * balanced: no member holds a partition that a member with two fewer could take, even
//     through a chain of members; members with the same subscription are within one;
//   * sticky: each member keeps what it owns (subscription.owned_partitions) as far as balance
//     allows. A claim counts if the member still subscribes to the topic and the partition
//     exists; of members claiming the same partition the highest generation wins (generation_id,
//     or for subscriptions before v2 the int32 in the assignor's user data), a tie voids it;
//   * cooperative: a partition is not given to a new owner while another member claims it;
//     that member revokes it in this rebalance and the follow-up rebalance hands it over.
//   Same subscriptions take O(partitions log members); otherwise each partition that has to
//   move costs a search over members and topics.
//
// "In order" is Java's member order (AbstractPartitionAssignor.MemberInfo): members with a
// group instance id first, by instance id (KIP-345: static members keep their place across
// restarts, while their member id changes), then the others by member id; strings compare as
// Java compares them (UTF-16 code units).
//
// Topics that are absent from the partition counts, or have no partitions, are skipped (the
// Java client leaves out topics without metadata). Every member gets an entry in the result,
// possibly empty. No I/O; the result depends only on the input, not on its order.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/group/consumer_protocol.hpp"
#include "protocol/types.hpp"
#include "util/result.hpp"

namespace kpipe::client::group {

struct member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  group::subscription subscription;
};

// Topic -> number of partitions (from metadata).
using partition_counts = std::map<std::string, std::int32_t>;
// Member id -> what it gets.
using group_assignment = std::map<std::string, assignment>;

class assignor {
 public:
  virtual ~assignor() = default;

  // The protocol name sent in JoinGroup: "range", "roundrobin", "cooperative-sticky".
  virtual std::string_view name() const = 0;
  // Whether members may keep consuming what they own across a rebalance (KIP-429 COOPERATIVE)
  // rather than revoking everything before joining (EAGER).
  virtual bool cooperative() const { return false; }
  // The user data a member puts in its subscription. The cooperative-sticky assignor writes its
  // generation (an int32), which a leader reads when an older member sends a subscription
  // version without generation_id (before v2).
  virtual std::optional<protocol::byte_buffer> subscription_user_data(
      std::int32_t /*generation*/) const {
    return std::nullopt;
  }

  // Errors (kind usage): an empty or repeated member id.
  virtual result<group_assignment> assign(const std::vector<member>& members,
                                          const partition_counts& partitions) const = 0;
};

// nullptr for an unknown name.
std::unique_ptr<assignor> make_assignor(std::string_view name);

std::unique_ptr<assignor> make_range_assignor();
std::unique_ptr<assignor> make_roundrobin_assignor();
std::unique_ptr<assignor> make_cooperative_sticky_assignor();

// Java's String.compareTo on UTF-8 input: orders by UTF-16 code unit, which differs from byte
// (code point) order when characters above U+FFFF meet characters in U+E000-U+FFFF. Invalid
// UTF-8 falls back to byte order. Negative, zero or positive.
int java_string_compare(std::string_view a, std::string_view b);

}  // namespace kpipe::client::group
