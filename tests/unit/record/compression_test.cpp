// The codecs: round trips (empty, small, 1 MiB), levels, caps and decompression bombs, corrupt
// and truncated input, xerial snappy framing as snappy-java writes it, raw snappy, concatenated
// streams, and lz4's legacy header checksum (KAFKA-3160).

#include "record/compression.hpp"

#include <gtest/gtest.h>
#include <snappy.h>

#include <string>
#include <vector>

#include "record/record_test_support.hpp"

namespace kpipe::record {
namespace {

using testing_support::bytes;
using testing_support::compressible_bytes;
using testing_support::random_bytes;
using testing_support::to_bytes;

const codec all_codecs[] = {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd};
const codec real_codecs[] = {codec::gzip, codec::snappy, codec::lz4, codec::zstd};

bytes compressed(codec c, const bytes& data, int level = default_compression_level) {
  auto out = compress(c, data, level);
  EXPECT_TRUE(out.ok()) << codec_name(c) << ": " << (out.ok() ? "" : out.error().message);
  return out.ok() ? out.value() : bytes{};
}

void expect_round_trip(codec c, const bytes& data, int level = default_compression_level) {
  SCOPED_TRACE(::testing::Message()
               << codec_name(c) << " level " << level << " size " << data.size());
  bytes packed = compressed(c, data, level);
  auto back = decompress(c, packed, data.size());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back.value(), data);
}

bool is_limit_error(const result<bytes>& r) {
  return !r.ok() && r.error().message.find("exceeds the limit") != std::string::npos;
}

TEST(Compression, NamesRoundTrip) {
  for (codec c : all_codecs) EXPECT_EQ(codec_from_name(codec_name(c)), c);
  EXPECT_FALSE(codec_from_name("brotli").has_value());
  EXPECT_EQ(static_cast<int>(codec::zstd), 4);
}

TEST(Compression, RoundTripsEmptySmallAndOneMebibyte) {
  for (codec c : all_codecs) {
    expect_round_trip(c, {});
    expect_round_trip(c, to_bytes("x"));
    expect_round_trip(c, to_bytes("hello, hello, hello, kafka"));
    expect_round_trip(c, compressible_bytes(std::size_t{1} << 20, 1));
    expect_round_trip(c, random_bytes(std::size_t{1} << 20, 2));
  }
}

TEST(Compression, CompressesWhatCompresses) {
  bytes data = compressible_bytes(std::size_t{1} << 20, 3);
  for (codec c : real_codecs) {
    EXPECT_LT(compressed(c, data).size(), data.size() / 2) << codec_name(c);
  }
}

TEST(Compression, LevelsInRangeRoundTripAndOthersAreRefused) {
  bytes data = compressible_bytes(100000, 4);
  for (int level : {0, 1, 6, 9}) expect_round_trip(codec::gzip, data, level);
  for (int level : {0, 1, 3, 9, 12, 17}) expect_round_trip(codec::lz4, data, level);
  for (int level : {-5, 1, 3, 19}) expect_round_trip(codec::zstd, data, level);
  for (auto [c, level] : std::vector<std::pair<codec, int>>{{codec::gzip, 10},
                                                            {codec::gzip, -2},
                                                            {codec::lz4, 18},
                                                            {codec::lz4, -1},
                                                            {codec::zstd, 23},
                                                            {codec::snappy, 1},
                                                            {codec::none, 1}}) {
    auto out = compress(c, data, level);
    ASSERT_FALSE(out.ok()) << codec_name(c) << " " << level;
    EXPECT_EQ(out.error().kind, error_kind::usage);
    EXPECT_NE(out.error().message.find("level"), std::string::npos);
  }
}

TEST(Compression, OutputExactlyAtTheCapPassesOneByteMoreFails) {
  bytes data = compressible_bytes(300000, 5);
  for (codec c : all_codecs) {
    SCOPED_TRACE(codec_name(c));
    bytes packed = compressed(c, data);
    EXPECT_TRUE(decompress(c, packed, data.size()).ok());
    EXPECT_TRUE(is_limit_error(decompress(c, packed, data.size() - 1)));
    EXPECT_TRUE(is_limit_error(decompress(c, packed, 0)));
  }
  for (codec c : all_codecs) {
    auto empty = decompress(c, compressed(c, {}), 0);
    ASSERT_TRUE(empty.ok()) << codec_name(c);
    EXPECT_TRUE(empty.value().empty());
  }
}

TEST(Compression, DecompressionBombsAreRefusedAtTheCap) {
  // 100 MiB of zeros: each codec squeezes it into well under a MiB.
  bytes zeros(std::size_t{100} << 20, 0);
  constexpr std::size_t cap = std::size_t{1} << 20;
  for (codec c : real_codecs) {
    SCOPED_TRACE(codec_name(c));
    bytes bomb = compressed(c, zeros, c == codec::gzip ? 1 : default_compression_level);
    EXPECT_LT(bomb.size(), zeros.size() / 20);
    auto out = decompress(c, bomb, cap);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().kind, error_kind::protocol);
    EXPECT_NE(out.error().message.find("exceeds the limit of 1048576 bytes"), std::string::npos)
        << out.error().message;
  }
}

TEST(Compression, RawSnappyStatingAHugeLengthFailsBeforeAllocating) {
  // A raw snappy block of 100 MiB of zeros states its length up front.
  bytes zeros(std::size_t{100} << 20, 0);
  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(zeros.data()), zeros.size(), &raw);
  auto out = decompress(codec::snappy, to_bytes(raw), std::size_t{1} << 20);
  EXPECT_TRUE(is_limit_error(out));
  // A length that no snappy data of this size can produce is a lie, whatever the cap.
  bytes liar = {0x80, 0x80, 0x80, 0x40, 0x00};  // 128 MiB stated, then a 1-byte literal
  auto lie = decompress(codec::snappy, liar, SIZE_MAX);
  ASSERT_FALSE(lie.ok());
  EXPECT_NE(lie.error().message.find("impossible"), std::string::npos) << lie.error().message;
}

// A stream framed as snappy-java's SnappyOutputStream frames it: magic, version 1, compatible
// version 1, then blocks of (int32 big-endian length, raw snappy) of up to 32 KiB of input.
bytes xerial_frame(const bytes& data, std::size_t block) {
  bytes out = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  for (std::size_t pos = 0; pos < data.size(); pos += block) {
    std::string raw;
    snappy::Compress(reinterpret_cast<const char*>(data.data() + pos),
                     std::min(block, data.size() - pos), &raw);
    auto n = static_cast<std::uint32_t>(raw.size());
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(n >> shift));
    out.insert(out.end(), raw.begin(), raw.end());
  }
  return out;
}

TEST(Compression, SnappyReadsXerialFramingAsJavaWritesIt) {
  bytes data = compressible_bytes(100000, 6);
  auto out = decompress(codec::snappy, xerial_frame(data, 32 * 1024), data.size());
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out.value(), data);
  // Odd block sizes too, and a header with no blocks at all.
  auto odd = decompress(codec::snappy, xerial_frame(data, 1000), data.size());
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd.value(), data);
  auto empty = decompress(codec::snappy, xerial_frame({}, 1000), 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value().empty());
}

TEST(Compression, SnappyWritesXerialFramingWith32KiBBlocks) {
  bytes data = compressible_bytes(100000, 7);
  bytes packed = compressed(codec::snappy, data);
  EXPECT_EQ(packed, xerial_frame(data, 32 * 1024));
}

TEST(Compression, SnappyReadsConcatenatedXerialStreamsAndRawSnappy) {
  bytes a = compressible_bytes(5000, 8), b = compressible_bytes(7000, 9);
  bytes stream = xerial_frame(a, 32 * 1024);
  bytes second = xerial_frame(b, 32 * 1024);
  stream.insert(stream.end(), second.begin(), second.end());
  auto out = decompress(codec::snappy, stream, a.size() + b.size());
  ASSERT_TRUE(out.ok()) << out.error().message;
  bytes ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  EXPECT_EQ(out.value(), ab);

  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(a.data()), a.size(), &raw);
  auto plain = decompress(codec::snappy, to_bytes(raw), a.size());
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain.value(), a);
}

TEST(Compression, XerialBlockBeyondTheInputFails) {
  bytes stream = xerial_frame(compressible_bytes(5000, 10), 32 * 1024);
  stream.pop_back();
  auto out = decompress(codec::snappy, stream, 10000);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("exceeds the"), std::string::npos) << out.error().message;
}

TEST(Compression, GzipReadsConcatenatedMembersAndIgnoresTrailingBytes) {
  bytes a = to_bytes("first member "), b = to_bytes("second member");
  bytes stream = compressed(codec::gzip, a);
  bytes second = compressed(codec::gzip, b);
  stream.insert(stream.end(), second.begin(), second.end());
  auto out = decompress(codec::gzip, stream, 100);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(testing_support::to_string(out.value()), "first member second member");
  // Bytes after the last member that start no new one are ignored, as Java's GZIPInputStream does.
  stream.push_back(0);
  stream.push_back(0);
  EXPECT_TRUE(decompress(codec::gzip, stream, 100).ok());
}

TEST(Compression, Lz4AndZstdReadConcatenatedFrames) {
  for (codec c : {codec::lz4, codec::zstd}) {
    bytes stream = compressed(c, to_bytes("one "));
    bytes second = compressed(c, to_bytes("two"));
    stream.insert(stream.end(), second.begin(), second.end());
    auto out = decompress(c, stream, 100);
    ASSERT_TRUE(out.ok()) << codec_name(c) << ": " << out.error().message;
    EXPECT_EQ(testing_support::to_string(out.value()), "one two");
  }
}

TEST(Compression, EveryStrictPrefixOfAFrameFails) {
  bytes data = compressible_bytes(20000, 11);
  for (codec c : {codec::gzip, codec::lz4, codec::zstd}) {
    bytes packed = compressed(c, data);
    for (std::size_t n = 0; n < packed.size(); ++n) {
      auto out = decompress(c, std::span<const std::uint8_t>(packed).first(n), data.size());
      ASSERT_FALSE(out.ok()) << codec_name(c) << " prefix " << n;
      EXPECT_EQ(out.error().kind, error_kind::protocol);
    }
  }
  // xerial snappy has no end marker: a prefix ending at a block boundary is a shorter stream.
  // Every other prefix fails, and none crashes.
  bytes packed = compressed(codec::snappy, data);
  for (std::size_t n = 0; n < packed.size(); ++n) {
    auto out =
        decompress(codec::snappy, std::span<const std::uint8_t>(packed).first(n), data.size());
    if (out.ok()) {
      EXPECT_LT(out.value().size(), data.size());
    }
  }
}

TEST(Compression, GarbageFailsCleanly) {
  bytes garbage = random_bytes(1000, 12);
  for (codec c : real_codecs) {
    auto out = decompress(c, garbage, 1 << 20);
    ASSERT_FALSE(out.ok()) << codec_name(c);
    EXPECT_EQ(out.error().kind, error_kind::protocol);
    EXPECT_EQ(out.error().message.rfind(std::string(codec_name(c)) + ": ", 0), 0u)
        << out.error().message;
  }
}

TEST(Compression, RandomByteFlipsNeverCrash) {
  bytes data = compressible_bytes(20000, 13);
  std::mt19937 rng(2024);
  for (codec c : real_codecs) {
    bytes packed = compressed(c, data);
    for (int i = 0; i < 500; ++i) {
      bytes mutated = packed;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        mutated[rng() % mutated.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      }
      auto out = decompress(c, mutated, data.size() * 2);
      if (out.ok()) {
        EXPECT_LE(out.value().size(), data.size() * 2);
      }
    }
  }
}

// The header checksum of an lz4 frame is (XXH32(descriptor) >> 8) & 0xFF; Kafka's magic 0 writer
// hashed the magic number too (KAFKA-3160). The checksums below, right and wrong, were computed
// with python3-xxhash (tests/support/data/record/README.md).
bytes with_header(const bytes& frame, const bytes& header) {
  bytes out = header;
  out.insert(out.end(), frame.begin() + 7, frame.end());  // the original header is 7 bytes
  return out;
}

TEST(Compression, Lz4AcceptsKafkasLegacyHeaderChecksum) {
  bytes data = compressible_bytes(5000, 14);
  bytes packed = compressed(codec::lz4, data);
  // Flags 0x60 (version 1, independent blocks), BD 0x40 (64 KiB blocks), checksum 0x82.
  ASSERT_EQ(bytes(packed.begin(), packed.begin() + 7),
            (bytes{0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82}));
  auto decodes = [&](const bytes& frame) {
    auto out = decompress(codec::lz4, frame, data.size());
    return out.ok() && out.value() == data;
  };
  EXPECT_TRUE(decodes(with_header(packed, {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x1a})));
  // With a content size (5000) and a dictionary id (01020304): a descriptor of 14 bytes, so that
  // the wrong checksum hashes 18.
  bytes long_header = {0x04, 0x22, 0x4d, 0x18, 0x69, 0x40, 0x88, 0x13, 0,
                       0,    0,    0,    0,    0,    1,    2,    3,    4};
  bytes right = long_header, wrong = long_header;
  right.push_back(0xad);
  wrong.push_back(0xf3);
  EXPECT_TRUE(decodes(with_header(packed, right)));
  EXPECT_TRUE(decodes(with_header(packed, wrong)));
  // Any other checksum still fails.
  EXPECT_FALSE(decodes(with_header(packed, {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x11})));
  long_header.push_back(0x11);
  EXPECT_FALSE(decodes(with_header(packed, long_header)));
}

}  // namespace
}  // namespace kpipe::record
