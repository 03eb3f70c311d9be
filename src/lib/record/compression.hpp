#pragma once
// The four codecs of Kafka record batches behind one small interface.
//
// Formats, as the Java client writes them:
// - gzip: a gzip stream (RFC 1952), via zlib;
// - snappy: xerial's snappy-java framing (a 16-byte header, then blocks of int32 length + raw
//   snappy); decompress() also accepts raw snappy, which librdkafka writes;
// - lz4: the LZ4 frame format; decompress() also accepts the wrong header checksum that Kafka
//   wrote in magic 0 messages before KIP-57 (KAFKA-3160);
// - zstd: a zstd frame (KIP-110).
//
// Decompression never trusts a size stated in the data: output grows as it is produced and a
// stream that would produce more than max_output bytes fails ("decompression bomb") before more
// than max_output + 1 bytes are held.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace kpipe::record {

// The values are the codec bits of the attributes of batches and messages.
enum class codec : std::uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// "none", "gzip", "snappy", "lz4", "zstd".
std::string_view codec_name(codec c);
// The inverse of codec_name; nullopt for an unknown name.
std::optional<codec> codec_from_name(std::string_view name);

// Asks each codec for its own default level (gzip 6, lz4 fast, zstd 3).
inline constexpr int default_compression_level = std::numeric_limits<int>::min();

// Fails (error_kind::protocol) on corrupt or truncated input and when the output would exceed
// max_output bytes.
result<std::vector<std::uint8_t>> decompress(codec c, std::span<const std::uint8_t> input,
                                             std::size_t max_output);

// Levels: gzip 0-9, lz4 0-17 (0 is the fast compressor, 3 and up LZ4 HC; lz4 caps at 12), zstd
// its own range (negative levels included); none and snappy have none. A level out of range
// fails with error_kind::usage.
result<std::vector<std::uint8_t>> compress(codec c, std::span<const std::uint8_t> input,
                                           int level = default_compression_level);
// The same, appending to `out` (its size grows by the compressed size; unchanged on failure):
// the producer compresses straight into a batch buffer it reuses. Safe to call from several
// threads at once.
status compress_append(codec c, std::span<const std::uint8_t> input, std::vector<std::uint8_t>& out,
                       int level = default_compression_level);

}  // namespace kpipe::record
