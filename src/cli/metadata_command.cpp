#include "metadata_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "client/cluster.hpp"
#include "client/sent_versions.hpp"
#include "event_loop.hpp"
#include "exit_codes.hpp"
#include "format/table.hpp"
#include "output.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "util/base64.hpp"

namespace kpipe::cli {
namespace {

namespace md = protocol::metadata;
using json = nlohmann::ordered_json;

constexpr std::int16_t unknown_topic_or_partition = 3;
constexpr std::int16_t topic_authorization_failed = 29;

std::string join_ids(const std::vector<std::int32_t>& ids) {
  if (ids.empty()) return "-";
  std::string out;
  for (auto id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

std::string range_text(std::int16_t min, std::int16_t max) {
  return min == max ? std::to_string(min) : std::to_string(min) + "-" + std::to_string(max);
}

bool has_topic_id(const protocol::uuid& id) {
  return std::any_of(id.begin(), id.end(), [](std::uint8_t b) { return b != 0; });
}

std::vector<const md::response::topic*> sorted_topics(const md::response& m) {
  std::vector<const md::response::topic*> out;
  for (const auto& t : m.topics) out.push_back(&t);
  std::sort(out.begin(), out.end(),
            [](auto* a, auto* b) { return a->name.value_or("") < b->name.value_or(""); });
  return out;
}

std::vector<const md::response::partition*> sorted_partitions(const md::response::topic& t) {
  std::vector<const md::response::partition*> out;
  for (const auto& p : t.partitions) out.push_back(&p);
  std::sort(out.begin(), out.end(),
            [](auto* a, auto* b) { return a->partition_index < b->partition_index; });
  return out;
}

std::vector<const md::response::broker*> sorted_brokers(const md::response& m) {
  std::vector<const md::response::broker*> out;
  for (const auto& b : m.brokers) out.push_back(&b);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->node_id < b->node_id; });
  return out;
}

// The keys of both kpipe's and a broker's API tables, in order.
std::vector<std::int16_t> api_keys_of(const broker_api_versions& broker) {
  std::vector<std::int16_t> keys;
  for (const auto& api : protocol::all_apis()) keys.push_back(api.key);
  for (const auto& [key, range] : broker.ranges) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// The version kpipe sends: the highest that both sides support, lowered where kpipe's client
// code stops below its protocol table (client/sent_versions.hpp).
std::optional<std::int16_t> used_version(const protocol::api_info* ours,
                                         const net::version_range* theirs) {
  if (!ours || !theirs) return std::nullopt;
  auto high = std::min(ours->max_version, theirs->max);
  auto low = std::max(ours->min_version, theirs->min);
  if (high < low) return std::nullopt;
  return client::sent_version(ours->key, high);
}

int exit_code_of(const metadata_report& report, const metadata_options& options) {
  int code = exit_ok;
  for (const auto& t : report.metadata.topics) {
    if (t.error_code == unknown_topic_or_partition) {
      code = std::max<int>(code, exit_not_found);
    } else if (t.error_code == topic_authorization_failed) {
      code = code == exit_ok ? exit_auth : code;
    }
  }
  if (options.api_versions) {
    for (const auto& b : report.api_versions) {
      if (b.error) code = code == exit_ok ? exit_failure : code;
    }
  }
  return code;
}

boost::asio::awaitable<int> fetch_and_print(boost::asio::io_context& io,
                                            const global_options& global,
                                            const metadata_options& options) {
  client::cluster cluster(io.get_executor(), global.broker_list, global.connection_options());
  std::optional<std::vector<std::string>> topics;
  if (!options.topics.empty()) topics = options.topics;
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) {
    std::cerr << "kpipe: " << metadata.error().message << '\n';
    cluster.close();
    co_return exit_code_for(metadata.error());
  }
  metadata_report report{std::move(metadata.value()), cluster.metadata_version(), {}};
  if (options.api_versions) {
    for (const auto* broker : sorted_brokers(report.metadata)) {
      broker_api_versions entry;
      entry.node_id = broker->node_id;
      entry.address =
          net::broker_address{broker->host, static_cast<std::uint16_t>(broker->port)}.to_string();
      auto conn = co_await cluster.connection_to(broker->node_id);
      if (!conn) {
        entry.error = conn.error().message;
        std::cerr << "kpipe: " << conn.error().message << '\n';
      } else {
        entry.ranges = conn.value()->broker_versions();
        entry.api_versions_version = conn.value()->api_versions_version();
      }
      report.api_versions.push_back(std::move(entry));
    }
  }
  cluster.close();
  for (const auto& t : report.metadata.topics) {
    if (t.error_code != protocol::errc::none) {
      std::cerr << "kpipe: topic " << t.name.value_or("?") << ": "
                << protocol::error_name(t.error_code) << '\n';
    }
  }
  std::string out = global.format == output_format::json ? render_metadata_json(report)
                                                         : render_metadata_text(report);
  write_stdout(out);
  co_return exit_code_of(report, options);
}

}  // namespace

CLI::App* register_metadata(CLI::App& app, metadata_options& options) {
  auto* cmd = app.add_subcommand("metadata", "Show brokers, topics and partitions");
  cmd->add_option("-t,--topic", options.topics, "Only these topics (repeatable)")
      ->type_name("TOPIC");
  cmd->add_flag("--api-versions", options.api_versions,
                "Also list each broker's API version ranges beside kpipe's");
  cmd->footer(
      "Examples:\n"
      "  kpipe metadata -b localhost:9092\n"
      "  kpipe metadata -t orders -t payments --format json\n"
      "  kpipe metadata --api-versions\n"
      "\n"
      "Exit status: 0 ok, 1 error, 2 usage, 4 a requested topic does not exist, 5 timed out.");
  return cmd;
}

int run_metadata(const global_options& global, const metadata_options& options) {
  return run_event_loop(
      [&](boost::asio::io_context& io) { return fetch_and_print(io, global, options); });
}

std::string render_metadata_text(const metadata_report& report) {
  const auto& m = report.metadata;
  std::string out;
  out += "cluster id:  " + m.cluster_id.value_or("-") + "\n";
  out += "controller:  " + (m.controller_id >= 0 ? std::to_string(m.controller_id) : "-") + "\n";
  out += "brokers (" + std::to_string(m.brokers.size()) + "):\n";
  text_table brokers({"ID", "HOST", "PORT", "RACK"});
  for (const auto* b : sorted_brokers(m)) {
    brokers.add(
        {std::to_string(b->node_id), b->host, std::to_string(b->port), b->rack.value_or("-")});
  }
  out += brokers.render("  ");
  out += "topics (" + std::to_string(m.topics.size()) + "):\n";
  bool epochs = report.metadata_version >= 7;
  for (const auto* t : sorted_topics(m)) {
    out += "  " + t->name.value_or("?");
    if (t->error_code != protocol::errc::none) {
      out += ": " + std::string(protocol::error_name(t->error_code)) + "\n";
      continue;
    }
    out += " (" + std::to_string(t->partitions.size()) + " partition" +
           (t->partitions.size() == 1 ? "" : "s") + (t->is_internal ? ", internal" : "") + ")\n";
    text_table parts({"PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "OFFLINE", "ERROR"});
    for (const auto* p : sorted_partitions(*t)) {
      parts.add({std::to_string(p->partition_index), std::to_string(p->leader_id),
                 epochs && p->leader_epoch >= 0 ? std::to_string(p->leader_epoch) : "-",
                 join_ids(p->replica_nodes), join_ids(p->isr_nodes), join_ids(p->offline_replicas),
                 p->error_code ? std::string(protocol::error_name(p->error_code)) : "-"});
    }
    out += parts.render("    ");
  }
  for (const auto& b : report.api_versions) {
    out += "api versions of broker " + std::to_string(b.node_id) + " (" + b.address + ")";
    if (b.error) {
      out += ": " + *b.error + "\n";
      continue;
    }
    out += ":\n";
    text_table apis({"KEY", "API", "BROKER", "KPIPE", "USED"});
    for (auto key : api_keys_of(b)) {
      const auto* ours = protocol::find_api(key);
      auto it = b.ranges.find(key);
      const net::version_range* theirs = it == b.ranges.end() ? nullptr : &it->second;
      auto used = used_version(ours, theirs);
      apis.add({std::to_string(key), ours ? std::string(ours->name) : "?",
                theirs ? range_text(theirs->min, theirs->max) : "-",
                ours ? range_text(ours->min_version, ours->max_version) : "-",
                used ? std::to_string(*used) : "-"});
    }
    out += apis.render("  ");
  }
  return out;
}

std::string render_metadata_json(const metadata_report& report) {
  const auto& m = report.metadata;
  json doc;
  doc["cluster_id"] = m.cluster_id ? json(*m.cluster_id) : json(nullptr);
  doc["controller_id"] = m.controller_id >= 0 ? json(m.controller_id) : json(nullptr);
  doc["brokers"] = json::array();
  for (const auto* b : sorted_brokers(m)) {
    doc["brokers"].push_back({{"id", b->node_id},
                              {"host", b->host},
                              {"port", b->port},
                              {"rack", b->rack ? json(*b->rack) : json(nullptr)}});
  }
  doc["topics"] = json::array();
  bool epochs = report.metadata_version >= 7;
  for (const auto* t : sorted_topics(m)) {
    json topic;
    topic["name"] = t->name ? json(*t->name) : json(nullptr);
    topic["topic_id"] =
        has_topic_id(t->topic_id) ? json(util::base64(t->topic_id, true)) : json(nullptr);
    topic["internal"] = t->is_internal;
    topic["error"] = t->error_code ? json(protocol::error_name(t->error_code)) : json(nullptr);
    topic["partitions"] = json::array();
    for (const auto* p : sorted_partitions(*t)) {
      topic["partitions"].push_back(
          {{"partition", p->partition_index},
           {"leader", p->leader_id},
           {"leader_epoch", epochs && p->leader_epoch >= 0 ? json(p->leader_epoch) : json(nullptr)},
           {"replicas", p->replica_nodes},
           {"isr", p->isr_nodes},
           {"offline_replicas", p->offline_replicas},
           {"error", p->error_code ? json(protocol::error_name(p->error_code)) : json(nullptr)}});
    }
    doc["topics"].push_back(std::move(topic));
  }
  if (!report.api_versions.empty()) {
    json brokers = json::array();
    for (const auto& b : report.api_versions) {
      json entry{{"broker", b.node_id}, {"address", b.address}};
      if (b.error) {
        entry["error"] = *b.error;
        brokers.push_back(std::move(entry));
        continue;
      }
      entry["api_versions_version"] = b.api_versions_version;
      json apis = json::array();
      for (auto key : api_keys_of(b)) {
        const auto* ours = protocol::find_api(key);
        auto it = b.ranges.find(key);
        const net::version_range* theirs = it == b.ranges.end() ? nullptr : &it->second;
        auto used = used_version(ours, theirs);
        apis.push_back({{"key", key},
                        {"name", ours ? json(ours->name) : json(nullptr)},
                        {"broker_min", theirs ? json(theirs->min) : json(nullptr)},
                        {"broker_max", theirs ? json(theirs->max) : json(nullptr)},
                        {"kpipe_min", ours ? json(ours->min_version) : json(nullptr)},
                        {"kpipe_max", ours ? json(ours->max_version) : json(nullptr)},
                        {"used", used ? json(*used) : json(nullptr)}});
      }
      entry["apis"] = std::move(apis);
      brokers.push_back(std::move(entry));
    }
    doc["api_versions"] = std::move(brokers);
  }
  return doc.dump() + "\n";
}

}  // namespace kpipe::cli
