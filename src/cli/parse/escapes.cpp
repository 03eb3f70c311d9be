#include "parse/escapes.hpp"

namespace kpipe::cli {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

error escape_error(std::string_view what, std::size_t offset) {
  return error{error_kind::usage, std::string(what) + " at offset " + std::to_string(offset) +
                                      " (known escapes: \\n \\t \\r \\0 \\\\ \\xNN)"};
}

}  // namespace

result<std::string> parse_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 == text.size()) return escape_error("trailing backslash", i);
    switch (text[i + 1]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x': {
        int high = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
        int low = i + 3 < text.size() ? hex_value(text[i + 3]) : -1;
        if (high < 0 || low < 0) return escape_error("\\x needs two hex digits", i);
        out += static_cast<char>(high << 4 | low);
        i += 2;
        break;
      }
      default: {
        // Printable characters are quoted; others are shown as hex so the message stays one
        // readable line.
        unsigned char c = static_cast<unsigned char>(text[i + 1]);
        std::string shown;
        if (c >= 0x20 && c < 0x7f) {
          shown = std::string("\"\\") + static_cast<char>(c) + "\"";
        } else {
          static constexpr char digits[] = "0123456789abcdef";
          shown = std::string("\"\\\" followed by byte 0x") + digits[c >> 4] + digits[c & 0xf];
        }
        return escape_error("unknown escape " + shown, i);
      }
    }
    ++i;
  }
  return out;
}

}  // namespace kpipe::cli
