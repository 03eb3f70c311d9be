#pragma once
// The "consumer" embedded protocol: what a member puts in JoinGroup's protocol metadata
// (ConsumerProtocolSubscription) and what the leader hands back through SyncGroup
// (ConsumerProtocolAssignment). Both are an int16 version followed by a non-flexible struct.
//
// Versions (both messages share the numbering):
//   v0  topics, user_data                          (assignment: partitions, user_data)
//   v1  + owned_partitions, for cooperative rebalancing (KIP-429)
//   v2  + generation_id, so the leader can spot stale ownership claims (KIP-792)
//   v3  + rack_id, for rack-aware assignment (KIP-881)
// The assignment gained no field after v0; its version follows the subscription's.
//
// Decoding follows the Java client: a version newer than 3 is read with the v3 layout (newer
// versions may only append fields), and bytes after the last known field are ignored. A
// negative version is an error.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/types.hpp"
#include "util/json_writer.hpp"
#include "util/result.hpp"

namespace kpipe::client::group {

// Topic -> partition ids. Kept sorted by topic, so encodings are deterministic; partitions stay
// in the order given (decoding keeps the wire order; duplicate topic entries are merged).
using topic_partitions = std::map<std::string, std::vector<std::int32_t>>;

// [{"topic":..., "partitions":[...]}, ...]: how `groups describe` and `decode --internal` show an
// assignment.
void write_topic_partitions_json(util::json_writer& j, const topic_partitions& tps);

inline constexpr std::int16_t consumer_protocol_max_version = 3;

struct subscription {
  std::vector<std::string> topics;
  std::optional<protocol::byte_buffer> user_data;
  topic_partitions owned_partitions;   // v1+
  std::int32_t generation_id = -1;     // v2+; -1: unknown
  std::optional<std::string> rack_id;  // v3+

  bool operator==(const subscription&) const = default;
};

struct assignment {
  topic_partitions partitions;
  std::optional<protocol::byte_buffer> user_data;

  bool operator==(const assignment&) const = default;
};

// Encodes version + struct. Fields the version cannot carry are left out, as the Java client
// does (they are "ignorable" in Kafka's schema). Errors (kind usage): a version outside 0-3, a
// string longer than 32767 bytes.
result<protocol::byte_buffer> encode(const subscription& value, std::int16_t version);
result<protocol::byte_buffer> encode(const assignment& value, std::int16_t version);

// Decodes version + struct. Errors (kind protocol) name the field and byte offset:
// "consumer subscription: owned_partitions[0].partitions: need 4 bytes, 1 left at offset 20".
result<subscription> decode_subscription(std::span<const std::uint8_t> data);
result<assignment> decode_assignment(std::span<const std::uint8_t> data);

}  // namespace kpipe::client::group
