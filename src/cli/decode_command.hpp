#pragma once
// kpipe decode: raw protocol bytes (frames, single requests or responses, record batches) to
// JSON, one document per frame or batch.

#include <cstdint>
#include <optional>
#include <string>

#include "decode_pcap.hpp"
#include "decode_segment.hpp"
#include "global_options.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

struct decode_options {
  std::string file = "-";
  std::string input = "raw";
  bool frames = false;
  bool request = false;
  bool response = false;
  bool record_batch = false;
  std::optional<std::int16_t> api_key;
  std::optional<std::int16_t> api_version;
  bool pretty = false;
  bool list_apis = false;
  // --internal: `consume -J` lines in (decode_internal.hpp), each internal topic's records told
  // by the line's topic. --internal-topic WHICH forces one ("consumer-offsets",
  // "transaction-state", "none"), alone or with --log-segment (where the directory's name decides
  // otherwise). A flag and an option rather than one option with an optional value, which would
  // take `kpipe decode --internal FILE`'s FILE for its value.
  bool internal = false;
  std::string internal_topic;
  decode_pcap_options pcap;  // --pcap and the options that go with it
  segment_options segment;   // --log-segment and the options that go with it
};

CLI::App* register_decode(CLI::App& app, decode_options& options);
int run_decode(const global_options& global, const decode_options& options);

// The API table as text (KEY NAME VERSIONS FLEXIBLE) or JSON.
std::string render_api_list(output_format format);

}  // namespace kpipe::cli
