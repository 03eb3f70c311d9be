#include "record/compression.hpp"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>

namespace kpipe::record {
namespace {

using bytes = std::vector<std::uint8_t>;

kpipe::error corrupt(std::string_view what, std::string_view detail) {
  std::string message(what);
  message.append(": ").append(detail);
  return {error_kind::protocol, std::move(message)};
}

kpipe::error too_large(std::string_view what, std::size_t max_output) {
  return corrupt(what, "decompressed data exceeds the limit of " + std::to_string(max_output) +
                           " bytes (a decompression bomb, or raise the limit)");
}

kpipe::error bad_level(std::string_view what, int level) {
  std::string message(what);
  message.append(": unsupported compression level ").append(std::to_string(level));
  return {error_kind::usage, std::move(message)};
}

// An output buffer that grows as a decoder fills it, never beyond max_output + 1 bytes: holding
// one byte more than allowed is how a stream that goes over the limit is told from one that ends
// exactly at it.
class capped_output {
 public:
  capped_output(std::size_t input_size, std::size_t max_output)
      : max_output_(max_output),
        hard_limit_(max_output == SIZE_MAX ? max_output : max_output + 1),
        initial_(std::clamp<std::size_t>(input_size * 4, 4096, std::size_t{1} << 20)) {}

  // Makes room for more output; false once the limit is reached.
  bool grow() {
    if (buffer_.size() >= hard_limit_) return false;
    std::size_t next = std::max(initial_, buffer_.size() * 2);
    buffer_.resize(std::min(next, hard_limit_));
    return true;
  }
  std::uint8_t* free_space() { return buffer_.data() + used_; }
  std::size_t free_size() const { return buffer_.size() - used_; }
  void commit(std::size_t n) { used_ += n; }
  std::size_t used() const { return used_; }
  bool exceeded() const { return used_ > max_output_; }
  bytes take() {
    buffer_.resize(used_);
    return std::move(buffer_);
  }

 private:
  std::size_t max_output_;
  std::size_t hard_limit_;
  std::size_t initial_;
  std::size_t used_ = 0;
  bytes buffer_;
};

// ---- gzip ---------------------------------------------------------------------------------------

// zlib counts in uInt: larger buffers are fed in pieces.
constexpr std::size_t zlib_piece = UINT_MAX;

result<bytes> gzip_decompress(std::span<const std::uint8_t> input, std::size_t max_output) {
  z_stream zs{};
  // 15 + 32: a 32 KiB window and automatic detection of the gzip (or zlib) header.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return corrupt("gzip", "cannot initialise zlib");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  capped_output out(input.size(), max_output);
  std::size_t in_pos = 0;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < input.size()) {
      std::size_t n = std::min(input.size() - in_pos, zlib_piece);
      zs.next_in = const_cast<Bytef*>(input.data() + in_pos);  // zlib does not write to it
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (out.free_size() == 0 && !out.grow()) return too_large("gzip", max_output);
    std::size_t offered = std::min(out.free_size(), zlib_piece);
    zs.next_out = out.free_space();
    zs.avail_out = static_cast<uInt>(offered);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out.commit(offered - zs.avail_out);
    if (out.exceeded()) return too_large("gzip", max_output);
    if (rc == Z_STREAM_END) {
      // Several gzip members in a row decode as their concatenation (RFC 1952, as Java's
      // GZIPInputStream reads them); other bytes after a member are ignored, as Java does.
      std::size_t left = zs.avail_in + (input.size() - in_pos);
      const std::uint8_t* next = input.data() + (input.size() - left);
      if (left >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      return out.take();
    }
    if (rc == Z_BUF_ERROR ||
        (rc == Z_OK && zs.avail_in == 0 && in_pos == input.size() && zs.avail_out != 0)) {
      // No progress possible: the output had room, so the input ran out.
      return corrupt("gzip", "truncated stream");
    }
    if (rc != Z_OK) return corrupt("gzip", zs.msg ? zs.msg : "corrupt stream");
  }
}

result<bytes> gzip_compress(std::span<const std::uint8_t> input, int level) {
  if (level == default_compression_level) level = Z_DEFAULT_COMPRESSION;
  if (level != Z_DEFAULT_COMPRESSION && (level < 0 || level > 9)) return bad_level("gzip", level);
  z_stream zs{};
  // 15 + 16: a 32 KiB window and a gzip header and trailer rather than zlib's.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return corrupt("gzip", "cannot initialise zlib");
  }
  std::unique_ptr<z_stream, decltype(&deflateEnd)> guard(&zs, &deflateEnd);
  bytes out;
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min(input.size(), zlib_piece))));
  std::size_t in_pos = 0;
  std::size_t used = 0;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < input.size()) {
      std::size_t n = std::min(input.size() - in_pos, zlib_piece);
      zs.next_in = const_cast<Bytef*>(input.data() + in_pos);
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (used == out.size()) out.resize(out.size() * 2);
    std::size_t offered = std::min(out.size() - used, zlib_piece);
    zs.next_out = out.data() + used;
    zs.avail_out = static_cast<uInt>(offered);
    int flush = (in_pos == input.size()) ? Z_FINISH : Z_NO_FLUSH;
    int rc = deflate(&zs, flush);
    used += offered - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) return corrupt("gzip", "compression failed");
  }
  out.resize(used);
  return out;
}

// ---- snappy -------------------------------------------------------------------------------------

// snappy-java's stream header (SnappyCodec): magic, then int32 version and int32 compatible
// version, both 1.
constexpr std::uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t xerial_header_size = 16;
// snappy-java's default block size, which Kafka's SnappyOutputStream uses.
constexpr std::size_t xerial_block_size = 32 * 1024;

bool has_xerial_magic(std::span<const std::uint8_t> data) {
  return data.size() >= sizeof xerial_magic &&
         std::memcmp(data.data(), xerial_magic, sizeof xerial_magic) == 0;
}

// A snappy element produces at most 64 bytes from at least 3 input bytes (a copy with a 2-byte
// offset), so a raw block cannot expand more than 64/3 times: a larger stated length is a lie,
// refused before anything is allocated for it.
constexpr std::size_t snappy_max_expansion = 22;

// Appends one raw snappy block to out, within max_output in total.
kpipe::status snappy_raw_append(std::span<const std::uint8_t> block, bytes& out,
                                std::size_t max_output) {
  const char* src = reinterpret_cast<const char*>(block.data());
  std::size_t length = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &length)) {
    return corrupt("snappy", "invalid length header");
  }
  if (length > max_output - out.size()) return too_large("snappy", max_output);
  if (length / snappy_max_expansion > block.size()) {
    return corrupt("snappy", "stated length " + std::to_string(length) +
                                 " is impossible for a block of " + std::to_string(block.size()) +
                                 " bytes");
  }
  std::size_t start = out.size();
  out.resize(start + length);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(out.data() + start))) {
    return corrupt("snappy", "corrupt data");
  }
  return kpipe::success{};
}

std::uint32_t read_be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}

void write_be32(bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

result<bytes> snappy_decompress(std::span<const std::uint8_t> input, std::size_t max_output) {
  bytes out;
  if (!has_xerial_magic(input)) {
    // Raw snappy: what librdkafka writes. A valid raw stream never starts with the xerial magic:
    // after the length varint 0x82 'S', 'N' would be a copy, and a stream starts with a literal.
    auto st = snappy_raw_append(input, out, max_output);
    if (!st) return st.error();
    return out;
  }
  // The header's versions are not checked: snappy-java itself only ever wrote version 1, and
  // the blocks are raw snappy whatever they say.
  std::size_t pos = 0;
  while (pos < input.size()) {
    auto rest = input.subspan(pos);
    // snappy-java reads concatenated streams, each with its own header, as one.
    if (has_xerial_magic(rest)) {
      if (rest.size() < xerial_header_size) return corrupt("snappy", "truncated xerial header");
      pos += xerial_header_size;
      continue;
    }
    if (rest.size() < 4) {
      return corrupt("snappy", "truncated block length at offset " + std::to_string(pos));
    }
    std::uint32_t length = read_be32(rest.data());
    if (length > rest.size() - 4) {
      return corrupt("snappy", "block of " + std::to_string(length) + " bytes at offset " +
                                   std::to_string(pos) + " exceeds the " +
                                   std::to_string(rest.size() - 4) + " bytes left");
    }
    auto st = snappy_raw_append(rest.subspan(4, length), out, max_output);
    if (!st) return st.error();
    pos += 4 + length;
  }
  return out;
}

result<bytes> snappy_compress(std::span<const std::uint8_t> input, int level) {
  if (level != default_compression_level) return bad_level("snappy", level);
  bytes out(std::begin(xerial_magic), std::end(xerial_magic));
  write_be32(out, 1);  // version
  write_be32(out, 1);  // compatible version
  std::string block;
  for (std::size_t pos = 0; pos < input.size(); pos += xerial_block_size) {
    std::size_t n = std::min(xerial_block_size, input.size() - pos);
    block.clear();
    snappy::Compress(reinterpret_cast<const char*>(input.data() + pos), n, &block);
    write_be32(out, static_cast<std::uint32_t>(block.size()));
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

// ---- lz4 ----------------------------------------------------------------------------------------

constexpr std::uint8_t lz4_frame_magic[4] = {0x04, 0x22, 0x4d, 0x18};

std::uint32_t rotl32(std::uint32_t v, int r) { return (v << r) | (v >> (32 - r)); }

// XXH32 with seed 0, to check and fix frame header checksums (liblz4 keeps its xxHash to itself).
std::uint32_t xxh32(const std::uint8_t* p, std::size_t len) {
  constexpr std::uint32_t p1 = 2654435761u, p2 = 2246822519u, p3 = 3266489917u, p4 = 668265263u,
                          p5 = 374761393u;
  auto read32 = [p](std::size_t i) {
    return static_cast<std::uint32_t>(p[i]) | static_cast<std::uint32_t>(p[i + 1]) << 8 |
           static_cast<std::uint32_t>(p[i + 2]) << 16 | static_cast<std::uint32_t>(p[i + 3]) << 24;
  };
  auto round = [](std::uint32_t acc, std::uint32_t input) {
    return rotl32(acc + input * p2, 13) * p1;
  };
  std::size_t i = 0;
  std::uint32_t h = 0;
  if (len >= 16) {
    std::uint32_t v1 = p1 + p2, v2 = p2, v3 = 0, v4 = 0 - p1;
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, read32(i));
      v2 = round(v2, read32(i + 4));
      v3 = round(v3, read32(i + 8));
      v4 = round(v4, read32(i + 12));
    }
    h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
  } else {
    h = p5;
  }
  h += static_cast<std::uint32_t>(len);
  for (; i + 4 <= len; i += 4) h = rotl32(h + read32(i) * p3, 17) * p4;
  for (; i < len; ++i) h = rotl32(h + p[i] * p5, 11) * p1;
  h ^= h >> 15;
  h *= p2;
  h ^= h >> 13;
  h *= p3;
  h ^= h >> 16;
  return h;
}

// Kafka before KIP-57 (0.10, magic 0 messages) computed the frame header checksum over the magic
// number too (KAFKA-3160). When the checksum in `input` is that wrong one, returns a copy of the
// header with the right one, to be fed to liblz4 in place of the original header bytes.
std::optional<bytes> fixed_legacy_lz4_header(std::span<const std::uint8_t> input) {
  if (input.size() < 7 || std::memcmp(input.data(), lz4_frame_magic, 4) != 0) return {};
  std::uint8_t flags = input[4];
  std::size_t descriptor = 2 + ((flags & 0x08) ? 8 : 0) + ((flags & 0x01) ? 4 : 0);
  std::size_t checksum_at = 4 + descriptor;
  if (input.size() <= checksum_at) return {};
  auto header_checksum = [](const std::uint8_t* p, std::size_t n) {
    return static_cast<std::uint8_t>((xxh32(p, n) >> 8) & 0xFF);
  };
  std::uint8_t stored = input[checksum_at];
  std::uint8_t right = header_checksum(input.data() + 4, descriptor);
  if (stored == right || stored != header_checksum(input.data(), checksum_at)) return {};
  bytes header(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(checksum_at + 1));
  header.back() = right;
  return header;
}

result<bytes> lz4_decompress(std::span<const std::uint8_t> input, std::size_t max_output) {
  LZ4F_dctx* raw_ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw_ctx, LZ4F_VERSION))) {
    return corrupt("lz4", "cannot create a decompression context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(
      raw_ctx, &LZ4F_freeDecompressionContext);
  capped_output out(input.size(), max_output);

  // The input in up to two pieces: a corrected legacy header, then the rest.
  auto fixed = fixed_legacy_lz4_header(input);
  std::span<const std::uint8_t> pieces[2] = {{}, input};
  if (fixed) {
    pieces[0] = *fixed;
    pieces[1] = input.subspan(fixed->size());
  }
  std::size_t piece = fixed ? 0 : 1;
  std::size_t pos = 0;
  bool frame_done = false;
  for (;;) {
    while (piece < 2 && pos == pieces[piece].size()) {
      ++piece;
      pos = 0;
    }
    bool input_left = piece < 2;
    if (frame_done && !input_left) return out.take();
    if (out.free_size() == 0 && !out.grow()) return too_large("lz4", max_output);
    std::size_t src_size = input_left ? pieces[piece].size() - pos : 0;
    std::size_t dst_size = out.free_size();
    std::size_t offered = dst_size;
    std::size_t hint =
        LZ4F_decompress(ctx.get(), out.free_space(), &dst_size,
                        input_left ? pieces[piece].data() + pos : nullptr, &src_size, nullptr);
    if (LZ4F_isError(hint)) return corrupt("lz4", LZ4F_getErrorName(hint));
    pos += src_size;
    out.commit(dst_size);
    if (out.exceeded()) return too_large("lz4", max_output);
    // 0: a frame ended; more input would be another frame (the format allows concatenation).
    frame_done = hint == 0;
    if (!frame_done && !input_left && dst_size < offered) {
      return corrupt("lz4", "truncated frame");
    }
  }
}

// Appends the lz4 frame of input to out.
status lz4_compress_append(std::span<const std::uint8_t> input, int level, bytes& out) {
  if (level == default_compression_level) level = 0;
  if (level < 0 || level > 17) return bad_level("lz4", level);
  LZ4F_preferences_t prefs{};
  // As Kafka's KafkaLZ4BlockOutputStream and librdkafka write: 64 KiB independent blocks, no
  // checksums beyond the header's, no content size.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level;
  std::size_t at = out.size();
  out.resize(at + LZ4F_compressFrameBound(input.size(), &prefs));
  std::size_t n =
      LZ4F_compressFrame(out.data() + at, out.size() - at, input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(at);
    return corrupt("lz4", LZ4F_getErrorName(n));
  }
  out.resize(at + n);
  return success{};
}

// ---- zstd ---------------------------------------------------------------------------------------

result<bytes> zstd_decompress(std::span<const std::uint8_t> input, std::size_t max_output) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!ctx) return corrupt("zstd", "cannot create a decompression context");
  // The window a frame asks for is bounded by zstd's default limit (2^27, what the Java client
  // and librdkafka accept too), not by max_output: a producer at level 22 asks for 2^27 whatever
  // the size of its data. Output is what the cap bounds.
  capped_output out(input.size(), max_output);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  for (;;) {
    if (out.free_size() == 0 && !out.grow()) return too_large("zstd", max_output);
    ZSTD_outBuffer o{out.free_space(), out.free_size(), 0};
    std::size_t hint = ZSTD_decompressStream(ctx.get(), &o, &in);
    if (ZSTD_isError(hint)) return corrupt("zstd", ZSTD_getErrorName(hint));
    out.commit(o.pos);
    if (out.exceeded()) return too_large("zstd", max_output);
    bool input_done = in.pos == in.size;
    // 0: a frame ended and everything is flushed; more input would be another frame.
    if (hint == 0 && input_done) return out.take();
    if (hint != 0 && input_done && o.pos < o.size) return corrupt("zstd", "truncated frame");
  }
}

// Appends the zstd frame of input to out. The context is kept per thread: a fresh one would
// allocate and clear its tables (over a megabyte at level 3) for every batch.
status zstd_compress_append(std::span<const std::uint8_t> input, int level, bytes& out) {
  if (level == default_compression_level) level = ZSTD_CLEVEL_DEFAULT;
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) return bad_level("zstd", level);
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(),
                                                                        &ZSTD_freeCCtx);
  if (!ctx) return corrupt("zstd", "cannot create a compression context");
  std::size_t at = out.size();
  out.resize(at + ZSTD_compressBound(input.size()));
  std::size_t n = ZSTD_compressCCtx(ctx.get(), out.data() + at, out.size() - at, input.data(),
                                    input.size(), level);
  if (ZSTD_isError(n)) {
    out.resize(at);
    return corrupt("zstd", ZSTD_getErrorName(n));
  }
  out.resize(at + n);
  return success{};
}

}  // namespace

std::string_view codec_name(codec c) {
  switch (c) {
    case codec::none:
      return "none";
    case codec::gzip:
      return "gzip";
    case codec::snappy:
      return "snappy";
    case codec::lz4:
      return "lz4";
    case codec::zstd:
      return "zstd";
  }
  return "unknown";
}

std::optional<codec> codec_from_name(std::string_view name) {
  for (codec c : {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd}) {
    if (codec_name(c) == name) return c;
  }
  return std::nullopt;
}

result<std::vector<std::uint8_t>> decompress(codec c, std::span<const std::uint8_t> input,
                                             std::size_t max_output) {
  switch (c) {
    case codec::none:
      if (input.size() > max_output) return too_large("none", max_output);
      return bytes(input.begin(), input.end());
    case codec::gzip:
      return gzip_decompress(input, max_output);
    case codec::snappy:
      return snappy_decompress(input, max_output);
    case codec::lz4:
      return lz4_decompress(input, max_output);
    case codec::zstd:
      return zstd_decompress(input, max_output);
  }
  return corrupt("decompress", "unknown codec " + std::to_string(static_cast<int>(c)));
}

status compress_append(codec c, std::span<const std::uint8_t> input, std::vector<std::uint8_t>& out,
                       int level) {
  auto append = [&](result<bytes> done) -> status {
    if (!done) return done.error();
    out.insert(out.end(), done->begin(), done->end());
    return success{};
  };
  switch (c) {
    case codec::none:
      if (level != default_compression_level) return bad_level("none", level);
      out.insert(out.end(), input.begin(), input.end());
      return success{};
    case codec::gzip:
      return append(gzip_compress(input, level));
    case codec::snappy:
      return append(snappy_compress(input, level));
    case codec::lz4:
      return lz4_compress_append(input, level, out);
    case codec::zstd:
      return zstd_compress_append(input, level, out);
  }
  return kpipe::error{error_kind::usage,
                      "compress: unknown codec " + std::to_string(static_cast<int>(c))};
}

result<std::vector<std::uint8_t>> compress(codec c, std::span<const std::uint8_t> input,
                                           int level) {
  bytes out;
  if (auto done = compress_append(c, input, out, level); !done) return done.error();
  return out;
}

}  // namespace kpipe::record
