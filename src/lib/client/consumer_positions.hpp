#pragma once
// Where a consumer starts (and stops) in each partition of a topic: its offset spec (-o)
// resolved against what the brokers say (ListOffsets earliest and latest, and the offsets at the
// spec's times), a group's committed offsets first when there are any, and -e's end offsets
// taken now. query_topic_offsets asks the brokers; start_positions decides, and is pure.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "client/fetcher.hpp"
#include "client/group_offsets.hpp"
#include "client/list_offsets.hpp"
#include "client/offset_range.hpp"
#include "protocol/types.hpp"
#include "util/result.hpp"

namespace kpipe::client {

// What ListOffsets said about a topic's partitions.
struct topic_offsets {
  std::map<std::int32_t, offset_answer> earliest;
  // The last stable offset under read_committed (KIP-98), the high watermark otherwise.
  std::map<std::int32_t, offset_answer> latest;
  std::map<std::int32_t, offset_answer> start_times;  // asked only for a spec starting at a time
  std::map<std::int32_t, offset_answer> stop_times;   // asked only for a spec stopping at a time
};

// How a consumer turns a spec into positions.
struct position_rules {
  offset_spec spec;
  // A group member goes on where its group left off: the spec's start applies only to
  // partitions without a committed offset (its stop applies to all).
  bool group = false;
  bool stop_at_end = false;  // -e: stop at the latest offset taken now
};

// A topic as the caller's metadata has it, for the fetcher's first request.
struct topic_route {
  std::map<std::int32_t, std::int32_t> leaders;  // partition -> leader
  protocol::uuid id{};                           // all zeros: unknown (Metadata before v10)
};

// One position per partition, in the order given. Fails when an answer lacks a partition
// (protocol), for `stored` outside a group (usage), or when resolve() refuses the spec.
result<std::vector<fetch_position>> start_positions(
    const std::string& topic, const std::vector<std::int32_t>& partitions,
    const position_rules& rules, const topic_offsets& offsets,
    const std::map<std::int32_t, committed_offset>& committed, const topic_route& route);

// Asks ListOffsets (at each partition's leader in `leaders`) what start_positions needs for
// `spec`: earliest and latest always, the offsets at the start and stop times when the spec has
// them.
boost::asio::awaitable<result<topic_offsets>> query_topic_offsets(
    cluster& cluster, const std::string& topic, const std::map<std::int32_t, std::int32_t>& leaders,
    const std::vector<std::int32_t>& partitions, const offset_spec& spec, bool read_committed);

}  // namespace kpipe::client
