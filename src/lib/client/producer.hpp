#pragma once
// The producer: records in, batches out, one Produce request per broker carrying every partition
// that has a batch ready, several requests in flight per connection, nothing lost.
//
// Flow. append() picks a partition (partitioner.hpp), encodes the record into that partition's
// batch_builder and, when the builder is full, seals it into the partition's queue. A batch is
// also sealed when it has lingered long enough (`linger`) or on flush(). dispatch() then builds,
// per broker with a free in-flight slot, one Produce request holding the oldest ready batch of
// each of its partitions, queues it on the connection at once (so batches of a partition leave
// in order) and awaits the answer in a coroutine of its own.
//
// Delivery. A batch is delivered when the broker acknowledged it (or, with acks=0, when it was
// written). Retriable errors (NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, a dropped connection,
// ...) put it back at the head of its partition's queue after a backoff and refresh the metadata
// when the leader may have moved; other errors, exhausted retries or the delivery timeout fail it
// for good, and on_delivery hears of it either way.
//
// Idempotence (KIP-98, default with acks=all): InitProducerId gives a producer id and epoch;
// each batch gets its partition's next sequence number when it is first sent and keeps it across
// retries, so the broker drops duplicates (DUPLICATE_SEQUENCE_NUMBER counts as delivered). A
// partition whose batch failed re-sends only once all its requests in flight are answered, in
// sequence order. When a batch fails for good, or the broker lost track of the producer
// (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID), the producer waits for everything in
// flight, bumps its epoch (KIP-360; a new id from brokers before InitProducerId v3) and restarts
// sequences at 0.
//
// Transactions (transactional_id): the coordinator is found with FindCoordinator, partitions are
// added with AddPartitionsToTxn before their first batch is sent, finish(true) commits and
// finish(false) aborts with EndTxn.
//
// Memory: open builders plus batches not yet acknowledged are bounded by buffer_bytes; append()
// refuses (buffer_full) beyond that and wait_for_space() resumes the caller once deliveries freed
// room, which keeps memory flat on endless input.
//
// Everything runs on the caller's executor, one thread.

#include <array>
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
#include "client/partitioner.hpp"
#include "client/retry.hpp"
#include "record/batch_builder.hpp"
#include "record/record.hpp"
#include "util/result.hpp"
#include "util/worker_pool.hpp"

namespace kpipe::client {

// AddPartitionsToTxn v4+ carries several transactions and is meant for brokers (KIP-890):
// clients send v3 at most.
inline constexpr std::int16_t add_partitions_to_txn_max_version = 3;

struct producer_options {
  std::int16_t acks = -1;  // -1 all, 1 leader, 0 none
  bool idempotence = true;
  // Ask the broker to create a missing topic (it does when auto.create.topics.enable is on), as
  // the Java producer and librdkafka do by default.
  bool allow_auto_create_topic = true;
  std::optional<std::string> transactional_id;
  std::chrono::milliseconds transaction_timeout{60'000};
  record::builder_settings batch;
  std::chrono::milliseconds linger{5};
  int max_inflight = 5;  // Produce requests in flight per broker
  int retries = 2'147'483'647;
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{1'000};
  std::chrono::milliseconds delivery_timeout{120'000};
  std::chrono::milliseconds request_timeout{30'000};
  // Open and unacknowledged batches; with the rest of the process, RSS stays under 64 MiB.
  std::size_t buffer_bytes = std::size_t{12} << 20;
  std::size_t max_request_bytes = std::size_t{16} << 20;
  partitioner_kind partitioner = partitioner_kind::murmur2;
  // Threads that compress batches (0: one per core, at most 4), so that the event loop goes on
  // encoding and sending while a codec works.
  std::size_t compression_threads = 0;
};

struct outgoing_record {
  std::optional<record::bytes_view> key;  // nullopt: null
  std::optional<record::bytes_view> value;
  std::span<const record::record_header> headers;
  std::int64_t timestamp = 0;
  std::optional<std::int32_t> partition;  // nullopt: the partitioner decides
  std::uint64_t tag = 0;                  // the caller's number for it (an input line)
};

// What became of one batch.
struct delivery {
  std::int32_t partition = 0;
  std::int64_t base_offset = -1;  // -1 when unknown (acks=0, a duplicate)
  std::int32_t record_count = 0;
  std::uint64_t first_tag = 0;
  std::uint64_t last_tag = 0;
  std::optional<kpipe::error> error;              // set: the batch was not delivered
  std::chrono::steady_clock::duration latency{};  // from its first record to the answer
  std::span<const std::uint8_t> batch;            // the batch as sent (for `produce --tee`)
};

// Delivery latencies, weighted by records: buckets a quarter of a binary order of magnitude
// wide (about 19%), from 1 us to over an hour, so that memory stays fixed on endless input.
class latency_histogram {
 public:
  void add(std::chrono::steady_clock::duration latency, std::uint64_t weight);
  // The latency below which `fraction` (0-1) of the weight lies; zero when empty.
  std::chrono::microseconds percentile(double fraction) const;
  std::uint64_t total() const { return total_; }

 private:
  static constexpr std::size_t bucket_count = 128;
  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t total_ = 0;
};

struct producer_stats {
  std::uint64_t records_delivered = 0;
  std::uint64_t records_failed = 0;
  std::uint64_t bytes_delivered = 0;  // batch bytes on the wire
  std::uint64_t batches_delivered = 0;
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;  // batches sent again
  std::uint64_t epoch_bumps = 0;
  latency_histogram latency;
};

enum class append_result { appended, buffer_full };

class producer {
 public:
  producer(asio::any_io_executor executor, cluster& cluster, std::string topic,
           producer_options options);
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Metadata for the topic (which must exist), then InitProducerId when idempotent or
  // transactional. Idempotence is turned off, with a warning through on_warning, when the brokers
  // lack InitProducerId or acks is not all.
  asio::awaitable<status> start();

  std::int32_t partition_count() const;
  bool idempotent() const { return idempotent_; }

  // Adds a record. Fails (error_kind::usage) for a partition the topic does not have or a record
  // larger than a batch may be; buffer_full: nothing was added, co_await wait_for_space() first.
  result<append_result> append(const outgoing_record& record);
  asio::awaitable<void> wait_for_space();

  // Sends everything buffered and waits until every batch is delivered or failed.
  asio::awaitable<void> flush();
  // flush(), then for a transactional producer commit (true) or abort (false). Fails when the
  // transaction could not be ended as asked (an abort after a failed commit is attempted).
  asio::awaitable<status> finish(bool commit);
  // Stops sending: buffered and queued batches fail as "aborted" (for Ctrl-C, where flush() is
  // not wanted); batches in flight still get their answer.
  void abort(const std::string& why);
  // True once finish() has decided to commit the transaction (EndTxn with commit is on its way):
  // from then on abort() can no longer undo it.
  bool commit_decided() const { return commit_decided_; }

  const producer_stats& stats() const { return stats_; }

  std::function<void(const delivery&)> on_delivery;
  std::function<void(const std::string&)> on_warning;
  // Retries, epoch bumps, metadata refreshes: for `-v`.
  std::function<void(const std::string&)> on_debug;

 private:
  struct batch;
  struct partition_state;

  using clock = std::chrono::steady_clock;

  void seal(std::int32_t partition);
  void seal_all();
  void compressed(const std::shared_ptr<batch>& b, result<std::vector<std::uint8_t>> sealed,
                  std::vector<std::uint8_t> leftover);
  void recycle(std::vector<std::uint8_t> buffer);
  std::vector<std::uint8_t> take_spare();
  void dispatch();
  void dispatch_to(std::int32_t node);
  bool ready_to_send(const partition_state& p, clock::time_point now) const;
  asio::awaitable<void> await_produce(std::int32_t node, std::shared_ptr<net::connection> conn,
                                      net::connection::request_handle handle,
                                      std::vector<std::shared_ptr<batch>> batches,
                                      std::int16_t version);
  void handle_result(const std::shared_ptr<batch>& b, std::int16_t error_code,
                     std::int64_t base_offset, const std::string& why);
  void retry_later(const std::shared_ptr<batch>& b, const kpipe::error& e, bool refresh);
  void fail_batch(const std::shared_ptr<batch>& b, kpipe::error e);
  void deliver(const std::shared_ptr<batch>& b, std::int64_t base_offset);
  void release(const std::shared_ptr<batch>& b);
  void expire_batches(clock::time_point now);
  void fail_queued(const kpipe::error& e);
  asio::awaitable<result<std::shared_ptr<net::connection>>> coordinator_connection();

  asio::awaitable<void> connect_to(std::int32_t node);
  asio::awaitable<void> refresh_metadata();
  asio::awaitable<status> init_producer_id(bool bump);
  asio::awaitable<void> bump_epoch();
  asio::awaitable<status> find_transaction_coordinator();
  // FindCoordinator and the transaction requests: the user's retry.backoff.ms doubling up to
  // retry.backoff.max.ms, 10 attempts.
  retry_policy coordinator_retry() const;
  asio::awaitable<void> add_partitions_to_transaction();
  asio::awaitable<status> end_transaction(bool commit);
  asio::awaitable<void> timer_loop();
  void wake_at(clock::time_point when);
  void notify();
  void spawn(asio::awaitable<void> work);
  status apply_metadata(const protocol::metadata::response& metadata);
  // The error code of this producer's topic in `metadata` (UNKNOWN_TOPIC_OR_PARTITION if absent).
  std::int16_t topic_error(const protocol::metadata::response& metadata) const;
  void warn(const std::string& message);
  void debug(const std::string& message);

  asio::any_io_executor executor_;
  cluster& cluster_;
  std::string topic_;
  // The topic's id from the metadata (Metadata v10+, KIP-516; all zeros before): Produce v13
  // names the topic by it, and is not used without one.
  protocol::uuid topic_id_{};
  producer_options options_;
  partitioner partitioner_;
  std::vector<partition_state> partitions_;
  std::map<std::int32_t, std::shared_ptr<net::connection>> connections_;
  std::set<std::int32_t> connecting_;
  std::map<std::int32_t, int> in_flight_by_node_;
  int in_flight_total_ = 0;
  int compressing_ = 0;  // batches on the compression threads
  std::size_t buffered_bytes_ = 0;
  std::uint64_t next_batch_id_ = 0;
  std::size_t next_partition_ = 0;
  int tasks_ = 0;  // coroutines spawned and not yet finished
  static constexpr std::size_t max_spare_buffers = 6;
  std::vector<std::vector<std::uint8_t>> spare_buffers_;

  bool idempotent_ = false;
  std::int64_t producer_id_ = -1;
  std::int16_t producer_epoch_ = -1;
  bool epoch_bump_needed_ = false;
  bool epoch_bump_running_ = false;
  bool metadata_refresh_running_ = false;
  bool metadata_refresh_wanted_ = false;
  bool add_partitions_running_ = false;
  std::optional<std::int32_t> coordinator_;
  std::optional<kpipe::error> fatal_;  // the producer cannot go on (fenced, aborted)
  bool commit_decided_ = false;
  bool aborted_ = false;
  bool stopping_ = false;

  // Woken whenever the state changes (a delivery, a batch sealed); waits in wait_for_space and
  // flush loop on it.
  asio::steady_timer changed_;
  asio::steady_timer timer_;  // linger and backoff deadlines
  clock::time_point timer_due_ = clock::time_point::max();
  bool timer_running_ = false;

  producer_stats stats_;

  // Compression off the event loop (only with a codec). Its jobs post their results back through
  // `alive_`, which the destructor drops after the pool's threads are joined: a result arriving
  // after the producer is gone is ignored.
  std::unique_ptr<util::worker_pool> compressors_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace kpipe::client
