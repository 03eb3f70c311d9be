#include "protocol/frame_json.hpp"

#include "protocol/generated/api_dispatch.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/reader.hpp"
#include "util/base64.hpp"
#include "util/json_writer.hpp"

namespace kpipe::protocol {
namespace {

std::string api_label(std::int16_t key, std::int16_t version, const char* direction) {
  const api_info* api = find_api(key);
  std::string name = api ? std::string(api->name) : "API " + std::to_string(key);
  return name + " v" + std::to_string(version) + " " + direction;
}

std::int32_t peek_i32(std::span<const std::uint8_t> bytes) {
  return static_cast<std::int32_t>(std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
                                   std::uint32_t{bytes[2]} << 8 | bytes[3]);
}

// Strips a size prefix that matches the rest of the input exactly.
std::pair<std::span<const std::uint8_t>, std::size_t> without_size_prefix(
    std::span<const std::uint8_t> frame) {
  if (frame.size() >= 4 && peek_i32(frame) >= 0 &&
      static_cast<std::size_t>(peek_i32(frame)) == frame.size() - 4) {
    return {frame.subspan(4), 4};
  }
  return {frame, 0};
}

}  // namespace

std::optional<std::string> frame_decoder::write_frame(std::span<const std::uint8_t> frame,
                                                      std::size_t offset, std::size_t index,
                                                      api_version_ref api, bool request,
                                                      std::string& out) {
  const char* kind = request ? "request" : "response";
  reader r(frame, offset);
  std::string doc;
  util::json_writer j(doc, pretty_ ? 2 : 0);
  j.begin_object();
  j.key("frame");
  j.value(static_cast<std::uint64_t>(index));
  j.key("offset");
  j.value(static_cast<std::uint64_t>(offset));
  j.key("type");
  j.value(kind);
  j.key("api_key");
  j.value(api.key);
  j.key("api");
  const api_info* info = find_api(api.key);
  j.value(info ? info->name : std::string_view("?"));
  j.key("api_version");
  j.value(api.version);
  std::int32_t correlation_id = 0;
  if (request) {
    header::request h;
    std::int16_t header_version = request_header_version(api.key, api.version);
    if (!h.decode(r, header_version))
      return api_label(api.key, api.version, kind) + " header: " + r.error();
    correlation_id = h.correlation_id;
    j.key("correlation_id");
    j.value(correlation_id);
    j.key("header");
    h.to_json(j, header_version);
  } else {
    header::response h;
    std::int16_t header_version = response_header_version(api.key, api.version);
    if (!h.decode(r, header_version))
      return api_label(api.key, api.version, kind) + " header: " + r.error();
    j.key("correlation_id");
    j.value(h.correlation_id);
    j.key("header");
    h.to_json(j, header_version);
  }
  auto body = frame.subspan(r.offset() - offset);
  std::size_t body_offset = r.offset();
  std::string body_json;
  auto decode_body = [&](std::int16_t version) -> std::optional<std::string> {
    body_json.clear();
    util::json_writer bj(body_json, pretty_ ? 2 : 0, 1);
    reader br(body, body_offset);
    if (!body_to_json(api.key, version, request ? direction::request : direction::response, br,
                      bj)) {
      return api_label(api.key, version, kind) + ": " + br.error();
    }
    if (!br.at_end()) {
      return api_label(api.key, version, kind) + ": " + std::to_string(br.remaining()) +
             " bytes left over at offset " + std::to_string(br.offset());
    }
    return std::nullopt;
  };
  auto failure = decode_body(api.version);
  if (failure && !request && api.key == api_key::api_versions) {
    // KIP-511: a broker answers an ApiVersions version it does not know with error 35 in a v0
    // body. Some brokers (librdkafka's mock cluster) write that body in neither form; clients
    // read only its error code then, and so does this decoder, showing the rest as hex.
    if (!decode_body(0)) {
      failure.reset();
    } else if (body.size() >= 2 && (body[0] != 0 || body[1] != 0)) {
      body_json.clear();
      util::json_writer bj(body_json, pretty_ ? 2 : 0, 1);
      bj.begin_object();
      bj.key("error_code");
      bj.value(static_cast<std::int16_t>(body[0] << 8 | body[1]));
      bj.key("_undecoded");
      std::string hex;
      util::append_hex(hex, body.subspan(2));
      bj.value(hex);
      bj.end_object();
      failure.reset();
    }
  }
  if (failure) return failure;
  j.key("body");
  j.raw(body_json);
  j.end_object();
  out += doc;
  out += '\n';
  if (request) pending_[correlation_id] = api;
  ++frames_decoded_;
  return std::nullopt;
}

std::optional<std::string> frame_decoder::try_request(std::span<const std::uint8_t> frame,
                                                      std::size_t offset, std::size_t index,
                                                      std::string& out) {
  if (frame.size() < 4) return "a request needs at least 4 bytes, " + std::to_string(frame.size());
  auto key = static_cast<std::int16_t>(frame[0] << 8 | frame[1]);
  auto version = static_cast<std::int16_t>(frame[2] << 8 | frame[3]);
  const api_info* api = find_api(key);
  if (!api || version < api->min_version || version > api->max_version) {
    return "not a request kpipe knows (API key " + std::to_string(key) + ", version " +
           std::to_string(version) + ")";
  }
  return write_frame(frame, offset, index, {key, version}, true, out);
}

std::vector<std::string> frame_decoder::decode_stream(std::span<const std::uint8_t> data,
                                                      std::string& out) {
  std::vector<std::string> errors;
  std::size_t offset = 0;
  for (std::size_t index = 0; offset < data.size(); ++index) {
    std::string where = "frame " + std::to_string(index) + " at offset " + std::to_string(offset);
    std::size_t left = data.size() - offset;
    if (left < 4) {
      errors.push_back(where + ": need 4 bytes for the frame size, " + std::to_string(left) +
                       " left");
      break;
    }
    std::int32_t size = peek_i32(data.subspan(offset));
    if (size < 0 || static_cast<std::size_t>(size) > left - 4) {
      errors.push_back(where + ": frame size " + std::to_string(size) + " but " +
                       std::to_string(left - 4) + " bytes left");
      break;
    }
    auto frame = data.subspan(offset + 4, static_cast<std::size_t>(size));
    std::size_t body_offset = offset + 4;
    offset += 4 + static_cast<std::size_t>(size);

    // A frame whose first four bytes are the correlation id of a request seen earlier is taken
    // as that request's response; anything else must parse as a request.
    std::optional<std::string> response_error;
    if (frame.size() >= 4) {
      auto it = pending_.find(peek_i32(frame));
      if (it != pending_.end()) {
        response_error = write_frame(frame, body_offset, index, it->second, false, out);
        if (!response_error) {
          pending_.erase(it);
          continue;
        }
      } else if (responses_as_) {
        response_error = write_frame(frame, body_offset, index, *responses_as_, false, out);
        if (!response_error) continue;
      }
    }
    auto request_error = try_request(frame, body_offset, index, out);
    if (!request_error) continue;
    errors.push_back(where + ": " + (response_error ? *response_error : *request_error));
  }
  return errors;
}

std::optional<std::string> frame_decoder::decode_request(std::span<const std::uint8_t> frame,
                                                         std::string& out) {
  auto [bytes, offset] = without_size_prefix(frame);
  return try_request(bytes, offset, 0, out);
}

std::optional<std::string> frame_decoder::decode_response(std::span<const std::uint8_t> frame,
                                                          api_version_ref api, std::string& out) {
  auto [bytes, offset] = without_size_prefix(frame);
  return write_frame(bytes, offset, 0, api, false, out);
}

}  // namespace kpipe::protocol
