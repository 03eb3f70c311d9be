#include "decode_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "decode_internal.hpp"
#include "exit_codes.hpp"
#include "format/batch_json.hpp"
#include "format/table.hpp"
#include "output.hpp"
#include "parse/byte_input.hpp"
#include "protocol/frame_json.hpp"
#include "protocol/generated/api_table.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {
namespace {

// The whole input: decode works on dumps, which fit in memory.
result<std::string> read_all(const std::string& path) {
  int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return error{errno == ENOENT ? error_kind::not_found : error_kind::io,
                 path + ": " + std::strerror(errno)};
  }
  std::string data;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = std::strerror(errno);
      if (fd != STDIN_FILENO) ::close(fd);
      return error{error_kind::io, (path == "-" ? "stdin" : path) + ": " + why};
    }
    if (n == 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  if (fd != STDIN_FILENO) ::close(fd);
  return data;
}

int report_errors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::cerr << "kpipe: decode: " << e << '\n';
  return errors.empty() ? exit_ok : exit_failure;
}

}  // namespace

CLI::App* register_decode(CLI::App& app, decode_options& options) {
  auto* cmd = app.add_subcommand("decode", "Decode raw Kafka protocol bytes to JSON");
  cmd->add_option("file", options.file, "Input file (default: stdin)")->type_name("FILE|-");
  cmd->add_option("--input", options.input, "How the input is written (default raw)")
      ->check(CLI::IsMember({"raw", "hex", "base64"}))
      ->type_name("raw|hex|base64");
  auto* frames = cmd->add_flag("--frames", options.frames,
                               "A stream of size-prefixed requests and responses (the default)");
  auto* request = cmd->add_flag("--request", options.request, "One request frame");
  auto* response = cmd->add_flag("--response", options.response,
                                 "One response frame (needs --api-key/--api-version)");
  auto* batch = cmd->add_flag(
      "--record-batch", options.record_batch,
      "Record batches (v2) and legacy message sets (magic 0/1), one JSON document each");
  frames->excludes(request, response, batch);
  request->excludes(response, batch);
  response->excludes(batch);
  cmd->add_option("--api-key", options.api_key,
                  "API key of responses (with --response, or for "
                  "responses in --frames without their request)")
      ->type_name("K");
  cmd->add_option("--api-version", options.api_version, "API version of those responses")
      ->type_name("V");
  cmd->add_flag("--pretty", options.pretty, "Indented JSON for people");
  register_decode_pcap(*cmd, options.pcap);
  register_decode_segment(*cmd, options.segment);
  auto* internal = cmd->add_flag(
      "--internal", options.internal,
      "Kafka's internal topics: read consume -J lines and add to each record of "
      "__consumer_offsets or __transaction_state an \"internal\" member, its key and value "
      "decoded (other lines pass unchanged)");
  auto* internal_topic =
      cmd->add_option("--internal-topic", options.internal_topic,
                      "Take every record as one of this internal topic (with --internal, or with "
                      "--log-segment --records, where the directory's name decides by default); "
                      "none: leave records raw")
          ->check(CLI::IsMember({"consumer-offsets", "transaction-state", "none"}))
          ->type_name("WHICH");
  for (auto* o : {internal, internal_topic}) {
    o->excludes(frames, request, response, batch);
    if (auto* pcap = cmd->get_option_no_throw("--pcap")) o->excludes(pcap);
  }
  cmd->add_flag("--list-apis", options.list_apis,
                "Print kpipe's API table (key, name, versions, first flexible version)");
  cmd->footer(
      "Examples:\n"
      "  kpipe decode --frames capture.bin\n"
      "  echo '0000001a00030009...' | kpipe decode --input hex --request --pretty\n"
      "  kpipe decode --response --api-key 3 --api-version 12 --input base64 < response.b64\n"
      "  kpipe decode --record-batch --input hex --pretty < batches.hex\n"
      "  kpipe decode --list-apis --format json\n"
      "  kpipe decode --pcap capture.pcapng --port 9092 --api Produce,Fetch --records\n"
      "  tcpdump -i lo -w - 'tcp port 9092' | kpipe decode --pcap -\n"
      "  kpipe decode --log-segment /var/lib/kafka/__consumer_offsets-7 --records\n"
      "  kpipe consume -t __consumer_offsets -e -J | kpipe decode --internal\n"
      "\n"
      "Errors name the frame or batch, the field path and the byte offset, e.g.\n"
      "  frame 3 at offset 1200: Metadata v9 response: topics[3].partitions[0].leader_id: need 4\n"
      "  bytes, 2 left at offset 1518\n"
      "  batch at offset 0: records[3].key: need 10 bytes, 2 left at offset 57\n"
      "Record batches with a wrong CRC are printed (crc_ok false) and reported.\n"
      "Exit status: 0 everything decoded, 1 some input could not be decoded or a CRC did not\n"
      "match, 2 usage.");
  return cmd;
}

std::string render_api_list(output_format format) {
  if (format == output_format::json) {
    std::string out;
    util::json_writer j(out);
    j.begin_array();
    for (const auto& api : protocol::all_apis()) {
      j.begin_object();
      j.key("key");
      j.value(api.key);
      j.key("name");
      j.value(api.name);
      j.key("min_version");
      j.value(api.min_version);
      j.key("max_version");
      j.value(api.max_version);
      j.key("first_flexible_version");
      if (api.first_flexible_version >= 0) {
        j.value(api.first_flexible_version);
      } else {
        j.null();
      }
      j.end_object();
    }
    j.end_array();
    return out + "\n";
  }
  text_table table({"KEY", "API", "VERSIONS", "FLEXIBLE"});
  for (const auto& api : protocol::all_apis()) {
    table.add(
        {std::to_string(api.key), std::string(api.name),
         std::to_string(api.min_version) + "-" + std::to_string(api.max_version),
         api.first_flexible_version >= 0 ? std::to_string(api.first_flexible_version) + "+" : "-"});
  }
  return table.render();
}

int run_decode(const global_options& global, const decode_options& options) {
  if (options.list_apis) {
    write_stdout(render_api_list(global.format));
    return exit_ok;
  }
  if (options.response && (!options.api_key || !options.api_version)) {
    std::cerr << "kpipe: decode --response needs --api-key and --api-version\n";
    return exit_usage;
  }
  if (options.api_key.has_value() != options.api_version.has_value()) {
    std::cerr << "kpipe: decode: --api-key and --api-version go together\n";
    return exit_usage;
  }
  if (!options.segment.path.empty()) {
    auto segment = options.segment;
    segment.records = segment.records || options.pcap.records;  // one --records flag for both
    segment.internal = options.internal_topic;
    return run_decode_segment(segment, options.pretty);
  }
  if (options.internal || !options.internal_topic.empty()) {
    return run_decode_internal(options.file,
                               options.internal_topic.empty() ? "auto" : options.internal_topic);
  }
  if (!options.pcap.file.empty()) {
    std::optional<std::pair<std::int16_t, std::int16_t>> responses_as;
    if (options.api_key) responses_as = std::pair{*options.api_key, *options.api_version};
    return run_decode_pcap(options.pcap, responses_as, options.pretty);
  }
  auto text = read_all(options.file);
  if (!text) {
    std::cerr << "kpipe: decode: " << text.error().message << '\n';
    return exit_code_for(text.error());
  }
  auto encoding = options.input == "hex"      ? input_encoding::hex
                  : options.input == "base64" ? input_encoding::base64
                                              : input_encoding::raw;
  auto bytes = decode_input(text.value(), encoding);
  if (!bytes) {
    std::cerr << "kpipe: decode: " << bytes.error().message << '\n';
    return exit_failure;
  }
  std::optional<protocol::api_version_ref> api;
  if (options.api_key) api = protocol::api_version_ref{*options.api_key, *options.api_version};

  std::string out;
  if (options.record_batch) {
    int code = report_errors(decode_record_sets(bytes.value(), options.pretty, out));
    write_stdout(out);
    return code;
  }
  protocol::frame_decoder decoder(options.pretty, api);
  int code = exit_ok;
  if (options.request) {
    if (auto e = decoder.decode_request(bytes.value(), out)) code = report_errors({*e});
  } else if (options.response) {
    if (auto e = decoder.decode_response(bytes.value(), *api, out)) code = report_errors({*e});
  } else {
    code = report_errors(decoder.decode_stream(bytes.value(), out));
  }
  write_stdout(out);
  return code;
}

}  // namespace kpipe::cli
