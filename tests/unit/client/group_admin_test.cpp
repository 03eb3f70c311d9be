// The pure halves of group administration: ListGroups' filters at every version (on the wire
// from v4/v5, client-side before), DescribeGroups and ConsumerGroupDescribe answers (errors,
// assignments decoded, topic ids named), OffsetFetch of every topic in both shapes (KIP-709),
// DeleteGroups and OffsetDelete. Requests and answers go through bytes with the generated
// encoders and decoders, at the versions the client sends.

#include "client/group_admin.hpp"

#include <gtest/gtest.h>

#include "protocol/generated/consumer_group_describe.hpp"
#include "protocol/generated/delete_groups.hpp"
#include "protocol/generated/describe_groups.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/list_groups.hpp"
#include "protocol/generated/offset_delete.hpp"
#include "protocol/generated/offset_fetch.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::client {
namespace {

namespace errc = protocol::errc;
namespace lg = protocol::list_groups;
namespace dg = protocol::describe_groups;
namespace cgd = protocol::consumer_group_describe;
namespace of = protocol::offset_fetch;

template <typename Message>
Message through_bytes(const Message& value, std::int16_t version) {
  protocol::writer w;
  value.encode(w, version);
  auto bytes = w.take();
  protocol::reader r(bytes);
  Message back;
  EXPECT_TRUE(back.decode(r, version)) << "v" << version << ": " << r.error();
  EXPECT_TRUE(r.at_end()) << "v" << version;
  return back;
}

lg::response::listed_group listed(const std::string& id, const std::string& state,
                                  const std::string& type) {
  lg::response::listed_group g;
  g.group_id = id;
  g.protocol_type = "consumer";
  g.group_state = state;
  g.group_type = type;
  return g;
}

lg::response three_groups() {
  lg::response r;
  r.groups.push_back(listed("a", "Stable", "classic"));
  r.groups.push_back(listed("b", "Empty", "consumer"));
  r.groups.push_back(listed("c", "Empty", "Share"));
  return r;
}

std::vector<std::string> ids(const std::vector<listed_group>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups) out.push_back(g.group_id);
  return out;
}

TEST(GroupAdmin, ListGroupsCarriesTheFiltersTheVersionHas) {
  list_groups_filter filter;
  filter.states = {"Stable"};
  filter.types = {"Consumer"};
  auto v5 = through_bytes(build_list_groups_request(filter, 5), 5);
  EXPECT_EQ(v5.states_filter, (std::vector<std::string>{"Stable"}));
  // The broker compares types in lower case.
  EXPECT_EQ(v5.types_filter, (std::vector<std::string>{"consumer"}));
  auto v4 = through_bytes(build_list_groups_request(filter, 4), 4);
  EXPECT_EQ(v4.states_filter, (std::vector<std::string>{"Stable"}));
  EXPECT_TRUE(v4.types_filter.empty());
  auto v3 = through_bytes(build_list_groups_request(filter, 3), 3);
  EXPECT_TRUE(v3.states_filter.empty());
  EXPECT_TRUE(list_groups_needs_states(filter, 3));
  EXPECT_FALSE(list_groups_needs_states(filter, 4));
  EXPECT_FALSE(list_groups_needs_states(list_groups_filter{}, 0));
}

TEST(GroupAdmin, ListGroupsV5AnswerKeepsStatesAndTypes) {
  auto answer = read_list_groups_response(through_bytes(three_groups(), 5), 5, {}, 2);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(answer->size(), 3u);
  EXPECT_EQ((*answer)[0].state, "Stable");
  EXPECT_EQ((*answer)[1].type, "consumer");
  EXPECT_EQ((*answer)[2].type, "share");  // lower-cased, whatever the broker wrote
  EXPECT_EQ((*answer)[2].coordinator, 2);
}

TEST(GroupAdmin, ListGroupsFiltersClientSideWhatTheBrokerDidNot) {
  // A broker that ignored the filters (or an older version that could not carry them).
  list_groups_filter by_type;
  by_type.types = {"consumer"};
  auto v5 = read_list_groups_response(three_groups(), 5, by_type, 1);
  ASSERT_TRUE(v5.ok());
  EXPECT_EQ(ids(v5.value()), (std::vector<std::string>{"b"}));

  // Before v5 every group is classic.
  auto v4 = read_list_groups_response(through_bytes(three_groups(), 4), 4, by_type, 1);
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->empty());
  list_groups_filter classic;
  classic.types = {"CLASSIC"};
  v4 = read_list_groups_response(through_bytes(three_groups(), 4), 4, classic, 1);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(ids(v4.value()), (std::vector<std::string>{"a", "b", "c"}));

  list_groups_filter by_state;
  by_state.states = {"empty"};
  auto states = read_list_groups_response(through_bytes(three_groups(), 4), 4, by_state, 1);
  ASSERT_TRUE(states.ok());
  EXPECT_EQ(ids(states.value()), (std::vector<std::string>{"b", "c"}));
  // v3 answers have no state: left to the caller (list_groups_needs_states).
  auto v3 = read_list_groups_response(through_bytes(three_groups(), 3), 3, by_state, 1);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->size(), 3u);
  EXPECT_EQ((*v3)[0].state, "");
}

TEST(GroupAdmin, ListGroupsErrorNamesTheBroker) {
  lg::response r;
  r.error_code = errc::coordinator_load_in_progress;
  auto answer = read_list_groups_response(r, 5, {}, 3);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().message, "ListGroups on broker 3: COORDINATOR_LOAD_IN_PROGRESS");
  r.error_code = errc::cluster_authorization_failed;
  EXPECT_EQ(read_list_groups_response(r, 5, {}, 3).error().kind, error_kind::auth);
}

TEST(GroupAdmin, StatesAndTypesInKafkasSpelling) {
  EXPECT_EQ(canonical_group_state("stable"), "Stable");
  EXPECT_EQ(canonical_group_state("PREPARINGREBALANCE"), "PreparingRebalance");
  EXPECT_EQ(canonical_group_state("reconciling"), "Reconciling");
  EXPECT_EQ(canonical_group_state("running"), std::nullopt);
  EXPECT_EQ(canonical_group_type("Consumer"), "consumer");
  EXPECT_EQ(canonical_group_type("share"), "share");
  EXPECT_EQ(canonical_group_type("simple"), std::nullopt);
}

dg::response::described_group classic_group() {
  dg::response::described_group g;
  g.group_id = "billing";
  g.group_state = "Stable";
  g.protocol_type = "consumer";
  g.protocol_data = "range";
  dg::response::described_group_member m1;
  m1.member_id = "m-2";
  m1.group_instance_id = "static-1";
  m1.client_id = "kpipe";
  m1.client_host = "/10.0.0.1";
  group::assignment a;
  a.partitions = {{"orders", {2, 0}}, {"audit", {1}}};
  m1.member_assignment = group::encode(a, 3).value();
  dg::response::described_group_member m2;
  m2.member_id = "m-1";
  m2.client_id = "other";
  m2.client_host = "/10.0.0.2";
  g.members = {m1, m2};
  return g;
}

TEST(GroupAdmin, DescribeGroupsDecodesConsumerAssignments) {
  dg::response r;
  r.groups.push_back(classic_group());
  for (std::int16_t version : {0, 4, 5, 6}) {
    auto back = through_bytes(r, version);
    auto d = read_described_group(back, "billing");
    ASSERT_TRUE(d.ok()) << "v" << version << ": " << d.error().message;
    EXPECT_EQ(d->type, "classic");
    EXPECT_EQ(d->state, "Stable");
    EXPECT_EQ(d->protocol_type, "consumer");
    EXPECT_EQ(d->protocol, "range");
    ASSERT_EQ(d->members.size(), 2u);
    // Sorted by member id; the one without an assignment (joining) has none.
    EXPECT_EQ(d->members[0].member_id, "m-1");
    EXPECT_TRUE(d->members[0].assignment.empty());
    EXPECT_EQ(d->members[1].member_id, "m-2");
    EXPECT_EQ(d->members[1].instance_id,
              version >= 4 ? std::optional<std::string>("static-1") : std::nullopt);
    EXPECT_EQ(d->members[1].host, "/10.0.0.1");
    EXPECT_EQ(d->members[1].assignment,
              (group::topic_partitions{{"audit", {1}}, {"orders", {0, 2}}}));
    EXPECT_FALSE(d->members[1].member_epoch);
  }
}

TEST(GroupAdmin, DescribeGroupsLeavesOtherProtocolsAloneAndReportsBadAssignments) {
  auto g = classic_group();
  g.protocol_type = "connect";
  dg::response r;
  r.groups.push_back(g);
  auto d = read_described_group(r, "billing");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->members[1].assignment.empty());
  EXPECT_FALSE(d->members[1].assignment_error);

  g.protocol_type = "consumer";
  g.members[0].member_assignment = {0, 0, 0, 0, 0, 9};  // 9 topics promised, none there
  r.groups[0] = g;
  d = read_described_group(r, "billing");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->members[1].assignment_error);
  EXPECT_NE(d->members[1].assignment_error->find("consumer assignment"), std::string::npos);
}

TEST(GroupAdmin, DescribeGroupsErrors) {
  dg::response r;
  dg::response::described_group g;
  g.group_id = "gone";
  g.error_code = errc::group_id_not_found;
  g.error_message = "Group gone not found.";
  r.groups.push_back(g);
  auto d = read_described_group(r, "gone");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, error_kind::not_found);
  EXPECT_EQ(d.error().message, "group gone does not exist");

  // Before v6: Dead without members and without an error.
  r.groups[0].error_code = errc::none;
  r.groups[0].group_state = "Dead";
  EXPECT_EQ(read_described_group(r, "gone").error().kind, error_kind::not_found);

  r.groups[0].error_code = errc::group_authorization_failed;
  EXPECT_EQ(read_described_group(r, "gone").error().kind, error_kind::auth);
  r.groups[0].error_code = errc::coordinator_load_in_progress;
  d = read_described_group(r, "gone");
  EXPECT_EQ(d.error().kind, error_kind::kafka);
  EXPECT_NE(d.error().message.find("COORDINATOR_LOAD_IN_PROGRESS"), std::string::npos);

  EXPECT_EQ(read_described_group(r, "other").error().kind, error_kind::protocol);
}

cgd::topic_partitions_data tp(std::uint8_t id, const std::string& name,
                              std::vector<std::int32_t> partitions) {
  cgd::topic_partitions_data out;
  out.topic_id[15] = id;
  out.topic_name = name;
  out.partitions = std::move(partitions);
  return out;
}

TEST(GroupAdmin, ConsumerGroupDescribeGivesEpochsAndBothAssignments) {
  cgd::response r;
  cgd::response::described_group g;
  g.group_id = "new";
  g.group_state = "Reconciling";
  g.group_epoch = 7;
  g.assignment_epoch = 7;
  g.assignor_name = "uniform";
  cgd::response::member m;
  m.member_id = "Zm9v";
  m.instance_id = std::nullopt;
  m.member_epoch = 6;
  m.client_id = "console-consumer";
  m.client_host = "/127.0.0.1";
  m.assignment.topic_partitions = {tp(1, "orders", {3, 1})};
  // The second topic carries only its id (a name the broker did not fill in).
  m.target_assignment.topic_partitions = {tp(1, "orders", {1}), tp(2, "", {0})};
  g.members.push_back(m);
  r.groups.push_back(g);
  for (std::int16_t version : {0, 1}) {
    auto back = through_bytes(r, version);
    EXPECT_EQ(unnamed_topic_ids(back).size(), 1u);
    topic_names_by_id names;
    protocol::uuid id2{};
    id2[15] = 2;
    names[id2] = "audit";
    auto d = read_consumer_group_described(back, "new", names);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->type, "consumer");
    EXPECT_EQ(d->state, "Reconciling");
    EXPECT_EQ(d->protocol, "uniform");
    EXPECT_EQ(d->group_epoch, 7);
    ASSERT_EQ(d->members.size(), 1u);
    const auto& dm = d->members[0];
    EXPECT_EQ(dm.member_epoch, 6);
    EXPECT_EQ(dm.assignment, (group::topic_partitions{{"orders", {1, 3}}}));
    ASSERT_TRUE(dm.target_assignment);
    EXPECT_EQ(*dm.target_assignment, (group::topic_partitions{{"audit", {0}}, {"orders", {1}}}));
  }
  // Without a name for the id: the id as Kafka prints it.
  auto d = read_consumer_group_described(r, "new", {});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->members[0].target_assignment->contains("AAAAAAAAAAAAAAAAAAAAAg"));
}

TEST(GroupAdmin, ConsumerGroupDescribeOfAClassicGroupIsNotFound) {
  cgd::response r;
  cgd::response::described_group g;
  g.group_id = "old";
  g.error_code = errc::group_id_not_found;
  g.error_message = "Group old is not a consumer group.";
  r.groups.push_back(g);
  auto d = read_consumer_group_described(r, "old", {});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, error_kind::not_found);
}

TEST(GroupAdmin, OffsetFetchOfEveryTopicInBothShapes) {
  for (std::int16_t version : {2, 7}) {
    auto back = through_bytes(build_all_offsets_request("g", version), version);
    EXPECT_EQ(back.group_id, "g");
    EXPECT_FALSE(back.topics) << "v" << version << ": null means every topic (KIP-88)";
  }
  for (std::int16_t version : {8, 9}) {
    auto back = through_bytes(build_all_offsets_request("g", version), version);
    ASSERT_EQ(back.groups.size(), 1u);
    EXPECT_EQ(back.groups[0].group_id, "g");
    EXPECT_FALSE(back.groups[0].topics);
    EXPECT_EQ(back.groups[0].member_id, std::nullopt);
    EXPECT_EQ(back.groups[0].member_epoch, -1);
  }
}

TEST(GroupAdmin, OffsetFetchAnswersKeepCommittedPartitionsOnly) {
  of::response v7;
  of::response::topic t;
  t.name = "orders";
  of::response::partition p0;
  p0.partition_index = 0;
  p0.committed_offset = 42;
  p0.metadata = "m";
  of::response::partition p1;
  p1.partition_index = 1;
  p1.committed_offset = -1;
  t.partitions = {p0, p1};
  v7.topics.push_back(t);
  auto a = read_all_offsets_response(through_bytes(v7, 7), 7, "g");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ(a->at("orders").size(), 1u);
  EXPECT_EQ(a->at("orders").at(0).offset, 42);

  of::response v9;
  of::response::group g;
  g.group_id = "g";
  of::response::topics_data tt;
  tt.name = "audit";
  of::response::partitions_data pp;
  pp.partition_index = 3;
  pp.committed_offset = 7;
  tt.partitions.push_back(pp);
  g.topics.push_back(tt);
  v9.groups.push_back(g);
  a = read_all_offsets_response(through_bytes(v9, 9), 9, "g");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->at("audit").at(3).offset, 7);
  EXPECT_EQ(read_all_offsets_response(v9, 9, "h").error().kind, error_kind::protocol);

  v9.groups[0].error_code = errc::group_authorization_failed;
  EXPECT_EQ(read_all_offsets_response(v9, 9, "g").error().kind, error_kind::auth);
  v7.error_code = errc::not_coordinator;
  EXPECT_EQ(read_all_offsets_response(v7, 7, "g").error().kind, error_kind::kafka);
}

TEST(GroupAdmin, DeleteGroupsOutcomes) {
  protocol::delete_groups::response r;
  protocol::delete_groups::response::deletable_group_result ok;
  ok.group_id = "a";
  protocol::delete_groups::response::deletable_group_result busy;
  busy.group_id = "b";
  busy.error_code = errc::non_empty_group;
  protocol::delete_groups::response::deletable_group_result gone;
  gone.group_id = "c";
  gone.error_code = errc::group_id_not_found;
  r.results = {ok, busy, gone};
  auto back = through_bytes(r, 2);
  EXPECT_TRUE(read_delete_groups_response(back, "a").ok());
  auto b = read_delete_groups_response(back, "b");
  EXPECT_EQ(b.error().kind, error_kind::kafka);
  EXPECT_EQ(b.error().message, "group b has active members (NON_EMPTY_GROUP)");
  EXPECT_EQ(read_delete_groups_response(back, "c").error().kind, error_kind::not_found);
  EXPECT_EQ(read_delete_groups_response(back, "d").error().kind, error_kind::protocol);
}

TEST(GroupAdmin, OffsetDeleteRequestAndAnswer) {
  partitions_of_topics which{{"orders", {0, 2}}, {"audit", {1}}};
  auto request = through_bytes(build_offset_delete_request("g", which), 0);
  EXPECT_EQ(request.group_id, "g");
  ASSERT_EQ(request.topics.size(), 2u);
  EXPECT_EQ(request.topics[0].name, "audit");
  ASSERT_EQ(request.topics[1].partitions.size(), 2u);
  EXPECT_EQ(request.topics[1].partitions[1].partition_index, 2);

  protocol::offset_delete::response r;
  protocol::offset_delete::response::topic t;
  t.name = "orders";
  protocol::offset_delete::response::partition p;
  p.partition_index = 0;
  p.error_code = errc::group_subscribed_to_topic;
  t.partitions.push_back(p);
  r.topics.push_back(t);
  auto outcome = read_offset_delete_response(through_bytes(r, 0), "g");
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(outcome->size(), 1u);
  EXPECT_EQ((*outcome)[0].error_code, errc::group_subscribed_to_topic);
  r.error_code = errc::group_id_not_found;
  EXPECT_EQ(read_offset_delete_response(r, "g").error().kind, error_kind::not_found);
}

}  // namespace
}  // namespace kpipe::client
