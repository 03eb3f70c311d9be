#pragma once
// Link-layer, IP and TCP headers of captured packets: what `kpipe decode --pcap` needs to find
// the TCP payload and its connection. Pure: bytes in, a segment or a reason out, so that tests
// build packets by hand and never need libpcap.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace kpipe::capture {

// libpcap's LINKTYPE_ values (the numbers stored in pcap and pcapng files).
namespace link {
inline constexpr int null_bsd = 0;  // BSD loopback: 4-byte address family, host byte order
inline constexpr int ethernet = 1;
inline constexpr int raw_dlt = 12;  // DLT_RAW as some systems write it
inline constexpr int raw = 101;     // raw IPv4 or IPv6
inline constexpr int loop = 108;    // OpenBSD loopback: address family in network byte order
inline constexpr int linux_sll = 113;
inline constexpr int ipv4 = 228;
inline constexpr int ipv6 = 229;
inline constexpr int linux_sll2 = 276;
}  // namespace link

bool link_type_supported(int link_type);

struct endpoint {
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  bool v6 = false;
  std::uint16_t port = 0;

  // "10.0.0.1:9092" or "[::1]:9092"
  std::string to_string() const;
  auto operator<=>(const endpoint&) const = default;
};

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

struct tcp_segment {
  endpoint source;
  endpoint destination;
  std::uint32_t sequence = 0;
  std::uint32_t acknowledgment = 0;  // meaningful with tcp_flag::ack
  std::uint8_t flags = 0;
  std::span<const std::uint8_t> payload;  // views the packet
};

// The TCP segment inside one captured packet, or nullopt when the packet carries no TCP (ARP,
// UDP, an IP fragment, a truncated header): such packets are skipped, never trusted. A payload
// cut short by the capture's snap length is reported through `truncated`, since its missing
// bytes are a gap in the stream.
std::optional<tcp_segment> parse_packet(int link_type, std::span<const std::uint8_t> packet,
                                        bool* truncated = nullptr);

}  // namespace kpipe::capture
