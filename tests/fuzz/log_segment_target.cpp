#include <span>

#include "fuzz_targets.hpp"
#include "record/legacy_message_set.hpp"
#include "record/log_segment.hpp"
#include "record/producer_snapshot.hpp"
#include "record/segment_index.hpp"

namespace kpipe::fuzz {

std::size_t decode_log_segment(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  record::read_options options;
  options.fail_on_crc_mismatch = false;
  // A small cap keeps decompression bombs quick; the capping code is the same.
  options.max_decompressed_bytes = std::size_t{1} << 20;
  record::transaction_tracker transactions;
  record::index_verifier verifier;
  // The same bytes as index files too: every reader sees every input.
  verifier.set_offset_index(record::read_offset_index(bytes, 0).entries);
  verifier.set_time_index(record::read_time_index(bytes, 0).entries);
  verifier.set_transaction_index(record::read_transaction_index(bytes).entries);
  std::size_t sum = record::read_producer_snapshot(bytes).entries.size();
  // What `decode --log-segment --keep-going` does: walk, decode, resynchronise after damage.
  std::size_t pos = 0;
  while (pos < size) {
    auto entry = record::probe_segment_entry(bytes, pos);
    if (entry.status == record::segment_entry_status::truncated) break;
    bool good = false;
    if (entry.status == record::segment_entry_status::complete && entry.magic == 2) {
      auto batch = record::read_batch(bytes.subspan(pos, entry.size), options, pos);
      if (batch) {
        for (const auto& r : batch->records) {
          if (r.value) sum += r.value->size();
        }
        transactions.observe(*batch);
        verifier.observe({pos, batch->base_offset, batch->last_offset(), batch->max_timestamp});
        good = batch->crc_ok();
      }
    } else if (entry.status == record::segment_entry_status::complete) {
      good = !record::read_message_set(bytes.subspan(pos, entry.size), options, pos).error;
    }
    if (good) {
      pos += entry.size;
      continue;
    }
    auto next = record::find_next_valid_batch(bytes, pos);
    if (!next) break;
    if (*next <= pos) __builtin_trap();  // resynchronising must always move forward
    pos = *next;
  }
  verifier.finish(transactions.aborted());
  return sum + verifier.problems().size() + transactions.aborted().size();
}

}  // namespace kpipe::fuzz
