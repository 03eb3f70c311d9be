#include "format/envelope.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <system_error>

#include "util/utf8.hpp"

namespace kpipe::cli {
namespace {

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
std::size_t utf8_sequence(const byte* p, const byte* end) {
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
inline bool special_byte(byte c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

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

void append_escape(std::string& out, byte c) {
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
bool append_string_literal(std::string& out, bytes_view bytes, on_invalid_utf8 policy) {
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
void append_base64_text(std::string& out, bytes_view bytes) {
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

void append_hex_text(std::string& out, bytes_view bytes) {
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
long read_u_escape(const char* p, const char* end) {
  if (end - p < 6) return -1;
  long v = 0;
  for (int i = 2; i < 6; ++i) {
    int d = util::hex_digit_value(static_cast<unsigned char>(p[i]));
    if (d < 0) return -1;
    v = v << 4 | d;
  }
  return v;
}

// ---- JSON scanning -----------------------------------------------------------------------------

// Validates JSON (RFC 8259, as strictly as util::parse_json: no comments, no leading zeros, valid
// UTF-8, paired surrogate escapes) and, when `out` is set, appends what it read with the whitespace
// between tokens dropped. The writer uses it to embed values (--value-encoding json) and the
// reader to take them back, so both agree on what is JSON. A failure records where and why as
// static text: the writer, which only falls back to another encoding, never builds a message.
struct json_scanner {
  json_scanner(const char* begin, const char* end_of_text, std::string* compact_out)
      : p(begin), end(end_of_text), out(compact_out) {}

  const char* p;
  const char* end;
  std::string* out;
  const char* failed_at = nullptr;
  const char* failure = nullptr;
  // Of the outermost value, when it is an object: its member count and the raw first name.
  std::size_t top_members = 0;
  std::string_view first_name;

  bool fail(const char* at, const char* why) {
    failed_at = at;
    failure = why;
    return false;
  }
  void emit(const char* from, std::size_t n) {
    if (out) out->append(from, n);
  }
  void emit(char c) {
    if (out) *out += c;
  }
  void skip_whitespace() {
    while (p != end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool value(int depth) {
    skip_whitespace();
    if (p == end) return fail(p, "expected a JSON value, found the end of the line");
    switch (*p) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (*p == '-' || is_digit(*p)) return number();
        return fail(p, "expected a JSON value");
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end - p) < word.size() || std::string_view(p, word.size()) != word)
      return fail(p, "expected a JSON value");
    emit(p, word.size());
    p += word.size();
    return true;
  }

  bool number() {
    const char* start = p;
    if (*p == '-') ++p;
    if (p == end || !is_digit(*p)) return fail(p, "expected a digit");
    if (*p == '0') {
      ++p;
    } else {
      while (p != end && is_digit(*p)) ++p;
    }
    if (p != end && *p == '.') {
      ++p;
      if (p == end || !is_digit(*p)) return fail(p, "expected a digit after '.'");
      while (p != end && is_digit(*p)) ++p;
    }
    if (p != end && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p != end && (*p == '+' || *p == '-')) ++p;
      if (p == end || !is_digit(*p)) return fail(p, "expected a digit in the exponent");
      while (p != end && is_digit(*p)) ++p;
    }
    emit(start, static_cast<std::size_t>(p - start));
    return true;
  }

  // At '"'. content: the bytes between the quotes; escaped: whether they hold an escape.
  bool string(std::string_view* content = nullptr, bool* escaped = nullptr) {
    const char* start = p;
    const auto* q = reinterpret_cast<const byte*>(p + 1);
    const auto* e = reinterpret_cast<const byte*>(end);
    bool any_escape = false;
    for (;;) {
      q = find_special(q, e);
      if (q == e) return fail(end, "unterminated string");
      const byte c = *q;
      if (c == '"') break;
      if (c == '\\') {
        any_escape = true;
        const char* at = reinterpret_cast<const char*>(q);
        if (e - q < 2) return fail(end, "unterminated string");
        switch (q[1]) {
          case '"':
          case '\\':
          case '/':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            q += 2;
            continue;
          case 'u':
            break;
          default:
            return fail(at, "invalid escape in a string");
        }
        long cp = read_u_escape(at, end);
        if (cp < 0) return fail(at, "\\u needs four hex digits");
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(at, "unpaired surrogate escape in a string");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const char* next = at + 6;
          long low =
              end - next >= 2 && next[0] == '\\' && next[1] == 'u' ? read_u_escape(next, end) : -1;
          if (low < 0xDC00 || low > 0xDFFF)
            return fail(at, "unpaired surrogate escape in a string");
          q += 12;
        } else {
          q += 6;
        }
        continue;
      }
      if (c < 0x20) return fail(reinterpret_cast<const char*>(q), "control character in a string");
      std::size_t n = utf8_sequence(q, e);
      if (n == 0) return fail(reinterpret_cast<const char*>(q), "invalid UTF-8 in a string");
      q += n;
    }
    const char* close = reinterpret_cast<const char*>(q);
    if (content)
      *content = std::string_view(start + 1, static_cast<std::size_t>(close - start - 1));
    if (escaped) *escaped = any_escape;
    p = close + 1;
    emit(start, static_cast<std::size_t>(p - start));
    return true;
  }

  bool object(int depth) {
    if (depth >= max_json_depth) return fail(p, "JSON nested too deeply");
    emit('{');
    ++p;
    skip_whitespace();
    std::size_t members = 0;
    if (p != end && *p == '}') {
      emit('}');
      ++p;
    } else {
      for (;;) {
        skip_whitespace();
        if (p == end || *p != '"') return fail(p, "expected a member name");
        std::string_view name;
        if (!string(&name)) return false;
        if (members++ == 0 && depth == 0) first_name = name;
        skip_whitespace();
        if (p == end || *p != ':') return fail(p, "expected ':' after a member name");
        emit(':');
        ++p;
        if (!value(depth + 1)) return false;
        skip_whitespace();
        if (p != end && *p == ',') {
          emit(',');
          ++p;
          continue;
        }
        if (p != end && *p == '}') {
          emit('}');
          ++p;
          break;
        }
        return fail(p, "expected ',' or '}' in an object");
      }
    }
    if (depth == 0) top_members = members;
    return true;
  }

  bool array(int depth) {
    if (depth >= max_json_depth) return fail(p, "JSON nested too deeply");
    emit('[');
    ++p;
    skip_whitespace();
    if (p != end && *p == ']') {
      emit(']');
      ++p;
      return true;
    }
    for (;;) {
      if (!value(depth + 1)) return false;
      skip_whitespace();
      if (p != end && *p == ',') {
        emit(',');
        ++p;
        continue;
      }
      if (p != end && *p == ']') {
        emit(']');
        ++p;
        return true;
      }
      return fail(p, "expected ',' or ']' in an array");
    }
  }
};

// Appends the text of a string the scanner accepted, escapes resolved.
void append_unescaped(std::string& out, std::string_view content) {
  std::size_t run = 0;
  for (std::size_t i = content.find('\\'); i != std::string_view::npos;
       i = content.find('\\', run)) {
    out.append(content.data() + run, i - run);
    const char c = content[i + 1];
    run = i + 2;
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const char* at = content.data() + i;
        const char* end = content.data() + content.size();
        auto cp = static_cast<std::uint32_t>(read_u_escape(at, end));
        run = i + 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // the scanner checked that a low half follows
          auto low = static_cast<std::uint32_t>(read_u_escape(at + 6, end));
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          run = i + 12;
        }
        util::append_utf8(out, cp);
        break;
      }
      default:  // '"', '\\', '/'
        out += c;
    }
  }
  out.append(content.data() + run, content.size() - run);
}

// Whether a raw member name (escapes unresolved) spells `name`, which is ASCII. Escaped spellings
// ("b\u0061se64") count: the reader resolves escapes before comparing.
bool name_is(std::string_view raw, std::string_view name) {
  if (raw.find('\\') == std::string_view::npos) return raw == name;
  if (raw.size() > 6 * name.size()) return false;
  std::string decoded;  // short: within the small-string buffer
  append_unescaped(decoded, raw);
  return decoded == name;
}

// Appends the bytes as an embedded JSON value (compact) when they are one and reading them back
// would give the same bytes' compact form; else leaves out as it was and returns false.
bool append_embedded_json(std::string& out, bytes_view bytes) {
  const char* text = reinterpret_cast<const char*>(bytes.data());
  json_scanner s{text, text + bytes.size(), &out};
  s.skip_whitespace();
  // A string or null at the top would read back as that string's text or as a null record.
  if (s.p == s.end || *s.p == '"' || *s.p == 'n') return false;
  const char first = *s.p;
  const std::size_t mark = out.size();
  bool ok = s.value(0);
  if (ok) {
    s.skip_whitespace();
    ok = s.p == s.end;
  }
  // {"base64":...} and {"hex":...} alone are how the envelope spells encoded bytes.
  if (ok && first == '{' && s.top_members == 1 &&
      (name_is(s.first_name, "base64") || name_is(s.first_name, "hex")))
    ok = false;
  if (!ok) out.resize(mark);
  return ok;
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

std::string at_character(std::string_view what, std::size_t index) {
  return std::string(what) + " at character " + std::to_string(index + 1);
}

// Appends the decoded bytes to out; on error returns false with a message in why.
bool decode_base64_text(std::string_view text, std::string& out, std::string& why) {
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

bool decode_hex_text(std::string_view text, std::string& out, std::string& why) {
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

// ---- reading an envelope -----------------------------------------------------------------------

enum member_id : unsigned {
  m_topic,
  m_partition,
  m_offset,
  m_timestamp,
  m_timestamp_type,
  m_key,
  m_value,
  m_headers,
  m_leader_epoch,
  member_count
};
constexpr std::array<std::string_view, member_count> member_names = {
    "topic", "partition", "offset",  "timestamp",   "timestamp_type",
    "key",   "value",     "headers", "leader_epoch"};

class envelope_reader {
 public:
  envelope_reader(std::string_view line, parsed_envelope& out)
      : begin_(line.data()), p_(line.data()), end_(line.data() + line.size()), out_(out) {}

  status read() {
    if (!read_object()) return std::move(error_);
    return success{};
  }

 private:
  // -- errors: "<member>[i][j]: what", syntax errors "... at column N"
  std::string context() const {
    std::string c(member_);
    if (header_index_ >= 0) {
      c += '[' + std::to_string(header_index_) + ']';
      if (header_part_ >= 0) c += '[' + std::to_string(header_part_) + ']';
    }
    return c;
  }
  bool fail(std::string what) {
    std::string c = context();
    error_.message = c.empty() ? std::move(what) : c + ": " + what;
    return false;
  }
  bool fail_at(const char* at, std::string_view what) {
    return fail(std::string(what) + " at column " + std::to_string(at - begin_ + 1));
  }
  bool fail_scan(const json_scanner& s) { return fail_at(s.failed_at, s.failure); }

  // "expected <what>, got <the value's text>"; a value that does not even parse is reported as
  // the syntax error it is.
  bool fail_expected(std::string_view what) {
    json_scanner s{p_, end_, nullptr};
    if (!s.value(0)) return fail_scan(s);
    std::string got;
    if (*p_ == '{') {
      got = "an object";
    } else if (*p_ == '[') {
      got = "an array";
    } else {
      constexpr std::size_t shown = 40;
      std::string_view text(p_, static_cast<std::size_t>(s.p - p_));
      if (text.size() > shown) {
        std::size_t cut = shown;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        got = std::string(text.substr(0, cut)) + "...";
      } else {
        got = text;
      }
    }
    return fail("expected " + std::string(what) + ", got " + got);
  }

  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool at(char c) const { return p_ != end_ && *p_ == c; }
  bool at_null() const { return end_ - p_ >= 4 && std::string_view(p_, 4) == "null"; }
  bool expect(char c, std::string_view what) {
    skip_whitespace();
    if (!at(c)) return fail_at(p_, what);
    ++p_;
    return true;
  }

  // A string at p_ into target (replacing its contents).
  bool read_string(std::string& target) {
    json_scanner s{p_, end_, nullptr};
    std::string_view content;
    bool escaped = false;
    if (!s.string(&content, &escaped)) return fail_scan(s);
    p_ = s.p;
    target.clear();
    if (escaped) {
      append_unescaped(target, content);
    } else {
      target.assign(content);
    }
    return true;
  }

  // Bytes that are not null: a string, {"base64":"..."}, {"hex":"..."}, or (when embedded is
  // allowed) any other JSON value as its compact text. Replaces target's contents.
  bool read_bytes(std::string& target, bool embedded) {
    skip_whitespace();
    if (at('"')) return read_string(target);
    if (at('{')) {
      int decoded = read_encoded(target);
      if (decoded != 0) return decoded > 0;
    }
    if (!embedded) return fail_expected(R"(a string, {"base64":"..."} or {"hex":"..."})");
    if (p_ == end_) return fail_at(p_, "expected a JSON value, found the end of the line");
    target.clear();
    json_scanner s{p_, end_, &target};
    if (!s.value(0)) return fail_scan(s);
    p_ = s.p;
    return true;
  }

  // At '{': 1 when it was {"base64":"..."} or {"hex":"..."} and target holds the bytes, -1 on an
  // error, 0 when the object is something else (p_ unchanged).
  int read_encoded(std::string& target) {
    json_scanner s{p_ + 1, end_, nullptr};
    s.skip_whitespace();
    if (s.p == end_ || *s.p != '"') return 0;
    std::string_view name;
    if (!s.string(&name)) return 0;  // reported when the object is read as a whole
    const bool base64 = name_is(name, "base64");
    if (!base64 && !name_is(name, "hex")) return 0;
    s.skip_whitespace();
    if (s.p == end_ || *s.p != ':') return 0;
    ++s.p;
    s.skip_whitespace();
    const char* text_at = s.p;
    std::string_view content;
    bool escaped = false;
    const bool is_string = s.p != end_ && *s.p == '"';
    if (!(is_string ? s.string(&content, &escaped) : s.value(1))) return 0;
    s.skip_whitespace();
    if (s.p == end_ || *s.p != '}') return 0;  // more members: an embedded object
    if (!is_string) {
      p_ = text_at;
      fail_expected(base64 ? "a base64 string" : "a hex string");
      return -1;
    }
    std::string_view text = content;
    if (escaped) {  // legal JSON, if odd for base64 text
      scratch_.clear();
      append_unescaped(scratch_, content);
      text = scratch_;
    }
    target.clear();
    std::string why;
    if (!(base64 ? decode_base64_text(text, target, why) : decode_hex_text(text, target, why))) {
      fail(std::move(why));
      return -1;
    }
    p_ = s.p + 1;
    return 1;
  }

  bool read_nullable_bytes(std::optional<std::string>& target) {
    skip_whitespace();
    if (at_null()) {
      p_ += 4;
      target.reset();
      return true;
    }
    if (!target) target.emplace();
    return read_bytes(*target, true);
  }

  bool read_integer(std::int64_t min, std::int64_t max, std::optional<std::int64_t>& target) {
    skip_whitespace();
    if (at_null()) {
      p_ += 4;
      target.reset();
      return true;
    }
    if (p_ == end_ || !(*p_ == '-' || json_scanner::is_digit(*p_)))
      return fail_expected("an integer");
    json_scanner s{p_, end_, nullptr};
    if (!s.number()) return fail_scan(s);
    std::string_view text(p_, static_cast<std::size_t>(s.p - p_));
    if (text.find_first_of(".eE") != std::string_view::npos)
      return fail("expected an integer, got " + std::string(text));
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max)
      return fail(std::string(text) + " is out of range (" + std::to_string(min) + " to " +
                  std::to_string(max) + ")");
    p_ = s.p;
    target = v;
    return true;
  }

  template <class Int>
  bool read_integer_as(std::optional<Int>& target, std::int64_t min) {
    std::optional<std::int64_t> v;
    if (!read_integer(min, std::numeric_limits<Int>::max(), v)) return false;
    target.reset();
    if (v) target = static_cast<Int>(*v);
    return true;
  }

  bool read_topic() {
    skip_whitespace();
    if (at_null()) {
      p_ += 4;
      out_.topic.reset();
      return true;
    }
    if (!at('"')) return fail_expected("a string");
    if (!out_.topic) out_.topic.emplace();
    return read_string(*out_.topic);
  }

  bool read_timestamp_type() {
    skip_whitespace();
    out_.timestamp_type.reset();
    if (at_null()) {
      p_ += 4;
      return true;
    }
    const char* start = p_;
    if (at('"')) {
      json_scanner s{p_, end_, nullptr};
      std::string_view content;
      bool escaped = false;
      if (!s.string(&content, &escaped)) return fail_scan(s);
      if (name_is(content, "create")) {
        out_.timestamp_type = record::timestamp_type::create_time;
      } else if (name_is(content, "log_append")) {
        out_.timestamp_type = record::timestamp_type::log_append_time;
      }
      if (out_.timestamp_type) {
        p_ = s.p;
        return true;
      }
    }
    p_ = start;
    return fail_expected(R"("create" or "log_append")");
  }

  bool read_headers() {
    auto& headers = out_.headers;
    skip_whitespace();
    if (at_null()) {
      p_ += 4;
      headers.clear();
      return true;
    }
    if (!at('[')) return fail_expected("an array of [name, value] pairs");
    ++p_;
    std::size_t n = 0;
    skip_whitespace();
    if (at(']')) {
      ++p_;
      headers.clear();
      return true;
    }
    for (;;) {
      header_index_ = static_cast<long>(n);
      skip_whitespace();
      if (!at('[')) return fail_expected("a [name, value] pair");
      ++p_;
      // Reuse the strings of the previous line's headers.
      if (n == headers.size()) headers.emplace_back();
      auto& [name, value] = headers[n];
      header_part_ = 0;
      skip_whitespace();
      if (at_null()) return fail("a header name cannot be null");
      if (!read_bytes(name, false)) return false;
      header_part_ = -1;
      if (!expect(',', "expected ',' after the header name")) return false;
      header_part_ = 1;
      if (!read_nullable_bytes(value)) return false;
      header_part_ = -1;
      if (!expect(']', "expected ']' after the header value (a header is a [name, value] pair)"))
        return false;
      ++n;
      skip_whitespace();
      if (at(',')) {
        ++p_;
        continue;
      }
      if (at(']')) {
        ++p_;
        break;
      }
      header_index_ = -1;
      return fail_at(p_, "expected ',' or ']' after a header");
    }
    header_index_ = -1;
    headers.resize(n);
    return true;
  }

  bool read_member(member_id id) {
    switch (id) {
      case m_topic:
        return read_topic();
      case m_partition:
        return read_integer_as(out_.partition, 0);
      case m_offset:
        return read_integer_as(out_.offset, std::numeric_limits<std::int64_t>::min());
      case m_timestamp:
        return read_integer_as(out_.timestamp, std::numeric_limits<std::int64_t>::min());
      case m_timestamp_type:
        return read_timestamp_type();
      case m_key:
        return read_nullable_bytes(out_.key);
      case m_value:
        return read_nullable_bytes(out_.value);
      case m_headers:
        return read_headers();
      case m_leader_epoch:
        return read_integer_as(out_.leader_epoch, std::numeric_limits<std::int32_t>::min());
      case member_count:
        break;
    }
    return false;
  }

  bool read_object() {
    skip_whitespace();
    if (!at('{')) return fail("not a JSON object");
    ++p_;
    unsigned seen = 0;
    skip_whitespace();
    if (at('}')) {
      ++p_;
    } else {
      for (;;) {
        skip_whitespace();
        if (!at('"')) return fail_at(p_, "expected a member name");
        json_scanner s{p_, end_, nullptr};
        std::string_view raw;
        bool escaped = false;
        if (!s.string(&raw, &escaped)) return fail_scan(s);
        std::string name_buffer;
        std::string_view name = raw;
        if (escaped) {
          append_unescaped(name_buffer, raw);
          name = name_buffer;
        }
        unsigned id = 0;
        while (id < member_count && member_names[id] != name) ++id;
        if (id == member_count) {
          std::string known;
          for (auto n : member_names) known += (known.empty() ? "" : ", ") + std::string(n);
          return fail("unknown key \"" + std::string(name) + "\" (known: " + known + ")");
        }
        if (seen & (1u << id)) return fail("duplicate key \"" + std::string(name) + "\"");
        seen |= 1u << id;
        p_ = s.p;
        if (!expect(':', "expected ':' after a member name")) return false;
        member_ = member_names[id];
        if (!read_member(static_cast<member_id>(id))) return false;
        member_ = {};
        skip_whitespace();
        if (at(',')) {
          ++p_;
          continue;
        }
        if (at('}')) {
          ++p_;
          break;
        }
        return fail_at(p_, "expected ',' or '}' after a member");
      }
    }
    skip_whitespace();
    if (p_ != end_) return fail_at(p_, "unexpected text after the object");
    if (!(seen & (1u << m_value))) return fail("missing key \"value\" (null for a tombstone)");
    // Members not on this line must not keep the previous line's values.
    if (!(seen & (1u << m_topic))) out_.topic.reset();
    if (!(seen & (1u << m_partition))) out_.partition.reset();
    if (!(seen & (1u << m_offset))) out_.offset.reset();
    if (!(seen & (1u << m_timestamp))) out_.timestamp.reset();
    if (!(seen & (1u << m_timestamp_type))) out_.timestamp_type.reset();
    if (!(seen & (1u << m_key))) out_.key.reset();
    if (!(seen & (1u << m_headers))) out_.headers.clear();
    if (!(seen & (1u << m_leader_epoch))) out_.leader_epoch.reset();
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  parsed_envelope& out_;
  std::string_view member_;  // for error messages: the member being read
  long header_index_ = -1;
  int header_part_ = -1;
  std::string scratch_;
  error error_{error_kind::protocol, {}};
};

}  // namespace

result<byte_encoding> parse_byte_encoding(std::string_view word) {
  if (word == "text") return byte_encoding::text;
  if (word == "hex") return byte_encoding::hex;
  if (word == "base64") return byte_encoding::base64;
  if (word == "json") return byte_encoding::json;
  if (word == "auto") return byte_encoding::automatic;
  return error{error_kind::usage, "unknown encoding \"" + std::string(word) +
                                      "\" (expected text, hex, base64, json or auto)"};
}

std::string_view byte_encoding_name(byte_encoding e) {
  switch (e) {
    case byte_encoding::text:
      return "text";
    case byte_encoding::hex:
      return "hex";
    case byte_encoding::base64:
      return "base64";
    case byte_encoding::json:
      return "json";
    case byte_encoding::automatic:
      break;
  }
  return "auto";
}

void append_json_bytes(std::string& out, std::optional<std::span<const std::uint8_t>> bytes,
                       byte_encoding encoding) {
  if (!bytes) {
    put(out, "null");
    return;
  }
  switch (encoding) {
    case byte_encoding::text:
      append_string_literal(out, *bytes, on_invalid_utf8::replace);
      return;
    case byte_encoding::hex:
      put(out, "{\"hex\":\"");
      append_hex_text(out, *bytes);
      put(out, "\"}");
      return;
    case byte_encoding::json:
      if (append_embedded_json(out, *bytes)) return;
      break;
    case byte_encoding::base64:
    case byte_encoding::automatic:
      break;
  }
  if (encoding != byte_encoding::base64 &&
      append_string_literal(out, *bytes, on_invalid_utf8::fail))
    return;
  put(out, "{\"base64\":\"");
  append_base64_text(out, *bytes);
  put(out, "\"}");
}

void append_envelope(std::string& out, const record_view& r, const envelope_options& o) {
  put(out, "{\"topic\":");
  // Topic names are checked ASCII on the broker; replacing is only a guard against odd input.
  append_string_literal(out, {reinterpret_cast<const byte*>(r.topic.data()), r.topic.size()},
                        on_invalid_utf8::replace);
  put(out, ",\"partition\":");
  append_integer(out, r.partition);
  put(out, ",\"offset\":");
  append_integer(out, r.offset);
  put(out, ",\"timestamp\":");
  append_integer(out, r.timestamp);
  if (r.timestamp_type == record::timestamp_type::log_append_time) {
    put(out, ",\"timestamp_type\":\"log_append\"");
  } else {
    put(out, ",\"timestamp_type\":\"create\"");
  }
  put(out, ",\"key\":");
  append_json_bytes(out, r.key, o.key_encoding);
  put(out, ",\"value\":");
  append_json_bytes(out, r.value, o.value_encoding);
  put(out, ",\"headers\":[");
  bool first = true;
  for (const auto& h : r.headers) {
    out.append(first ? "[" : ",[");
    first = false;
    append_json_bytes(out, bytes_view(reinterpret_cast<const byte*>(h.key.data()), h.key.size()),
                      byte_encoding::automatic);
    out += ',';
    append_json_bytes(out, h.value, o.header_encoding);
    out += ']';
  }
  put(out, "],\"leader_epoch\":");
  if (r.leader_epoch) {
    append_integer(out, *r.leader_epoch);
  } else {
    put(out, "null");
  }
  put(out, "}\n");
}

status parse_envelope(std::string_view line, parsed_envelope& out) {
  envelope_reader reader(line, out);
  return reader.read();
}

}  // namespace kpipe::cli
