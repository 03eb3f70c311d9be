#pragma once
// Reads Kafka wire encodings from a byte span, with a sticky failure flag.
//
// Every read after a failure yields zero or empty, so decoders check ok() once per field rather
// than after every primitive. Every length read from the wire is checked against the bytes left
// before anything is allocated: a hostile length can never make the reader allocate more than
// the input's own size. Strings and bytes are copied out (the generated structs own their data;
// hot paths that want zero-copy views are hand-written on top of this reader).
//
// On failure the reader records where (byte offset) and why, and decoders add the path of the
// field being read as they unwind: "topics[3].partitions[0]: need 4 bytes, 2 left at offset 318".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace kpipe::protocol {

class reader {
 public:
  // base_offset: where data starts in the enclosing input, so that offsets in errors are
  // absolute even for a reader over a slice (a tagged field, a frame in a stream).
  explicit reader(std::span<const std::uint8_t> data, std::size_t base_offset = 0)
      : data_(data), base_offset_(base_offset) {}

  std::int8_t i8() { return static_cast<std::int8_t>(get_be(1)); }
  std::int16_t i16() { return static_cast<std::int16_t>(get_be(2)); }
  std::int32_t i32() { return static_cast<std::int32_t>(get_be(4)); }
  std::int64_t i64() { return static_cast<std::int64_t>(get_be(8)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get_be(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get_be(4)); }
  double f64();
  bool boolean() { return i8() != 0; }
  uuid uuid_value();

  std::uint32_t uvarint();
  std::uint64_t uvarlong();
  std::int32_t varint();
  std::int64_t varlong();

  std::string string(bool compact);
  std::optional<std::string> nullable_string(bool compact);
  byte_buffer bytes(bool compact);
  std::optional<byte_buffer> nullable_bytes(bool compact);
  // Number of elements, or -1 for a null array. A count larger than the bytes left fails the
  // reader (every element of every Kafka array takes at least one byte).
  std::int32_t array_length(bool compact);

  std::span<const std::uint8_t> raw(std::size_t count);
  // A reader over the next `count` bytes; this reader moves past them.
  reader sub_reader(std::size_t count);
  // Takes over the failure of a sub-reader, so that it is reported from the enclosing input.
  void adopt_failure(const reader& sub);

  bool ok() const { return !failed_; }
  std::size_t offset() const { return base_offset_ + position_; }
  std::size_t remaining() const { return data_.size() - position_; }
  bool at_end() const { return position_ == data_.size(); }

  // Marks the reader failed (the first failure wins) with a reason, at the current offset.
  void fail(std::string reason);
  // Decoders call these while unwinding from a failure, innermost first.
  void add_path(std::string_view field);
  void add_path_index(std::size_t index);

  // "topics[3].partitions[0]: need 4 bytes, 2 left at offset 318"
  std::string error() const;
  std::size_t error_offset() const { return error_offset_; }

 private:
  std::uint64_t get_be(int width);
  bool need(std::size_t count);
  std::size_t checked_length(std::int64_t length);

  std::span<const std::uint8_t> data_;
  std::size_t base_offset_ = 0;
  std::size_t position_ = 0;
  bool failed_ = false;
  std::size_t error_offset_ = 0;
  std::string reason_;
  std::vector<std::string> path_;  // innermost first
};

}  // namespace kpipe::protocol
