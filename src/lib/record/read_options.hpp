#pragma once
// How the readers of record batches and legacy message sets treat what they find.

#include <cstddef>

namespace kpipe::record {

// 64 MiB: an absolute cap bounds memory, which is the point; a ratio to the compressed size would
// refuse real data (zstd squeezes repetitive logs well past 1000:1).
inline constexpr std::size_t default_max_decompressed_bytes = std::size_t{64} << 20;

struct read_options {
  // true (default): a batch or message whose CRC does not match fails to read, so that a
  // consumer never hands on corrupt data. false: it decodes like any other with crc_ok() false,
  // for `kpipe decode` to show both values.
  bool fail_on_crc_mismatch = true;
  // The most one batch's records (or one compressed message's value) may decompress to. Callers
  // that know better, e.g. from a fetch's byte limit, pass their own.
  std::size_t max_decompressed_bytes = default_max_decompressed_bytes;
  // false: headers only: records are not decoded and nothing is decompressed, e.g. to show a
  // batch whose records do not decode, or to skip batches cheaply.
  bool decode_records = true;
};

}  // namespace kpipe::record
