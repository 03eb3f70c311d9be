// The KIP-848 member: its pure halves on constructed heartbeats and answers (join, fencing,
// leave, assignments by topic id, revocations), and the member itself against two scripted
// brokers, one for bootstrap (Metadata, FindCoordinator) and one as the coordinator
// (ConsumerGroupHeartbeat, OffsetCommit): join, an assignment that takes partitions away, the
// commit of those partitions before the heartbeat that gives them up, fencing and leaving.

#include "client/consumer_group_member.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <deque>

#include "net/fake_broker.hpp"
#include "net/scripted_answers.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/metadata.hpp"
#include "protocol/generated/offset_commit.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::client {
namespace {

namespace cgh = protocol::consumer_group_heartbeat;
namespace errc = protocol::errc;
namespace ts = net::test_support;

const protocol::uuid orders_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const protocol::uuid refunds_id = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

consumer_group_options options_for(std::optional<std::string> instance = std::nullopt) {
  consumer_group_options o;
  o.group = "g1";
  o.topics = {"orders", "refunds"};
  o.assignor = "range";
  o.instance_id = std::move(instance);
  return o;
}

template <typename Message>
Message through_bytes(const Message& value, std::int16_t version) {
  protocol::writer w;
  value.encode(w, version);
  auto bytes = w.take();
  protocol::reader r(bytes);
  Message back;
  EXPECT_TRUE(back.decode(r, version)) << r.error();
  EXPECT_TRUE(r.at_end());
  return back;
}

cgh::response answer(std::int32_t epoch,
                     std::vector<std::pair<protocol::uuid, std::vector<std::int32_t>>> assigned,
                     bool with_assignment = true) {
  cgh::response r;
  r.member_epoch = epoch;
  r.heartbeat_interval_ms = 50;
  if (with_assignment) {
    r.assignment.emplace();
    for (auto& [id, partitions] : assigned) {
      cgh::topic_partitions_data t;
      t.topic_id = id;
      t.partitions = partitions;
      r.assignment->topic_partitions.push_back(t);
    }
  }
  return r;
}

TEST(ConsumerGroupMember, JoinIsEpochZeroWithTopicsAssignorAndNoOwnedPartitions) {
  consumer_member_state state;
  state.member_id = "m1";
  state.owned["orders"] = {0, 1};  // left over from before a fencing: never sent with epoch 0
  topic_ids ids{{"orders", orders_id}};
  auto request = through_bytes(build_heartbeat(options_for(), state, ids), 1);
  EXPECT_EQ(request.group_id, "g1");
  EXPECT_EQ(request.member_id, "m1");
  EXPECT_EQ(request.member_epoch, 0);
  EXPECT_EQ(request.server_assignor, "range");
  EXPECT_EQ(request.rebalance_timeout_ms, 30'000);
  ASSERT_TRUE(request.subscribed_topic_names);
  EXPECT_EQ(*request.subscribed_topic_names, (std::vector<std::string>{"orders", "refunds"}));
  ASSERT_TRUE(request.topic_partitions);
  EXPECT_TRUE(request.topic_partitions->empty());
  EXPECT_EQ(request.instance_id, std::nullopt);
}

TEST(ConsumerGroupMember, BrokerDefaultAssignorIsNull) {
  auto o = options_for();
  o.assignor.clear();
  consumer_member_state state;
  EXPECT_EQ(build_heartbeat(o, state, {}).server_assignor, std::nullopt);
}

TEST(ConsumerGroupMember, HeartbeatCarriesEpochAndOwnedPartitionsById) {
  consumer_member_state state;
  state.member_id = "m1";
  state.epoch = 7;
  state.owned["orders"] = {0, 2};
  state.owned["unknown-topic"] = {1};  // no id: cannot be named, left out
  topic_ids ids{{"orders", orders_id}};
  auto request = through_bytes(build_heartbeat(options_for(), state, ids), 1);
  EXPECT_EQ(request.member_epoch, 7);
  ASSERT_TRUE(request.topic_partitions);
  ASSERT_EQ(request.topic_partitions->size(), 1u);
  EXPECT_EQ((*request.topic_partitions)[0].topic_id, orders_id);
  EXPECT_EQ((*request.topic_partitions)[0].partitions, (std::vector<std::int32_t>{0, 2}));
}

TEST(ConsumerGroupMember, LeaveIsEpochMinusOneOrMinusTwoForStaticMembers) {
  consumer_member_state state;
  state.member_id = "m1";
  state.epoch = 4;
  auto dynamic = build_leave(options_for(), state);
  EXPECT_EQ(dynamic.member_epoch, -1);
  EXPECT_EQ(dynamic.member_id, "m1");
  auto fixed = build_leave(options_for("host-1"), state);
  EXPECT_EQ(fixed.member_epoch, -2);
  EXPECT_EQ(fixed.instance_id, "host-1");
}

TEST(ConsumerGroupMember, ReadsEpochIntervalAndAssignment) {
  auto r = answer(3, {{orders_id, {2, 0}}, {refunds_id, {1}}});
  r.member_id = "m1";
  auto out = read_heartbeat(through_bytes(r, 1), options_for());
  EXPECT_EQ(out.action, heartbeat_action::ok);
  EXPECT_EQ(out.epoch, 3);
  EXPECT_EQ(out.member_id, "m1");
  EXPECT_EQ(out.interval, std::chrono::milliseconds(50));
  ASSERT_TRUE(out.assignment);
  std::map<protocol::uuid, std::string> names{{orders_id, "orders"}};
  auto named = name_assignment(*out.assignment, names);
  EXPECT_EQ(named.partitions.size(), 1u);
  EXPECT_EQ(named.partitions["orders"], (std::vector<std::int32_t>{0, 2}));
  ASSERT_EQ(named.unknown.size(), 1u);  // refunds: ask Metadata
  EXPECT_EQ(named.unknown[0], refunds_id);
}

TEST(ConsumerGroupMember, AnswerWithoutAssignmentKeepsTheLastOne) {
  auto out = read_heartbeat(answer(3, {}, false), options_for());
  EXPECT_EQ(out.action, heartbeat_action::ok);
  EXPECT_FALSE(out.assignment);
}

TEST(ConsumerGroupMember, BadAnswersAreProtocolErrors) {
  auto negative = answer(3, {{orders_id, {-1}}});
  auto out = read_heartbeat(negative, options_for());
  EXPECT_EQ(out.action, heartbeat_action::fail);
  EXPECT_EQ(out.failure->kind, error_kind::protocol);
  auto no_epoch = answer(0, {});
  EXPECT_EQ(read_heartbeat(no_epoch, options_for()).action, heartbeat_action::fail);
  auto zero_interval = answer(3, {});
  zero_interval.heartbeat_interval_ms = 0;
  EXPECT_EQ(read_heartbeat(zero_interval, options_for()).interval.count(), 0);
}

TEST(ConsumerGroupMember, ErrorsDecideWhatComesNext) {
  auto action_for = [](std::int16_t code) {
    cgh::response r;
    r.error_code = code;
    return read_heartbeat(r, options_for()).action;
  };
  EXPECT_EQ(action_for(errc::fenced_member_epoch), heartbeat_action::rejoin);
  EXPECT_EQ(action_for(errc::unknown_member_id), heartbeat_action::rejoin);
  EXPECT_EQ(action_for(errc::not_coordinator), heartbeat_action::find_coordinator);
  EXPECT_EQ(action_for(errc::coordinator_not_available), heartbeat_action::find_coordinator);
  EXPECT_EQ(action_for(errc::coordinator_load_in_progress), heartbeat_action::find_coordinator);
  EXPECT_EQ(action_for(errc::unreleased_instance_id), heartbeat_action::retry);
  EXPECT_EQ(action_for(errc::group_id_not_found), heartbeat_action::fail);
  EXPECT_EQ(action_for(errc::unsupported_version), heartbeat_action::fail);
  EXPECT_EQ(action_for(errc::group_authorization_failed), heartbeat_action::fail);
}

TEST(ConsumerGroupMember, ErrorMessagesSayWhatToDo) {
  auto o = options_for();
  auto classic = heartbeat_error(o, errc::group_id_not_found,
                                 std::string("Group g1 is not a consumer group."));
  EXPECT_NE(classic.message.find("group g1 is a classic group"), std::string::npos);
  EXPECT_NE(classic.message.find("--group-protocol classic"), std::string::npos);
  EXPECT_NE(classic.message.find("GROUP_ID_NOT_FOUND: Group g1 is not a consumer group."),
            std::string::npos);
  auto old = heartbeat_error(o, errc::unsupported_version, std::nullopt);
  EXPECT_NE(old.message.find("--group-protocol classic"), std::string::npos);
  EXPECT_EQ(heartbeat_error(o, errc::group_authorization_failed, std::nullopt).kind,
            error_kind::auth);
  EXPECT_EQ(heartbeat_error(o, errc::topic_authorization_failed, std::nullopt).kind,
            error_kind::auth);
  auto assignor = heartbeat_error(o, errc::unsupported_assignor, std::nullopt);
  EXPECT_EQ(assignor.kind, error_kind::usage);
  EXPECT_NE(assignor.message.find("--assignor range"), std::string::npos);
}

TEST(ConsumerGroupMember, RevokedPartitionsAndOwnedOffsets) {
  group::topic_partitions owned{{"orders", {0, 1, 2}}, {"refunds", {0}}};
  group::topic_partitions target{{"orders", {1}}, {"audit", {0}}};
  auto revoked = revoked_partitions(owned, target);
  EXPECT_EQ(revoked.size(), 2u);
  EXPECT_EQ(revoked["orders"], (std::vector<std::int32_t>{0, 2}));
  EXPECT_EQ(revoked["refunds"], (std::vector<std::int32_t>{0}));

  offsets_by_topic written;
  written["orders"][1] = 10;
  written["orders"][5] = 50;
  written["refunds"][0] = 3;
  auto mine = owned_offsets(written, target);
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine["orders"].size(), 1u);
  EXPECT_EQ(mine["orders"][1], 10);
}

TEST(ConsumerGroupMember, MemberIdsAreRandomUuidsInKafkasForm) {
  auto a = random_member_id();
  auto b = random_member_id();
  EXPECT_EQ(a.size(), 22u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
}

TEST(ConsumerGroupMember, OneProtocolPerGroup) {
  namespace cgd = protocol::consumer_group_describe;
  auto described = [](std::int16_t error, std::vector<std::int8_t> types) {
    cgd::response r;
    cgd::response::described_group g;
    g.group_id = "g1";
    g.error_code = error;
    for (auto t : types) {
      cgd::response::member m;
      m.member_type = t;
      g.members.push_back(m);
    }
    r.groups.push_back(g);
    return through_bytes(r, 1);
  };
  // A classic group: ConsumerGroupDescribe says it is no consumer group. Nothing to mix.
  auto classic_group = read_group_protocols(described(errc::group_id_not_found, {}), "g1");
  ASSERT_TRUE(classic_group);
  EXPECT_FALSE(classic_group.value());
  EXPECT_FALSE(mixed_protocol_error("g1", "classic", classic_group.value()));
  // A consumer group with a classic member (KIP-1099 type 0) and a consumer member (type 1).
  auto mixed = read_group_protocols(described(errc::none, {0, 1}), "g1");
  ASSERT_TRUE(mixed && mixed.value());
  EXPECT_EQ(mixed.value()->classic_members, 1u);
  EXPECT_EQ(mixed.value()->consumer_members, 1u);
  auto for_consumer = mixed_protocol_error("g1", "consumer", mixed.value());
  ASSERT_TRUE(for_consumer);
  EXPECT_NE(for_consumer->message.find("group g1 has 1 classic member(s)"), std::string::npos);
  EXPECT_NE(for_consumer->message.find("--group-protocol classic"), std::string::npos);
  auto for_classic = mixed_protocol_error("g1", "classic", mixed.value());
  ASSERT_TRUE(for_classic);
  EXPECT_NE(for_classic->message.find("--group-protocol consumer"), std::string::npos);
  // Consumer members only: fine for one more consumer member.
  auto consumers = read_group_protocols(described(errc::none, {1, 1}), "g1");
  ASSERT_TRUE(consumers);
  EXPECT_FALSE(mixed_protocol_error("g1", "consumer", consumers.value()));
  // Other refusals are errors (the caller then does not judge).
  EXPECT_FALSE(read_group_protocols(described(errc::group_authorization_failed, {}), "g1"));
}

// ---- The member against scripted brokers. ----

// The APIs the scripted brokers offer.
const std::vector<std::pair<std::int16_t, std::int16_t>> member_apis = {
    {18, 3},  // ApiVersions
    {3, 12},  // Metadata
    {10, 6},  // FindCoordinator
    {8, 9},   // OffsetCommit
    {68, 1},  // ConsumerGroupHeartbeat
};

using ts::decoded;
using ts::encoded;

// Both scripted brokers, and what the coordinator was asked, in order.
struct scripted_group {
  explicit scripted_group(asio::io_context& io) : bootstrap(io), coordinator(io) {
    auto node = coordinator.address();
    bootstrap.serve([node](const ts::received_request& req) -> std::optional<protocol::writer> {
      auto v = req.header.request_api_version;
      switch (req.header.request_api_key) {
        case 18:
          return ts::api_versions_answer(v, member_apis);
        case 3:
          return ts::metadata_answer(v, node,
                                     {{"orders", orders_id, 3}, {"refunds", refunds_id, 3}});
        case 10:
          return ts::find_coordinator_answer(v, node, "g1");
        default:
          return std::nullopt;
      }
    });
    coordinator.serve([this](const ts::received_request& req) -> std::optional<protocol::writer> {
      auto v = req.header.request_api_version;
      switch (req.header.request_api_key) {
        case 18:
          return ts::api_versions_answer(v, member_apis);
        case 68: {
          heartbeats.push_back(decoded<cgh::request>(req));
          order.push_back("heartbeat");
          cgh::response r;
          if (!answers.empty()) {
            r = answers.front();
            answers.pop_front();
          } else {
            r = steady;  // the last assignment again
          }
          if (r.error_code == errc::none && r.member_epoch > 0) steady = r;
          if (heartbeats.back().member_epoch < 0) {
            r = cgh::response{};
            r.member_epoch = heartbeats.back().member_epoch;
          }
          r.member_id = heartbeats.back().member_id;
          return encoded(r, v);
        }
        case 8: {
          commits.push_back(decoded<protocol::offset_commit::request>(req));
          order.push_back("commit");
          return ts::offset_commit_accepted(v, commits.back());
        }
        default:
          return std::nullopt;
      }
    });
  }

  ts::fake_broker bootstrap;
  ts::fake_broker coordinator;
  std::deque<cgh::response> answers;
  cgh::response steady;
  std::vector<cgh::request> heartbeats;
  std::vector<protocol::offset_commit::request> commits;
  std::vector<std::string> order;
};

asio::awaitable<bool> eventually(asio::io_context& io, std::function<bool()> done) {
  for (int i = 0; i < 100; ++i) {
    if (done()) co_return true;
    asio::steady_timer t(io, std::chrono::milliseconds(20));
    co_await t.async_wait(ts::use_tuple);
  }
  co_return done();
}

std::vector<std::int32_t> owned_of(const cgh::request& r, const protocol::uuid& id) {
  if (!r.topic_partitions) return {};
  for (const auto& t : r.topic_partitions.value()) {
    if (t.topic_id == id) return t.partitions;
  }
  return {};
}

TEST(ConsumerGroupMemberRun, JoinRevokeAfterCommitFenceAndLeave) {
  asio::io_context io;
  scripted_group group(io);
  cluster c(io.get_executor(), {group.bootstrap.address()}, ts::fast_options());
  consumer_group_member member(io.get_executor(), c, options_for());

  // Joined: all three partitions of orders. Then the coordinator takes 1 and 2 away.
  group.answers.push_back(answer(1, {{orders_id, {0, 1, 2}}}));
  group.answers.push_back(answer(1, {{orders_id, {0}}}));
  ts::run(io, [&]() -> asio::awaitable<void> {
    auto joined = co_await member.join();
    EXPECT_TRUE(joined) << joined.error().message;
    if (!joined) co_return;
    EXPECT_EQ(joined.value(), (group::topic_partitions{{"orders", {0, 1, 2}}}));
    EXPECT_TRUE(member.joined());
    EXPECT_EQ(member.epoch(), 1);
    EXPECT_EQ(member.member_id().size(), 22u);  // v1: named by the member (KIP-1082)

    EXPECT_TRUE(co_await eventually(io, [&] { return member.rebalance_needed(); }));
    // The partitions leaving are still owned until join(): their offsets are committed first.
    offsets_by_topic written;
    written["orders"][0] = 10;
    written["orders"][1] = 20;
    written["orders"][2] = 30;
    auto committed = co_await member.commit(written);
    EXPECT_TRUE(committed);
    auto heartbeats_before = group.heartbeats.size();
    auto rejoined = co_await member.join();
    EXPECT_TRUE(rejoined);
    if (!rejoined) co_return;
    EXPECT_EQ(rejoined.value(), (group::topic_partitions{{"orders", {0}}}));
    EXPECT_FALSE(member.rebalance_needed());
    // Acknowledged at once: the next heartbeat owns only partition 0.
    EXPECT_TRUE(
        co_await eventually(io, [&] { return group.heartbeats.size() > heartbeats_before; }));
    EXPECT_EQ(owned_of(group.heartbeats.back(), orders_id), (std::vector<std::int32_t>{0}));

    // Fenced: the partitions are lost, nothing of them is committed, and the member joins again
    // with epoch 0 under the same id.
    group.answers.clear();
    cgh::response fenced;
    fenced.error_code = errc::fenced_member_epoch;
    group.answers.push_back(fenced);
    EXPECT_TRUE(co_await eventually(io, [&] { return member.rebalance_needed(); }));
    auto commits_before = group.commits.size();
    offsets_by_topic more;
    more["orders"][0] = 11;
    EXPECT_TRUE(co_await member.commit(more));
    EXPECT_EQ(group.commits.size(), commits_before);
    group.answers.push_back(answer(3, {{refunds_id, {1}}}));
    auto after_fence = co_await member.join();
    EXPECT_TRUE(after_fence);
    if (!after_fence) co_return;
    EXPECT_EQ(after_fence.value(), (group::topic_partitions{{"refunds", {1}}}));
    EXPECT_EQ(member.epoch(), 3);

    co_await member.leave();
    c.close();
  });

  // Join: epoch 0, nothing owned.
  ASSERT_GE(group.heartbeats.size(), 5u);
  EXPECT_EQ(group.heartbeats[0].member_epoch, 0);
  EXPECT_TRUE(group.heartbeats[0].topic_partitions->empty());
  EXPECT_EQ(group.heartbeats[0].server_assignor, "range");
  // Heartbeats after the join carry the epoch and, until the revocation, all three partitions.
  EXPECT_EQ(group.heartbeats[1].member_epoch, 1);
  EXPECT_EQ(owned_of(group.heartbeats[1], orders_id), (std::vector<std::int32_t>{0, 1, 2}));
  // The commit of the revoked partitions, with the member epoch as the generation (v9)...
  ASSERT_EQ(group.commits.size(), 1u);
  EXPECT_EQ(group.commits[0].generation_id_or_member_epoch, 1);
  EXPECT_EQ(group.commits[0].member_id, group.heartbeats[0].member_id);
  ASSERT_EQ(group.commits[0].topics.size(), 1u);
  EXPECT_EQ(group.commits[0].topics[0].partitions.size(), 3u);
  // ... comes before the first heartbeat that no longer owns them.
  std::size_t commit_at = 0, release_at = 0, hb = 0;
  for (std::size_t i = 0; i < group.order.size(); ++i) {
    if (group.order[i] == "commit") commit_at = i;
    if (group.order[i] == "heartbeat") {
      if (release_at == 0 && group.heartbeats[hb].member_epoch > 0 &&
          owned_of(group.heartbeats[hb], orders_id) == std::vector<std::int32_t>{0}) {
        release_at = i;
      }
      ++hb;
    }
  }
  EXPECT_GT(release_at, commit_at);
  // The rejoin after the fencing: epoch 0, the same member id, nothing owned.
  auto rejoin = std::find_if(group.heartbeats.begin() + 1, group.heartbeats.end(),
                             [](const cgh::request& r) { return r.member_epoch == 0; });
  ASSERT_NE(rejoin, group.heartbeats.end());
  EXPECT_EQ(rejoin->member_id, group.heartbeats[0].member_id);
  EXPECT_TRUE(rejoin->topic_partitions->empty());
  // Leaving: epoch -1.
  EXPECT_EQ(group.heartbeats.back().member_epoch, -1);
}

}  // namespace
}  // namespace kpipe::client
