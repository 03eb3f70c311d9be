#include "client/consumer_positions.hpp"

#include <algorithm>
#include <utility>

namespace kpipe::client {

namespace {

using kind = offset_point::kind;

// The answer's offset for a partition, when it found one (-1: no record at or after the time).
std::optional<std::int64_t> found_offset(const std::map<std::int32_t, offset_answer>& answers,
                                         std::int32_t partition) {
  auto found = answers.find(partition);
  if (found == answers.end() || found->second.offset < 0) return std::nullopt;
  return found->second.offset;
}

std::map<std::int32_t, std::int64_t> same_query(const std::vector<std::int32_t>& partitions,
                                                std::int64_t timestamp) {
  std::map<std::int32_t, std::int64_t> query;
  for (auto p : partitions) query[p] = timestamp;
  return query;
}

}  // namespace

result<std::vector<fetch_position>> start_positions(
    const std::string& topic, const std::vector<std::int32_t>& partitions,
    const position_rules& rules, const topic_offsets& offsets,
    const std::map<std::int32_t, committed_offset>& committed, const topic_route& route) {
  const offset_spec& spec = rules.spec;
  std::vector<fetch_position> positions;
  positions.reserve(partitions.size());
  for (auto p : partitions) {
    auto e = offsets.earliest.find(p);
    auto l = offsets.latest.find(p);
    if (e == offsets.earliest.end() || l == offsets.latest.end()) {
      return error{error_kind::protocol, "ListOffsets for " + topic + " did not answer for " +
                                             "partition " + std::to_string(p)};
    }
    partition_bounds bounds;
    bounds.earliest = e->second.offset;
    bounds.latest = l->second.offset;
    auto c = committed.find(p);
    bool has_committed = c != committed.end() && c->second.offset >= 0;
    if (has_committed) bounds.committed = c->second.offset;
    bounds.start_time_offset = found_offset(offsets.start_times, p);
    bounds.stop_time_offset = found_offset(offsets.stop_times, p);

    fetch_position position;
    position.topic = topic;
    position.partition = p;
    if (auto leader = route.leaders.find(p); leader != route.leaders.end()) {
      position.leader = leader->second;
    }
    position.topic_id = route.id;
    if (rules.group && has_committed) {
      // A group goes on where it left off; the spec only says where partitions without a commit
      // start.
      position.offset = std::clamp(c->second.offset, bounds.earliest, bounds.latest);
      if (spec.stop) {
        offset_spec stop_only{offset_point{}, spec.stop};
        auto range = resolve(stop_only, bounds);
        if (!range) return range.error();
        position.stop = range->stop;
      }
    } else {
      if (spec.start.what == kind::stored && !rules.group) {
        return error{error_kind::usage, std::string("-o stored needs a group (-G)")};
      }
      auto range = resolve(spec, bounds);
      if (!range) return range.error();
      position.offset = range->start;
      position.stop = range->stop;
    }
    // -e: the end offsets taken now (the last stable offset under read_committed).
    if (rules.stop_at_end) {
      position.stop = position.stop ? std::min(*position.stop, bounds.latest) : bounds.latest;
    }
    positions.push_back(std::move(position));
  }
  return positions;
}

boost::asio::awaitable<result<topic_offsets>> query_topic_offsets(
    cluster& cluster, const std::string& topic, const std::map<std::int32_t, std::int32_t>& leaders,
    const std::vector<std::int32_t>& partitions, const offset_spec& spec, bool read_committed) {
  topic_offsets answers;
  // Queries are named locals: g++ 12 mishandles temporaries built inside co_await expressions.
  auto earliest_query = same_query(partitions, earliest_timestamp);
  auto earliest = co_await list_offsets(cluster, topic, leaders, earliest_query, read_committed);
  if (!earliest) co_return earliest.error();
  answers.earliest = std::move(earliest).value();
  auto latest_query = same_query(partitions, latest_timestamp);
  auto latest = co_await list_offsets(cluster, topic, leaders, latest_query, read_committed);
  if (!latest) co_return latest.error();
  answers.latest = std::move(latest).value();
  if (spec.start.what == kind::time) {
    auto start_query = same_query(partitions, spec.start.value);
    auto found = co_await list_offsets(cluster, topic, leaders, start_query, read_committed);
    if (!found) co_return found.error();
    answers.start_times = std::move(found).value();
  }
  if (spec.stop && spec.stop->what == kind::time) {
    auto stop_query = same_query(partitions, spec.stop->value);
    auto found = co_await list_offsets(cluster, topic, leaders, stop_query, read_committed);
    if (!found) co_return found.error();
    answers.stop_times = std::move(found).value();
  }
  co_return answers;
}

}  // namespace kpipe::client
