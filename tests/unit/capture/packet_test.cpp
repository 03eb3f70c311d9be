// Link layers, IPv4/IPv6 and TCP, on packets written byte by byte; and that no cut of a packet
// reads out of bounds or yields a segment it does not hold.
#include "capture/packet.hpp"

#include <gtest/gtest.h>

#include "capture_builder.hpp"

namespace kpipe::capture {
namespace {

using testing::bytes;

const bytes payload = {'k', 'a', 'f', 'k', 'a'};

bytes ip4() {
  return testing::ipv4_tcp(0x7f000001, 40000, 0x7f000002, 9092, 777, tcp_flag::ack, payload);
}

void expect_segment(int link_type, const bytes& packet, bool v6 = false) {
  auto s = parse_packet(link_type, packet);
  ASSERT_TRUE(s) << link_type;
  EXPECT_EQ(s->source.port, 40000);
  EXPECT_EQ(s->destination.port, 9092);
  EXPECT_EQ(s->sequence, 777u);
  EXPECT_EQ(bytes(s->payload.begin(), s->payload.end()), payload);
  EXPECT_EQ(s->source.v6, v6);
  if (v6) {
    EXPECT_EQ(s->destination.to_string(), "[::1]:9092");
  } else {
    EXPECT_EQ(s->source.to_string(), "127.0.0.1:40000");
  }
}

TEST(CapturePacket, Ethernet) {
  expect_segment(link::ethernet, testing::ethernet(ip4()));
  bytes v6 = testing::ipv6_tcp(40000, 9092, 777, tcp_flag::ack, payload);
  expect_segment(link::ethernet, testing::ethernet(v6, 0x86dd), true);
}

TEST(CapturePacket, EthernetWithVlanTagAndPadding) {
  bytes p(12);
  p.insert(p.end(), {0x81, 0x00, 0x00, 0x05, 0x08, 0x00});
  auto ip = ip4();
  p.insert(p.end(), ip.begin(), ip.end());
  p.insert(p.end(), 6, 0);  // Ethernet padding after the IP packet: not payload
  expect_segment(link::ethernet, p);
}

TEST(CapturePacket, LinuxCookedSllAndSll2) {
  bytes sll(16);
  sll[14] = 0x08;
  auto ip = ip4();
  sll.insert(sll.end(), ip.begin(), ip.end());
  expect_segment(link::linux_sll, sll);
  bytes sll2(20);
  sll2[0] = 0x08;
  sll2.insert(sll2.end(), ip.begin(), ip.end());
  expect_segment(link::linux_sll2, sll2);
}

TEST(CapturePacket, LoopbackAndRaw) {
  bytes null_v4 = {2, 0, 0, 0};  // AF_INET, little-endian
  auto ip = ip4();
  null_v4.insert(null_v4.end(), ip.begin(), ip.end());
  expect_segment(link::null_bsd, null_v4);
  expect_segment(link::loop, null_v4);
  expect_segment(link::raw, ip);
  expect_segment(link::ipv4, ip);
  bytes v6 = testing::ipv6_tcp(40000, 9092, 777, tcp_flag::ack, payload);
  bytes null_v6 = {30, 0, 0, 0};
  null_v6.insert(null_v6.end(), v6.begin(), v6.end());
  expect_segment(link::null_bsd, null_v6, true);
  expect_segment(link::ipv6, v6, true);
}

TEST(CapturePacket, SkipsWhatIsNotTcp) {
  auto udp = ip4();
  udp[9] = 17;
  EXPECT_FALSE(parse_packet(link::raw, udp));
  auto fragment = ip4();
  fragment[6] = 0x20;  // more fragments
  EXPECT_FALSE(parse_packet(link::raw, fragment));
  EXPECT_FALSE(parse_packet(link::ethernet, testing::ethernet(ip4(), 0x0806)));  // ARP
  EXPECT_FALSE(link_type_supported(105));                                        // 802.11
  EXPECT_FALSE(parse_packet(105, ip4()));
}

TEST(CapturePacket, SnappedPayloadIsFlagged) {
  auto whole = ip4();
  bytes ip(whole.begin(), whole.end() - 2);  // the snap length cut the last 2 bytes
  bool truncated = false;
  auto s = parse_packet(link::raw, ip, &truncated);
  ASSERT_TRUE(s);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(s->payload.size(), 3u);
  EXPECT_EQ(s->missing, 2u);  // a gap of 2 bytes after the payload
  bytes v6 = testing::ipv6_tcp(40000, 9092, 777, tcp_flag::ack, payload);
  v6.resize(v6.size() - 4);
  truncated = false;
  s = parse_packet(link::ipv6, v6, &truncated);
  ASSERT_TRUE(s);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(s->payload.size(), payload.size() - 4);
  EXPECT_EQ(s->missing, 4u);
  s = parse_packet(link::raw, whole);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->missing, 0u);
}

TEST(CapturePacket, EveryCutOfEveryLinkTypeStaysInBounds) {
  auto ip = ip4();
  bytes v6 = testing::ipv6_tcp(40000, 9092, 777, tcp_flag::ack, payload);
  std::vector<std::pair<int, bytes>> packets = {{link::ethernet, testing::ethernet(ip)},
                                                {link::ethernet, testing::ethernet(v6, 0x86dd)},
                                                {link::raw, ip},
                                                {link::ipv6, v6}};
  for (const auto& [type, packet] : packets) {
    for (std::size_t cut = 0; cut < packet.size(); ++cut) {
      bytes piece(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(cut));
      auto s = parse_packet(type, piece);
      if (s) {
        EXPECT_LE(s->payload.data() + s->payload.size(), piece.data() + piece.size());
      }
    }
  }
}

}  // namespace
}  // namespace kpipe::capture
