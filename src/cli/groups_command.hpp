#pragma once
// kpipe groups list|describe|reset|delete|delete-offsets|wait (kpipe-groups(1)).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "global_options.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

struct groups_options {
  // list
  std::vector<std::string> states;
  std::vector<std::string> types;
  // describe, delete
  std::vector<std::string> groups;
  bool all_groups = false;
  // reset, delete-offsets, wait
  std::string group;
  std::vector<std::string> topics;  // TOPIC or TOPIC:PARTITIONS
  bool all_topics = false;
  std::string to;
  bool execute = false;
  std::optional<std::int64_t> max_lag;
  std::string wait_timeout;
  std::string poll_interval = "500ms";

  CLI::App* list_cmd = nullptr;
  CLI::App* describe_cmd = nullptr;
  CLI::App* reset_cmd = nullptr;
  CLI::App* delete_cmd = nullptr;
  CLI::App* delete_offsets_cmd = nullptr;
  CLI::App* wait_cmd = nullptr;
};

CLI::App* register_groups(CLI::App& app, groups_options& options);
int run_groups(const global_options& global, const groups_options& options);

}  // namespace kpipe::cli
