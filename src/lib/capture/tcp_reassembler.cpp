#include "capture/tcp_reassembler.hpp"

#include <algorithm>

namespace kpipe::capture {

std::int64_t tcp_reassembler::offset_of(std::uint32_t sequence) const {
  auto expected = static_cast<std::uint32_t>(initial_ + static_cast<std::uint32_t>(next_));
  auto delta = static_cast<std::int32_t>(sequence - expected);
  return static_cast<std::int64_t>(next_) + delta;
}

void tcp_reassembler::add(std::uint32_t sequence, bool syn, std::span<const std::uint8_t> payload) {
  if (!started_) {
    if (syn) {
      started_ = true;
      initial_ = sequence + 1;
      return;  // a SYN carries no data kpipe decodes (TCP Fast Open aside)
    }
    if (payload.empty()) return;  // a bare ACK says nothing about where the data starts
    started_ = true;
    initial_ = sequence;
  } else if (syn) {
    return;  // a retransmitted SYN
  }
  if (payload.empty()) return;
  // Negative: before the stream start (a capture that began mid-connection, then a segment
  // from before its first one arrived late).
  std::int64_t signed_offset = offset_of(sequence);
  std::int64_t signed_end = signed_offset + static_cast<std::int64_t>(payload.size());
  if (signed_end <= static_cast<std::int64_t>(next_)) return;  // a retransmission
  auto offset = static_cast<std::uint64_t>(std::max<std::int64_t>(signed_offset, 0));
  auto end = static_cast<std::uint64_t>(signed_end);
  if (signed_offset < static_cast<std::int64_t>(next_)) {  // overlaps delivered bytes: keep the
                                                           // new tail only
    payload =
        payload.subspan(static_cast<std::size_t>(static_cast<std::int64_t>(next_) - signed_offset));
    offset = next_;
  }
  if (offset == next_) {
    out_.data(payload);
    next_ = end;
    deliver_held();
    return;
  }
  // Ahead of a hole: held. A segment that starts where a held one starts keeps the longer.
  auto [it, inserted] = held_.try_emplace(offset);
  if (inserted || it->second.size() < payload.size()) {
    buffered_ -= it->second.size();
    it->second.assign(payload.begin(), payload.end());
    buffered_ += payload.size();
  }
  while (buffered_ > max_buffered_ && !held_.empty()) {
    skip_to_first_held();
    deliver_held();
  }
}

void tcp_reassembler::deliver_held() {
  while (!held_.empty() && held_.begin()->first <= next_) {
    auto node = held_.extract(held_.begin());
    buffered_ -= node.mapped().size();
    std::uint64_t end = node.key() + node.mapped().size();
    if (end <= next_) continue;  // wholly covered by what was delivered
    std::span<const std::uint8_t> rest(node.mapped());
    rest = rest.subspan(static_cast<std::size_t>(next_ - node.key()));
    out_.data(rest);
    next_ = end;
  }
}

void tcp_reassembler::skip_to_first_held() {
  if (held_.empty() || held_.begin()->first <= next_) return;
  std::uint64_t lost = held_.begin()->first - next_;
  next_ = held_.begin()->first;
  out_.gap(lost);
}

void tcp_reassembler::acknowledged(std::uint32_t acknowledgment) {
  if (!started_) return;
  std::int64_t acked = offset_of(acknowledgment);
  while (!held_.empty() && acked > static_cast<std::int64_t>(next_)) {
    skip_to_first_held();
    deliver_held();
  }
}

void tcp_reassembler::flush() {
  while (!held_.empty()) {
    skip_to_first_held();
    deliver_held();
  }
}

}  // namespace kpipe::capture
