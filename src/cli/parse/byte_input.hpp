#pragma once
// Turns decode's input text into bytes: raw, hex or base64 (whitespace tolerated in both).

#include <cstdint>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace kpipe::cli {

enum class input_encoding { raw, hex, base64 };

// Hex: pairs of digits, either case, whitespace anywhere; an optional "0x" before the whole.
// Base64: either alphabet, padding optional, whitespace anywhere. Errors name the offset.
result<std::vector<std::uint8_t>> decode_input(std::string_view text, input_encoding encoding);

}  // namespace kpipe::cli
