#pragma once
// Small text helpers shared by the JSON parsers (util::json_value, the CLI's envelope reader) and
// the JSON renderers of bytes (decode, consume -J).

#include <cstdint>
#include <span>
#include <string>

namespace kpipe::util {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::span<const std::uint8_t> bytes);

// Appends code point `cp` (at most U+10FFFF) encoded as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

// The value of one hex digit (either case), or -1.
inline int hex_digit_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace kpipe::util
