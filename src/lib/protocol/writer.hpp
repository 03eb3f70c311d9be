#pragma once
// Appends Kafka wire encodings to one growing buffer.
//
// A writer in counting mode stores nothing and only adds up sizes, so that a message's encoded
// size is computed by the same code that encodes it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace kpipe::protocol {

class writer {
 public:
  struct counting_t {};
  static constexpr counting_t counting{};

  writer() = default;
  explicit writer(counting_t) : counting_(true) {}

  void i8(std::int8_t v) { put_be(static_cast<std::uint8_t>(v), 1); }
  void i16(std::int16_t v) { put_be(static_cast<std::uint16_t>(v), 2); }
  void i32(std::int32_t v) { put_be(static_cast<std::uint32_t>(v), 4); }
  void i64(std::int64_t v) { put_be(static_cast<std::uint64_t>(v), 8); }
  void u16(std::uint16_t v) { put_be(v, 2); }
  void u32(std::uint32_t v) { put_be(v, 4); }
  void f64(double v);
  void boolean(bool v) { i8(v ? 1 : 0); }
  void uuid_value(const uuid& v) { raw(v); }

  void uvarint(std::uint32_t v);
  void uvarlong(std::uint64_t v);
  void varint(std::int32_t v);   // zigzag
  void varlong(std::int64_t v);  // zigzag

  // Strings and bytes: int16/int32 length when not flexible, unsigned varint length + 1 when
  // flexible (compact, KIP-482). A null is length -1, or 0 in compact form.
  void string(std::string_view v, bool compact);
  void nullable_string(const std::optional<std::string>& v, bool compact);
  void bytes(std::span<const std::uint8_t> v, bool compact);
  void nullable_bytes(const std::optional<byte_buffer>& v, bool compact);
  // Array length: count, or -1 for a null array.
  void array_length(std::int32_t count, bool compact);

  void raw(std::span<const std::uint8_t> v);
  // Makes room for n more bytes up front (one allocation for a large message).
  void reserve(std::size_t n) {
    if (!counting_) buffer_.reserve(buffer_.size() + n);
  }

  // Reserves 4 bytes for a big-endian int32 written later with patch_i32 (e.g. a frame size).
  std::size_t reserve_i32();
  void patch_i32(std::size_t position, std::int32_t v);

  std::size_t size() const { return counting_ ? counted_ : buffer_.size(); }
  const byte_buffer& buffer() const { return buffer_; }
  byte_buffer take() { return std::move(buffer_); }

 private:
  void put_be(std::uint64_t v, int width);

  byte_buffer buffer_;
  std::size_t counted_ = 0;
  bool counting_ = false;
};

}  // namespace kpipe::protocol
