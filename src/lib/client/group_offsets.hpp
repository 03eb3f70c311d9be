#pragma once
// Committed offsets of consumer groups: finding the group's coordinator (FindCoordinator),
// reading (OffsetFetch) offsets of one topic and committing (OffsetCommit) those of several.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "util/result.hpp"

namespace kpipe::client {

// The node id of the group's coordinator; retries while the coordinator is loading.
boost::asio::awaitable<result<std::int32_t>> find_group_coordinator(cluster& cluster,
                                                                    const std::string& group);

struct committed_offset {
  std::int64_t offset = -1;  // -1: nothing committed
  std::optional<std::string> metadata;
};

// Committed offsets for the partitions (all of the group's partitions of the topic when empty).
boost::asio::awaitable<result<std::map<std::int32_t, committed_offset>>> fetch_committed(
    cluster& cluster, const std::string& group, const std::string& topic,
    const std::vector<std::int32_t>& partitions);

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
