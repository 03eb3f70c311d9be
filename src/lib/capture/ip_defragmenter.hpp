#pragma once
// IP datagrams put back together from their fragments (IPv4, and IPv6 fragment headers), so
// that a TCP segment sent over a path with a small MTU is decoded like any other instead of
// showing as a hole in its stream.
//
// Memory is bounded: at most `max_datagrams` are put together at once (the oldest is given up
// for a new one), none beyond the 64 KiB an IP length allows, and one whose fragments stop
// coming for `timeout_us` of capture time is given up. Fragments of datagrams given up are
// counted (their bytes then show as lost in the TCP stream).

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "capture/packet.hpp"

namespace kpipe::capture {

class ip_defragmenter {
 public:
  explicit ip_defragmenter(std::size_t max_datagrams = 64, std::int64_t timeout_us = 30'000'000)
      : max_datagrams_(max_datagrams), timeout_us_(timeout_us) {}

  // One fragment, captured at time_us. With the last missing piece: the datagram's whole
  // payload, valid until the next call.
  std::optional<std::span<const std::uint8_t>> add(std::int64_t time_us, const ip_fragment& f);

  // Gives up what is still incomplete (the end of the capture).
  void finish();

  std::uint64_t reassembled() const { return reassembled_; }  // datagrams put together
  std::uint64_t abandoned() const { return abandoned_; }      // fragments given up

 private:
  using key = std::tuple<endpoint, endpoint, std::uint32_t, std::uint8_t>;
  struct partial {
    std::int64_t first_us = 0;
    std::vector<std::uint8_t> bytes;                 // the payload so far, by offset
    std::map<std::uint32_t, std::uint32_t> covered;  // disjoint [start, end) ranges held
    std::optional<std::uint32_t> total;              // known from the last fragment
    std::uint64_t fragments = 0;
  };
  void give_up(std::map<key, partial>::iterator it);

  std::size_t max_datagrams_;
  std::int64_t timeout_us_;
  std::map<key, partial> partial_;
  std::vector<std::uint8_t> done_;  // the datagram add() returned last
  std::uint64_t reassembled_ = 0;
  std::uint64_t abandoned_ = 0;
};

}  // namespace kpipe::capture
