#pragma once
// kpipe consume: records of one or more topics to stdout (kpipe(1), CONSUME).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "global_options.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

struct consume_options {
  bool check_crcs = true;  // property check.crcs: false reads batches whose CRC32C is wrong
  std::vector<std::string> topics;
  std::vector<std::int32_t> partitions;
  std::optional<std::string> offset;  // default: beginning, or end in group mode
  std::optional<std::string> group;
  // The group protocol: "classic" (JoinGroup/SyncGroup, assignor run by a member) or
  // "consumer" (KIP-848: ConsumerGroupHeartbeat, assignor run by the broker); property
  // group.protocol.
  std::string group_protocol = "classic";
  bool group_protocol_given = false;
  // classic: range (default), roundrobin, cooperative-sticky; consumer: uniform or range
  // (default: the broker's first, uniform); property group.remote.assignor for consumer.
  std::optional<std::string> assignor;
  std::optional<std::string> instance_id;
  std::string commit = "after-write";
  bool exit_at_end = false;
  std::optional<std::uint64_t> count;
  std::optional<std::string> format;
  bool json = false;
  std::optional<std::string> delimiter;
  std::optional<std::string> key_delimiter;
  std::string key_encoding = "auto";
  std::string value_encoding = "auto";
  std::string isolation = "read-committed";
  bool isolation_given = false;  // --isolation beats -X isolation.level
  bool print_control_records = false;
  bool unbuffered = false;
  std::vector<std::string> grep;
};

CLI::App* register_consume(CLI::App& app, consume_options& options);
int run_consume(const global_options& global, const consume_options& options);

}  // namespace kpipe::cli
