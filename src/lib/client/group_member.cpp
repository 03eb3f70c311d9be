#include "client/group_member.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/group_offsets.hpp"
#include "client/retry.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/heartbeat.hpp"
#include "protocol/generated/join_group.hpp"
#include "protocol/generated/leave_group.hpp"
#include "protocol/generated/sync_group.hpp"

namespace kpipe::client {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
namespace errc = protocol::errc;

std::string name_of(std::int16_t c) { return std::string(protocol::error_name(c)); }

}  // namespace

group_member::group_member(asio::any_io_executor executor, cluster& cluster, group_options options)
    : executor_(executor),
      cluster_(cluster),
      options_(std::move(options)),
      assignor_(group::make_assignor(options_.assignor)),
      alive_(std::make_shared<bool>(true)) {}

group_member::~group_member() { *alive_ = false; }

void group_member::debug(const std::string& message) {
  if (on_debug) on_debug(message);
}

asio::awaitable<result<std::shared_ptr<net::connection>>> group_member::coordinator() {
  if (!coordinator_) {
    auto node = co_await find_group_coordinator(cluster_, options_.group);
    if (!node) co_return node.error();
    coordinator_ = node.value();
  }
  auto conn = co_await cluster_.connection_to(*coordinator_);
  if (!conn) coordinator_.reset();
  co_return conn;
}

asio::awaitable<result<std::vector<protocol::byte_buffer>>> group_member::assign_as_leader(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& ids,
    const std::vector<protocol::byte_buffer>& metadata, std::vector<std::string>& member_ids) {
  std::vector<group::member> members;
  std::vector<std::string> topics;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto sub = group::decode_subscription(metadata[i]);
    if (!sub) {
      co_return kpipe::error{error_kind::protocol,
                             "member " + ids[i].first + "'s subscription: " + sub.error().message};
    }
    for (const auto& t : sub->topics) {
      if (std::find(topics.begin(), topics.end(), t) == topics.end()) topics.push_back(t);
    }
    members.push_back(group::member{ids[i].first, ids[i].second, std::move(sub).value()});
  }
  auto metadata_response = co_await cluster_.fetch_metadata(topics);
  if (!metadata_response) co_return metadata_response.error();
  group::partition_counts counts;
  for (const auto& t : metadata_response->topics) {
    if (t.name && t.error_code == errc::none) {
      counts[*t.name] = static_cast<std::int32_t>(t.partitions.size());
    }
  }
  auto assigned = assignor_->assign(members, counts);
  if (!assigned) co_return assigned.error();
  std::vector<protocol::byte_buffer> encoded;
  for (const auto& m : members) {
    member_ids.push_back(m.member_id);
    group::assignment a;
    if (auto it = assigned->find(m.member_id); it != assigned->end()) a = it->second;
    auto bytes = group::encode(a, 0);
    if (!bytes) co_return bytes.error();
    encoded.push_back(std::move(bytes).value());
  }
  co_return encoded;
}

asio::awaitable<result<group::topic_partitions>> group_member::join() {
  namespace jg = protocol::join_group;
  namespace sg = protocol::sync_group;
  if (!assignor_) {
    co_return kpipe::error{error_kind::usage, "unknown assignor '" + options_.assignor +
                                                  "' (range, roundrobin, cooperative-sticky)"};
  }
  rebalance_needed_ = false;
  kpipe::error last{error_kind::kafka, std::string("JoinGroup: no answer")};
  for (int attempt = 0; attempt < join_retry.attempts; ++attempt) {
    if (attempt > 0) co_await join_retry.pause(attempt);
    auto conn = co_await coordinator();
    if (!conn) {
      last = conn.error();
      if (is_auth_failure(last)) co_return last;
      continue;
    }
    auto join_version = conn.value()->version_for(protocol::api_key::join_group);
    auto sync_version = conn.value()->version_for(protocol::api_key::sync_group);
    if (!join_version || !sync_version) {
      co_return kpipe::error{error_kind::protocol,
                             conn.value()->name() + " does not support consumer groups"};
    }
    group::subscription sub;
    sub.topics = options_.topics;
    sub.user_data = assignor_->subscription_user_data(generation_);
    sub.owned_partitions = owned_;
    sub.generation_id = generation_;
    auto sub_bytes = group::encode(sub, group::consumer_protocol_max_version);
    if (!sub_bytes) co_return sub_bytes.error();

    jg::request join;
    join.group_id = options_.group;
    join.session_timeout_ms = static_cast<std::int32_t>(options_.session_timeout.count());
    join.rebalance_timeout_ms = static_cast<std::int32_t>(options_.rebalance_timeout.count());
    join.member_id = member_id_;
    join.group_instance_id = options_.instance_id;
    join.protocol_type = "consumer";
    join.protocols.resize(1);
    join.protocols[0].name = std::string(assignor_->name());
    join.protocols[0].metadata = sub_bytes.value();
    debug("joining group " + options_.group + " as '" + member_id_ + "'");
    auto joined = co_await conn.value()->request(join, join_version);
    if (!joined) {
      last = joined.error();
      if (is_auth_failure(last)) co_return last;
      coordinator_.reset();
      continue;
    }
    if (joined->error_code == errc::member_id_required) {
      member_id_ = joined->member_id;  // KIP-394: join again with the id the coordinator gave
      attempt = 0;
      continue;
    }
    if (joined->error_code != errc::none) {
      last = kpipe::error{error_kind::kafka,
                          "JoinGroup " + options_.group + ": " + name_of(joined->error_code)};
      if (protocol::coordinator_moved_or_loading(joined->error_code)) coordinator_.reset();
      if (joined->error_code == errc::unknown_member_id) member_id_.clear();
      if (joined->error_code == errc::fenced_instance_id) co_return last;
      if (!protocol::coordinator_moved_or_loading(joined->error_code) &&
          joined->error_code != errc::rebalance_in_progress &&
          joined->error_code != errc::unknown_member_id &&
          joined->error_code != errc::illegal_generation) {
        co_return last;
      }
      continue;
    }
    member_id_ = joined->member_id;
    generation_ = joined->generation_id;

    sg::request sync;
    sync.group_id = options_.group;
    sync.generation_id = generation_;
    sync.member_id = member_id_;
    sync.group_instance_id = options_.instance_id;
    sync.protocol_type = "consumer";
    sync.protocol_name = joined->protocol_name;
    // Only the leader sees the members; a follower knows that there is at least one other.
    alone_ = joined->leader == member_id_ && joined->members.size() == 1;
    if (joined->leader == member_id_) {
      std::vector<std::pair<std::string, std::optional<std::string>>> ids;
      std::vector<protocol::byte_buffer> metadata;
      for (const auto& m : joined->members) {
        ids.emplace_back(m.member_id, m.group_instance_id);
        metadata.push_back(m.metadata);
      }
      std::vector<std::string> member_ids;
      auto assignments = co_await assign_as_leader(ids, metadata, member_ids);
      if (!assignments) co_return assignments.error();
      for (std::size_t i = 0; i < member_ids.size(); ++i) {
        sg::request::assignment_data a;
        a.member_id = member_ids[i];
        a.assignment = (*assignments)[i];
        sync.assignments.push_back(std::move(a));
      }
      debug("leader of generation " + std::to_string(generation_) + ": assigned " +
            std::to_string(member_ids.size()) + " members");
    }
    auto synced = co_await conn.value()->request(sync, sync_version);
    if (!synced || synced->error_code != errc::none) {
      // Any SyncGroup failure: join again (see the file comment).
      if (synced) {
        last = kpipe::error{error_kind::kafka,
                            "SyncGroup " + options_.group + ": " + name_of(synced->error_code)};
        if (synced->error_code == errc::unknown_member_id) member_id_.clear();
        if (protocol::coordinator_moved_or_loading(synced->error_code)) coordinator_.reset();
        if (synced->error_code == errc::fenced_instance_id) co_return last;
      } else {
        last = synced.error();
        // librdkafka's mock answers SyncGroup errors with a null assignment, which does not
        // decode: that is an error answer, not a coordinator gone.
        if (synced.error().kind != error_kind::protocol) coordinator_.reset();
      }
      debug(last.message + "; joining again");
      continue;
    }
    group::topic_partitions partitions;
    if (!synced->assignment.empty()) {
      auto a = group::decode_assignment(synced->assignment);
      if (!a) co_return a.error();
      partitions = a->partitions;
    }
    // Cooperative (KIP-429): a partition revoked in this round is given to its new owner in a
    // follow-up rebalance, which revoking it here asks for.
    if (assignor_->cooperative()) {
      for (const auto& [topic, owned] : owned_) {
        auto it = partitions.find(topic);
        for (auto p : owned) {
          if (it == partitions.end() ||
              std::find(it->second.begin(), it->second.end(), p) == it->second.end()) {
            rebalance_needed_ = true;
          }
        }
      }
    }
    owned_ = partitions;
    asio::co_spawn(executor_, heartbeat_loop(generation_), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    co_return partitions;
  }
  co_return last;
}

asio::awaitable<void> group_member::heartbeat_loop(std::int32_t generation) {
  namespace hb = protocol::heartbeat;
  auto alive = alive_;
  while (*alive && !left_ && generation == generation_ && !rebalance_needed_) {
    asio::steady_timer pause(executor_, options_.heartbeat_interval);
    co_await pause.async_wait(use_tuple);
    if (!*alive || left_ || generation != generation_ || rebalance_needed_) co_return;
    auto conn = co_await coordinator();
    if (!*alive) co_return;
    if (!conn) continue;
    hb::request request;
    request.group_id = options_.group;
    request.generation_id = generation;
    request.member_id = member_id_;
    request.group_instance_id = options_.instance_id;
    auto response = co_await conn.value()->request(request);
    if (!*alive || generation != generation_) co_return;
    if (!response) continue;
    auto c = response->error_code;
    if (c == 0) continue;
    if (protocol::coordinator_moved_or_loading(c)) {
      coordinator_.reset();
      continue;
    }
    if (c == errc::unknown_member_id) member_id_.clear();
    debug("heartbeat: " + name_of(c) + ": rejoining");
    rebalance_needed_ = true;
  }
}

asio::awaitable<status> group_member::commit(const offsets_by_topic& offsets) {
  if (offsets.empty()) co_return success{};
  commit_identity identity;
  identity.generation = generation_;
  identity.member_id = member_id_;
  identity.group_instance_id = options_.instance_id;
  auto committed = co_await commit_offsets(cluster_, options_.group, offsets, identity);
  if (!committed) {
    auto& m = committed.error().message;
    if (m.find("REBALANCE_IN_PROGRESS") != std::string::npos ||
        m.find("ILLEGAL_GENERATION") != std::string::npos ||
        m.find("UNKNOWN_MEMBER_ID") != std::string::npos) {
      rebalance_needed_ = true;
    }
  }
  co_return committed;
}

asio::awaitable<void> group_member::leave() {
  namespace lg = protocol::leave_group;
  left_ = true;
  if (member_id_.empty() || options_.instance_id) co_return;
  auto conn = co_await coordinator();
  if (!conn) co_return;
  lg::request request;
  request.group_id = options_.group;
  request.member_id = member_id_;
  lg::request::member_identity me;
  me.member_id = member_id_;
  request.members.push_back(me);
  (void)co_await conn.value()->request(request);
}

}  // namespace kpipe::client
