#include "record/segment_index.hpp"

#include <algorithm>
#include <cstdint>

namespace kpipe::record {
namespace {

std::uint64_t load_be(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Where an all-zero entry starts the unused preallocated tail: from entry 1 in an offset index
// (its entry 0 may well be relative offset 0 at position 0), from entry 0 in a time index (an
// active segment's time index is all zeros until its first entry), never in a transaction index,
// which is not preallocated.
constexpr std::size_t no_zero_tail = SIZE_MAX;

template <typename Entry>
index_read_result<Entry> read_entries(std::span<const std::uint8_t> data, std::size_t entry_size,
                                      std::size_t zero_tail_from, auto&& decode) {
  index_read_result<Entry> result;
  std::size_t count = data.size() / entry_size;
  result.trailing_bytes = data.size() % entry_size;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = data.data() + i * entry_size;
    if (i >= zero_tail_from && std::all_of(p, p + entry_size, [](auto b) { return b == 0; })) {
      result.unused_entries = count - i;
      break;
    }
    result.entries.push_back(decode(p));
  }
  return result;
}

std::string entry_name(std::string_view file, std::size_t i) {
  return std::string(file) + " entry " + std::to_string(i);
}

}  // namespace

std::optional<index_kind> index_kind_from_name(std::string_view path) {
  if (ends_with(path, ".timeindex")) return index_kind::time;
  if (ends_with(path, ".txnindex")) return index_kind::transaction;
  if (ends_with(path, ".index")) return index_kind::offset;
  return std::nullopt;
}

std::size_t index_entry_size(index_kind kind) {
  switch (kind) {
    case index_kind::offset:
      return offset_index_entry_size;
    case index_kind::time:
      return time_index_entry_size;
    case index_kind::transaction:
      return transaction_index_entry_size;
  }
  return 1;
}

index_read_result<offset_index_entry> read_offset_index(std::span<const std::uint8_t> data,
                                                        std::int64_t base_offset) {
  return read_entries<offset_index_entry>(
      data, offset_index_entry_size, 1, [base_offset](const std::uint8_t* p) {
        offset_index_entry e;
        e.relative_offset = static_cast<std::int32_t>(load_be(p, 4));
        e.position = static_cast<std::int32_t>(load_be(p + 4, 4));
        e.offset = base_offset + e.relative_offset;
        return e;
      });
}

index_read_result<time_index_entry> read_time_index(std::span<const std::uint8_t> data,
                                                    std::int64_t base_offset) {
  return read_entries<time_index_entry>(
      data, time_index_entry_size, 0, [base_offset](const std::uint8_t* p) {
        time_index_entry e;
        e.timestamp = static_cast<std::int64_t>(load_be(p, 8));
        e.relative_offset = static_cast<std::int32_t>(load_be(p + 8, 4));
        e.offset = base_offset + e.relative_offset;
        return e;
      });
}

index_read_result<transaction_index_entry> read_transaction_index(
    std::span<const std::uint8_t> data) {
  // Never preallocated: every entry counts, zeros included.
  return read_entries<transaction_index_entry>(
      data, transaction_index_entry_size, no_zero_tail, [](const std::uint8_t* p) {
        transaction_index_entry e;
        e.version = static_cast<std::int16_t>(load_be(p, 2));
        e.producer_id = static_cast<std::int64_t>(load_be(p + 2, 8));
        e.first_offset = static_cast<std::int64_t>(load_be(p + 10, 8));
        e.last_offset = static_cast<std::int64_t>(load_be(p + 18, 8));
        e.last_stable_offset = static_cast<std::int64_t>(load_be(p + 26, 8));
        return e;
      });
}

void index_verifier::set_offset_index(std::vector<offset_index_entry> entries) {
  offsets_ = std::move(entries);
  for (std::size_t i = 1; i < offsets_.size(); ++i) {
    if (offsets_[i].offset <= offsets_[i - 1].offset ||
        offsets_[i].position <= offsets_[i - 1].position) {
      problems_.push_back(entry_name(".index", i) + ": offset " +
                          std::to_string(offsets_[i].offset) + " at position " +
                          std::to_string(offsets_[i].position) + " does not follow entry " +
                          std::to_string(i - 1));
    }
  }
}

void index_verifier::set_time_index(std::vector<time_index_entry> entries) {
  times_ = std::move(entries);
  for (std::size_t i = 1; i < times_.size(); ++i) {
    if (times_[i].timestamp < times_[i - 1].timestamp) {
      problems_.push_back(entry_name(".timeindex", i) + ": timestamp " +
                          std::to_string(times_[i].timestamp) + " is before entry " +
                          std::to_string(i - 1) + "'s " + std::to_string(times_[i - 1].timestamp));
    }
    if (times_[i].offset < times_[i - 1].offset) {
      problems_.push_back(entry_name(".timeindex", i) + ": offset " +
                          std::to_string(times_[i].offset) + " is before entry " +
                          std::to_string(i - 1) + "'s");
    }
  }
}

void index_verifier::set_transaction_index(std::vector<transaction_index_entry> entries) {
  transactions_ = std::move(entries);
}

void index_verifier::observe(const batch_bounds& batch) {
  observe_offset(batch);
  observe_time(batch);
}

void index_verifier::observe_offset(const batch_bounds& batch) {
  while (next_offset_ < offsets_.size()) {
    const auto& e = offsets_[next_offset_];
    auto position = static_cast<std::size_t>(e.position);
    auto here = entry_name(".index", next_offset_);
    if (!offset_boundary_seen_) {
      if (batch.position < position) return;  // not there yet
      if (batch.position > position) {
        problems_.push_back(here + ": position " + std::to_string(e.position) +
                            " is not where a batch starts");
        ++next_offset_;
        continue;
      }
      offset_boundary_seen_ = true;
      if (batch.base_offset > e.offset) {
        problems_.push_back(here + ": offset " + std::to_string(e.offset) +
                            " is before the base offset " + std::to_string(batch.base_offset) +
                            " of the batch at position " + std::to_string(e.position));
        offset_boundary_seen_ = false;
        ++next_offset_;
        continue;
      }
    }
    // From the entry's position on: the entry's offset must fall in a batch before the next
    // entry's position.
    bool past_next =
        next_offset_ + 1 < offsets_.size() &&
        batch.position >= static_cast<std::size_t>(offsets_[next_offset_ + 1].position);
    if (!past_next && batch.base_offset <= e.offset && e.offset <= batch.last_offset) {
      ++checked_;
      offset_boundary_seen_ = false;
      ++next_offset_;
      return;
    }
    if (past_next || batch.base_offset > e.offset) {
      problems_.push_back(here + ": offset " + std::to_string(e.offset) +
                          " is in no batch from position " + std::to_string(e.position) +
                          " to the next entry");
      offset_boundary_seen_ = false;
      ++next_offset_;
      continue;  // the same batch may be the next entry's
    }
    return;  // the offset lies further on
  }
}

void index_verifier::observe_time(const batch_bounds& batch) {
  while (next_time_ < times_.size()) {
    const auto& e = times_[next_time_];
    if (e.offset > batch.last_offset) return;
    auto here = entry_name(".timeindex", next_time_);
    if (e.offset < batch.base_offset) {
      problems_.push_back(here + ": offset " + std::to_string(e.offset) + " is in no batch");
    } else if (e.timestamp != batch.max_timestamp) {
      problems_.push_back(here + ": timestamp " + std::to_string(e.timestamp) +
                          " is not the max timestamp " + std::to_string(batch.max_timestamp) +
                          " of the batch at position " + std::to_string(batch.position) +
                          " that holds offset " + std::to_string(e.offset));
    } else {
      ++checked_;
    }
    ++next_time_;
  }
}

void index_verifier::finish(const std::vector<aborted_transaction>& aborted) {
  for (; next_offset_ < offsets_.size(); ++next_offset_) {
    problems_.push_back(entry_name(".index", next_offset_) + ": offset " +
                        std::to_string(offsets_[next_offset_].offset) + " at position " +
                        std::to_string(offsets_[next_offset_].position) +
                        " is past the segment's batches");
  }
  for (; next_time_ < times_.size(); ++next_time_) {
    problems_.push_back(entry_name(".timeindex", next_time_) + ": offset " +
                        std::to_string(times_[next_time_].offset) +
                        " is past the segment's batches");
  }
  if (!transactions_) return;
  std::vector<bool> matched(aborted.size(), false);
  for (std::size_t i = 0; i < transactions_->size(); ++i) {
    const auto& e = (*transactions_)[i];
    auto here = entry_name(".txnindex", i);
    auto it = std::find_if(aborted.begin(), aborted.end(), [&](const aborted_transaction& a) {
      return a.producer_id == e.producer_id && a.last_offset == e.last_offset;
    });
    if (it == aborted.end()) {
      problems_.push_back(here + ": producer " + std::to_string(e.producer_id) +
                          " has no abort marker at offset " + std::to_string(e.last_offset));
      continue;
    }
    matched[static_cast<std::size_t>(it - aborted.begin())] = true;
    if (it->first_offset && *it->first_offset != e.first_offset) {
      problems_.push_back(here + ": first offset " + std::to_string(e.first_offset) +
                          ", but producer " + std::to_string(e.producer_id) +
                          "'s transaction began at " + std::to_string(*it->first_offset));
    } else {
      ++checked_;
    }
  }
  for (std::size_t i = 0; i < aborted.size(); ++i) {
    if (matched[i]) continue;
    problems_.push_back(".txnindex: no entry for the abort marker of producer " +
                        std::to_string(aborted[i].producer_id) + " at offset " +
                        std::to_string(aborted[i].last_offset));
  }
}

}  // namespace kpipe::record
