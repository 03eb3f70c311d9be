#pragma once
// Writes one record batch, magic 2 (KIP-98): records are encoded as they are added (zigzag
// varints), then build() compresses them as a whole, writes the header and fills in the length
// and the CRC32C (of attributes to the end). Simple and unbounded: a builder with a byte budget
// for the producer comes on top of it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "record/compression.hpp"
#include "record/record.hpp"
#include "util/result.hpp"

namespace kpipe::record {

struct record_input {
  std::optional<bytes_view> key;  // nullopt: null
  std::optional<bytes_view> value;
  std::span<const record_header> headers;
  std::int64_t timestamp = 0;  // milliseconds since the epoch
  // Default: the record's index in the batch. Must increase from record to record.
  std::optional<std::int32_t> offset_delta;
};

class batch_writer {
 public:
  void set_base_offset(std::int64_t v) { base_offset_ = v; }
  void set_partition_leader_epoch(std::int32_t v) { partition_leader_epoch_ = v; }
  // Idempotence and transactions (KIP-98): the id and epoch from InitProducerId and the
  // sequence number of the first record. Default -1, -1, -1: a plain producer.
  void set_producer(std::int64_t id, std::int16_t epoch, std::int32_t base_sequence);
  void set_transactional(bool v) { transactional_ = v; }
  void set_control(bool v) { control_ = v; }
  void set_timestamp_type(timestamp_type v) { timestamp_type_ = v; }
  void set_compression(codec c, int level = default_compression_level);

  void add(const record_input& record);
  // A transaction marker (abort or commit), as a transaction coordinator writes it: key version
  // 0 and type, value version 0 and coordinator epoch, no headers. Sets the control flag.
  void add_control(control_type type, std::int32_t coordinator_epoch, std::int64_t timestamp);

  std::size_t record_count() const { return count_; }
  std::size_t records_size() const { return records_.size(); }  // uncompressed, so far

  // The whole batch. Fails (error_kind::usage) on offset deltas that do not increase, a batch
  // beyond 2 GiB, or a compression level the codec refuses.
  result<std::vector<std::uint8_t>> build() const;

 private:
  std::int64_t base_offset_ = 0;
  std::int32_t partition_leader_epoch_ = -1;
  std::int64_t producer_id_ = -1;
  std::int16_t producer_epoch_ = -1;
  std::int32_t base_sequence_ = -1;
  bool transactional_ = false;
  bool control_ = false;
  timestamp_type timestamp_type_ = timestamp_type::create_time;
  codec codec_ = codec::none;
  int level_ = default_compression_level;

  std::vector<std::uint8_t> records_;
  std::size_t count_ = 0;
  std::int64_t base_timestamp_ = -1;
  std::int64_t max_timestamp_ = -1;
  std::int32_t last_offset_delta_ = -1;
  std::optional<kpipe::error> error_;  // the first misuse, reported by build()
};

}  // namespace kpipe::record
