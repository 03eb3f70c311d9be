#pragma once
// The framing every Kafka log entry shares, whatever its magic: offset int64, length int32 (of
// what follows), and at byte 16 the magic (the CRC of magic 0/1 and the partition leader epoch of
// v2 both take bytes 12-15). A buffer of record sets (a Fetch response's records) is cut into
// entries by this alone; the magic then says which reader decodes an entry.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace kpipe::record {

inline constexpr std::size_t log_overhead = 12;  // offset + length
inline constexpr std::size_t magic_offset = 16;
// The smallest length any entry can state: a magic 0 message (crc, magic, attributes, key
// length, value length), Java's LegacyRecord.RECORD_OVERHEAD_V0.
inline constexpr std::int32_t min_entry_length = 14;

enum class frame_status {
  complete,   // `size` bytes, `magic` is known
  truncated,  // the input ends inside the entry: normal at the end of a Fetch response
  corrupt,    // the length is impossible
};

struct frame {
  frame_status status = frame_status::complete;
  std::size_t size = 0;  // log_overhead + length, when complete
  std::int8_t magic = 0;
  std::string message;  // why, when not complete: "need 70 bytes ..., 40 left at offset 130"
};

// Looks at the entry at the start of `data`; `at` is where data starts in the whole input, for
// the message. Decides as the Java client's ByteBufferLogInputStream does.
frame check_frame(std::span<const std::uint8_t> data, std::size_t at);

}  // namespace kpipe::record
