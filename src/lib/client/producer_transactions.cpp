// The producer's dealings with coordinators: InitProducerId (idempotence, KIP-98), epoch bumps
// (KIP-360), and transactions (FindCoordinator, AddPartitionsToTxn, EndTxn). See producer.hpp.
#include <boost/asio/steady_timer.hpp>

#include "client/coordinator.hpp"
#include "client/producer.hpp"
#include "client/producer_internal.hpp"
#include "client/retry.hpp"
#include "protocol/generated/add_partitions_to_txn.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/end_txn.hpp"
#include "protocol/generated/init_producer_id.hpp"

namespace kpipe::client {

using namespace producer_detail;

// ---- idempotence and transactions -------------------------------------------------------------

asio::awaitable<result<std::shared_ptr<net::connection>>> producer::coordinator_connection() {
  if (!options_.transactional_id) co_return co_await cluster_.any_connection();
  if (!coordinator_) {
    if (auto found = co_await find_transaction_coordinator(); !found) co_return found.error();
  }
  co_return co_await cluster_.connection_to(*coordinator_);
}

asio::awaitable<status> producer::find_transaction_coordinator() {
  auto node = co_await find_coordinator(cluster_, coordinator_type::transaction,
                                        *options_.transactional_id, coordinator_retry());
  if (!node) co_return node.error();
  coordinator_ = node.value();
  co_return success{};
}

retry_policy producer::coordinator_retry() const {
  return retry_policy{10, options_.retry_backoff, options_.retry_backoff_max};
}

asio::awaitable<status> producer::init_producer_id(bool bump) {
  namespace ipi = protocol::init_producer_id;
  bool fresh_id = false;
  kpipe::error last{error_kind::kafka, std::string("InitProducerId: no answer")};
  auto policy = coordinator_retry();
  for (int attempt = 0; attempt < policy.attempts; ++attempt) {
    if (attempt > 0) co_await policy.pause(attempt);
    auto conn = co_await coordinator_connection();
    if (!conn) {
      last = conn.error();
      continue;
    }
    auto version = conn.value()->version_for(protocol::api_key::init_producer_id);
    if (!version)
      co_return kpipe::error{error_kind::usage, std::string("InitProducerId is not supported")};
    ipi::request request;
    request.transactional_id = options_.transactional_id;
    request.transaction_timeout_ms =
        static_cast<std::int32_t>(options_.transaction_timeout.count());
    // KIP-360: v3+ bumps the epoch of the producer id we have; older brokers hand out a new id.
    if (bump && *version >= 3 && !fresh_id) {
      request.producer_id = producer_id_;
      request.producer_epoch = producer_epoch_;
    }
    auto response = co_await conn.value()->request(request, version);
    if (!response) {
      last = response.error();
      continue;
    }
    if (response->error_code == errc::none) {
      producer_id_ = response->producer_id;
      producer_epoch_ = response->producer_epoch;
      co_return success{};
    }
    last = kpipe::error{error_kind::kafka, "InitProducerId from " + conn.value()->name() + ": " +
                                               kafka_error_text(response->error_code)};
    // A broker that refuses to bump the epoch of a non-transactional producer (librdkafka's
    // mock answers INVALID_PRODUCER_ID_MAPPING) still hands out a new producer id: sequences
    // start over under it just the same.
    if (bump && !fresh_id && !options_.transactional_id &&
        !coordinator_retriable(response->error_code)) {
      fresh_id = true;
      attempt = -1;
      continue;
    }
    if (response->error_code == errc::not_coordinator ||
        response->error_code == errc::coordinator_not_available) {
      coordinator_.reset();
    }
    if (!coordinator_retriable(response->error_code) &&
        !protocol::is_retriable(response->error_code)) {
      co_return last;
    }
  }
  co_return last;
}

asio::awaitable<void> producer::bump_epoch() {
  epoch_bump_running_ = true;
  auto bumped = co_await init_producer_id(true);
  epoch_bump_running_ = false;
  epoch_bump_needed_ = false;
  if (!bumped) {
    fatal_ = kpipe::error{bumped.error().kind,
                          "could not reset the idempotent producer: " + bumped.error().message};
  } else {
    ++stats_.epoch_bumps;
    debug("producer epoch bumped: id " + std::to_string(producer_id_) + " epoch " +
          std::to_string(producer_epoch_));
    for (auto& p : partitions_) {
      p.next_sequence = 0;
      p.retrying = false;
      for (auto& b : p.queue) b->sequence.reset();
    }
  }
  notify();
  dispatch();
}

asio::awaitable<void> producer::add_partitions_to_transaction() {
  namespace ap = protocol::add_partitions_to_txn;
  add_partitions_running_ = true;
  for (int attempt = 0; attempt < 20 && !fatal_; ++attempt) {
    std::vector<std::int32_t> wanted;
    for (std::int32_t i = 0; i < partition_count(); ++i) {
      const auto& p = partitions_[static_cast<std::size_t>(i)];
      if (!p.in_transaction && !p.queue.empty()) wanted.push_back(i);
    }
    if (wanted.empty()) break;
    auto conn = co_await coordinator_connection();
    if (!conn) {
      fatal_ = conn.error();
      break;
    }
    auto version = conn.value()->version_for(protocol::api_key::add_partitions_to_txn);
    if (!version) {
      fatal_ = kpipe::error{error_kind::usage, std::string("AddPartitionsToTxn is not supported")};
      break;
    }
    version = std::min(*version, add_partitions_to_txn_max_version);
    ap::request request;
    request.v3_and_below_transactional_id = *options_.transactional_id;
    request.v3_and_below_producer_id = producer_id_;
    request.v3_and_below_producer_epoch = producer_epoch_;
    request.v3_and_below_topics.resize(1);
    request.v3_and_below_topics[0].name = topic_;
    request.v3_and_below_topics[0].partitions = wanted;
    auto response = co_await conn.value()->request(request, version);
    if (!response) {
      coordinator_.reset();
      continue;
    }
    bool retry = false;
    for (const auto& t : response->results_by_topic_v3_and_below) {
      for (const auto& r : t.results_by_partition) {
        if (r.partition_index < 0 || r.partition_index >= partition_count()) continue;
        if (r.partition_error_code == errc::none) {
          partitions_[static_cast<std::size_t>(r.partition_index)].in_transaction = true;
        } else if (coordinator_retriable(r.partition_error_code) ||
                   protocol::is_retriable(r.partition_error_code)) {
          retry = true;
          if (r.partition_error_code == errc::not_coordinator) coordinator_.reset();
        } else if (r.partition_error_code != errc::operation_not_attempted) {  // another failed
          fatal_ = kpipe::error{error_kind::kafka, "AddPartitionsToTxn for partition " +
                                                       std::to_string(r.partition_index) + ": " +
                                                       kafka_error_text(r.partition_error_code)};
        }
      }
    }
    if (!retry) {
      attempt = -1;  // added: look again for partitions that got batches meanwhile
      continue;
    }
    co_await coordinator_retry().pause(1);
  }
  add_partitions_running_ = false;
  notify();
  dispatch();
}

asio::awaitable<status> producer::end_transaction(bool commit) {
  namespace et = protocol::end_txn;
  kpipe::error last{error_kind::kafka, std::string("EndTxn: no answer")};
  // Twice the coordinator's attempts: an EndTxn may wait out a coordinator moving and then a
  // concurrent transaction of the same id finishing.
  auto policy = coordinator_retry();
  policy.attempts *= 2;
  for (int attempt = 0; attempt < policy.attempts; ++attempt) {
    if (attempt > 0) co_await policy.pause(attempt);
    auto conn = co_await coordinator_connection();
    if (!conn) {
      last = conn.error();
      coordinator_.reset();
      continue;
    }
    et::request request;
    request.transactional_id = *options_.transactional_id;
    request.producer_id = producer_id_;
    request.producer_epoch = producer_epoch_;
    request.committed = commit;
    auto version = conn.value()->version_for(protocol::api_key::end_txn);
    if (!version) co_return kpipe::error{error_kind::usage, std::string("EndTxn is not supported")};
    auto response = co_await conn.value()->request(request, version);
    if (!response) {
      last = response.error();
      continue;
    }
    if (response->error_code == errc::none) co_return success{};
    last = kpipe::error{error_kind::kafka,
                        std::string(commit ? "committing" : "aborting") +
                            " the transaction: " + kafka_error_text(response->error_code)};
    if (response->error_code == errc::not_coordinator) coordinator_.reset();
    if (!coordinator_retriable(response->error_code)) co_return last;
  }
  co_return last;
}

}  // namespace kpipe::client
