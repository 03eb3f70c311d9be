#include "util/json_writer.hpp"

#include <charconv>
#include <cmath>

namespace kpipe::util {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of characters that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
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

void json_writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    newline();
  }
}

void json_writer::begin_object() {
  before_value();
  out_ += '{';
  first_.push_back(true);
}

void json_writer::end_object() {
  bool empty = first_.back();
  first_.pop_back();
  if (!empty) newline();
  out_ += '}';
}

void json_writer::begin_array() {
  before_value();
  out_ += '[';
  first_.push_back(true);
}

void json_writer::end_array() {
  bool empty = first_.back();
  first_.pop_back();
  if (!empty) newline();
  out_ += ']';
}

void json_writer::key(std::string_view name) {
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

void json_writer::raw(std::string_view json) {
  before_value();
  out_.append(json);
}

void json_writer::null() {
  before_value();
  out_ += "null";
}

}  // namespace kpipe::util
