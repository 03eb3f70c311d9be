// Responses recorded from the reference cluster (librdkafka's mock, tests/support) decode.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "protocol/generated/metadata.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::protocol {
namespace {

byte_buffer read_hex_fixture(const std::string& name) {
  std::ifstream in(std::string(KPIPE_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::string hex;
  in >> hex;
  byte_buffer out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(RecordedResponses, MetadataV2FromAThreeBrokerMockCluster) {
  // Recorded with: kpipe-mock-cluster --brokers 3 --topic a:6 --topic b:1, then
  // tests/support/record_response.py BROKER 3 2 ffffffff (all topics).
  auto bytes = read_hex_fixture("metadata_v2_response_mock_3_brokers.hex");
  metadata::response response;
  reader r(bytes);
  ASSERT_TRUE(response.decode(r, 2)) << r.error();
  EXPECT_TRUE(r.at_end());
  ASSERT_EQ(response.brokers.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response.brokers[static_cast<std::size_t>(i)].node_id, i + 1);
    EXPECT_EQ(response.brokers[static_cast<std::size_t>(i)].host, "127.0.0.1");
    EXPECT_FALSE(response.brokers[static_cast<std::size_t>(i)].rack.has_value());
  }
  ASSERT_TRUE(response.cluster_id.has_value());
  EXPECT_EQ(response.cluster_id->rfind("mockCluster", 0), 0u);
  ASSERT_EQ(response.topics.size(), 2u);
  std::map<std::string, std::size_t> partitions;
  for (const auto& t : response.topics) {
    EXPECT_EQ(t.error_code, 0);
    partitions[t.name.value_or("")] = t.partitions.size();
    for (const auto& p : t.partitions) {
      EXPECT_EQ(p.replica_nodes.size(), 3u);
      EXPECT_GE(p.leader_id, 1);
      EXPECT_LE(p.leader_id, 3);
    }
  }
  EXPECT_EQ(partitions, (std::map<std::string, std::size_t>{{"a", 6}, {"b", 1}}));

  // What kpipe decodes it re-encodes to the very same bytes.
  writer w;
  response.encode(w, 2);
  EXPECT_EQ(w.buffer(), bytes);
}

TEST(RecordedResponses, TruncatedMetadataFailsWithAnOffsetAtEveryCut) {
  auto bytes = read_hex_fixture("metadata_v2_response_mock_3_brokers.hex");
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    metadata::response response;
    reader r(std::span<const std::uint8_t>(bytes.data(), cut));
    ASSERT_FALSE(response.decode(r, 2)) << "cut at " << cut;
    EXPECT_NE(r.error().find("at offset"), std::string::npos) << r.error();
    EXPECT_LE(r.error_offset(), cut);
  }
}

TEST(RecordedResponses, ErrorNamesTheFieldPath) {
  auto bytes = read_hex_fixture("metadata_v2_response_mock_3_brokers.hex");
  // Cut inside the second topic's partitions: the message must say where.
  metadata::response full;
  reader all(bytes);
  ASSERT_TRUE(full.decode(all, 2));
  std::size_t cut = bytes.size() - 10;
  metadata::response response;
  reader r(std::span<const std::uint8_t>(bytes.data(), cut));
  ASSERT_FALSE(response.decode(r, 2));
  EXPECT_EQ(r.error().rfind("topics[1].partitions[", 0), 0u) << r.error();
}

}  // namespace
}  // namespace kpipe::protocol
