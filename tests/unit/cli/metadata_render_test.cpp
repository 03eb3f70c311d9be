// kpipe metadata's text and JSON rendering, on constructed reports.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "metadata_command.hpp"

namespace kpipe::cli {
namespace {

metadata_report sample_report(std::int16_t version) {
  metadata_report report;
  report.metadata_version = version;
  auto& m = report.metadata;
  m.cluster_id = "c1";
  m.controller_id = 2;
  for (int id : {2, 1}) {
    auto& b = m.brokers.emplace_back();
    b.node_id = id;
    b.host = "h" + std::to_string(id);
    b.port = 9090 + id;
  }
  m.brokers[0].rack = "r2";
  auto& z = m.topics.emplace_back();
  z.name = "zeta";
  z.error_code = 3;
  auto& a = m.topics.emplace_back();
  a.name = "alpha";
  for (int p : {1, 0}) {
    auto& part = a.partitions.emplace_back();
    part.partition_index = p;
    part.leader_id = p + 1;
    part.leader_epoch = 5;
    part.replica_nodes = {1, 2};
    part.isr_nodes = {p + 1};
  }
  return report;
}

TEST(MetadataRender, TextIsSortedAndAligned) {
  EXPECT_EQ(render_metadata_text(sample_report(2)),
            "cluster id:  c1\n"
            "controller:  2\n"
            "brokers (2):\n"
            "  ID  HOST  PORT  RACK\n"
            "  1   h1    9091  -\n"
            "  2   h2    9092  r2\n"
            "topics (2):\n"
            "  alpha (2 partitions)\n"
            "    PARTITION  LEADER  EPOCH  REPLICAS  ISR  OFFLINE  ERROR\n"
            "    0          1       -      1,2       1    -        -\n"
            "    1          2       -      1,2       2    -        -\n"
            "  zeta: UNKNOWN_TOPIC_OR_PARTITION\n");
}

TEST(MetadataRender, LeaderEpochShownFromV7) {
  auto text = render_metadata_text(sample_report(7));
  EXPECT_NE(text.find("    0          1       5      1,2"), std::string::npos) << text;
}

TEST(MetadataRender, JsonHasEveryField) {
  auto doc = nlohmann::json::parse(render_metadata_json(sample_report(9)));
  EXPECT_EQ(doc["cluster_id"], "c1");
  EXPECT_EQ(doc["controller_id"], 2);
  ASSERT_EQ(doc["brokers"].size(), 2u);
  EXPECT_EQ(doc["brokers"][0]["id"], 1);
  EXPECT_TRUE(doc["brokers"][0]["rack"].is_null());
  EXPECT_EQ(doc["brokers"][1]["rack"], "r2");
  ASSERT_EQ(doc["topics"].size(), 2u);
  const auto& alpha = doc["topics"][0];
  EXPECT_EQ(alpha["name"], "alpha");
  EXPECT_TRUE(alpha["error"].is_null());
  EXPECT_TRUE(alpha["topic_id"].is_null());
  ASSERT_EQ(alpha["partitions"].size(), 2u);
  EXPECT_EQ(alpha["partitions"][1]["partition"], 1);
  EXPECT_EQ(alpha["partitions"][1]["leader"], 2);
  EXPECT_EQ(alpha["partitions"][1]["leader_epoch"], 5);
  EXPECT_EQ(alpha["partitions"][1]["replicas"], nlohmann::json({1, 2}));
  EXPECT_EQ(alpha["partitions"][1]["isr"], nlohmann::json({2}));
  EXPECT_EQ(doc["topics"][1]["error"], "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_FALSE(doc.contains("api_versions"));
}

TEST(MetadataRender, ApiVersionsListBothSides) {
  auto report = sample_report(2);
  broker_api_versions b;
  b.node_id = 1;
  b.address = "h1:9091";
  b.api_versions_version = 2;
  b.ranges[3] = {0, 2};
  b.ranges[0] = {0, 7};
  report.api_versions.push_back(b);
  auto doc = nlohmann::json::parse(render_metadata_json(report));
  const auto& apis = doc["api_versions"][0]["apis"];
  bool found_metadata = false;
  for (const auto& api : apis) {
    if (api["key"] == 3) {
      found_metadata = true;
      EXPECT_EQ(api["broker_max"], 2);
      EXPECT_EQ(api["kpipe_max"], 13);
      EXPECT_EQ(api["used"], 2);
    }
  }
  EXPECT_TRUE(found_metadata);
}

// USED is what kpipe sends: lower than the highest common version where kpipe's client stops
// (AddPartitionsToTxn v3, OffsetFetch and OffsetCommit v9), the highest common one elsewhere.
TEST(MetadataRender, UsedIsTheVersionKpipeSends) {
  auto report = sample_report(13);
  broker_api_versions b;
  b.node_id = 1;
  b.address = "h1:9091";
  b.api_versions_version = 4;
  b.ranges[0] = {3, 13};  // Produce
  b.ranges[1] = {4, 18};  // Fetch
  b.ranges[8] = {2, 10};  // OffsetCommit
  b.ranges[9] = {1, 10};  // OffsetFetch
  b.ranges[24] = {0, 5};  // AddPartitionsToTxn
  b.ranges[3] = {0, 12};  // Metadata
  report.api_versions.push_back(b);
  auto doc = nlohmann::json::parse(render_metadata_json(report));
  std::map<int, int> used;
  for (const auto& api : doc["api_versions"][0]["apis"]) {
    if (!api["used"].is_null()) used[api["key"].get<int>()] = api["used"].get<int>();
  }
  EXPECT_EQ(used[0], 13);
  EXPECT_EQ(used[1], 18);
  EXPECT_EQ(used[8], 9);
  EXPECT_EQ(used[9], 9);
  EXPECT_EQ(used[24], 3);
  EXPECT_EQ(used[3], 12);
  // The text table's USED column, the last one, says the same.
  auto text = render_metadata_text(report);
  auto row = text.find(" OffsetFetch ");
  ASSERT_NE(row, std::string::npos) << text;
  auto line = text.substr(row, text.find('\n', row) - row);
  EXPECT_EQ(line.substr(line.find_last_not_of(' ') - 1), " 9") << line;
}

}  // namespace
}  // namespace kpipe::cli
