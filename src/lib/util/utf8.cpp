#include "util/utf8.hpp"

#include <cstring>

namespace kpipe::util {

bool is_valid_utf8(std::span<const std::uint8_t> s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // ASCII eight bytes at a time: most keys and values are plain text, and checking them is
    // much of what rendering a record costs.
    while (n - i >= 8) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080) != 0) break;
      i += 8;
    }
    if (i == n) break;
    std::uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The lead byte gives the length and the range of the second byte (RFC 3629, table 3-7 of
    // Unicode): the narrowed ranges exclude overlong forms, surrogates and code points past
    // U+10FFFF.
    std::size_t length = 0;
    std::uint8_t low = 0x80;
    std::uint8_t high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c == 0xe0) {
      length = 3;
      low = 0xa0;
    } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
      length = 3;
    } else if (c == 0xed) {
      length = 3;
      high = 0x9f;
    } else if (c == 0xf0) {
      length = 4;
      low = 0x90;
    } else if (c >= 0xf1 && c <= 0xf3) {
      length = 4;
    } else if (c == 0xf4) {
      length = 4;
      high = 0x8f;
    } else {
      return false;
    }
    if (n - i < length) return false;
    if (s[i + 1] < low || s[i + 1] > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace kpipe::util
