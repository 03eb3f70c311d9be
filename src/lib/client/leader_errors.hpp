#pragma once
// Kafka answers after which a partition's leader may have moved, or (from Produce v13 and
// Fetch v13 on, KIP-516) the topic's id may have changed: the client refreshes its metadata and
// tries again. One list for the producer and the fetcher.

#include <cstdint>

#include "protocol/generated/error_table.hpp"

namespace kpipe::client {

// UNKNOWN_TOPIC_ID while a broker does not know a new id yet; INCONSISTENT_TOPIC_ID after the
// topic was created again under the same name; the epoch errors per KIP-320.
inline bool leader_may_have_moved(std::int16_t c) {
  namespace errc = protocol::errc;
  return c == errc::unknown_topic_or_partition || c == errc::leader_not_available ||
         c == errc::not_leader_or_follower || c == errc::fenced_leader_epoch ||
         c == errc::unknown_leader_epoch || c == errc::unknown_topic_id ||
         c == errc::inconsistent_topic_id;
}

}  // namespace kpipe::client
