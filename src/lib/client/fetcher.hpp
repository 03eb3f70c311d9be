#pragma once
// The fetcher: reads partitions of any number of topics from their leaders, one Fetch per broker
// carrying all of that broker's partitions of every topic, with the next fetch to a broker sent
// as soon as its previous answer arrived (so the broker works while kpipe writes the output).
//
// Each answer is decoded into record batches (CRC checked, decompressed, capped), records before
// the fetch position dropped (a compressed batch starts where it starts), aborted transactions
// filtered out under read_committed (KIP-98: the answer lists, per producer, the first offset
// of each aborted transaction; its batches are skipped until that producer's ABORT marker),
// control batches skipped unless asked for. Positions move past everything read, markers
// included, so a stop offset at the end of the log is always reached.
//
// Per-partition errors: NOT_LEADER / UNKNOWN_TOPIC, and UNKNOWN_TOPIC_ID / INCONSISTENT_TOPIC_ID
// from v13 on, refresh the metadata (leaders and topic ids) and retry, unless the answer names
// the new leader (KIP-951); OFFSET_OUT_OF_RANGE moves to the earliest offset (with a warning).
// Others end the fetch.
//
// Versions: up to v18 (v4+ for read_committed, Kafka 0.11). v13+ names topics by id (KIP-516):
// a request where some topic's id is not known (Metadata before v10) is sent at v12. v15 moves
// the replica id into a tagged replica_state (KIP-903), v17 adds the replica's directory id
// (KIP-853) and v18 its high watermark (KIP-1166): followers' fields, left at their defaults by a
// consumer, so not written. v16 answers name the current leader of a partition that moved and
// its endpoint (KIP-951).
//
// State is kept per topic, then per partition: decoding an answer looks a topic (by name, or by
// id from v13 on) up once per topic of the answer and a partition once per partition, never
// anything per record.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/cluster.hpp"
#include "protocol/types.hpp"
#include "record/record_batch.hpp"
#include "util/result.hpp"

namespace kpipe::protocol::fetch {
struct request;
struct response;
}  // namespace kpipe::protocol::fetch

namespace kpipe::client {

// The versions of Fetch the fetcher sends: v4 brings read_committed (KIP-98); the newest
// version that names topics by name is v12.
inline constexpr std::int16_t fetch_min_version = 4;
inline constexpr std::int16_t fetch_max_version = 18;
inline constexpr std::int16_t fetch_max_version_by_name = 12;

struct fetcher_options {
  std::chrono::milliseconds max_wait{500};
  std::int32_t min_bytes = 1;
  std::int32_t max_bytes = 64 << 20;           // per answer
  std::int32_t partition_max_bytes = 8 << 20;  // per partition per answer
  bool read_committed = true;
  bool control_records = false;  // hand control batches over (--print-control-records)
  bool check_crcs = true;
};

struct fetch_position {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::int64_t> stop;  // exclusive; nullopt: follow the log
  // The leader as the caller's metadata has it (-1: unknown, the fetcher asks): saves a
  // Metadata round trip before the first fetch.
  std::int32_t leader = -1;
  // The topic's id as the caller's metadata has it (Metadata v10+; all zeros: unknown, and
  // fetches of the topic stay at v12 until a metadata refresh brings it).
  protocol::uuid topic_id{};
};

// The records of one partition from one answer.
struct partition_records {
  std::string topic;
  std::int32_t partition = 0;
  std::vector<record::record_batch> batches;  // only records at or after the fetch position
  std::int64_t high_watermark = -1;
  std::optional<std::int32_t> leader_epoch;
};

// One answer's worth of records; the batches view `frame`, which this owns.
struct fetched {
  std::vector<partition_records> partitions;
  std::shared_ptr<const void> frame;
};

// Where the fetcher is in one partition.
struct fetch_partition_state {
  std::int64_t offset = 0;
  std::optional<std::int64_t> stop;
  std::int32_t leader = -1;
  // The epoch of the leader named by an answer (KIP-951), -1 when none: a later answer's hint
  // is taken only when newer, so that two stale brokers cannot send the fetcher back and forth.
  std::int32_t leader_epoch = -1;
  bool in_flight = false;
};

// One topic: its id (KIP-516; all zeros while unknown) and its partitions.
struct fetch_topic_state {
  protocol::uuid id{};
  std::map<std::int32_t, fetch_partition_state> partitions;
};

// Topic name -> state. std::less<> so that a topic name from an answer is looked up without
// building a std::string.
using fetch_table = std::map<std::string, fetch_topic_state, std::less<>>;
// Topic -> partitions (of one request).
using partitions_by_topic = std::map<std::string, std::vector<std::int32_t>>;

// The pure halves of one fetch, public for the unit tests.
//
// The version to send `asked` at, given the highest one both sides support (`negotiated`): at
// most fetch_max_version, and at most v12 when a topic of the request has no known id.
std::int16_t fetch_version_for(std::int16_t negotiated, const fetch_table& table,
                               const partitions_by_topic& asked);

// The Fetch request for `asked` at the positions in `table`: one topic entry per topic, in name
// order, its partitions in the order given. Each topic carries its name and its id; the version
// it is encoded at writes one of them (the id from v13 on).
protocol::fetch::request build_fetch_request(const fetch_table& table,
                                             const partitions_by_topic& asked,
                                             const fetcher_options& options);

// A broker that an answer named as a partition's new leader (Fetch v16+, KIP-951), with its
// address when the answer gave one (host empty otherwise).
struct fetch_new_leader {
  std::int32_t node_id = -1;
  std::string host;
  std::int32_t port = 0;
};

// What decoding an answer changes besides the positions (and leaders) in the table.
struct fetch_decode_effects {
  bool need_refresh = false;             // a partition's leader moved: refresh the metadata
  std::int32_t partition_max_bytes = 0;  // in/out: doubled when one batch did not fit (pre KIP-74)
  std::vector<std::string> warnings;     // OFFSET_OUT_OF_RANGE moves
  // Brokers named as new leaders (KIP-951): the table's partitions already point at them.
  std::vector<fetch_new_leader> new_leaders;
};

// Decodes a Fetch answer from broker `node`, read at `version`: records of partitions in `table`
// (others, and topics not in it, are ignored), positions moved; topics are matched by name up to
// v12 and by id from v13 on. The answer's batches view `response`, which the result owns. Errors
// end the fetch (a top-level error, a partition error other than those listed in the file
// comment, a batch that does not decode).
result<fetched> decode_fetch_response(std::int32_t node, std::int16_t version,
                                      std::shared_ptr<const protocol::fetch::response> response,
                                      fetch_table& table, const fetcher_options& options,
                                      fetch_decode_effects& effects);

class fetcher {
 public:
  fetcher(boost::asio::any_io_executor executor, cluster& cluster, fetcher_options options);
  ~fetcher();

  // Which partitions to read, from where (and up to where). Replaces the current assignment.
  void assign(std::vector<fetch_position> positions);
  // Partitions whose stop offset was reached (or that have none and are still assigned: never).
  bool done() const;
  // The position of a partition (the next offset to hand over).
  std::optional<std::int64_t> position(const std::string& topic, std::int32_t partition) const;

  // Waits for the next records; an empty `fetched` when done() or cancelled. Errors end the
  // fetch.
  boost::asio::awaitable<result<fetched>> next();
  // Stops for good (Ctrl-C): no fetch is sent any more, answers on their way are dropped, and a
  // waiting next() returns an empty answer at once (so do later calls).
  void cancel();

  std::function<void(const std::string&)> on_warning;

 private:
  boost::asio::awaitable<void> fetch_from(std::int32_t node, partitions_by_topic asked);
  boost::asio::awaitable<void> refresh_leaders();
  void start_fetches();
  void spawn(boost::asio::awaitable<void> work);
  fetch_partition_state* find(const std::string& topic, std::int32_t partition);

  boost::asio::any_io_executor executor_;
  cluster& cluster_;
  fetcher_options options_;
  fetch_table partitions_;
  std::set<std::int32_t> busy_nodes_;
  std::deque<result<fetched>> ready_;
  bool refreshing_ = false;
  bool looked_up_leaders_ = false;  // a Metadata lookup was made (later ones pause first)
  bool need_refresh_ = false;
  bool cancelled_ = false;
  std::uint64_t assignment_generation_ = 0;
  boost::asio::steady_timer wake_;
  std::shared_ptr<bool> alive_;
};

}  // namespace kpipe::client
