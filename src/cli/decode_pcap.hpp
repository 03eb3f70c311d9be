#pragma once
// kpipe decode --pcap: the Kafka conversations in a pcap or pcapng capture, one JSON line per
// request and per response (library: src/lib/capture/).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kpipe::cli {

struct decode_pcap_options {
  std::string file;  // empty: not a capture; "-": stdin
  std::vector<std::uint16_t> ports;
  bool records = false;
  std::vector<std::string> apis;  // API names or keys to print
  std::string max_frame;          // the largest frame decoded ("16MiB"); empty: the default
};

// Adds --pcap, --port, --records, --api and --max-frame to decode's subcommand.
void register_decode_pcap(CLI::App& decode, decode_pcap_options& options);

// responses_as: decode's --api-key/--api-version, for responses whose request is not captured.
int run_decode_pcap(const decode_pcap_options& options,
                    std::optional<std::pair<std::int16_t, std::int16_t>> responses_as, bool pretty);

}  // namespace kpipe::cli
