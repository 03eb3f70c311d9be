#pragma once
// The pieces of `kpipe groups` shared by its subcommands: parsing the command line's values
// (pure, unit-tested), gathering what the brokers say about a group, and rendering it.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/group_admin.hpp"
#include "client/group_lag.hpp"
#include "global_options.hpp"
#include "groups_command.hpp"
#include "util/result.hpp"

namespace kpipe::cli::groups {

// ---- values on the command line -----------------------------------------------------------

// -t TOPIC or TOPIC:PARTITIONS, where PARTITIONS is a comma-separated list of partitions and
// ranges (0,2,5-7). No partitions: all of the topic's.
struct topic_selection {
  std::string topic;
  std::vector<std::int32_t> partitions;  // sorted, unique; empty: all
};
result<topic_selection> parse_topic_selection(std::string_view text);

// --to of reset: earliest, latest, current, offset:N, shift:+N / shift:-N, time:TIME (every form
// of consume's -o @TIME), ago:DURATION, file:PATH. Times are resolved against now_ms.
struct reset_to {
  client::reset_target target;
  std::optional<std::string> file;  // file:PATH (target.what is `given`)
};
result<reset_to> parse_reset_to(std::string_view text, std::int64_t now_ms);

// Per topic, per partition: an offset from a plan file.
using planned_offsets = std::map<std::string, std::map<std::int32_t, std::int64_t>>;

// A plan file: the JSON that `groups reset --format json` prints (or its "partitions" array
// alone), or the CSV of kafka-consumer-groups --reset-offsets --export: TOPIC,PARTITION,OFFSET
// lines, or GROUP,TOPIC,PARTITION,OFFSET when it exported several groups (only `group`'s lines
// are taken then). Errors (usage) name the line.
result<planned_offsets> parse_plan_file(std::string_view text, const std::string& group);

// ---- what the brokers say about a group ---------------------------------------------------

struct group_report {
  client::group_description description;
  bool exists = true;  // false: the coordinator knows no such group (wait, reset)
  std::string coordinator_address;
  // Sorted by topic, then partition: every partition with a commit or assigned to a member
  // (plus, for wait -t, every partition of that topic).
  std::vector<client::partition_position> partitions;
  std::vector<std::string> warnings;
};

struct gather_options {
  std::optional<std::string> only_topic;  // partitions of this topic only, all of them
  bool timestamps = true;                 // read the records at the committed offsets
  bool missing_is_empty = false;          // a group that does not exist is an empty report
  std::chrono::milliseconds timestamp_deadline{5000};
};

boost::asio::awaitable<result<group_report>> gather_report(client::cluster& cluster,
                                                           const std::string& group,
                                                           const gather_options& options);

// ---- rendering ----------------------------------------------------------------------------

std::string render_list(output_format format, const std::vector<client::listed_group>& groups);
std::string render_describe(output_format format, const std::vector<group_report>& reports,
                            std::int64_t now_ms);
std::string render_plan(output_format format, const std::string& group,
                        const std::vector<client::reset_step>& plan, bool executed);

// "TOPIC:0,1,2 OTHER:3" for an assignment; "-" for none.
std::string format_assignment(const client::group::topic_partitions& assignment);
// A duration for people: 850ms, 12.3s, 5m03s, 2h05m, 3d04h.
std::string format_age(std::int64_t ms);

// ---- subcommands --------------------------------------------------------------------------

std::int64_t now_ms();
int fail(const char* subcommand, const error& e);
int fail(const char* subcommand, error_kind kind, const std::string& message);
int fail_usage(const char* subcommand, const std::string& message);

boost::asio::awaitable<int> run_describe(client::cluster& cluster, const global_options& global,
                                         const groups_options& options);
boost::asio::awaitable<int> run_reset(client::cluster& cluster, const global_options& global,
                                      const groups_options& options);
boost::asio::awaitable<int> run_wait(client::cluster& cluster, const global_options& global,
                                     const groups_options& options);

}  // namespace kpipe::cli::groups
