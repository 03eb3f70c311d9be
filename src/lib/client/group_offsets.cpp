#include "client/group_offsets.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/find_coordinator.hpp"
#include "protocol/generated/offset_commit.hpp"
#include "protocol/generated/offset_fetch.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

namespace {

// OffsetFetch v8+ and OffsetCommit v10 change shape (groups, topic ids); the versions below
// carry the same facts and every broker since 2.x accepts them.
constexpr std::int16_t offset_fetch_max_version = 7;
constexpr std::int16_t offset_commit_max_version = 9;

bool coordinator_error(std::int16_t code) { return code == 14 || code == 15 || code == 16; }

error kafka_error(const std::string& what, std::int16_t code) {
  auto kind = code == 30 || code == 29  ? error_kind::auth
              : code == 69 || code == 3 ? error_kind::not_found
                                        : error_kind::kafka;
  return error{kind, what + ": " + std::string(protocol::error_name(code))};
}

asio::awaitable<void> pause(int attempt) {
  asio::steady_timer timer(co_await asio::this_coro::executor,
                           std::chrono::milliseconds(100 * (attempt + 1)));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

asio::awaitable<result<std::int32_t>> find_group_coordinator(cluster& cluster,
                                                             const std::string& group) {
  namespace fc = protocol::find_coordinator;
  error last{error_kind::kafka, std::string("FindCoordinator: no answer")};
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0) co_await pause(attempt);
    auto conn = co_await cluster.any_connection();
    if (!conn) co_return conn.error();
    auto version = conn.value()->version_for(protocol::api_key::find_coordinator);
    if (!version) {
      co_return error{error_kind::protocol, conn.value()->name() + " has no FindCoordinator"};
    }
    fc::request request;
    request.key = group;
    request.key_type = 0;  // group
    request.coordinator_keys.assign(1, group);
    auto response = co_await conn.value()->request(request, version);
    if (!response) co_return response.error();
    std::int16_t code = response->error_code;
    std::int32_t node = response->node_id;
    if (*version >= 4 && !response->coordinators.empty()) {
      code = response->coordinators[0].error_code;
      node = response->coordinators[0].node_id;
    }
    if (code == 0) co_return node;
    last = kafka_error("FindCoordinator for group " + group, code);
    if (!coordinator_error(code)) co_return last;
  }
  co_return last;
}

asio::awaitable<result<std::map<std::int32_t, committed_offset>>> fetch_committed(
    cluster& cluster, const std::string& group, const std::string& topic,
    const std::vector<std::int32_t>& partitions) {
  namespace of = protocol::offset_fetch;
  error last{error_kind::kafka, std::string("OffsetFetch: no answer")};
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0) co_await pause(attempt);
    auto node = co_await find_group_coordinator(cluster, group);
    if (!node) co_return node.error();
    auto conn = co_await cluster.connection_to(node.value());
    if (!conn) co_return conn.error();
    auto version = conn.value()->version_for(protocol::api_key::offset_fetch);
    if (!version) co_return error{error_kind::protocol, std::string("OffsetFetch unsupported")};
    version = std::min(*version, offset_fetch_max_version);
    of::request request;
    request.group_id = group;
    of::request::topic t;
    t.name = topic;
    t.partition_indexes = partitions;
    request.topics = std::vector<of::request::topic>{};
    request.topics->push_back(t);
    auto response = co_await conn.value()->request(request, version);
    if (!response) co_return response.error();
    if (response->error_code != 0) {
      last = kafka_error("OffsetFetch for group " + group, response->error_code);
      if (coordinator_error(response->error_code)) continue;
      co_return last;
    }
    std::map<std::int32_t, committed_offset> out;
    bool retry = false;
    for (const auto& rt : response->topics) {
      if (rt.name != topic) continue;
      for (const auto& p : rt.partitions) {
        if (p.error_code != 0) {
          last = kafka_error(
              "OffsetFetch for group " + group + " partition " + std::to_string(p.partition_index),
              p.error_code);
          if (coordinator_error(p.error_code)) {
            retry = true;
            continue;
          }
          co_return last;
        }
        out[p.partition_index] = committed_offset{p.committed_offset, p.metadata};
      }
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
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (attempt > 0) co_await pause(attempt);
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
        if (p.error_code == 0) continue;
        last = kafka_error("OffsetCommit for group " + group + " topic " + rt.name + " partition " +
                               std::to_string(p.partition_index),
                           p.error_code);
        if (!coordinator_error(p.error_code)) co_return last;
        retry = true;
      }
    }
    if (!retry) co_return success{};
  }
  co_return last;
}

}  // namespace kpipe::client
