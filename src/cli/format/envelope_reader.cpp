#include <array>
#include <charconv>
#include <string>
#include <string_view>

#include "format/envelope.hpp"
#include "format/json_scanner.hpp"
#include "format/json_text.hpp"

namespace kpipe::cli {
namespace {

using namespace json_text;

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

status parse_envelope(std::string_view line, parsed_envelope& out) {
  envelope_reader reader(line, out);
  return reader.read();
}

}  // namespace kpipe::cli
