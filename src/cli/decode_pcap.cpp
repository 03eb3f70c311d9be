#include "decode_pcap.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <iostream>

#include "capture/ip_defragmenter.hpp"
#include "capture/kafka_capture.hpp"
#include "capture/packet.hpp"
#include "capture/pcap_file.hpp"
#include "exit_codes.hpp"
#include "format/batch_json.hpp"
#include "output.hpp"
#include "parse/byte_size.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/fetch.hpp"
#include "protocol/generated/produce.hpp"
#include "protocol/reader.hpp"
#include "util/base64.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// --api Produce,Fetch (or keys, "0,1"): the keys, or the first name kpipe does not know.
std::optional<std::string> parse_apis(const std::vector<std::string>& names,
                                      std::set<std::int16_t>& keys) {
  for (const auto& name : names) {
    bool found = false;
    for (const auto& api : protocol::all_apis()) {
      if (lower(api.name) == lower(name) || std::to_string(api.key) == name) {
        keys.insert(api.key);
        found = true;
      }
    }
    if (!found) return name;
  }
  return std::nullopt;
}

void write_batches(util::json_writer& j, const std::optional<protocol::byte_buffer>& records) {
  j.key("batches");
  j.begin_array();
  if (records && !records->empty()) {
    // One line per batch (never indented here, so that each line is one whole document); the
    // lines become the array's elements, rendered in place.
    std::vector<std::string> errors;
    j.raw_lines([&](std::string& out) { errors = decode_record_sets(*records, false, out); });
    for (const auto& e : errors) {
      j.begin_object();
      j.key("error");
      j.value(e);
      j.end_object();
    }
  }
  j.end_array();
}

std::string topic_label(const std::string& name, const protocol::uuid& id) {
  if (!name.empty()) return name;
  return util::base64(id, true).substr(0, 22);
}

// --records: the record batches inside Produce requests and Fetch responses, as decode
// --record-batch shows them, under "records": [{topic, partition, batches: [...]}].
void write_records(util::json_writer& j, std::int16_t key, std::int16_t version, bool request,
                   std::span<const std::uint8_t> body) {
  if (key == protocol::api_key::produce && request) {
    protocol::produce::request produce;
    protocol::reader r(body);
    if (!produce.decode(r, version)) return;
    j.key("records");
    j.begin_array();
    for (const auto& topic : produce.topic_data) {
      for (const auto& partition : topic.partition_data) {
        j.begin_object();
        j.key("topic");
        j.value(topic_label(topic.name, topic.topic_id));
        j.key("partition");
        j.value(partition.index);
        write_batches(j, partition.records);
        j.end_object();
      }
    }
    j.end_array();
  } else if (key == protocol::api_key::fetch && !request) {
    protocol::fetch::response fetch;
    protocol::reader r(body);
    if (!fetch.decode(r, version)) return;
    j.key("records");
    j.begin_array();
    for (const auto& topic : fetch.responses) {
      for (const auto& partition : topic.partitions) {
        j.begin_object();
        j.key("topic");
        j.value(topic_label(topic.topic, topic.topic_id));
        j.key("partition");
        j.value(partition.partition_index);
        write_batches(j, partition.records);
        j.end_object();
      }
    }
    j.end_array();
  }
}

}  // namespace

void register_decode_pcap(CLI::App& decode, decode_pcap_options& options) {
  decode
      .add_option("--pcap", options.file,
                  "Decode the Kafka conversations in a pcap or pcapng capture (- for stdin)")
      ->type_name("FILE|-");
  decode.add_option("--port", options.ports, "With --pcap: Kafka's server port (repeatable)")
      ->type_name("PORT");
  decode.add_flag("--records", options.records,
                  "With --pcap: decode the record batches inside Produce and Fetch");
  decode.add_option("--api", options.apis, "With --pcap: print only these APIs (names or keys)")
      ->delimiter(',')
      ->type_name("API,...");
  decode
      .add_option("--max-frame", options.max_frame,
                  "With --pcap: the largest frame decoded (default 16MiB); larger ones are "
                  "reported and passed over, so that memory stays bounded")
      ->type_name("SIZE");
}

int run_decode_pcap(const decode_pcap_options& options,
                    std::optional<std::pair<std::int16_t, std::int16_t>> responses_as,
                    bool pretty) {
  capture::capture_settings settings;
  settings.ports.insert(options.ports.begin(), options.ports.end());
  settings.responses_as = responses_as;
  settings.pretty = pretty;
  if (auto unknown = parse_apis(options.apis, settings.apis)) {
    std::cerr << "kpipe: decode: --api " << *unknown
              << ": not an API kpipe knows (kpipe decode --list-apis)\n";
    return exit_usage;
  }
  if (!options.max_frame.empty()) {
    auto size = parse_byte_size(options.max_frame);
    if (!size || *size < 64 || *size > (std::size_t{1} << 30)) {
      std::cerr << "kpipe: decode: --max-frame " << options.max_frame
                << ": not a size from 64 bytes to 1GiB (\"16MiB\", \"65536\")\n";
      return exit_usage;
    }
    settings.max_frame = *size;
  }
  if (options.records) {
    settings.extra = write_records;
  }
  auto file = capture::pcap_file::open(options.file);
  if (!file) {
    std::cerr << "kpipe: decode: " << file.error().message << '\n';
    return exit_failure;
  }
  std::string name = options.file == "-" ? "stdin" : options.file;
  int link_type = file.value().link_type();
  if (!capture::link_type_supported(link_type)) {
    std::cerr << "kpipe: decode: " << name << ": link type "
              << capture::pcap_file::link_type_name(link_type)
              << " is not supported (Ethernet, Linux cooked SLL and SLL2, loopback, raw IP)\n";
    return exit_failure;
  }
  // Output leaves in pieces of about 64 KiB, so that a live capture shows up as it comes and
  // memory stays bounded; a line larger than a piece (a Produce or Fetch body of many MB) goes
  // out as it is, without being copied into the piece first. A write that fails (a closed
  // pipe, a signal) ends the decoding.
  constexpr std::size_t piece = 64 * 1024;
  std::string out;
  out.reserve(piece);
  bool write_failed = false;
  auto write = [&write_failed](std::string_view bytes) {
    if (!write_failed && !write_stdout(bytes)) write_failed = true;
  };
  capture::kafka_capture decoder(settings, [&](std::string_view line) {
    if (out.size() + line.size() > piece && !out.empty()) {
      write(out);
      out.clear();
    }
    if (line.size() >= piece) {
      write(line);
      return;
    }
    out += line;
  });
  capture::captured_packet packet;
  bool live = options.file == "-";
  capture::ip_defragmenter fragments;
  std::optional<capture::ip_fragment> fragment;
  while (!write_failed && file.value().next(packet)) {
    fragment.reset();
    auto segment = capture::parse_packet(link_type, packet.bytes, nullptr, &fragment);
    if (!segment && fragment) {
      auto datagram = fragments.add(packet.time_us, *fragment);
      if (datagram && fragment->protocol == 6) {
        segment = capture::parse_tcp_payload(*datagram, fragment->source, fragment->destination);
      }
    }
    if (segment) decoder.add(packet.time_us, *segment);
    if (live && !out.empty()) {
      write(out);
      out.clear();
    }
  }
  if (!write_failed) decoder.finish();
  write(out);
  if (write_failed) return write_interrupted() ? exit_interrupted : exit_ok;
  fragments.finish();
  if (fragments.abandoned() > 0) {
    std::cerr << "kpipe: decode: " << name << ": " << fragments.abandoned()
              << " IP fragment(s) of datagrams that could not be put together (pieces missing "
                 "or cut by the snap length) were passed over\n";
  }
  int code = exit_ok;
  if (!file.value().error().empty()) {
    std::cerr << "kpipe: decode: " << file.value().error() << '\n';
    code = exit_failure;
  }
  const auto& counts = decoder.counts();
  if (counts.undecodable > 0 || counts.lost > 0) code = exit_failure;
  return code;
}

}  // namespace kpipe::cli
