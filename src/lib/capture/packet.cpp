#include "capture/packet.hpp"

#include <arpa/inet.h>

#include <cstdio>

namespace kpipe::capture {
namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 |
         std::uint32_t{b[at + 2]} << 8 | b[at + 3];
}

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
constexpr std::uint8_t ip_protocol_tcp = 6;

// ip_payload: as captured; missing: how many bytes after it the snap length cut off.
std::optional<tcp_segment> parse_tcp(std::span<const std::uint8_t> ip_payload, endpoint source,
                                     endpoint destination, std::size_t missing) {
  if (ip_payload.size() < 20) return std::nullopt;
  std::size_t header = static_cast<std::size_t>(ip_payload[12] >> 4) * 4;
  if (header < 20 || header > ip_payload.size()) return std::nullopt;
  tcp_segment s;
  source.port = be16(ip_payload, 0);
  destination.port = be16(ip_payload, 2);
  s.source = source;
  s.destination = destination;
  s.sequence = be32(ip_payload, 4);
  s.acknowledgment = be32(ip_payload, 8);
  s.flags = ip_payload[13];
  s.payload = ip_payload.subspan(header);
  s.missing = static_cast<std::uint32_t>(missing);  // IP lengths are 16-bit: it fits
  return s;
}

// ip: the bytes from the IP header on, as captured (possibly cut by the snap length, possibly
// followed by Ethernet padding, which the IP length removes).
std::optional<tcp_segment> parse_ipv4(std::span<const std::uint8_t> ip, bool* truncated,
                                      std::optional<ip_fragment>* fragment_out) {
  if (ip.size() < 20 || (ip[0] >> 4) != 4) return std::nullopt;
  std::size_t header = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  std::size_t total = be16(ip, 2);
  if (header < 20 || total < header || ip.size() < header) return std::nullopt;
  std::size_t missing = 0;
  if (total > ip.size()) {
    if (truncated) *truncated = true;
    missing = total - ip.size();
    total = ip.size();
  }
  endpoint source, destination;
  for (int i = 0; i < 4; ++i) {
    source.address[i] = ip[12 + i];
    destination.address[i] = ip[16 + i];
  }
  // A fragment carries a piece of a datagram (of a TCP segment, over a path with a small MTU):
  // handed to the caller to put together, never parsed as TCP on its own.
  std::uint16_t fragment = be16(ip, 6);
  if ((fragment & 0x3fff) != 0) {
    if (fragment_out) {
      ip_fragment& f = fragment_out->emplace();
      f.source = source;
      f.destination = destination;
      f.id = be16(ip, 4);
      f.protocol = ip[9];
      f.offset = static_cast<std::uint32_t>(fragment & 0x1fff) * 8;
      f.more = fragment & 0x2000;
      f.payload = ip.subspan(header, total - header);
      f.cut = missing > 0;
    }
    return std::nullopt;
  }
  if (ip[9] != ip_protocol_tcp) return std::nullopt;
  return parse_tcp(ip.subspan(header, total - header), source, destination, missing);
}

std::optional<tcp_segment> parse_ipv6(std::span<const std::uint8_t> ip, bool* truncated,
                                      std::optional<ip_fragment>* fragment_out) {
  if (ip.size() < 40 || (ip[0] >> 4) != 6) return std::nullopt;
  std::size_t total = 40 + std::size_t{be16(ip, 4)};
  std::size_t missing = 0;
  if (total > ip.size()) {
    if (truncated) *truncated = true;
    missing = total - ip.size();
    total = ip.size();
  }
  endpoint source, destination;
  source.v6 = destination.v6 = true;
  for (int i = 0; i < 16; ++i) {
    source.address[i] = ip[8 + i];
    destination.address[i] = ip[24 + i];
  }
  std::uint8_t next = ip[6];
  std::size_t at = 40;
  // Extension headers that may precede TCP: hop-by-hop (0), routing (43), destination options
  // (60). A fragment header (44) means a piece of a datagram: handed to the caller, as for
  // IPv4 (what follows it is the fragment's part of the datagram's payload).
  while (next == 0 || next == 43 || next == 60 || next == 44) {
    if (at + 8 > total) return std::nullopt;
    if (next == 44) {
      if (fragment_out) {
        ip_fragment& f = fragment_out->emplace();
        f.source = source;
        f.destination = destination;
        f.protocol = ip[at];
        std::uint16_t field = be16(ip, at + 2);
        f.offset = static_cast<std::uint32_t>(field >> 3) * 8;
        f.more = field & 1;
        f.id = be32(ip, at + 4);
        f.payload = ip.subspan(at + 8, total - at - 8);
        f.cut = missing > 0;
      }
      return std::nullopt;
    }
    std::size_t length = (std::size_t{ip[at + 1]} + 1) * 8;
    next = ip[at];
    at += length;
    if (at > total) return std::nullopt;
  }
  if (next != ip_protocol_tcp) return std::nullopt;
  return parse_tcp(ip.subspan(at, total - at), source, destination, missing);
}

std::optional<tcp_segment> parse_by_ethertype(std::uint16_t type, std::span<const std::uint8_t> ip,
                                              bool* truncated,
                                              std::optional<ip_fragment>* fragment) {
  if (type == ethertype_ipv4) return parse_ipv4(ip, truncated, fragment);
  if (type == ethertype_ipv6) return parse_ipv6(ip, truncated, fragment);
  return std::nullopt;
}

std::optional<tcp_segment> parse_by_version(std::span<const std::uint8_t> ip, bool* truncated,
                                            std::optional<ip_fragment>* fragment) {
  if (ip.empty()) return std::nullopt;
  if ((ip[0] >> 4) == 4) return parse_ipv4(ip, truncated, fragment);
  if ((ip[0] >> 4) == 6) return parse_ipv6(ip, truncated, fragment);
  return std::nullopt;
}

}  // namespace

bool link_type_supported(int link_type) {
  switch (link_type) {
    case link::null_bsd:
    case link::ethernet:
    case link::raw_dlt:
    case link::raw:
    case link::loop:
    case link::linux_sll:
    case link::ipv4:
    case link::ipv6:
    case link::linux_sll2:
      return true;
    default:
      return false;
  }
}

std::string endpoint::to_string() const {
  char text[64];
  if (!v6) {
    std::snprintf(text, sizeof text, "%u.%u.%u.%u:%u", address[0], address[1], address[2],
                  address[3], port);
    return text;
  }
  // inet_ntop writes the shortest form (RFC 5952), as other tools show addresses.
  ::inet_ntop(AF_INET6, address.data(), text, sizeof text);
  return std::string("[") + text + "]:" + std::to_string(port);
}

std::optional<tcp_segment> parse_tcp_payload(std::span<const std::uint8_t> payload, endpoint source,
                                             endpoint destination) {
  return parse_tcp(payload, source, destination, 0);
}

std::optional<tcp_segment> parse_packet(int link_type, std::span<const std::uint8_t> packet,
                                        bool* truncated, std::optional<ip_fragment>* fragment) {
  switch (link_type) {
    case link::ethernet: {
      if (packet.size() < 14) return std::nullopt;
      std::size_t at = 12;
      std::uint16_t type = be16(packet, at);
      // 802.1Q and 802.1ad tags, possibly stacked: 4 bytes each before the real type.
      while (type == 0x8100 || type == 0x88a8) {
        at += 4;
        if (at + 2 > packet.size()) return std::nullopt;
        type = be16(packet, at);
      }
      return parse_by_ethertype(type, packet.subspan(at + 2), truncated, fragment);
    }
    case link::linux_sll:
      if (packet.size() < 16) return std::nullopt;
      return parse_by_ethertype(be16(packet, 14), packet.subspan(16), truncated, fragment);
    case link::linux_sll2:
      if (packet.size() < 20) return std::nullopt;
      return parse_by_ethertype(be16(packet, 0), packet.subspan(20), truncated, fragment);
    case link::null_bsd:
    case link::loop:
      // The 4-byte address family is in the writer's byte order (NULL) or network order
      // (LOOP), and its value for IPv6 differs between BSDs: the IP version nibble decides.
      if (packet.size() < 4) return std::nullopt;
      return parse_by_version(packet.subspan(4), truncated, fragment);
    case link::raw_dlt:
    case link::raw:
      return parse_by_version(packet, truncated, fragment);
    case link::ipv4:
      return parse_ipv4(packet, truncated, fragment);
    case link::ipv6:
      return parse_ipv6(packet, truncated, fragment);
    default:
      return std::nullopt;
  }
}

}  // namespace kpipe::capture
