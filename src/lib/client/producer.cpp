#include "client/producer.hpp"

#include "client/producer_internal.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>

#include "client/kafka_error.hpp"
#include "client/produce_request.hpp"
#include "protocol/generated/add_partitions_to_txn.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/end_txn.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/find_coordinator.hpp"
#include "protocol/generated/init_producer_id.hpp"
#include "protocol/generated/produce.hpp"
#include "record/batch_header.hpp"

namespace kpipe::client {

using namespace producer_detail;

void latency_histogram::add(std::chrono::steady_clock::duration latency, std::uint64_t weight) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  std::size_t bucket = 0;
  if (us > 1) {
    bucket = static_cast<std::size_t>(std::log2(static_cast<double>(us)) * 4.0);
  }
  buckets_[std::min(bucket, bucket_count - 1)] += weight;
  total_ += weight;
}

std::chrono::microseconds latency_histogram::percentile(double fraction) const {
  if (total_ == 0) return std::chrono::microseconds(0);
  auto target = static_cast<std::uint64_t>(fraction * static_cast<double>(total_));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i];
    if (seen > target || (seen == total_ && buckets_[i] > 0)) {
      // The bucket's upper edge.
      return std::chrono::microseconds(
          static_cast<std::int64_t>(std::exp2(static_cast<double>(i + 1) / 4.0)));
    }
  }
  return std::chrono::microseconds(0);
}

producer::producer(asio::any_io_executor executor, cluster& cluster, std::string topic,
                   producer_options options)
    : executor_(executor),
      cluster_(cluster),
      topic_(std::move(topic)),
      options_(std::move(options)),
      partitioner_(options_.partitioner),
      changed_(executor, clock::time_point::max()),
      timer_(executor, clock::time_point::max()) {}

producer::~producer() { compressors_.reset(); }

std::int32_t producer::partition_count() const {
  return static_cast<std::int32_t>(partitions_.size());
}

void producer::warn(const std::string& message) {
  if (on_warning) on_warning(message);
}

void producer::debug(const std::string& message) {
  if (on_debug) on_debug(message);
}

void producer::spawn(asio::awaitable<void> work) {
  ++tasks_;
  asio::co_spawn(executor_, std::move(work), [this](std::exception_ptr e) {
    --tasks_;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        fatal_ =
            kpipe::error{error_kind::io, std::string("producer: internal error: ") + ex.what()};
      }
    }
    notify();
  });
}

void producer::notify() { changed_.cancel(); }

// ---- start ------------------------------------------------------------------------------------

std::int16_t producer::topic_error(const protocol::metadata::response& metadata) const {
  const auto* found = find_topic(metadata, topic_);
  return found ? found->error_code : errc::unknown_topic_or_partition;
}

status producer::apply_metadata(const protocol::metadata::response& metadata) {
  const auto* found = find_topic(metadata, topic_);
  if (!found) {
    return kpipe::error{error_kind::not_found, "topic " + topic_ + " is not in the metadata"};
  }
  if (found->error_code != protocol::errc::none) {
    return kpipe::error{kind_of_code(found->error_code),
                        "topic " + topic_ + ": " + kafka_error_text(found->error_code)};
  }
  // A topic deleted and created again under the same name gets a new id: requests follow it,
  // as they follow the name up to Produce v12.
  topic_id_ = found->topic_id;
  if (partitions_.empty()) {
    if (found->partitions.empty()) {
      return kpipe::error{error_kind::not_found, "topic " + topic_ + " has no partitions"};
    }
    partitions_.reserve(found->partitions.size());
    for (std::size_t i = 0; i < found->partitions.size(); ++i) {
      partitions_.emplace_back(options_.batch);
    }
  }
  // Partitions added later are not used: the partitioner keeps the count it started with.
  for (const auto& p : found->partitions) {
    if (p.partition_index < 0 || p.partition_index >= partition_count()) continue;
    partitions_[static_cast<std::size_t>(p.partition_index)].leader =
        p.error_code == protocol::errc::none || p.leader_id >= 0 ? p.leader_id : -1;
  }
  return success{};
}

asio::awaitable<status> producer::start() {
  // A named vector, not a braced temporary in the co_await: g++ 12 cannot put an
  // initializer_list's array into a coroutine frame ("array used as initializer").
  std::vector<std::string> topics(1, topic_);
  auto metadata = co_await cluster_.fetch_metadata(topics, options_.allow_auto_create_topic);
  const auto started = std::chrono::steady_clock::now();
  auto being_created = [&](const protocol::metadata::response& m) {
    return topic_creation_pending(topic_error(m), options_.allow_auto_create_topic,
                                  options_.request_timeout,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - started));
  };
  while (metadata && being_created(metadata.value())) {
    asio::steady_timer pause(executor_, options_.retry_backoff);
    co_await pause.async_wait(use_tuple);
    metadata = co_await cluster_.fetch_metadata(topics, options_.allow_auto_create_topic);
  }
  if (!metadata) co_return metadata.error();
  if (auto applied = apply_metadata(metadata.value()); !applied) co_return applied.error();

  if (options_.transactional_id && options_.acks != -1) {
    co_return kpipe::error{error_kind::usage, std::string("transactions need --acks all")};
  }
  idempotent_ = options_.idempotence || options_.transactional_id.has_value();
  if (idempotent_ && options_.acks != -1) {
    // As the Java client does (KIP-679): idempotence needs every in-sync replica's ack.
    idempotent_ = false;
  }
  if (idempotent_) {
    auto any = co_await cluster_.any_connection();
    if (!any) co_return any.error();
    if (!any.value()->version_for(protocol::api_key::init_producer_id)) {
      if (options_.transactional_id) {
        co_return kpipe::error{error_kind::usage, any.value()->name() +
                                                      " does not support transactions "
                                                      "(no InitProducerId)"};
      }
      warn(any.value()->name() +
           " does not support idempotence (no InitProducerId): producing without it; a retry "
           "may duplicate records");
      idempotent_ = false;
    }
  }
  if (options_.transactional_id) {
    if (auto found = co_await find_transaction_coordinator(); !found) co_return found.error();
  }
  if (idempotent_) {
    if (auto init = co_await init_producer_id(false); !init) co_return init.error();
  }
  if (options_.batch.compression != record::codec::none) {
    compressors_ = std::make_unique<util::worker_pool>(
        util::worker_pool::threads_for(options_.compression_threads, 4));
  }
  spawn(timer_loop());
  co_return success{};
}

// ---- appending ----------------------------------------------------------------------------------

result<append_result> producer::append(const outgoing_record& r) {
  if (fatal_) return *fatal_;
  if (buffered_bytes_ >= options_.buffer_bytes) return append_result::buffer_full;
  const std::int32_t count = partition_count();
  std::int32_t index;
  if (r.partition) {
    index = *r.partition;
    if (index < 0 || index >= count) {
      return kpipe::error{error_kind::not_found, "partition " + std::to_string(index) +
                                                     " does not exist (topic " + topic_ + " has " +
                                                     std::to_string(count) + " partitions, 0-" +
                                                     std::to_string(count - 1) + ")"};
    }
  } else {
    index = partitioner_.partition_for(r.key, count);
  }
  auto& p = partitions_[static_cast<std::size_t>(index)];
  record::record_input in{r.key, r.value, r.headers, r.timestamp, std::nullopt};
  std::size_t before = p.builder.size();
  auto status = p.builder.append(in);
  if (status == record::append_status::full) {
    seal(index);
    before = p.builder.size();
    status = p.builder.append(in);
  }
  if (status == record::append_status::too_large) {
    std::size_t size = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    for (const auto& h : r.headers) size += h.key.size() + (h.value ? h.value->size() : 0);
    return kpipe::error{error_kind::usage, "record of " + std::to_string(size) +
                                               " bytes does not fit into a batch of at most " +
                                               std::to_string(options_.batch.max_batch_bytes) +
                                               " bytes (--batch-bytes)"};
  }
  buffered_bytes_ += p.builder.size() - before;
  if (p.builder.record_count() == 1) {
    p.first_append = clock::now();
    p.first_tag = r.tag;
    wake_at(p.first_append + options_.linger);
  }
  p.last_tag = r.tag;
  return append_result::appended;
}

void producer::seal(std::int32_t index) {
  auto& p = partitions_[static_cast<std::size_t>(index)];
  if (p.builder.empty()) return;
  std::size_t open_size = p.builder.size();
  auto b = std::make_shared<batch>();
  b->id = next_batch_id_++;
  b->partition = index;
  b->record_count = static_cast<std::int32_t>(p.builder.record_count());
  b->first_tag = p.first_tag;
  b->last_tag = p.last_tag;
  b->created = p.first_append;
  // Sequence numbers are given in seal order, which is send order, so that the CRC is computed
  // once; an epoch bump re-stamps the batches still queued.
  std::optional<record::producer_stamp> stamp;
  if (idempotent_ && producer_id_ >= 0) {
    stamp = record::producer_stamp{producer_id_, producer_epoch_, p.next_sequence,
                                   options_.transactional_id.has_value()};
    b->sequence = p.next_sequence;
    p.next_sequence = advance_sequence(p.next_sequence, b->record_count);
  }
  if (compressors_) {
    // Compressed on a worker thread; the batch holds its place in the queue meanwhile (nothing of
    // the partition is sent past it) and counts what the records take until then.
    auto open = p.builder.detach(take_spare());
    b->compressing = true;
    ++compressing_;
    b->buffered = open_size;
    p.queue.push_back(b);
    partitioner_.batch_sealed(index, partition_count());
    std::weak_ptr<int> alive = alive_;
    auto executor = executor_;
    auto job = [this, alive, executor, b, stamp, open = std::move(open),
                out = take_spare()]() mutable {
      auto sealed = record::finish_batch(std::move(open), stamp, out);
      asio::post(executor,
                 [this, alive, b, sealed = std::move(sealed), out = std::move(out)]() mutable {
                   if (alive.lock()) compressed(b, std::move(sealed), std::move(out));
                 });
    };
    compressors_->submit(std::move(job));
    return;
  }
  auto sealed = p.builder.seal(stamp, take_spare());
  buffered_bytes_ -= open_size;
  if (!sealed) {
    fail_batch(b, sealed.error());
    return;
  }
  b->bytes = std::move(sealed).value();
  b->buffered = b->bytes.size();
  buffered_bytes_ += b->buffered;
  p.queue.push_back(std::move(b));
  partitioner_.batch_sealed(index, partition_count());
  dispatch();
}

// A batch back from a worker thread.
void producer::compressed(const std::shared_ptr<batch>& b, result<std::vector<std::uint8_t>> sealed,
                          std::vector<std::uint8_t> leftover) {
  recycle(std::move(leftover));
  b->compressing = false;
  --compressing_;
  if (b->finished) {
    // Failed while it was compressed (abort, delivery timeout): nothing to send.
    if (sealed) recycle(std::move(sealed).value());
    notify();
    return;
  }
  buffered_bytes_ -= std::min(buffered_bytes_, b->buffered);
  b->buffered = 0;
  if (!sealed) {
    auto& queue = partitions_[static_cast<std::size_t>(b->partition)].queue;
    queue.erase(std::remove(queue.begin(), queue.end(), b), queue.end());
    fail_batch(b, sealed.error());
    notify();
    dispatch();
    return;
  }
  b->bytes = std::move(sealed).value();
  b->buffered = b->bytes.size();
  buffered_bytes_ += b->buffered;
  notify();
  dispatch();
}

std::vector<std::uint8_t> producer::take_spare() {
  if (spare_buffers_.empty()) return {};
  auto spare = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return spare;
}

// Keeps a few buffers for the next batches: reusing them saves the page faults of fresh ones.
void producer::recycle(std::vector<std::uint8_t> buffer) {
  if (spare_buffers_.size() < max_spare_buffers && buffer.capacity() > 0 &&
      buffer.capacity() <= 2 * options_.batch.max_batch_bytes + (std::size_t{64} << 10)) {
    spare_buffers_.push_back(std::move(buffer));
  }
}

void producer::seal_all() {
  for (std::int32_t i = 0; i < partition_count(); ++i) seal(i);
}

asio::awaitable<void> producer::wait_for_space() {
  while (buffered_bytes_ >= options_.buffer_bytes && !fatal_) {
    // Open builders may hold all of the budget (many partitions, none full yet): send them. Not
    // while batches are being compressed: they free the budget as soon as they are sent, and
    // sealing every open builder then would make many small batches (which compress badly).
    if (in_flight_total_ == 0 && compressing_ == 0) seal_all();
    dispatch();
    if (buffered_bytes_ < options_.buffer_bytes || fatal_) break;
    changed_.expires_at(clock::time_point::max());
    co_await changed_.async_wait(use_tuple);
  }
}

// ---- sending ----------------------------------------------------------------------------------

bool producer::ready_to_send(const partition_state& p, clock::time_point now) const {
  if (p.queue.empty() || p.leader < 0 || p.queue.front()->compressing) return false;
  if (p.retrying && p.in_flight > 0) return false;
  if (p.blocked_until > now) return false;
  // One batch of a partition in flight at a time: batches then reach the broker in order even
  // when one is retried, also on brokers that do not check sequence numbers (librdkafka's mock
  // checks them only for transactional producers), and a failed batch never drags its
  // successors into OUT_OF_ORDER_SEQUENCE_NUMBER. Requests still carry many partitions and
  // several are in flight per broker (max_inflight).
  if (p.in_flight >= 1) return false;
  if (options_.transactional_id && !p.in_transaction) return false;
  return true;
}

void producer::dispatch() {
  if (fatal_ && !aborted_) return;
  if (epoch_bump_needed_) {
    if (in_flight_total_ == 0 && !epoch_bump_running_) spawn(bump_epoch());
    return;
  }
  if (aborted_) return;
  auto now = clock::now();
  std::set<std::int32_t> nodes;
  bool need_metadata = false;
  bool need_txn_add = false;
  for (const auto& p : partitions_) {
    if (p.queue.empty()) continue;
    if (p.leader < 0) {
      need_metadata = true;
      continue;
    }
    if (options_.transactional_id && !p.in_transaction) {
      need_txn_add = true;
      continue;
    }
    if (ready_to_send(p, now)) nodes.insert(p.leader);
  }
  if (need_metadata) spawn(refresh_metadata());
  if (need_txn_add && !add_partitions_running_) spawn(add_partitions_to_transaction());
  for (auto node : nodes) dispatch_to(node);
}

void producer::dispatch_to(std::int32_t node) {
  auto it = connections_.find(node);
  if (it == connections_.end() || !it->second->is_open()) {
    if (it != connections_.end()) connections_.erase(it);
    if (connecting_.insert(node).second) spawn(connect_to(node));
    return;
  }
  auto conn = it->second;
  auto version = conn->version_for(protocol::api_key::produce);
  if (version) version = produce_version_for(*version, topic_id_);
  if (!version || *version < produce_min_version) {
    fatal_ = kpipe::error{
        error_kind::protocol,
        conn->name() + " does not support Produce v3 or later (record batches, Kafka 0.11)"};
    notify();
    return;
  }
  auto now = clock::now();
  const auto count = static_cast<std::size_t>(partition_count());
  while (in_flight_by_node_[node] < options_.max_inflight) {
    std::vector<std::shared_ptr<batch>> picked;
    std::vector<produce_partition> parts;
    std::size_t bytes = 0;
    // Start where the last request to any broker stopped, so that no partition waits for
    // the others when requests fill up.
    for (std::size_t k = 0; k < count; ++k) {
      std::size_t i = (next_partition_ + k) % count;
      auto& p = partitions_[i];
      if (p.leader != node || !ready_to_send(p, now)) continue;
      const auto& front = p.queue.front();
      if (!picked.empty() && bytes + front->bytes.size() > options_.max_request_bytes) continue;
      auto b = front;
      p.queue.pop_front();
      if (idempotent_ && !b->sequence) {
        b->sequence = p.next_sequence;
        p.next_sequence = advance_sequence(p.next_sequence, b->record_count);
        record::stamp_producer(b->bytes, producer_id_, producer_epoch_, *b->sequence,
                               options_.transactional_id.has_value());
      }
      ++p.in_flight;
      bytes += b->bytes.size();
      parts.push_back(produce_partition{static_cast<std::int32_t>(i), b->bytes});
      picked.push_back(std::move(b));
    }
    if (picked.empty()) break;
    next_partition_ = (static_cast<std::size_t>(picked.back()->partition) + 1) % count;
    auto timeout_ms = static_cast<std::int32_t>(options_.request_timeout.count());
    auto body = write_produce_request(*version, options_.transactional_id, options_.acks,
                                      timeout_ms, topic_, topic_id_, parts);
    // The batches are written from where they are: the request keeps them alive.
    auto keep_alive = std::make_shared<std::vector<std::shared_ptr<batch>>>(picked);
    // The connection's deadline is a little longer than the broker's, so that the broker's
    // REQUEST_TIMED_OUT answer arrives before the connection gives up on it.
    auto handle =
        conn->start(protocol::api_key::produce, *version, std::move(body.framing),
                    std::move(body.parts), std::move(keep_alive),
                    options_.request_timeout + std::chrono::seconds(5), options_.acks != 0);
    if (!handle) {
      for (auto& b : picked) {
        --partitions_[static_cast<std::size_t>(b->partition)].in_flight;
        retry_later(b, handle.error(), true);
      }
      connections_.erase(node);
      break;
    }
    ++in_flight_by_node_[node];
    ++in_flight_total_;
    ++stats_.requests;
    spawn(await_produce(node, conn, std::move(handle).value(), std::move(picked), *version));
  }
}

asio::awaitable<void> producer::await_produce(std::int32_t node,
                                              std::shared_ptr<net::connection> conn,
                                              net::connection::request_handle handle,
                                              std::vector<std::shared_ptr<batch>> batches,
                                              std::int16_t version) {
  auto frame = co_await conn->finish(std::move(handle));
  --in_flight_by_node_[node];
  --in_flight_total_;
  for (auto& b : batches) --partitions_[static_cast<std::size_t>(b->partition)].in_flight;
  if (!frame) {
    if (auto it = connections_.find(node); it != connections_.end() && it->second == conn) {
      connections_.erase(it);
    }
    for (auto& b : batches) retry_later(b, frame.error(), true);
  } else if (options_.acks == 0) {
    for (auto& b : batches) deliver(b, -1);
  } else {
    protocol::produce::response response;
    protocol::reader r(frame->body(), frame->body_offset);
    if (!response.decode(r, version)) {
      auto e = net::decode_error(*conn, protocol::api_key::produce, version, r);
      conn->close();
      for (auto& b : batches) retry_later(b, e, true);
    } else {
      for (auto& b : batches) {
        const protocol::produce::response::partition_produce_response* answer = nullptr;
        for (const auto& t : response.responses) {
          for (const auto& p : t.partition_responses) {
            if (p.index == b->partition) answer = &p;
          }
        }
        if (!answer) {
          retry_later(
              b,
              kpipe::error{error_kind::protocol, conn->name() + " answered without partition " +
                                                     std::to_string(b->partition)},
              false);
          continue;
        }
        std::string why = kafka_error_text(answer->error_code, answer->error_message);
        if (!answer->record_errors.empty() && answer->record_errors[0].batch_index_error_message) {
          why += " (record " + std::to_string(answer->record_errors[0].batch_index) + ": " +
                 *answer->record_errors[0].batch_index_error_message + ")";
        }
        handle_result(b, answer->error_code, answer->base_offset, why);
      }
    }
  }
  for (auto& p : partitions_) {
    if (p.retrying && p.in_flight == 0 && !p.queue.empty()) p.retrying = p.in_flight > 0;
    if (p.in_flight == 0 && p.queue.empty()) p.retrying = false;
  }
  notify();
  dispatch();
}

void producer::handle_result(const std::shared_ptr<batch>& b, std::int16_t error_code,
                             std::int64_t base_offset, const std::string& why) {
  const auto& p = partitions_[static_cast<std::size_t>(b->partition)];
  auto broker = "broker " + std::to_string(p.leader);
  kpipe::error e{error_kind::kafka,
                 "partition " + std::to_string(b->partition) + " on " + broker + ": " + why};
  if (error_code == protocol::errc::none) {
    deliver(b, base_offset);
  } else if (error_code == errc::duplicate_sequence_number && idempotent_) {
    // The broker has this batch already (a retry of one whose answer was lost).
    deliver(b, -1);
  } else if ((error_code == errc::out_of_order_sequence_number ||
              error_code == errc::unknown_producer_id) &&
             idempotent_ && (p.retrying || !options_.transactional_id)) {
    // Expected after an earlier batch of the partition failed (it is being retried); otherwise
    // the broker lost the producer's state: start over with a new epoch (not within a
    // transaction, which then aborts: see below).
    if (!p.retrying) epoch_bump_needed_ = true;
    retry_later(b, e, false);
  } else if (error_code == errc::invalid_producer_epoch || error_code == errc::producer_fenced) {
    fatal_ = e;
    fail_batch(b, e);
  } else if (protocol::is_retriable(error_code)) {
    retry_later(b, e, protocol::leader_may_have_moved(error_code));
  } else {
    fail_batch(b, e);
  }
}

void producer::retry_later(const std::shared_ptr<batch>& b, const kpipe::error& e, bool refresh) {
  auto now = clock::now();
  ++b->attempts;
  b->last_error = e;
  if (aborted_) {
    fail_batch(b, *fatal_);
    return;
  }
  if (b->attempts > options_.retries) {
    fail_batch(b, kpipe::error{e.kind, e.message + " (gave up after " +
                                           std::to_string(b->attempts) + " attempts)"});
    return;
  }
  if (now - b->created >= options_.delivery_timeout) {
    fail_batch(
        b, kpipe::error{error_kind::timeout, e.message + " (delivery timeout of " +
                                                 std::to_string(options_.delivery_timeout.count()) +
                                                 " ms passed)"});
    return;
  }
  auto& p = partitions_[static_cast<std::size_t>(b->partition)];
  auto at = std::find_if(p.queue.begin(), p.queue.end(),
                         [&](const std::shared_ptr<batch>& q) { return q->id > b->id; });
  p.queue.insert(at, b);
  p.retrying = true;
  debug("retrying batch of partition " + std::to_string(b->partition) + " (sequence " +
        (b->sequence ? std::to_string(*b->sequence) : std::string("-")) + ", attempt " +
        std::to_string(b->attempts + 1) + "): " + e.message);
  // retry.backoff.ms doubling per attempt up to retry.backoff.max.ms (KIP-580).
  retry_policy policy{options_.retries, options_.retry_backoff, options_.retry_backoff_max};
  p.blocked_until = now + policy.backoff(b->attempts);
  wake_at(p.blocked_until);
  ++stats_.retries;
  if (refresh) spawn(refresh_metadata());
}

void producer::deliver(const std::shared_ptr<batch>& b, std::int64_t base_offset) {
  auto latency = clock::now() - b->created;
  stats_.records_delivered += static_cast<std::uint64_t>(b->record_count);
  stats_.bytes_delivered += b->bytes.size();
  ++stats_.batches_delivered;
  stats_.latency.add(latency, static_cast<std::uint64_t>(b->record_count));
  if (on_delivery) {
    on_delivery(delivery{b->partition, base_offset, b->record_count, b->first_tag, b->last_tag,
                         std::nullopt, latency, b->bytes});
  }
  release(b);
}

void producer::fail_batch(const std::shared_ptr<batch>& b, kpipe::error e) {
  stats_.records_failed += static_cast<std::uint64_t>(b->record_count);
  if (on_delivery) {
    on_delivery(delivery{b->partition, -1, b->record_count, b->first_tag, b->last_tag, e,
                         clock::now() - b->created, b->bytes});
  }
  release(b);
  // The partition's sequence numbers now have a gap the broker would refuse: later batches go
  // out under a new epoch. A transaction cannot skip a batch at all: it must abort.
  if (options_.transactional_id) {
    if (!fatal_) {
      fatal_ = kpipe::error{e.kind, "the transaction must abort: " + e.message};
    }
  } else if (idempotent_ && b->sequence) {
    epoch_bump_needed_ = true;
  }
}

void producer::release(const std::shared_ptr<batch>& b) {
  buffered_bytes_ -= std::min(buffered_bytes_, b->buffered);
  b->buffered = 0;
  b->finished = true;
  recycle(std::move(b->bytes));
  b->bytes = {};
  notify();
}

void producer::expire_batches(clock::time_point now) {
  for (auto& p : partitions_) {
    while (!p.queue.empty() && now - p.queue.front()->created >= options_.delivery_timeout &&
           p.in_flight == 0) {
      auto b = p.queue.front();
      p.queue.pop_front();
      std::string why = b->last_error ? b->last_error->message : "not sent";
      fail_batch(
          b, kpipe::error{error_kind::timeout,
                          "partition " + std::to_string(b->partition) + ": " + why +
                              " (delivery timeout of " +
                              std::to_string(options_.delivery_timeout.count()) + " ms passed)"});
    }
  }
}

void producer::fail_queued(const kpipe::error& e) {
  for (auto& p : partitions_) {
    while (!p.queue.empty()) {
      auto b = p.queue.front();
      p.queue.pop_front();
      fail_batch(b, e);
    }
  }
}

// ---- flushing and ending ----------------------------------------------------------------------

asio::awaitable<void> producer::flush() {
  seal_all();
  dispatch();
  while (true) {
    if (fatal_ && in_flight_total_ == 0 && !epoch_bump_running_) fail_queued(*fatal_);
    bool queued = std::any_of(partitions_.begin(), partitions_.end(),
                              [](const partition_state& p) { return !p.queue.empty(); });
    if (!queued && in_flight_total_ == 0 && !epoch_bump_running_) break;
    changed_.expires_at(clock::time_point::max());
    co_await changed_.async_wait(use_tuple);
  }
}

void producer::abort(const std::string& why) {
  if (!fatal_) fatal_ = kpipe::error{error_kind::io, why};
  aborted_ = true;
  for (auto& p : partitions_) {
    if (p.builder.empty()) continue;
    std::size_t open_size = p.builder.size();
    auto count = static_cast<std::uint64_t>(p.builder.record_count());
    (void)p.builder.detach();
    buffered_bytes_ -= std::min(buffered_bytes_, open_size);
    stats_.records_failed += count;
  }
  fail_queued(*fatal_);
  notify();
}

asio::awaitable<status> producer::finish(bool commit) {
  co_await flush();
  status result = success{};
  if (fatal_) result = *fatal_;
  if (options_.transactional_id) {
    bool any_added = std::any_of(partitions_.begin(), partitions_.end(),
                                 [](const partition_state& p) { return p.in_transaction; });
    bool fenced = fatal_ && fatal_->message.find("PRODUCER_FENCED") != std::string::npos;
    if (any_added && !fenced) {
      bool committing = commit && !fatal_ && stats_.records_failed == 0;
      commit_decided_ = committing;
      auto ended = co_await end_transaction(committing);
      if (!ended) {
        result = ended.error();
      } else if (!committing && result) {
        result = kpipe::error{error_kind::kafka, std::string("the transaction was aborted")};
      }
    }
  }
  if (options_.acks == 0) {
    // Written is all acks=0 knows: make sure the brokers read everything before the sockets go.
    for (auto& [node, conn] : connections_) co_await conn->drain_and_close(std::chrono::seconds(2));
  }
  stopping_ = true;
  timer_.cancel();
  while (tasks_ > 0) {
    changed_.expires_at(clock::time_point::max());
    co_await changed_.async_wait(use_tuple);
  }
  co_return result;
}

// ---- timers -----------------------------------------------------------------------------------

void producer::wake_at(clock::time_point when) {
  if (when >= timer_due_) return;
  timer_due_ = when;
  timer_.expires_at(when);  // cancels the loop's wait, which then waits for the new time
}

asio::awaitable<void> producer::timer_loop() {
  while (!stopping_) {
    if (timer_due_ != clock::time_point::max() || timer_.expiry() != timer_due_) {
      timer_.expires_at(timer_due_);
    }
    co_await timer_.async_wait(use_tuple);
    if (stopping_) break;
    auto now = clock::now();
    if (now < timer_due_) continue;
    timer_due_ = clock::time_point::max();
    auto due = clock::time_point::max();
    for (std::int32_t i = 0; i < partition_count(); ++i) {
      auto& p = partitions_[static_cast<std::size_t>(i)];
      if (!p.builder.empty()) {
        if (p.first_append + options_.linger <= now) {
          seal(i);
        } else {
          due = std::min(due, p.first_append + options_.linger);
        }
      }
    }
    expire_batches(now);
    for (const auto& p : partitions_) {
      if (p.queue.empty()) continue;
      if (p.blocked_until > now) due = std::min(due, p.blocked_until);
      due = std::min(due, p.queue.front()->created + options_.delivery_timeout);
    }
    if (due < timer_due_) timer_due_ = due;
    dispatch();
  }
}

// ---- connections and metadata -------------------------------------------------------------------

asio::awaitable<void> producer::connect_to(std::int32_t node) {
  auto conn = co_await cluster_.connection_to(node);
  connecting_.erase(node);
  if (stopping_) co_return;
  if (conn) {
    connections_[node] = conn.value();
  } else if (is_auth_failure(conn.error())) {
    fatal_ = conn.error();
    abort(conn.error().message);
  } else {
    // The leader cannot be reached: its partitions wait a backoff, the metadata may say that
    // another broker leads them now.
    auto until = clock::now() + options_.retry_backoff_max;
    for (auto& p : partitions_) {
      if (p.leader != node) continue;
      p.blocked_until = until;
      for (auto& b : p.queue) b->last_error = conn.error();
    }
    wake_at(until);
    spawn(refresh_metadata());
  }
  dispatch();
}

asio::awaitable<void> producer::refresh_metadata() {
  if (metadata_refresh_running_) {
    metadata_refresh_wanted_ = true;
    co_return;
  }
  metadata_refresh_running_ = true;
  do {
    metadata_refresh_wanted_ = false;
    // Give the cluster a moment to elect a new leader before asking.
    asio::steady_timer pause(executor_, options_.retry_backoff);
    co_await pause.async_wait(use_tuple);
    if (stopping_) break;
    std::vector<std::string> topics(1, topic_);
    auto metadata = co_await cluster_.fetch_metadata(topics);
    if (metadata) {
      (void)apply_metadata(metadata.value());
    } else if (is_auth_failure(metadata.error())) {
      if (!fatal_) fatal_ = metadata.error();
      abort(metadata.error().message);
    } else {
      warn("metadata refresh failed: " + metadata.error().message);
      bool pending = std::any_of(partitions_.begin(), partitions_.end(),
                                 [](const partition_state& p) { return !p.queue.empty(); });
      metadata_refresh_wanted_ = pending && !aborted_;
      if (metadata_refresh_wanted_) {
        asio::steady_timer wait(executor_, options_.retry_backoff_max);
        co_await wait.async_wait(use_tuple);
      }
    }
  } while (metadata_refresh_wanted_ && !stopping_);
  metadata_refresh_running_ = false;
  dispatch();
}

}  // namespace kpipe::client
