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
  // Payload bytes on the wire after `payload` that the capture cut off (its snap length).
  std::uint32_t missing = 0;
};

// One piece of a fragmented IP datagram: IPv4 with more fragments or an offset, IPv6 with a
// fragment header. Put together by ip_defragmenter.
struct ip_fragment {
  endpoint source;  // addresses only: the ports are in the first fragment's payload
  endpoint destination;
  std::uint32_t id = 0;
  std::uint8_t protocol = 0;  // of the datagram (IPv6: the fragment header's next header)
  std::uint32_t offset = 0;   // of this piece in the datagram's payload, in bytes
  bool more = false;          // more fragments follow
  std::span<const std::uint8_t> payload;  // views the packet
  bool cut = false;  // the snap length cut the piece: the datagram cannot be put together
};

// The TCP segment inside one captured packet, or nullopt when the packet carries no TCP (ARP,
// UDP, an IP fragment, a truncated header): such packets are skipped, never trusted. A payload
// cut short by the capture's snap length is reported through `truncated`, and its length on
// the wire through the segment's `missing`, since those bytes are a gap in the stream. An IP
// fragment is given to `fragment` when asked for (and nullopt returned).
std::optional<tcp_segment> parse_packet(int link_type, std::span<const std::uint8_t> packet,
                                        bool* truncated = nullptr,
                                        std::optional<ip_fragment>* fragment = nullptr);

// The TCP segment in the payload of a datagram put together from fragments.
std::optional<tcp_segment> parse_tcp_payload(std::span<const std::uint8_t> payload, endpoint source,
                                             endpoint destination);

}  // namespace kpipe::capture
