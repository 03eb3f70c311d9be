#include "client/group_offsets.hpp"

#include "client/kafka_error.hpp"
#include "client/retry.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/offset_commit.hpp"
#include "protocol/generated/offset_fetch.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

namespace errc = protocol::errc;

protocol::offset_fetch::request build_offset_fetch_request(
    const std::string& group, const std::string& topic, const std::vector<std::int32_t>& partitions,
    std::int16_t version) {
  namespace of = protocol::offset_fetch;
  of::request request;
  if (version < 8) {
    request.group_id = group;
    of::request::topic t;
    t.name = topic;
    t.partition_indexes = partitions;
    request.topics = std::vector<of::request::topic>{};
    request.topics->push_back(std::move(t));
    return request;
  }
  // KIP-709: groups in an array. member_id and member_epoch (v9, KIP-848) keep their defaults,
  // null and -1: kpipe's groups are classic ones, whose offsets anyone may read.
  of::request::group g;
  g.group_id = group;
  of::request::topics_data t;
  t.name = topic;
  t.partition_indexes = partitions;
  g.topics = std::vector<of::request::topics_data>{};
  g.topics->push_back(std::move(t));
  request.groups.push_back(std::move(g));
  return request;
}

result<offset_fetch_answer> read_offset_fetch_response(
    const protocol::offset_fetch::response& response, std::int16_t version,
    const std::string& group, const std::string& topic) {
  offset_fetch_answer out;
  if (version < 8) {
    out.error_code = response.error_code;
    for (const auto& rt : response.topics) {
      if (rt.name != topic) continue;
      for (const auto& p : rt.partitions) {
        out.partitions.push_back(offset_fetch_answer::partition{
            p.partition_index, p.error_code, committed_offset{p.committed_offset, p.metadata}});
      }
    }
    return out;
  }
  for (const auto& g : response.groups) {
    if (g.group_id != group) continue;
    out.error_code = g.error_code;
    for (const auto& rt : g.topics) {
      if (rt.name != topic) continue;
      for (const auto& p : rt.partitions) {
        out.partitions.push_back(offset_fetch_answer::partition{
            p.partition_index, p.error_code, committed_offset{p.committed_offset, p.metadata}});
      }
    }
    return out;
  }
  return error{error_kind::protocol, "OffsetFetch v" + std::to_string(version) +
                                         ": the answer does not mention group " + group};
}

asio::awaitable<result<std::map<std::int32_t, committed_offset>>> fetch_committed(
    cluster& cluster, const std::string& group, const std::string& topic,
    const std::vector<std::int32_t>& partitions) {
  error last{error_kind::kafka, std::string("OffsetFetch: no answer")};
  for (int attempt = 0; attempt < default_retry.attempts; ++attempt) {
    if (attempt > 0) co_await default_retry.pause(attempt);
    auto node = co_await find_group_coordinator(cluster, group);
    if (!node) co_return node.error();
    auto conn = co_await cluster.connection_to(node.value());
    if (!conn) co_return conn.error();
    auto version = conn.value()->version_for(protocol::api_key::offset_fetch);
    if (!version) co_return error{error_kind::protocol, std::string("OffsetFetch unsupported")};
    version = std::min(*version, offset_fetch_max_version);
    auto request = build_offset_fetch_request(group, topic, partitions, *version);
    auto response = co_await conn.value()->request(request, version);
    if (!response) co_return response.error();
    auto answer = read_offset_fetch_response(response.value(), *version, group, topic);
    if (!answer) co_return answer.error();
    if (answer->error_code != errc::none) {
      last = kafka_error("OffsetFetch for group " + group, answer->error_code);
      if (protocol::coordinator_moved_or_loading(answer->error_code)) continue;
      co_return last;
    }
    std::map<std::int32_t, committed_offset> out;
    bool retry = false;
    for (const auto& p : answer->partitions) {
      if (p.error_code != errc::none) {
        last = kafka_error(
            "OffsetFetch for group " + group + " partition " + std::to_string(p.partition),
            p.error_code);
        if (protocol::coordinator_moved_or_loading(p.error_code)) {
          retry = true;
          continue;
        }
        co_return last;
      }
      out[p.partition] = p.committed;
    }
    if (retry) continue;
    co_return out;
  }
  co_return last;
}

asio::awaitable<status> commit_offsets(cluster& cluster, const std::string& group,
                                       const offsets_by_topic& offsets,
                                       const commit_identity& identity) {
  namespace oc = protocol::offset_commit;
  error last{error_kind::kafka, std::string("OffsetCommit: no answer")};
  for (int attempt = 0; attempt < default_retry.attempts; ++attempt) {
    if (attempt > 0) co_await default_retry.pause(attempt);
    auto node = co_await find_group_coordinator(cluster, group);
    if (!node) co_return node.error();
    auto conn = co_await cluster.connection_to(node.value());
    if (!conn) co_return conn.error();
    auto version = conn.value()->version_for(protocol::api_key::offset_commit);
    if (!version) co_return error{error_kind::protocol, std::string("OffsetCommit unsupported")};
    version = std::min(*version, offset_commit_max_version);
    oc::request request;
    request.group_id = group;
    request.generation_id_or_member_epoch = identity.generation;
    request.member_id = identity.member_id;
    request.group_instance_id = identity.group_instance_id;
    for (const auto& [topic, partitions] : offsets) {
      oc::request::topic t;
      t.name = topic;
      for (const auto& [partition, offset] : partitions) {
        oc::request::partition p;
        p.partition_index = partition;
        p.committed_offset = offset;
        t.partitions.push_back(p);
      }
      request.topics.push_back(t);
    }
    auto response = co_await conn.value()->request(request, version);
    if (!response) co_return response.error();
    bool retry = false;
    for (const auto& rt : response->topics) {
      for (const auto& p : rt.partitions) {
        if (p.error_code == errc::none) continue;
        last = kafka_error("OffsetCommit for group " + group + " topic " + rt.name + " partition " +
                               std::to_string(p.partition_index),
                           p.error_code);
        if (!protocol::coordinator_moved_or_loading(p.error_code)) co_return last;
        retry = true;
      }
    }
    if (!retry) co_return success{};
  }
  co_return last;
}

}  // namespace kpipe::client
