#pragma once
// Administration of consumer groups, as `kpipe groups` needs it: listing the groups of every
// broker (ListGroups), describing one (DescribeGroups for classic groups, ConsumerGroupDescribe
// for KIP-848 ones), every offset a group committed (OffsetFetch with a null topic list),
// deleting groups (DeleteGroups) and a group's offsets (OffsetDelete), and the timestamps of the
// records at given offsets (for lag in time). Committing goes through commit_offsets and finding
// the coordinator through find_group_coordinator, both in group_offsets.hpp; log bounds through
// list_offsets.hpp.
//
// Each exchange is split into a pure half that builds the request and one that reads the answer
// (public for the unit tests, which feed them constructed answers) and a coroutine that does the
// I/O. Lag and reset plans are computed in group_lag.hpp.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "client/group/consumer_protocol.hpp"
#include "client/group_offsets.hpp"
#include "protocol/types.hpp"
#include "util/result.hpp"

namespace kpipe::protocol {
namespace list_groups {
struct request;
struct response;
}  // namespace list_groups
namespace describe_groups {
struct response;
}  // namespace describe_groups
namespace consumer_group_describe {
struct response;
}  // namespace consumer_group_describe
namespace delete_groups {
struct response;
}  // namespace delete_groups
namespace offset_delete {
struct request;
struct response;
}  // namespace offset_delete
namespace offset_fetch {
struct request;
struct response;
}  // namespace offset_fetch
}  // namespace kpipe::protocol

namespace kpipe::client {

// ---- ListGroups ---------------------------------------------------------------------------

// Filters of ListGroups: v4 filters by state (KIP-518), v5 by type (KIP-848). Empty: no filter.
// States and types are compared without regard to case, as the broker does.
struct list_groups_filter {
  std::vector<std::string> states;
  std::vector<std::string> types;
};

struct listed_group {
  std::string group_id;
  std::string protocol_type;  // "consumer" for consumers' classic groups, "" for KIP-848 ones
  std::string state;          // empty when the broker's ListGroups is older than v4
  std::string type;           // classic, consumer, share, streams; "classic" before v5
  std::int32_t coordinator = -1;
};

// The states a group may be in (classic: Kafka's GroupState; consumer groups add Assigning and
// Reconciling), in Kafka's spelling, and the group types (GroupType).
const std::vector<std::string>& known_group_states();
const std::vector<std::string>& known_group_types();
// A state or type as the user typed it, in Kafka's spelling; nullopt when not one of them.
std::optional<std::string> canonical_group_state(const std::string& text);
std::optional<std::string> canonical_group_type(const std::string& text);

// The request at `version`: the filters the version can carry (the rest is filtered by
// read_list_groups_response).
protocol::list_groups::request build_list_groups_request(const list_groups_filter& filter,
                                                         std::int16_t version);
// The groups of one broker's answer read at `version`, with the filters applied that the
// request could not carry: types before v5 (every group is classic then), states before v4
// (when the answer has no states, the state filter is left to the caller: see
// list_groups_needs_states). Fails on a top-level error.
result<std::vector<listed_group>> read_list_groups_response(
    const protocol::list_groups::response& response, std::int16_t version,
    const list_groups_filter& filter, std::int32_t node);
// Whether a state filter must be applied by describing the groups (ListGroups before v4).
bool list_groups_needs_states(const list_groups_filter& filter, std::int16_t version);

// Every group of every broker (each coordinator lists its own), sorted by group id.
boost::asio::awaitable<result<std::vector<listed_group>>> list_groups(
    cluster& cluster, const list_groups_filter& filter);

// ---- DescribeGroups and ConsumerGroupDescribe --------------------------------------------

struct group_member_description {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string host;
  group::topic_partitions assignment;
  // KIP-848 consumer groups only: the member's epoch and the assignment it is moving towards.
  std::optional<std::int32_t> member_epoch;
  std::optional<group::topic_partitions> target_assignment;
  // A classic member's assignment that did not decode as the consumer protocol.
  std::optional<std::string> assignment_error;
};

struct group_description {
  std::string group_id;
  std::string state;
  std::string type;           // "classic" or "consumer"
  std::string protocol_type;  // classic: usually "consumer"; empty for a KIP-848 group
  std::string protocol;       // classic: the chosen assignor; consumer: the server's assignor
  std::int32_t coordinator = -1;
  std::optional<std::int32_t> group_epoch;       // KIP-848
  std::optional<std::int32_t> assignment_epoch;  // KIP-848
  std::vector<group_member_description> members;
};

// One group of a DescribeGroups answer. not_found for a group the coordinator does not know
// (GROUP_ID_NOT_FOUND, or Dead before DescribeGroups v6 said so), auth for
// GROUP_AUTHORIZATION_FAILED, kafka for other errors.
result<group_description> read_described_group(const protocol::describe_groups::response& response,
                                               const std::string& group);

// Topic id -> name, for assignments of ConsumerGroupDescribe that carry no name.
using topic_names_by_id = std::map<protocol::uuid, std::string>;

// One group of a ConsumerGroupDescribe answer (KIP-848). not_found also for a group that exists
// but is not a consumer group (Kafka answers GROUP_ID_NOT_FOUND for a classic group).
result<group_description> read_consumer_group_described(
    const protocol::consumer_group_describe::response& response, const std::string& group,
    const topic_names_by_id& names);

// Whether read_consumer_group_described found topic ids without a name in `names`.
std::set<protocol::uuid> unnamed_topic_ids(
    const protocol::consumer_group_describe::response& response);

// Describes a group at its coordinator: ConsumerGroupDescribe first where the broker has it
// (a KIP-848 group is unknown to DescribeGroups on Kafka 4), then DescribeGroups.
boost::asio::awaitable<result<group_description>> describe_group(cluster& cluster,
                                                                 const std::string& group);

// ---- OffsetFetch for every partition ------------------------------------------------------

using committed_by_topic = std::map<std::string, std::map<std::int32_t, committed_offset>>;

// OffsetFetch for all of the group's offsets: a null topic list (v2+, KIP-88), at the top level
// up to v7 and in `groups` from v8 on (KIP-709).
protocol::offset_fetch::request build_all_offsets_request(const std::string& group,
                                                          std::int16_t version);
// Every partition of the answer with a committed offset (-1 ones are left out). Errors as
// fetch_committed's: the group's error, or a partition's.
result<committed_by_topic> read_all_offsets_response(
    const protocol::offset_fetch::response& response, std::int16_t version,
    const std::string& group);

// Every offset the group committed, by topic and partition.
boost::asio::awaitable<result<committed_by_topic>> fetch_group_offsets(cluster& cluster,
                                                                       const std::string& group);

// ---- DeleteGroups and OffsetDelete --------------------------------------------------------

// The outcome of deleting one group: ok, or the error (not_found for GROUP_ID_NOT_FOUND, kafka
// for NON_EMPTY_GROUP, which names the group as still having members).
result<success> read_delete_groups_response(const protocol::delete_groups::response& response,
                                            const std::string& group);

// Deletes each group at its coordinator; the outcome per group, in the order given.
boost::asio::awaitable<std::vector<std::pair<std::string, status>>> delete_groups(
    cluster& cluster, const std::vector<std::string>& groups);

using partitions_of_topics = std::map<std::string, std::vector<std::int32_t>>;

protocol::offset_delete::request build_offset_delete_request(const std::string& group,
                                                             const partitions_of_topics& which);
// A group error fails the whole; partition errors are listed per partition (GROUP_SUBSCRIBED_
// TO_TOPIC: a member still reads the topic).
struct offset_delete_outcome {
  std::string topic;
  std::int32_t partition = 0;
  std::int16_t error_code = 0;
};
result<std::vector<offset_delete_outcome>> read_offset_delete_response(
    const protocol::offset_delete::response& response, const std::string& group);

boost::asio::awaitable<result<std::vector<offset_delete_outcome>>> delete_offsets(
    cluster& cluster, const std::string& group, const partitions_of_topics& which);

// ---- log bounds and record timestamps -----------------------------------------------------

struct log_bounds {
  std::int64_t log_start = 0;
  std::int64_t log_end = 0;
};
using bounds_by_topic = std::map<std::string, std::map<std::int32_t, log_bounds>>;

// Earliest and latest offsets (read_uncommitted: the high watermark, as Kafka's tools report
// log-end offsets) of the partitions, which `metadata` must hold.
boost::asio::awaitable<result<bounds_by_topic>> fetch_log_bounds(
    cluster& cluster, const protocol::metadata::response& metadata,
    const partitions_of_topics& which);

// The first offset at or after a time per partition (ListOffsets), -1 when no record is.
boost::asio::awaitable<result<std::map<std::string, std::map<std::int32_t, std::int64_t>>>>
offsets_for_time(cluster& cluster, const protocol::metadata::response& metadata,
                 const partitions_of_topics& which, std::int64_t time_ms);

// Where to look for a record per partition: from `offset`, before `end`.
struct record_probe {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t end = 0;
};
using timestamps_by_topic = std::map<std::string, std::map<std::int32_t, std::int64_t>>;

// The timestamp of the first record at or after each probe's offset (the oldest one a group has
// not consumed), read with the fetcher (read_uncommitted). A partition where nothing but control
// records is left before its end is missing from the answer; so is one that gave no record
// before `deadline`.
boost::asio::awaitable<result<timestamps_by_topic>> first_record_timestamps(
    cluster& cluster, const protocol::metadata::response& metadata,
    const std::vector<record_probe>& probes, std::chrono::milliseconds deadline);

}  // namespace kpipe::client
