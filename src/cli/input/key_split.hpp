#pragma once
// produce -K: splits an input record into key and value at the first key delimiter.

#include <optional>
#include <string_view>

namespace kpipe::cli {

struct key_value {
  std::optional<std::string_view> key;  // nullopt: the record had no key delimiter
  std::string_view value;
};

// Splits at the FIRST occurrence, so a value may contain the delimiter but a key cannot. A record
// without the delimiter is all value with no key, as in kcat (its producer only sets a key when
// the delimiter is found, and then falls back to -k's fixed key): the caller applies -k the same
// way. An empty key or value stays an empty view here; -Z (empty means null) is the caller's
// choice. An empty key_delimiter never matches.
inline key_value split_key(std::string_view record, std::string_view key_delimiter) {
  if (key_delimiter.empty()) return {std::nullopt, record};
  std::size_t at = record.find(key_delimiter);
  if (at == std::string_view::npos) return {std::nullopt, record};
  return {record.substr(0, at), record.substr(at + key_delimiter.size())};
}

}  // namespace kpipe::cli
