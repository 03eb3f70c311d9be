#include "client/sent_versions.hpp"

#include <algorithm>

#include "client/fetcher.hpp"
#include "client/group_offsets.hpp"
#include "client/produce_request.hpp"
#include "client/producer.hpp"
#include "protocol/generated/api_table.hpp"

namespace kpipe::client {

std::int16_t sent_version(std::int16_t api_key, std::int16_t negotiated) {
  switch (api_key) {
    case protocol::api_key::produce:
      return std::min(negotiated, produce_max_version);
    case protocol::api_key::fetch:
      return std::min(negotiated, fetch_max_version);
    case protocol::api_key::offset_fetch:
      return std::min(negotiated, offset_fetch_max_version);
    case protocol::api_key::offset_commit:
      return std::min(negotiated, offset_commit_max_version);
    case protocol::api_key::add_partitions_to_txn:
      return std::min(negotiated, add_partitions_to_txn_max_version);
    default:
      return negotiated;
  }
}

}  // namespace kpipe::client
