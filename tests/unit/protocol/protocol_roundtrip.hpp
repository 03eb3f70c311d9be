#pragma once
// Round-trip checks shared by every generated message: value -> bytes -> value.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "protocol/json_input.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"
#include "util/json_value.hpp"
#include "util/json_writer.hpp"

namespace kpipe::protocol::testing_support {

struct sample {
  byte_buffer body;
  std::string json;
};

template <class Message>
sample sample_of(const Message& value, std::int16_t version) {
  sample out;
  writer w;
  value.encode(w, version);
  out.body = w.take();
  util::json_writer j(out.json);
  value.to_json(j, version);
  return out;
}

struct roundtrip_case {
  std::int16_t api_key;  // -1 for the headers
  std::string api;
  std::string direction;  // "request" or "response"; a data struct's name (defs/internal/)
  std::int16_t version;
  // Fills a populated value for `version` and checks it; false with a reason on failure.
  std::function<bool(std::int16_t version, std::string& error)> run;
  // The populated value of `version`: its encoded body and its to_json rendering.
  std::function<struct sample(std::int16_t version)> make_sample;
};

// Every (api, direction, version) of every definition file; generated.
std::vector<roundtrip_case> all_roundtrip_cases();

// Encodes value, checks size(), decodes it back (equal, nothing left over), re-encodes it
// (byte-identical), reads it back from its own JSON (equal), and checks that every strict
// prefix of the bytes fails to decode cleanly.
template <class Message>
bool check_roundtrip(const Message& value, std::int16_t version, std::string& error) {
  writer w;
  value.encode(w, version);
  const byte_buffer& bytes = w.buffer();
  if (value.size(version) != bytes.size()) {
    error = "size() " + std::to_string(value.size(version)) + " != encoded " +
            std::to_string(bytes.size());
    return false;
  }
  Message back;
  reader r(bytes);
  if (!back.decode(r, version)) {
    error = "decode failed: " + r.error();
    return false;
  }
  if (!r.at_end()) {
    error = std::to_string(r.remaining()) + " bytes left over after decode";
    return false;
  }
  if (!(back == value)) {
    error = "decoded value differs from the original";
    return false;
  }
  writer again;
  back.encode(again, version);
  if (again.buffer() != bytes) {
    error = "re-encoding is not byte-identical";
    return false;
  }
  // JSON out and back in gives the same value.
  std::string json;
  util::json_writer j(json);
  value.to_json(j, version);
  auto parsed = util::parse_json(json);
  if (!parsed) {
    error = "to_json wrote invalid JSON: " + parsed.error().message;
    return false;
  }
  Message from_json;
  std::string json_error;
  if (!from_json.from_json(parsed.value(), version, json_error)) {
    error = "from_json failed: " + json_error_text(json_error) + " in " + json;
    return false;
  }
  if (!(from_json == value)) {
    error = "from_json(to_json(value)) differs from the value: " + json;
    return false;
  }
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    Message partial;
    reader pr(std::span<const std::uint8_t>(bytes.data(), cut));
    if (partial.decode(pr, version)) {
      error = "a prefix of " + std::to_string(cut) + " bytes decoded without error";
      return false;
    }
    if (pr.error().find("at offset") == std::string::npos) {
      error = "truncation error without an offset: " + pr.error();
      return false;
    }
  }
  return true;
}

}  // namespace kpipe::protocol::testing_support
