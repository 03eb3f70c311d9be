#include "format/envelope.hpp"

#include "format/json_scanner.hpp"
#include "format/json_text.hpp"

namespace kpipe::cli {

using namespace json_text;

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

}  // namespace kpipe::cli
