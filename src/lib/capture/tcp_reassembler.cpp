#include "capture/tcp_reassembler.hpp"

#include <algorithm>

namespace kpipe::capture {

std::int64_t tcp_reassembler::offset_of(std::uint32_t sequence) const {
  auto expected = static_cast<std::uint32_t>(initial_ + static_cast<std::uint32_t>(next_));
  auto delta = static_cast<std::int32_t>(sequence - expected);
  return static_cast<std::int64_t>(next_) + delta;
}

void tcp_reassembler::add(std::uint32_t sequence, bool syn, std::span<const std::uint8_t> payload,
                          std::uint32_t missing) {
  std::uint64_t length = payload.size() + std::uint64_t{missing};
  if (!started_) {
    if (syn) {
      started_ = true;
      initial_ = sequence + 1;
      return;  // a SYN carries no data kpipe decodes (TCP Fast Open aside)
    }
    if (length == 0) return;  // a bare ACK says nothing about where the data starts
    started_ = true;
    initial_ = sequence;
  } else if (syn) {
    return;  // a retransmitted SYN
  }
  if (length == 0) return;
  // Negative: before the stream start (a capture that began mid-connection, then a segment
  // from before its first one arrived late).
  std::int64_t signed_offset = offset_of(sequence);
  std::int64_t signed_end = signed_offset + static_cast<std::int64_t>(length);
  if (signed_end <= static_cast<std::int64_t>(next_)) return;  // a retransmission
  auto offset = static_cast<std::uint64_t>(std::max<std::int64_t>(signed_offset, 0));
  if (signed_offset < static_cast<std::int64_t>(next_)) {
    // Overlaps delivered bytes: keep the new tail only (which may be snapped bytes alone).
    auto cut = static_cast<std::uint64_t>(static_cast<std::int64_t>(next_) - signed_offset);
    if (cut <= payload.size()) {
      payload = payload.subspan(static_cast<std::size_t>(cut));
    } else {
      missing -= static_cast<std::uint32_t>(cut - payload.size());
      payload = {};
    }
    offset = next_;
  }
  if (offset == next_) {
    if (!payload.empty()) out_.data(payload);
    next_ += payload.size();
    if (missing > 0) lose(missing);
    deliver_held();
    return;
  }
  // Ahead of a hole: held. A segment that starts where a held one starts keeps the longer.
  auto [it, inserted] = held_.try_emplace(offset);
  held_segment& held = it->second;
  std::uint64_t held_length = held.bytes.size() + held.lost_after;
  if (inserted || held_length < length ||
      (held_length == length && held.bytes.size() < payload.size())) {
    buffered_ -= held.bytes.size();
    held.bytes.assign(payload.begin(), payload.end());
    held.lost_after = missing;
    buffered_ += payload.size();
  }
  while (buffered_ > max_buffered_ && !held_.empty()) {
    skip_to_first_held();
    deliver_held();
  }
}

void tcp_reassembler::lose(std::uint64_t length) {
  std::uint64_t end = next_ + length;
  // Bytes held from another copy of the segment (one captured whole) are better than a gap.
  if (!held_.empty()) end = std::min(end, std::max(held_.begin()->first, next_));
  if (end <= next_) return;
  out_.gap(end - next_);
  next_ = end;
}

void tcp_reassembler::deliver_held() {
  while (!held_.empty() && held_.begin()->first <= next_) {
    auto node = held_.extract(held_.begin());
    held_segment& held = node.mapped();
    buffered_ -= held.bytes.size();
    std::uint64_t data_end = node.key() + held.bytes.size();
    if (data_end > next_) {
      std::span<const std::uint8_t> rest(held.bytes);
      out_.data(rest.subspan(static_cast<std::size_t>(next_ - node.key())));
      next_ = data_end;
    }
    if (data_end + held.lost_after > next_) lose(data_end + held.lost_after - next_);
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
