// Tests of the Kafka wire primitives: protocol::reader and protocol::writer (ints, floats, uuids,
// varints, strings, bytes, arrays, failure reporting with paths, sub-readers, counting writers).

#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace kpipe::protocol {
namespace {

template <class T>
using limits = std::numeric_limits<T>;

byte_buffer bytes_of(std::initializer_list<int> values) {
  byte_buffer out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

byte_buffer concat(byte_buffer a, const byte_buffer& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Runs `write` on a real writer and returns the bytes.
byte_buffer encode(const std::function<void(writer&)>& write) {
  writer w;
  write(w);
  return w.take();
}

// Runs `write` on a counting writer and returns the size it adds up.
std::size_t counted_size(const std::function<void(writer&)>& write) {
  writer w(writer::counting);
  write(w);
  return w.size();
}

// Encodes `value` with `put`, checks the bytes, then decodes them with `get` and checks that the
// value comes back and that the reader ends exactly at the end of the input.
template <class T>
void check_both_directions(void (writer::*put)(T), T (reader::*get)(), T value,
                           const byte_buffer& expected) {
  SCOPED_TRACE(::testing::Message() << "value " << +value);
  writer w;
  (w.*put)(value);
  EXPECT_EQ(w.buffer(), expected);
  writer counter(writer::counting);
  (counter.*put)(value);
  EXPECT_EQ(counter.size(), expected.size());

  reader r(expected);
  EXPECT_EQ((r.*get)(), value);
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r.at_end());
}

template <class T>
struct int_case {
  T value;
  byte_buffer bytes;
};

// ---- fixed-width big-endian integers ---------------------------------------------------------

TEST(ProtocolInts, Int8) {
  for (const auto& c : std::vector<int_case<std::int8_t>>{
           {0, bytes_of({0x00})},
           {1, bytes_of({0x01})},
           {-1, bytes_of({0xff})},
           {limits<std::int8_t>::min(), bytes_of({0x80})},
           {limits<std::int8_t>::max(), bytes_of({0x7f})},
       }) {
    check_both_directions(&writer::i8, &reader::i8, c.value, c.bytes);
  }
}

TEST(ProtocolInts, Int16) {
  for (const auto& c : std::vector<int_case<std::int16_t>>{
           {0, bytes_of({0x00, 0x00})},
           {0x0102, bytes_of({0x01, 0x02})},
           {-1, bytes_of({0xff, 0xff})},
           {-2, bytes_of({0xff, 0xfe})},
           {limits<std::int16_t>::min(), bytes_of({0x80, 0x00})},
           {limits<std::int16_t>::max(), bytes_of({0x7f, 0xff})},
       }) {
    check_both_directions(&writer::i16, &reader::i16, c.value, c.bytes);
  }
}

TEST(ProtocolInts, Int32) {
  for (const auto& c : std::vector<int_case<std::int32_t>>{
           {0, bytes_of({0x00, 0x00, 0x00, 0x00})},
           {0x01020304, bytes_of({0x01, 0x02, 0x03, 0x04})},
           {-1, bytes_of({0xff, 0xff, 0xff, 0xff})},
           {-2, bytes_of({0xff, 0xff, 0xff, 0xfe})},
           {limits<std::int32_t>::min(), bytes_of({0x80, 0x00, 0x00, 0x00})},
           {limits<std::int32_t>::max(), bytes_of({0x7f, 0xff, 0xff, 0xff})},
       }) {
    check_both_directions(&writer::i32, &reader::i32, c.value, c.bytes);
  }
}

TEST(ProtocolInts, Int64) {
  for (const auto& c : std::vector<int_case<std::int64_t>>{
           {0, bytes_of({0, 0, 0, 0, 0, 0, 0, 0})},
           {0x0102030405060708, bytes_of({0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08})},
           {-1, bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
           {-2, bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe})},
           {limits<std::int64_t>::min(), bytes_of({0x80, 0, 0, 0, 0, 0, 0, 0})},
           {limits<std::int64_t>::max(),
            bytes_of({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
       }) {
    check_both_directions(&writer::i64, &reader::i64, c.value, c.bytes);
  }
}

TEST(ProtocolInts, UInt16) {
  for (const auto& c : std::vector<int_case<std::uint16_t>>{
           {0, bytes_of({0x00, 0x00})},
           {0x1234, bytes_of({0x12, 0x34})},
           {0x8000, bytes_of({0x80, 0x00})},
           {limits<std::uint16_t>::max(), bytes_of({0xff, 0xff})},
       }) {
    check_both_directions(&writer::u16, &reader::u16, c.value, c.bytes);
  }
}

TEST(ProtocolInts, UInt32) {
  for (const auto& c : std::vector<int_case<std::uint32_t>>{
           {0, bytes_of({0x00, 0x00, 0x00, 0x00})},
           {0x89abcdef, bytes_of({0x89, 0xab, 0xcd, 0xef})},
           {0x80000000, bytes_of({0x80, 0x00, 0x00, 0x00})},
           {limits<std::uint32_t>::max(), bytes_of({0xff, 0xff, 0xff, 0xff})},
       }) {
    check_both_directions(&writer::u32, &reader::u32, c.value, c.bytes);
  }
}

TEST(ProtocolInts, Boolean) {
  EXPECT_EQ(encode([](writer& w) { w.boolean(true); }), bytes_of({0x01}));
  EXPECT_EQ(encode([](writer& w) { w.boolean(false); }), bytes_of({0x00}));
  // Any non-zero byte reads as true.
  for (int b : {0x01, 0x02, 0x7f, 0x80, 0xff}) {
    auto input = bytes_of({b});
    reader r(input);
    EXPECT_TRUE(r.boolean()) << b;
  }
  auto zero = bytes_of({0x00});
  reader r(zero);
  EXPECT_FALSE(r.boolean());
}

TEST(ProtocolInts, ReadsConsecutiveFieldsInOrder) {
  auto input = bytes_of({0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0xff});
  reader r(input);
  EXPECT_EQ(r.i8(), 1);
  EXPECT_EQ(r.offset(), 1u);
  EXPECT_EQ(r.i16(), 2);
  EXPECT_EQ(r.offset(), 3u);
  EXPECT_EQ(r.i32(), 3);
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.at_end());
  EXPECT_EQ(r.i8(), -1);
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(r.ok());
}

TEST(ProtocolInts, ShortInputFails) {
  struct row {
    std::function<void(reader&)> read;
    std::size_t available;
    std::string error;
  };
  for (const auto& [read, available, error] : std::vector<row>{
           {[](reader& r) { EXPECT_EQ(r.i8(), 0); }, 0, "need 1 bytes, 0 left at offset 0"},
           {[](reader& r) { EXPECT_EQ(r.i16(), 0); }, 1, "need 2 bytes, 1 left at offset 0"},
           {[](reader& r) { EXPECT_EQ(r.i32(), 0); }, 3, "need 4 bytes, 3 left at offset 0"},
           {[](reader& r) { EXPECT_EQ(r.i64(), 0); }, 7, "need 8 bytes, 7 left at offset 0"},
           {[](reader& r) { EXPECT_EQ(r.u16(), 0u); }, 0, "need 2 bytes, 0 left at offset 0"},
           {[](reader& r) { EXPECT_EQ(r.u32(), 0u); }, 2, "need 4 bytes, 2 left at offset 0"},
           {[](reader& r) { EXPECT_EQ(r.f64(), 0.0); }, 4, "need 8 bytes, 4 left at offset 0"},
           {[](reader& r) { EXPECT_FALSE(r.boolean()); }, 0, "need 1 bytes, 0 left at offset 0"},
       }) {
    byte_buffer input(available, 0xaa);
    reader r(input);
    read(r);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), error);
    EXPECT_EQ(r.error_offset(), 0u);
  }
}

// ---- f64 and uuid ------------------------------------------------------------------------------

TEST(ProtocolFloat, KnownEncodings) {
  struct row {
    double value;
    byte_buffer bytes;
  };
  for (const auto& [value, bytes] : std::vector<row>{
           {0.0, bytes_of({0x00, 0, 0, 0, 0, 0, 0, 0})},
           {-0.0, bytes_of({0x80, 0, 0, 0, 0, 0, 0, 0})},
           {1.0, bytes_of({0x3f, 0xf0, 0, 0, 0, 0, 0, 0})},
           {-2.5, bytes_of({0xc0, 0x04, 0, 0, 0, 0, 0, 0})},
           {0.1, bytes_of({0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a})},
           {limits<double>::max(), bytes_of({0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
           {limits<double>::denorm_min(), bytes_of({0, 0, 0, 0, 0, 0, 0, 0x01})},
           {limits<double>::infinity(), bytes_of({0x7f, 0xf0, 0, 0, 0, 0, 0, 0})},
           {-limits<double>::infinity(), bytes_of({0xff, 0xf0, 0, 0, 0, 0, 0, 0})},
       }) {
    SCOPED_TRACE(value);
    EXPECT_EQ(encode([v = value](writer& w) { w.f64(v); }), bytes);
    reader r(bytes);
    double back = r.f64();
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.at_end());
    EXPECT_EQ(back, value);
    EXPECT_EQ(std::signbit(back), std::signbit(value));
  }
}

TEST(ProtocolFloat, NaNRoundTrips) {
  auto bytes = encode([](writer& w) { w.f64(limits<double>::quiet_NaN()); });
  ASSERT_EQ(bytes.size(), 8u);
  EXPECT_EQ(bytes[0] & 0x7f, 0x7f);
  EXPECT_EQ(bytes[1] & 0xf0, 0xf0);
  reader r(bytes);
  EXPECT_TRUE(std::isnan(r.f64()));
  EXPECT_TRUE(r.ok());
}

TEST(ProtocolUuid, BytesAreWrittenAndReadInOrder) {
  uuid id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(0xf0 + i);
  auto bytes = encode([&](writer& w) { w.uuid_value(id); });
  EXPECT_EQ(bytes, bytes_of({0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb,
                             0xfc, 0xfd, 0xfe, 0xff}));
  EXPECT_EQ(counted_size([&](writer& w) { w.uuid_value(id); }), 16u);
  reader r(bytes);
  EXPECT_EQ(r.uuid_value(), id);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(ProtocolUuid, ShortInputFailsWithZeroUuid) {
  byte_buffer input(15, 0xab);
  reader r(input);
  EXPECT_EQ(r.uuid_value(), uuid{});
  EXPECT_EQ(r.error(), "need 16 bytes, 15 left at offset 0");
}

// ---- varints -----------------------------------------------------------------------------------

TEST(ProtocolVarint, UnsignedVarint) {
  for (const auto& c : std::vector<int_case<std::uint32_t>>{
           {0, bytes_of({0x00})},
           {1, bytes_of({0x01})},
           {127, bytes_of({0x7f})},
           {128, bytes_of({0x80, 0x01})},
           {300, bytes_of({0xac, 0x02})},
           {16383, bytes_of({0xff, 0x7f})},
           {16384, bytes_of({0x80, 0x80, 0x01})},
           {0x0fffffff, bytes_of({0xff, 0xff, 0xff, 0x7f})},
           {0x10000000, bytes_of({0x80, 0x80, 0x80, 0x80, 0x01})},
           {limits<std::uint32_t>::max(), bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f})},
       }) {
    check_both_directions(&writer::uvarint, &reader::uvarint, c.value, c.bytes);
  }
}

TEST(ProtocolVarint, UnsignedVarlong) {
  for (const auto& c : std::vector<int_case<std::uint64_t>>{
           {0, bytes_of({0x00})},
           {1, bytes_of({0x01})},
           {127, bytes_of({0x7f})},
           {128, bytes_of({0x80, 0x01})},
           {300, bytes_of({0xac, 0x02})},
           {16383, bytes_of({0xff, 0x7f})},
           {16384, bytes_of({0x80, 0x80, 0x01})},
           {limits<std::uint32_t>::max(), bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f})},
           {0x100000000, bytes_of({0x80, 0x80, 0x80, 0x80, 0x10})},
           {0x8000000000000000,
            bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})},
           {limits<std::uint64_t>::max(),
            bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})},
       }) {
    check_both_directions(&writer::uvarlong, &reader::uvarlong, c.value, c.bytes);
  }
}

TEST(ProtocolVarint, ZigzagVarint) {
  for (const auto& c : std::vector<int_case<std::int32_t>>{
           {0, bytes_of({0x00})},
           {-1, bytes_of({0x01})},
           {1, bytes_of({0x02})},
           {-2, bytes_of({0x03})},
           {2, bytes_of({0x04})},
           {-64, bytes_of({0x7f})},
           {64, bytes_of({0x80, 0x01})},
           {150, bytes_of({0xac, 0x02})},
           {limits<std::int32_t>::max(), bytes_of({0xfe, 0xff, 0xff, 0xff, 0x0f})},
           {limits<std::int32_t>::min(), bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f})},
       }) {
    check_both_directions(&writer::varint, &reader::varint, c.value, c.bytes);
  }
}

TEST(ProtocolVarint, ZigzagVarlong) {
  for (const auto& c : std::vector<int_case<std::int64_t>>{
           {0, bytes_of({0x00})},
           {-1, bytes_of({0x01})},
           {1, bytes_of({0x02})},
           {-2, bytes_of({0x03})},
           {-64, bytes_of({0x7f})},
           {64, bytes_of({0x80, 0x01})},
           {limits<std::int32_t>::max(), bytes_of({0xfe, 0xff, 0xff, 0xff, 0x0f})},
           {limits<std::int32_t>::min(), bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f})},
           {limits<std::int64_t>::max(),
            bytes_of({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})},
           {limits<std::int64_t>::min(),
            bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})},
       }) {
    check_both_directions(&writer::varlong, &reader::varlong, c.value, c.bytes);
  }
}

TEST(ProtocolVarint, RoundTripsAcrossTheRange) {
  std::vector<std::uint64_t> values;
  for (int bit = 0; bit < 64; ++bit) {
    std::uint64_t p = std::uint64_t{1} << bit;
    values.insert(values.end(), {p - 1, p, p + 1});
  }
  for (std::uint64_t v : values) {
    SCOPED_TRACE(v);
    auto u64 = encode([v](writer& w) { w.uvarlong(v); });
    reader r64(u64);
    EXPECT_EQ(r64.uvarlong(), v);
    EXPECT_TRUE(r64.at_end());

    auto s64 = static_cast<std::int64_t>(v);
    auto z64 = encode([s64](writer& w) { w.varlong(s64); });
    reader rz64(z64);
    EXPECT_EQ(rz64.varlong(), s64);
    EXPECT_TRUE(rz64.at_end());

    auto u32 = static_cast<std::uint32_t>(v);
    auto b32 = encode([u32](writer& w) { w.uvarint(u32); });
    EXPECT_LE(b32.size(), 5u);
    reader r32(b32);
    EXPECT_EQ(r32.uvarint(), u32);
    EXPECT_TRUE(r32.at_end());

    auto s32 = static_cast<std::int32_t>(u32);
    auto z32 = encode([s32](writer& w) { w.varint(s32); });
    reader rz32(z32);
    EXPECT_EQ(rz32.varint(), s32);
    EXPECT_TRUE(rz32.at_end());
  }
}

struct malformed_case {
  const char* name;
  byte_buffer bytes;
  std::string error;
};

TEST(ProtocolVarint, MalformedUnsignedVarintFails) {
  for (const auto& [name, bytes, error] : std::vector<malformed_case>{
           {"empty", {}, "need 1 bytes, 0 left at offset 0"},
           {"truncated after continuation", bytes_of({0x80}), "need 1 bytes, 0 left at offset 1"},
           {"truncated after four bytes", bytes_of({0xff, 0xff, 0xff, 0xff}),
            "need 1 bytes, 0 left at offset 4"},
           {"fifth byte overflows 32 bits", bytes_of({0xff, 0xff, 0xff, 0xff, 0x10}),
            "malformed varint at offset 5"},
           {"fifth byte 0x7f", bytes_of({0x80, 0x80, 0x80, 0x80, 0x7f}),
            "malformed varint at offset 5"},
           {"fifth byte continues", bytes_of({0xff, 0xff, 0xff, 0xff, 0x8f, 0x00}),
            "malformed varint at offset 5"},
           {"six bytes", bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),
            "malformed varint at offset 5"},
       }) {
    SCOPED_TRACE(name);
    reader r(bytes);
    EXPECT_EQ(r.uvarint(), 0u);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), error);

    // The zigzag form decodes through the same path.
    reader z(bytes);
    EXPECT_EQ(z.varint(), 0);
    EXPECT_EQ(z.error(), error);
  }
}

TEST(ProtocolVarint, MalformedUnsignedVarlongFails) {
  for (const auto& [name, bytes, error] : std::vector<malformed_case>{
           {"empty", {}, "need 1 bytes, 0 left at offset 0"},
           {"truncated after nine bytes",
            bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
            "need 1 bytes, 0 left at offset 9"},
           {"tenth byte overflows 64 bits",
            bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}),
            "malformed varint at offset 10"},
           {"tenth byte continues",
            bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00}),
            "malformed varint at offset 10"},
           {"eleven bytes",
            bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),
            "malformed varint at offset 10"},
       }) {
    SCOPED_TRACE(name);
    reader r(bytes);
    EXPECT_EQ(r.uvarlong(), 0u);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), error);

    reader z(bytes);
    EXPECT_EQ(z.varlong(), 0);
    EXPECT_EQ(z.error(), error);
  }
}

TEST(ProtocolVarint, ValidVarintLeavesFollowingBytes) {
  auto input = bytes_of({0xac, 0x02, 0x7f});
  reader r(input);
  EXPECT_EQ(r.uvarint(), 300u);
  EXPECT_EQ(r.offset(), 2u);
  EXPECT_EQ(r.i8(), 0x7f);
  EXPECT_TRUE(r.ok());
}

// ---- strings and bytes -------------------------------------------------------------------------

TEST(ProtocolString, Encodings) {
  struct row {
    std::optional<std::string> value;
    bool compact;
    byte_buffer bytes;
  };
  for (const auto& [value, compact, bytes] : std::vector<row>{
           {"abc", false, bytes_of({0x00, 0x03, 'a', 'b', 'c'})},
           {"abc", true, bytes_of({0x04, 'a', 'b', 'c'})},
           {"", false, bytes_of({0x00, 0x00})},
           {"", true, bytes_of({0x01})},
           {std::nullopt, false, bytes_of({0xff, 0xff})},
           {std::nullopt, true, bytes_of({0x00})},
           {std::string("a\0b", 3), true, bytes_of({0x04, 'a', 0x00, 'b'})},
           {std::string(200, 'x'), false, concat(bytes_of({0x00, 0xc8}), byte_buffer(200, 'x'))},
           {std::string(200, 'x'), true, concat(bytes_of({0xc9, 0x01}), byte_buffer(200, 'x'))},
       }) {
    SCOPED_TRACE(::testing::Message() << (value ? *value : "<null>") << " compact=" << compact);
    auto write = [&](writer& w) { w.nullable_string(value, compact); };
    EXPECT_EQ(encode(write), bytes);
    EXPECT_EQ(counted_size(write), bytes.size());
    if (value) {
      EXPECT_EQ(encode([&](writer& w) { w.string(*value, compact); }), bytes);
      reader r(bytes);
      EXPECT_EQ(r.string(compact), *value);
      EXPECT_TRUE(r.ok()) << r.error();
      EXPECT_TRUE(r.at_end());
    }
    reader r(bytes);
    EXPECT_EQ(r.nullable_string(compact), value);
    EXPECT_TRUE(r.ok()) << r.error();
    EXPECT_TRUE(r.at_end());
  }
}

TEST(ProtocolBytes, Encodings) {
  struct row {
    std::optional<byte_buffer> value;
    bool compact;
    byte_buffer bytes;
  };
  for (const auto& [value, compact, bytes] : std::vector<row>{
           {bytes_of({0xde, 0xad}), false, bytes_of({0x00, 0x00, 0x00, 0x02, 0xde, 0xad})},
           {bytes_of({0xde, 0xad}), true, bytes_of({0x03, 0xde, 0xad})},
           {byte_buffer{}, false, bytes_of({0x00, 0x00, 0x00, 0x00})},
           {byte_buffer{}, true, bytes_of({0x01})},
           {std::nullopt, false, bytes_of({0xff, 0xff, 0xff, 0xff})},
           {std::nullopt, true, bytes_of({0x00})},
           {byte_buffer(127, 7), true, concat(bytes_of({0x80, 0x01}), byte_buffer(127, 7))},
       }) {
    SCOPED_TRACE(::testing::Message()
                 << "size " << (value ? value->size() : -1) << " compact=" << compact);
    auto write = [&](writer& w) { w.nullable_bytes(value, compact); };
    EXPECT_EQ(encode(write), bytes);
    EXPECT_EQ(counted_size(write), bytes.size());
    if (value) {
      EXPECT_EQ(encode([&](writer& w) { w.bytes(*value, compact); }), bytes);
      reader r(bytes);
      EXPECT_EQ(r.bytes(compact), *value);
      EXPECT_TRUE(r.ok()) << r.error();
      EXPECT_TRUE(r.at_end());
    }
    reader r(bytes);
    EXPECT_EQ(r.nullable_bytes(compact), value);
    EXPECT_TRUE(r.ok()) << r.error();
    EXPECT_TRUE(r.at_end());
  }
}

TEST(ProtocolString, NullWhereRequiredFails) {
  struct row {
    const char* name;
    std::function<bool(reader&)> read_is_empty;
    byte_buffer bytes;
    std::string error;
  };
  for (const auto& [name, read_is_empty, bytes, error] : std::vector<row>{
           {"string", [](reader& r) { return r.string(false).empty(); }, bytes_of({0xff, 0xff}),
            "null where a string is required at offset 2"},
           {"compact string", [](reader& r) { return r.string(true).empty(); }, bytes_of({0x00}),
            "null where a string is required at offset 1"},
           {"bytes", [](reader& r) { return r.bytes(false).empty(); },
            bytes_of({0xff, 0xff, 0xff, 0xff}), "null where bytes are required at offset 4"},
           {"compact bytes", [](reader& r) { return r.bytes(true).empty(); }, bytes_of({0x00}),
            "null where bytes are required at offset 1"},
       }) {
    SCOPED_TRACE(name);
    reader r(bytes);
    EXPECT_TRUE(read_is_empty(r));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), error);
  }
}

TEST(ProtocolString, BadLengthsFail) {
  struct row {
    const char* name;
    std::function<void(reader&)> read;
    byte_buffer bytes;
    std::string error;
  };
  auto nullable_string = [](bool compact) {
    return [compact](reader& r) { EXPECT_EQ(r.nullable_string(compact), std::nullopt); };
  };
  auto nullable_bytes = [](bool compact) {
    return [compact](reader& r) { EXPECT_EQ(r.nullable_bytes(compact), std::nullopt); };
  };
  for (const auto& [name, read, bytes, error] : std::vector<row>{
           {"string length -2", nullable_string(false), bytes_of({0xff, 0xfe, 'a', 'b'}),
            "invalid length -2 at offset 2"},
           {"string length INT16_MIN", nullable_string(false), bytes_of({0x80, 0x00}),
            "invalid length -32768 at offset 2"},
           {"string longer than input", nullable_string(false), bytes_of({0x00, 0x05, 'a', 'b'}),
            "length 5 exceeds the 2 bytes left at offset 2"},
           {"compact string longer than input", nullable_string(true), bytes_of({0x06, 'a'}),
            "length 5 exceeds the 1 bytes left at offset 1"},
           {"compact string length UINT32_MAX-1", nullable_string(true),
            bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f}),
            "length 4294967294 exceeds the 0 bytes left at offset 5"},
           {"compact string with malformed length", nullable_string(true),
            bytes_of({0xff, 0xff, 0xff, 0xff, 0x1f}), "malformed varint at offset 5"},
           {"string with truncated length", nullable_string(false), bytes_of({0x00}),
            "need 2 bytes, 1 left at offset 0"},
           {"bytes length -2", nullable_bytes(false), bytes_of({0xff, 0xff, 0xff, 0xfe}),
            "invalid length -2 at offset 4"},
           {"bytes length INT32_MAX", nullable_bytes(false), bytes_of({0x7f, 0xff, 0xff, 0xff, 1}),
            "length 2147483647 exceeds the 1 bytes left at offset 4"},
           {"compact bytes longer than input", nullable_bytes(true), bytes_of({0x80, 0x01, 1, 2}),
            "length 127 exceeds the 2 bytes left at offset 2"},
       }) {
    SCOPED_TRACE(name);
    reader r(bytes);
    read(r);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), error);
  }
}

// ---- arrays ------------------------------------------------------------------------------------

TEST(ProtocolArray, LengthEncodings) {
  struct row {
    std::int32_t count;
    bool compact;
    byte_buffer bytes;
  };
  for (const auto& [count, compact, bytes] : std::vector<row>{
           {0, false, bytes_of({0x00, 0x00, 0x00, 0x00})},
           {3, false, bytes_of({0x00, 0x00, 0x00, 0x03})},
           {-1, false, bytes_of({0xff, 0xff, 0xff, 0xff})},
           {0, true, bytes_of({0x01})},
           {3, true, bytes_of({0x04})},
           {127, true, bytes_of({0x80, 0x01})},
           {-1, true, bytes_of({0x00})},
       }) {
    SCOPED_TRACE(::testing::Message() << count << " compact=" << compact);
    auto write = [&](writer& w) { w.array_length(count, compact); };
    EXPECT_EQ(encode(write), bytes);
    EXPECT_EQ(counted_size(write), bytes.size());

    // Followed by one byte per element so that the count is plausible.
    auto input = concat(bytes, byte_buffer(count > 0 ? static_cast<std::size_t>(count) : 0, 0));
    reader r(input);
    EXPECT_EQ(r.array_length(compact), count);
    EXPECT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r.offset(), bytes.size());
  }
}

TEST(ProtocolArray, CountLargerThanBytesLeftFails) {
  struct row {
    const char* name;
    bool compact;
    byte_buffer bytes;
    std::string error;
  };
  for (const auto& [name, compact, bytes, error] : std::vector<row>{
           {"3 elements, 2 bytes", false, bytes_of({0x00, 0x00, 0x00, 0x03, 0x00, 0x00}),
            "length 3 exceeds the 2 bytes left at offset 4"},
           {"INT32_MAX elements", false, bytes_of({0x7f, 0xff, 0xff, 0xff}),
            "length 2147483647 exceeds the 0 bytes left at offset 4"},
           {"-2 elements", false, bytes_of({0xff, 0xff, 0xff, 0xfe}),
            "invalid length -2 at offset 4"},
           {"INT32_MIN elements", false, bytes_of({0x80, 0x00, 0x00, 0x00, 0x00}),
            "invalid length -2147483648 at offset 4"},
           {"compact 3 elements, 1 byte", true, bytes_of({0x04, 0x00}),
            "length 3 exceeds the 1 bytes left at offset 1"},
           {"compact UINT32_MAX-1 elements", true, bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f}),
            "length 4294967294 exceeds the 0 bytes left at offset 5"},
           {"truncated count", false, bytes_of({0x00, 0x00}), "need 4 bytes, 2 left at offset 0"},
       }) {
    SCOPED_TRACE(name);
    reader r(bytes);
    // 0 rather than the hostile count: a decoder that reserves `count` elements allocates nothing.
    EXPECT_EQ(r.array_length(compact), 0);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), error);
  }
}

// ---- sticky failure ----------------------------------------------------------------------------

TEST(ProtocolReader, FailureIsSticky) {
  // A valid i16, then an i32 with only 3 bytes, then bytes that would otherwise read fine.
  auto input = bytes_of({0x00, 0x07, 0x00, 0x01, 0x02});
  reader r(input);
  EXPECT_EQ(r.i16(), 7);
  EXPECT_EQ(r.i64(), 0);
  ASSERT_FALSE(r.ok());
  const std::string first = "need 8 bytes, 3 left at offset 2";
  EXPECT_EQ(r.error(), first);
  EXPECT_EQ(r.error_offset(), 2u);

  // Everything after the failure reads as zero or empty, even what would fit.
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.i8(), 0);
  EXPECT_EQ(r.i16(), 0);
  EXPECT_EQ(r.u16(), 0u);
  EXPECT_FALSE(r.boolean());
  EXPECT_EQ(r.uvarint(), 0u);
  EXPECT_EQ(r.varlong(), 0);
  EXPECT_EQ(r.string(true), "");
  EXPECT_EQ(r.nullable_string(false), std::nullopt);
  EXPECT_EQ(r.bytes(true), byte_buffer{});
  EXPECT_EQ(r.nullable_bytes(false), std::nullopt);
  EXPECT_EQ(r.array_length(false), 0);
  EXPECT_TRUE(r.raw(1).empty());
  EXPECT_TRUE(r.raw(0).empty());
  EXPECT_EQ(r.uuid_value(), uuid{});
  auto sub = r.sub_reader(1);
  EXPECT_EQ(sub.remaining(), 0u);

  // The first failure wins.
  r.fail("a later reason");
  EXPECT_EQ(r.error(), first);
  EXPECT_EQ(r.error_offset(), 2u);
}

TEST(ProtocolReader, ExplicitFailRecordsCurrentOffset) {
  auto input = bytes_of({1, 2, 3, 4, 5});
  reader r(input, 100);
  r.raw(3);
  r.fail("unknown record type 9");
  EXPECT_EQ(r.error(), "unknown record type 9 at offset 103");
  EXPECT_EQ(r.error_offset(), 103u);
  EXPECT_TRUE(r.at_end());
}

TEST(ProtocolReader, NoErrorWhileOk) {
  auto input = bytes_of({1});
  reader r(input);
  r.add_path("ignored");  // a path without a failure is not an error
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.error(), "");
}

TEST(ProtocolReader, RawReturnsViewsIntoInput) {
  auto input = bytes_of({1, 2, 3, 4});
  reader r(input);
  auto first = r.raw(3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first.data(), input.data());
  EXPECT_EQ(r.raw(0).size(), 0u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.raw(2).empty());
  EXPECT_EQ(r.error(), "need 2 bytes, 1 left at offset 3");
}

// ---- error paths -------------------------------------------------------------------------------

// A miniature decoder in the style of the generated ones: on failure, each level names the field
// it was reading (and the index in an array) while it returns.
struct test_partition {
  std::int32_t partition_index = 0;
  std::int32_t leader_id = 0;
};
struct test_topic {
  std::string name;
  std::vector<test_partition> partitions;
};

bool decode_partition(reader& r, test_partition& p) {
  p.partition_index = r.i32();
  if (!r.ok()) {
    r.add_path("partition_index");
    return false;
  }
  p.leader_id = r.i32();
  if (!r.ok()) {
    r.add_path("leader_id");
    return false;
  }
  return true;
}

bool decode_topic(reader& r, test_topic& t) {
  t.name = r.string(false);
  if (!r.ok()) {
    r.add_path("name");
    return false;
  }
  std::int32_t n = r.array_length(false);
  if (!r.ok()) {
    r.add_path("partitions");
    return false;
  }
  for (std::int32_t i = 0; i < n; ++i) {
    if (!decode_partition(r, t.partitions.emplace_back())) {
      r.add_path_index(static_cast<std::size_t>(i));
      r.add_path("partitions");
      return false;
    }
  }
  return true;
}

bool decode_topics(reader& r, std::vector<test_topic>& topics) {
  std::int32_t n = r.array_length(false);
  if (!r.ok()) {
    r.add_path("topics");
    return false;
  }
  for (std::int32_t i = 0; i < n; ++i) {
    if (!decode_topic(r, topics.emplace_back())) {
      r.add_path_index(static_cast<std::size_t>(i));
      r.add_path("topics");
      return false;
    }
  }
  return true;
}

// Four topics of two partitions each, sized so that the leader_id of topics[3].partitions[0]
// starts at offset 318.
byte_buffer four_topics() {
  writer w;
  w.array_length(4, false);
  for (int t = 0; t < 3; ++t) {
    w.string("topic-" + std::to_string(t), false);  // 2 + 7 bytes
    w.array_length(2, false);
    for (int p = 0; p < 2; ++p) {
      w.i32(p);
      w.i32(1000 + t);
    }
  }
  // 4 + 3 * (9 + 4 + 16) = 91 bytes so far; topic 3 then takes a 2-byte name length, the name,
  // a 4-byte partition count and a 4-byte partition_index before the leader_id.
  EXPECT_EQ(w.size(), 91u);
  w.string(std::string(318 - 91 - 10, 'n'), false);
  w.array_length(2, false);
  w.i32(0);
  EXPECT_EQ(w.size(), 318u);
  w.i32(2000);
  w.i32(1);
  w.i32(2001);
  return w.take();
}

TEST(ProtocolReaderErrorPath, NestedFieldsAndIndexes) {
  const byte_buffer full = four_topics();
  ASSERT_EQ(full.size(), 330u);
  {
    reader r(full);
    std::vector<test_topic> topics;
    ASSERT_TRUE(decode_topics(r, topics)) << r.error();
    EXPECT_TRUE(r.at_end());
    ASSERT_EQ(topics.size(), 4u);
    EXPECT_EQ(topics[3].partitions[1].leader_id, 2001);
  }

  struct row {
    std::size_t cut;  // bytes of `full` given to the decoder
    std::string error;
  };
  for (const auto& [cut, error] : std::vector<row>{
           {0, "topics: need 4 bytes, 0 left at offset 0"},
           {2, "topics: need 4 bytes, 2 left at offset 0"},
           {4, "topics: length 4 exceeds the 0 bytes left at offset 4"},
           {5, "topics: length 4 exceeds the 1 bytes left at offset 4"},
           {8, "topics[0].name: length 7 exceeds the 2 bytes left at offset 6"},
           {15, "topics[0].partitions: need 4 bytes, 2 left at offset 13"},
           {19, "topics[0].partitions[0].partition_index: need 4 bytes, 2 left at offset 17"},
           {32, "topics[0].partitions[1].leader_id: need 4 bytes, 3 left at offset 29"},
           {34, "topics[1].name: need 2 bytes, 1 left at offset 33"},
           {320, "topics[3].partitions[0].leader_id: need 4 bytes, 2 left at offset 318"},
           {329, "topics[3].partitions[1].leader_id: need 4 bytes, 3 left at offset 326"},
       }) {
    SCOPED_TRACE(cut);
    reader r(std::span<const std::uint8_t>(full.data(), cut));
    std::vector<test_topic> topics;
    EXPECT_FALSE(decode_topics(r, topics));
    EXPECT_EQ(r.error(), error);
  }
}

TEST(ProtocolReaderErrorPath, PathShapes) {
  struct row {
    const char* name;
    std::function<void(reader&)> unwind;  // innermost first, as decoders call them
    std::string error;
  };
  for (const auto& [name, unwind, error] : std::vector<row>{
           {"no path", [](reader&) {}, "need 4 bytes, 0 left at offset 0"},
           {"one field", [](reader& r) { r.add_path("throttle_time_ms"); },
            "throttle_time_ms: need 4 bytes, 0 left at offset 0"},
           {"nested fields",
            [](reader& r) {
              r.add_path("c");
              r.add_path("b");
              r.add_path("a");
            },
            "a.b.c: need 4 bytes, 0 left at offset 0"},
           {"array of arrays",
            [](reader& r) {
              r.add_path("x");
              r.add_path_index(1);
              r.add_path_index(2);
              r.add_path("matrix");
            },
            "matrix[2][1].x: need 4 bytes, 0 left at offset 0"},
           {"index at the root",
            [](reader& r) {
              r.add_path("id");
              r.add_path_index(5);
            },
            "[5].id: need 4 bytes, 0 left at offset 0"},
           {"element itself",
            [](reader& r) {
              r.add_path_index(12);
              r.add_path("replica_nodes");
              r.add_path_index(0);
              r.add_path("partitions");
            },
            "partitions[0].replica_nodes[12]: need 4 bytes, 0 left at offset 0"},
       }) {
    SCOPED_TRACE(name);
    byte_buffer empty;
    reader r(empty);
    r.i32();
    unwind(r);
    EXPECT_EQ(r.error(), error);
  }
}

// ---- sub-readers -------------------------------------------------------------------------------

TEST(ProtocolSubReader, OffsetsAreAbsolute) {
  auto input = bytes_of({0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd, 0x05, 0x06});
  reader r(input, 1000);
  EXPECT_EQ(r.i16(), 1);
  reader sub = r.sub_reader(4);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(sub.offset(), 1002u);
  EXPECT_EQ(sub.remaining(), 4u);
  EXPECT_EQ(r.offset(), 1006u);
  EXPECT_EQ(r.i16(), 0x0506);
  EXPECT_TRUE(r.at_end());

  EXPECT_EQ(sub.u16(), 0xaabbu);
  EXPECT_EQ(sub.offset(), 1004u);
  EXPECT_EQ(sub.i32(), 0);
  EXPECT_EQ(sub.error(), "need 4 bytes, 2 left at offset 1004");
  EXPECT_EQ(sub.error_offset(), 1004u);
  // The sub-reader never reads past its own slice.
  EXPECT_TRUE(r.ok());
}

TEST(ProtocolSubReader, NestedSubReaders) {
  byte_buffer input(20, 0);
  reader r(input);
  r.raw(3);
  reader a = r.sub_reader(10);  // [3, 13)
  a.raw(4);
  reader b = a.sub_reader(5);  // [7, 12)
  EXPECT_EQ(b.offset(), 7u);
  b.raw(5);
  b.i8();
  EXPECT_EQ(b.error(), "need 1 bytes, 0 left at offset 12");
}

TEST(ProtocolSubReader, AdoptFailureCarriesFailureUp) {
  auto input = bytes_of({0x02, 0x00, 0x01, 0x09, 0x09});
  reader r(input);
  auto tag_count = r.uvarint();
  EXPECT_EQ(tag_count, 2u);
  reader sub = r.sub_reader(2);
  EXPECT_EQ(sub.i32(), 0);
  sub.add_path("value");
  ASSERT_FALSE(sub.ok());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.offset(), 3u);

  r.adopt_failure(sub);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_offset(), 1u);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.i8(), 0);
  r.add_path("tagged_fields");
  EXPECT_EQ(r.error(), "tagged_fields.value: need 4 bytes, 2 left at offset 1");
  // The sub-reader's own error is unchanged.
  EXPECT_EQ(sub.error(), "value: need 4 bytes, 2 left at offset 1");
}

TEST(ProtocolSubReader, AdoptFailureOfHealthySubReaderIsNoOp) {
  auto input = bytes_of({1, 2, 3, 4});
  reader r(input);
  reader sub = r.sub_reader(2);
  EXPECT_EQ(sub.i16(), 0x0102);
  r.adopt_failure(sub);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.i16(), 0x0304);
}

TEST(ProtocolSubReader, AdoptFailureKeepsParentsFirstFailure) {
  auto input = bytes_of({1, 2, 3});
  reader r(input);
  reader sub = r.sub_reader(1);
  sub.i32();
  r.i32();
  ASSERT_FALSE(r.ok());
  r.adopt_failure(sub);
  EXPECT_EQ(r.error(), "need 4 bytes, 2 left at offset 1");
}

TEST(ProtocolSubReader, TooLargeFailsParent) {
  auto input = bytes_of({1, 2, 3, 4, 5});
  reader r(input, 50);
  r.i16();
  reader sub = r.sub_reader(8);
  EXPECT_EQ(r.error(), "need 8 bytes, 3 left at offset 52");
  EXPECT_TRUE(sub.at_end());
  EXPECT_EQ(sub.remaining(), 0u);
}

// ---- writer ------------------------------------------------------------------------------------

TEST(ProtocolWriter, ReserveAndPatchI32) {
  writer w;
  w.i8(7);
  std::size_t at = w.reserve_i32();
  EXPECT_EQ(at, 1u);
  EXPECT_EQ(w.size(), 5u);
  w.string("ab", false);
  w.patch_i32(at, static_cast<std::int32_t>(w.size() - at - 4));
  EXPECT_EQ(w.buffer(), bytes_of({0x07, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 'a', 'b'}));

  w.patch_i32(at, -2);
  EXPECT_EQ(w.buffer(), bytes_of({0x07, 0xff, 0xff, 0xff, 0xfe, 0x00, 0x02, 'a', 'b'}));
  w.patch_i32(at, limits<std::int32_t>::min());
  EXPECT_EQ(w.buffer(), bytes_of({0x07, 0x80, 0x00, 0x00, 0x00, 0x00, 0x02, 'a', 'b'}));
}

TEST(ProtocolWriter, ReserveInCountingMode) {
  writer w(writer::counting);
  w.i16(1);
  std::size_t at = w.reserve_i32();
  EXPECT_EQ(at, 2u);
  w.patch_i32(at, 12345);  // nothing to patch; must not touch storage
  EXPECT_EQ(w.size(), 6u);
  EXPECT_TRUE(w.buffer().empty());
}

TEST(ProtocolWriter, TakeMovesTheBuffer) {
  writer w;
  w.i16(0x0102);
  EXPECT_EQ(w.take(), bytes_of({0x01, 0x02}));
}

TEST(ProtocolWriter, CountingSizeEqualsRealSize) {
  const uuid id{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  std::vector<std::function<void(writer&)>> steps = {
      [](writer& w) { w.i8(-5); },
      [](writer& w) { w.i16(300); },
      [](writer& w) { w.i32(-70000); },
      [](writer& w) { w.i64(limits<std::int64_t>::min()); },
      [](writer& w) { w.u16(65535); },
      [](writer& w) { w.u32(4000000000u); },
      [](writer& w) { w.f64(3.25); },
      [](writer& w) { w.boolean(true); },
      [&](writer& w) { w.uuid_value(id); },
      [](writer& w) { w.uvarint(0); },
      [](writer& w) { w.uvarint(16384); },
      [](writer& w) { w.uvarint(limits<std::uint32_t>::max()); },
      [](writer& w) { w.uvarlong(limits<std::uint64_t>::max()); },
      [](writer& w) { w.varint(-65); },
      [](writer& w) { w.varlong(limits<std::int64_t>::min()); },
      [](writer& w) { w.string("hello", false); },
      [](writer& w) { w.string(std::string(130, 'z'), true); },
      [](writer& w) { w.nullable_string(std::nullopt, false); },
      [](writer& w) { w.nullable_string(std::nullopt, true); },
      [](writer& w) { w.nullable_string("x", true); },
      [](writer& w) {
        w.bytes(bytes_of({1, 2, 3}), false);
      },
      [](writer& w) { w.bytes(byte_buffer(200, 1), true); },
      [](writer& w) { w.nullable_bytes(std::nullopt, false); },
      [](writer& w) { w.nullable_bytes(std::nullopt, true); },
      [](writer& w) { w.array_length(-1, true); },
      [](writer& w) { w.array_length(1000, true); },
      [](writer& w) { w.array_length(-1, false); },
      [](writer& w) {
        w.raw(bytes_of({9, 9, 9, 9, 9, 9, 9}));
      },
      [](writer& w) { w.reserve_i32(); },
  };
  writer real;
  writer counter(writer::counting);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(counted_size(steps[i]), encode(steps[i]).size());
    steps[i](real);
    steps[i](counter);
    EXPECT_EQ(counter.size(), real.size());
  }
  EXPECT_EQ(real.size(), real.buffer().size());
  EXPECT_EQ(real.size(), 453u);
  EXPECT_TRUE(counter.buffer().empty());
}

}  // namespace
}  // namespace kpipe::protocol
