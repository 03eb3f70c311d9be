// The hand-written Produce request body against the generated decoder (the oracle), at the last
// non-flexible and the first flexible versions and the ends of the range.

#include "client/produce_request.hpp"

#include <gtest/gtest.h>

#include "protocol/generated/produce.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::client {
namespace {

TEST(ProduceRequest, DecodesWithTheGeneratedDecoder) {
  std::vector<std::uint8_t> batch_a(100, 0xab);
  std::vector<std::uint8_t> batch_b(3000, 0xcd);
  produce_partition parts[] = {{3, batch_a}, {0, batch_b}};
  for (std::int16_t version : {3, 7, 8, 9, 12}) {
    for (const auto& txn : {std::optional<std::string>{}, std::optional<std::string>{"tx-1"}}) {
      auto body = write_produce_request(version, txn, -1, 30000, "orders", parts);
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
      EXPECT_EQ(decoded.topic_data[0].name, "orders");
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

TEST(ProduceRequest, BatchesAreViewedNotCopied) {
  std::vector<std::uint8_t> batch(5000, 1);
  produce_partition parts[] = {{0, batch}};
  auto body = write_produce_request(7, std::nullopt, 1, 1000, "t", parts);
  bool found = false;
  for (const auto& p : body.parts) found = found || p.data() == batch.data();
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace kpipe::client
