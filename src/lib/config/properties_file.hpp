#pragma once
// Config files: Java .properties syntax (which librdkafka/kcat config files are a subset of),
// plus "[NAME]" (or "[profile NAME]") lines that open a profile section. Everything before the
// first section is the top level, used with every profile.
//
// Syntax, as java.util.Properties.load reads it:
//   - "key=value", "key:value" or "key value"; blanks around the separator are skipped;
//   - a line whose first non-blank character is '#' or '!' is a comment;
//   - a line ending in an odd number of backslashes continues on the next line, whose leading
//     blanks are skipped;
//   - in keys and values, \t \n \r \f and \uXXXX are escapes, and a backslash before any other
//     character stands for that character (so "\=" "\:" "\ " "\\" and "\#" are literal);
//   - a key alone means an empty value.
// Two differences from Java, both for kcat's files and for people's editors: the bytes are kept
// as they are (UTF-8, not ISO-8859-1), and unescaped blanks at the end of a value are dropped (a
// password pasted with a trailing space would fail in a way that is hard to see; write "\ " to
// keep one).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/client_config.hpp"
#include "util/result.hpp"

namespace kpipe::config {

struct property_entry {
  std::string key;
  std::string value;
  std::string section;  // the profile it belongs to; empty at the top level
  int line = 0;         // 1-based, where the entry starts
};

struct properties_file {
  std::string path;  // for messages
  std::vector<property_entry> entries;
  std::vector<std::string> sections;  // each profile once, in the order they first appear
};

// `path` only names the text in messages. A malformed \uXXXX escape or an empty section name is a
// usage error naming PATH:LINE.
result<properties_file> parse_properties(std::string_view text, const std::string& path);

// A file that cannot be read is a usage error naming it.
result<properties_file> read_properties_file(const std::string& path);

// Adds the file's top-level entries at origin::file (where "PATH:LINE") and, when `profile` is
// given, that section's entries at origin::profile (where "profile NAME (PATH:LINE)"). A profile
// the file does not have is a usage error listing those it has, and then nothing is added.
status add_file(layered_properties& properties, const properties_file& file,
                const std::optional<std::string>& profile);

}  // namespace kpipe::config
