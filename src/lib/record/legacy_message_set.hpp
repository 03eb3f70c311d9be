#pragma once
// Reads legacy message sets, magic 0 (Kafka 0.8-0.9) and magic 1 (0.10, KIP-32), which brokers
// still return for topics whose message format was never upgraded:
//
//   offset int64, size int32, crc uint32 (CRC-32, IEEE, of magic to the end), magic int8,
//   attributes int8 (bits 0-2 codec, bit 3 timestamp type for magic 1), timestamp int64
//   (magic 1 only), key bytes (int32 length, -1 null), value bytes (same).
//
// A compressed message is a wrapper: its value is a whole message set, compressed. Kafka allows
// one level of this; a compressed message inside a wrapper fails. Inner offsets of a magic 1
// wrapper are relative (KIP-31): the wrapper carries the absolute offset of its last inner
// message; magic 0 inner offsets are absolute. The reader returns the inner messages in place of
// their wrapper, with absolute offsets.
//
// Same conventions as record_batch.hpp: views into the input or into decompressed buffers that
// the result owns, CRC mismatches fail unless read_options says to flag them, decompression
// capped, errors with positions ("message at offset 40: key: need 10 bytes, 2 left at offset 66").

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "record/compression.hpp"
#include "record/read_options.hpp"
#include "record/record.hpp"
#include "util/result.hpp"

namespace kpipe::record {

namespace message_attributes {
inline constexpr std::int8_t codec_mask = 0x07;       // none, gzip, snappy, lz4 (zstd needs v2)
inline constexpr std::int8_t log_append_time = 0x08;  // magic 1 (KIP-32)
}  // namespace message_attributes

struct legacy_message {
  std::size_t position = 0;  // where the message, or for an inner one its wrapper, starts
  // Inner messages: where they start in their wrapper's decompressed value.
  std::optional<std::size_t> inner_position;
  std::int64_t offset = 0;  // absolute, also for inner messages
  std::int8_t magic = 0;
  std::int8_t attributes = 0;
  std::uint32_t crc = 0;  // as stored
  std::uint32_t computed_crc = 0;
  // Magic 1 only. An inner message of a wrapper with log-append time has the wrapper's, which
  // the broker sets only there (KIP-32).
  std::optional<std::int64_t> timestamp;
  std::optional<bytes_view> key;  // nullopt: null
  std::optional<bytes_view> value;

  bool crc_ok() const { return crc == computed_crc; }
  codec compression() const {
    return static_cast<codec>(attributes & message_attributes::codec_mask);
  }
  timestamp_type timestamps() const {
    return (magic >= 1 && (attributes & message_attributes::log_append_time))
               ? timestamp_type::log_append_time
               : timestamp_type::create_time;
  }
};

struct read_message_set_result {
  // Messages in order; compressed wrappers are replaced by their inner messages (unless read
  // with decode_records = false, which leaves wrappers as they are).
  std::vector<legacy_message> messages;
  // The decompressed wrapper values that inner messages view.
  std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> buffers;
  std::size_t bytes_read = 0;  // of `data`, up to the end of the last complete message
  // A message cut short at the end of the input (normal in Fetch responses): where and how.
  std::optional<std::string> truncated;
  // The first message that did not decode: reading stops there, those before it are kept.
  std::optional<kpipe::error> error;
};

// Reads the messages that fill `data`. base_offset: where `data` starts in the enclosing input,
// for positions in errors. A v2 batch among them stops reading with an error.
read_message_set_result read_message_set(std::span<const std::uint8_t> data,
                                         const read_options& options = {},
                                         std::size_t base_offset = 0);

}  // namespace kpipe::record
