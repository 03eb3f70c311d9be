#include "client/fetcher.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/fetch_filter.hpp"
#include "client/kafka_error.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/fetch.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_ready_answers = 4;

namespace errc = protocol::errc;

bool known_id(const protocol::uuid& id) {
  return std::any_of(id.begin(), id.end(), [](std::uint8_t b) { return b != 0; });
}

std::string partition_name(const std::string& topic, std::int32_t partition) {
  return "partition " + std::to_string(partition) + " of " + topic;
}

// The table's entry for a topic of an answer read at `version`: by name up to v12, by id from
// v13 on (KIP-516). A few topics per answer: a linear search over the table is enough.
fetch_table::iterator find_topic(fetch_table& table, std::int16_t version,
                                 const protocol::fetch::response::able_topic_response& topic) {
  if (version < 13) return table.find(topic.topic);
  if (!known_id(topic.topic_id)) return table.end();
  return std::find_if(table.begin(), table.end(),
                      [&](const auto& entry) { return entry.second.id == topic.topic_id; });
}

}  // namespace

std::int16_t fetch_version_for(std::int16_t negotiated, const fetch_table& table,
                               const partitions_by_topic& asked) {
  std::int16_t version = std::min(negotiated, fetch_max_version);
  for (const auto& [topic, partitions] : asked) {
    auto t = table.find(topic);
    if (t != table.end() && !known_id(t->second.id)) {
      version = std::min(version, fetch_max_version_by_name);
    }
  }
  return version;
}

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
  // replica_id (v0-14) and replica_state (v15+, KIP-903) stay -1: a consumer. The followers'
  // fields of each partition, replica_directory_id (v17, KIP-853) and high_watermark (v18,
  // KIP-1166), keep their defaults, which are not written.
  for (const auto& [topic, partitions] : asked) {
    auto t = table.find(topic);
    if (t == table.end()) continue;
    protocol::fetch::request::topic_data data;
    data.topic = topic;
    data.topic_id = t->second.id;
    const auto& states = t->second.partitions;
    for (auto p : partitions) {
      auto s = states.find(p);
      if (s == states.end()) continue;
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

result<fetched> decode_fetch_response(std::int32_t node, std::int16_t version,
                                      std::shared_ptr<const protocol::fetch::response> response,
                                      fetch_table& table, const fetcher_options& options,
                                      fetch_decode_effects& effects) {
  fetched out;
  out.frame = response;
  if (response->error_code != errc::none) {
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
    auto t = find_topic(table, version, topic);
    if (t == table.end()) continue;
    auto& states = t->second.partitions;
    for (const auto& p : topic.partitions) {
      auto it = states.find(p.partition_index);
      if (it == states.end()) continue;
      auto& state = it->second;
      if (p.error_code != errc::none) {
        // KIP-951 (v16+): the answer names the partition's current leader and its endpoint, so
        // the fetch goes there without a Metadata round trip. Only a leader newer than the last
        // one named is taken; otherwise the metadata decides.
        const auto& hint = p.current_leader;
        bool moved = p.error_code == errc::not_leader_or_follower ||
                     p.error_code == errc::fenced_leader_epoch;
        if (moved && hint.leader_id >= 0 && hint.leader_id != node &&
            hint.leader_epoch > state.leader_epoch) {
          state.leader = hint.leader_id;
          state.leader_epoch = hint.leader_epoch;
          fetch_new_leader named{hint.leader_id, {}, 0};
          for (const auto& e : response->node_endpoints) {
            if (e.node_id == hint.leader_id) named = fetch_new_leader{e.node_id, e.host, e.port};
          }
          effects.new_leaders.push_back(std::move(named));
          continue;
        }
        if (protocol::leader_may_have_moved(p.error_code)) {
          state.leader = -1;
          effects.need_refresh = true;
          continue;
        }
        if (p.error_code == errc::offset_out_of_range && p.log_start_offset >= 0) {
          effects.warnings.push_back(partition_name(t->first, p.partition_index) + ": offset " +
                                     std::to_string(state.offset) +
                                     " is out of range; continuing at " +
                                     std::to_string(p.log_start_offset));
          state.offset = p.log_start_offset;
          continue;
        }
        return kpipe::error{kind_of_code(p.error_code),
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
  auto p = t->second.partitions.find(partition);
  return p == t->second.partitions.end() ? nullptr : &p->second;
}

void fetcher::assign(std::vector<fetch_position> positions) {
  ++assignment_generation_;
  fetch_table next;
  for (const auto& p : positions) {
    fetch_partition_state s;
    s.offset = p.offset;
    s.stop = p.stop;
    s.leader = p.leader;
    if (auto* old = find(p.topic, p.partition); old && old->leader >= 0) {
      s.leader = old->leader;
      s.leader_epoch = old->leader_epoch;
    }
    auto& topic = next[p.topic];
    topic.partitions[p.partition] = s;
    if (known_id(p.topic_id)) {
      topic.id = p.topic_id;
    } else if (auto old = partitions_.find(p.topic); old != partitions_.end()) {
      topic.id = old->second.id;  // learnt from a metadata refresh
    }
  }
  partitions_ = std::move(next);
  ready_.clear();
  busy_nodes_.clear();
  need_refresh_ = false;
  for (const auto& [topic, t] : partitions_) {
    for (const auto& [partition, state] : t.partitions) {
      need_refresh_ = need_refresh_ || state.leader < 0;
    }
  }
  wake_.cancel();
}

bool fetcher::done() const {
  // Positions move when an answer is decoded, before the caller took it: answers still queued
  // are not done.
  if (partitions_.empty() || !ready_.empty()) return false;
  for (const auto& [topic, t] : partitions_) {
    for (const auto& [partition, state] : t.partitions) {
      if (!state.stop || state.offset < *state.stop) return false;
    }
  }
  return true;
}

std::optional<std::int64_t> fetcher::position(const std::string& topic,
                                              std::int32_t partition) const {
  auto t = partitions_.find(topic);
  if (t == partitions_.end()) return std::nullopt;
  auto p = t->second.partitions.find(partition);
  if (p == t->second.partitions.end()) return std::nullopt;
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
  for (const auto& [topic, t] : partitions_) {
    for (const auto& [partition, state] : t.partitions) {
      if (state.in_flight || state.leader < 0) continue;
      if (state.stop && state.offset >= *state.stop) continue;
      by_node[state.leader][topic].push_back(partition);
    }
  }
  for (auto& [node, asked] : by_node) {
    if (!busy_nodes_.insert(node).second) continue;
    for (const auto& [topic, partitions] : asked) {
      auto& states = partitions_.find(topic)->second.partitions;
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
  for (const auto& [topic, t] : partitions_) topics.push_back(topic);
  auto metadata = co_await cluster_.fetch_metadata(topics);
  if (!*alive) co_return;
  refreshing_ = false;
  if (!metadata && is_auth_failure(metadata.error())) {
    ready_.push_back(metadata.error());  // the consumer ends with it
    wake_.cancel();
  } else if (!metadata) {
    if (on_warning) on_warning("metadata refresh failed: " + metadata.error().message);
  } else {
    need_refresh_ = false;
    for (const auto& t : metadata->topics) {
      if (!t.name) continue;
      auto found = partitions_.find(*t.name);
      if (found == partitions_.end()) continue;
      // A new id when the topic was created again (INCONSISTENT_TOPIC_ID); zeros before
      // Metadata v10, which keep the id known so far.
      if (known_id(t.topic_id)) found->second.id = t.topic_id;
      auto& states = found->second.partitions;
      for (const auto& p : t.partitions) {
        auto it = states.find(p.partition_index);
        if (it == states.end()) continue;
        it->second.leader = p.leader_id;
        it->second.leader_epoch = p.leader_epoch;
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
  if (!conn && is_auth_failure(conn.error())) {
    finish(conn.error());
    co_return;
  }
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
  if (version) version = fetch_version_for(*version, partitions_, asked);
  if (!version || (options_.read_committed && *version < fetch_min_version)) {
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
  fetch_decode_effects effects;
  effects.partition_max_bytes = options_.partition_max_bytes;
  auto decoded = decode_fetch_response(node, *version, owned, partitions_, options_, effects);
  options_.partition_max_bytes = effects.partition_max_bytes;
  if (effects.need_refresh) need_refresh_ = true;
  for (const auto& named : effects.new_leaders) {
    if (!named.host.empty() && named.port > 0 && named.port <= 65535) {
      cluster_.add_broker(named.node_id,
                          net::broker_address{named.host, static_cast<std::uint16_t>(named.port)});
    }
    if (cluster_.knows_broker(named.node_id)) continue;
    // Named without an address the cluster knows: the metadata decides after all.
    for (auto& [topic, t] : partitions_) {
      for (auto& [partition, state] : t.partitions) {
        if (state.leader == named.node_id) state.leader = -1;
      }
    }
    need_refresh_ = true;
  }
  if (on_warning) {
    for (const auto& w : effects.warnings) on_warning(w);
  }
  finish(std::move(decoded));
}

}  // namespace kpipe::client
