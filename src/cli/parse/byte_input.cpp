#include "parse/byte_input.hpp"

#include <string>

#include "util/base64.hpp"

namespace kpipe::cli {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

result<std::vector<std::uint8_t>> decode_input(std::string_view text, input_encoding encoding) {
  if (encoding == input_encoding::raw) return std::vector<std::uint8_t>(text.begin(), text.end());
  if (encoding == input_encoding::hex) {
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    std::size_t start = 0;
    while (start < text.size() && is_space(text[start])) ++start;
    if (text.substr(start).starts_with("0x")) start += 2;
    int high = -1;
    std::size_t high_at = 0;
    for (std::size_t i = start; i < text.size(); ++i) {
      if (is_space(text[i])) continue;
      int d = hex_digit(text[i]);
      if (d < 0) {
        return error{error_kind::usage, "input is not hex: character '" + std::string(1, text[i]) +
                                            "' at offset " + std::to_string(i)};
      }
      if (high < 0) {
        high = d;
        high_at = i;
      } else {
        out.push_back(static_cast<std::uint8_t>(high << 4 | d));
        high = -1;
      }
    }
    if (high >= 0) {
      return error{error_kind::usage,
                   "input is not hex: odd digit at offset " + std::to_string(high_at)};
    }
    return out;
  }
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (!is_space(c)) compact += c;
  }
  auto bytes = util::decode_base64(compact);
  if (!bytes) return error{error_kind::usage, "input is not valid base64"};
  return std::move(*bytes);
}

}  // namespace kpipe::cli
