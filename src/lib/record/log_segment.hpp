#pragma once
// Reading a broker's log segment (`NNNNNNNNNNNNNNNNNNNN.log`): the entries that fill it, one
// after the other, as the broker appended them. A pure reader over bytes: the caller maps or
// reads the file, and decodes each entry with read_batch (magic 2) or read_message_set (magic
// 0/1), which already check every length, cap decompression and compute the CRC.
//
// What this adds to those readers is what only a segment needs:
// - telling a batch cut short at the end of the file (a broker that crashed mid-append: Kafka
//   truncates it on recovery, so it is expected, not corruption) from an impossible length;
// - finding the next position where a v2 batch header checks out (its CRC32C matches), to go on
//   after damage (`--keep-going`);
// - the segment's base offset from its file name, and the aborted transactions its control
//   batches record (KIP-98), which a `.txnindex` must list.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "record/record.hpp"
#include "record/record_batch.hpp"

namespace kpipe::record {

enum class segment_entry_status {
  complete,   // `size` bytes from `position`, `magic` known
  truncated,  // the file ends inside this entry (reported, not an error)
  corrupt,    // an impossible length or an unknown magic
};

struct segment_entry {
  segment_entry_status status = segment_entry_status::complete;
  std::size_t position = 0;
  std::size_t size = 0;  // whole entry when complete; the bytes left when truncated
  std::int8_t magic = 0;
  std::string message;  // why, when not complete
};

// Looks at the entry starting at `position` of `segment` (position < segment.size()).
segment_entry probe_segment_entry(std::span<const std::uint8_t> segment, std::size_t position);

// The first position after `from` where a complete v2 batch starts whose stored CRC32C matches
// its bytes; nullopt when there is none before the end. A random 4-byte match is 1 in 2^32, and
// the magic and length must also fit, so a position found this way is a real batch boundary.
std::optional<std::size_t> find_next_valid_batch(std::span<const std::uint8_t> segment,
                                                 std::size_t from);

// "00000000000000001234.log" (any directory, any suffix) -> 1234; nullopt when the name is not
// 20 digits and a suffix, as Kafka names segment files.
std::optional<std::int64_t> segment_base_offset_from_name(std::string_view path);

// An aborted transaction as a `.txnindex` records it (Kafka's AbortedTxn): the producer, the
// first offset of its transaction, the offset of the abort marker (last_offset) and the last
// stable offset when the marker was written (which the segment alone cannot tell).
struct aborted_transaction {
  std::int64_t producer_id = -1;
  std::optional<std::int64_t> first_offset;  // nullopt: the transaction began in an earlier segment
  std::int64_t last_offset = 0;
};

// Follows transactions through a segment's batches (in file order): a transactional batch opens
// its producer's transaction, a control batch with an abort or commit marker ends it.
class transaction_tracker {
 public:
  // Batches read with or without their records: a control batch's marker type is read from its
  // first record key when the records were decoded, else from the raw records section (control
  // batches are never compressed).
  void observe(const record_batch& batch);
  const std::vector<aborted_transaction>& aborted() const { return aborted_; }

 private:
  std::map<std::int64_t, std::int64_t> open_;  // producer id -> first offset
  std::vector<aborted_transaction> aborted_;
};

// The marker type of a control batch (the control record key: version int16, type int16), from
// the decoded records or the raw records section; nullopt when it cannot be read.
std::optional<control_type> control_batch_type(const record_batch& batch);

}  // namespace kpipe::record
