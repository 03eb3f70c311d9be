#pragma once
// A small streaming JSON writer: appends to a string, handles commas and escaping.
//
// Used on paths where building nlohmann::json objects per value would be wasteful (record
// output, protocol dumps). Strings must be UTF-8; invalid UTF-8 is the caller's to encode
// (e.g. as base64), this writer escapes only what JSON requires.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::util {

// Whether a byte must be escaped in a JSON string (RFC 8259 section 7): a control character, '"'
// or '\\'. Every other byte, UTF-8 included, is copied as it is.
constexpr bool json_needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// An object member's name. A string literal is checked when the program is compiled (consteval)
// and written as it is, without the escaping scan: record output writes eight names per record,
// and scanning them was a sixth of `decode --log-segment --records`. Any other string is
// escaped when written.
class json_key {
 public:
  template <std::size_t N>
  consteval json_key(const char (&literal)[N])  // NOLINT: implicit, as a string literal is
      : text_(literal, N - 1), plain_(true) {
    for (char c : text_) {
      if (json_needs_escape(static_cast<unsigned char>(c))) plain_ = false;
    }
  }
  json_key(std::string_view text) : text_(text), plain_(false) {}    // NOLINT: implicit
  json_key(const std::string& text) : text_(text), plain_(false) {}  // NOLINT: implicit

  std::string_view text() const { return text_; }
  // True when the text needs no escaping (known for literals only).
  bool plain() const { return plain_; }

 private:
  std::string_view text_;
  bool plain_;
};

class json_writer {
 public:
  // indent 0: one line; otherwise pretty-printed with that many spaces per level, starting at
  // base_depth levels (for a document that raw() will place inside another).
  explicit json_writer(std::string& out, int indent = 0, int base_depth = 0)
      : out_(out), indent_(indent), base_depth_(base_depth) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // Inline, so that a literal's plainness is a constant and its text travels in registers.
  void key(json_key name) {
    if (name.plain()) {
      plain_key(name.text());
    } else {
      escaped_key(name.text());
    }
  }

  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(std::int64_t v);
  void value(std::uint64_t v);
  void value(std::int32_t v) { value(static_cast<std::int64_t>(v)); }
  void value(std::int16_t v) { value(static_cast<std::int64_t>(v)); }
  void value(std::int8_t v) { value(static_cast<std::int64_t>(v)); }
  void value(std::uint32_t v) { value(static_cast<std::uint64_t>(v)); }
  void value(std::uint16_t v) { value(static_cast<std::uint64_t>(v)); }
  void value(double v);
  void value(bool v);
  void null();
  // A value already rendered as JSON (by a json_writer with the right base_depth).
  void raw(std::string_view json);
  // Elements of the open array rendered by `render(std::string&)` as one-line documents, each
  // ending in '\n'. In a one-line writer they are rendered straight into the output (a multi-MiB
  // set of record batches is never copied); otherwise rendered aside and placed like raw().
  template <typename Render>
  void raw_lines(Render&& render);

 private:
  // Called before every value and key, so inline: the comma between elements, the line break
  // of a pretty document; nothing right after a key.
  void before_value() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (first_.back() != 0) {
      first_.back() = 0;
    } else {
      out_ += ',';
    }
    if (indent_ != 0) newline();
  }
  void newline();
  void plain_key(std::string_view name);
  void escaped_key(std::string_view name);
  void place_lines(std::size_t comma_at, std::size_t from);

  std::string& out_;
  int indent_;
  int base_depth_;
  std::vector<std::uint8_t> first_;  // per open container: 1 while nothing is written in it
  bool after_key_ = false;
};

template <typename Render>
void json_writer::raw_lines(Render&& render) {
  if (indent_ != 0 || first_.empty()) {
    std::string aside;
    render(aside);
    std::size_t at = 0;
    while (at < aside.size()) {
      std::size_t end = aside.find('\n', at);
      if (end == std::string::npos) end = aside.size();
      if (end > at) raw(std::string_view(aside).substr(at, end - at));
      at = end + 1;
    }
    return;
  }
  std::size_t comma_at = out_.size();
  if (!first_.back()) out_ += ',';
  std::size_t from = out_.size();
  render(out_);
  place_lines(comma_at, from);
}

// Appends s to out as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

}  // namespace kpipe::util
