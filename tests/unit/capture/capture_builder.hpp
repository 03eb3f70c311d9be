#pragma once
// Hand-made Kafka frames, TCP/IP packets and pcap files for the capture tests: every byte is
// written here, so that a test says exactly what kpipe decode --pcap is given.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "capture/packet.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/generated/metadata.hpp"
#include "protocol/writer.hpp"

namespace kpipe::capture::testing {

using bytes = std::vector<std::uint8_t>;

// A Metadata v12 request for `topic`, size prefix included.
inline bytes metadata_request(std::int32_t correlation_id, const std::string& topic,
                              const std::string& client_id = "tester") {
  protocol::writer w;
  auto at = w.reserve_i32();
  protocol::header::request h;
  h.request_api_key = protocol::api_key::metadata;
  h.request_api_version = 12;
  h.correlation_id = correlation_id;
  h.client_id = client_id;
  h.encode(w, protocol::request_header_version(h.request_api_key, 12));
  protocol::metadata::request body;
  body.topics.emplace();
  body.topics->emplace_back().name = topic;
  body.encode(w, 12);
  w.patch_i32(at, static_cast<std::int32_t>(w.size() - 4));
  return w.take();
}

// Its response: one broker, the topic with `partitions` partitions.
inline bytes metadata_response(std::int32_t correlation_id, const std::string& topic,
                               int partitions) {
  protocol::writer w;
  auto at = w.reserve_i32();
  protocol::header::response h;
  h.correlation_id = correlation_id;
  h.encode(w, protocol::response_header_version(protocol::api_key::metadata, 12));
  protocol::metadata::response body;
  auto& broker = body.brokers.emplace_back();
  broker.node_id = 1;
  broker.host = "localhost";
  broker.port = 9092;
  auto& t = body.topics.emplace_back();
  t.name = topic;
  for (int p = 0; p < partitions; ++p) t.partitions.emplace_back().partition_index = p;
  body.encode(w, 12);
  w.patch_i32(at, static_cast<std::int32_t>(w.size() - 4));
  return w.take();
}

inline void put16(bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void put32(bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// An IPv4 + TCP packet (no checksums: kpipe does not check them, as captures of offloaded
// traffic carry wrong ones).
inline bytes ipv4_tcp(std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                      std::uint16_t dport, std::uint32_t seq, std::uint8_t flags,
                      const bytes& payload, std::uint32_t ack = 0) {
  bytes p(40 + payload.size());
  p[0] = 0x45;
  put16(p, 2, static_cast<std::uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 6;
  put32(p, 12, src);
  put32(p, 16, dst);
  put16(p, 20, sport);
  put16(p, 22, dport);
  put32(p, 24, seq);
  put32(p, 28, ack);
  p[32] = 5 << 4;
  p[33] = flags;
  std::copy(payload.begin(), payload.end(), p.begin() + 40);
  return p;
}

inline bytes ipv6_tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
                      std::uint8_t flags, const bytes& payload) {
  bytes p(60 + payload.size());
  p[0] = 0x60;
  put16(p, 4, static_cast<std::uint16_t>(20 + payload.size()));
  p[6] = 6;
  p[7] = 64;
  p[23] = 1;  // ::1
  p[39] = 1;
  put16(p, 40, sport);
  put16(p, 42, dport);
  put32(p, 44, seq);
  p[52] = 5 << 4;
  p[53] = flags;
  std::copy(payload.begin(), payload.end(), p.begin() + 60);
  return p;
}

// An IPv4 packet (20-byte header) cut into fragments of `piece` payload bytes (a multiple of
// 8), as a router with a small MTU does.
inline std::vector<bytes> ipv4_fragments(const bytes& packet, std::size_t piece, std::uint16_t id) {
  std::vector<bytes> out;
  std::size_t payload = packet.size() - 20;
  for (std::size_t at = 0; at < payload; at += piece) {
    std::size_t n = std::min(piece, payload - at);
    bytes f(20 + n);
    std::copy(packet.begin(), packet.begin() + 20, f.begin());
    std::copy(packet.begin() + static_cast<std::ptrdiff_t>(20 + at),
              packet.begin() + static_cast<std::ptrdiff_t>(20 + at + n), f.begin() + 20);
    put16(f, 2, static_cast<std::uint16_t>(f.size()));
    put16(f, 4, id);
    bool more = at + n < payload;
    put16(f, 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (at / 8)));
    out.push_back(f);
  }
  return out;
}

// The same for an IPv6 packet (40-byte header, no extension headers): each fragment carries a
// fragment header.
inline std::vector<bytes> ipv6_fragments(const bytes& packet, std::size_t piece, std::uint32_t id) {
  std::vector<bytes> out;
  std::size_t payload = packet.size() - 40;
  for (std::size_t at = 0; at < payload; at += piece) {
    std::size_t n = std::min(piece, payload - at);
    bytes f(48 + n);
    std::copy(packet.begin(), packet.begin() + 40, f.begin());
    put16(f, 4, static_cast<std::uint16_t>(8 + n));
    f[6] = 44;
    f[40] = packet[6];
    bool more = at + n < payload;
    put16(f, 42, static_cast<std::uint16_t>(at | (more ? 1 : 0)));
    put32(f, 44, id);
    std::copy(packet.begin() + static_cast<std::ptrdiff_t>(40 + at),
              packet.begin() + static_cast<std::ptrdiff_t>(40 + at + n), f.begin() + 48);
    out.push_back(f);
  }
  return out;
}

inline bytes ethernet(const bytes& ip, std::uint16_t type = 0x0800) {
  // Sized once and copied into: g++ 12 at -O3 warns falsely on insert() into a small vector.
  bytes p(14 + ip.size());
  put16(p, 12, type);
  std::copy(ip.begin(), ip.end(), p.begin() + 14);
  return p;
}

// A pcap file (classic format, microseconds) in memory.
class pcap_writer {
 public:
  explicit pcap_writer(std::uint32_t link_type = 1) {
    bytes header(24);
    put32le(header, 0, 0xa1b2c3d4);
    header[4] = 2;  // version 2.4
    header[6] = 4;
    put32le(header, 16, 262144);
    put32le(header, 20, link_type);
    data_ = header;
  }
  // snap: keep only the first bytes of the packet, as a capture with that snap length does.
  void packet(std::int64_t time_us, const bytes& packet, std::size_t snap = SIZE_MAX) {
    std::size_t kept = std::min(snap, packet.size());
    bytes record(16);
    put32le(record, 0, static_cast<std::uint32_t>(time_us / 1'000'000));
    put32le(record, 4, static_cast<std::uint32_t>(time_us % 1'000'000));
    put32le(record, 8, static_cast<std::uint32_t>(kept));
    put32le(record, 12, static_cast<std::uint32_t>(packet.size()));
    data_.insert(data_.end(), record.begin(), record.end());
    data_.insert(data_.end(), packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(kept));
  }
  const bytes& data() const { return data_; }

 private:
  static void put32le(bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  bytes data_;
};

// A client (10.0.0.1:40000) and a broker (10.0.0.2:9092) exchanging frames, as TCP segments
// of at most `mss` bytes each; the handshake included when `with_syn`.
struct conversation {
  struct segment {
    bool from_client;
    std::uint32_t seq;
    std::uint8_t flags;
    bytes payload;
    std::uint32_t ack = 0;
  };
  std::vector<segment> segments;
  std::uint32_t client_seq = 1000;
  std::uint32_t server_seq = 50000;

  void handshake() {
    segments.push_back({true, client_seq++, capture::tcp_flag::syn, {}});
    segments.push_back(
        {false, server_seq++, capture::tcp_flag::syn | capture::tcp_flag::ack, {}, client_seq});
  }
  void send(bool from_client, const bytes& data, std::size_t mss) {
    auto& seq = from_client ? client_seq : server_seq;
    // Each segment acknowledges all the other side sent so far.
    std::uint32_t ack = from_client ? server_seq : client_seq;
    for (std::size_t at = 0; at < data.size(); at += mss) {
      std::size_t n = std::min(mss, data.size() - at);
      segments.push_back({from_client, seq, capture::tcp_flag::ack,
                          bytes(data.begin() + static_cast<std::ptrdiff_t>(at),
                                data.begin() + static_cast<std::ptrdiff_t>(at + n)),
                          ack});
      seq += static_cast<std::uint32_t>(n);
    }
  }
  bytes packet(const segment& s) const {
    return s.from_client ? ethernet(ipv4_tcp(0x0a000001, 40000, 0x0a000002, 9092, s.seq, s.flags,
                                             s.payload, s.ack))
                         : ethernet(ipv4_tcp(0x0a000002, 9092, 0x0a000001, 40000, s.seq, s.flags,
                                             s.payload, s.ack));
  }
};

}  // namespace kpipe::capture::testing
