#pragma once
// The one way to find a coordinator (FindCoordinator): a consumer group's, for group
// membership, commits and group administration, and a transactional id's, for the producer.
// From v4 (KIP-699) one request asks for any number of keys; before, one request per key
// (and before v1 only group keys exist). The node's address in the answer is taught to the
// cluster, so that connecting to it needs no Metadata round trip.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "client/retry.hpp"
#include "util/result.hpp"

namespace kpipe::protocol::find_coordinator {
struct request;
struct response;
}  // namespace kpipe::protocol::find_coordinator

namespace kpipe::client {

// FindCoordinator's key types (the request's KeyType).
enum class coordinator_type : std::int8_t { group = 0, transaction = 1 };

// The pure halves, public for the unit tests.
//
// The request for `keys` at `version`: all of them in CoordinatorKeys from v4 on, else the one
// key (keys must then hold exactly one).
protocol::find_coordinator::request build_find_coordinator_request(
    coordinator_type type, const std::vector<std::string>& keys, std::int16_t version);

struct coordinator_answer {
  std::int16_t error_code = 0;
  std::int32_t node_id = -1;
  std::string host;
  std::int32_t port = -1;
};
// The answer per asked key, read at `version` (v4+: the per-key entries, which may come in any
// order; before: the top-level fields, for the one key). A key the answer leaves out is missing
// from the map.
std::map<std::string, coordinator_answer> read_find_coordinator_response(
    const protocol::find_coordinator::response& response, std::int16_t version,
    const std::vector<std::string>& keys);

// The node id of the coordinator for `key`, asked again while the answer says the coordinator
// is not available or loading (policy's attempts and backoff). A refused key is an auth error
// (GROUP_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED); a broker without transactions (FindCoordinator
// before v1) a usage error.
boost::asio::awaitable<result<std::int32_t>> find_coordinator(
    cluster& cluster, coordinator_type type, const std::string& key,
    const retry_policy& policy = default_retry);

// The coordinators of many keys: one request per attempt where the broker batches (v4+), one
// per key otherwise. Each key's outcome on its own.
boost::asio::awaitable<std::map<std::string, result<std::int32_t>>> find_coordinators(
    cluster& cluster, coordinator_type type, const std::vector<std::string>& keys,
    const retry_policy& policy = default_retry);

// The coordinator of a consumer group.
inline boost::asio::awaitable<result<std::int32_t>> find_group_coordinator(
    cluster& cluster, const std::string& group) {
  return find_coordinator(cluster, coordinator_type::group, group);
}

}  // namespace kpipe::client
