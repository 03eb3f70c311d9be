#include "config/properties_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace kpipe::config {

namespace {

error usage(std::string message) { return error{error_kind::usage, std::move(message)}; }

// Java's blanks in .properties files.
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// The text cut into lines at \n, \r or \r\n, as Java does.
std::vector<std::string_view> natural_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::size_t trailing_backslashes(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && s[s.size() - 1 - n] == '\\') ++n;
  return n;
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// The four hex digits of a \u escape starting at text[at] ('\\'), or nullopt.
std::optional<std::uint32_t> utf16_unit_at(std::string_view text, std::size_t at) {
  if (at + 6 > text.size() || text[at] != '\\' || text[at + 1] != 'u') return std::nullopt;
  std::uint32_t unit = 0;
  for (std::size_t i = at + 2; i < at + 6; ++i) {
    char c = text[i];
    unit <<= 4;
    if (c >= '0' && c <= '9') {
      unit |= static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      unit |= static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      unit |= static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return unit;
}

// Java's escapes. \uXXXX is a UTF-16 unit: a surrogate pair written as two escapes becomes one
// code point in UTF-8. On failure returns the reason (which never quotes the text: it may be a
// password).
result<std::string> unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 == raw.size()) break;  // a lone backslash at the very end stands for nothing
    char next = raw[++i];
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        auto unit = utf16_unit_at(raw, i - 1);
        if (!unit) return usage("malformed \\uXXXX escape (four hex digits expected)");
        i += 4;
        std::uint32_t code_point = *unit;
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {
          auto low = utf16_unit_at(raw, i + 1);
          if (!low || *low < 0xDC00 || *low > 0xDFFF) {
            return usage("\\u escape of a high surrogate without its low surrogate");
          }
          code_point = 0x10000 + ((code_point - 0xD800) << 10) + (*low - 0xDC00);
          i += 6;
        } else if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
          return usage("\\u escape of a low surrogate without its high surrogate");
        }
        append_utf8(out, code_point);
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}

// "[NAME]" or "[profile NAME]": the name, empty for "[]"; nullopt when the line is no section.
std::optional<std::string> section_name(std::string_view line) {
  line = trim_blanks(line);
  if (line.size() < 2 || line.front() != '[' || line.back() != ']') return std::nullopt;
  auto inside = trim_blanks(line.substr(1, line.size() - 2));
  constexpr std::string_view prefix = "profile";
  if (inside.size() > prefix.size() && inside.substr(0, prefix.size()) == prefix &&
      is_blank(inside[prefix.size()])) {
    inside = trim_blanks(inside.substr(prefix.size()));
  }
  return std::string(inside);
}

// Splits one logical line into its raw (still escaped) key and value.
std::pair<std::string_view, std::string_view> split_entry(std::string_view line) {
  std::size_t key_end = 0;
  while (key_end < line.size()) {
    char c = line[key_end];
    if (c == '\\') {
      key_end += 2;
      continue;
    }
    if (c == '=' || c == ':' || is_blank(c)) break;
    ++key_end;
  }
  key_end = std::min(key_end, line.size());
  std::size_t value_start = key_end;
  while (value_start < line.size() && is_blank(line[value_start])) ++value_start;
  if (value_start < line.size() && (line[value_start] == '=' || line[value_start] == ':')) {
    ++value_start;
    while (value_start < line.size() && is_blank(line[value_start])) ++value_start;
  }
  std::string_view value = line.substr(value_start);
  // Drop blanks at the end unless escaped ("\ "): see the header.
  while (!value.empty() && is_blank(value.back()) &&
         trailing_backslashes(value.substr(0, value.size() - 1)) % 2 == 0) {
    value.remove_suffix(1);
  }
  return {line.substr(0, key_end), value};
}

}  // namespace

result<properties_file> parse_properties(std::string_view text, const std::string& path) {
  properties_file file;
  file.path = path;
  auto lines = natural_lines(text);
  std::string section;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    int first_line = static_cast<int>(i) + 1;
    auto where = [&] { return path + ":" + std::to_string(first_line); };
    std::string_view line = lines[i];
    while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    if (auto name = section_name(line)) {
      if (name->empty()) return usage(where() + ": a profile section needs a name: [NAME]");
      section = std::move(*name);
      if (std::find(file.sections.begin(), file.sections.end(), section) == file.sections.end()) {
        file.sections.push_back(section);
      }
      continue;
    }
    // Join continuation lines: the backslash goes, and so do the next line's leading blanks.
    std::string logical;
    while (trailing_backslashes(line) % 2 == 1 && i + 1 < lines.size()) {
      logical.append(line.substr(0, line.size() - 1));
      line = lines[++i];
      while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
    }
    logical.append(line);

    auto [raw_key, raw_value] = split_entry(logical);
    auto key = unescape(raw_key);
    if (!key) return usage(where() + ": in a key: " + key.error().message);
    auto value = unescape(raw_value);
    if (!value) {
      return usage(where() + ": in the value of '" + *key + "': " + value.error().message);
    }
    file.entries.push_back(
        property_entry{std::move(*key), std::move(value.value()), section, first_line});
  }
  return file;
}

result<properties_file> read_properties_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return usage("config file '" + path + "' cannot be read: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return usage("config file '" + path + "' cannot be read");
  return parse_properties(text.str(), path);
}

status add_file(layered_properties& properties, const properties_file& file,
                const std::optional<std::string>& profile) {
  if (profile &&
      std::find(file.sections.begin(), file.sections.end(), *profile) == file.sections.end()) {
    if (file.sections.empty()) {
      return usage("profile '" + *profile + "' not found: " + file.path +
                   " has no profiles ([NAME] sections)");
    }
    std::string names;
    for (const auto& name : file.sections) names += (names.empty() ? "" : ", ") + name;
    return usage("profile '" + *profile + "' not found in " + file.path + "; it has: " + names);
  }
  for (const auto& entry : file.entries) {
    std::string line = file.path + ":" + std::to_string(entry.line);
    if (entry.section.empty()) {
      properties.set(entry.key, entry.value, source{origin::file, std::move(line)});
    } else if (profile && entry.section == *profile) {
      properties.set(entry.key, entry.value,
                     source{origin::profile, "profile " + *profile + " (" + line + ")"});
    }
  }
  return success{};
}

}  // namespace kpipe::config
