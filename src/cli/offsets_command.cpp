#include "offsets_command.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <variant>

#include "client/cluster.hpp"
#include "client/group_offsets.hpp"
#include "client/list_offsets.hpp"
#include "event_loop.hpp"
#include "exit_codes.hpp"
#include "format/table.hpp"
#include "output.hpp"
#include "parse/time_spec.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {

namespace asio = boost::asio;

namespace {

// --time: earliest, latest, max-timestamp, or a point in time in any form consume's -o @TIME
// takes (epoch milliseconds, ISO 8601, now, -1h...).
result<std::int64_t> parse_time_query(const std::string& text) {
  if (text == "earliest" || text == "beginning") return client::earliest_timestamp;
  if (text == "latest" || text == "end") return client::latest_timestamp;
  if (text == "max-timestamp") return client::max_timestamp_query;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto ms = parse_time(text, now);
  if (!ms) {
    return error{error_kind::usage,
                 "--time: " + ms.error().message + " (or earliest, latest, max-timestamp)"};
  }
  return ms;
}

int fail(const error& e) {
  std::cerr << "kpipe: offsets: " << e.message << '\n';
  return exit_code_for(e);
}

// The topic's partition leaders and the partitions asked for (-p, else all).
struct topic_partitions {
  std::map<std::int32_t, std::int32_t> leaders;
  std::vector<std::int32_t> partitions;
};

asio::awaitable<result<topic_partitions>> find_partitions(client::cluster& cluster,
                                                          const offsets_options& o) {
  std::vector<std::string> topics(1, o.topic);
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) co_return metadata.error();
  auto leaders = client::partition_leaders(metadata.value(), o.topic);
  if (!leaders) co_return leaders.error();
  topic_partitions found;
  found.leaders = std::move(leaders).value();
  found.partitions = o.partitions;
  if (found.partitions.empty()) {
    for (const auto& [p, leader] : found.leaders) found.partitions.push_back(p);
  }
  co_return found;
}

// A column of the output: its member name in JSON and its heading in the table; either may be
// empty (the topic and group are only in JSON, the command line names them; the record count
// only in the table).
struct column {
  std::string key;
  std::string heading;
};

// A cell without a value is null in JSON and "-" in the table.
using cell = std::variant<std::string, std::int64_t, std::monostate>;

// One row per partition, as a table (text) or a JSON array of objects.
std::string render_rows(output_format format, const std::vector<column>& columns,
                        const std::vector<std::vector<cell>>& rows) {
  std::string out;
  if (format == output_format::json) {
    util::json_writer j(out);
    j.begin_array();
    for (const auto& row : rows) {
      j.begin_object();
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].key.empty()) continue;
        j.key(columns[i].key);
        if (const auto* text = std::get_if<std::string>(&row[i])) {
          j.value(*text);
        } else if (const auto* number = std::get_if<std::int64_t>(&row[i])) {
          j.value(*number);
        } else {
          j.null();
        }
      }
      j.end_object();
    }
    j.end_array();
    out += '\n';
    return out;
  }
  std::vector<std::string> headings;
  for (const auto& c : columns) {
    if (!c.heading.empty()) headings.push_back(c.heading);
  }
  text_table table(headings);
  for (const auto& row : rows) {
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].heading.empty()) continue;
      if (const auto* text = std::get_if<std::string>(&row[i])) {
        texts.push_back(*text);
      } else if (const auto* number = std::get_if<std::int64_t>(&row[i])) {
        texts.push_back(std::to_string(*number));
      } else {
        texts.emplace_back("-");
      }
    }
    table.add(texts);
  }
  return table.render();
}

asio::awaitable<int> run_list(client::cluster& cluster, const global_options& global,
                              const offsets_options& o) {
  std::optional<std::int64_t> timestamp;
  if (o.time) {
    auto parsed = parse_time_query(*o.time);
    if (!parsed) co_return fail(parsed.error());
    timestamp = parsed.value();
  }
  auto found = co_await find_partitions(cluster, o);
  if (!found) co_return fail(found.error());
  auto query = [&](std::int64_t t) {
    std::map<std::int32_t, std::int64_t> q;
    for (auto p : found->partitions) q[p] = t;
    return q;
  };
  bool committed = o.isolation == "read-committed";
  std::vector<std::vector<cell>> rows;
  if (!timestamp) {
    auto earliest = co_await client::list_offsets(cluster, o.topic, found->leaders,
                                                  query(client::earliest_timestamp), committed);
    if (!earliest) co_return fail(earliest.error());
    auto latest = co_await client::list_offsets(cluster, o.topic, found->leaders,
                                                query(client::latest_timestamp), committed);
    if (!latest) co_return fail(latest.error());
    for (auto p : found->partitions) {
      auto low = earliest->at(p).offset;
      auto high = latest->at(p).offset;
      rows.push_back({o.topic, std::int64_t{p}, low, high, high - low});
    }
    const std::vector<column> columns = {{"topic", ""},
                                         {"partition", "PARTITION"},
                                         {"earliest", "EARLIEST"},
                                         {"latest", "LATEST"},
                                         {"", "RECORDS"}};
    write_stdout(render_rows(global.format, columns, rows));
  } else {
    auto answers = co_await client::list_offsets(cluster, o.topic, found->leaders,
                                                 query(*timestamp), committed);
    if (!answers) co_return fail(answers.error());
    for (auto p : found->partitions) {
      rows.push_back({o.topic, std::int64_t{p}, answers->at(p).offset, answers->at(p).timestamp});
    }
    const std::vector<column> columns = {{"topic", ""},
                                         {"partition", "PARTITION"},
                                         {"offset", "OFFSET"},
                                         {"timestamp", "TIMESTAMP"}};
    write_stdout(render_rows(global.format, columns, rows));
  }
  co_return exit_ok;
}

asio::awaitable<int> run_get(client::cluster& cluster, const global_options& global,
                             const offsets_options& o) {
  auto found = co_await find_partitions(cluster, o);
  if (!found) co_return fail(found.error());
  auto committed = co_await client::fetch_committed(cluster, o.group, o.topic, found->partitions);
  if (!committed) co_return fail(committed.error());
  std::vector<std::vector<cell>> rows;
  for (auto p : found->partitions) {
    auto it = committed->find(p);
    cell offset = std::monostate{};
    if (it != committed->end() && it->second.offset >= 0) offset = it->second.offset;
    rows.push_back({o.group, o.topic, std::int64_t{p}, offset});
  }
  const std::vector<column> columns = {
      {"group", ""}, {"topic", ""}, {"partition", "PARTITION"}, {"offset", "COMMITTED"}};
  write_stdout(render_rows(global.format, columns, rows));
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
  client::offsets_by_topic offsets;
  offsets[o.topic][o.partitions[0]] = *o.offset;
  client::commit_identity outsider;  // named: a temporary here trips g++ 12's coroutines
  auto committed = co_await client::commit_offsets(cluster, o.group, offsets, outsider);
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
  list->add_option(
          "--time", o.time,
          "Instead: the offset for earliest|latest|max-timestamp|TIME (epoch ms, ISO 8601, "
          "-1h, now)")
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
