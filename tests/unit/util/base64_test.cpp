// Tests of util::base64 / decode_base64 (RFC 4648, standard and URL-safe alphabets) and append_hex.

#include "util/base64.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::util {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes bytes_of(std::string_view text) { return bytes(text.begin(), text.end()); }

bytes bytes_of(std::initializer_list<int> values) {
  bytes out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

bytes all_byte_values() {
  bytes out;
  for (int b = 0; b < 256; ++b) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

struct vector_case {
  std::string plain;
  std::string standard;  // padded
  std::string url_safe;  // unpadded
};

// RFC 4648 section 10, plus inputs whose encodings differ between the two alphabets.
const std::vector<vector_case>& known_vectors() {
  static const std::vector<vector_case> cases = {
      {"", "", ""},
      {"f", "Zg==", "Zg"},
      {"fo", "Zm8=", "Zm8"},
      {"foo", "Zm9v", "Zm9v"},
      {"foob", "Zm9vYg==", "Zm9vYg"},
      {"fooba", "Zm9vYmE=", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
      {"\xfb\xff", "+/8=", "-_8"},
      {"\xfb\xef\xbe", "++++", "----"},
      {"\xff\xff\xff", "////", "____"},
      {"\xff", "/w==", "_w"},
      {std::string("\0\0\0", 3), "AAAA", "AAAA"},
  };
  return cases;
}

TEST(Base64, EncodeStandardWithPadding) {
  for (const auto& c : known_vectors()) {
    SCOPED_TRACE(c.standard);
    EXPECT_EQ(base64(bytes_of(c.plain)), c.standard);
    EXPECT_EQ(base64(bytes_of(c.plain), false), c.standard);
  }
}

TEST(Base64, EncodeUrlSafeWithoutPadding) {
  for (const auto& c : known_vectors()) {
    SCOPED_TRACE(c.url_safe);
    EXPECT_EQ(base64(bytes_of(c.plain), true), c.url_safe);
  }
}

TEST(Base64, EncodeEveryTailLength) {
  // The 3-byte groups and each tail, against the RFC 4648 test vectors extended.
  const std::string input = "foobarfoobar";
  const char* expected[] = {"",
                            "Zg==",
                            "Zm8=",
                            "Zm9v",
                            "Zm9vYg==",
                            "Zm9vYmE=",
                            "Zm9vYmFy",
                            "Zm9vYmFyZg==",
                            "Zm9vYmFyZm8=",
                            "Zm9vYmFyZm9v",
                            "Zm9vYmFyZm9vYg==",
                            "Zm9vYmFyZm9vYmE="};
  for (std::size_t n = 0; n < 12; ++n) {
    auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(input.data()), n);
    EXPECT_EQ(base64(bytes), expected[n]) << n;
    std::string url = expected[n];
    while (!url.empty() && url.back() == '=') url.pop_back();
    EXPECT_EQ(base64(bytes, true), url) << n;
  }
}

TEST(Base64, AppendKeepsExistingText) {
  std::string out = "id=";
  append_base64(out, bytes_of("foob"));
  EXPECT_EQ(out, "id=Zm9vYg==");
  append_base64(out, bytes_of("\xfb\xff"), true);
  EXPECT_EQ(out, "id=Zm9vYg==-_8");
}

TEST(Base64, KafkaTopicIdStyle) {
  // A 16-byte uuid prints as 22 URL-safe characters, as Kafka's Uuid.toString does.
  bytes id = bytes_of({0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
                       0xdd, 0xee, 0xff});
  EXPECT_EQ(base64(id, true), "ABEiM0RVZneImaq7zN3u_w");
  EXPECT_EQ(base64(id), "ABEiM0RVZneImaq7zN3u/w==");
}

TEST(Base64, DecodeBothAlphabetsWithAndWithoutPadding) {
  for (const auto& c : known_vectors()) {
    SCOPED_TRACE(c.standard);
    const bytes expected = bytes_of(c.plain);
    std::string unpadded_standard = c.standard.substr(0, c.standard.find('='));
    std::string padded_url = c.url_safe + std::string(c.standard.size() - c.url_safe.size(), '=');
    for (const std::string& text : {c.standard, unpadded_standard, c.url_safe, padded_url}) {
      SCOPED_TRACE(text);
      auto decoded = decode_base64(text);
      ASSERT_TRUE(decoded.has_value());
      EXPECT_EQ(*decoded, expected);
    }
  }
}

TEST(Base64, DecodeMixedAlphabets) {
  auto decoded = decode_base64("+_-/");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, bytes_of({0xfb, 0xff, 0xbf}));
}

TEST(Base64, DecodeRejectsInvalidCharacters) {
  for (std::string_view text :
       {"Zm9v!", "Zm 9v", " Zm9v", "Zm9v\n", "Zm9v\r\n", "Zm.v", "Zm9*", "Zg==Zg==", "=Zg",
        "Z=g=", "Zm9v\xc3\xa9", "\x80\x80\x80\x80", "Zm9vYg\t"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(decode_base64(text), std::nullopt);
  }
  EXPECT_EQ(decode_base64(std::string_view("Zm\0v", 4)), std::nullopt);
}

TEST(Base64, DecodeRejectsImpossibleLengths) {
  // One character past a multiple of four can never come from an encoder: it carries six bits,
  // less than a byte.
  for (std::string_view text : {"Z", "Z=", "Z===", "Zm9vY", "Zm9vY===", "Zm9vYmFyZ", "_", "A==="}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(decode_base64(text), std::nullopt);
  }
}

TEST(Base64, DecodeEmpty) {
  auto decoded = decode_base64("");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->empty());
}

TEST(Base64, RoundTripOfEveryByteValue) {
  const bytes all = all_byte_values();
  EXPECT_EQ(base64(all).substr(0, 12), "AAECAwQFBgcI");
  EXPECT_EQ(base64(all).substr(base64(all).size() - 8), "/P3+/w==");
  EXPECT_EQ(base64(all, true).substr(base64(all, true).size() - 6), "_P3-_w");
  // Every length up to 256, so that every remainder and every byte value at every position of a
  // group is covered in both alphabets.
  for (std::size_t n = 0; n <= all.size(); ++n) {
    SCOPED_TRACE(n);
    bytes data(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    std::string standard = base64(data);
    std::string url = base64(data, true);
    EXPECT_EQ(standard.size(), (n + 2) / 3 * 4);
    EXPECT_EQ(url.size(), (n * 4 + 2) / 3);
    EXPECT_EQ(decode_base64(standard), data);
    EXPECT_EQ(decode_base64(url), data);
  }
  // Every byte value in each of the three positions of a group.
  for (int b = 0; b < 256; ++b) {
    for (std::size_t pos = 0; pos < 3; ++pos) {
      bytes data = {0x5a, 0xa5, 0x3c};
      data[pos] = static_cast<std::uint8_t>(b);
      EXPECT_EQ(decode_base64(base64(data)), data) << b << " at " << pos;
      EXPECT_EQ(decode_base64(base64(data, true)), data) << b << " at " << pos;
    }
  }
}

TEST(Hex, AppendHex) {
  struct row {
    bytes data;
    std::string expected;
  };
  for (const auto& [data, expected] : std::vector<row>{
           {{}, ""},
           {bytes_of({0x00}), "00"},
           {bytes_of({0x00, 0x01, 0x7f, 0x80, 0xab, 0xff}), "00017f80abff"},
           {bytes_of({0xde, 0xad, 0xbe, 0xef}), "deadbeef"},
       }) {
    SCOPED_TRACE(expected);
    std::string out;
    append_hex(out, data);
    EXPECT_EQ(out, expected);
  }
  std::string out = "0x";
  append_hex(out, bytes_of({0x0a, 0xf0}));
  EXPECT_EQ(out, "0x0af0");

  std::string all;
  append_hex(all, all_byte_values());
  ASSERT_EQ(all.size(), 512u);
  for (int b = 0; b < 256; ++b) {
    char expected[3];
    std::snprintf(expected, sizeof expected, "%02x", b);
    EXPECT_EQ(all.substr(static_cast<std::size_t>(b) * 2, 2), expected);
  }
}

TEST(Base64, DecodeRejectsBadPaddingAndStrayBits) {
  for (std::string_view text : {"Zg=", "Zg===", "Zm9v=", "Zm9=v", "Zh==", "Zm9=", "Zh"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(decode_base64(text), std::nullopt);
  }
  EXPECT_EQ(decode_base64("Zm8="), bytes_of({'f', 'o'}));
  EXPECT_EQ(decode_base64("Zm8"), bytes_of({'f', 'o'}));
}

}  // namespace
}  // namespace kpipe::util
