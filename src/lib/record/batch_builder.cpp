#include "record/batch_builder.hpp"

#include <algorithm>
#include <cstring>

#include "record/batch_header.hpp"
#include "record/record_batch.hpp"
#include "record/record_encoding.hpp"

namespace kpipe::record {

batch_builder::batch_builder(builder_settings settings) : settings_(settings) { start({}); }

void batch_builder::start(std::vector<std::uint8_t> buffer) {
  buffer_ = std::move(buffer);
  buffer_.clear();
  buffer_.resize(batch_header_size);
  count_ = 0;
  base_timestamp_ = -1;
  max_timestamp_ = -1;
}

append_status batch_builder::append(const record_input& r) {
  // The first record's timestamp is the base (as the Java client does), later ones are deltas,
  // which may be negative (JSON input carries any timestamps).
  std::int64_t base = count_ == 0 ? r.timestamp : base_timestamp_;
  encoding::record_fields fields{r.key, r.value, r.headers,
                                 static_cast<std::int64_t>(static_cast<std::uint64_t>(r.timestamp) -
                                                           static_cast<std::uint64_t>(base)),
                                 static_cast<std::int32_t>(count_)};
  std::size_t body = encoding::body_size(fields);
  std::size_t total = encoding::encoded_size(body);
  if (batch_header_size + total > settings_.max_batch_bytes) {
    return count_ == 0 ? append_status::too_large : append_status::full;
  }
  if (buffer_.size() + total > settings_.max_batch_bytes || count_ >= settings_.max_batch_records) {
    return append_status::full;
  }
  if (count_ == 0) {
    // The whole budget at the first record (up to 4 MiB): growing by doubling would copy the
    // records several times. Not before: an empty builder holds no memory worth mentioning.
    buffer_.reserve(std::min<std::size_t>(settings_.max_batch_bytes, std::size_t{4} << 20));
  }
  std::size_t at = buffer_.size();
  // resize() would zero the bytes first; the record overwrites them all anyway, but the cost is
  // small next to the copy, and it keeps the buffer's size honest.
  buffer_.resize(at + total);
  encoding::put_record(buffer_.data() + at, fields, body);
  if (count_ == 0) {
    base_timestamp_ = r.timestamp;
    max_timestamp_ = r.timestamp;
  } else {
    max_timestamp_ = std::max(max_timestamp_, r.timestamp);
  }
  ++count_;
  return append_status::appended;
}

std::size_t batch_builder::extend(std::span<const record_input> records) {
  std::size_t i = 0;
  while (i < records.size() && append(records[i]) == append_status::appended) ++i;
  return i;
}

open_batch batch_builder::take() {
  open_batch open;
  open.fields.last_offset_delta = count_ == 0 ? 0 : static_cast<std::int32_t>(count_ - 1);
  open.fields.base_timestamp = base_timestamp_;
  open.fields.max_timestamp = max_timestamp_;
  open.fields.record_count = static_cast<std::int32_t>(count_);
  open.compression = count_ == 0 ? codec::none : settings_.compression;
  open.compression_level = settings_.compression_level;
  open.buffer = std::move(buffer_);
  return open;
}

open_batch batch_builder::detach(std::vector<std::uint8_t> spare) {
  open_batch open = take();
  start(std::move(spare));
  return open;
}

result<std::vector<std::uint8_t>> batch_builder::seal(const std::optional<producer_stamp>& stamp,
                                                      std::vector<std::uint8_t> spare) {
  auto sealed = finish_batch(take(), stamp, spare);
  start(std::move(spare));
  return sealed;
}

result<std::vector<std::uint8_t>> finish_batch(open_batch open,
                                               const std::optional<producer_stamp>& stamp,
                                               std::vector<std::uint8_t>& spare) {
  batch_header_fields fields = open.fields;
  if (stamp) {
    fields.producer_id = stamp->producer_id;
    fields.producer_epoch = stamp->producer_epoch;
    fields.base_sequence = stamp->base_sequence;
    fields.transactional = stamp->transactional;
  }
  std::vector<std::uint8_t> batch;
  if (open.compression != codec::none) {
    auto records = std::span<const std::uint8_t>(open.buffer).subspan(batch_header_size);
    spare.resize(batch_header_size);
    auto compressed = compress_append(open.compression, records, spare, open.compression_level);
    if (!compressed) return compressed.error();
    if (spare.size() < open.buffer.size()) {
      fields.compression = open.compression;
      batch = std::move(spare);
      spare = std::move(open.buffer);  // compressed into the spare: keep the records' buffer
    }
  }
  if (batch.empty()) batch = std::move(open.buffer);
  write_batch_header(batch, fields);
  // A batch sealed early (linger), or much smaller once compressed, would keep the whole budget
  // reserved while it waits for its acknowledgement: callers account batches by size, so memory
  // must follow the size.
  if (batch.capacity() > 2 * batch.size() && batch.capacity() > (std::size_t{64} << 10)) {
    batch.shrink_to_fit();
  }
  return batch;
}

}  // namespace kpipe::record
