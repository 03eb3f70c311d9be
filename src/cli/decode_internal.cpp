#include "decode_internal.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>

#include "exit_codes.hpp"
#include "format/envelope.hpp"
#include "output.hpp"
#include "record/internal_topic_records.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {
namespace {

std::optional<std::span<const std::uint8_t>> as_bytes(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s->data()), s->size());
}

std::optional<record::internal_topic> topic_for(std::string_view which,
                                                const std::optional<std::string>& topic) {
  if (which == "none") return std::nullopt;
  if (which == "consumer-offsets") return record::internal_topic::consumer_offsets;
  if (which == "transaction-state") return record::internal_topic::transaction_state;
  if (!topic) return std::nullopt;
  return record::internal_topic_named(*topic);
}

}  // namespace

internal_line_result add_internal_to_line(std::string_view line, std::string_view which) {
  internal_line_result result;
  parsed_envelope envelope;
  if (auto parsed = parse_envelope(line, envelope); !parsed) {
    result.out = std::string(line);
    result.error = parsed.error().message;
    return result;
  }
  auto topic = topic_for(which, envelope.topic);
  // The envelope is one JSON object (parse_envelope checked it): its last '}' closes it.
  std::size_t close = line.find_last_of('}');
  if (!topic || close == std::string_view::npos) {
    result.out = std::string(line);
    return result;
  }
  result.out.reserve(line.size() + 2 * (envelope.key ? envelope.key->size() : 0) +
                     2 * (envelope.value ? envelope.value->size() : 0) + 64);
  result.out.append(line.substr(0, close));
  result.out += ",\"internal\":";
  util::json_writer j(result.out);
  std::string why;
  auto status = record::write_internal_record_json(j, *topic, as_bytes(envelope.key),
                                                   as_bytes(envelope.value), &why);
  result.out.append(line.substr(close));
  if (status == record::internal_record_status::malformed) {
    result.error = std::string(record::internal_topic_name(*topic)) + " " + why;
    if (envelope.offset)
      result.error = "offset " + std::to_string(*envelope.offset) + ": " + result.error;
  }
  return result;
}

int run_decode_internal(const std::string& file, const std::string& which) {
  std::ifstream in_file;
  std::istream* in = &std::cin;
  const std::string name = file == "-" ? "stdin" : file;
  if (file != "-") {
    in_file.open(file, std::ios::binary);
    if (!in_file) {
      std::cerr << "kpipe: decode: " << file << ": " << std::strerror(errno) << '\n';
      return errno == ENOENT ? exit_not_found : exit_failure;
    }
    in = &in_file;
  }
  constexpr std::size_t flush_every = std::size_t{1} << 20;
  std::string out;
  std::string line;
  std::size_t number = 0;
  bool ok = true;
  while (std::getline(*in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto r = add_internal_to_line(line, which);
    if (!r.error.empty()) {
      std::cerr << "kpipe: decode: " << name << ": line " << number << ": " << r.error << '\n';
      ok = false;
    }
    out += r.out;
    out += '\n';
    if (out.size() >= flush_every) {
      if (!write_stdout(out)) return write_interrupted() ? exit_interrupted : exit_ok;
      out.clear();
    }
  }
  if (in->bad()) {
    std::cerr << "kpipe: decode: " << name << ": read error\n";
    ok = false;
  }
  if (!out.empty() && !write_stdout(out) && write_interrupted()) return exit_interrupted;
  return ok ? exit_ok : exit_failure;
}

}  // namespace kpipe::cli
