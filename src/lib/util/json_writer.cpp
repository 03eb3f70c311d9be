#include "util/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace kpipe::util {

namespace {

// Whether any of 8 bytes needs escaping (below 0x20, '"' or '\\'), eight at a time: long
// strings (base64 of record batches, many MB) are almost all plain, and this scan is most of
// what writing them costs. The usual zero-byte trick, exact for the "any" question.
bool word_needs_escape(std::uint64_t x) {
  constexpr std::uint64_t ones = 0x0101010101010101;
  constexpr std::uint64_t high = 0x8080808080808080;
  auto below = [](std::uint64_t v, std::uint64_t n) { return (v - ones * n) & ~v & high; };
  return (below(x, 0x20) | below(x ^ (ones * '"'), 1) | below(x ^ (ones * '\\'), 1)) != 0;
}

// The length of the leading part of s that needs no escaping: all of it for nearly every key
// and value kpipe writes.
std::size_t plain_prefix(std::string_view s) {
  std::size_t i = 0;
#ifdef __SSE2__
  // Sixteen at a time where the instruction set has it (every x86-64 does).
  for (; i + 16 <= s.size(); i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
    __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    if (_mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) != 0) break;
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (word_needs_escape(word)) break;
  }
  while (i < s.size() && !json_needs_escape(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t i = plain_prefix(s);
  if (i == s.size()) {
    // The common case: one copy between the quotes.
    std::size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* p = out.data() + at;
    *p = '"';
    std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out += '"';
  out.append(s.data(), i);
  std::size_t run = i;  // start of the pending run of characters that need no escaping
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!json_needs_escape(c)) {
      i += plain_prefix(s.substr(i));
      continue;
    }
    out.append(s.data() + run, i - run);
    run = ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void json_writer::newline() {
  if (indent_ == 0) return;
  out_ += '\n';
  out_.append(
      (first_.size() + static_cast<std::size_t>(base_depth_)) * static_cast<std::size_t>(indent_),
      ' ');
}

void json_writer::begin_object() {
  before_value();
  out_ += '{';
  first_.push_back(1);
}

void json_writer::end_object() {
  bool empty = first_.back() != 0;
  first_.pop_back();
  if (!empty) newline();
  out_ += '}';
}

void json_writer::begin_array() {
  before_value();
  out_ += '[';
  first_.push_back(1);
}

void json_writer::end_array() {
  bool empty = first_.back() != 0;
  first_.pop_back();
  if (!empty) newline();
  out_ += ']';
}

void json_writer::plain_key(std::string_view name) {
  before_value();
  std::size_t at = out_.size();
  std::size_t size = name.size() + (indent_ != 0 ? 4 : 3);
  out_.resize(at + size);
  char* p = out_.data() + at;
  p[0] = '"';
  std::memcpy(p + 1, name.data(), name.size());
  p[name.size() + 1] = '"';
  p[name.size() + 2] = ':';
  if (indent_ != 0) p[name.size() + 3] = ' ';
  after_key_ = true;
}

void json_writer::escaped_key(std::string_view name) {
  before_value();
  append_json_string(out_, name);
  out_ += indent_ ? ": " : ":";
  after_key_ = true;
}

void json_writer::value(std::string_view s) {
  before_value();
  append_json_string(out_, s);
}

void json_writer::value(std::int64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
}

void json_writer::value(std::uint64_t v) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
}

void json_writer::value(double v) {
  before_value();
  if (!std::isfinite(v)) {
    // JSON has no NaN or infinity; a string keeps the value visible.
    append_json_string(out_, std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
}

void json_writer::value(bool v) {
  before_value();
  out_ += v ? "true" : "false";
}

// After raw_lines rendered into the output from `from`: the lines' ends become the commas
// between elements (a one-line document holds no raw newline), or, when nothing was rendered,
// the comma written for it goes again.
void json_writer::place_lines(std::size_t comma_at, std::size_t from) {
  if (out_.size() == from) {
    out_.resize(comma_at);
    return;
  }
  if (out_.back() == '\n') out_.pop_back();
  char* p = out_.data() + from;
  char* end = out_.data() + out_.size();
  while ((p = static_cast<char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p))))) {
    *p++ = ',';
  }
  first_.back() = 0;
}

void json_writer::raw(std::string_view json) {
  before_value();
  out_.append(json);
}

void json_writer::null() {
  before_value();
  out_ += "null";
}

}  // namespace kpipe::util
