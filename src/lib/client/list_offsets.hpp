#pragma once
// ListOffsets for the partitions of a topic, one request per leader: the earliest or latest
// offset, the last stable offset (read_committed latest), or the first offset at or after a time.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "protocol/generated/metadata.hpp"
#include "util/result.hpp"

namespace kpipe::client {

// Special timestamps of ListOffsets (KIP-79; max timestamp KIP-734).
inline constexpr std::int64_t latest_timestamp = -1;
inline constexpr std::int64_t earliest_timestamp = -2;
inline constexpr std::int64_t max_timestamp_query = -3;

struct offset_answer {
  std::int64_t offset = -1;  // -1: no record at or after the time asked
  std::int64_t timestamp = -1;
};

// The leaders of a topic's partitions from a metadata response; not_found when the topic is not
// there or has an error.
result<std::map<std::int32_t, std::int32_t>> partition_leaders(
    const protocol::metadata::response& metadata, const std::string& topic);

// One query per partition (partition -> timestamp). read_committed: "latest" is the last stable
// offset (KIP-98). Errors name the partition and the broker.
boost::asio::awaitable<result<std::map<std::int32_t, offset_answer>>> list_offsets(
    cluster& cluster, const std::string& topic, const std::map<std::int32_t, std::int32_t>& leaders,
    const std::map<std::int32_t, std::int64_t>& queries, bool read_committed);

}  // namespace kpipe::client
