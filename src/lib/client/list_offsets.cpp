#include "client/list_offsets.hpp"

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "client/kafka_error.hpp"
#include "client/retry.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/list_offsets.hpp"

namespace kpipe::client {

result<std::map<std::int32_t, std::int32_t>> partition_leaders(
    const protocol::metadata::response& metadata, const std::string& topic) {
  for (const auto& t : metadata.topics) {
    if (!t.name || *t.name != topic) continue;
    if (t.error_code != protocol::errc::none) {
      return kpipe::error{
          kind_of_code(t.error_code),
          "topic " + topic + ": " + std::string(protocol::error_name(t.error_code))};
    }
    std::map<std::int32_t, std::int32_t> leaders;
    for (const auto& p : t.partitions) leaders[p.partition_index] = p.leader_id;
    return leaders;
  }
  return kpipe::error{error_kind::not_found, "topic " + topic + " does not exist"};
}

namespace {

// Answers that mean "ask the partition's current leader": the metadata snapshot is behind, as
// right after a topic was created or a leader moved (KIP-320 for the epoch errors). A partition
// that does not exist is final here: the caller named it.
bool ask_the_new_leader(std::int16_t code) {
  return protocol::leader_may_have_moved(code) && !protocol::is_not_found_code(code);
}

// Fewer attempts than the default: each one refreshes the metadata first.
constexpr retry_policy list_offsets_retry{8, std::chrono::milliseconds(100),
                                          std::chrono::milliseconds(1'000)};

}  // namespace

boost::asio::awaitable<result<std::map<std::int32_t, offset_answer>>> list_offsets(
    cluster& cluster, const std::string& topic, const std::map<std::int32_t, std::int32_t>& leaders,
    const std::map<std::int32_t, std::int64_t>& queries, bool read_committed) {
  namespace lo = protocol::list_offsets;
  for (const auto& [partition, timestamp] : queries) {
    if (!leaders.contains(partition)) {
      co_return kpipe::error{error_kind::not_found, "partition " + std::to_string(partition) +
                                                        " of " + topic + " does not exist"};
    }
  }
  std::map<std::int32_t, std::int32_t> current = leaders;
  std::map<std::int32_t, std::int64_t> pending = queries;
  std::map<std::int32_t, offset_answer> answers;
  kpipe::error last{error_kind::kafka, ""};
  for (int attempt = 0; attempt < list_offsets_retry.attempts && !pending.empty(); ++attempt) {
    if (attempt > 0) {
      // A pause, then the leaders as the cluster sees them now.
      co_await list_offsets_retry.pause(attempt);
      std::vector<std::string> topics(1, topic);
      auto metadata = co_await cluster.fetch_metadata(topics);
      if (!metadata) co_return metadata.error();
      auto refreshed = partition_leaders(metadata.value(), topic);
      if (!refreshed) co_return refreshed.error();
      current = std::move(refreshed).value();
    }
    std::map<std::int32_t, std::vector<std::int32_t>> by_leader;
    std::map<std::int32_t, std::int64_t> retry;
    for (const auto& [partition, timestamp] : pending) {
      auto it = current.find(partition);
      if (it == current.end() || it->second < 0) {
        retry[partition] = timestamp;
        last = kpipe::error{error_kind::kafka, "partition " + std::to_string(partition) + " of " +
                                                   topic + " has no leader"};
      } else {
        by_leader[it->second].push_back(partition);
      }
    }
    for (const auto& [leader, partitions] : by_leader) {
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
        p.timestamp = pending.at(partition);
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
          if (p.error_code == protocol::errc::none) {
            answers[p.partition_index] = offset_answer{p.offset, p.timestamp};
            continue;
          }
          kpipe::error failure{kind_of_code(p.error_code),
                               "ListOffsets for partition " + std::to_string(p.partition_index) +
                                   " of " + topic + " on " + conn.value()->name() + ": " +
                                   std::string(protocol::error_name(p.error_code))};
          if (!ask_the_new_leader(p.error_code)) co_return failure;
          retry[p.partition_index] = pending.at(p.partition_index);
          last = std::move(failure);
        }
      }
    }
    pending = std::move(retry);
  }
  if (!pending.empty()) co_return last;
  co_return answers;
}

}  // namespace kpipe::client
