// groups reset: a plan of new committed offsets, printed, and committed with --execute.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "client/group_offsets.hpp"
#include "client/list_offsets.hpp"
#include "exit_codes.hpp"
#include "groups/groups.hpp"
#include "output.hpp"

namespace kpipe::cli::groups {

namespace asio = boost::asio;

namespace {

result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return error{error_kind::usage, "--to file:" + path + ": " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whether a selection (-t list; empty: everything) takes a topic's partition.
bool selected(const std::vector<topic_selection>& selections, const std::string& topic,
              std::int32_t partition) {
  if (selections.empty()) return true;
  for (const auto& s : selections) {
    if (s.topic != topic) continue;
    if (s.partitions.empty()) return true;
    if (std::binary_search(s.partitions.begin(), s.partitions.end(), partition)) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<int> run_reset(client::cluster& cluster, const global_options& global,
                               const groups_options& o) {
  // Everything on the command line is checked before the first byte goes to a broker.
  auto to = parse_reset_to(o.to, now_ms());
  if (!to) co_return fail("reset", to.error());
  std::vector<topic_selection> selections;
  for (const auto& text : o.topics) {
    auto parsed = parse_topic_selection(text);
    if (!parsed) co_return fail("reset", parsed.error());
    selections.push_back(std::move(parsed).value());
  }
  if (!selections.empty() && o.all_topics) {
    co_return fail_usage("reset", "give -t TOPIC[:PARTITIONS] or --all-topics, not both");
  }
  if (!to->file && selections.empty() && !o.all_topics) {
    co_return fail_usage("reset", "which offsets? give -t TOPIC[:PARTITIONS] or --all-topics");
  }
  std::optional<planned_offsets> given;
  if (to->file) {
    auto text = read_text_file(*to->file);
    if (!text) co_return fail("reset", text.error());
    auto plan = parse_plan_file(text.value(), o.group);
    if (!plan) co_return fail("reset", plan.error());
    given = std::move(plan).value();
  }

  gather_options gather;
  gather.timestamps = false;
  gather.missing_is_empty = true;  // a group that never existed may be given offsets
  auto report = co_await gather_report(cluster, o.group, gather);
  if (!report) co_return fail("reset", report.error());
  const auto& members = report->description.members;
  if (!members.empty()) {
    std::cerr << "kpipe: groups reset: group " << o.group << " has " << members.size()
              << " active member" << (members.size() == 1 ? "" : "s") << " (state "
              << report->description.state
              << "); stop its consumers before resetting its offsets. Nothing changed.\n";
    co_return exit_failure;
  }
  std::map<std::string, std::map<std::int32_t, std::int64_t>> committed;
  for (const auto& p : report->partitions) {
    if (p.committed) committed[p.topic][p.partition] = *p.committed;
  }

  // The partitions the plan covers, by topic; whole topics (-t TOPIC, --all-topics) are filled
  // in from the metadata.
  std::map<std::string, std::set<std::int32_t>> wanted;
  std::set<std::string> whole_topics;
  if (given) {
    for (const auto& [topic, partitions] : *given) {
      for (const auto& [p, offset] : partitions) {
        if (selected(selections, topic, p)) wanted[topic].insert(p);
      }
    }
    if (wanted.empty()) {
      co_return fail_usage("reset", "the plan file has no partition of the topics given with -t");
    }
  } else if (o.all_topics) {
    for (const auto& [topic, partitions] : committed) {
      wanted[topic];
      whole_topics.insert(topic);
    }
    if (wanted.empty()) {
      co_return fail("reset", error_kind::not_found,
                     "group " + o.group + " has no committed offsets; name topics with -t");
    }
  } else {
    for (const auto& s : selections) {
      auto& w = wanted[s.topic];
      w.insert(s.partitions.begin(), s.partitions.end());
      if (s.partitions.empty()) whole_topics.insert(s.topic);
    }
  }
  std::vector<std::string> topics;
  for (const auto& [topic, partitions] : wanted) topics.push_back(topic);
  auto metadata = co_await cluster.fetch_metadata(topics);
  if (!metadata) co_return fail("reset", metadata.error());
  client::partitions_of_topics which;
  for (auto& [topic, partitions] : wanted) {
    auto leaders = client::partition_leaders(metadata.value(), topic);
    if (!leaders) co_return fail("reset", leaders.error());
    if (whole_topics.contains(topic)) {
      for (const auto& [p, leader] : leaders.value()) partitions.insert(p);
    }
    for (auto p : partitions) {
      if (!leaders->contains(p)) {
        co_return fail("reset", error_kind::not_found,
                       "partition " + std::to_string(p) + " of " + topic + " does not exist");
      }
      which[topic].push_back(p);
    }
  }
  auto bounds = co_await client::fetch_log_bounds(cluster, metadata.value(), which);
  if (!bounds) co_return fail("reset", bounds.error());
  std::map<std::string, std::map<std::int32_t, std::int64_t>> time_offsets;
  if (to->target.what == client::reset_target::kind::time) {
    auto answers =
        co_await client::offsets_for_time(cluster, metadata.value(), which, to->target.value);
    if (!answers) co_return fail("reset", answers.error());
    time_offsets = std::move(answers).value();
  }

  std::vector<client::partition_reset_input> inputs;
  for (const auto& [topic, partitions] : which) {
    for (auto p : partitions) {
      client::partition_reset_input input;
      input.position.topic = topic;
      input.position.partition = p;
      input.position.log_start = bounds->at(topic).at(p).log_start;
      input.position.log_end = bounds->at(topic).at(p).log_end;
      if (auto t = committed.find(topic); t != committed.end()) {
        if (auto c = t->second.find(p); c != t->second.end()) input.position.committed = c->second;
      }
      if (auto t = time_offsets.find(topic); t != time_offsets.end()) {
        if (auto c = t->second.find(p); c != t->second.end()) input.time_offset = c->second;
      }
      if (given) input.given_offset = given->at(topic).at(p);
      inputs.push_back(std::move(input));
    }
  }
  auto plan = client::plan_reset(inputs, to->target);
  if (!plan) co_return fail("reset", plan.error());
  if (global.verbosity >= 0) {
    for (const auto& step : plan.value()) {
      if (step.clamped) std::cerr << "kpipe: groups reset: warning: " << *step.clamped << '\n';
    }
  }
  if (o.execute) {
    client::offsets_by_topic offsets;
    for (const auto& step : plan.value()) offsets[step.topic][step.partition] = step.target;
    client::commit_identity outsider;  // named: a temporary here trips g++ 12's coroutines
    auto committed_now = co_await client::commit_offsets(cluster, o.group, offsets, outsider);
    if (!committed_now) co_return fail("reset", committed_now.error());
  }
  write_stdout(render_plan(global.format, o.group, plan.value(), o.execute));
  if (!o.execute && global.verbosity >= 0) {
    std::cerr << "kpipe: groups reset: dry run, nothing changed; add --execute to commit this "
                 "plan\n";
  }
  co_return exit_ok;
}

}  // namespace kpipe::cli::groups
