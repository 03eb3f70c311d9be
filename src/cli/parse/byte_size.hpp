#pragma once
// Sizes on the command line: "1048576", "64k", "1MiB", "16MB", "1g". Suffixes are binary
// (k = KiB = KB = 1024), as in Kafka's and librdkafka's documentation of batch sizes.

#include <cstddef>
#include <optional>
#include <string_view>

namespace kpipe::cli {

std::optional<std::size_t> parse_byte_size(std::string_view text);

}  // namespace kpipe::cli
