#pragma once
// The producer's own parts shared by its two source files: producer.cpp (appending, sending,
// delivering) and producer_transactions.cpp (InitProducerId, epoch bumps, transactions). Not for
// other code.

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/producer.hpp"
#include "protocol/generated/error_table.hpp"

namespace kpipe::client {

namespace producer_detail {

inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace errc = protocol::errc;

// Whether a topic's Metadata error means "being created, ask again" after `waited`. A broker
// that creates the topic for this request reports it missing (Kafka 4 in KRaft mode answers
// UNKNOWN_TOPIC_OR_PARTITION while the controller creates it) or LEADER_NOT_AVAILABLE until its
// partitions have leaders. A broker that does not create topics answers
// UNKNOWN_TOPIC_OR_PARTITION for good, so that answer is only waited out for a few seconds.
inline bool topic_creation_pending(std::int16_t error_code, bool allow_auto_create,
                                   std::chrono::milliseconds request_timeout,
                                   std::chrono::milliseconds waited) {
  if (!allow_auto_create) return false;
  if (error_code == errc::leader_not_available) return waited < request_timeout;
  constexpr std::chrono::milliseconds creation_window{5'000};
  return error_code == errc::unknown_topic_or_partition &&
         waited < std::min(request_timeout, creation_window);
}

// A transaction coordinator that moved or loads, or that is finishing an earlier transaction of
// this transactional id (CONCURRENT_TRANSACTIONS): asked again.
inline bool coordinator_retriable(std::int16_t c) {
  return protocol::coordinator_moved_or_loading(c) || c == errc::concurrent_transactions;
}

inline std::string kafka_error_text(std::int16_t c,
                                    const std::optional<std::string>& message = {}) {
  std::string text(protocol::error_name(c));
  if (message && !message->empty()) text += ": " + *message;
  return text;
}

// The next sequence number after `count` records, wrapping as the broker expects (KIP-98:
// sequences are int32 and wrap to 0).
inline std::int32_t advance_sequence(std::int32_t sequence, std::int32_t count) {
  auto next = static_cast<std::int64_t>(sequence) + count;
  return static_cast<std::int32_t>(next % (std::int64_t{1} << 31));
}

}  // namespace producer_detail

struct producer::batch {
  std::uint64_t id = 0;  // seal order: a partition's batches are sent in this order
  std::int32_t partition = 0;
  std::vector<std::uint8_t> bytes;
  std::int32_t record_count = 0;
  std::uint64_t first_tag = 0;
  std::uint64_t last_tag = 0;
  clock::time_point created;  // when its first record was appended
  std::optional<std::int32_t> sequence;
  int attempts = 0;
  std::optional<kpipe::error> last_error;
  std::size_t buffered = 0;  // what it adds to buffered_bytes_
  bool compressing = false;  // on a worker thread: bytes not there yet
  bool finished = false;     // delivered or failed
};

struct producer::partition_state {
  explicit partition_state(const record::builder_settings& settings) : builder(settings) {}
  std::int32_t leader = -1;
  record::batch_builder builder;
  clock::time_point first_append;
  std::uint64_t first_tag = 0;
  std::uint64_t last_tag = 0;
  std::deque<std::shared_ptr<batch>> queue;  // sealed, not in flight, in seal order
  int in_flight = 0;
  // A batch came back for a retry: nothing more of this partition leaves until every batch in
  // flight is answered, so that batches reach the broker in sequence order.
  bool retrying = false;
  clock::time_point blocked_until{};
  std::int32_t next_sequence = 0;
  bool in_transaction = false;
};

}  // namespace kpipe::client
