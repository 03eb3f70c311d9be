#pragma once
// Value types shared by every generated protocol message.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kpipe::protocol {

using byte_buffer = std::vector<std::uint8_t>;
using uuid = std::array<std::uint8_t, 16>;

// A tagged field this version of kpipe does not know: kept as raw bytes and written back
// unchanged, so that decode -> encode is lossless (KIP-482).
struct tagged_field {
  std::uint32_t tag = 0;
  byte_buffer data;
  bool operator==(const tagged_field&) const = default;
};

using unknown_tags = std::vector<tagged_field>;

}  // namespace kpipe::protocol
