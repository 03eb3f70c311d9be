#pragma once
// Kafka frames (size, header, body) to JSON: what `kpipe decode` shows.
//
// A frame stream holds requests and responses in any order, as a capture of one connection
// does. A request describes itself (API key and version in its header); a response is matched
// to its request by correlation id, or decoded with an API key and version given by the caller.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace kpipe::protocol {

struct api_version_ref {
  std::int16_t key = 0;
  std::int16_t version = 0;
};

class frame_decoder {
 public:
  // pretty: indented JSON; responses_as: decode responses with no known request as this API.
  explicit frame_decoder(bool pretty = false, std::optional<api_version_ref> responses_as = {})
      : pretty_(pretty), responses_as_(responses_as) {}

  // Decodes every size-prefixed frame in data, appending one JSON document per frame (each
  // ending in a newline) to out. Returns one message per frame that could not be decoded,
  // "frame 3 at offset 120: Metadata v9 response: topics[0]: need 4 bytes, 2 left at offset
  // 200"; decoding goes on with the next frame while the size prefixes hold.
  std::vector<std::string> decode_stream(std::span<const std::uint8_t> data, std::string& out);

  // One request frame, with or without its size prefix.
  std::optional<std::string> decode_request(std::span<const std::uint8_t> frame, std::string& out);
  // One response frame of the given API, with or without its size prefix.
  std::optional<std::string> decode_response(std::span<const std::uint8_t> frame,
                                             api_version_ref api, std::string& out);

  std::size_t frames_decoded() const { return frames_decoded_; }

 private:
  // Each returns an error message, or nullopt when the frame was decoded and written.
  std::optional<std::string> try_request(std::span<const std::uint8_t> frame, std::size_t offset,
                                         std::size_t index, std::string& out);
  std::optional<std::string> write_frame(std::span<const std::uint8_t> frame, std::size_t offset,
                                         std::size_t index, api_version_ref api, bool request,
                                         std::string& out);

  bool pretty_;
  std::optional<api_version_ref> responses_as_;
  std::map<std::int32_t, api_version_ref> pending_;  // correlation id -> request
  std::size_t frames_decoded_ = 0;
};

}  // namespace kpipe::protocol
