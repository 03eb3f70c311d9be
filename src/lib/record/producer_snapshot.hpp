#pragma once
// A partition's producer state snapshot, `NNNN.snapshot` next to its segments: what the broker
// knows of each idempotent or transactional producer (KIP-98) as of offset NNNN, so that on
// restart it need not re-read the whole log to rebuild sequence numbers and open transactions.
// Layout (big-endian): version int16 (1), crc uint32 (CRC-32C of everything after it), then an
// int32 count of 46-byte entries: producer id int64, epoch int16, last sequence int32, last
// offset int64, offset delta int32, timestamp int64, coordinator epoch int32, first offset of
// the open transaction int64 (-1: none).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::record {

inline constexpr std::size_t producer_snapshot_entry_size = 46;

struct producer_snapshot_entry {
  std::int64_t producer_id = -1;
  std::int16_t epoch = -1;
  std::int32_t last_sequence = -1;
  std::int64_t last_offset = -1;
  // The last batch's record count minus one: its first sequence is last_sequence - offset_delta.
  std::int32_t offset_delta = 0;
  std::int64_t timestamp = -1;
  std::int32_t coordinator_epoch = -1;
  std::int64_t current_txn_first_offset = -1;

  std::int32_t first_sequence() const { return last_sequence - offset_delta; }
};

struct producer_snapshot {
  std::int16_t version = 0;
  std::uint32_t crc = 0;
  std::uint32_t computed_crc = 0;
  std::vector<producer_snapshot_entry> entries;
  // Set when the bytes are not a snapshot (too short, an unknown version, a count that does not
  // fit the file): what is wrong and at which byte offset.
  std::optional<std::string> error;
  std::size_t error_offset = 0;

  bool crc_ok() const { return crc == computed_crc; }
};

// By file suffix: ".snapshot".
bool is_producer_snapshot_name(std::string_view path);

producer_snapshot read_producer_snapshot(std::span<const std::uint8_t> data);

}  // namespace kpipe::record
