#include "client/cluster.hpp"

#include "protocol/generated/api_table.hpp"

namespace kpipe::client {

cluster::cluster(asio::any_io_executor executor, std::vector<net::broker_address> bootstrap,
                 net::connection_options options)
    : executor_(executor), bootstrap_(std::move(bootstrap)), options_(std::move(options)) {}

asio::awaitable<result<std::shared_ptr<net::connection>>> cluster::any_connection() {
  if (bootstrap_connection_ && bootstrap_connection_->is_open()) co_return bootstrap_connection_;
  for (auto& [id, conn] : by_node_) {
    if (conn && conn->is_open()) co_return conn;
  }
  // Every bootstrap broker in turn; if none answers, the error lists each one's failure.
  std::vector<error> failures;
  for (const auto& address : bootstrap_) {
    auto conn = co_await net::connection::open(executor_, address, options_);
    if (conn) {
      bootstrap_connection_ = conn.value();
      co_return conn;
    }
    failures.push_back(conn.error());
  }
  if (failures.size() == 1) co_return failures.front();
  error all{error_kind::timeout, "no bootstrap broker answered:"};
  for (const auto& f : failures) {
    all.message += "\n  " + f.message;
    if (f.kind != error_kind::timeout && all.kind != error_kind::auth) all.kind = error_kind::io;
    // Credentials or certificates that one broker refuses are refused by all of them.
    if (f.kind == error_kind::auth) all.kind = error_kind::auth;
  }
  co_return all;
}

asio::awaitable<result<protocol::metadata::response>> cluster::fetch_metadata(
    const std::optional<std::vector<std::string>>& topics, bool allow_auto_create) {
  auto conn = co_await any_connection();
  if (!conn) co_return conn.error();
  auto version = conn.value()->version_for(protocol::api_key::metadata);
  if (!version) {
    co_return error{error_kind::protocol, conn.value()->name() + " does not support Metadata"};
  }
  protocol::metadata::request request;
  if (topics) {
    request.topics.emplace();
    for (const auto& name : *topics) request.topics->emplace_back().name = name;
  } else if (*version == 0) {
    // v0 has no null topic list: an empty list means every topic.
    request.topics.emplace();
  }
  request.allow_auto_topic_creation = allow_auto_create;
  auto response = co_await conn.value()->request(request, *version);
  if (!response) co_return response.error();
  metadata_version_ = *version;
  brokers_.clear();
  for (const auto& b : response->brokers) {
    brokers_[b.node_id] = net::broker_address{b.host, static_cast<std::uint16_t>(b.port)};
  }
  co_return response;
}

asio::awaitable<result<std::shared_ptr<net::connection>>> cluster::connection_to(
    std::int32_t node_id) {
  if (auto it = by_node_.find(node_id); it != by_node_.end() && it->second->is_open()) {
    co_return it->second;
  }
  auto address = brokers_.find(node_id);
  if (address == brokers_.end()) {
    co_return error{error_kind::not_found,
                    "broker " + std::to_string(node_id) + " is not in the cluster's metadata"};
  }
  auto conn = co_await net::connection::open(executor_, address->second, options_, node_id);
  if (conn) by_node_[node_id] = conn.value();
  co_return conn;
}

const protocol::metadata::response::topic* find_topic(const protocol::metadata::response& metadata,
                                                      const std::string& topic) {
  for (const auto& t : metadata.topics) {
    if (t.name && *t.name == topic) return &t;
  }
  return nullptr;
}

protocol::uuid topic_id_of(const protocol::metadata::response& metadata, const std::string& topic) {
  const auto* found = find_topic(metadata, topic);
  return found ? found->topic_id : protocol::uuid{};
}

void cluster::add_broker(std::int32_t node_id, net::broker_address address) {
  // The metadata's address wins: an answer's endpoint only fills a gap.
  brokers_.emplace(node_id, std::move(address));
}

void cluster::close() {
  if (bootstrap_connection_) bootstrap_connection_->close();
  for (auto& [id, conn] : by_node_) conn->close();
}

}  // namespace kpipe::client
