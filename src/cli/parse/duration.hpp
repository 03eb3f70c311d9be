#pragma once
// Parses durations as users type them on the command line: "500ms", "10s", "2m", "1h", "1.5s".

#include <chrono>
#include <optional>
#include <string_view>

namespace kpipe::cli {

// A bare number is milliseconds (as in librdkafka's *.ms properties). nullopt on anything else,
// including negative values.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kpipe::cli
