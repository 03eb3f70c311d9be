#include "protocol/reader.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace kpipe::protocol {
namespace {

// Builds a message from parts with one allocation pattern for every error path.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

}  // namespace

bool reader::need(std::size_t count) {
  if (failed_) return false;
  if (count > remaining()) {
    fail(concat("need ", std::to_string(count), " bytes, ", std::to_string(remaining()), " left"));
    return false;
  }
  return true;
}

void reader::fail(std::string reason) {
  if (failed_) return;
  failed_ = true;
  error_offset_ = offset();
  reason_ = std::move(reason);
  // Nothing after a failure may be read: later reads see an empty input.
  position_ = data_.size();
}

std::uint64_t reader::get_be(int width) {
  if (!need(static_cast<std::size_t>(width))) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) v = (v << 8) | data_[position_++];
  return v;
}

double reader::f64() { return std::bit_cast<double>(get_be(8)); }

uuid reader::uuid_value() {
  uuid v{};
  auto bytes = raw(v.size());
  if (!bytes.empty()) std::copy(bytes.begin(), bytes.end(), v.begin());
  return v;
}

std::uint64_t reader::uvarlong() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (!need(1)) return 0;
    std::uint8_t b = data_[position_++];
    if (shift == 63 && b > 1) break;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  fail("malformed varint");
  return 0;
}

std::uint32_t reader::uvarint() {
  std::uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (!need(1)) return 0;
    std::uint8_t b = data_[position_++];
    if (shift == 28 && b > 0x0f) break;
    v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  fail("malformed varint");
  return 0;
}

std::int32_t reader::varint() {
  std::uint32_t u = uvarint();
  return static_cast<std::int32_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::int64_t reader::varlong() {
  std::uint64_t u = uvarlong();
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::size_t reader::checked_length(std::int64_t length) {
  if (failed_) return 0;
  if (length < 0) {
    fail(concat("invalid length ", std::to_string(length)));
    return 0;
  }
  if (static_cast<std::uint64_t>(length) > remaining()) {
    fail(concat("length ", std::to_string(length), " exceeds the ", std::to_string(remaining()),
                " bytes left"));
    return 0;
  }
  return static_cast<std::size_t>(length);
}

std::span<const std::uint8_t> reader::raw(std::size_t count) {
  if (!need(count)) return {};
  auto out = data_.subspan(position_, count);
  position_ += count;
  return out;
}

reader reader::sub_reader(std::size_t count) {
  std::size_t start = offset();
  auto bytes = raw(count);
  return reader(bytes, start);
}

void reader::adopt_failure(const reader& sub) {
  if (failed_ || sub.ok()) return;
  failed_ = true;
  error_offset_ = sub.error_offset_;
  reason_ = sub.reason_;
  path_ = sub.path_;
  position_ = data_.size();
}

std::string reader::string(bool compact) {
  auto s = nullable_string(compact);
  if (!s && ok()) fail("null where a string is required");
  return s ? std::move(*s) : std::string();
}

std::optional<std::string> reader::nullable_string(bool compact) {
  std::int64_t length = compact ? static_cast<std::int64_t>(uvarint()) - 1 : i16();
  if (failed_ || length == -1) return std::nullopt;
  std::size_t n = checked_length(length);
  auto bytes = raw(n);
  if (failed_) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

byte_buffer reader::bytes(bool compact) {
  auto b = nullable_bytes(compact);
  if (!b && ok()) fail("null where bytes are required");
  return b ? std::move(*b) : byte_buffer();
}

std::optional<byte_buffer> reader::nullable_bytes(bool compact) {
  std::int64_t length = compact ? static_cast<std::int64_t>(uvarint()) - 1 : i32();
  if (failed_ || length == -1) return std::nullopt;
  std::size_t n = checked_length(length);
  auto bytes = raw(n);
  if (failed_) return std::nullopt;
  return byte_buffer(bytes.begin(), bytes.end());
}

std::int32_t reader::array_length(bool compact) {
  std::int64_t length = compact ? static_cast<std::int64_t>(uvarint()) - 1 : i32();
  if (failed_) return 0;
  if (length == -1) return -1;
  return static_cast<std::int32_t>(checked_length(length));
}

void reader::add_path(std::string_view field) {
  if (!path_.empty() && path_.back().starts_with('[')) {
    path_.back() = concat(field, path_.back());
  } else {
    path_.emplace_back(field);
  }
}

void reader::add_path_index(std::size_t index) {
  path_.push_back(concat("[", std::to_string(index), "]"));
}

std::string reader::error() const {
  if (!failed_) return {};
  std::string out;
  for (auto it = path_.rbegin(); it != path_.rend(); ++it) {
    if (!out.empty() && !it->starts_with('[')) out += '.';
    out += *it;
  }
  if (!out.empty()) out += ": ";
  out.append(reason_).append(" at offset ").append(std::to_string(error_offset_));
  return out;
}

}  // namespace kpipe::protocol
