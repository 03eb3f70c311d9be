#pragma once
// Small helpers shared by the batch and message-set readers (not an API of the record layer).

#include <cstdint>
#include <cstdio>
#include <string>

namespace kpipe::record::detail {

// Builds a message from parts, as protocol::reader does for its errors.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

inline std::string str(std::int64_t v) { return std::to_string(v); }
inline std::string ustr(std::size_t v) { return std::to_string(v); }

inline std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Offsets and timestamps from the wire are added as Java adds longs: wrapping, so that hostile
// values give odd numbers rather than undefined behaviour.
inline std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace kpipe::record::detail
