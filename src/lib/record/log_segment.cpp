#include "record/log_segment.hpp"

#include <algorithm>
#include <charconv>

#include "record/crc32c.hpp"
#include "record/frame.hpp"

namespace kpipe::record {
namespace {

std::uint64_t load_be(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Where the CRC is stored in a v2 batch header, and the smallest length (the bytes after the
// length field) a v2 batch can state: the header without its first 12 bytes.
constexpr std::size_t batch_crc_field = 17;
constexpr std::size_t min_batch_length = batch_header_size - log_overhead;

}  // namespace

segment_entry probe_segment_entry(std::span<const std::uint8_t> segment, std::size_t position) {
  segment_entry entry;
  entry.position = position;
  auto rest = segment.subspan(std::min(position, segment.size()));
  auto f = check_frame(rest, position);
  switch (f.status) {
    case frame_status::complete:
      entry.size = f.size;
      entry.magic = f.magic;
      if (f.magic < 0 || f.magic > 2) {
        entry.status = segment_entry_status::corrupt;
        entry.message = "unknown magic " + std::to_string(f.magic) + " at offset " +
                        std::to_string(position + magic_offset);
      }
      return entry;
    case frame_status::truncated:
      entry.status = segment_entry_status::truncated;
      entry.size = rest.size();
      entry.message = f.message;
      return entry;
    case frame_status::corrupt:
      break;
  }
  entry.status = segment_entry_status::corrupt;
  entry.message = f.message;
  return entry;
}

std::optional<std::size_t> find_next_valid_batch(std::span<const std::uint8_t> segment,
                                                 std::size_t from) {
  if (segment.size() < batch_header_size) return std::nullopt;
  for (std::size_t p = from + 1; p + batch_header_size <= segment.size(); ++p) {
    const std::uint8_t* h = segment.data() + p;
    if (h[magic_offset] != 2) continue;
    auto length = static_cast<std::int32_t>(load_be(h + 8, 4));
    if (length < static_cast<std::int32_t>(min_batch_length)) continue;
    if (static_cast<std::size_t>(length) > segment.size() - p - log_overhead) continue;
    auto stored = static_cast<std::uint32_t>(load_be(h + batch_crc_field, 4));
    auto crc_part = segment.subspan(
        p + batch_crc_start, log_overhead + static_cast<std::size_t>(length) - batch_crc_start);
    if (crc32c(crc_part) == stored) return p;
  }
  return std::nullopt;
}

std::optional<std::int64_t> segment_base_offset_from_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  constexpr std::size_t digits = 20;  // Kafka pads base offsets to 20 digits
  if (name.size() <= digits || name[digits] != '.') return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + digits, value);
  if (ec != std::errc{} || end != name.data() + digits) return std::nullopt;
  return value;
}

std::optional<control_type> control_batch_type(const record_batch& batch) {
  if (!batch.control()) return std::nullopt;
  if (!batch.records.empty()) {
    if (batch.records.front().control) return batch.records.front().control->type;
    return std::nullopt;
  }
  // Undecoded: the first record is length varint, attributes int8, timestamp delta varint,
  // offset delta varint, key length varint, then the key (version int16, type int16). The
  // marker's varints are one byte each (small values), which is what a coordinator writes;
  // anything else is left unread rather than guessed.
  if (batch.compression() != codec::none) return std::nullopt;
  auto r = batch.records_data;
  if (r.size() < 9) return std::nullopt;
  // r[0] length, r[1] attributes, r[2] ts delta, r[3] offset delta, r[4] key length (zigzag 4 = 8)
  if ((r[0] & 0x80) || (r[2] & 0x80) || (r[3] & 0x80) || r[4] != 8) return std::nullopt;
  auto type = static_cast<std::int16_t>(load_be(r.data() + 7, 2));
  return static_cast<control_type>(type);
}

void transaction_tracker::observe(const record_batch& batch) {
  if (!batch.transactional() || batch.producer_id < 0) return;
  if (!batch.control()) {
    open_.try_emplace(batch.producer_id, batch.base_offset);
    return;
  }
  auto type = control_batch_type(batch);
  if (type != control_type::abort && type != control_type::commit) return;
  std::optional<std::int64_t> first;
  if (auto it = open_.find(batch.producer_id); it != open_.end()) {
    first = it->second;
    open_.erase(it);
  }
  if (type == control_type::abort) {
    aborted_.push_back({batch.producer_id, first, batch.base_offset});
  }
}

}  // namespace kpipe::record
