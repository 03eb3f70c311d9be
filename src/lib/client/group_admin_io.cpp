// The I/O of group administration: each exchange at the broker that answers it (ListGroups at
// every broker, the rest at the group's coordinator), retried while the coordinator moves or
// loads.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "client/fetcher.hpp"
#include "client/group_admin.hpp"
#include "client/list_offsets.hpp"
#include "client/retry.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/consumer_group_describe.hpp"
#include "protocol/generated/delete_groups.hpp"
#include "protocol/generated/describe_groups.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/list_groups.hpp"
#include "protocol/generated/offset_delete.hpp"
#include "protocol/generated/offset_fetch.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

namespace {

namespace errc = protocol::errc;

// The connection to the group's coordinator. FindCoordinator's answer teaches the cluster the
// coordinator's address; a broker that gives none is looked up in the Metadata.
asio::awaitable<result<std::pair<std::int32_t, std::shared_ptr<net::connection>>>> coordinator_of(
    cluster& cluster, const std::string& group) {
  auto node = co_await find_group_coordinator(cluster, group);
  if (!node) co_return node.error();
  if (!cluster.knows_broker(node.value())) {
    std::optional<std::vector<std::string>> no_topics(std::in_place);
    auto metadata = co_await cluster.fetch_metadata(no_topics);
    if (!metadata) co_return metadata.error();
  }
  auto conn = co_await cluster.connection_to(node.value());
  if (!conn) co_return conn.error();
  co_return std::make_pair(node.value(), conn.value());
}

error unsupported(const net::connection& conn, const char* api) {
  return error{error_kind::protocol, conn.name() + " does not support " + std::string(api)};
}

// The error code of `group` in a DescribeGroups or ConsumerGroupDescribe answer (none when the
// answer does not mention it: the reader reports that).
template <class Response>
std::int16_t group_code(const Response& response, const std::string& group) {
  for (const auto& g : response.groups) {
    if (g.group_id == group) return g.error_code;
  }
  return errc::none;
}

}  // namespace

asio::awaitable<result<std::vector<listed_group>>> list_groups(cluster& cluster,
                                                               const list_groups_filter& filter) {
  std::optional<std::vector<std::string>> no_topics(std::in_place);
  auto metadata = co_await cluster.fetch_metadata(no_topics);
  if (!metadata) co_return metadata.error();
  std::vector<listed_group> all;
  for (const auto& broker : metadata->brokers) {
    auto conn = co_await cluster.connection_to(broker.node_id);
    if (!conn) co_return conn.error();
    auto version = conn.value()->version_for(protocol::api_key::list_groups);
    if (!version) co_return unsupported(*conn.value(), "ListGroups");
    auto request = build_list_groups_request(filter, *version);
    auto response = co_await conn.value()->request(request, version);
    // A broker that is loading its share of the group log says so: asked again after a pause.
    for (int attempt = 1; attempt < default_retry.attempts && response &&
                          protocol::coordinator_moved_or_loading(response->error_code);
         ++attempt) {
      co_await default_retry.pause(attempt);
      response = co_await conn.value()->request(request, version);
    }
    if (!response) co_return response.error();
    auto groups = read_list_groups_response(response.value(), *version, filter, broker.node_id);
    if (!groups) co_return groups.error();
    if (list_groups_needs_states(filter, *version) && !groups->empty()) {
      // ListGroups before v4 has no states: this broker coordinates these groups, so one
      // DescribeGroups there tells them.
      protocol::describe_groups::request describe;
      for (const auto& g : groups.value()) describe.groups.push_back(g.group_id);
      auto described = co_await conn.value()->request(describe);
      if (!described) co_return described.error();
      std::vector<listed_group> kept;
      for (auto& g : groups.value()) {
        for (const auto& d : described->groups) {
          if (d.group_id == g.group_id) g.state = d.group_state;
        }
        for (const auto& state : filter.states) {
          if (canonical_group_state(state) == canonical_group_state(g.state)) {
            kept.push_back(g);
            break;
          }
        }
      }
      groups.value() = std::move(kept);
    }
    for (auto& g : groups.value()) all.push_back(std::move(g));
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  co_return all;
}

asio::awaitable<result<group_description>> describe_group(cluster& cluster,
                                                          const std::string& group) {
  namespace cgd = protocol::consumer_group_describe;
  namespace dg = protocol::describe_groups;
  error last{error_kind::kafka, "describe group " + group + ": no answer"};
  for (int attempt = 0; attempt < default_retry.attempts; ++attempt) {
    if (attempt > 0) co_await default_retry.pause(attempt);
    auto coordinator = co_await coordinator_of(cluster, group);
    if (!coordinator) co_return coordinator.error();
    auto [node, conn] = coordinator.value();

    // KIP-848: a consumer group is known only to ConsumerGroupDescribe, a classic group only to
    // DescribeGroups; both answer GROUP_ID_NOT_FOUND for the other kind.
    if (auto version = conn->version_for(protocol::api_key::consumer_group_describe)) {
      cgd::request request;
      request.group_ids.push_back(group);
      auto response = co_await conn->request(request, version);
      if (!response) co_return response.error();
      auto code = group_code(response.value(), group);
      if (protocol::coordinator_moved_or_loading(code)) {
        last = error{error_kind::kafka,
                     "describe group " + group + ": " + std::string(protocol::error_name(code))};
        continue;
      }
      if (code != errc::group_id_not_found && code != errc::unsupported_version) {
        topic_names_by_id names;
        if (!unnamed_topic_ids(response.value()).empty()) {
          // An assignment named a topic by id only: the metadata of every topic names them.
          std::optional<std::vector<std::string>> every_topic;
          auto metadata = co_await cluster.fetch_metadata(every_topic);
          if (!metadata) co_return metadata.error();
          for (const auto& t : metadata->topics) {
            if (t.name) names[t.topic_id] = *t.name;
          }
        }
        auto described = read_consumer_group_described(response.value(), group, names);
        if (described) described->coordinator = node;
        co_return described;
      }
    }

    auto version = conn->version_for(protocol::api_key::describe_groups);
    if (!version) co_return unsupported(*conn, "DescribeGroups");
    dg::request request;
    request.groups.push_back(group);
    auto response = co_await conn->request(request, version);
    if (!response) co_return response.error();
    auto code = group_code(response.value(), group);
    if (protocol::coordinator_moved_or_loading(code)) {
      last = error{error_kind::kafka,
                   "describe group " + group + ": " + std::string(protocol::error_name(code))};
      continue;
    }
    auto described = read_described_group(response.value(), group);
    if (described) described->coordinator = node;
    co_return described;
  }
  co_return last;
}

asio::awaitable<result<committed_by_topic>> fetch_group_offsets(cluster& cluster,
                                                                const std::string& group) {
  error last{error_kind::kafka, "OffsetFetch for group " + group + ": no answer"};
  for (int attempt = 0; attempt < default_retry.attempts; ++attempt) {
    if (attempt > 0) co_await default_retry.pause(attempt);
    auto coordinator = co_await coordinator_of(cluster, group);
    if (!coordinator) co_return coordinator.error();
    auto& conn = coordinator->second;
    auto version = conn->version_for(protocol::api_key::offset_fetch);
    // A null topic list ("all of them") came with v2.
    if (!version || *version < 2) co_return unsupported(*conn, "OffsetFetch v2");
    version = std::min(*version, offset_fetch_max_version);
    auto request = build_all_offsets_request(group, *version);
    auto response = co_await conn->request(request, version);
    if (!response) co_return response.error();
    auto answer = read_all_offsets_response(response.value(), *version, group);
    if (answer) co_return answer;
    // Whether the coordinator moved: the group's code, or any partition's.
    bool moved = false;
    auto check = [&](std::int16_t code) {
      moved = moved || protocol::coordinator_moved_or_loading(code);
    };
    check(response->error_code);
    for (const auto& t : response->topics) {
      for (const auto& p : t.partitions) check(p.error_code);
    }
    for (const auto& g : response->groups) {
      check(g.error_code);
      for (const auto& t : g.topics) {
        for (const auto& p : t.partitions) check(p.error_code);
      }
    }
    if (!moved) co_return answer.error();
    last = answer.error();
  }
  co_return last;
}

asio::awaitable<std::vector<std::pair<std::string, status>>> delete_groups(
    cluster& cluster, const std::vector<std::string>& groups) {
  std::vector<std::pair<std::string, status>> outcomes;
  for (const auto& group : groups) {
    status outcome = error{error_kind::kafka, "DeleteGroups for group " + group + ": no answer"};
    for (int attempt = 0; attempt < default_retry.attempts; ++attempt) {
      if (attempt > 0) co_await default_retry.pause(attempt);
      auto coordinator = co_await coordinator_of(cluster, group);
      if (!coordinator) {
        outcome = coordinator.error();
        break;
      }
      auto& conn = coordinator->second;
      if (!conn->version_for(protocol::api_key::delete_groups)) {
        outcome = unsupported(*conn, "DeleteGroups");
        break;
      }
      protocol::delete_groups::request request;
      request.groups_names.push_back(group);
      auto response = co_await conn->request(request);
      if (!response) {
        outcome = response.error();
        break;
      }
      outcome = read_delete_groups_response(response.value(), group);
      bool moved = false;
      for (const auto& r : response->results) {
        if (r.group_id == group) moved = protocol::coordinator_moved_or_loading(r.error_code);
      }
      if (!moved) break;
    }
    outcomes.emplace_back(group, std::move(outcome));
  }
  co_return outcomes;
}

asio::awaitable<result<std::vector<offset_delete_outcome>>> delete_offsets(
    cluster& cluster, const std::string& group, const partitions_of_topics& which) {
  error last{error_kind::kafka, "OffsetDelete for group " + group + ": no answer"};
  for (int attempt = 0; attempt < default_retry.attempts; ++attempt) {
    if (attempt > 0) co_await default_retry.pause(attempt);
    auto coordinator = co_await coordinator_of(cluster, group);
    if (!coordinator) co_return coordinator.error();
    auto& conn = coordinator->second;
    if (!conn->version_for(protocol::api_key::offset_delete)) {
      co_return unsupported(*conn, "OffsetDelete");
    }
    auto request = build_offset_delete_request(group, which);
    auto response = co_await conn->request(request);
    if (!response) co_return response.error();
    auto outcome = read_offset_delete_response(response.value(), group);
    if (outcome || !protocol::coordinator_moved_or_loading(response->error_code)) co_return outcome;
    last = outcome.error();
  }
  co_return last;
}

asio::awaitable<result<bounds_by_topic>> fetch_log_bounds(
    cluster& cluster, const protocol::metadata::response& metadata,
    const partitions_of_topics& which) {
  bounds_by_topic out;
  for (const auto& [topic, partitions] : which) {
    if (partitions.empty()) continue;
    auto leaders = partition_leaders(metadata, topic);
    if (!leaders) co_return leaders.error();
    std::map<std::int32_t, std::int64_t> earliest_query;
    std::map<std::int32_t, std::int64_t> latest_query;
    for (auto p : partitions) {
      earliest_query[p] = earliest_timestamp;
      latest_query[p] = latest_timestamp;
    }
    auto earliest = co_await list_offsets(cluster, topic, leaders.value(), earliest_query, false);
    if (!earliest) co_return earliest.error();
    auto latest = co_await list_offsets(cluster, topic, leaders.value(), latest_query, false);
    if (!latest) co_return latest.error();
    for (auto p : partitions) {
      auto& bounds = out[topic][p];
      bounds.log_start = earliest->at(p).offset;
      bounds.log_end = latest->at(p).offset;
    }
  }
  co_return out;
}

asio::awaitable<result<std::map<std::string, std::map<std::int32_t, std::int64_t>>>>
offsets_for_time(cluster& cluster, const protocol::metadata::response& metadata,
                 const partitions_of_topics& which, std::int64_t time_ms) {
  std::map<std::string, std::map<std::int32_t, std::int64_t>> out;
  for (const auto& [topic, partitions] : which) {
    if (partitions.empty()) continue;
    auto leaders = partition_leaders(metadata, topic);
    if (!leaders) co_return leaders.error();
    std::map<std::int32_t, std::int64_t> query;
    for (auto p : partitions) query[p] = time_ms;
    auto answers = co_await list_offsets(cluster, topic, leaders.value(), query, false);
    if (!answers) co_return answers.error();
    for (auto p : partitions) out[topic][p] = answers->at(p).offset;
  }
  co_return out;
}

asio::awaitable<result<timestamps_by_topic>> first_record_timestamps(
    cluster& cluster, const protocol::metadata::response& metadata,
    const std::vector<record_probe>& probes, std::chrono::milliseconds deadline) {
  timestamps_by_topic found;
  std::vector<fetch_position> pending;
  for (const auto& probe : probes) {
    if (probe.offset >= probe.end) continue;
    auto leaders = partition_leaders(metadata, probe.topic);
    if (!leaders) co_return leaders.error();
    fetch_position position;
    position.topic = probe.topic;
    position.partition = probe.partition;
    position.offset = probe.offset;
    position.stop = probe.end;
    auto leader = leaders->find(probe.partition);
    position.leader = leader != leaders->end() ? leader->second : -1;
    position.topic_id = topic_id_of(metadata, probe.topic);
    pending.push_back(std::move(position));
  }
  if (pending.empty()) co_return found;

  auto executor = co_await asio::this_coro::executor;
  fetcher_options options;
  options.max_wait = std::chrono::milliseconds(100);
  // Only the first record of each partition is wanted; the fetcher doubles a partition's limit
  // when one batch is larger (brokers before KIP-74).
  options.partition_max_bytes = 64 << 10;
  options.max_bytes = 4 << 20;
  // Lag counts up to the high watermark, as Kafka's tools do: the records of open transactions
  // are unconsumed too.
  options.read_committed = false;
  auto reader = std::make_shared<fetcher>(executor, cluster, options);
  asio::steady_timer timer(executor, deadline);
  timer.async_wait([weak = std::weak_ptr<fetcher>(reader)](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto alive = weak.lock()) alive->cancel();
  });
  reader->assign(pending);
  while (!pending.empty() && !reader->done()) {
    auto answer = co_await reader->next();
    if (!answer) co_return answer.error();
    if (answer->partitions.empty()) break;  // cancelled at the deadline, or done
    bool changed = false;
    for (const auto& part : answer->partitions) {
      for (const auto& batch : part.batches) {
        if (batch.records.empty()) continue;
        found[part.topic][part.partition] = batch.records.front().timestamp;
        auto it = std::find_if(pending.begin(), pending.end(), [&](const fetch_position& p) {
          return p.topic == part.topic && p.partition == part.partition;
        });
        if (it != pending.end()) {
          pending.erase(it);
          changed = true;
        }
        break;
      }
    }
    // Partitions found are dropped from the assignment, so that nothing more is read there;
    // the others go on from where the fetcher got to.
    if (changed && !pending.empty()) {
      for (auto& p : pending) {
        if (auto at = reader->position(p.topic, p.partition)) p.offset = *at;
      }
      reader->assign(pending);
    }
  }
  timer.cancel();
  reader->cancel();
  co_return found;
}

}  // namespace kpipe::client
