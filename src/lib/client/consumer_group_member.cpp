#include "client/consumer_group_member.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "client/retry.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "util/base64.hpp"

namespace kpipe::client {

namespace asio = boost::asio;
namespace cgh = protocol::consumer_group_heartbeat;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
namespace errc = protocol::errc;

// KIP-848's special epochs in a heartbeat.
constexpr std::int32_t join_epoch = 0;
constexpr std::int32_t leave_epoch = -1;
constexpr std::int32_t static_leave_epoch = -2;

// join() asks join_retry.attempts times (client/retry.hpp), about 45 s in all: long enough for
// a coordinator to move or load, and for a static member's predecessor to be released
// (UNRELEASED_INSTANCE_ID) when the session timeout is short.

constexpr std::chrono::milliseconds min_heartbeat_interval{50};
constexpr std::chrono::milliseconds max_heartbeat_interval{60'000};

std::string name_of(std::int16_t c) { return std::string(protocol::error_name(c)); }

bool mentions(const std::string& message, std::int16_t code) {
  return message.find(name_of(code)) != std::string::npos;
}

}  // namespace

bool is_server_assignor(const std::string& name) { return name == "uniform" || name == "range"; }

cgh::request build_heartbeat(const consumer_group_options& options,
                             const consumer_member_state& state, const topic_ids& ids) {
  cgh::request request;
  request.group_id = options.group;
  request.member_id = state.member_id;
  request.member_epoch = state.epoch;
  request.instance_id = options.instance_id;
  request.rebalance_timeout_ms = static_cast<std::int32_t>(options.rebalance_timeout.count());
  request.subscribed_topic_names = options.topics;
  if (!options.assignor.empty()) request.server_assignor = options.assignor;
  // A full request every time (see the header): the owned partitions too, empty when joining
  // (the coordinator refuses owned partitions with epoch 0).
  request.topic_partitions = std::vector<cgh::request::topic_partitions_data>{};
  if (state.epoch != join_epoch) {
    for (const auto& [topic, partitions] : state.owned) {
      auto id = ids.find(topic);
      if (id == ids.end() || partitions.empty()) continue;
      cgh::request::topic_partitions_data t;
      t.topic_id = id->second;
      t.partitions = partitions;
      request.topic_partitions->push_back(std::move(t));
    }
  }
  return request;
}

cgh::request build_leave(const consumer_group_options& options,
                         const consumer_member_state& state) {
  cgh::request request;
  request.group_id = options.group;
  request.member_id = state.member_id;
  request.instance_id = options.instance_id;
  request.member_epoch = options.instance_id ? static_leave_epoch : leave_epoch;
  return request;
}

kpipe::error heartbeat_error(const consumer_group_options& options, std::int16_t code,
                             const std::optional<std::string>& broker_message) {
  std::string said = name_of(code);
  if (broker_message && !broker_message->empty()) said += ": " + *broker_message;
  const std::string& g = options.group;
  if (code == errc::group_authorization_failed || code == errc::topic_authorization_failed) {
    return {error_kind::auth, "ConsumerGroupHeartbeat for group " + g + ": " + said};
  }
  if (code == errc::group_id_not_found || code == errc::inconsistent_group_protocol) {
    // Kafka 4 answers a consumer-protocol member of a group that classic members hold (and
    // that it cannot convert) with GROUP_ID_NOT_FOUND ("... is not a consumer group").
    return {error_kind::kafka, "group " + g +
                                   " is a classic group (its members joined with JoinGroup): "
                                   "use --group-protocol classic for it, or another group (" +
                                   said + ")"};
  }
  if (code == errc::unsupported_version) {
    return {error_kind::protocol,
            "group " + g + ": the broker does not run KIP-848 consumer groups (" + said +
                "; see group.coordinator.rebalance.protocols): use --group-protocol classic"};
  }
  if (code == errc::unsupported_assignor) {
    return {error_kind::usage, "--assignor " + options.assignor +
                                   ": the broker has no such server-side assignor (" + said + ")"};
  }
  if (code == errc::fenced_instance_id || code == errc::unreleased_instance_id) {
    return {error_kind::kafka, "group " + g + ": instance id " + options.instance_id.value_or("") +
                                   " is held by another member (" + said + ")"};
  }
  return {error_kind::kafka, "ConsumerGroupHeartbeat for group " + g + ": " + said};
}

heartbeat_outcome read_heartbeat(const cgh::response& response,
                                 const consumer_group_options& options) {
  heartbeat_outcome out;
  auto code = response.error_code;
  if (code != errc::none) {
    out.failure = heartbeat_error(options, code, response.error_message);
    if (protocol::coordinator_moved_or_loading(code)) {
      out.action = heartbeat_action::find_coordinator;
    } else if (code == errc::fenced_member_epoch || code == errc::unknown_member_id) {
      out.action = heartbeat_action::rejoin;
    } else if (code == errc::unreleased_instance_id || code == errc::request_timed_out) {
      out.action = heartbeat_action::retry;
    } else {
      out.action = heartbeat_action::fail;
    }
    return out;
  }
  if (response.member_epoch <= 0) {
    out.action = heartbeat_action::fail;
    out.failure =
        kpipe::error{error_kind::protocol,
                     "ConsumerGroupHeartbeat for group " + options.group + ": member epoch " +
                         std::to_string(response.member_epoch) + " in an answer without error"};
    return out;
  }
  out.epoch = response.member_epoch;
  if (response.member_id && !response.member_id->empty()) out.member_id = response.member_id;
  // The broker's interval (group.consumer.heartbeat.interval.ms), within sane bounds: a silly
  // value must neither flood the coordinator nor let the session lapse.
  if (response.heartbeat_interval_ms > 0) {
    out.interval = std::clamp(std::chrono::milliseconds(response.heartbeat_interval_ms),
                              min_heartbeat_interval, max_heartbeat_interval);
  }
  if (response.assignment) {
    std::map<protocol::uuid, std::vector<std::int32_t>> by_id;
    for (const auto& t : response.assignment->topic_partitions) {
      auto& partitions = by_id[t.topic_id];
      for (auto p : t.partitions) {
        if (p < 0) {
          out.action = heartbeat_action::fail;
          out.failure = kpipe::error{error_kind::protocol,
                                     "ConsumerGroupHeartbeat for group " + options.group +
                                         ": assignment with partition " + std::to_string(p)};
          return out;
        }
        partitions.push_back(p);
      }
    }
    out.assignment = std::move(by_id);
  }
  return out;
}

named_assignment name_assignment(const std::map<protocol::uuid, std::vector<std::int32_t>>& by_id,
                                 const std::map<protocol::uuid, std::string>& names) {
  named_assignment out;
  for (const auto& [id, partitions] : by_id) {
    auto name = names.find(id);
    if (name == names.end()) {
      out.unknown.push_back(id);
      continue;
    }
    if (partitions.empty()) continue;
    auto& mine = out.partitions[name->second];
    mine.insert(mine.end(), partitions.begin(), partitions.end());
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  }
  return out;
}

group::topic_partitions revoked_partitions(const group::topic_partitions& owned,
                                           const group::topic_partitions& target) {
  group::topic_partitions out;
  for (const auto& [topic, partitions] : owned) {
    auto kept = target.find(topic);
    for (auto p : partitions) {
      if (kept == target.end() ||
          std::find(kept->second.begin(), kept->second.end(), p) == kept->second.end()) {
        out[topic].push_back(p);
      }
    }
  }
  return out;
}

offsets_by_topic owned_offsets(const offsets_by_topic& offsets,
                               const group::topic_partitions& owned) {
  offsets_by_topic out;
  for (const auto& [topic, partitions] : offsets) {
    auto mine = owned.find(topic);
    if (mine == owned.end()) continue;
    for (const auto& [p, offset] : partitions) {
      if (std::find(mine->second.begin(), mine->second.end(), p) != mine->second.end()) {
        out[topic][p] = offset;
      }
    }
  }
  return out;
}

std::string random_member_id() {
  std::random_device device;
  protocol::uuid id{};
  for (std::size_t i = 0; i < id.size(); i += 4) {
    auto r = device();
    for (std::size_t j = 0; j < 4; ++j) id[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  // A version 4 (random) UUID, as Java's Uuid.randomUuid().
  id[6] = static_cast<std::uint8_t>((id[6] & 0x0f) | 0x40);
  id[8] = static_cast<std::uint8_t>((id[8] & 0x3f) | 0x80);
  auto text = util::base64(id, true);
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

// ---- One protocol per group. ----

result<std::optional<group_protocols>> read_group_protocols(
    const protocol::consumer_group_describe::response& response, const std::string& group) {
  for (const auto& g : response.groups) {
    if (g.group_id != group) continue;
    if (g.error_code == errc::group_id_not_found) return std::optional<group_protocols>{};
    if (g.error_code != errc::none) {
      return kpipe::error{error_kind::kafka, "ConsumerGroupDescribe for group " + group + ": " +
                                                 name_of(g.error_code)};
    }
    group_protocols out;
    out.consumer_group = true;
    for (const auto& m : g.members) {
      // KIP-1099's member types: 0 classic, 1 consumer, -1 unknown (v0).
      if (m.member_type == 0) ++out.classic_members;
      if (m.member_type == 1) ++out.consumer_members;
    }
    return std::optional<group_protocols>{out};
  }
  return std::optional<group_protocols>{};
}

std::optional<kpipe::error> mixed_protocol_error(const std::string& group,
                                                 const std::string& protocol,
                                                 const std::optional<group_protocols>& found) {
  if (!found || !found->consumer_group) return std::nullopt;
  if (protocol == "classic") {
    // A classic member in a group the broker runs as a KIP-848 one, next to members that joined
    // with the consumer protocol. (Classic members alone may be left in a consumer group when
    // the policy only upgrades: no one to mix with then.)
    if (found->consumer_members == 0) return std::nullopt;
    return kpipe::error{error_kind::kafka,
                        "group " + group +
                            " is a KIP-848 consumer group (its members joined with "
                            "ConsumerGroupHeartbeat): join it with --group-protocol consumer; "
                            "kpipe does not mix the classic and consumer protocols in one group"};
  }
  if (found->classic_members > 0) {
    return kpipe::error{error_kind::kafka,
                        "group " + group + " has " + std::to_string(found->classic_members) +
                            " classic member(s) (JoinGroup): join it with --group-protocol "
                            "classic; kpipe does not mix the classic and consumer protocols in "
                            "one group"};
  }
  return std::nullopt;
}

asio::awaitable<std::optional<kpipe::error>> check_group_protocol(cluster& cluster,
                                                                  const std::string& group,
                                                                  const std::string& protocol) {
  namespace cgd = protocol::consumer_group_describe;
  auto node = co_await find_group_coordinator(cluster, group);
  if (!node) co_return std::nullopt;
  auto conn = co_await cluster.connection_to(node.value());
  if (!conn) co_return std::nullopt;
  auto version = conn.value()->version_for(protocol::api_key::consumer_group_describe);
  if (!version) co_return std::nullopt;  // no KIP-848 groups on this broker: nothing to mix
  cgd::request request;
  request.group_ids.assign(1, group);
  auto response = co_await conn.value()->request(request, version);
  if (!response) co_return std::nullopt;
  auto found = read_group_protocols(response.value(), group);
  if (!found) co_return std::nullopt;
  co_return mixed_protocol_error(group, protocol, found.value());
}

// ---- The member. ----

consumer_group_member::consumer_group_member(asio::any_io_executor executor, cluster& cluster,
                                             consumer_group_options options)
    : executor_(executor),
      cluster_(cluster),
      options_(std::move(options)),
      alive_(std::make_shared<bool>(true)) {}

consumer_group_member::~consumer_group_member() {
  *alive_ = false;
  if (wake_) wake_->cancel();
}

void consumer_group_member::debug(const std::string& message) {
  if (on_debug) on_debug(message);
}

void consumer_group_member::wake() {
  // A loop waiting sends at once; one whose heartbeat is on its way sends again on its return.
  heartbeat_now_ = true;
  if (wake_) wake_->cancel();
}

asio::awaitable<result<std::shared_ptr<net::connection>>> consumer_group_member::coordinator() {
  auto alive = alive_;
  if (!coordinator_) {
    auto node = co_await find_group_coordinator(cluster_, options_.group);
    if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
    if (!node) co_return node.error();
    coordinator_ = node.value();
  }
  auto node = *coordinator_;
  auto conn = co_await cluster_.connection_to(node);
  if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
  if (!conn) coordinator_.reset();
  co_return conn;
}

asio::awaitable<status> consumer_group_member::refresh_topic_ids() {
  auto alive = alive_;
  std::vector<std::string> topics = options_.topics;
  auto metadata = co_await cluster_.fetch_metadata(topics);
  if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
  if (!metadata) co_return metadata.error();
  for (const auto& t : metadata->topics) {
    if (!t.name || t.error_code != errc::none || t.topic_id == protocol::uuid{}) continue;
    ids_[*t.name] = t.topic_id;
    names_[t.topic_id] = *t.name;
  }
  co_return success{};
}

asio::awaitable<result<heartbeat_outcome>> consumer_group_member::heartbeat_once(bool joining) {
  auto alive = alive_;
  auto conn = co_await coordinator();
  if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
  if (!conn) co_return conn.error();
  auto version = conn.value()->version_for(protocol::api_key::consumer_group_heartbeat);
  if (!version) {
    co_return kpipe::error{error_kind::protocol,
                           "group " + options_.group + ": " + conn.value()->name() +
                               " does not support KIP-848 consumer groups (no "
                               "ConsumerGroupHeartbeat): use --group-protocol classic"};
  }
  // KIP-1082: from v1 on the member names itself, once, for its whole life.
  if (state_.member_id.empty() && *version >= 1) state_.member_id = random_member_id();
  if (joining) state_.epoch = join_epoch;
  auto request = build_heartbeat(options_, state_, ids_);
  auto sent_epoch = state_.epoch;
  auto response = co_await conn.value()->request(request, version);
  if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
  if (!response) {
    if (!is_auth_failure(response.error())) coordinator_.reset();
    co_return response.error();
  }
  auto outcome = read_heartbeat(response.value(), options_);
  if (outcome.action == heartbeat_action::find_coordinator) coordinator_.reset();
  if (outcome.action == heartbeat_action::ok) {
    if (outcome.member_id) state_.member_id = *outcome.member_id;
    if (outcome.epoch != sent_epoch) {
      debug("group " + options_.group + ": member epoch " + std::to_string(outcome.epoch));
    }
    state_.epoch = outcome.epoch;
    if (outcome.interval.count() > 0) interval_ = outcome.interval;
  }
  co_return outcome;
}

asio::awaitable<status> consumer_group_member::take_assignment(const heartbeat_outcome& outcome) {
  if (!outcome.assignment) co_return success{};
  auto alive = alive_;
  auto named = name_assignment(*outcome.assignment, names_);
  if (!named.unknown.empty()) {
    // A topic id not seen yet (the first assignment, or a topic created again): Metadata
    // names it.
    auto refreshed = co_await refresh_topic_ids();
    if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
    if (!refreshed) co_return refreshed;
    named = name_assignment(*outcome.assignment, names_);
    for (const auto& id : named.unknown) {
      debug("group " + options_.group + ": assigned partitions of topic id " +
            util::base64(id, true) + ", which Metadata does not name: skipped");
    }
  }
  target_ = std::move(named.partitions);
  co_return success{};
}

asio::awaitable<result<group::topic_partitions>> consumer_group_member::join() {
  if (failure_) co_return *failure_;
  if (!options_.assignor.empty() && !is_server_assignor(options_.assignor)) {
    co_return kpipe::error{
        error_kind::usage,
        "--assignor " + options_.assignor + ": the consumer group protocol takes uniform or range"};
  }
  auto alive = alive_;
  rebalance_needed_ = false;
  if (joined_ && state_.epoch > 0) {
    // Reconciliation: the caller committed what it wrote of the partitions that leave; take the
    // new assignment and acknowledge it now (the next heartbeat carries it as owned).
    if (target_) {
      auto revoked = revoked_partitions(state_.owned, *target_);
      std::size_t n = 0;
      for (const auto& [t, ps] : revoked) n += ps.size();
      if (n > 0) {
        debug("group " + options_.group + ": releasing " + std::to_string(n) + " partitions");
      }
      state_.owned = *target_;
    }
    wake();
    co_return state_.owned;
  }
  // (Re)joining with epoch 0: nothing is owned any more.
  state_.owned.clear();
  target_.reset();
  joined_ = false;
  ++loop_run_;
  if (ids_.empty()) {
    auto refreshed = co_await refresh_topic_ids();
    if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
    if (!refreshed) co_return refreshed.error();
  }
  kpipe::error last{error_kind::kafka, std::string("ConsumerGroupHeartbeat: no answer")};
  for (int attempt = 0; attempt < join_retry.attempts; ++attempt) {
    if (attempt > 0) {
      co_await join_retry.pause(attempt);
      if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
    }
    if (left_) co_return kpipe::error{error_kind::kafka, "left group " + options_.group};
    debug("joining group " + options_.group + " (KIP-848)");
    auto outcome = co_await heartbeat_once(true);
    if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
    if (!outcome) {
      last = outcome.error();
      // No such API, or credentials refused: asking again cannot help.
      if (is_auth_failure(last) || last.kind == error_kind::protocol) co_return last;
      continue;
    }
    if (outcome->action != heartbeat_action::ok) {
      last = *outcome->failure;
      if (outcome->action == heartbeat_action::fail) co_return last;
      debug(last.message + "; trying again");
      continue;
    }
    auto taken = co_await take_assignment(*outcome);
    if (!*alive) co_return kpipe::error{error_kind::io, std::string("group member gone")};
    if (!taken) co_return taken.error();
    if (target_) state_.owned = *target_;
    joined_ = true;
    debug("joined group " + options_.group + " as '" + state_.member_id + "', epoch " +
          std::to_string(state_.epoch));
    wake_ = std::make_shared<asio::steady_timer>(executor_);
    asio::co_spawn(executor_, heartbeat_loop(loop_run_), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    co_return state_.owned;
  }
  co_return last;
}

asio::awaitable<void> consumer_group_member::heartbeat_loop(std::uint64_t run) {
  auto alive = alive_;
  auto timer = wake_;
  bool soon = false;  // after a coordinator change: ask again shortly
  while (true) {
    if (!heartbeat_now_) {
      timer->expires_after(soon ? std::chrono::milliseconds(200) : interval_);
      co_await timer->async_wait(use_tuple);
    }
    if (!*alive || left_ || run != loop_run_) co_return;
    soon = false;
    heartbeat_now_ = false;
    auto outcome = co_await heartbeat_once(false);
    if (!*alive || left_ || run != loop_run_) co_return;
    if (!outcome) {
      if (is_auth_failure(outcome.error())) {
        failure_ = outcome.error();
        rebalance_needed_ = true;
        co_return;
      }
      soon = true;
      continue;
    }
    switch (outcome->action) {
      case heartbeat_action::ok: {
        auto taken = co_await take_assignment(*outcome);
        if (!*alive || left_ || run != loop_run_) co_return;
        if (!taken) {
          debug("group " + options_.group + ": " + taken.error().message);
          soon = true;
          break;
        }
        if (target_ && *target_ != state_.owned) rebalance_needed_ = true;
        break;
      }
      case heartbeat_action::find_coordinator:
      case heartbeat_action::retry:
        debug("heartbeat: " + outcome->failure->message);
        soon = true;
        break;
      case heartbeat_action::rejoin:
        // KIP-848: a fenced member has lost its partitions; it must not commit them, and joins
        // again with epoch 0 (keeping its member id).
        debug("heartbeat: " + outcome->failure->message + ": joining again");
        state_.owned.clear();
        state_.epoch = join_epoch;
        target_.reset();
        joined_ = false;
        rebalance_needed_ = true;
        co_return;
      case heartbeat_action::fail:
        failure_ = *outcome->failure;
        rebalance_needed_ = true;
        co_return;
    }
  }
}

asio::awaitable<status> consumer_group_member::commit(const offsets_by_topic& offsets) {
  auto alive = alive_;
  // Only partitions still owned: a fenced member's partitions may already be read by another.
  auto mine = owned_offsets(offsets, state_.owned);
  if (mine.empty()) co_return success{};
  status done = success{};
  for (int attempt = 0; attempt < 3; ++attempt) {
    commit_identity identity;
    identity.generation = state_.epoch;  // OffsetCommit v9: the member epoch (KIP-848)
    identity.member_id = state_.member_id;
    identity.group_instance_id = options_.instance_id;
    done = co_await commit_offsets(cluster_, options_.group, mine, identity);
    if (!*alive) co_return done;
    if (done) co_return done;
    const auto& m = done.error().message;
    if (mentions(m, errc::stale_member_epoch)) {
      // The coordinator moved on to a newer epoch than the one sent (its answer to a heartbeat
      // is on its way): heartbeat now and commit again with the epoch it brings.
      wake();
      asio::steady_timer pause(executor_, std::chrono::milliseconds(200));
      co_await pause.async_wait(use_tuple);
      if (!*alive) co_return done;
      continue;
    }
    if (mentions(m, errc::fenced_member_epoch) || mentions(m, errc::unknown_member_id)) {
      rebalance_needed_ = true;
    }
    break;
  }
  co_return done;
}

asio::awaitable<void> consumer_group_member::leave() {
  auto alive = alive_;
  left_ = true;
  wake();
  if (!joined_ || state_.member_id.empty()) co_return;
  auto conn = co_await coordinator();
  if (!*alive || !conn) co_return;
  auto request = build_leave(options_, state_);
  debug("leaving group " + options_.group);
  auto answer = co_await conn.value()->request(request);
  if (!*alive) co_return;
  if (answer && answer->error_code != errc::none) {
    debug("leaving group " + options_.group + ": " + name_of(answer->error_code));
  }
  joined_ = false;
}

}  // namespace kpipe::client
