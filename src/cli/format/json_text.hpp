#pragma once
// Byte-level pieces of the JSON envelope, shared by its writer (envelope.cpp), its reader
// (envelope_reader.cpp) and the JSON scanner both use: UTF-8 checks, string escaping, base64 and
// hex in both directions. Inline on purpose: they are the consume -J hot path. Not for other code.

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "util/json_writer.hpp"
#include "util/utf8.hpp"

namespace kpipe::cli::json_text {

using byte = std::uint8_t;
using bytes_view = std::span<const byte>;

constexpr char hex_digits[] = "0123456789abcdef";
constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Containers nest at most this deep in an embedded JSON value, as in util::parse_json; the
// scanner recurses, so the limit also bounds its stack.
constexpr int max_json_depth = 256;

// ---- UTF-8 and string scanning -----------------------------------------------------------------

// Length of the well-formed UTF-8 sequence at p, whose first byte is >= 0x80, or 0 when there is
// none (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
inline std::size_t utf8_sequence(const byte* p, const byte* end) {
  const auto left = static_cast<std::size_t>(end - p);
  const byte c = p[0];
  auto continuation = [](byte b) { return (b & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && continuation(p[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const byte low = c == 0xE0 ? 0xA0 : 0x80;   // E0 80..9F would be overlong
    const byte high = c == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a surrogate
    return p[1] >= low && p[1] <= high && continuation(p[2]) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const byte low = c == 0xF0 ? 0x90 : 0x80;   // F0 80..8F would be overlong
    const byte high = c == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would be above U+10FFFF
    return p[1] >= low && p[1] <= high && continuation(p[2]) && continuation(p[3]) ? 4 : 0;
  }
  return 0;
}

constexpr std::uint64_t every_byte(std::uint8_t b) { return 0x0101010101010101ULL * b; }

// Bytes that need attention inside a JSON string: '"', '\\', control characters, and everything
// outside ASCII (checked as UTF-8).
inline bool special_byte(byte c) { return util::json_needs_escape(c) || c >= 0x80; }

// The high bit of each byte of w that is special, exact up to the lowest special byte (the
// "x - k borrows" tricks below can also flag bytes above it, never below). Zero when none is.
inline std::uint64_t special_flags(std::uint64_t w) {
  const std::uint64_t quote = w ^ every_byte('"');
  const std::uint64_t backslash = w ^ every_byte('\\');
  const std::uint64_t flags =
      w | (w - every_byte(0x20)) | (quote - every_byte(1)) | (backslash - every_byte(1));
  return flags & every_byte(0x80);
}

inline std::uint64_t load_word(const byte* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// The first special byte at or after p, or end: eight bytes at a time, so that the long plain
// ASCII runs of typical keys and values cost little.
inline const byte* find_special(const byte* p, const byte* end) {
  while (end - p >= 8) {
    if (const std::uint64_t flags = special_flags(load_word(p))) {
      if constexpr (std::endian::native == std::endian::little)
        return p + std::countr_zero(flags) / 8;
      break;
    }
    p += 8;
  }
  while (p != end && !special_byte(*p)) ++p;
  return p;
}

// Appends a string literal without measuring it at run time.
template <std::size_t N>
void put(std::string& out, const char (&text)[N]) {
  out.append(text, N - 1);
}

inline void append_escape(std::string& out, byte c) {
  switch (c) {
    case '"':
      put(out, "\\\"");
      return;
    case '\\':
      put(out, "\\\\");
      return;
    case '\n':
      put(out, "\\n");
      return;
    case '\r':
      put(out, "\\r");
      return;
    case '\t':
      put(out, "\\t");
      return;
    case '\b':
      put(out, "\\b");
      return;
    case '\f':
      put(out, "\\f");
      return;
    default: {
      const char u[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
      out.append(u, sizeof u);
    }
  }
}

enum class on_invalid_utf8 { fail, replace };

// Appends the bytes as a JSON string literal. Runs of bytes that need no escaping are copied in
// one append; ASCII is checked eight bytes at a time. With `fail`, invalid UTF-8 leaves `out` as
// it was and returns false; with `replace`, each byte that starts no valid sequence becomes
// U+FFFD.
inline bool append_string_literal(std::string& out, bytes_view bytes, on_invalid_utf8 policy) {
  const std::size_t mark = out.size();
  const byte* p = bytes.data();
  const byte* const end = p + bytes.size();
  const byte* run = p;
  auto flush = [&] {
    out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
  };
  out += '"';
  while (p != end) {
    p = find_special(p, end);
    if (p == end) break;
    const byte c = *p;
    if (c < 0x80) {
      flush();
      append_escape(out, c);
      run = ++p;
      continue;
    }
    if (std::size_t n = utf8_sequence(p, end)) {
      p += n;
      continue;
    }
    if (policy == on_invalid_utf8::fail) {
      out.resize(mark);
      return false;
    }
    flush();
    put(out, "\xEF\xBF\xBD");
    run = ++p;
  }
  flush();
  out += '"';
  return true;
}

// util::append_base64 appends a character at a time; this one sizes the output once, which is
// what keeps binary payloads cheap on the consume -J path.
inline void append_base64_text(std::string& out, bytes_view bytes) {
  const std::size_t n = bytes.size();
  const std::size_t old = out.size();
  out.resize(old + (n + 2) / 3 * 4);
  char* d = out.data() + old;
  const byte* s = bytes.data();
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{s[i]} << 16) | (std::uint32_t{s[i + 1]} << 8) | s[i + 2];
    d[0] = base64_alphabet[v >> 18];
    d[1] = base64_alphabet[(v >> 12) & 63];
    d[2] = base64_alphabet[(v >> 6) & 63];
    d[3] = base64_alphabet[v & 63];
    d += 4;
  }
  if (i < n) {
    std::uint32_t v = std::uint32_t{s[i]} << 16;
    if (i + 1 < n) v |= std::uint32_t{s[i + 1]} << 8;
    d[0] = base64_alphabet[v >> 18];
    d[1] = base64_alphabet[(v >> 12) & 63];
    d[2] = i + 1 < n ? base64_alphabet[(v >> 6) & 63] : '=';
    d[3] = '=';
  }
}

inline void append_hex_text(std::string& out, bytes_view bytes) {
  const std::size_t old = out.size();
  out.resize(old + bytes.size() * 2);
  char* d = out.data() + old;
  for (byte b : bytes) {
    *d++ = hex_digits[b >> 4];
    *d++ = hex_digits[b & 15];
  }
}

template <class Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// The four hex digits after "\u" at p (p[0] == '\\', p[1] == 'u'), or -1.
inline long read_u_escape(const char* p, const char* end) {
  if (end - p < 6) return -1;
  long v = 0;
  for (int i = 2; i < 6; ++i) {
    int d = util::hex_digit_value(static_cast<unsigned char>(p[i]));
    if (d < 0) return -1;
    v = v << 4 | d;
  }
  return v;
}

// ---- decoding base64 and hex -------------------------------------------------------------------

constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::int8_t>(i);
  t['-'] = 62;  // the URL-safe alphabet (RFC 4648 section 5)
  t['_'] = 63;
  return t;
}
constexpr auto base64_table = make_base64_table();

inline std::string at_character(std::string_view what, std::size_t index) {
  return std::string(what) + " at character " + std::to_string(index + 1);
}

// Appends the decoded bytes to out; on error returns false with a message in why.
inline bool decode_base64_text(std::string_view text, std::string& out, std::string& why) {
  std::size_t data = text.size();
  while (data > 0 && text[data - 1] == '=') --data;
  for (std::size_t i = 0; i < data; ++i) {
    if (base64_table[static_cast<unsigned char>(text[i])] < 0) {
      why = at_character("invalid base64", i);
      return false;
    }
  }
  const std::size_t padding = text.size() - data;
  if (padding > 2 || (padding > 0 && text.size() % 4 != 0)) {
    why = at_character("invalid base64", data);  // the first '='
    return false;
  }
  if (data % 4 == 1) {
    why = "invalid base64: " + std::to_string(data) + " characters cannot encode whole bytes";
    return false;
  }
  const std::size_t old = out.size();
  out.resize(old + data / 4 * 3 + (data % 4 == 0 ? 0 : data % 4 - 1));
  char* d = out.data() + old;
  auto v = [&](std::size_t i) {
    return static_cast<std::uint32_t>(base64_table[static_cast<unsigned char>(text[i])]);
  };
  std::size_t i = 0;
  for (; i + 4 <= data; i += 4) {
    const std::uint32_t n = v(i) << 18 | v(i + 1) << 12 | v(i + 2) << 6 | v(i + 3);
    *d++ = static_cast<char>(n >> 16);
    *d++ = static_cast<char>(n >> 8);
    *d++ = static_cast<char>(n);
  }
  const std::size_t left = data - i;
  if (left > 0) {
    std::uint32_t n = v(i) << 18 | v(i + 1) << 12;
    if (left == 3) n |= v(i + 2) << 6;
    // Bits past the last whole byte must be zero: "QR==" is not another spelling of "QQ==".
    if ((left == 2 && (n & 0xFFFF)) || (left == 3 && (n & 0xFF))) {
      out.resize(old);
      why = at_character("invalid base64", data - 1);
      return false;
    }
    *d++ = static_cast<char>(n >> 16);
    if (left == 3) *d++ = static_cast<char>(n >> 8);
  }
  return true;
}

inline bool decode_hex_text(std::string_view text, std::string& out, std::string& why) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (util::hex_digit_value(static_cast<unsigned char>(text[i])) < 0) {
      why = at_character("invalid hex", i);
      return false;
    }
  }
  if (text.size() % 2 != 0) {
    why = "invalid hex: odd number of digits (" + std::to_string(text.size()) + ")";
    return false;
  }
  const std::size_t old = out.size();
  out.resize(old + text.size() / 2);
  char* d = out.data() + old;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    *d++ = static_cast<char>(util::hex_digit_value(static_cast<unsigned char>(text[i])) << 4 |
                             util::hex_digit_value(static_cast<unsigned char>(text[i + 1])));
  }
  return true;
}

}  // namespace kpipe::cli::json_text
