#include "capture/ip_defragmenter.hpp"

#include <algorithm>

namespace kpipe::capture {
namespace {

// The largest payload an IP datagram can have (IPv6 without jumbograms; IPv4's is smaller).
constexpr std::uint32_t largest_payload = 65535;

}  // namespace

void ip_defragmenter::give_up(std::map<key, partial>::iterator it) {
  abandoned_ += it->second.fragments;
  partial_.erase(it);
}

std::optional<std::span<const std::uint8_t>> ip_defragmenter::add(std::int64_t time_us,
                                                                  const ip_fragment& f) {
  // Datagrams whose fragments stopped coming are given up first, so that they make room.
  for (auto it = partial_.begin(); it != partial_.end();) {
    auto here = it++;
    if (time_us - here->second.first_us > timeout_us_) give_up(here);
  }
  key k{f.source, f.destination, f.id, f.protocol};
  auto it = partial_.find(k);
  if (it == partial_.end()) {
    if (partial_.size() >= max_datagrams_) {
      give_up(std::min_element(partial_.begin(), partial_.end(), [](const auto& a, const auto& b) {
        return a.second.first_us < b.second.first_us;
      }));
    }
    it = partial_.emplace(k, partial{}).first;
    it->second.first_us = time_us;
  }
  partial& p = it->second;
  ++p.fragments;
  std::uint64_t end = std::uint64_t{f.offset} + f.payload.size();
  // A piece the snap length cut, one past the largest datagram, one that is not a multiple of
  // 8 bytes though more follow, or a second, different end: the datagram cannot be trusted.
  bool bad = f.cut || end > largest_payload || (f.more && f.payload.size() % 8 != 0) ||
             (!f.more && p.total && *p.total != end) || (p.total && end > *p.total);
  if (!f.more && !bad) {
    for (const auto& [start, stop] : p.covered) bad = bad || stop > end;
  }
  if (bad) {
    give_up(it);
    return std::nullopt;
  }
  if (!f.more) p.total = static_cast<std::uint32_t>(end);
  if (f.payload.empty() && f.more) return std::nullopt;
  if (p.bytes.size() < end) p.bytes.resize(static_cast<std::size_t>(end));
  // Overlapping pieces (retransmitted with other boundaries): the later bytes win.
  std::copy(f.payload.begin(), f.payload.end(), p.bytes.begin() + f.offset);
  // Merge [offset, end) into the covered ranges.
  auto start = f.offset;
  auto stop = static_cast<std::uint32_t>(end);
  auto next = p.covered.upper_bound(start);
  if (next != p.covered.begin()) {
    auto before = std::prev(next);
    if (before->second >= start) {
      start = before->first;
      stop = std::max(stop, before->second);
      next = p.covered.erase(before);
    }
  }
  while (next != p.covered.end() && next->first <= stop) {
    stop = std::max(stop, next->second);
    next = p.covered.erase(next);
  }
  p.covered.emplace(start, stop);
  if (!p.total || p.covered.size() != 1 || p.covered.begin()->first != 0 ||
      p.covered.begin()->second != *p.total) {
    return std::nullopt;
  }
  done_ = std::move(p.bytes);
  partial_.erase(it);
  ++reassembled_;
  return std::span<const std::uint8_t>(done_);
}

void ip_defragmenter::finish() {
  while (!partial_.empty()) give_up(partial_.begin());
}

}  // namespace kpipe::capture
