#include "client/coordinator.hpp"

#include <set>

#include "client/kafka_error.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/find_coordinator.hpp"

namespace kpipe::client {

namespace asio = boost::asio;
namespace fc = protocol::find_coordinator;

namespace {

// KIP-699: CoordinatorKeys instead of Key.
constexpr std::int16_t batched_version = 4;

std::string describe(coordinator_type type, const std::string& key) {
  return type == coordinator_type::group ? "group " + key : "transactional id " + key;
}

}  // namespace

fc::request build_find_coordinator_request(coordinator_type type,
                                           const std::vector<std::string>& keys,
                                           std::int16_t version) {
  fc::request request;
  request.key_type = static_cast<std::int8_t>(type);
  if (version >= batched_version) {
    request.coordinator_keys = keys;
  } else if (!keys.empty()) {
    request.key = keys.front();
  }
  return request;
}

std::map<std::string, coordinator_answer> read_find_coordinator_response(
    const fc::response& response, std::int16_t version, const std::vector<std::string>& keys) {
  std::map<std::string, coordinator_answer> out;
  if (version >= batched_version) {
    std::set<std::string> asked(keys.begin(), keys.end());
    for (const auto& c : response.coordinators) {
      if (!asked.contains(c.key)) continue;  // not ours: ignored rather than trusted
      out[c.key] = coordinator_answer{c.error_code, c.node_id, c.host, c.port};
    }
  } else if (!keys.empty()) {
    out[keys.front()] =
        coordinator_answer{response.error_code, response.node_id, response.host, response.port};
  }
  return out;
}

asio::awaitable<std::map<std::string, result<std::int32_t>>> find_coordinators(
    cluster& cluster, coordinator_type type, const std::vector<std::string>& keys,
    const retry_policy& policy) {
  std::map<std::string, result<std::int32_t>> found;
  if (keys.size() > 1) {
    // A broker before v4 takes one key per request: each key on its own then.
    auto conn = co_await cluster.any_connection();
    auto version = conn ? conn.value()->version_for(protocol::api_key::find_coordinator)
                        : std::optional<std::int16_t>{};
    if (!version || *version < batched_version) {
      for (const auto& k : keys) {
        // (A local: GCC 12 cannot keep an initializer list alive across co_await.)
        std::vector<std::string> just_k(1, k);
        auto one = co_await find_coordinators(cluster, type, just_k, policy);
        found.emplace(k, std::move(one.at(k)));
      }
      co_return found;
    }
  }
  std::vector<std::string> pending(keys.begin(), keys.end());
  std::map<std::string, error> last;
  for (const auto& k : pending) {
    last.emplace(
        k, error{error_kind::kafka, "FindCoordinator for " + describe(type, k) + ": no answer"});
  }
  for (int attempt = 0; attempt < policy.attempts && !pending.empty(); ++attempt) {
    if (attempt > 0) co_await policy.pause(attempt);
    auto conn = co_await cluster.any_connection();
    if (!conn) {
      for (const auto& k : pending) found.emplace(k, conn.error());
      co_return found;
    }
    auto version = conn.value()->version_for(protocol::api_key::find_coordinator);
    if (!version || (type == coordinator_type::transaction && *version < 1)) {
      std::string what(" does not support FindCoordinator");
      if (type == coordinator_type::transaction && version) {
        what = std::string(" does not support transactions (FindCoordinator v1)");
      }
      for (const auto& k : pending) {
        found.emplace(k, error{error_kind::usage, conn.value()->name() + what});
      }
      co_return found;
    }
    // All pending keys (one, before v4: see above).
    std::vector<std::string> asked = pending;
    auto request = build_find_coordinator_request(type, asked, *version);
    auto response = co_await conn.value()->request(request, version);
    if (!response) {
      for (const auto& k : asked) found.emplace(k, response.error());
      co_return found;
    }
    auto answers = read_find_coordinator_response(response.value(), *version, asked);
    std::vector<std::string> again;
    for (const auto& k : asked) {
      auto it = answers.find(k);
      if (it == answers.end()) {
        again.push_back(k);
        continue;
      }
      const auto& a = it->second;
      if (a.error_code == protocol::errc::none && a.node_id >= 0) {
        if (!a.host.empty() && a.port > 0 && a.port <= 65535) {
          cluster.add_broker(a.node_id,
                             net::broker_address{a.host, static_cast<std::uint16_t>(a.port)});
        }
        found.emplace(k, a.node_id);
        continue;
      }
      last[k] = kafka_error("FindCoordinator for " + describe(type, k), a.error_code);
      // CONCURRENT_TRANSACTIONS: the transactional id's coordinator is finishing an earlier
      // transaction of this id.
      if (protocol::coordinator_moved_or_loading(a.error_code) ||
          a.error_code == protocol::errc::concurrent_transactions) {
        again.push_back(k);
      } else {
        found.emplace(k, last[k]);
      }
    }
    pending = std::move(again);
  }
  for (const auto& k : pending) found.emplace(k, last[k]);
  co_return found;
}

asio::awaitable<result<std::int32_t>> find_coordinator(cluster& cluster, coordinator_type type,
                                                       const std::string& key,
                                                       const retry_policy& policy) {
  std::vector<std::string> keys(1, key);
  auto found = co_await find_coordinators(cluster, type, keys, policy);
  co_return found.at(key);
}

}  // namespace kpipe::client
