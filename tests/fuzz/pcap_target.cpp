#include <cstdio>
#include <string>

#include "capture/ip_defragmenter.hpp"
#include "capture/kafka_capture.hpp"
#include "capture/packet.hpp"
#include "capture/pcap_file.hpp"
#include "capture_fuzz_targets.hpp"
#include "util/json_writer.hpp"

namespace kpipe::fuzz {

std::size_t decode_pcap(const std::uint8_t* data, std::size_t size) {
  std::size_t lines = 0;
  for (bool with_port : {false, true}) {
    if (size == 0) break;  // fmemopen refuses an empty buffer
    std::FILE* stream = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
    if (!stream) return lines;
    auto file = capture::pcap_file::open_stream(stream, "fuzz");
    if (!file) return lines;
    capture::capture_settings settings;
    if (with_port) settings.ports = {9092};
    settings.extra = [](util::json_writer&, std::int16_t, std::int16_t, bool,
                        std::span<const std::uint8_t> body) {
      // Touch every byte, as the real hook reads them.
      volatile std::uint8_t sum = 0;
      for (auto b : body) sum = static_cast<std::uint8_t>(sum + b);
    };
    capture::kafka_capture decoder(settings, [&](std::string_view) { ++lines; });
    capture::captured_packet packet;
    int link_type = file.value().link_type();
    capture::ip_defragmenter fragments(4);
    std::optional<capture::ip_fragment> fragment;
    while (file.value().next(packet)) {
      fragment.reset();
      auto segment = capture::parse_packet(link_type, packet.bytes, nullptr, &fragment);
      if (!segment && fragment) {
        auto datagram = fragments.add(packet.time_us, *fragment);
        if (datagram) {
          segment = capture::parse_tcp_payload(*datagram, fragment->source, fragment->destination);
        }
      }
      if (segment) decoder.add(packet.time_us, *segment);
    }
    decoder.finish();
    fragments.finish();
  }
  // The raw bytes as one packet of every supported link type too.
  std::span<const std::uint8_t> bytes(data, size);
  for (int type : {0, 1, 12, 101, 108, 113, 228, 229, 276}) {
    bool truncated = false;
    if (auto s = capture::parse_packet(type, bytes, &truncated)) lines += s->payload.size() > 0;
  }
  return lines;
}

}  // namespace kpipe::fuzz
