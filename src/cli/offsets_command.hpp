#pragma once
// kpipe offsets list|get|commit (kpipe(1), OFFSETS).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "global_options.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

struct offsets_options {
  std::string topic;
  std::string group;
  std::vector<std::int32_t> partitions;
  std::optional<std::string> time;
  std::optional<std::int64_t> offset;
  std::string isolation = "read-uncommitted";
  CLI::App* list_cmd = nullptr;
  CLI::App* get_cmd = nullptr;
  CLI::App* commit_cmd = nullptr;
};

CLI::App* register_offsets(CLI::App& app, offsets_options& options);
int run_offsets(const global_options& global, const offsets_options& options);

}  // namespace kpipe::cli
