#include <string>

#include "capture/kafka_capture.hpp"
#include "capture/packet.hpp"
#include "capture_fuzz_targets.hpp"

namespace kpipe::fuzz {

// Input: records of [control][offset hi][offset lo][length][payload...]. control bit 0: from
// the client; bits 1-3: SYN, FIN, RST; bit 4: ACK (acknowledging `offset` bytes of the other
// side); bit 5: the payload was cut by a snap length, as many bytes again missing after it. The
// sequence number is the direction's base plus offset, so that records overlap, repeat and leave
// holes as the fuzzer likes; the first record may be a SYN or not.
std::size_t reassemble_tcp(const std::uint8_t* data, std::size_t size) {
  std::size_t lines = 0;
  capture::capture_settings settings;
  if (size > 0 && (data[0] & 0x80)) settings.ports = {9092};
  capture::kafka_capture decoder(settings, [&](std::string_view) { ++lines; });
  capture::endpoint client, server;
  client.address = {10, 0, 0, 1};
  client.port = 40000;
  server.address = {10, 0, 0, 2};
  server.port = 9092;
  constexpr std::uint32_t client_base = 0xfffffff0u;  // wraps early
  constexpr std::uint32_t server_base = 1000;
  std::int64_t time_us = 0;
  std::size_t at = 0;
  while (at + 4 <= size) {
    std::uint8_t control = data[at];
    auto offset = static_cast<std::uint32_t>(data[at + 1] << 8 | data[at + 2]);
    std::size_t length = std::min<std::size_t>(data[at + 3], size - at - 4);
    capture::tcp_segment s;
    bool from_client = control & 1;
    s.source = from_client ? client : server;
    s.destination = from_client ? server : client;
    s.sequence = (from_client ? client_base : server_base) + offset;
    s.flags = static_cast<std::uint8_t>(((control & 2) ? capture::tcp_flag::syn : 0) |
                                        ((control & 4) ? capture::tcp_flag::fin : 0) |
                                        ((control & 8) ? capture::tcp_flag::rst : 0) |
                                        ((control & 16) ? capture::tcp_flag::ack : 0));
    s.acknowledgment = (from_client ? server_base : client_base) + offset;
    s.payload = {data + at + 4, length};
    s.missing = (control & 32) ? static_cast<std::uint32_t>(length) : 0;
    decoder.add(time_us += 10, s);
    at += 4 + length;
  }
  decoder.finish();
  return lines;
}

}  // namespace kpipe::fuzz
