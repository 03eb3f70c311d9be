#pragma once
// Base64 (RFC 4648) encoding and decoding.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::util {

// url_safe: the URL-safe alphabet without padding, as Kafka prints topic ids (Uuid.toString).
void append_base64(std::string& out, std::span<const std::uint8_t> data, bool url_safe = false);
std::string base64(std::span<const std::uint8_t> data, bool url_safe = false);
// Accepts both alphabets, with or without padding; nullopt on any other character.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text);

void append_hex(std::string& out, std::span<const std::uint8_t> data);

}  // namespace kpipe::util
