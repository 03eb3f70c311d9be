#pragma once
// The JSON envelope of `consume -J` and `produce -J` (kpipe(1), "The JSON envelope"): one record as
// one line of JSON, written on the consume hot path and read back by produce, so that
// `kpipe consume -J | kpipe produce -J` copies keys, values, headers and timestamps byte for byte.
//
//   {"topic":"t","partition":0,"offset":42,"timestamp":1763769600000,"timestamp_type":"create",
//    "key":"k1","value":"hello","headers":[["trace","abc"],["empty",null]],"leader_epoch":3}
//
// Bytes (key, value, header names and values) are written as:
//   null                  the record's null (a null key, a tombstone, a null header value);
//   "..."                 a JSON string: the bytes are valid UTF-8 (with `text`, invalid
//                         sequences become U+FFFD, which is lossy by request);
//   {"base64":"..."}      always with `base64`, and with `automatic` for bytes that are not UTF-8;
//   {"hex":"..."}         with `hex`;
//   an embedded value     with `json`, when the bytes are one JSON object, array, number, true or
//                         false (RFC 8259, strict). It is written compactly (whitespace between
//                         tokens dropped, so the envelope stays one line; strings and numbers are
//                         kept as written): reading it back gives that compact text. Bytes that
//                         are a JSON string or null, or an object whose only member is "base64" or
//                         "hex", would read back as something else, so they fall back to
//                         `automatic` like bytes that are not JSON.
// Header names are never null and always use `automatic` (Kafka's header keys are Java strings,
// but the wire does not enforce UTF-8). Header values use envelope_options::header_encoding,
// `automatic` by default: a header is usually a small tag that should stay readable whatever
// encoding the value asks for (--value-encoding hex should not turn "trace-id" into hex).
//
// The writer never allocates beyond appending to `out`; the reader reuses the storage of the
// parsed_envelope it is given.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "format/record_view.hpp"
#include "record/record.hpp"
#include "util/result.hpp"

namespace kpipe::cli {

// --key-encoding / --value-encoding.
enum class byte_encoding { text, hex, base64, json, automatic };

// The CLI words text, hex, base64, json and auto; anything else is a usage error.
result<byte_encoding> parse_byte_encoding(std::string_view word);
std::string_view byte_encoding_name(byte_encoding e);  // the CLI word

struct envelope_options {
  byte_encoding key_encoding = byte_encoding::automatic;
  byte_encoding value_encoding = byte_encoding::automatic;
  byte_encoding header_encoding = byte_encoding::automatic;  // header values
};

// Appends the JSON value that stands for `bytes` in the envelope (see above), e.g. `null`,
// `"hello"` or `{"base64":"/w=="}`. Also what the -f tokens %{k:json} and %{s:json} print (with
// `automatic`).
void append_json_bytes(std::string& out, std::optional<std::span<const std::uint8_t>> bytes,
                       byte_encoding encoding);

// Appends one envelope line, '\n' included. Every member is always present, in the order above;
// "headers" is [] when there are none and "leader_epoch" is null when unknown.
void append_envelope(std::string& out, const record_view& r, const envelope_options& o);

// A line read back. Bytes are decoded (a JSON string gives its UTF-8 bytes).
struct parsed_envelope {
  std::optional<std::string> topic;
  std::optional<std::int32_t> partition;
  std::optional<std::int64_t> timestamp;
  std::optional<std::string> key;    // nullopt: null or absent
  std::optional<std::string> value;  // nullopt: null (a tombstone)
  // In line order, duplicates kept; nullopt: a null value.
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  // Informational (what consume wrote); accepted and checked, not used by produce.
  std::optional<std::int64_t> offset;
  std::optional<std::int32_t> leader_epoch;
  std::optional<record::timestamp_type> timestamp_type;
};

// Reads one line (without its '\n'; JSON whitespace around tokens, including a trailing '\r', is
// fine). Rules:
// - the line is one JSON object; its members may come in any order, each at most once; an
//   unknown member is an error (a typo must not silently drop data);
// - "value" is required (write null for a tombstone); every other member is optional and may be
//   null, which is the same as absent;
// - bytes members take a JSON string, null, {"base64":"..."} (standard or URL-safe alphabet,
//   padding optional), {"hex":"..."} (either case), or any other JSON value, which is taken as its
//   compact text (see above). Header names take a string, {"base64"} or {"hex"} only;
// - "partition" is 0..2^31-1, "leader_epoch" an int32, "offset" and "timestamp" int64, all
//   written as integers; "timestamp_type" is "create" or "log_append";
// - "headers" is an array of [name, value] pairs.
// Errors (error_kind::protocol) name the member and what is wrong, e.g.
// `value: invalid base64 at character 7` (characters counted from 1 inside that text),
// `partition: expected an integer, got "x"`, `not a JSON object`, and syntax errors end
// `at column N` (bytes of the line, counted from 1). The caller prefixes the line number.
// On error, `out` is left in an unspecified (valid) state.
status parse_envelope(std::string_view line, parsed_envelope& out);

}  // namespace kpipe::cli
