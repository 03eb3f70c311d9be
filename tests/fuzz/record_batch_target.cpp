#include <span>
#include <string>

#include "format/batch_json.hpp"
#include "fuzz_targets.hpp"
#include "record/legacy_message_set.hpp"
#include "record/record_batch.hpp"

namespace kpipe::fuzz {
namespace {

// Reads every byte a view points to, so that a view past its buffer shows under ASan even when
// the decoder itself never looked at those bytes.
std::size_t touch(const std::optional<record::bytes_view>& b) {
  std::size_t sum = 0;
  if (b) {
    for (auto c : *b) sum += c;
  }
  return sum;
}

std::size_t touch(const record::record& r) {
  std::size_t sum = touch(r.key) + touch(r.value);
  for (const auto& h : r.headers) {
    for (char c : h.key) sum += static_cast<unsigned char>(c);
    sum += touch(h.value);
  }
  return sum;
}

}  // namespace

std::size_t decode_record_batches(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  std::size_t sum = 0;
  for (bool decode_records : {true, false}) {
    for (bool fail_on_crc_mismatch : {true, false}) {
      record::read_options options;
      options.decode_records = decode_records;
      options.fail_on_crc_mismatch = fail_on_crc_mismatch;
      // A smaller cap than the default keeps a decompression bomb from slowing the fuzzer down;
      // the capping code is the same.
      options.max_decompressed_bytes = std::size_t{1} << 20;
      auto batches = record::read_batches(bytes, options);
      for (const auto& b : batches.batches) {
        sum += touch(record::bytes_view(b.records_data));
        for (const auto& r : b.records) sum += touch(r);
      }
      auto set = record::read_message_set(bytes, options);
      for (const auto& m : set.messages) sum += touch(m.key) + touch(m.value);
    }
  }
  // What `kpipe decode --record-batch` does with the same bytes: both readers by magic, and the
  // JSON rendering.
  std::string out;
  sum += cli::decode_record_sets(bytes, false, out).size() + out.size();
  return sum;
}

}  // namespace kpipe::fuzz
