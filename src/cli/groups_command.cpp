#include "groups_command.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>

#include "client/cluster.hpp"
#include "client/group_admin.hpp"
#include "client/list_offsets.hpp"
#include "event_loop.hpp"
#include "exit_codes.hpp"
#include "format/table.hpp"
#include "groups/groups.hpp"
#include "output.hpp"
#include "protocol/generated/error_table.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {

namespace asio = boost::asio;

namespace groups {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int fail(const char* subcommand, const error& e) {
  std::cerr << "kpipe: groups " << subcommand << ": " << e.message << '\n';
  return exit_code_for(e);
}

int fail(const char* subcommand, error_kind kind, const std::string& message) {
  return fail(subcommand, error{kind, message});
}

int fail_usage(const char* subcommand, const std::string& message) {
  return fail(subcommand, error{error_kind::usage, message});
}

namespace {

asio::awaitable<int> run_list(client::cluster& cluster, const global_options& global,
                              const groups_options& o) {
  client::list_groups_filter filter;
  for (const auto& text : o.states) {
    auto state = client::canonical_group_state(text);
    if (!state) {
      std::string known;
      for (const auto& s : client::known_group_states()) known += (known.empty() ? "" : ", ") + s;
      co_return fail_usage("list", "unknown --state \"" + text + "\" (one of " + known + ")");
    }
    filter.states.push_back(*state);
  }
  for (const auto& text : o.types) {
    auto type = client::canonical_group_type(text);
    if (!type) {
      co_return fail_usage(
          "list", "unknown --type \"" + text + "\" (one of classic, consumer, share, streams)");
    }
    filter.types.push_back(*type);
  }
  auto listed = co_await client::list_groups(cluster, filter);
  if (!listed) co_return fail("list", listed.error());
  write_stdout(render_list(global.format, listed.value()));
  co_return exit_ok;
}

asio::awaitable<int> run_delete(client::cluster& cluster, const global_options& global,
                                const groups_options& o) {
  auto outcomes = co_await client::delete_groups(cluster, o.groups);
  int code = exit_ok;
  std::string out;
  util::json_writer j(out);
  if (global.format == output_format::json) j.begin_array();
  for (const auto& [group, outcome] : outcomes) {
    if (global.format == output_format::json) {
      j.begin_object();
      j.key("group");
      j.value(group);
      j.key("deleted");
      j.value(outcome.ok());
      j.key("error");
      if (outcome.ok()) {
        j.null();
      } else {
        j.value(outcome.error().message);
      }
      j.end_object();
    } else if (outcome.ok()) {
      out += "deleted group " + group + "\n";
    }
    if (!outcome.ok()) {
      int failed = fail("delete", outcome.error());
      if (code == exit_ok) code = failed;
    }
  }
  if (global.format == output_format::json) {
    j.end_array();
    out += '\n';
  }
  write_stdout(out);
  co_return code;
}

asio::awaitable<int> run_delete_offsets(client::cluster& cluster, const global_options& global,
                                        const groups_options& o) {
  if (o.topics.empty()) co_return fail_usage("delete-offsets", "give -t TOPIC[:PARTITIONS]");
  std::vector<groups::topic_selection> selections;
  std::vector<std::string> topics;
  for (const auto& text : o.topics) {
    auto parsed = groups::parse_topic_selection(text);
    if (!parsed) co_return fail("delete-offsets", parsed.error());
    topics.push_back(parsed->topic);
    selections.push_back(std::move(parsed).value());
  }
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) co_return fail("delete-offsets", metadata.error());
  client::partitions_of_topics which;
  for (const auto& s : selections) {
    auto leaders = client::partition_leaders(metadata.value(), s.topic);
    if (!leaders) co_return fail("delete-offsets", leaders.error());
    auto& partitions = which[s.topic];
    if (s.partitions.empty()) {
      for (const auto& [p, leader] : leaders.value()) partitions.push_back(p);
    } else {
      for (auto p : s.partitions) {
        if (!leaders->contains(p)) {
          co_return fail("delete-offsets", error_kind::not_found,
                         "partition " + std::to_string(p) + " of " + s.topic + " does not exist");
        }
        partitions.push_back(p);
      }
    }
  }
  auto outcomes = co_await client::delete_offsets(cluster, o.group, which);
  if (!outcomes) co_return fail("delete-offsets", outcomes.error());
  int code = exit_ok;
  std::string out;
  if (global.format == output_format::json) {
    util::json_writer j(out);
    j.begin_array();
    for (const auto& r : outcomes.value()) {
      j.begin_object();
      j.key("topic");
      j.value(r.topic);
      j.key("partition");
      j.value(r.partition);
      j.key("error");
      if (r.error_code == protocol::errc::none) {
        j.null();
      } else {
        j.value(protocol::error_name(r.error_code));
      }
      j.end_object();
    }
    j.end_array();
    out += '\n';
  } else {
    text_table table({"TOPIC", "PARTITION", "RESULT"});
    for (const auto& r : outcomes.value()) {
      table.add({r.topic, std::to_string(r.partition),
                 r.error_code == protocol::errc::none
                     ? "deleted"
                     : std::string(protocol::error_name(r.error_code))});
    }
    out = table.render();
  }
  for (const auto& r : outcomes.value()) {
    if (r.error_code == protocol::errc::none) continue;
    std::string why = r.error_code == protocol::errc::group_subscribed_to_topic
                          ? "a member of the group still reads the topic"
                          : std::string(protocol::error_name(r.error_code));
    std::cerr << "kpipe: groups delete-offsets: " << r.topic << "/" << r.partition << ": " << why
              << '\n';
    code = r.error_code == protocol::errc::topic_authorization_failed ||
                   r.error_code == protocol::errc::group_authorization_failed
               ? exit_auth
               : exit_failure;
  }
  write_stdout(out);
  co_return code;
}

}  // namespace
}  // namespace groups

CLI::App* register_groups(CLI::App& app, groups_options& o) {
  auto* cmd = app.add_subcommand("groups", "Consumer groups: list, describe, lag, reset, delete");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  kpipe groups list --type consumer\n"
      "  kpipe groups describe billing\n"
      "  kpipe groups reset billing -t orders --to earliest --execute\n"
      "  kpipe groups wait billing --max-lag 0 --timeout 5m\n"
      "\n"
      "See kpipe-groups(1).");

  auto* list = cmd->add_subcommand("list", "Every group with its type, state and protocol type");
  list->add_option("--state", o.states,
                   "Only groups in this state (repeatable): Empty, Stable, PreparingRebalance, "
                   "CompletingRebalance, Dead, Assigning, Reconciling")
      ->type_name("STATE");
  list->add_option("--type", o.types,
                   "Only groups of this type (repeatable): classic|consumer|share")
      ->type_name("TYPE");
  list->footer(
      "Examples:\n"
      "  kpipe groups list\n"
      "  kpipe groups list --state Stable --state Empty\n"
      "  kpipe groups list --type consumer --format json");

  auto* describe = cmd->add_subcommand(
      "describe", "State, members, committed offsets, lag in records and in time");
  describe->add_option("group", o.groups, "Groups to describe")->type_name("GROUP");
  describe->add_flag("--all", o.all_groups, "Every classic and consumer group");
  describe->footer(
      "Per partition: the committed offset ('-' without one), the log start and end, the lag\n"
      "in records and in time (the age of the oldest record not consumed yet; 0 when caught\n"
      "up), and the member that owns it; totals per topic and for the group.\n"
      "\n"
      "Examples:\n"
      "  kpipe groups describe billing\n"
      "  kpipe groups describe billing audit --format json\n"
      "  kpipe groups describe --all");

  auto* reset = cmd->add_subcommand(
      "reset", "Plan new committed offsets for a group without members; --execute commits them");
  reset->add_option("group", o.group, "Group")->required()->type_name("GROUP");
  reset
      ->add_option("-t,--topic", o.topics,
                   "Topic, optionally with partitions: orders or orders:0,2-4 (repeatable)")
      ->type_name("TOPIC[:PARTITIONS]");
  reset->add_flag("--all-topics", o.all_topics, "Every topic the group has committed offsets for");
  reset
      ->add_option("--to", o.to,
                   "earliest|latest|current|offset:N|shift:+N|shift:-N|time:TIME|ago:DURATION|"
                   "file:PATH")
      ->required()
      ->type_name("TARGET");
  reset->add_flag("--execute", o.execute, "Commit the plan (without it nothing changes)");
  reset->footer(
      "TIME takes every form of consume's -o @TIME: epoch milliseconds, ISO 8601 (UTC unless a\n"
      "zone is given), now, -1h. file:PATH reads the JSON that --format json prints or the CSV\n"
      "of kafka-consumer-groups --reset-offsets --export (TOPIC,PARTITION,OFFSET lines).\n"
      "Targets outside the log are moved to its start or end, with a warning. Without a\n"
      "commit, current and shift start from the log end. A group with members is refused.\n"
      "\n"
      "Examples:\n"
      "  kpipe groups reset billing -t orders --to earliest\n"
      "  kpipe groups reset billing -t orders:0,1 --to shift:-100 --execute\n"
      "  kpipe groups reset billing --all-topics --to time:2026-11-01T00:00Z --execute\n"
      "  kpipe groups reset billing -t orders --to ago:2h --format json > plan.json\n"
      "  kpipe groups reset billing --to file:plan.json --execute");

  auto* del = cmd->add_subcommand("delete", "Delete groups without members and their offsets");
  del->add_option("group", o.groups, "Groups to delete")->required()->type_name("GROUP");
  del->footer(
      "Examples:\n"
      "  kpipe groups delete billing\n"
      "  kpipe groups delete old-a old-b --format json");

  auto* delete_offsets = cmd->add_subcommand(
      "delete-offsets", "Delete a group's committed offsets of topics it no longer reads");
  delete_offsets->add_option("group", o.group, "Group")->required()->type_name("GROUP");
  delete_offsets
      ->add_option("-t,--topic", o.topics,
                   "Topic, optionally with partitions: orders or orders:0,2-4 (repeatable)")
      ->required()
      ->type_name("TOPIC[:PARTITIONS]");
  delete_offsets->footer(
      "Examples:\n"
      "  kpipe groups delete-offsets billing -t old-orders\n"
      "  kpipe groups delete-offsets billing -t orders:3");

  auto* wait = cmd->add_subcommand(
      "wait", "Wait until a group's total lag is at most --max-lag (exit 0), or time out (5)");
  wait->add_option("group", o.group, "Group")->required()->type_name("GROUP");
  wait->add_option("--max-lag", o.max_lag, "Records the group may still be behind")
      ->required()
      ->type_name("N");
  wait->add_option("--timeout", o.wait_timeout, "How long to wait (30s, 5m, 1h)")
      ->required()
      ->type_name("DURATION");
  wait->add_option("-t,--topic", o.topics,
                   "Only this topic, all of its partitions (unread ones count from the log start)")
      ->type_name("TOPIC");
  wait->add_option("--interval", o.poll_interval, "Time between two looks (default 500ms)")
      ->type_name("DURATION");
  wait->footer(
      "The lag is the sum over the group's partitions of log end minus committed offset; a\n"
      "partition without a commit counts all of its records. A group that does not exist yet\n"
      "is waited for. On timeout the last lag seen goes to stderr.\n"
      "\n"
      "Examples:\n"
      "  kpipe groups wait billing --max-lag 0 --timeout 5m\n"
      "  kpipe groups wait billing -t orders --max-lag 100 --timeout 30s && deploy.sh");

  o.list_cmd = list;
  o.describe_cmd = describe;
  o.reset_cmd = reset;
  o.delete_cmd = del;
  o.delete_offsets_cmd = delete_offsets;
  o.wait_cmd = wait;
  return cmd;
}

int run_groups(const global_options& global, const groups_options& options) {
  return run_event_loop([&](asio::io_context& io) -> asio::awaitable<int> {
    auto cluster = std::make_unique<client::cluster>(io.get_executor(), global.broker_list,
                                                     global.connection_options());
    int code = exit_usage;
    if (options.list_cmd->parsed()) {
      code = co_await groups::run_list(*cluster, global, options);
    } else if (options.describe_cmd->parsed()) {
      code = co_await groups::run_describe(*cluster, global, options);
    } else if (options.reset_cmd->parsed()) {
      code = co_await groups::run_reset(*cluster, global, options);
    } else if (options.delete_cmd->parsed()) {
      code = co_await groups::run_delete(*cluster, global, options);
    } else if (options.delete_offsets_cmd->parsed()) {
      code = co_await groups::run_delete_offsets(*cluster, global, options);
    } else if (options.wait_cmd->parsed()) {
      code = co_await groups::run_wait(*cluster, global, options);
    }
    cluster->close();
    co_return code;
  });
}

}  // namespace kpipe::cli
