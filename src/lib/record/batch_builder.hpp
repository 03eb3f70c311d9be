#pragma once
// The producer's batch builder: encodes records straight into the batch's buffer and never lets
// a batch grow past its byte budget (`--batch-bytes`).
//
// append() either adds a record or says why it did not (the batch is full, or the record alone is
// larger than any batch may be); extend() adds records from the front of a list while they fit
// and says how many it took. The budget counts the whole batch as it will be sent, header
// included. A codec only ever makes a batch smaller: when compressing does not pay, seal() sends
// the records uncompressed (a batch names its own codec), so the budget holds for every codec.
//
// Producer fields (id, epoch, base sequence) are stamped after sealing (batch_header.hpp), when
// the batch is first sent.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "record/batch_header.hpp"
#include "record/batch_writer.hpp"
#include "record/compression.hpp"
#include "record/record.hpp"
#include "util/result.hpp"

namespace kpipe::record {

enum class append_status {
  appended,
  full,       // the batch has records and this one does not fit: seal, then append again
  too_large,  // the record does not fit even into an empty batch
};

struct builder_settings {
  std::size_t max_batch_bytes = 1 << 20;
  std::size_t max_batch_records = 1 << 30;
  codec compression = codec::none;
  int compression_level = default_compression_level;
};

// Idempotent and transactional producers' fields of a batch (KIP-98).
struct producer_stamp {
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  bool transactional = false;
};

// A batch taken out of a builder before it is compressed and given its header: seal() in two
// steps, so that the producer can compress batches on other threads (finish_batch touches nothing
// but its arguments).
struct open_batch {
  std::vector<std::uint8_t> buffer;  // header space (batch_header_size), then the records
  batch_header_fields fields;        // all but the producer fields and the codec
  codec compression = codec::none;
  int compression_level = default_compression_level;
};

// Compresses the records when the codec makes them smaller, stamps the producer fields and
// writes the header: the batch as it is sent. `spare` is a buffer to compress into; on return it
// holds whichever buffer the batch does not use (for the caller to reuse). Fails only when the
// codec fails.
result<std::vector<std::uint8_t>> finish_batch(open_batch open,
                                               const std::optional<producer_stamp>& stamp,
                                               std::vector<std::uint8_t>& spare);

class batch_builder {
 public:
  explicit batch_builder(builder_settings settings = {});

  append_status append(const record_input& record);
  // Appends records[0..k) and returns k: the index of the first record that did not fit, or
  // records.size() when all did.
  std::size_t extend(std::span<const record_input> records);

  bool empty() const { return count_ == 0; }
  std::size_t record_count() const { return count_; }
  // The batch's size so far, uncompressed, header included.
  std::size_t size() const { return buffer_.size(); }
  const builder_settings& settings() const { return settings_; }

  // The finished batch (base offset 0), with the producer fields when given (so that its CRC is
  // computed once). The builder is then empty and goes on in `spare` (its capacity reused: the
  // producer hands back buffers of delivered batches, which keeps page faults off the hot path).
  // Fails only when the codec fails.
  result<std::vector<std::uint8_t>> seal(const std::optional<producer_stamp>& stamp = std::nullopt,
                                         std::vector<std::uint8_t> spare = {});
  // The first step of seal(): the records so far, for finish_batch(); the builder goes on empty
  // in `spare`.
  open_batch detach(std::vector<std::uint8_t> spare = {});

 private:
  void start(std::vector<std::uint8_t> buffer);
  open_batch take();

  builder_settings settings_;
  std::vector<std::uint8_t> buffer_;
  std::size_t count_ = 0;
  std::int64_t base_timestamp_ = -1;
  std::int64_t max_timestamp_ = -1;
};

}  // namespace kpipe::record
