#pragma once
// A log segment's index files, as the broker writes them next to `NNNN.log` (all big-endian):
//
//   .index      relative offset int32, position int32 (8 bytes): the batch at `position` of the
//               segment holds offsets up to base + relative offset (Kafka's OffsetIndex);
//   .timeindex  timestamp int64, relative offset int32 (12 bytes): the largest timestamp so far
//               and the offset it belongs to (KIP-33, TimeIndex);
//   .txnindex   version int16 (0), producer id int64, first offset int64, last offset int64,
//               last stable offset int64 (34 bytes): one aborted transaction (KIP-98).
//
// The broker preallocates the offset and time index of the active segment and fills the rest
// with zeros; an all-zero entry (after the first one, in an offset index) is that unused tail.
//
// index_verifier checks index entries against the segment's batches, fed in file order, with
// memory bounded by the index files (never by the segment).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "record/log_segment.hpp"

namespace kpipe::record {

enum class index_kind { offset, time, transaction };

inline constexpr std::size_t offset_index_entry_size = 8;
inline constexpr std::size_t time_index_entry_size = 12;
inline constexpr std::size_t transaction_index_entry_size = 34;

// By file suffix: ".index", ".timeindex", ".txnindex"; nullopt otherwise.
std::optional<index_kind> index_kind_from_name(std::string_view path);
std::size_t index_entry_size(index_kind kind);

struct offset_index_entry {
  std::int64_t offset = 0;  // absolute: the segment's base offset + the relative one
  std::int32_t relative_offset = 0;
  std::int32_t position = 0;
};

struct time_index_entry {
  std::int64_t timestamp = 0;
  std::int64_t offset = 0;  // absolute
  std::int32_t relative_offset = 0;
};

struct transaction_index_entry {
  std::int16_t version = 0;
  std::int64_t producer_id = 0;
  std::int64_t first_offset = 0;
  std::int64_t last_offset = 0;
  std::int64_t last_stable_offset = 0;
};

template <typename Entry>
struct index_read_result {
  std::vector<Entry> entries;
  std::size_t unused_entries = 0;  // the zero-filled preallocated tail
  // A size that is not a multiple of the entry size: the bytes left over (they are not read).
  std::size_t trailing_bytes = 0;
};

index_read_result<offset_index_entry> read_offset_index(std::span<const std::uint8_t> data,
                                                        std::int64_t base_offset);
index_read_result<time_index_entry> read_time_index(std::span<const std::uint8_t> data,
                                                    std::int64_t base_offset);
index_read_result<transaction_index_entry> read_transaction_index(
    std::span<const std::uint8_t> data);

// What the verifier needs of a batch (v2 or a legacy top-level message).
struct batch_bounds {
  std::size_t position = 0;
  std::int64_t base_offset = 0;
  std::int64_t last_offset = 0;
  std::int64_t max_timestamp = -1;
};

// Checks, as the batches go by:
// - offset index: each entry's position is where a batch starts, that batch's base offset is at
//   most the entry's offset, and the entry's offset lies in a batch from that position up to the
//   next entry's (one append may write several batches; the entry names the last offset);
//   positions and offsets increase;
// - time index: timestamps never decrease, and each entry's timestamp is the max timestamp of
//   the batch that holds its offset;
// - transaction index: with finish(), the entries are exactly the aborted transactions seen (by
//   producer id and last offset; first offset too when the transaction began in this segment).
// Problems are sentences naming the index file's entry number.
class index_verifier {
 public:
  void set_offset_index(std::vector<offset_index_entry> entries);
  void set_time_index(std::vector<time_index_entry> entries);
  void set_transaction_index(std::vector<transaction_index_entry> entries);
  void observe(const batch_bounds& batch);
  // Entries never matched, and the transaction index against `aborted`.
  void finish(const std::vector<aborted_transaction>& aborted);
  const std::vector<std::string>& problems() const { return problems_; }
  std::size_t checked_entries() const { return checked_; }

 private:
  void observe_offset(const batch_bounds& batch);
  void observe_time(const batch_bounds& batch);

  std::vector<offset_index_entry> offsets_;
  std::size_t next_offset_ = 0;
  bool offset_boundary_seen_ = false;
  std::vector<time_index_entry> times_;
  std::size_t next_time_ = 0;
  std::optional<std::vector<transaction_index_entry>> transactions_;
  std::vector<std::string> problems_;
  std::size_t checked_ = 0;
};

}  // namespace kpipe::record
