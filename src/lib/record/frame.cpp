#include "record/frame.hpp"

namespace kpipe::record {

frame check_frame(std::span<const std::uint8_t> data, std::size_t at) {
  frame f;
  if (data.size() < log_overhead) {
    f.status = frame_status::truncated;
    f.message = "need " + std::to_string(log_overhead) + " bytes for an offset and a length, " +
                std::to_string(data.size()) + " left at offset " + std::to_string(at);
    return f;
  }
  const std::uint8_t* p = data.data() + 8;
  auto length = static_cast<std::int32_t>(static_cast<std::uint32_t>(p[0]) << 24 |
                                          static_cast<std::uint32_t>(p[1]) << 16 |
                                          static_cast<std::uint32_t>(p[2]) << 8 | p[3]);
  if (length < min_entry_length) {
    f.status = frame_status::corrupt;
    f.message = "length " + std::to_string(length) + " is below the minimum of " +
                std::to_string(min_entry_length) + " at offset " + std::to_string(at + 8);
    return f;
  }
  f.size = log_overhead + static_cast<std::size_t>(length);
  if (f.size > data.size()) {
    f.status = frame_status::truncated;
    f.message = "need " + std::to_string(f.size) + " bytes (length " + std::to_string(length) +
                "), " + std::to_string(data.size()) + " left at offset " + std::to_string(at);
    return f;
  }
  f.magic = static_cast<std::int8_t>(data[magic_offset]);
  return f;
}

}  // namespace kpipe::record
