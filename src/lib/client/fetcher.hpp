#pragma once
// The fetcher: reads partitions of one topic from their leaders, one Fetch per broker carrying
// all of that broker's partitions, with the next fetch to a broker sent as soon as its previous
// answer arrived (so the broker works while kpipe writes the output).
//
// Each answer is decoded into record batches (CRC checked, decompressed, capped), records before
// the fetch position dropped (a compressed batch starts where it starts), aborted transactions
// filtered out under read_committed (KIP-98: the answer lists, per producer, the first offset
// of each aborted transaction; its batches are skipped until that producer's ABORT marker),
// control batches skipped unless asked for. Positions move past everything read, markers
// included, so a stop offset at the end of the log is always reached.
//
// Per-partition errors: NOT_LEADER / UNKNOWN_TOPIC refresh the metadata and retry;
// OFFSET_OUT_OF_RANGE moves to the earliest offset (with a warning). Others end the fetch.

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
#include "record/record_batch.hpp"
#include "util/result.hpp"

namespace kpipe::protocol::fetch {
struct response;
}

namespace kpipe::client {

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
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::int64_t> stop;  // exclusive; nullopt: follow the log
};

// The records of one partition from one answer.
struct partition_records {
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

class fetcher {
 public:
  fetcher(boost::asio::any_io_executor executor, cluster& cluster, std::string topic,
          fetcher_options options);
  ~fetcher();

  // Which partitions to read, from where (and up to where). Replaces the current assignment.
  void assign(std::vector<fetch_position> positions);
  // Partitions whose stop offset was reached (or that have none and are still assigned: never).
  bool done() const;
  // The position of a partition (the next offset to hand over).
  std::optional<std::int64_t> position(std::int32_t partition) const;

  // Waits for the next records; an empty `fetched` when done(). Errors end the fetch.
  boost::asio::awaitable<result<fetched>> next();

  std::function<void(const std::string&)> on_warning;

 private:
  struct partition_state {
    std::int64_t offset = 0;
    std::optional<std::int64_t> stop;
    std::int32_t leader = -1;
    bool in_flight = false;
    std::int32_t leader_epoch = -1;
  };

  boost::asio::awaitable<void> fetch_from(std::int32_t node, std::vector<std::int32_t> partitions);
  boost::asio::awaitable<void> refresh_leaders();
  void start_fetches();
  void spawn(boost::asio::awaitable<void> work);
  result<fetched> decode(std::int32_t node,
                         const std::shared_ptr<protocol::fetch::response>& response,
                         std::int16_t version, const std::vector<std::int32_t>& asked);

  boost::asio::any_io_executor executor_;
  cluster& cluster_;
  std::string topic_;
  fetcher_options options_;
  std::map<std::int32_t, partition_state> partitions_;
  std::set<std::int32_t> busy_nodes_;
  std::deque<result<fetched>> ready_;
  bool refreshing_ = false;
  bool need_refresh_ = false;
  std::uint64_t assignment_generation_ = 0;
  boost::asio::steady_timer wake_;
  int tasks_ = 0;
  std::shared_ptr<bool> alive_;
};

}  // namespace kpipe::client
