// produce's -D/-K escapes: every known escape to its byte, and every malformed one refused with
// the offset of its backslash.
#include "parse/escapes.hpp"

#include <gtest/gtest.h>

namespace kpipe::cli {
namespace {

using namespace std::string_literals;

TEST(ParseEscapes, TurnsEscapesIntoBytes) {
  struct row {
    std::string text;
    std::string bytes;
  };
  for (const auto& [text, bytes] : {
           row{"", ""}, row{"plain", "plain"}, row{"\\n", "\n"}, row{"\\t", "\t"},
           row{"\\r\\n", "\r\n"}, row{"\\0", "\0"s}, row{"\\\\", "\\"}, row{"\\x00", "\0"s},
           row{"\\xff\\xFE\\x7f", "\xff\xfe\x7f"}, row{"\\x41B", "AB"}, row{"a\\0b\\0", "a\0b\0"s},
           row{"--\\n--", "--\n--"}, row{"\\\\n", "\\n"},  // an escaped backslash, then a plain n
           row{"é|", "é|"},                                // non-ASCII bytes pass through
       }) {
    auto parsed = parse_escapes(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), bytes) << text;
  }
}

TEST(ParseEscapes, RefusesUnknownAndTruncatedEscapesNamingTheOffset) {
  struct row {
    std::string text;
    std::string message_start;
  };
  for (const auto& [text, message_start] : {
           row{"\\", "trailing backslash at offset 0"},
           row{"ab\\", "trailing backslash at offset 2"},
           row{"\\q", "unknown escape \"\\q\" at offset 0"},
           row{"x\\a", "unknown escape \"\\a\" at offset 1"},
           row{"\\N", "unknown escape \"\\N\" at offset 0"},
           row{"\\1", "unknown escape \"\\1\" at offset 0"},
           row{"ab\\\x01", "unknown escape \"\\\" followed by byte 0x01 at offset 2"},
           row{"\\x", "\\x needs two hex digits at offset 0"},
           row{"\\x4", "\\x needs two hex digits at offset 0"},
           row{"\\x4g", "\\x needs two hex digits at offset 0"},
           row{"--\\xg1", "\\x needs two hex digits at offset 2"},
       }) {
    auto parsed = parse_escapes(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, error_kind::usage) << text;
    EXPECT_EQ(parsed.error().message.substr(0, message_start.size()), message_start) << text;
  }
}

TEST(ParseEscapes, ErrorListsTheKnownEscapes) {
  auto parsed = parse_escapes("\\q");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message,
            "unknown escape \"\\q\" at offset 0 (known escapes: \\n \\t \\r \\0 \\\\ \\xNN)");
}

}  // namespace
}  // namespace kpipe::cli
