#pragma once
// A small, strict JSON DOM and its parser (RFC 8259), the reading side of json_writer.
//
// Meant for code that reads JSON in many translation units (generated protocol code, produce -J),
// where including nlohmann::json would be too heavy. Numbers keep their source text, so 64-bit
// integers round-trip exactly; objects keep their members in document order, duplicates included.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "util/result.hpp"

namespace kpipe::util {

class json_value {
 public:
  enum class kind { null, boolean, number, string, array, object };
  using array_type = std::vector<json_value>;
  using member = std::pair<std::string, json_value>;
  using object_type = std::vector<member>;

  json_value() = default;  // null
  // Out of line, so that the variant's copy and move code is compiled once, in json_value.cpp.
  json_value(const json_value& other);
  json_value(json_value&& other) noexcept;
  json_value& operator=(const json_value& other);
  json_value& operator=(json_value&& other) noexcept;
  ~json_value();

  kind type() const { return static_cast<kind>(v_.index()); }
  bool is_null() const { return type() == kind::null; }
  bool is_bool() const { return type() == kind::boolean; }
  bool is_number() const { return type() == kind::number; }
  bool is_string() const { return type() == kind::string; }
  bool is_array() const { return type() == kind::array; }
  bool is_object() const { return type() == kind::object; }

  // The accessors below have the precondition their comment names; a violation throws
  // std::bad_variant_access (it is a bug in the caller, not bad input).

  bool as_bool() const { return std::get<1>(v_); }  // is_bool()

  // is_number(). Integral text (no fraction, no exponent) in range, else nullopt; "-0" is 0 for
  // both. as_double: nullopt only when the magnitude overflows a double; a magnitude too small
  // becomes a zero of the number's sign.
  std::optional<std::int64_t> as_int64() const;
  std::optional<std::uint64_t> as_uint64() const;
  std::optional<double> as_double() const;
  std::string_view number_text() const { return std::get<2>(v_); }

  // is_string(): the decoded text, UTF-8 (escapes resolved; may contain NUL from \u0000).
  const std::string& as_string() const { return std::get<3>(v_); }

  const array_type& items() const { return std::get<4>(v_); }     // is_array()
  const object_type& members() const { return std::get<5>(v_); }  // is_object()
  array_type& items() { return std::get<4>(v_); }
  object_type& members() { return std::get<5>(v_); }

  // The first member named key, or nullptr (also when this is not an object). Linear scan.
  const json_value* find(std::string_view key) const;

  // Builders. make_number does not validate: pass the text of a valid JSON number.
  static json_value make_null() { return json_value(); }
  static json_value make_bool(bool b);
  static json_value make_number(std::string text);
  static json_value make_string(std::string s);
  static json_value make_array(array_type items);
  static json_value make_object(object_type members);

  // Deep equality; numbers compare by their text ("1.0" != "1"), objects by members in order.
  friend bool operator==(const json_value& a, const json_value& b);

 private:
  // The alternatives are in the order of `kind`, so index() is the kind. 2 is the number's text,
  // 3 the decoded string.
  std::variant<std::monostate, bool, std::string, std::string, array_type, object_type> v_;
};

// "null", "boolean", "number", "string", "array", "object": for messages such as
// "expected a string, got a number".
std::string_view json_kind_name(json_value::kind k);

// Parses exactly one JSON value surrounded only by whitespace (space, tab, CR, LF). Strict: no
// comments, trailing commas, NaN/Infinity, leading zeros, '+' signs, control characters in strings
// or byte-order mark; invalid UTF-8 and unpaired surrogate \u escapes are errors. Containers nest
// at most max_depth deep (256 arrays is fine with the default, 257 is not).
//
// Errors are error_kind::protocol and end "at offset N": the byte offset where the parser found the
// problem, i.e. the unexpected byte (for invalid UTF-8, the first byte that cannot continue a valid
// sequence), text.size() for a premature end, the backslash of an unpaired surrogate escape, and
// the bracket that exceeds max_depth. Example: "expected ':' after an object key at offset 17".
result<json_value> parse_json(std::string_view text, std::size_t max_depth = 256);

}  // namespace kpipe::util
