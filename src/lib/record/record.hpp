#pragma once
// One record as a reader sees it: the values shared by record batches (v2) and what their writer
// takes. Keys, values and headers are views into the input or into a batch's decompressed
// records: they live as long as those bytes do.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace kpipe::record {

using bytes_view = std::span<const std::uint8_t>;

// Attribute bit 3 of batches (and of magic 1 messages, KIP-32).
enum class timestamp_type : std::uint8_t { create_time = 0, log_append_time = 1 };

// Headers (KIP-82): the key is a string that is never null, the value may be.
struct record_header {
  std::string_view key;
  std::optional<bytes_view> value;
};

// The key of a control record (KIP-98): version, then this type.
enum class control_type : std::int16_t {
  abort = 0,
  commit = 1,
  leader_change = 2,    // KRaft (KIP-595)
  snapshot_header = 3,  // KRaft snapshots (KIP-630)
  snapshot_footer = 4,
  kraft_voters = 5,  // KIP-853
  kraft_version = 6,
};

// A control record's key and, for transaction markers (abort, commit), its value (the
// EndTxnMarker: version, coordinator epoch). Other types keep the value as record::value only.
struct control_record {
  std::int16_t version = 0;
  control_type type = control_type::abort;
  std::optional<std::int16_t> marker_version;
  std::optional<std::int32_t> coordinator_epoch;
};

struct record {
  std::int8_t attributes = 0;  // unused by Kafka so far
  std::int64_t timestamp_delta = 0;
  std::int32_t offset_delta = 0;
  std::int64_t offset = 0;  // the batch's base offset + offset_delta
  // The batch's base timestamp + timestamp_delta; the batch's max timestamp when the batch has
  // log-append time, which the broker sets only there (KIP-32).
  std::int64_t timestamp = 0;
  std::optional<bytes_view> key;  // nullopt: null
  std::optional<bytes_view> value;
  std::vector<record_header> headers;
  std::optional<control_record> control;  // set in control batches only
};

}  // namespace kpipe::record
