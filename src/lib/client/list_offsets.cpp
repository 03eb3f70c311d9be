#include "client/list_offsets.hpp"

#include <algorithm>

#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/list_offsets.hpp"

namespace kpipe::client {

result<std::map<std::int32_t, std::int32_t>> partition_leaders(
    const protocol::metadata::response& metadata, const std::string& topic) {
  for (const auto& t : metadata.topics) {
    if (!t.name || *t.name != topic) continue;
    if (t.error_code != 0) {
      auto kind = t.error_code == 3 ? error_kind::not_found : error_kind::kafka;
      return kpipe::error{
          kind, "topic " + topic + ": " + std::string(protocol::error_name(t.error_code))};
    }
    std::map<std::int32_t, std::int32_t> leaders;
    for (const auto& p : t.partitions) leaders[p.partition_index] = p.leader_id;
    return leaders;
  }
  return kpipe::error{error_kind::not_found, "topic " + topic + " does not exist"};
}

boost::asio::awaitable<result<std::map<std::int32_t, offset_answer>>> list_offsets(
    cluster& cluster, const std::string& topic, const std::map<std::int32_t, std::int32_t>& leaders,
    const std::map<std::int32_t, std::int64_t>& queries, bool read_committed) {
  namespace lo = protocol::list_offsets;
  std::map<std::int32_t, std::vector<std::int32_t>> by_leader;
  for (const auto& [partition, timestamp] : queries) {
    auto it = leaders.find(partition);
    if (it == leaders.end()) {
      co_return kpipe::error{error_kind::not_found, "partition " + std::to_string(partition) +
                                                        " of " + topic + " does not exist"};
    }
    by_leader[it->second].push_back(partition);
  }
  std::map<std::int32_t, offset_answer> answers;
  for (const auto& [leader, partitions] : by_leader) {
    if (leader < 0) {
      co_return kpipe::error{error_kind::kafka, "partition " + std::to_string(partitions[0]) +
                                                    " of " + topic + " has no leader"};
    }
    auto conn = co_await cluster.connection_to(leader);
    if (!conn) co_return conn.error();
    auto version = conn.value()->version_for(protocol::api_key::list_offsets);
    if (!version || *version < 1) {
      co_return kpipe::error{error_kind::protocol,
                             conn.value()->name() + " does not support ListOffsets v1"};
    }
    lo::request request;
    request.replica_id = -1;
    request.isolation_level = read_committed ? 1 : 0;
    request.timeout_ms = 30000;
    request.topics.resize(1);
    request.topics[0].name = topic;
    for (auto partition : partitions) {
      lo::request::partition p;
      p.partition_index = partition;
      p.timestamp = queries.at(partition);
      request.topics[0].partitions.push_back(p);
    }
    auto response = co_await conn.value()->request(request, version);
    if (!response) co_return response.error();
    // librdkafka's mock cluster (2.0) advertises ListOffsets v5 but answers v4 and v5 for
    // partition -1 with UNKNOWN_SERVER_ERROR: an answer about partitions we did not ask for is
    // asked again at v3, which carries the same information for a client.
    auto asked_for = [&](std::int32_t partition) {
      return std::find(partitions.begin(), partitions.end(), partition) != partitions.end();
    };
    bool mismatch = false;
    for (const auto& t : response->topics) {
      for (const auto& p : t.partitions) mismatch = mismatch || !asked_for(p.partition_index);
    }
    if (mismatch && *version > 3) {
      response = co_await conn.value()->request(request, std::int16_t{3});
      if (!response) co_return response.error();
    }
    for (const auto& t : response->topics) {
      for (const auto& p : t.partitions) {
        if (p.error_code != 0) {
          co_return kpipe::error{p.error_code == 3 ? error_kind::not_found : error_kind::kafka,
                                 "ListOffsets for partition " + std::to_string(p.partition_index) +
                                     " of " + topic + " on " + conn.value()->name() + ": " +
                                     std::string(protocol::error_name(p.error_code))};
        }
        answers[p.partition_index] = offset_answer{p.offset, p.timestamp};
      }
    }
  }
  co_return answers;
}

}  // namespace kpipe::client
