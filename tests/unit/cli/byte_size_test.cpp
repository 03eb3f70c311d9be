#include "parse/byte_size.hpp"

#include <gtest/gtest.h>

namespace kpipe::cli {
namespace {

TEST(ByteSize, ParsesPlainAndBinarySuffixes) {
  EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(parse_byte_size("64k"), 65536u);
  EXPECT_EQ(parse_byte_size("64KiB"), 65536u);
  EXPECT_EQ(parse_byte_size("1MiB"), 1048576u);
  EXPECT_EQ(parse_byte_size("16MB"), 16u << 20);
  EXPECT_EQ(parse_byte_size("1g"), 1u << 30);
  EXPECT_EQ(parse_byte_size("0"), 0u);
}

TEST(ByteSize, RefusesNonsense) {
  EXPECT_FALSE(parse_byte_size(""));
  EXPECT_FALSE(parse_byte_size("MiB"));
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("1.5MiB"));
  EXPECT_FALSE(parse_byte_size("10 MiB"));
  EXPECT_FALSE(parse_byte_size("1TiB"));
  EXPECT_FALSE(parse_byte_size("99999999999999999999"));
  EXPECT_FALSE(parse_byte_size("18446744073709551615g"));
}

}  // namespace
}  // namespace kpipe::cli
