#include "record/batch_writer.hpp"

#include <limits>
#include <string>

#include "record/crc32c.hpp"
#include "record/frame.hpp"
#include "record/record_batch.hpp"

namespace kpipe::record {
namespace {

constexpr std::size_t int32_max =
    static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

// Nullable bytes of a record: varint length, -1 for null.
void varint_bytes(protocol::writer& w, const std::optional<bytes_view>& v) {
  if (!v) {
    w.varint(-1);
    return;
  }
  w.varint(static_cast<std::int32_t>(v->size()));
  w.raw(*v);
}

bool fits(const std::optional<bytes_view>& v) { return !v || v->size() <= int32_max; }

// A record after its length field.
void encode_body(protocol::writer& w, const record_input& r, std::int64_t timestamp_delta,
                 std::int32_t offset_delta) {
  w.i8(0);  // attributes: none defined for records
  w.varlong(timestamp_delta);
  w.varint(offset_delta);
  varint_bytes(w, r.key);
  varint_bytes(w, r.value);
  w.varint(static_cast<std::int32_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    w.varint(static_cast<std::int32_t>(h.key.size()));
    w.raw({reinterpret_cast<const std::uint8_t*>(h.key.data()), h.key.size()});
    varint_bytes(w, h.value);
  }
}

}  // namespace

void batch_writer::set_producer(std::int64_t id, std::int16_t epoch, std::int32_t base_sequence) {
  producer_id_ = id;
  producer_epoch_ = epoch;
  base_sequence_ = base_sequence;
}

void batch_writer::set_compression(codec c, int level) {
  codec_ = c;
  level_ = level;
}

void batch_writer::add(const record_input& r) {
  if (error_) return;
  std::int32_t offset_delta =
      r.offset_delta ? *r.offset_delta : static_cast<std::int32_t>(last_offset_delta_ + 1);
  if (count_ > 0 && offset_delta <= last_offset_delta_) {
    error_ = kpipe::error{error_kind::usage,
                          "batch writer: offset delta " + std::to_string(offset_delta) +
                              " does not follow " + std::to_string(last_offset_delta_)};
    return;
  }
  if (offset_delta < 0 || !fits(r.key) || !fits(r.value) || r.headers.size() > int32_max) {
    error_ = kpipe::error{error_kind::usage, "batch writer: a record field is out of range"};
    return;
  }
  for (const auto& h : r.headers) {
    if (h.key.size() > int32_max || !fits(h.value)) {
      error_ = kpipe::error{error_kind::usage, "batch writer: a header is out of range"};
      return;
    }
  }
  // The first record's timestamp is the base (as the Java client does), later ones are deltas.
  if (count_ == 0) base_timestamp_ = r.timestamp;
  if (count_ == 0 || r.timestamp > max_timestamp_) max_timestamp_ = r.timestamp;
  auto delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(r.timestamp) -
                                         static_cast<std::uint64_t>(base_timestamp_));
  protocol::writer counter(protocol::writer::counting);
  encode_body(counter, r, delta, offset_delta);
  if (counter.size() > int32_max) {
    error_ = kpipe::error{error_kind::usage, "batch writer: a record exceeds 2 GiB"};
    return;
  }
  records_.varint(static_cast<std::int32_t>(counter.size()));
  encode_body(records_, r, delta, offset_delta);
  last_offset_delta_ = offset_delta;
  ++count_;
}

void batch_writer::add_control(control_type type, std::int32_t coordinator_epoch,
                               std::int64_t timestamp) {
  control_ = true;
  protocol::writer key;
  key.i16(0);  // version
  key.i16(static_cast<std::int16_t>(type));
  protocol::writer value;
  value.i16(0);  // version
  value.i32(coordinator_epoch);
  record_input r;
  r.key = bytes_view(key.buffer());
  r.value = bytes_view(value.buffer());
  r.timestamp = timestamp;
  add(r);
}

result<std::vector<std::uint8_t>> batch_writer::build() const {
  if (error_) return *error_;
  bytes_view records = records_.buffer();
  std::vector<std::uint8_t> compressed;
  if (codec_ != codec::none) {
    auto c = compress(codec_, records, level_);
    if (!c) return kpipe::error{c.error().kind, "batch writer: " + c.error().message};
    compressed = std::move(c).value();
    records = compressed;
  }
  if (batch_header_size - log_overhead + records.size() > int32_max) {
    return kpipe::error{error_kind::usage, "batch writer: the batch exceeds 2 GiB"};
  }
  auto attributes = static_cast<std::int16_t>(static_cast<int>(codec_));
  if (timestamp_type_ == timestamp_type::log_append_time) {
    attributes |= batch_attributes::log_append_time;
  }
  if (transactional_) attributes |= batch_attributes::transactional;
  if (control_) attributes |= batch_attributes::control;

  protocol::writer w;
  w.i64(base_offset_);
  std::size_t length_at = w.reserve_i32();
  w.i32(partition_leader_epoch_);
  w.i8(2);  // magic
  std::size_t crc_at = w.reserve_i32();
  w.i16(attributes);
  w.i32(count_ == 0 ? 0 : last_offset_delta_);
  w.i64(base_timestamp_);
  w.i64(max_timestamp_);
  w.i64(producer_id_);
  w.i16(producer_epoch_);
  w.i32(base_sequence_);
  w.i32(static_cast<std::int32_t>(count_));
  w.raw(records);
  w.patch_i32(length_at, static_cast<std::int32_t>(w.size() - log_overhead));
  std::uint32_t crc = crc32c(bytes_view(w.buffer()).subspan(batch_crc_start));
  w.patch_i32(crc_at, static_cast<std::int32_t>(crc));
  return w.take();
}

}  // namespace kpipe::record
