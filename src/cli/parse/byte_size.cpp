#include "parse/byte_size.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace kpipe::cli {

std::optional<std::size_t> parse_byte_size(std::string_view text) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  std::string suffix(end, text.data() + text.size());
  for (auto& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t scale = 1;
  if (suffix.empty() || suffix == "b") {
    scale = 1;
  } else if (suffix == "k" || suffix == "kb" || suffix == "kib") {
    scale = std::size_t{1} << 10;
  } else if (suffix == "m" || suffix == "mb" || suffix == "mib") {
    scale = std::size_t{1} << 20;
  } else if (suffix == "g" || suffix == "gb" || suffix == "gib") {
    scale = std::size_t{1} << 30;
  } else {
    return std::nullopt;
  }
  if (value > static_cast<std::size_t>(-1) / scale) return std::nullopt;
  return value * scale;
}

}  // namespace kpipe::cli
