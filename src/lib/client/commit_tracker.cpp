#include "client/commit_tracker.hpp"

#include <algorithm>
#include <utility>

namespace kpipe::client {

namespace {

std::optional<std::int64_t> find_offset(const offsets_by_topic& offsets, const std::string& topic,
                                        std::int32_t partition) {
  auto t = offsets.find(topic);
  if (t == offsets.end()) return std::nullopt;
  auto p = t->second.find(partition);
  if (p == t->second.end()) return std::nullopt;
  return p->second;
}

}  // namespace

void commit_tracker::mark_written(const std::string& topic, std::int32_t partition,
                                  std::int64_t next) {
  written_[topic][partition] = next;
}

std::optional<std::int64_t> commit_tracker::written(const std::string& topic,
                                                    std::int32_t partition) const {
  return find_offset(written_, topic, partition);
}

offsets_by_topic commit_tracker::uncommitted() const {
  offsets_by_topic changes;
  for (const auto& [topic, written] : written_) {
    for (const auto& [p, next] : written) {
      if (find_offset(committed_, topic, p) != next) changes[topic][p] = next;
    }
  }
  return changes;
}

void commit_tracker::mark_committed(const offsets_by_topic& offsets) {
  for (const auto& [topic, changed] : offsets) {
    auto& committed = committed_[topic];
    for (const auto& [p, next] : changed) committed[p] = next;
  }
}

bool commit_tracker::takes_over(const group::topic_partitions& assignment) const {
  for (const auto& [topic, partitions] : assignment) {
    for (auto p : partitions) {
      if (!find_offset(written_, topic, p)) return true;
    }
  }
  return false;
}

void commit_tracker::raise_to_written(const std::string& topic,
                                      const std::vector<std::int32_t>& partitions,
                                      std::map<std::int32_t, committed_offset>& committed) const {
  for (auto p : partitions) {
    auto w = find_offset(written_, topic, p);
    if (!w) w = find_offset(written_before_, topic, p);
    if (w) {
      auto& c = committed[p];
      c.offset = std::max(c.offset, *w);
    }
  }
}

void commit_tracker::reassign(const std::vector<fetch_position>& positions) {
  offsets_by_topic kept_written;
  offsets_by_topic kept_committed;
  auto forget_before = [&](const std::string& topic, std::int32_t partition) {
    if (auto t = written_before_.find(topic); t != written_before_.end())
      t->second.erase(partition);
    if (auto t = committed_before_.find(topic); t != committed_before_.end()) {
      t->second.erase(partition);
    }
  };
  for (const auto& pos : positions) {
    auto w = find_offset(written_, pos.topic, pos.partition);
    auto c = find_offset(committed_, pos.topic, pos.partition);
    if (!w) {
      // Given back: if it starts right after what was written of it before (raise_to_written),
      // that is owed a commit, unless one went in; anywhere else, another member went on.
      auto before = find_offset(written_before_, pos.topic, pos.partition);
      if (before && *before == pos.offset) {
        w = before;
        c = find_offset(committed_before_, pos.topic, pos.partition);
      }
      forget_before(pos.topic, pos.partition);
      if (w) {
        kept_written[pos.topic][pos.partition] = *w;
        if (c) kept_committed[pos.topic][pos.partition] = *c;
        continue;
      }
    } else {
      kept_written[pos.topic][pos.partition] = *w;
    }
    kept_committed[pos.topic][pos.partition] = c ? *c : pos.offset;
  }
  for (const auto& [topic, written] : written_) {
    for (const auto& [p, next] : written) {
      if (find_offset(kept_written, topic, p)) continue;
      written_before_[topic][p] = next;
      if (auto c = find_offset(committed_, topic, p)) {
        committed_before_[topic][p] = *c;
      } else if (auto t = committed_before_.find(topic); t != committed_before_.end()) {
        t->second.erase(p);
      }
    }
  }
  written_ = std::move(kept_written);
  committed_ = std::move(kept_committed);
}

void commit_tracker::clear() {
  written_.clear();
  committed_.clear();
  written_before_.clear();
  committed_before_.clear();
}

}  // namespace kpipe::client
