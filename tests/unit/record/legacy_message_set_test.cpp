// Legacy message sets, magic 0 and 1: messages built by hand here (CRC-32 from zlib), compressed
// wrappers with inner offsets absolute (magic 0) or relative (magic 1, KIP-31), nesting, CRC
// checks, truncation, random damage, and sets that kafka-python wrote.

#include "record/legacy_message_set.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "record/batch_writer.hpp"
#include "record/record_test_support.hpp"

namespace kpipe::record {
namespace {

using testing_support::bytes;
using testing_support::read_hex_fixture;
using testing_support::to_bytes;
using testing_support::to_string;

void put_be(bytes& out, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_bytes(bytes& out, const std::optional<bytes>& v) {
  if (!v) {
    put_be(out, 0xffffffffu, 4);
    return;
  }
  put_be(out, v->size(), 4);
  out.insert(out.end(), v->begin(), v->end());
}

// One message as Kafka 0.8-0.10 wrote it; the CRC is zlib's CRC-32 of magic to the end.
bytes message(std::int8_t magic, std::int64_t offset, std::int8_t attributes,
              std::int64_t timestamp, const std::optional<bytes>& key,
              const std::optional<bytes>& value) {
  bytes body;
  body.push_back(static_cast<std::uint8_t>(magic));
  body.push_back(static_cast<std::uint8_t>(attributes));
  if (magic == 1) put_be(body, static_cast<std::uint64_t>(timestamp), 8);
  put_bytes(body, key);
  put_bytes(body, value);
  bytes out;
  put_be(out, static_cast<std::uint64_t>(offset), 8);
  put_be(out, body.size() + 4, 4);
  put_be(out, crc32(0, body.data(), static_cast<uInt>(body.size())), 4);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

bytes concat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Three inner messages with offsets first, first + 1, first + 2.
bytes inner_set(std::int8_t magic, std::int64_t first) {
  return concat({message(magic, first, 0, 1000, to_bytes("a"), to_bytes("one")),
                 message(magic, first + 1, 0, 1001, std::nullopt, to_bytes("two")),
                 message(magic, first + 2, 0, 1002, to_bytes("c"), std::nullopt)});
}

bytes wrapper(std::int8_t magic, std::int64_t offset, codec c, const bytes& inner,
              std::int8_t extra_attributes = 0, std::int64_t timestamp = 5000) {
  auto packed = compress(c, inner);
  EXPECT_TRUE(packed.ok());
  return message(magic, offset, static_cast<std::int8_t>(static_cast<int>(c) | extra_attributes),
                 timestamp, std::nullopt, packed.value());
}

std::string str(const std::optional<bytes_view>& v) { return v ? to_string(*v) : "<null>"; }

void expect_three(const read_message_set_result& set, std::int64_t first_offset) {
  ASSERT_FALSE(set.error.has_value()) << set.error->message;
  EXPECT_FALSE(set.truncated.has_value());
  ASSERT_EQ(set.messages.size(), 3u);
  EXPECT_EQ(str(set.messages[0].key), "a");
  EXPECT_EQ(str(set.messages[0].value), "one");
  EXPECT_EQ(str(set.messages[1].key), "<null>");
  EXPECT_EQ(str(set.messages[1].value), "two");
  EXPECT_EQ(str(set.messages[2].key), "c");
  EXPECT_EQ(str(set.messages[2].value), "<null>");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(set.messages[i].offset, first_offset + static_cast<std::int64_t>(i));
    EXPECT_TRUE(set.messages[i].crc_ok());
  }
}

TEST(LegacyMessageSet, ReadsUncompressedMagic0AndMagic1) {
  bytes v0 = inner_set(0, 40);
  auto set0 = read_message_set(v0);
  expect_three(set0, 40);
  EXPECT_EQ(set0.bytes_read, v0.size());
  EXPECT_EQ(set0.messages[0].magic, 0);
  EXPECT_FALSE(set0.messages[0].timestamp.has_value());
  EXPECT_EQ(set0.messages[1].position, 30u);  // 12 + crc 4, magic, attributes, 4 + 1, 4 + 3
  EXPECT_FALSE(set0.messages[1].inner_position.has_value());

  bytes v1 = inner_set(1, 40);
  auto set1 = read_message_set(v1);
  expect_three(set1, 40);
  EXPECT_EQ(set1.messages[2].magic, 1);
  EXPECT_EQ(set1.messages[2].timestamp, 1002);
  EXPECT_EQ(set1.messages[2].timestamps(), timestamp_type::create_time);
}

TEST(LegacyMessageSet, Magic1WrapperInnerOffsetsAreRelative) {
  // KIP-31: inner offsets 0..2, the wrapper holds the absolute offset of the last one.
  for (codec c : {codec::gzip, codec::snappy, codec::lz4}) {
    SCOPED_TRACE(codec_name(c));
    bytes data = wrapper(1, 102, c, inner_set(1, 0));
    auto set = read_message_set(data);
    expect_three(set, 100);
    EXPECT_EQ(set.buffers.size(), 1u);
    EXPECT_EQ(set.messages[1].position, 0u);
    EXPECT_EQ(set.messages[1].inner_position, 38u);  // after the first inner message (magic 1)
    EXPECT_EQ(set.messages[1].timestamp, 1001);      // create time: the inner message's own
  }
}

TEST(LegacyMessageSet, Magic0WrapperInnerOffsetsAreAbsolute) {
  bytes data = concat({message(0, 7, 0, 0, std::nullopt, to_bytes("plain")),
                       wrapper(0, 10, codec::gzip, inner_set(0, 8))});
  auto set = read_message_set(data);
  ASSERT_FALSE(set.error.has_value()) << set.error->message;
  ASSERT_EQ(set.messages.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(set.messages[i].offset, 7 + static_cast<int>(i));
  EXPECT_EQ(set.messages[1].position, 12u + 4 + 2 + 4 + 4 + 5);
}

TEST(LegacyMessageSet, LogAppendTimeOfTheWrapperAppliesToInnerMessages) {
  bytes data =
      wrapper(1, 2, codec::gzip, inner_set(1, 0), message_attributes::log_append_time, 777777);
  auto set = read_message_set(data);
  expect_three(set, 0);
  for (const auto& m : set.messages) {
    EXPECT_EQ(m.timestamp, 777777);
    EXPECT_EQ(m.timestamps(), timestamp_type::log_append_time);
  }
}

TEST(LegacyMessageSet, OnlyOneLevelOfCompression) {
  bytes inner = wrapper(1, 0, codec::gzip, inner_set(1, 0));
  bytes data = wrapper(1, 0, codec::snappy, inner);
  auto set = read_message_set(data);
  ASSERT_TRUE(set.error.has_value());
  EXPECT_EQ(set.error->message,
            "message at offset 0: value after snappy decompression: message at offset 0: a "
            "compressed message inside a compressed message");
  EXPECT_TRUE(set.messages.empty());
}

TEST(LegacyMessageSet, MalformedWrappersFail) {
  struct bad_case {
    bytes data;
    const char* expect;
  };
  bytes empty_inner;
  bytes cut = inner_set(1, 0);
  cut.pop_back();
  for (const auto& bad : std::vector<bad_case>{
           {wrapper(1, 0, codec::gzip, empty_inner),
            "message at offset 0: value after gzip decompression: no messages"},
           {message(1, 0, 1, 0, std::nullopt, std::nullopt),
            "message at offset 0: a compressed message has a null value"},
           {message(1, 0, 4, 0, std::nullopt, to_bytes("x")),
            "message at offset 0: codec 4 is not valid for magic 1 at offset 17"},
           {message(1, 0, 1, 0, std::nullopt, to_bytes("not gzip")),
            "message at offset 0: value: gzip: "},
           {wrapper(1, 0, codec::gzip, cut),
            "message at offset 0: value after gzip decompression: message at offset 75: need 35 "
            "bytes (length 23), 34 left at offset 75"},
       }) {
    auto set = read_message_set(bad.data);
    ASSERT_TRUE(set.error.has_value()) << bad.expect;
    EXPECT_EQ(set.error->message.rfind(bad.expect, 0), 0u) << set.error->message;
  }
}

TEST(LegacyMessageSet, HeaderOnlyReadingKeepsWrappers) {
  bytes data = wrapper(1, 102, codec::gzip, inner_set(1, 0));
  read_options header_only;
  header_only.decode_records = false;
  auto set = read_message_set(data, header_only);
  ASSERT_EQ(set.messages.size(), 1u);
  EXPECT_EQ(set.messages[0].compression(), codec::gzip);
  EXPECT_EQ(set.messages[0].offset, 102);
  EXPECT_TRUE(set.buffers.empty());
}

TEST(LegacyMessageSet, CrcMismatchFailsByDefaultAndIsFlaggedOnRequest) {
  bytes data = inner_set(1, 0);
  data[36] ^= 0x20;  // the first message's value: "one" -> "oNe"
  auto set = read_message_set(data);
  ASSERT_TRUE(set.error.has_value());
  EXPECT_EQ(set.error->message.rfind("message at offset 0: CRC mismatch: stored 0x", 0), 0u)
      << set.error->message;
  EXPECT_NE(set.error->message.find(" at offset 12"), std::string::npos);
  read_options flag;
  flag.fail_on_crc_mismatch = false;
  auto flagged = read_message_set(data, flag);
  ASSERT_FALSE(flagged.error.has_value());
  ASSERT_EQ(flagged.messages.size(), 3u);
  EXPECT_FALSE(flagged.messages[0].crc_ok());
  EXPECT_EQ(str(flagged.messages[0].value), "oNe");
  EXPECT_TRUE(flagged.messages[1].crc_ok());
}

TEST(LegacyMessageSet, ErrorsNameTheFieldAndTheOffset) {
  bytes data = concat({inner_set(0, 0), message(0, 3, 0, 0, to_bytes("key"), to_bytes("v"))});
  std::size_t at = inner_set(0, 0).size();
  data[at + 22 - 1] = 9;  // key length 3 -> 9: beyond the message
  // (the CRC no longer matches: read with the CRC flagged to reach the field)
  read_options flag;
  flag.fail_on_crc_mismatch = false;
  auto set = read_message_set(data, flag);
  ASSERT_TRUE(set.error.has_value());
  EXPECT_EQ(set.error->message, "message at offset " + std::to_string(at) +
                                    ": key: need 9 bytes, 8 left at offset " +
                                    std::to_string(at + 22));
  EXPECT_EQ(set.messages.size(), 3u);
  EXPECT_EQ(set.bytes_read, at);
}

TEST(LegacyMessageSet, AV2BatchIsNotALegacyMessage) {
  batch_writer w;
  record_input r;
  w.add(r);
  bytes data = concat({inner_set(1, 0), w.build().value()});
  auto set = read_message_set(data);
  EXPECT_EQ(set.messages.size(), 3u);
  ASSERT_TRUE(set.error.has_value());
  EXPECT_NE(set.error->message.find("magic 2: a record batch, not a legacy message at offset"),
            std::string::npos)
      << set.error->message;
}

TEST(LegacyMessageSet, EveryPrefixIsCleanAndATruncatedTailKeepsTheMessagesBefore) {
  for (std::int8_t magic : {0, 1}) {
    for (codec c : {codec::none, codec::gzip}) {
      bytes one =
          c == codec::none ? inner_set(magic, 0) : wrapper(magic, 2, c, inner_set(magic, 0));
      bytes data = concat({one, one});
      // Where a prefix ends a whole message (or wrapper): no truncation to report there.
      std::set<std::size_t> boundaries = {0, data.size()};
      for (const auto& m : read_message_set(data).messages) boundaries.insert(m.position);
      for (std::size_t n = 0; n < data.size(); ++n) {
        auto set = read_message_set(std::span<const std::uint8_t>(data.data(), n));
        EXPECT_FALSE(set.error.has_value()) << n << ": " << set.error->message;
        EXPECT_EQ(set.truncated.has_value(), boundaries.count(n) == 0) << n;
        if (set.truncated) {
          EXPECT_NE(set.truncated->find(" left at offset "), std::string::npos);
        }
        if (n >= one.size()) {
          EXPECT_GE(set.messages.size(), 3u);
        }
      }
    }
  }
}

TEST(LegacyMessageSet, RandomByteFlipsNeverCrash) {
  std::mt19937 rng(31337);
  for (std::int8_t magic : {0, 1}) {
    for (codec c : {codec::none, codec::gzip, codec::snappy, codec::lz4}) {
      bytes data =
          c == codec::none ? inner_set(magic, 0) : wrapper(magic, 2, c, inner_set(magic, 0));
      data = concat({data, message(magic, 3, 0, 9, to_bytes("k"), to_bytes("tail"))});
      for (int i = 0; i < 1000; ++i) {
        bytes mutated = data;
        int flips = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < flips; ++f) {
          mutated[rng() % mutated.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        }
        read_options lenient;
        lenient.fail_on_crc_mismatch = false;
        lenient.max_decompressed_bytes = 1 << 20;
        auto set = read_message_set(mutated, lenient);
        for (const auto& m : set.messages) {
          std::size_t sum = 0;
          if (m.key) sum += std::accumulate(m.key->begin(), m.key->end(), std::size_t{0});
          if (m.value) sum += std::accumulate(m.value->begin(), m.value->end(), std::size_t{0});
          (void)sum;
        }
        auto strict = read_message_set(mutated);
        EXPECT_LE(strict.messages.size(), set.messages.size());
      }
    }
  }
}

TEST(LegacyMessageSet, KafkaPythonSetsDecode) {
  for (int magic : {0, 1}) {
    for (const char* name : {"none", "gzip", "snappy", "lz4"}) {
      std::string file = "record/python_v" + std::to_string(magic) + "_" + name + ".hex";
      SCOPED_TRACE(file);
      bytes data = read_hex_fixture(file);
      ASSERT_FALSE(data.empty());
      auto set = read_message_set(data);
      ASSERT_FALSE(set.error.has_value()) << set.error->message;
      EXPECT_FALSE(set.truncated.has_value());
      ASSERT_EQ(set.messages.size(), 3u);
      // Uncompressed magic 1 messages keep the offsets kafka-python gave them (0..2).
      std::int64_t first = (magic == 1 && std::string(name) == "none") ? 0 : 100;
      for (std::size_t i = 0; i < 3; ++i) {
        const auto& m = set.messages[i];
        EXPECT_EQ(m.offset, first + static_cast<std::int64_t>(i));
        EXPECT_EQ(m.magic, magic);
        EXPECT_TRUE(m.crc_ok());
        if (magic == 1) {
          EXPECT_EQ(m.timestamp, 1000 + static_cast<std::int64_t>(i));
        }
      }
      EXPECT_EQ(str(set.messages[0].key), "k0");
      EXPECT_EQ(str(set.messages[0].value), "legacy value 0");
      EXPECT_EQ(str(set.messages[1].key), "<null>");
      EXPECT_EQ(str(set.messages[1].value), "legacy value 1, null key");
      EXPECT_EQ(str(set.messages[2].key), "k2");
      EXPECT_EQ(str(set.messages[2].value), "<null>");
    }
  }
  // The magic 0 lz4 wrapper carries Kafka 0.8's wrong header checksum (0x1a, not 0x82).
  bytes lz4 = read_hex_fixture("record/python_v0_lz4.hex");
  const std::uint8_t header[] = {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x1a};
  EXPECT_NE(std::search(lz4.begin(), lz4.end(), std::begin(header), std::end(header)), lz4.end());
}

}  // namespace
}  // namespace kpipe::record
