// CRC32C: known vectors (RFC 3720's iSCSI vectors), extension over pieces, and the ISA-L path
// against the portable one on many lengths and alignments.

#include "record/crc32c.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "record/record_test_support.hpp"

namespace kpipe::record {
namespace {

using testing_support::bytes;
using testing_support::random_bytes;
using testing_support::view;

struct crc_vector {
  const char* name;
  bytes data;
  std::uint32_t crc;
};

std::vector<crc_vector> known_vectors() {
  bytes ascending(32), descending(32);
  for (int i = 0; i < 32; ++i) {
    ascending[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    descending[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(31 - i);
  }
  auto check = view("123456789");
  return {
      {"empty", {}, 0x00000000u},
      {"123456789", bytes(check.begin(), check.end()), 0xE3069283u},
      {"32 zeros", bytes(32, 0x00), 0x8A9136AAu},
      {"32 ones", bytes(32, 0xFF), 0x62A8AB43u},
      {"ascending", ascending, 0x46DD794Eu},
      {"descending", descending, 0x113FDB5Cu},
  };
}

TEST(Crc32c, KnownVectors) {
  for (const auto& v : known_vectors()) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(crc32c(v.data), v.crc);
    EXPECT_EQ(crc32c_portable(v.data), v.crc);
  }
}

TEST(Crc32c, ExtendsOverPiecesAtEverySplit) {
  bytes data = random_bytes(100, 7);
  std::uint32_t whole = crc32c(data);
  for (std::size_t split = 0; split <= data.size(); ++split) {
    std::span<const std::uint8_t> all(data);
    EXPECT_EQ(crc32c(all.subspan(split), crc32c(all.first(split))), whole) << split;
    EXPECT_EQ(crc32c_portable(all.subspan(split), crc32c_portable(all.first(split))), whole)
        << split;
  }
}

TEST(Crc32c, IsaLAgreesWithPortableOnManyLengthsAndAlignments) {
  bytes data = random_bytes(4096 + 16, 42);
  std::span<const std::uint8_t> all(data);
  for (std::size_t align = 0; align < 16; ++align) {
    for (std::size_t len = 0; len <= 1100; ++len) {
      auto piece = all.subspan(align, len);
      ASSERT_EQ(crc32c(piece), crc32c_portable(piece)) << "align " << align << " len " << len;
      ASSERT_EQ(crc32c(piece, 0x12345678u), crc32c_portable(piece, 0x12345678u));
    }
  }
  for (std::size_t len : {2048u, 4095u, 4096u}) {
    EXPECT_EQ(crc32c(all.subspan(3, len)), crc32c_portable(all.subspan(3, len))) << len;
  }
}

TEST(Crc32c, LargeBuffersAgree) {
  bytes data = random_bytes((std::size_t{1} << 20) + 3, 9);
  EXPECT_EQ(crc32c(data), crc32c_portable(data));
}

}  // namespace
}  // namespace kpipe::record
