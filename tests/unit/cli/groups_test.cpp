// kpipe groups' values and output: -t TOPIC[:PARTITIONS], --to in every form, plan files (the
// JSON reset prints and kafka-consumer-groups' CSV), and rendering of list, describe and plans.

#include "groups/groups.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kpipe::cli::groups {
namespace {

using kind = client::reset_target::kind;

TEST(GroupsCli, TopicSelections) {
  auto whole = parse_topic_selection("orders");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->topic, "orders");
  EXPECT_TRUE(whole->partitions.empty());
  auto some = parse_topic_selection("orders:5,0,2-3,2");
  ASSERT_TRUE(some.ok()) << some.error().message;
  EXPECT_EQ(some->partitions, (std::vector<std::int32_t>{0, 2, 3, 5}));
  for (const char* bad : {"", ":1", "orders:", "orders:x", "orders:3-1", "orders:-1", "o:1,,2"}) {
    auto r = parse_topic_selection(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, error_kind::usage);
  }
}

TEST(GroupsCli, ResetTargetsInEveryForm) {
  const std::int64_t now = 1'800'000'000'000;
  auto target = [&](const char* text) {
    auto r = parse_reset_to(text, now);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->target : client::reset_target{};
  };
  EXPECT_EQ(target("earliest").what, kind::earliest);
  EXPECT_EQ(target("latest").what, kind::latest);
  EXPECT_EQ(target("current").what, kind::current);
  EXPECT_EQ(target("offset:42").what, kind::offset);
  EXPECT_EQ(target("offset:42").value, 42);
  EXPECT_EQ(target("shift:-10").value, -10);
  EXPECT_EQ(target("shift:+10").value, 10);
  EXPECT_EQ(target("shift:3").value, 3);
  EXPECT_EQ(target("time:1700000000000").what, kind::time);
  EXPECT_EQ(target("time:1700000000000").value, 1'700'000'000'000);
  // consume's TIME forms: ISO 8601 with a zone, relative to now.
  EXPECT_EQ(target("time:2023-11-14T22:13:20Z").value, 1'700'000'000'000);
  EXPECT_EQ(target("time:2023-11-14T23:13:20.5+01:00").value, 1'700'000'000'500);
  EXPECT_EQ(target("time:-1h").value, now - 3'600'000);
  EXPECT_EQ(target("time:now").value, now);
  EXPECT_EQ(target("ago:2h").what, kind::time);
  EXPECT_EQ(target("ago:2h").value, now - 7'200'000);
  EXPECT_EQ(target("ago:500ms").value, now - 500);
  auto file = parse_reset_to("file:/tmp/plan.csv", now);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->target.what, kind::given);
  EXPECT_EQ(file->file, "/tmp/plan.csv");
}

TEST(GroupsCli, ResetTargetGarbageNamesTheAcceptedForms) {
  for (const char* bad : {"", "start", "offset:", "offset:-3", "offset:x", "shift:", "shift:1.5",
                          "time:yesterday", "ago:-1h", "ago:1y", "file:", "later:5"}) {
    auto r = parse_reset_to(bad, 1'800'000'000'000);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, error_kind::usage) << bad;
    EXPECT_NE(r.error().message.find("accepted: earliest, latest, current, offset:N"),
              std::string::npos)
        << r.error().message;
  }
  // A bare number is milliseconds, as in every kpipe duration.
  EXPECT_TRUE(parse_reset_to("ago:5", 1'800'000'000'000).ok());
}

TEST(GroupsCli, PlanFilesFromKafkasCsvExport) {
  auto plan = parse_plan_file("orders,0,15\norders,1,7\r\n\naudit,2,0\n", "g");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->at("orders").at(0), 15);
  EXPECT_EQ(plan->at("orders").at(1), 7);
  EXPECT_EQ(plan->at("audit").at(2), 0);
  // Several groups exported: GROUP,TOPIC,PARTITION,OFFSET, only ours taken.
  plan = parse_plan_file("g,orders,0,3\nh,orders,0,9\n", "g");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->at("orders").at(0), 3);
  auto other = parse_plan_file("h,orders,0,9\n", "g");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message, "plan file: no line for group g");
  auto bad = parse_plan_file("orders,0,15\norders,x,1\n", "g");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "plan file line 2: expected TOPIC,PARTITION,OFFSET with numbers");
  // A header line is skipped.
  plan = parse_plan_file("topic,partition,offset\norders,4,1\n", "g");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->at("orders").at(4), 1);
  EXPECT_FALSE(parse_plan_file("orders;0;1\n", "g").ok());
  EXPECT_FALSE(parse_plan_file("", "g").ok());
}

TEST(GroupsCli, PlanFilesFromResetJson) {
  std::vector<client::reset_step> steps(2);
  steps[0].topic = "orders";
  steps[0].partition = 0;
  steps[0].current = 5;
  steps[0].target = 1;
  steps[1].topic = "orders";
  steps[1].partition = 2;
  steps[1].target = 9;
  auto json = render_plan(output_format::json, "g", steps, false);
  EXPECT_EQ(json,
            "{\"group\":\"g\",\"executed\":false,\"partitions\":[{\"topic\":\"orders\","
            "\"partition\":0,\"current\":5,\"offset\":1},{\"topic\":\"orders\",\"partition\":2,"
            "\"current\":null,\"offset\":9}]}\n");
  auto plan = parse_plan_file(json, "g");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->at("orders").at(0), 1);
  EXPECT_EQ(plan->at("orders").at(2), 9);
  // The array alone works too.
  plan = parse_plan_file(R"([{"topic":"a","partition":1,"offset":4}])", "g");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->at("a").at(1), 4);
  EXPECT_FALSE(parse_plan_file(R"({"partitions":[{"topic":"a","partition":1}]})", "g").ok());
  EXPECT_FALSE(
      parse_plan_file(R"({"partitions":[{"topic":"a","partition":1,"offset":-2}]})", "g").ok());
  EXPECT_FALSE(parse_plan_file("{not json", "g").ok());

  auto text = render_plan(output_format::text, "g", steps, false);
  EXPECT_EQ(text,
            "TOPIC   PARTITION  CURRENT  NEW\n"
            "orders  0          5        1\n"
            "orders  2          -        9\n");
}

TEST(GroupsCli, Ages) {
  EXPECT_EQ(format_age(0), "0s");
  EXPECT_EQ(format_age(850), "850ms");
  EXPECT_EQ(format_age(12'345), "12.3s");
  EXPECT_EQ(format_age(303'000), "5m03s");
  EXPECT_EQ(format_age(7'500'000), "2h05m");
  EXPECT_EQ(format_age(3 * 86'400'000LL + 4 * 3'600'000LL), "3d04h");
}

group_report sample_report() {
  group_report r;
  r.description.group_id = "billing";
  r.description.state = "Stable";
  r.description.type = "classic";
  r.description.protocol_type = "consumer";
  r.description.protocol = "range";
  r.description.coordinator = 2;
  r.coordinator_address = "b2:9092";
  client::group_member_description m;
  m.member_id = "m-1";
  m.client_id = "kpipe";
  m.host = "/10.0.0.1";
  m.assignment = {{"orders", {0, 1}}};
  r.description.members.push_back(m);
  client::partition_position p0;
  p0.topic = "orders";
  p0.partition = 0;
  p0.committed = 40;
  p0.log_start = 0;
  p0.log_end = 100;
  p0.next_record_timestamp = 1000;
  client::partition_position p1 = p0;
  p1.partition = 1;
  p1.committed = std::nullopt;
  p1.next_record_timestamp = std::nullopt;
  r.partitions = {p0, p1};
  return r;
}

TEST(GroupsCli, DescribeText) {
  auto text = render_describe(output_format::text, {sample_report()}, 13'345);
  EXPECT_EQ(text,
            "GROUP        billing\n"
            "STATE        Stable\n"
            "TYPE         classic\n"
            "PROTOCOL     consumer/range\n"
            "COORDINATOR  2 (b2:9092)\n"
            "MEMBERS      1\n"
            "\n"
            "MEMBER-ID  INSTANCE-ID  CLIENT-ID  HOST       ASSIGNMENT\n"
            "m-1        -            kpipe      /10.0.0.1  orders:0,1\n"
            "\n"
            "TOPIC   PARTITION  COMMITTED  LOG-START  LOG-END  LAG  TIME-LAG  MEMBER-ID\n"
            "orders  0          40         0          100      60   12.3s     m-1\n"
            "orders  1          -          0          100      -    -         m-1\n"
            "orders  (total)                                   60   12.3s\n"
            "\n"
            "LAG 60 records, 12.3s behind; 1 partition without a committed offset\n");
}

TEST(GroupsCli, DescribeJsonIsOneDocument) {
  auto report = sample_report();
  report.description.type = "consumer";
  report.description.protocol_type = "";
  report.description.protocol = "uniform";
  report.description.group_epoch = 4;
  report.description.assignment_epoch = 4;
  report.description.members[0].member_epoch = 4;
  report.description.members[0].target_assignment =
      client::group::topic_partitions{{"orders", {0}}};
  auto text = render_describe(output_format::json, {report, sample_report()}, 13'345);
  auto doc = nlohmann::json::parse(text);
  ASSERT_EQ(doc["groups"].size(), 2u);
  const auto& g = doc["groups"][0];
  EXPECT_EQ(g["group"], "billing");
  EXPECT_EQ(g["type"], "consumer");
  EXPECT_EQ(g["assignor"], "uniform");
  EXPECT_EQ(g["group_epoch"], 4);
  EXPECT_EQ(g["coordinator"]["id"], 2);
  EXPECT_EQ(g["members"][0]["member_epoch"], 4);
  EXPECT_EQ(g["members"][0]["assignment"][0]["partitions"], nlohmann::json::parse("[0,1]"));
  EXPECT_EQ(g["members"][0]["target_assignment"][0]["partitions"], nlohmann::json::parse("[0]"));
  EXPECT_EQ(g["partitions"][0]["lag"], 60);
  EXPECT_EQ(g["partitions"][0]["time_lag_ms"], 12'345);
  EXPECT_TRUE(g["partitions"][1]["committed"].is_null());
  EXPECT_TRUE(g["partitions"][1]["lag"].is_null());
  EXPECT_EQ(g["topics"][0]["lag"], 60);
  EXPECT_EQ(g["lag"], 60);
  EXPECT_EQ(g["time_lag_ms"], 12'345);
  EXPECT_EQ(g["partitions_without_commit"], 1);
  EXPECT_EQ(doc["groups"][1]["protocol"], "range");
  EXPECT_FALSE(doc["groups"][1]["members"][0].contains("member_epoch"));
}

TEST(GroupsCli, ListTextAndJson) {
  std::vector<client::listed_group> groups(2);
  groups[0].group_id = "a";
  groups[0].type = "classic";
  groups[0].state = "Empty";
  groups[0].protocol_type = "consumer";
  groups[0].coordinator = 1;
  groups[1].group_id = "b";
  groups[1].type = "consumer";
  groups[1].coordinator = 3;
  EXPECT_EQ(render_list(output_format::text, groups),
            "GROUP  TYPE      STATE  PROTOCOL-TYPE  COORDINATOR\n"
            "a      classic   Empty  consumer       1\n"
            "b      consumer  -      -              3\n");
  EXPECT_EQ(render_list(output_format::json, groups),
            "[{\"group\":\"a\",\"type\":\"classic\",\"state\":\"Empty\",\"protocol_type\":"
            "\"consumer\",\"coordinator\":1},{\"group\":\"b\",\"type\":\"consumer\",\"state\":"
            "null,\"protocol_type\":\"\",\"coordinator\":3}]\n");
}

}  // namespace
}  // namespace kpipe::cli::groups
