#pragma once
// A strict JSON scanner for the envelope (see json_scanner below), and the helpers around it that
// the envelope's writer and reader share. Not for other code.

#include <cstddef>
#include <string>
#include <string_view>

#include "format/json_text.hpp"

namespace kpipe::cli::json_text {

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
void append_unescaped(std::string& out, std::string_view content);

// Whether a raw (still escaped) member name read by the scanner is `name`.
bool name_is(std::string_view raw, std::string_view name);

// Appends bytes that are one JSON value (not a string or null, see envelope.hpp) in compact form;
// false, with nothing appended, when they are not.
bool append_embedded_json(std::string& out, bytes_view bytes);

}  // namespace kpipe::cli::json_text
