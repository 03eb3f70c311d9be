#include "offsets_command.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <memory>

#include "client/cluster.hpp"
#include "client/group_offsets.hpp"
#include "client/list_offsets.hpp"
#include "event_loop.hpp"
#include "exit_codes.hpp"
#include "format/table.hpp"
#include "output.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {

namespace asio = boost::asio;

namespace {

// --time: earliest, latest, max-timestamp or epoch milliseconds.
result<std::int64_t> parse_time_query(const std::string& text) {
  if (text == "earliest" || text == "beginning") return client::earliest_timestamp;
  if (text == "latest" || text == "end") return client::latest_timestamp;
  if (text == "max-timestamp") return client::max_timestamp_query;
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc{} || end != text.data() + text.size() || ms < 0) {
    return error{error_kind::usage, "--time '" + text +
                                        "': expected earliest, latest, max-timestamp or "
                                        "milliseconds since the epoch"};
  }
  return ms;
}

int fail(const error& e) {
  std::cerr << "kpipe: offsets: " << e.message << '\n';
  return exit_code_for(e);
}

asio::awaitable<int> run_list(client::cluster& cluster, const global_options& global,
                              const offsets_options& o) {
  std::vector<std::string> topics(1, o.topic);
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) co_return fail(metadata.error());
  auto leaders = client::partition_leaders(metadata.value(), o.topic);
  if (!leaders) co_return fail(leaders.error());
  std::vector<std::int32_t> partitions = o.partitions;
  if (partitions.empty()) {
    for (const auto& [p, leader] : leaders.value()) partitions.push_back(p);
  }
  auto query = [&](std::int64_t timestamp) {
    std::map<std::int32_t, std::int64_t> q;
    for (auto p : partitions) q[p] = timestamp;
    return q;
  };
  bool committed = o.isolation == "read-committed";
  std::string out;
  if (!o.time) {
    auto earliest = co_await client::list_offsets(cluster, o.topic, leaders.value(),
                                                  query(client::earliest_timestamp), committed);
    if (!earliest) co_return fail(earliest.error());
    auto latest = co_await client::list_offsets(cluster, o.topic, leaders.value(),
                                                query(client::latest_timestamp), committed);
    if (!latest) co_return fail(latest.error());
    if (global.format == output_format::json) {
      util::json_writer j(out);
      j.begin_array();
      for (auto p : partitions) {
        j.begin_object();
        j.key("topic");
        j.value(o.topic);
        j.key("partition");
        j.value(p);
        j.key("earliest");
        j.value(earliest->at(p).offset);
        j.key("latest");
        j.value(latest->at(p).offset);
        j.end_object();
      }
      j.end_array();
      out += '\n';
    } else {
      text_table table({"PARTITION", "EARLIEST", "LATEST", "RECORDS"});
      for (auto p : partitions) {
        auto low = earliest->at(p).offset;
        auto high = latest->at(p).offset;
        table.add({std::to_string(p), std::to_string(low), std::to_string(high),
                   std::to_string(high - low)});
      }
      out = table.render();
    }
  } else {
    auto timestamp = parse_time_query(*o.time);
    if (!timestamp) co_return fail(timestamp.error());
    auto answers = co_await client::list_offsets(cluster, o.topic, leaders.value(),
                                                 query(timestamp.value()), committed);
    if (!answers) co_return fail(answers.error());
    if (global.format == output_format::json) {
      util::json_writer j(out);
      j.begin_array();
      for (auto p : partitions) {
        j.begin_object();
        j.key("topic");
        j.value(o.topic);
        j.key("partition");
        j.value(p);
        j.key("offset");
        j.value(answers->at(p).offset);
        j.key("timestamp");
        j.value(answers->at(p).timestamp);
        j.end_object();
      }
      j.end_array();
      out += '\n';
    } else {
      text_table table({"PARTITION", "OFFSET", "TIMESTAMP"});
      for (auto p : partitions) {
        table.add({std::to_string(p), std::to_string(answers->at(p).offset),
                   std::to_string(answers->at(p).timestamp)});
      }
      out = table.render();
    }
  }
  write_stdout(out);
  co_return exit_ok;
}

asio::awaitable<int> run_get(client::cluster& cluster, const global_options& global,
                             const offsets_options& o) {
  std::vector<std::string> topics(1, o.topic);
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) co_return fail(metadata.error());
  auto leaders = client::partition_leaders(metadata.value(), o.topic);
  if (!leaders) co_return fail(leaders.error());
  std::vector<std::int32_t> partitions = o.partitions;
  if (partitions.empty()) {
    for (const auto& [p, leader] : leaders.value()) partitions.push_back(p);
  }
  auto committed = co_await client::fetch_committed(cluster, o.group, o.topic, partitions);
  if (!committed) co_return fail(committed.error());
  std::string out;
  if (global.format == output_format::json) {
    util::json_writer j(out);
    j.begin_array();
    for (auto p : partitions) {
      j.begin_object();
      j.key("group");
      j.value(o.group);
      j.key("topic");
      j.value(o.topic);
      j.key("partition");
      j.value(p);
      j.key("offset");
      auto it = committed->find(p);
      if (it == committed->end() || it->second.offset < 0) {
        j.null();
      } else {
        j.value(it->second.offset);
      }
      j.end_object();
    }
    j.end_array();
    out += '\n';
  } else {
    text_table table({"PARTITION", "COMMITTED"});
    for (auto p : partitions) {
      auto it = committed->find(p);
      table.add({std::to_string(p), it == committed->end() || it->second.offset < 0
                                        ? std::string("-")
                                        : std::to_string(it->second.offset)});
    }
    out = table.render();
  }
  write_stdout(out);
  co_return exit_ok;
}

asio::awaitable<int> run_commit(client::cluster& cluster, const offsets_options& o) {
  if (o.partitions.size() != 1 || !o.offset) {
    co_return fail(error{error_kind::usage, "commit needs -p PARTITION and -o OFFSET"});
  }
  // The brokers (the coordinator among them) come with the topic's metadata.
  std::vector<std::string> topics(1, o.topic);
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) co_return fail(metadata.error());
  // Filled by hand: g++ 12 miscompiles initializer lists inside coroutines.
  std::map<std::int32_t, std::int64_t> offsets;
  offsets[o.partitions[0]] = *o.offset;
  client::commit_identity outsider;  // named: a temporary here trips g++ 12's coroutines
  auto committed = co_await client::commit_offsets(cluster, o.group, o.topic, offsets, outsider);
  if (!committed) co_return fail(committed.error());
  co_return exit_ok;
}

}  // namespace

CLI::App* register_offsets(CLI::App& app, offsets_options& o) {
  auto* cmd = app.add_subcommand("offsets", "Partition offsets and committed group offsets");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  kpipe offsets list -t orders\n"
      "  kpipe offsets list -t orders --time 1763769600000 --format json\n"
      "  kpipe offsets get -G billing -t orders\n"
      "  kpipe offsets commit -G billing -t orders -p 0 -o 42");
  auto* list = cmd->add_subcommand("list", "Earliest and latest offsets per partition");
  list->add_option("-t,--topic", o.topic, "Topic")->required()->type_name("TOPIC");
  list->add_option("-p,--partition", o.partitions, "Only these partitions")
      ->delimiter(',')
      ->type_name("N");
  list->add_option("--time", o.time,
                   "Instead: the offset for earliest|latest|max-timestamp|EPOCH_MS")
      ->type_name("TIME");
  list->add_option("--isolation", o.isolation,
                   "read-uncommitted (default: the log end) or read-committed (last stable)")
      ->check(CLI::IsMember({"read-committed", "read-uncommitted"}));
  auto* get = cmd->add_subcommand("get", "Committed offsets of a group");
  get->add_option("-G,--group", o.group, "Consumer group")->required()->type_name("GROUP");
  get->add_option("-t,--topic", o.topic, "Topic")->required()->type_name("TOPIC");
  get->add_option("-p,--partition", o.partitions, "Only these partitions")
      ->delimiter(',')
      ->type_name("N");
  auto* commit = cmd->add_subcommand("commit", "Commit an offset for a group");
  commit->add_option("-G,--group", o.group, "Consumer group")->required()->type_name("GROUP");
  commit->add_option("-t,--topic", o.topic, "Topic")->required()->type_name("TOPIC");
  commit->add_option("-p,--partition", o.partitions, "Partition")->required()->type_name("N");
  commit->add_option("-o,--offset", o.offset, "The next offset the group reads")
      ->required()
      ->type_name("OFFSET");
  o.list_cmd = list;
  o.get_cmd = get;
  o.commit_cmd = commit;
  return cmd;
}

int run_offsets(const global_options& global, const offsets_options& options) {
  return run_event_loop([&](asio::io_context& io) -> asio::awaitable<int> {
    auto cluster = std::make_unique<client::cluster>(io.get_executor(), global.broker_list,
                                                     global.connection_options());
    int code = exit_usage;
    if (options.list_cmd->parsed()) {
      code = co_await run_list(*cluster, global, options);
    } else if (options.get_cmd->parsed()) {
      code = co_await run_get(*cluster, global, options);
    } else if (options.commit_cmd->parsed()) {
      code = co_await run_commit(*cluster, options);
    }
    cluster->close();
    co_return code;
  });
}

}  // namespace kpipe::cli
