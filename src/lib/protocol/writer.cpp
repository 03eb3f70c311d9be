#include "protocol/writer.hpp"

#include <bit>
#include <cstring>

namespace kpipe::protocol {

void writer::put_be(std::uint64_t v, int width) {
  if (counting_) {
    counted_ += static_cast<std::size_t>(width);
    return;
  }
  for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
    buffer_.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}

void writer::f64(double v) { put_be(std::bit_cast<std::uint64_t>(v), 8); }

void writer::uvarlong(std::uint64_t v) {
  while (v >= 0x80) {
    put_be((v & 0x7f) | 0x80, 1);
    v >>= 7;
  }
  put_be(v, 1);
}

void writer::uvarint(std::uint32_t v) { uvarlong(v); }

void writer::varint(std::int32_t v) {
  uvarint((static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31));
}

void writer::varlong(std::int64_t v) {
  uvarlong((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void writer::raw(std::span<const std::uint8_t> v) {
  if (counting_) {
    counted_ += v.size();
    return;
  }
  buffer_.insert(buffer_.end(), v.begin(), v.end());
}

void writer::string(std::string_view v, bool compact) {
  if (compact) {
    uvarint(static_cast<std::uint32_t>(v.size() + 1));
  } else {
    i16(static_cast<std::int16_t>(v.size()));
  }
  raw({reinterpret_cast<const std::uint8_t*>(v.data()), v.size()});
}

void writer::nullable_string(const std::optional<std::string>& v, bool compact) {
  if (v) {
    string(*v, compact);
  } else if (compact) {
    uvarint(0);
  } else {
    i16(-1);
  }
}

void writer::bytes(std::span<const std::uint8_t> v, bool compact) {
  if (compact) {
    uvarint(static_cast<std::uint32_t>(v.size() + 1));
  } else {
    i32(static_cast<std::int32_t>(v.size()));
  }
  raw(v);
}

void writer::nullable_bytes(const std::optional<byte_buffer>& v, bool compact) {
  if (v) {
    bytes(*v, compact);
  } else if (compact) {
    uvarint(0);
  } else {
    i32(-1);
  }
}

void writer::array_length(std::int32_t count, bool compact) {
  if (compact) {
    // -1 (null) becomes 0; unsigned arithmetic, so INT32_MAX cannot overflow
    uvarint(static_cast<std::uint32_t>(count) + 1u);
  } else {
    i32(count);
  }
}

std::size_t writer::reserve_i32() {
  std::size_t position = size();
  i32(0);
  return position;
}

void writer::patch_i32(std::size_t position, std::int32_t v) {
  if (counting_) return;
  auto u = static_cast<std::uint32_t>(v);
  for (int i = 0; i < 4; ++i) {
    buffer_[position + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(u >> (24 - 8 * i));
  }
}

}  // namespace kpipe::protocol
