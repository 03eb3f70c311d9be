#pragma once
// kpipe produce: records from stdin or files to a topic (kpipe(1), PRODUCE).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/producer.hpp"
#include "format/envelope.hpp"
#include "global_options.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

// As typed on the command line. Options left unset fall back to -X properties, then defaults.
struct produce_options {
  std::string topic;
  std::vector<std::string> files;
  std::optional<std::string> delimiter;      // -D, with escapes
  std::optional<std::string> key_delimiter;  // -K
  std::optional<std::string> key;            // -k
  std::vector<std::string> headers;          // -H K=V
  bool null_empty = false;                   // -Z
  bool delimited_files = false;              // -l
  bool json = false;                         // -J
  std::optional<std::int32_t> partition;     // -p
  std::optional<std::string> partitioner;
  std::optional<std::string> compression;  // -z
  std::optional<std::string> acks;
  bool no_idempotence = false;
  std::optional<std::string> transactional_id;
  std::optional<std::string> batch_bytes;
  std::optional<std::size_t> batch_records;
  std::optional<std::string> linger;
  std::optional<int> max_inflight;
  std::optional<double> rate;
  bool dry_run = false;
  bool tee = false;
  std::optional<std::string> format;  // -f, the layout of --tee
  bool stats = false;
  std::string on_error = "stop";
};

// Everything checked and converted: what the run uses.
struct produce_settings {
  std::string topic;
  std::vector<std::string> files;
  std::string delimiter = "\n";
  std::optional<std::string> key_delimiter;
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  bool null_empty = false;
  bool delimited_files = false;
  bool json = false;
  std::optional<std::int32_t> partition;
  client::producer_options producer;
  std::optional<double> rate;
  bool dry_run = false;
  bool tee = false;
  std::optional<std::string> format;
  bool stats = false;
  bool skip_errors = false;
};

CLI::App* register_produce(CLI::App& app, produce_options& options);

// Flags over -X properties over defaults; a usage error names the flag or property.
result<produce_settings> resolve_produce(const produce_options& options,
                                         const global_options& global);

int run_produce(const global_options& global, const produce_options& options);

}  // namespace kpipe::cli
