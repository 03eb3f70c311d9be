#include "record/batch_writer.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "protocol/writer.hpp"
#include "record/batch_header.hpp"
#include "record/frame.hpp"
#include "record/record_batch.hpp"
#include "record/record_encoding.hpp"

namespace kpipe::record {
namespace {

constexpr std::size_t int32_max =
    static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

bool fits(const std::optional<bytes_view>& v) { return !v || v->size() <= int32_max; }

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
  encoding::record_fields fields{r.key, r.value, r.headers, delta, offset_delta};
  std::size_t body = encoding::body_size(fields);
  if (body > int32_max) {
    error_ = kpipe::error{error_kind::usage, "batch writer: a record exceeds 2 GiB"};
    return;
  }
  std::size_t at = records_.size();
  records_.resize(at + encoding::encoded_size(body));
  encoding::put_record(records_.data() + at, fields, body);
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
  bytes_view records = records_;
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
  std::vector<std::uint8_t> batch(batch_header_size + records.size());
  std::copy(records.begin(), records.end(), batch.begin() + batch_header_size);
  batch_header_fields fields;
  fields.base_offset = base_offset_;
  fields.partition_leader_epoch = partition_leader_epoch_;
  fields.compression = codec_;
  fields.timestamps = timestamp_type_;
  fields.transactional = transactional_;
  fields.control = control_;
  fields.last_offset_delta = count_ == 0 ? 0 : last_offset_delta_;
  fields.base_timestamp = base_timestamp_;
  fields.max_timestamp = max_timestamp_;
  fields.producer_id = producer_id_;
  fields.producer_epoch = producer_epoch_;
  fields.base_sequence = base_sequence_;
  fields.record_count = static_cast<std::int32_t>(count_);
  write_batch_header(batch, fields);
  return batch;
}

}  // namespace kpipe::record
