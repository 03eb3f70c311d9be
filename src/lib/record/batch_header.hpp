#pragma once
// Writing the 61-byte header of a v2 record batch (KIP-98) in place, and re-stamping the
// producer fields of a finished batch. Shared by batch_writer and batch_builder; the layout is in
// record_batch.hpp.

#include <cstdint>
#include <span>

#include "record/compression.hpp"
#include "record/record.hpp"

namespace kpipe::record {

struct batch_header_fields {
  std::int64_t base_offset = 0;
  std::int32_t partition_leader_epoch = -1;
  codec compression = codec::none;
  timestamp_type timestamps = timestamp_type::create_time;
  bool transactional = false;
  bool control = false;
  std::int32_t last_offset_delta = 0;
  std::int64_t base_timestamp = -1;
  std::int64_t max_timestamp = -1;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t record_count = 0;
};

// `batch` is the whole batch: the 61 header bytes (overwritten) followed by the records as they
// will be sent. Fills in the length and, last, the CRC32C of attributes..end.
void write_batch_header(std::span<std::uint8_t> batch, const batch_header_fields& fields);

// Sets the producer id, epoch, base sequence and the transactional bit of a finished batch and
// recomputes its CRC: a batch is built before the producer knows its sequence number (assigned
// when it is first sent, and again after an epoch bump, KIP-360).
void stamp_producer(std::span<std::uint8_t> batch, std::int64_t producer_id,
                    std::int16_t producer_epoch, std::int32_t base_sequence, bool transactional);

}  // namespace kpipe::record
