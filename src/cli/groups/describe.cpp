// groups describe and groups wait: what a group has committed, how far behind it is.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>
#include <set>

#include "client/list_offsets.hpp"
#include "exit_codes.hpp"
#include "groups/groups.hpp"
#include "output.hpp"
#include "parse/duration.hpp"

namespace kpipe::cli::groups {

namespace asio = boost::asio;

asio::awaitable<result<group_report>> gather_report(client::cluster& cluster,
                                                    const std::string& group,
                                                    const gather_options& options) {
  group_report report;
  report.description.group_id = group;
  auto described = co_await client::describe_group(cluster, group);
  if (described) {
    report.description = std::move(described).value();
  } else if (described.error().kind == error_kind::not_found && options.missing_is_empty) {
    report.exists = false;
  } else {
    co_return described.error();
  }
  client::committed_by_topic committed;
  if (report.exists) {
    auto offsets = co_await client::fetch_group_offsets(cluster, group);
    if (offsets) {
      committed = std::move(offsets).value();
    } else if (offsets.error().kind != error_kind::not_found || !options.missing_is_empty) {
      co_return offsets.error();
    }
  }

  // Every partition with a commit or a member (KIP-848: or a member's target).
  std::map<std::string, std::set<std::int32_t>> wanted;
  auto want = [&](const std::string& topic, std::int32_t partition) {
    if (!options.only_topic || *options.only_topic == topic) wanted[topic].insert(partition);
  };
  for (const auto& [topic, partitions] : committed) {
    for (const auto& [p, offset] : partitions) want(topic, p);
  }
  for (const auto& m : report.description.members) {
    for (const auto& [topic, partitions] : m.assignment) {
      for (auto p : partitions) want(topic, p);
    }
    if (m.target_assignment) {
      for (const auto& [topic, partitions] : *m.target_assignment) {
        for (auto p : partitions) want(topic, p);
      }
    }
  }
  std::vector<std::string> topics;
  for (const auto& [topic, partitions] : wanted) topics.push_back(topic);
  if (options.only_topic && !wanted.contains(*options.only_topic)) {
    topics.push_back(*options.only_topic);
  }
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) co_return metadata.error();
  for (const auto& b : metadata->brokers) {
    if (b.node_id == report.description.coordinator) {
      report.coordinator_address = b.host + ":" + std::to_string(b.port);
    }
  }
  if (options.only_topic) {
    auto leaders = client::partition_leaders(metadata.value(), *options.only_topic);
    if (!leaders) co_return leaders.error();
    for (const auto& [p, leader] : leaders.value()) wanted[*options.only_topic].insert(p);
  }
  client::partitions_of_topics which;
  for (const auto& [topic, partitions] : wanted) {
    auto leaders = client::partition_leaders(metadata.value(), topic);
    if (!leaders) {
      // A topic deleted after the group read it: its offsets stay until they expire.
      report.warnings.push_back(leaders.error().message + "; its committed offsets are not shown");
      continue;
    }
    for (auto p : partitions) {
      if (leaders->contains(p)) {
        which[topic].push_back(p);
      } else {
        report.warnings.push_back("partition " + std::to_string(p) + " of " + topic +
                                  " does not exist; its committed offset is not shown");
      }
    }
  }
  auto bounds = co_await client::fetch_log_bounds(cluster, metadata.value(), which);
  if (!bounds) co_return bounds.error();
  std::vector<client::record_probe> probes;
  for (const auto& [topic, partitions] : which) {
    for (auto p : partitions) {
      client::partition_position position;
      position.topic = topic;
      position.partition = p;
      const auto& b = bounds->at(topic).at(p);
      position.log_start = b.log_start;
      position.log_end = b.log_end;
      if (auto t = committed.find(topic); t != committed.end()) {
        if (auto c = t->second.find(p); c != t->second.end()) position.committed = c->second.offset;
      }
      if (position.committed && *position.committed < position.log_end) {
        // The oldest record not consumed; below the log start, the first one still there.
        client::record_probe probe;
        probe.topic = topic;
        probe.partition = p;
        probe.offset = std::max(*position.committed, position.log_start);
        probe.end = position.log_end;
        probes.push_back(std::move(probe));
      }
      report.partitions.push_back(std::move(position));
    }
  }
  if (options.timestamps && !probes.empty()) {
    auto stamps = co_await client::first_record_timestamps(cluster, metadata.value(), probes,
                                                           options.timestamp_deadline);
    if (!stamps) {
      report.warnings.push_back("time lag unknown: " + stamps.error().message);
    } else {
      for (auto& position : report.partitions) {
        auto t = stamps->find(position.topic);
        if (t == stamps->end()) continue;
        if (auto s = t->second.find(position.partition); s != t->second.end()) {
          position.next_record_timestamp = s->second;
        }
      }
    }
  }
  co_return report;
}

asio::awaitable<int> run_describe(client::cluster& cluster, const global_options& global,
                                  const groups_options& o) {
  std::vector<std::string> names = o.groups;
  if (o.all_groups) {
    if (!names.empty()) co_return fail_usage("describe", "give GROUP... or --all");
    client::list_groups_filter filter;
    // Share and streams groups are described by other APIs.
    filter.types.push_back("classic");
    filter.types.push_back("consumer");
    auto listed = co_await client::list_groups(cluster, filter);
    if (!listed) co_return fail("describe", listed.error());
    for (const auto& g : listed.value()) names.push_back(g.group_id);
  } else if (names.empty()) {
    co_return fail_usage("describe", "give GROUP... or --all");
  }
  std::vector<group_report> reports;
  int code = exit_ok;
  for (const auto& name : names) {
    gather_options options;
    options.timestamp_deadline = std::max(global.timeout, std::chrono::milliseconds(1000));
    auto report = co_await gather_report(cluster, name, options);
    if (!report) {
      if (report.error().kind != error_kind::not_found) co_return fail("describe", report.error());
      // Share and streams groups are unknown to both describe APIs: say what the group is.
      client::list_groups_filter every_group;
      auto listed = co_await client::list_groups(cluster, every_group);
      std::string type;
      if (listed) {
        for (const auto& g : listed.value()) {
          if (g.group_id == name) type = g.type;
        }
      }
      code = type.empty() ? fail("describe", report.error())
                          : fail("describe", error_kind::kafka,
                                 "group " + name + " is a " + type +
                                     " group; describe shows classic and consumer groups");
      continue;
    }
    if (global.verbosity >= 0) {
      for (const auto& w : report->warnings) {
        std::cerr << "kpipe: groups describe: warning: group " << name << ": " << w << '\n';
      }
    }
    reports.push_back(std::move(report).value());
  }
  if (!reports.empty() || global.format == output_format::json) {
    write_stdout(render_describe(global.format, reports, now_ms()));
  }
  co_return code;
}

asio::awaitable<int> run_wait(client::cluster& cluster, const global_options& global,
                              const groups_options& o) {
  auto timeout = parse_duration(o.wait_timeout);
  if (!timeout) {
    co_return fail_usage("wait",
                         "--timeout: invalid duration \"" + o.wait_timeout + "\" (as 30s, 5m, 1h)");
  }
  auto interval = parse_duration(o.poll_interval);
  if (!interval || interval->count() == 0) {
    co_return fail_usage("wait",
                         "--interval: invalid duration \"" + o.poll_interval + "\" (as 500ms, 2s)");
  }
  if (!o.max_lag || *o.max_lag < 0) {
    co_return fail_usage("wait", "--max-lag needs a number of records >= 0");
  }
  std::optional<std::string> topic;
  if (!o.topics.empty()) {
    if (o.topics.size() > 1) co_return fail_usage("wait", "give -t once");
    topic = o.topics.front();
  }
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  std::string last = "no answer yet";
  auto executor = co_await asio::this_coro::executor;
  while (true) {
    gather_options options;
    options.only_topic = topic;
    options.timestamps = false;
    options.missing_is_empty = true;
    auto report = co_await gather_report(cluster, o.group, options);
    if (!report) {
      // A topic that does not exist, credentials refused: waiting cannot help.
      if (report.error().kind == error_kind::not_found || report.error().kind == error_kind::auth ||
          report.error().kind == error_kind::usage) {
        co_return fail("wait", report.error());
      }
      last = report.error().message;
    } else if (!report->exists) {
      last = "group " + o.group + " does not exist";
    } else {
      std::int64_t lag = 0;
      for (const auto& p : report->partitions) lag += client::unread_records(p);
      last = "group " + o.group + " lag " + std::to_string(lag) + " (wanted at most " +
             std::to_string(*o.max_lag) + ")";
      if (global.verbosity > 0) std::cerr << "kpipe: groups wait: " << last << '\n';
      if (lag <= *o.max_lag) co_return exit_ok;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      std::cerr << "kpipe: groups wait: timed out after " << o.wait_timeout << ": " << last << '\n';
      co_return exit_timeout;
    }
    asio::steady_timer pause(
        executor, std::min<std::chrono::steady_clock::duration>(*interval, deadline - now));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace kpipe::cli::groups
