// IP fragments put back together: in any order, repeated, IPv4 and IPv6; and what cannot be
// (a piece missing, cut by the snap length, too many at once, too old) given up and counted.
#include "capture/ip_defragmenter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "capture_builder.hpp"

namespace kpipe::capture {
namespace {

using testing::bytes;

bytes text(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>('a' + i % 26);
  return b;
}

const bytes payload = text(100);
const bytes whole_v4 =
    testing::ipv4_tcp(0x0a000001, 40000, 0x0a000002, 9092, 5000, tcp_flag::ack, payload);
const bytes whole_v6 = testing::ipv6_tcp(40000, 9092, 5000, tcp_flag::ack, payload);

// Feeds the fragments (as raw IP packets) and returns the TCP segment of the datagram, if one
// was put together.
std::optional<tcp_segment> feed(ip_defragmenter& d, const std::vector<bytes>& fragments,
                                bytes& keep, std::int64_t t = 0) {
  std::optional<tcp_segment> out;
  for (const auto& f : fragments) {
    std::optional<ip_fragment> fragment;
    bool truncated = false;
    EXPECT_FALSE(parse_packet(link::raw, f, &truncated, &fragment));
    EXPECT_TRUE(fragment);
    if (!fragment) continue;
    if (auto datagram = d.add(t, *fragment)) {
      EXPECT_FALSE(out);
      keep.assign(datagram->begin(), datagram->end());
      out = parse_tcp_payload(keep, fragment->source, fragment->destination);
    }
  }
  return out;
}

void expect_same(const std::optional<tcp_segment>& s, const bytes& whole) {
  auto expected = parse_packet(link::raw, whole);
  ASSERT_TRUE(expected);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->source, expected->source);
  EXPECT_EQ(s->destination, expected->destination);
  EXPECT_EQ(s->sequence, expected->sequence);
  EXPECT_EQ(s->flags, expected->flags);
  EXPECT_EQ(bytes(s->payload.begin(), s->payload.end()), payload);
}

TEST(IpDefragmenter, Ipv4InAnyOrderWithRepeats) {
  auto pieces = testing::ipv4_fragments(whole_v4, 16, 77);
  ASSERT_EQ(pieces.size(), 8u);  // 20 bytes of TCP header and 100 of payload, 16 at a time
  std::mt19937 random(5);
  for (int round = 0; round < 20; ++round) {
    auto order = pieces;
    std::shuffle(order.begin(), order.end(), random);
    if (round % 2) order.insert(order.begin() + 3, order[1]);  // one piece twice, early
    ip_defragmenter d;
    bytes keep;
    expect_same(feed(d, order, keep), whole_v4);
    EXPECT_EQ(d.reassembled(), 1u);
    EXPECT_EQ(d.abandoned(), 0u);
  }
}

TEST(IpDefragmenter, Ipv6FragmentHeaders) {
  auto pieces = testing::ipv6_fragments(whole_v6, 24, 0x01020304);
  ASSERT_EQ(pieces.size(), 5u);
  std::reverse(pieces.begin(), pieces.end());
  ip_defragmenter d;
  bytes keep;
  expect_same(feed(d, pieces, keep), whole_v6);
  EXPECT_EQ(d.reassembled(), 1u);
}

TEST(IpDefragmenter, TwoDatagramsInterleavedAreKeptApart) {
  auto a = testing::ipv4_fragments(whole_v4, 32, 1);
  auto b = testing::ipv4_fragments(whole_v4, 32, 2);
  ASSERT_EQ(a.size(), 4u);
  ip_defragmenter d;
  bytes keep;
  EXPECT_FALSE(feed(d, {a[0], b[1], a[1], b[0], a[2], b[2]}, keep));
  expect_same(feed(d, {a[3]}, keep), whole_v4);
  expect_same(feed(d, {b[3]}, keep), whole_v4);
  EXPECT_EQ(d.reassembled(), 2u);
}

TEST(IpDefragmenter, WhatCannotBePutTogetherIsCounted) {
  auto pieces = testing::ipv4_fragments(whole_v4, 16, 9);
  bytes keep;
  {
    ip_defragmenter d;  // a piece missing: given up at the end
    auto some = pieces;
    some.erase(some.begin() + 2);
    EXPECT_FALSE(feed(d, some, keep));
    d.finish();
    EXPECT_EQ(d.abandoned(), 7u);
  }
  {
    ip_defragmenter d;  // a piece cut by the snap length: given up at once
    auto cut = pieces;
    cut[4].resize(cut[4].size() - 3);
    EXPECT_FALSE(feed(d, cut, keep));
    EXPECT_GE(d.abandoned(), 5u);
    d.finish();
    EXPECT_EQ(d.abandoned(), 8u);
    EXPECT_EQ(d.reassembled(), 0u);
  }
  {
    ip_defragmenter d(2);  // room for 2 at once: the oldest of 3 is given up
    auto other = testing::ipv4_fragments(whole_v4, 16, 10);
    auto third = testing::ipv4_fragments(whole_v4, 16, 11);
    EXPECT_FALSE(feed(d, {pieces[0]}, keep, 1));
    EXPECT_FALSE(feed(d, {other[0]}, keep, 2));
    EXPECT_FALSE(feed(d, {third[0]}, keep, 3));
    EXPECT_EQ(d.abandoned(), 1u);
    auto rest = std::vector<bytes>(other.begin() + 1, other.end());
    expect_same(feed(d, rest, keep, 4), whole_v4);
  }
  {
    ip_defragmenter d(64, 1000);  // a datagram whose pieces stop coming for too long
    EXPECT_FALSE(feed(d, {pieces[0]}, keep, 0));
    auto rest = std::vector<bytes>(pieces.begin() + 1, pieces.end());
    EXPECT_FALSE(feed(d, rest, keep, 5000));
    EXPECT_EQ(d.abandoned(), 1u);
  }
}

TEST(IpDefragmenter, InconsistentEndsAreGivenUp) {
  auto pieces = testing::ipv4_fragments(whole_v4, 16, 3);
  auto last = pieces.back();
  auto shorter = last;
  shorter.resize(shorter.size() - 1);  // a second last piece with another end
  testing::put16(shorter, 2, static_cast<std::uint16_t>(shorter.size()));
  ip_defragmenter d;
  bytes keep;
  EXPECT_FALSE(feed(d, {last, shorter}, keep));
  EXPECT_EQ(d.abandoned(), 2u);
  // A piece past the largest datagram.
  auto far = pieces[1];
  testing::put16(far, 6, 0x2000 | 8190);
  EXPECT_FALSE(feed(d, {far}, keep));
  EXPECT_EQ(d.abandoned(), 3u);
}

}  // namespace
}  // namespace kpipe::capture
