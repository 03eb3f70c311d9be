#include "record/batch_header.hpp"

#include "record/crc32c.hpp"
#include "record/frame.hpp"
#include "record/record_batch.hpp"

namespace kpipe::record {
namespace {

// Offsets of the fields after base offset (8) and length (4), see record_batch.hpp.
constexpr std::size_t leader_epoch_at = 12;
constexpr std::size_t magic_at = 16;
constexpr std::size_t crc_at = 17;
constexpr std::size_t attributes_at = 21;
constexpr std::size_t last_offset_delta_at = 23;
constexpr std::size_t base_timestamp_at = 27;
constexpr std::size_t max_timestamp_at = 35;
constexpr std::size_t producer_id_at = 43;
constexpr std::size_t producer_epoch_at = 51;
constexpr std::size_t base_sequence_at = 53;
constexpr std::size_t record_count_at = 57;

void put_be(std::uint8_t* p, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

void update_crc(std::span<std::uint8_t> batch) {
  std::uint32_t crc = crc32c(std::span<const std::uint8_t>(batch).subspan(batch_crc_start));
  put_be(batch.data() + crc_at, crc, 4);
}

}  // namespace

void write_batch_header(std::span<std::uint8_t> batch, const batch_header_fields& f) {
  std::uint8_t* p = batch.data();
  auto attributes = static_cast<std::uint16_t>(f.compression);
  if (f.timestamps == timestamp_type::log_append_time) {
    attributes |= batch_attributes::log_append_time;
  }
  if (f.transactional) attributes |= batch_attributes::transactional;
  if (f.control) attributes |= batch_attributes::control;
  put_be(p, static_cast<std::uint64_t>(f.base_offset), 8);
  put_be(p + 8, batch.size() - log_overhead, 4);
  put_be(p + leader_epoch_at, static_cast<std::uint32_t>(f.partition_leader_epoch), 4);
  p[magic_at] = 2;
  put_be(p + attributes_at, attributes, 2);
  put_be(p + last_offset_delta_at, static_cast<std::uint32_t>(f.last_offset_delta), 4);
  put_be(p + base_timestamp_at, static_cast<std::uint64_t>(f.base_timestamp), 8);
  put_be(p + max_timestamp_at, static_cast<std::uint64_t>(f.max_timestamp), 8);
  put_be(p + producer_id_at, static_cast<std::uint64_t>(f.producer_id), 8);
  put_be(p + producer_epoch_at, static_cast<std::uint16_t>(f.producer_epoch), 2);
  put_be(p + base_sequence_at, static_cast<std::uint32_t>(f.base_sequence), 4);
  put_be(p + record_count_at, static_cast<std::uint32_t>(f.record_count), 4);
  update_crc(batch);
}

void stamp_producer(std::span<std::uint8_t> batch, std::int64_t producer_id,
                    std::int16_t producer_epoch, std::int32_t base_sequence, bool transactional) {
  std::uint8_t* p = batch.data();
  auto attributes = static_cast<std::uint16_t>((p[attributes_at] << 8) | p[attributes_at + 1]);
  if (transactional) {
    attributes |= batch_attributes::transactional;
  } else {
    attributes &= static_cast<std::uint16_t>(~batch_attributes::transactional);
  }
  put_be(p + attributes_at, attributes, 2);
  put_be(p + producer_id_at, static_cast<std::uint64_t>(producer_id), 8);
  put_be(p + producer_epoch_at, static_cast<std::uint16_t>(producer_epoch), 2);
  put_be(p + base_sequence_at, static_cast<std::uint32_t>(base_sequence), 4);
  update_crc(batch);
}

}  // namespace kpipe::record
