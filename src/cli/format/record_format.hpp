#pragma once
// consume -f: a record laid out by a format string with kcat's tokens, compiled once into a list
// of steps so that each record costs one pass over that list.
//
// kcat's tokens, with kcat 1.7's output:
//   %t topic            %p partition        %o offset
//   %k key, raw bytes (null and empty print nothing)
//   %K key length, -1 for a null key
//   %s value, raw bytes (null and empty print nothing); %v is the same
//   %S value length, -1 for a null value
//   %R value length as a 4-byte big-endian signed integer (-1 for null), for binary framing
//   %T timestamp, milliseconds since the epoch
//   %h headers as name=value separated by ',' (a null value prints NULL, an empty one nothing)
//   %% a percent sign
// kpipe's own:
//   %d          timestamp as ISO 8601 UTC with milliseconds: 2025-11-22T00:00:00.000Z (years
//               outside 0000-9999 get a sign, as ISO 8601's expanded form; -1, Kafka's "no
//               timestamp", prints 1969-12-31T23:59:59.999Z like any other value)
//   %{h:NAME}   the value of the first header named NAME (up to the first '}', taken as is), raw;
//               nothing when absent or null
//   %{k:hex} %{k:base64} %{k:json}, and the same with s or v: the key or value encoded; hex and
//               base64 print nothing for null; json prints the JSON value the envelope would
//               write with --*-encoding auto (a string, null, or {"base64":"..."}), so that
//               -f '{"k":%{k:json}}\n' is always valid JSON.
// Backslash escapes in the literal text: \n \t \r \0 \\ \xNN (two hex digits), as for produce's
// -D. The caller passes the -f argument unprocessed.
//
// Differences from kcat, deliberately: kcat writes header names and values with printf("%s"),
// which stops at a NUL byte; kpipe writes all the bytes. kcat takes any other backslash sequence
// as the character itself and reads \xNN only when the first digit is 0-9; kpipe rejects
// unknown escapes (a typo in a delimiter corrupts output silently otherwise).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/record_view.hpp"
#include "util/result.hpp"

namespace kpipe::cli {

class record_format {
 public:
  // Usage errors name the offset (counted from 0) in fmt, e.g.
  // `unknown token "%x" at offset 5 (known: ...)`.
  static result<record_format> compile(std::string_view fmt);

  // Appends the record laid out by the format (no newline unless the format has one).
  void append(std::string& out, const record_view& r) const;

 private:
  enum class token : std::uint8_t {
    literal,  // text_[offset, offset + length)
    topic,
    partition,
    offset,
    key,
    key_length,
    key_hex,
    key_base64,
    key_json,
    value,
    value_length,
    value_length_binary,
    value_hex,
    value_base64,
    value_json,
    timestamp,
    timestamp_iso,
    headers,
    header_value,  // the header named text_[offset, offset + length)
  };
  struct step {
    token kind = token::literal;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };

  record_format() = default;

  std::string text_;  // every literal and header name, back to back
  std::vector<step> steps_;
};

}  // namespace kpipe::cli
