#pragma once
// The cluster as a client sees it: bootstrap brokers, a metadata snapshot, one connection per
// broker, opened on first use.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/broker_address.hpp"
#include "net/connection.hpp"
#include "protocol/generated/metadata.hpp"
#include "util/result.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

class cluster {
 public:
  cluster(asio::any_io_executor executor, std::vector<net::broker_address> bootstrap,
          net::connection_options options);

  // Metadata for the named topics, or for all topics when `topics` is nullopt. Asks the broker
  // to create a missing named topic only when `allow_auto_create` (Metadata v4+, KIP-204; older
  // versions always may, which is the broker's auto.create.topics.enable alone). Tries each
  // bootstrap broker (then each known broker) in turn.
  asio::awaitable<result<protocol::metadata::response>> fetch_metadata(
      const std::optional<std::vector<std::string>>& topics, bool allow_auto_create = false);
  // The version of Metadata used for the last successful fetch_metadata.
  std::int16_t metadata_version() const { return metadata_version_; }

  // The connection to a broker of the last metadata snapshot, opened when needed.
  asio::awaitable<result<std::shared_ptr<net::connection>>> connection_to(std::int32_t node_id);

  // A broker's address learnt from an answer other than Metadata (Fetch v16+ names a partition's
  // new leader and its endpoint, KIP-951): kept unless the metadata already has that node, until
  // the next metadata snapshot replaces them all.
  void add_broker(std::int32_t node_id, net::broker_address address);
  // Whether connection_to(node_id) knows where to connect.
  bool knows_broker(std::int32_t node_id) const { return brokers_.count(node_id) > 0; }

  // A connection to any broker: an open one, or the first bootstrap broker that answers.
  asio::awaitable<result<std::shared_ptr<net::connection>>> any_connection();

  void close();

 private:
  asio::any_io_executor executor_;
  std::vector<net::broker_address> bootstrap_;
  net::connection_options options_;
  std::map<std::int32_t, net::broker_address> brokers_;
  std::map<std::int32_t, std::shared_ptr<net::connection>> by_node_;
  std::shared_ptr<net::connection> bootstrap_connection_;
  std::int16_t metadata_version_ = 0;
};

// A topic's entry in a metadata answer, or nullptr when the answer does not name it.
const protocol::metadata::response::topic* find_topic(const protocol::metadata::response& metadata,
                                                      const std::string& topic);

// A topic's id in a metadata answer (KIP-516, Metadata v10+); all zeros when the topic is not
// there or the answer is older.
protocol::uuid topic_id_of(const protocol::metadata::response& metadata, const std::string& topic);

}  // namespace kpipe::client
