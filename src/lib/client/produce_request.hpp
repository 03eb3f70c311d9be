#pragma once
// The Produce request body, written by hand because it carries the record batches: they go
// into the request buffer with one copy each, instead of first into the generated request
// struct. Tests decode the output with the generated decoder (ARCHITECTURE.md: hot paths are
// hand-written and checked against the generated oracle).
//
// Versions 3-13: v3 is the first that carries v2 record batches only (KIP-98); v9+ are flexible
// (KIP-482); v13 names the topic by its id instead of its name (KIP-516), in the answer too.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace kpipe::client {

inline constexpr std::int16_t produce_min_version = 3;
inline constexpr std::int16_t produce_max_version = 13;
// The newest version that names topics by name, for a topic whose id is not known (Metadata
// before v10, KIP-516, answers none).
inline constexpr std::int16_t produce_max_version_by_name = 12;

// The version to send, given the highest one both sides support (`negotiated`): v13 needs the
// topic's id, so without one (all zeros) v12 is the most.
std::int16_t produce_version_for(std::int16_t negotiated, const protocol::uuid& topic_id);

struct produce_partition {
  std::int32_t partition = 0;
  std::span<const std::uint8_t> records;  // one record batch (v3+ allows exactly one)
};

// The body of a Produce request for one topic, as the pieces of a gathered write: the framing
// bytes (owned here) interleaved with the callers' batches, which are not copied. `parts` views
// `framing` (stable across moves of this struct: a vector's heap buffer moves with it) and the
// batches, which must outlive the write.
struct produce_request_body {
  protocol::byte_buffer framing;
  std::vector<std::span<const std::uint8_t>> parts;
  std::size_t size() const;
  protocol::byte_buffer flatten() const;  // all parts in one buffer (tests, small requests)
};

// The topic is named by `topic` up to v12 and by `topic_id` from v13 on (the other is not
// written).
produce_request_body write_produce_request(std::int16_t version,
                                           const std::optional<std::string>& transactional_id,
                                           std::int16_t acks, std::int32_t timeout_ms,
                                           std::string_view topic, const protocol::uuid& topic_id,
                                           std::span<const produce_partition> partitions);

}  // namespace kpipe::client
