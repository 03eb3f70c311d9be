#include "client/fetch_filter.hpp"

#include <algorithm>
#include <set>

namespace kpipe::client {

namespace {

bool is_abort_marker(const record::record_batch& batch) {
  if (!batch.control() || batch.records.empty()) return false;
  const auto& control = batch.records.front().control;
  return control && control->type == record::control_type::abort;
}

}  // namespace

filtered_batches filter_batches(std::vector<record::record_batch> batches, std::int64_t position,
                                std::optional<std::int64_t> stop,
                                std::vector<aborted_transaction> aborted,
                                const filter_options& options) {
  filtered_batches out;
  out.next_offset = position;
  if (!options.read_committed) aborted.clear();
  std::sort(aborted.begin(), aborted.end(),
            [](const aborted_transaction& a, const aborted_transaction& b) {
              return a.first_offset < b.first_offset;
            });
  std::size_t next_aborted = 0;
  std::set<std::int64_t> aborting;
  for (auto& batch : batches) {
    std::int64_t last = batch.last_offset();
    while (next_aborted < aborted.size() && aborted[next_aborted].first_offset <= last) {
      aborting.insert(aborted[next_aborted].producer_id);
      ++next_aborted;
    }
    if (last < position) continue;
    out.next_offset = std::max(out.next_offset, last + 1);
    bool skip = false;
    if (options.read_committed && batch.transactional()) {
      if (batch.control()) {
        if (is_abort_marker(batch)) aborting.erase(batch.producer_id);
      } else if (aborting.count(batch.producer_id) != 0) {
        skip = true;
      }
    }
    if (batch.control() && !options.control_records) skip = true;
    if (skip) continue;
    auto& recs = batch.records;
    recs.erase(std::remove_if(recs.begin(), recs.end(),
                              [&](const record::record& r) {
                                return r.offset < position || (stop && r.offset >= *stop);
                              }),
               recs.end());
    if (!recs.empty()) out.batches.push_back(std::move(batch));
  }
  return out;
}

}  // namespace kpipe::client
