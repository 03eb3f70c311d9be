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
    if (!w) {
      if (auto t = revoked_.find(topic); t != revoked_.end()) {
        if (auto r = t->second.find(p); r != t->second.end()) w = r->second.written;
      }
    }
    if (w) {
      auto& c = committed[p];
      c.offset = std::max(c.offset, *w);
    }
  }
}

std::optional<commit_tracker::revoked_output> commit_tracker::take_revoked(const std::string& topic,
                                                                           std::int32_t partition) {
  auto t = revoked_.find(topic);
  if (t == revoked_.end()) return std::nullopt;
  auto r = t->second.find(partition);
  if (r == t->second.end()) return std::nullopt;
  auto taken = r->second;
  t->second.erase(r);
  return taken;
}

void commit_tracker::reassign(const std::vector<fetch_position>& positions) {
  offsets_by_topic kept_written;
  offsets_by_topic kept_committed;
  for (const auto& pos : positions) {
    auto w = find_offset(written_, pos.topic, pos.partition);
    if (w) {
      kept_written[pos.topic][pos.partition] = *w;
    } else if (auto r = take_revoked(pos.topic, pos.partition); r && r->written == pos.offset) {
      // Given back, starting right after what was written of it before (raise_to_written): that
      // is owed a commit, unless one went in. Anywhere else, another member went on.
      kept_written[pos.topic][pos.partition] = r->written;
      if (r->committed) kept_committed[pos.topic][pos.partition] = *r->committed;
      continue;
    }
    auto c = find_offset(committed_, pos.topic, pos.partition);
    kept_committed[pos.topic][pos.partition] = c ? *c : pos.offset;
  }
  for (const auto& [topic, written] : written_) {
    for (const auto& [p, next] : written) {
      if (!find_offset(kept_written, topic, p)) {
        revoked_[topic][p] = {next, find_offset(committed_, topic, p)};
      }
    }
  }
  written_ = std::move(kept_written);
  committed_ = std::move(kept_committed);
}

void commit_tracker::clear() {
  written_.clear();
  committed_.clear();
  revoked_.clear();
}

}  // namespace kpipe::client
