// decode's input forms: raw, hex and base64, with whitespace, and their errors.
#include "parse/byte_input.hpp"

#include <gtest/gtest.h>

namespace kpipe::cli {
namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> list) {
  std::vector<std::uint8_t> out;
  for (int b : list) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

TEST(DecodeInput, RawIsTakenAsIs) {
  auto out = decode_input(std::string_view("a\0b", 3), input_encoding::raw);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), bytes({'a', 0, 'b'}));
}

TEST(DecodeInput, HexToleratesWhitespaceCaseAndPrefix) {
  for (std::string_view text : {"00ff10AB", " 00 ff\n10\tAb \n", "0x00ff10ab", "\n0x00 FF 10 ab"}) {
    auto out = decode_input(text, input_encoding::hex);
    ASSERT_TRUE(out.ok()) << text;
    EXPECT_EQ(out.value(), bytes({0x00, 0xff, 0x10, 0xab})) << text;
  }
}

TEST(DecodeInput, HexErrorsNameTheOffset) {
  auto bad = decode_input("00 0g", input_encoding::hex);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "input is not hex: character 'g' at offset 4");
  auto odd = decode_input("00 0", input_encoding::hex);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message, "input is not hex: odd digit at offset 3");
}

TEST(DecodeInput, Base64ToleratesWhitespace) {
  auto out = decode_input("AP8Q\nqw==\n", input_encoding::base64);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), bytes({0x00, 0xff, 0x10, 0xab}));
  EXPECT_FALSE(decode_input("AP8Q!", input_encoding::base64).ok());
}

}  // namespace
}  // namespace kpipe::cli
