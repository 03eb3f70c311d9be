// The hand-written Produce request body against the generated decoder (the oracle), at the last
// non-flexible and the first flexible versions and the ends of the range: up to v12 the topic is
// named by name, from v13 on by id (KIP-516).

#include "client/produce_request.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "protocol/generated/produce.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::client {
namespace {

constexpr protocol::uuid orders_id{0x3f, 0x1e, 0x00, 0x9a, 0x42, 0x17, 0x4c, 0x0b,
                                   0x8d, 0x2e, 0x61, 0x70, 0x00, 0x55, 0xc4, 0x01};

TEST(ProduceRequest, DecodesWithTheGeneratedDecoder) {
  std::vector<std::uint8_t> batch_a(100, 0xab);
  std::vector<std::uint8_t> batch_b(3000, 0xcd);
  produce_partition parts[] = {{3, batch_a}, {0, batch_b}};
  for (std::int16_t version : {3, 7, 8, 9, 12, 13}) {
    for (const auto& txn : {std::optional<std::string>{}, std::optional<std::string>{"tx-1"}}) {
      auto body = write_produce_request(version, txn, -1, 30000, "orders", orders_id, parts);
      auto flat = body.flatten();
      EXPECT_EQ(flat.size(), body.size());
      protocol::produce::request decoded;
      protocol::reader r(flat);
      ASSERT_TRUE(decoded.decode(r, version)) << "v" << version << ": " << r.error();
      EXPECT_TRUE(r.at_end()) << "v" << version;
      EXPECT_EQ(decoded.transactional_id, txn);
      EXPECT_EQ(decoded.acks, -1);
      EXPECT_EQ(decoded.timeout_ms, 30000);
      ASSERT_EQ(decoded.topic_data.size(), 1u);
      if (version >= 13) {
        EXPECT_EQ(decoded.topic_data[0].name, "");
        EXPECT_EQ(decoded.topic_data[0].topic_id, orders_id);
      } else {
        EXPECT_EQ(decoded.topic_data[0].name, "orders");
        EXPECT_EQ(decoded.topic_data[0].topic_id, protocol::uuid{});
      }
      ASSERT_EQ(decoded.topic_data[0].partition_data.size(), 2u);
      EXPECT_EQ(decoded.topic_data[0].partition_data[0].index, 3);
      EXPECT_EQ(decoded.topic_data[0].partition_data[0].records, batch_a);
      EXPECT_EQ(decoded.topic_data[0].partition_data[1].index, 0);
      EXPECT_EQ(decoded.topic_data[0].partition_data[1].records, batch_b);
      // And byte for byte what the generated encoder writes for the same value.
      protocol::writer w;
      decoded.encode(w, version);
      EXPECT_EQ(w.buffer(), flat) << "v" << version;
    }
  }
}

TEST(ProduceRequest, V13NamesTheTopicByIdOnly) {
  std::vector<std::uint8_t> batch(10, 1);
  produce_partition parts[] = {{0, batch}};
  auto v12 = write_produce_request(12, std::nullopt, 1, 1000, "orders", orders_id, parts);
  auto v13 = write_produce_request(13, std::nullopt, 1, 1000, "orders", orders_id, parts);
  // A compact string of 6 bytes (length byte + 6) gives way to 16 bytes of id.
  EXPECT_EQ(v13.size(), v12.size() - 7 + 16);
  auto flat = v13.flatten();
  EXPECT_EQ(
      std::search(flat.begin(), flat.end(), orders_id.begin(), orders_id.end()) - flat.begin(),
      1 + 2 + 4 + 1);  // after transactional_id (null), acks, timeout_ms, topics' count
}

TEST(ProduceRequest, V13OnlyWithATopicId) {
  EXPECT_EQ(produce_version_for(13, orders_id), 13);  // Kafka 4.1
  EXPECT_EQ(produce_version_for(14, orders_id), produce_max_version);
  EXPECT_EQ(produce_version_for(12, orders_id), 12);
  EXPECT_EQ(produce_version_for(7, orders_id), 7);  // librdkafka's mock cluster
  // No id (Metadata before v10): the newest version that names topics by name.
  EXPECT_EQ(produce_version_for(13, protocol::uuid{}), 12);
  EXPECT_EQ(produce_version_for(7, protocol::uuid{}), 7);
}

TEST(ProduceRequest, BatchesAreViewedNotCopied) {
  std::vector<std::uint8_t> batch(5000, 1);
  produce_partition parts[] = {{0, batch}};
  auto body = write_produce_request(7, std::nullopt, 1, 1000, "t", protocol::uuid{}, parts);
  bool found = false;
  for (const auto& p : body.parts) found = found || p.data() == batch.data();
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace kpipe::client
