#include "util/json_value.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <system_error>
#include <tuple>

#include "util/utf8.hpp"

namespace kpipe::util {

// ---- json_value -------------------------------------------------------------------------------

json_value::json_value(const json_value& other) = default;
json_value::json_value(json_value&& other) noexcept = default;
json_value& json_value::operator=(const json_value& other) = default;
json_value& json_value::operator=(json_value&& other) noexcept = default;
json_value::~json_value() = default;

std::optional<std::int64_t> json_value::as_int64() const {
  std::string_view t = number_text();
  if (t.find_first_of(".eE") != std::string_view::npos) return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> json_value::as_uint64() const {
  std::string_view t = number_text();
  if (t.find_first_of(".eE") != std::string_view::npos) return std::nullopt;
  if (!t.empty() && t[0] == '-') {  // only "-0" (or "-00..." from make_number) is in range
    if (t.size() == 1 || t.find_first_not_of('0', 1) != std::string_view::npos) return std::nullopt;
    return 0;
  }
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// For a number from_chars found out of range: whether it is too large (as opposed to too small),
// from the decimal position of its first significant digit plus its exponent.
bool magnitude_overflows(std::string_view t) {
  std::size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  std::int64_t first = 0;  // power of ten of the first non-zero digit
  bool found = false;
  std::size_t int_begin = i;
  while (i < t.size() && is_digit(t[i])) ++i;
  for (std::size_t k = int_begin; k < i; ++k) {
    if (t[k] != '0') {
      first = static_cast<std::int64_t>(i - k) - 1;
      found = true;
      break;
    }
  }
  if (i < t.size() && t[i] == '.') {
    std::size_t frac_begin = ++i;
    while (i < t.size() && is_digit(t[i])) {
      if (!found && t[i] != '0') {
        first = -static_cast<std::int64_t>(i - frac_begin) - 1;
        found = true;
      }
      ++i;
    }
  }
  std::int64_t exponent = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) negative = t[i++] == '-';
    for (; i < t.size() && is_digit(t[i]); ++i) {
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (t[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  return found && first + exponent >= 0;
}

}  // namespace

std::optional<double> json_value::as_double() const {
  std::string_view t = number_text();
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ptr != t.data() + t.size()) return std::nullopt;
  if (ec == std::errc()) return v;
  if (ec != std::errc::result_out_of_range || magnitude_overflows(t)) return std::nullopt;
  return t[0] == '-' ? -0.0 : 0.0;  // underflow
}

const json_value* json_value::find(std::string_view key) const {
  const auto* members = std::get_if<5>(&v_);
  if (members == nullptr) return nullptr;
  for (const auto& m : *members) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

json_value json_value::make_bool(bool b) {
  json_value v;
  v.v_.emplace<1>(b);
  return v;
}

json_value json_value::make_number(std::string text) {
  json_value v;
  v.v_.emplace<2>(std::move(text));
  return v;
}

json_value json_value::make_string(std::string s) {
  json_value v;
  v.v_.emplace<3>(std::move(s));
  return v;
}

json_value json_value::make_array(array_type items) {
  json_value v;
  v.v_.emplace<4>(std::move(items));
  return v;
}

json_value json_value::make_object(object_type members) {
  json_value v;
  v.v_.emplace<5>(std::move(members));
  return v;
}

bool operator==(const json_value& a, const json_value& b) { return a.v_ == b.v_; }

std::string_view json_kind_name(json_value::kind k) {
  switch (k) {
    case json_value::kind::null:
      return "null";
    case json_value::kind::boolean:
      return "boolean";
    case json_value::kind::number:
      return "number";
    case json_value::kind::string:
      return "string";
    case json_value::kind::array:
      return "array";
    case json_value::kind::object:
      return "object";
  }
  return "unknown";
}

// ---- the parser -------------------------------------------------------------------------------

namespace {

// What a byte means inside a string literal.
enum byte_class : unsigned char { plain, quote, backslash, control, non_ascii };

constexpr std::array<byte_class, 256> make_string_classes() {
  std::array<byte_class, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = c < 0x20 ? control : c >= 0x80 ? non_ascii : plain;
  }
  t['"'] = quote;
  t['\\'] = backslash;
  return t;
}

constexpr std::array<byte_class, 256> string_classes = make_string_classes();

// "'x'" for printable ASCII, "byte 0x0a" otherwise.
std::string describe(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string{'\'', c, '\''};
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

class parser {
 public:
  parser(std::string_view text, std::size_t max_depth)
      : begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(max_depth) {}

  bool parse_document(json_value& out) {
    skip_whitespace();
    if (!parse_value(out, 0)) return false;
    skip_whitespace();
    if (p_ != end_) return fail("unexpected " + describe(*p_) + " after the JSON value", p_);
    return true;
  }

  kpipe::error take_error() { return {error_kind::protocol, std::move(message_)}; }

 private:
  // Records the error; returns false so that callers can `return fail(...)`. At the end of the
  // input, says so unless `what` already does.
  bool fail(std::string what, const char* at, bool mention_end = true) {
    message_ = at == end_ && mention_end ? "unexpected end of input, " + what : std::move(what);
    message_ += " at offset ";
    message_ += std::to_string(at - begin_);
    return false;
  }

  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // p_ is at the first byte of the value (whitespace skipped); depth counts enclosing containers.
  bool parse_value(json_value& out, std::size_t depth) {
    if (p_ == end_) return fail("expected a JSON value", p_);
    switch (*p_) {
      case '{':
        return parse_object(out, depth);
      case '[':
        return parse_array(out, depth);
      case '"': {
        std::string s;
        if (!parse_string(s)) return false;
        out = json_value::make_string(std::move(s));
        return true;
      }
      case 't':
        if (!parse_literal("true")) return false;
        out = json_value::make_bool(true);
        return true;
      case 'f':
        if (!parse_literal("false")) return false;
        out = json_value::make_bool(false);
        return true;
      case 'n':
        if (!parse_literal("null")) return false;
        out = json_value();
        return true;
      default:
        if (*p_ == '-' || is_digit(*p_)) return parse_number(out);
        return fail("expected a JSON value, found " + describe(*p_), p_);
    }
  }

  bool parse_literal(std::string_view word) {
    for (char c : word) {
      if (p_ == end_ || *p_ != c)
        return fail("invalid literal, expected '" + std::string(word) + "'", p_);
      ++p_;
    }
    return true;
  }

  bool parse_number(json_value& out) {
    const char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_ || !is_digit(*p_)) return fail("expected a digit in a number", p_);
    if (*p_ == '0') {
      ++p_;
      if (p_ != end_ && is_digit(*p_)) return fail("leading zero in a number", p_);
    } else {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail("expected a digit after '.' in a number", p_);
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail("expected a digit in a number's exponent", p_);
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    out = json_value::make_number(std::string(start, p_));
    return true;
  }

  // Containers are built in place. Small objects (an envelope, a request's fields) are the common
  // case, so a non-empty container starts with room for a few entries rather than growing from one:
  // measured, this beats both growing from one and collecting on a shared stack to allocate each
  // container exactly once.
  static constexpr std::size_t initial_capacity = 4;

  bool parse_array(json_value& out, std::size_t depth) {
    if (depth >= max_depth_) return fail(nesting_message(), p_);
    ++p_;  // '['
    skip_whitespace();
    json_value::array_type items;
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      out = json_value::make_array(std::move(items));
      return true;
    }
    items.reserve(initial_capacity);
    for (;;) {
      if (p_ != end_ && *p_ == ']') return fail("trailing comma before ']'", p_);
      items.emplace_back();
      if (!parse_value(items.back(), depth + 1)) return false;
      skip_whitespace();
      if (p_ != end_ && *p_ == ',') {
        ++p_;
        skip_whitespace();
        continue;
      }
      if (p_ != end_ && *p_ == ']') {
        ++p_;
        break;
      }
      return fail("expected ',' or ']' after an array element", p_);
    }
    out = json_value::make_array(std::move(items));
    return true;
  }

  bool parse_object(json_value& out, std::size_t depth) {
    if (depth >= max_depth_) return fail(nesting_message(), p_);
    ++p_;  // '{'
    skip_whitespace();
    json_value::object_type members;
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      out = json_value::make_object(std::move(members));
      return true;
    }
    members.reserve(initial_capacity);
    bool after_comma = false;
    for (;;) {
      if (p_ == end_ || *p_ != '"') {
        if (after_comma && p_ != end_ && *p_ == '}') return fail("trailing comma before '}'", p_);
        return fail(after_comma ? "expected a string key after ',' in an object"
                                : "expected a string key or '}' in an object",
                    p_);
      }
      std::string key;
      if (!parse_string(key)) return false;
      skip_whitespace();
      if (p_ == end_ || *p_ != ':') return fail("expected ':' after an object key", p_);
      ++p_;
      skip_whitespace();
      members.emplace_back(std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                           std::forward_as_tuple());
      if (!parse_value(members.back().second, depth + 1)) return false;
      skip_whitespace();
      if (p_ != end_ && *p_ == ',') {
        ++p_;
        skip_whitespace();
        after_comma = true;
        continue;
      }
      if (p_ != end_ && *p_ == '}') {
        ++p_;
        break;
      }
      return fail("expected ',' or '}' after an object member", p_);
    }
    out = json_value::make_object(std::move(members));
    return true;
  }

  std::string nesting_message() const {
    return "nesting deeper than " + std::to_string(max_depth_) + " levels";
  }

  // p_ is at the opening quote; on success it is past the closing one.
  bool parse_string(std::string& out) {
    ++p_;
    const char* run = p_;  // start of the pending run of bytes copied as they are
    // The common case, a string with neither escapes nor non-ASCII bytes, is one assign().
    while (p_ != end_ && string_classes[static_cast<unsigned char>(*p_)] == plain) ++p_;
    if (p_ != end_ && *p_ == '"') {
      out.assign(run, p_);
      ++p_;
      return true;
    }
    for (;;) {
      if (p_ == end_) return fail("unterminated string", p_, false);
      switch (string_classes[static_cast<unsigned char>(*p_)]) {
        case plain:
          ++p_;
          continue;
        case quote:
          out.append(run, p_);
          ++p_;
          return true;
        case backslash:
          out.append(run, p_);
          if (!parse_escape(out)) return false;
          run = p_;
          continue;
        case control:
          return fail("control character (" + describe(*p_) + ") in a string", p_);
        case non_ascii:
          if (!skip_utf8_sequence()) return false;
          continue;
      }
    }
  }

  // p_ is at a byte >= 0x80 inside a string; checks one UTF-8 sequence (RFC 3629: no overlong
  // forms, no surrogates, nothing above U+10FFFF) and moves past it.
  bool skip_utf8_sequence() {
    auto lead = static_cast<unsigned char>(*p_);
    int continuations = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuations = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuations = 2;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuations = 3;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return fail("invalid UTF-8 in a string", p_);
    }
    ++p_;
    for (int i = 0; i < continuations; ++i) {
      if (p_ == end_) return fail("unterminated string", p_, false);
      auto c = static_cast<unsigned char>(*p_);
      if (c < low || c > high) return fail("invalid UTF-8 in a string", p_);
      low = 0x80;
      high = 0xBF;
      ++p_;
    }
    return true;
  }

  // p_ is at a backslash; appends what the escape means and moves past it.
  bool parse_escape(std::string& out) {
    const char* backslash_at = p_;
    ++p_;
    if (p_ == end_) return fail("unterminated string", p_, false);
    char c = *p_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        return fail("invalid escape character " + describe(c) + " in a string", p_ - 1);
    }
    std::uint32_t cp = 0;
    if (!parse_hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return fail("unpaired low surrogate in a \\u escape", backslash_at);
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
        return fail("unpaired high surrogate in a \\u escape", backslash_at);
      }
      p_ += 2;
      std::uint32_t low = 0;
      if (!parse_hex4(low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) {
        return fail("unpaired high surrogate in a \\u escape", backslash_at);
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  // p_ is past "\u"; reads four hex digits.
  bool parse_hex4(std::uint32_t& cp) {
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      if (p_ == end_) return fail("unterminated string", p_, false);
      int h = hex_digit_value(static_cast<unsigned char>(*p_));
      if (h < 0) return fail("expected a hex digit in a \\u escape", p_);
      cp = cp << 4 | static_cast<std::uint32_t>(h);
      ++p_;
    }
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::size_t max_depth_;
  std::string message_;
};

}  // namespace

result<json_value> parse_json(std::string_view text, std::size_t max_depth) {
  parser p(text, max_depth);
  json_value out;
  if (!p.parse_document(out)) return p.take_error();
  return out;
}

}  // namespace kpipe::util
