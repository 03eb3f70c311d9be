#include "client/fetcher.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/fetch_filter.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/fetch.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Fetch v13+ names topics by id (KIP-516), which brokers without topic ids cannot serve.
constexpr std::int16_t fetch_max_version = 12;
constexpr std::size_t max_ready_answers = 4;

bool leader_may_have_moved(std::int16_t code) {
  return code == 3 || code == 5 || code == 6 || code == 74 || code == 75 || code == 100;
}

std::string partition_name(const std::string& topic, std::int32_t partition) {
  return "partition " + std::to_string(partition) + " of " + topic;
}

}  // namespace

protocol::fetch::request build_fetch_request(const fetch_table& table,
                                             const partitions_by_topic& asked,
                                             const fetcher_options& options) {
  protocol::fetch::request request;
  request.replica_id = -1;
  request.max_wait_ms = static_cast<std::int32_t>(options.max_wait.count());
  request.min_bytes = options.min_bytes;
  request.max_bytes = options.max_bytes;
  request.isolation_level = options.read_committed ? 1 : 0;
  request.session_id = 0;
  request.session_epoch = -1;  // no fetch session (KIP-227): every fetch is a full one
  for (const auto& [topic, partitions] : asked) {
    auto t = table.find(topic);
    if (t == table.end()) continue;
    protocol::fetch::request::topic_data data;
    data.topic = topic;
    for (auto p : partitions) {
      auto s = t->second.find(p);
      if (s == t->second.end()) continue;
      protocol::fetch::request::partition_data d;
      d.partition = p;
      d.fetch_offset = s->second.offset;
      d.partition_max_bytes = options.partition_max_bytes;
      data.partitions.push_back(d);
    }
    if (!data.partitions.empty()) request.topics.push_back(std::move(data));
  }
  return request;
}

result<fetched> decode_fetch_response(std::int32_t node,
                                      std::shared_ptr<const protocol::fetch::response> response,
                                      fetch_table& table, const fetcher_options& options,
                                      fetch_decode_effects& effects) {
  fetched out;
  out.frame = response;
  if (response->error_code != 0) {
    return kpipe::error{error_kind::kafka,
                        "Fetch from broker " + std::to_string(node) + ": " +
                            std::string(protocol::error_name(response->error_code))};
  }
  record::read_options read;
  read.fail_on_crc_mismatch = options.check_crcs;
  read.max_decompressed_bytes =
      std::max<std::size_t>(record::default_max_decompressed_bytes,
                            static_cast<std::size_t>(effects.partition_max_bytes) * 4);
  for (const auto& topic : response->responses) {
    auto t = table.find(topic.topic);
    if (t == table.end()) continue;
    auto& states = t->second;
    for (const auto& p : topic.partitions) {
      auto it = states.find(p.partition_index);
      if (it == states.end()) continue;
      auto& state = it->second;
      if (p.error_code != 0) {
        if (leader_may_have_moved(p.error_code)) {
          state.leader = -1;
          effects.need_refresh = true;
          continue;
        }
        if (p.error_code == 1 && p.log_start_offset >= 0) {  // OFFSET_OUT_OF_RANGE
          effects.warnings.push_back(partition_name(t->first, p.partition_index) + ": offset " +
                                     std::to_string(state.offset) +
                                     " is out of range; continuing at " +
                                     std::to_string(p.log_start_offset));
          state.offset = p.log_start_offset;
          continue;
        }
        return kpipe::error{p.error_code == 29 ? error_kind::auth : error_kind::kafka,
                            "Fetch of " + partition_name(t->first, p.partition_index) +
                                " from broker " + std::to_string(node) + ": " +
                                std::string(protocol::error_name(p.error_code))};
      }
      if (!p.records || p.records->empty()) continue;
      auto read_result = record::read_batches(*p.records, read);
      if (read_result.error) {
        return kpipe::error{read_result.error->kind,
                            partition_name(t->first, p.partition_index) + " at offset " +
                                std::to_string(state.offset) + ": " + read_result.error->message};
      }
      std::vector<aborted_transaction> aborted;
      if (p.aborted_transactions) {
        for (const auto& a : *p.aborted_transactions) {
          aborted.push_back(aborted_transaction{a.producer_id, a.first_offset});
        }
      }
      bool nothing_complete = read_result.batches.empty();
      auto filtered = filter_batches(
          std::move(read_result.batches), state.offset, state.stop, std::move(aborted),
          filter_options{options.read_committed, options.control_records});
      if (nothing_complete && read_result.truncated &&
          effects.partition_max_bytes < options.max_bytes) {
        // One batch is larger than we asked for (brokers before KIP-74 send nothing then).
        effects.partition_max_bytes = std::min(options.max_bytes, effects.partition_max_bytes * 2);
      }
      state.offset = filtered.next_offset;
      if (filtered.batches.empty()) continue;
      partition_records records;
      records.topic = t->first;
      records.partition = p.partition_index;
      records.high_watermark = p.high_watermark;
      records.batches = std::move(filtered.batches);
      out.partitions.push_back(std::move(records));
    }
  }
  return out;
}

fetcher::fetcher(asio::any_io_executor executor, cluster& cluster, fetcher_options options)
    : executor_(executor),
      cluster_(cluster),
      options_(options),
      wake_(executor, asio::steady_timer::time_point::max()),
      alive_(std::make_shared<bool>(true)) {}

fetcher::~fetcher() { *alive_ = false; }

void fetcher::spawn(asio::awaitable<void> work) {
  asio::co_spawn(executor_, std::move(work), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
}

fetch_partition_state* fetcher::find(const std::string& topic, std::int32_t partition) {
  auto t = partitions_.find(topic);
  if (t == partitions_.end()) return nullptr;
  auto p = t->second.find(partition);
  return p == t->second.end() ? nullptr : &p->second;
}

void fetcher::assign(std::vector<fetch_position> positions) {
  ++assignment_generation_;
  fetch_table next;
  for (const auto& p : positions) {
    fetch_partition_state s;
    s.offset = p.offset;
    s.stop = p.stop;
    s.leader = p.leader;
    if (auto* old = find(p.topic, p.partition); old && old->leader >= 0) s.leader = old->leader;
    next[p.topic][p.partition] = s;
  }
  partitions_ = std::move(next);
  ready_.clear();
  busy_nodes_.clear();
  need_refresh_ = false;
  for (const auto& [topic, states] : partitions_) {
    for (const auto& [partition, state] : states) need_refresh_ = need_refresh_ || state.leader < 0;
  }
  wake_.cancel();
}

bool fetcher::done() const {
  // Positions move when an answer is decoded, before the caller took it: answers still queued
  // are not done.
  if (partitions_.empty() || !ready_.empty()) return false;
  for (const auto& [topic, states] : partitions_) {
    for (const auto& [partition, state] : states) {
      if (!state.stop || state.offset < *state.stop) return false;
    }
  }
  return true;
}

std::optional<std::int64_t> fetcher::position(const std::string& topic,
                                              std::int32_t partition) const {
  auto t = partitions_.find(topic);
  if (t == partitions_.end()) return std::nullopt;
  auto p = t->second.find(partition);
  if (p == t->second.end()) return std::nullopt;
  return p->second.offset;
}

void fetcher::cancel() {
  cancelled_ = true;
  ++assignment_generation_;  // answers on their way are dropped
  ready_.clear();
  wake_.cancel();
}

void fetcher::start_fetches() {
  if (cancelled_) return;
  if (need_refresh_ && !refreshing_) {
    refreshing_ = true;
    spawn(refresh_leaders());
  }
  if (ready_.size() >= max_ready_answers) return;
  std::map<std::int32_t, partitions_by_topic> by_node;
  for (const auto& [topic, states] : partitions_) {
    for (const auto& [partition, state] : states) {
      if (state.in_flight || state.leader < 0) continue;
      if (state.stop && state.offset >= *state.stop) continue;
      by_node[state.leader][topic].push_back(partition);
    }
  }
  for (auto& [node, asked] : by_node) {
    if (!busy_nodes_.insert(node).second) continue;
    for (const auto& [topic, partitions] : asked) {
      auto& states = partitions_.find(topic)->second;
      for (auto p : partitions) states[p].in_flight = true;
    }
    spawn(fetch_from(node, std::move(asked)));
  }
}

asio::awaitable<result<fetched>> fetcher::next() {
  auto alive = alive_;
  while (true) {
    if (cancelled_) co_return fetched{};
    start_fetches();
    if (!ready_.empty()) {
      auto answer = std::move(ready_.front());
      ready_.pop_front();
      start_fetches();
      co_return answer;
    }
    if (done()) co_return fetched{};
    wake_.expires_at(asio::steady_timer::time_point::max());
    co_await wake_.async_wait(use_tuple);
    if (!*alive) co_return kpipe::error{error_kind::io, std::string("fetcher closed")};
  }
}

asio::awaitable<void> fetcher::refresh_leaders() {
  auto alive = alive_;
  // After an error, give the cluster a moment to elect a new leader before asking; the first
  // lookup has no reason to wait (it cost every consume 100 ms before the first fetch).
  if (looked_up_leaders_) {
    asio::steady_timer pause(executor_, std::chrono::milliseconds(100));
    co_await pause.async_wait(use_tuple);
    if (!*alive) co_return;
  }
  looked_up_leaders_ = true;
  std::vector<std::string> topics;
  for (const auto& [topic, states] : partitions_) topics.push_back(topic);
  auto metadata = co_await cluster_.fetch_metadata(topics);
  if (!*alive) co_return;
  refreshing_ = false;
  if (!metadata) {
    if (on_warning) on_warning("metadata refresh failed: " + metadata.error().message);
  } else {
    need_refresh_ = false;
    for (const auto& t : metadata->topics) {
      if (!t.name) continue;
      auto states = partitions_.find(*t.name);
      if (states == partitions_.end()) continue;
      for (const auto& p : t.partitions) {
        auto it = states->second.find(p.partition_index);
        if (it == states->second.end()) continue;
        it->second.leader = p.leader_id;
        if (p.leader_id < 0) need_refresh_ = true;
      }
    }
  }
  wake_.cancel();
}

asio::awaitable<void> fetcher::fetch_from(std::int32_t node, partitions_by_topic asked) {
  auto alive = alive_;
  auto generation = assignment_generation_;
  auto finish = [&](std::optional<result<fetched>> answer) {
    if (!*alive || generation != assignment_generation_) return;
    busy_nodes_.erase(node);
    for (const auto& [topic, partitions] : asked) {
      for (auto p : partitions) {
        if (auto* state = find(topic, p)) state->in_flight = false;
      }
    }
    if (answer) ready_.push_back(std::move(*answer));
    wake_.cancel();
    // The next fetch leaves now, while the caller is still busy with earlier answers (positions
    // moved when this answer was decoded).
    start_fetches();
  };

  auto conn = co_await cluster_.connection_to(node);
  if (!*alive) co_return;
  if (!conn) {
    if (on_warning && generation == assignment_generation_) {
      on_warning(conn.error().message + " (retrying)");
    }
    need_refresh_ = true;
    asio::steady_timer pause(executor_, std::chrono::milliseconds(500));
    co_await pause.async_wait(use_tuple);
    finish(std::nullopt);
    co_return;
  }
  auto version = conn.value()->version_for(protocol::api_key::fetch);
  if (version) version = std::min(*version, fetch_max_version);
  if (!version || (options_.read_committed && *version < 4)) {
    finish(kpipe::error{error_kind::protocol,
                        conn.value()->name() + " does not support Fetch v4 (Kafka 0.11)"});
    co_return;
  }
  auto request = build_fetch_request(partitions_, asked, options_);
  auto response = co_await conn.value()->request(request, version);
  if (!*alive) co_return;
  if (generation != assignment_generation_) co_return;
  if (!response) {
    if (on_warning) on_warning(response.error().message + " (retrying)");
    need_refresh_ = true;
    asio::steady_timer pause(executor_, std::chrono::milliseconds(200));
    co_await pause.async_wait(use_tuple);
    finish(std::nullopt);
    co_return;
  }
  auto owned = std::make_shared<const protocol::fetch::response>(std::move(response).value());
  fetch_decode_effects effects{false, options_.partition_max_bytes, {}};
  auto decoded = decode_fetch_response(node, owned, partitions_, options_, effects);
  options_.partition_max_bytes = effects.partition_max_bytes;
  if (effects.need_refresh) need_refresh_ = true;
  if (on_warning) {
    for (const auto& w : effects.warnings) on_warning(w);
  }
  finish(std::move(decoded));
}

}  // namespace kpipe::client
