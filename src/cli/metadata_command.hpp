#pragma once
// kpipe metadata: cluster id, controller, brokers, topics and partitions; --api-versions.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "global_options.hpp"
#include "net/connection.hpp"
#include "protocol/generated/metadata.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

struct metadata_options {
  std::vector<std::string> topics;
  bool api_versions = false;
};

// What one broker said about its API versions (for --api-versions).
struct broker_api_versions {
  std::int32_t node_id = -1;
  std::string address;
  std::optional<std::string> error;  // when the broker could not be reached
  std::int16_t api_versions_version = 0;
  std::map<std::int16_t, net::version_range> ranges;
};

struct metadata_report {
  protocol::metadata::response metadata;
  std::int16_t metadata_version = 0;
  std::vector<broker_api_versions> api_versions;  // empty unless asked for
};

CLI::App* register_metadata(CLI::App& app, metadata_options& options);
int run_metadata(const global_options& global, const metadata_options& options);

// Rendering, separate from fetching so that it can be tested on constructed reports. Brokers,
// topics and partitions come out sorted.
std::string render_metadata_text(const metadata_report& report);
std::string render_metadata_json(const metadata_report& report);

}  // namespace kpipe::cli
