#pragma once
// Committed offsets of consumer groups (at the group's coordinator, client/coordinator.hpp):
// reading (OffsetFetch) offsets of one topic and committing (OffsetCommit) those of several.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "client/coordinator.hpp"
#include "util/result.hpp"

namespace kpipe::protocol::offset_fetch {
struct request;
struct response;
}  // namespace kpipe::protocol::offset_fetch

namespace kpipe::client {

// OffsetFetch up to v9: v8 asks for any number of groups in a `groups` array instead of one
// group at the top level (KIP-709), v9 adds the member id and epoch of KIP-848's consumer
// groups (a classic group's client sends null and -1). v10 names topics by id (Kafka 4.2): not
// sent.
inline constexpr std::int16_t offset_fetch_max_version = 9;
// OffsetCommit up to v9: v10 names topics by id (Kafka 4.2).
inline constexpr std::int16_t offset_commit_max_version = 9;

struct committed_offset {
  std::int64_t offset = -1;  // -1: nothing committed
  std::optional<std::string> metadata;
};

// Committed offsets for the partitions (all of the group's partitions of the topic when empty).
boost::asio::awaitable<result<std::map<std::int32_t, committed_offset>>> fetch_committed(
    cluster& cluster, const std::string& group, const std::string& topic,
    const std::vector<std::int32_t>& partitions);

// The pure halves of OffsetFetch, public for the unit tests.
//
// The request for one group's offsets of one topic, in the shape of `version` (the group at the
// top level up to v7, in `groups` from v8 on).
protocol::offset_fetch::request build_offset_fetch_request(
    const std::string& group, const std::string& topic, const std::vector<std::int32_t>& partitions,
    std::int16_t version);

// An OffsetFetch answer read at `version`, whatever its shape: the group's error and the
// partitions of `topic`.
struct offset_fetch_answer {
  struct partition {
    std::int32_t partition = 0;
    std::int16_t error_code = 0;
    committed_offset committed;
  };
  std::int16_t error_code = 0;  // the group's (v2+)
  std::vector<partition> partitions;
};
// Fails (error_kind::protocol) when a v8+ answer does not mention the group.
result<offset_fetch_answer> read_offset_fetch_response(
    const protocol::offset_fetch::response& response, std::int16_t version,
    const std::string& group, const std::string& topic);

struct commit_identity {
  std::int32_t generation = -1;  // -1 and an empty member id: a commit from outside the group
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

// Per topic, per partition: the offset to commit.
using offsets_by_topic = std::map<std::string, std::map<std::int32_t, std::int64_t>>;

// Commits offsets (the next offset to read, as Kafka's consumers do) of any number of topics in
// one OffsetCommit. Errors name the topic and partition.
boost::asio::awaitable<status> commit_offsets(cluster& cluster, const std::string& group,
                                              const offsets_by_topic& offsets,
                                              const commit_identity& identity);

}  // namespace kpipe::client
