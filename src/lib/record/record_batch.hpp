#pragma once
// Reads record batches, magic 2 (KIP-98), the format of every Kafka since 0.11:
//
//   baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8 (2),
//   crc uint32 (CRC32C of everything after it), attributes int16, lastOffsetDelta int32,
//   baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
//   baseSequence int32, recordCount int32, then the records, compressed as a whole when the
//   attributes name a codec.
//
// Nothing is copied: records view the input, or the batch's own decompressed buffer.
//
// CRC mismatch: by default a batch whose CRC does not match fails to read (a consumer must never
// hand on corrupt data as if it were good); read_options::fail_on_crc_mismatch = false decodes it
// with crc_ok() false. Decompression is capped (read_options::max_decompressed_bytes, 64 MiB by
// default).
//
// Errors read like the protocol reader's: "batch at offset 0: records[3].key: length 10 exceeds
// the 2 bytes left at offset 57"; positions are absolute in the input (base_offset added), or
// within the decompressed records, which the message then says.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "record/compression.hpp"
#include "record/frame.hpp"
#include "record/read_options.hpp"
#include "record/record.hpp"
#include "util/result.hpp"

namespace kpipe::record {

// Bits of a batch's attributes (DefaultRecordBatch in the Java client).
namespace batch_attributes {
inline constexpr std::int16_t codec_mask = 0x07;
inline constexpr std::int16_t log_append_time = 0x08;  // KIP-32
inline constexpr std::int16_t transactional = 0x10;    // KIP-98
inline constexpr std::int16_t control = 0x20;          // KIP-98
inline constexpr std::int16_t delete_horizon = 0x40;   // KIP-534
}  // namespace batch_attributes

// The whole header, up to the first record.
inline constexpr std::size_t batch_header_size = 61;
// Where the CRC'd part starts: the attributes.
inline constexpr std::size_t batch_crc_start = 21;

struct record_batch {
  std::size_t position = 0;  // where the batch starts in the input
  std::int64_t base_offset = 0;
  std::int32_t batch_length = 0;  // the bytes after this field
  std::int32_t partition_leader_epoch = -1;
  std::int8_t magic = 2;
  std::uint32_t crc = 0;           // as stored
  std::uint32_t computed_crc = 0;  // of the bytes read
  std::int16_t attributes = 0;
  std::int32_t last_offset_delta = 0;
  // With the delete-horizon bit (KIP-534), the base timestamp is the compaction's delete horizon.
  std::int64_t base_timestamp = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  std::int32_t record_count = 0;
  bytes_view records_data;      // the records section as stored (compressed or not)
  std::vector<record> records;  // empty when read with decode_records = false
  // Owns the bytes that `records` view when the batch is compressed; shared, so that copies of a
  // batch stay valid.
  std::shared_ptr<const std::vector<std::uint8_t>> decompressed;

  std::size_t size() const { return log_overhead + static_cast<std::size_t>(batch_length); }
  bool crc_ok() const { return crc == computed_crc; }
  codec compression() const {
    return static_cast<codec>(attributes & batch_attributes::codec_mask);
  }
  timestamp_type timestamps() const {
    return (attributes & batch_attributes::log_append_time) ? timestamp_type::log_append_time
                                                            : timestamp_type::create_time;
  }
  bool transactional() const { return (attributes & batch_attributes::transactional) != 0; }
  bool control() const { return (attributes & batch_attributes::control) != 0; }
  bool has_delete_horizon() const { return (attributes & batch_attributes::delete_horizon) != 0; }
  std::int64_t last_offset() const;
};

// Reads the one batch at the start of `data` (bytes after it are ignored). base_offset: where
// `data` starts in the enclosing input, for positions in errors. A batch cut short fails too.
result<record_batch> read_batch(std::span<const std::uint8_t> data,
                                const read_options& options = {}, std::size_t base_offset = 0);

struct read_batches_result {
  std::vector<record_batch> batches;
  std::size_t bytes_read = 0;  // of `data`, up to the end of the last complete batch
  // A batch cut short at the end of the input, with where and how: normal in Fetch responses
  // (the broker fills up to the byte limit), so not an error.
  std::optional<std::string> truncated;
  // The first batch that did not decode: reading stops there, the batches before it are kept.
  std::optional<kpipe::error> error;
};

// Reads the batches that fill `data`, one after the other.
read_batches_result read_batches(std::span<const std::uint8_t> data,
                                 const read_options& options = {}, std::size_t base_offset = 0);

}  // namespace kpipe::record
