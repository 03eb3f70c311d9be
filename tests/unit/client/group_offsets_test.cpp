// OffsetFetch's pure halves at every shape the client sends: one group at the top level (v7),
// the groups array (v8, KIP-709) and the member id and epoch of KIP-848's groups (v9, null and -1
// from kpipe's classic groups), each through bytes with the generated encoder and decoder.

#include "client/group_offsets.hpp"

#include <gtest/gtest.h>

#include "protocol/generated/offset_fetch.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::client {
namespace {

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

TEST(GroupOffsets, OffsetFetchSendsAtMostV9) {
  // Kafka 4.1 supports 1-9; v10 names topics by id.
  EXPECT_EQ(offset_fetch_max_version, 9);
}

TEST(GroupOffsets, OffsetFetchRequestV7NamesTheGroupAtTheTop) {
  for (std::int16_t version : {1, 6, 7}) {
    auto back = through_bytes(build_offset_fetch_request("g1", "orders", {2, 0}, version), version);
    EXPECT_EQ(back.group_id, "g1");
    ASSERT_TRUE(back.topics) << "v" << version;
    ASSERT_EQ(back.topics->size(), 1u);
    EXPECT_EQ((*back.topics)[0].name, "orders");
    EXPECT_EQ((*back.topics)[0].partition_indexes, (std::vector<std::int32_t>{2, 0}));
    EXPECT_TRUE(back.groups.empty());
    EXPECT_FALSE(back.require_stable);
  }
}

TEST(GroupOffsets, OffsetFetchRequestV8AndV9PutTheGroupIntoGroups) {
  for (std::int16_t version : {8, 9}) {
    auto request = build_offset_fetch_request("g1", "orders", {2, 0}, version);
    auto back = through_bytes(request, version);
    EXPECT_EQ(back, request) << "v" << version;
    EXPECT_FALSE(back.topics) << "v" << version;
    ASSERT_EQ(back.groups.size(), 1u) << "v" << version;
    const auto& g = back.groups[0];
    EXPECT_EQ(g.group_id, "g1");
    // v9 (KIP-848): a classic group's client is no member of a consumer group.
    EXPECT_EQ(g.member_id, std::nullopt);
    EXPECT_EQ(g.member_epoch, -1);
    ASSERT_TRUE(g.topics);
    ASSERT_EQ(g.topics->size(), 1u);
    EXPECT_EQ((*g.topics)[0].name, "orders");
    EXPECT_EQ((*g.topics)[0].partition_indexes, (std::vector<std::int32_t>{2, 0}));
  }
  // v9 adds a null compact string (1 byte) and an int32 to the group.
  auto request = build_offset_fetch_request("g1", "orders", {2, 0}, 9);
  EXPECT_EQ(request.size(9), request.size(8) + 1 + 4);
}

of::response::partition v7_partition(std::int32_t index, std::int64_t offset, std::int16_t code) {
  of::response::partition p;
  p.partition_index = index;
  p.committed_offset = offset;
  p.metadata = "m" + std::to_string(index);
  p.error_code = code;
  return p;
}

of::response::partitions_data v8_partition(std::int32_t index, std::int64_t offset,
                                           std::int16_t code) {
  of::response::partitions_data p;
  p.partition_index = index;
  p.committed_offset = offset;
  p.metadata = "m" + std::to_string(index);
  p.error_code = code;
  return p;
}

TEST(GroupOffsets, OffsetFetchResponseV7) {
  of::response r;
  of::response::topic other;
  other.name = "other";
  other.partitions = {v7_partition(0, 99, 0)};
  of::response::topic orders;
  orders.name = "orders";
  orders.partitions = {v7_partition(0, 10, 0), v7_partition(1, -1, 0), v7_partition(2, 5, 16)};
  r.topics = {other, orders};
  auto answer = read_offset_fetch_response(through_bytes(r, 7), 7, "g1", "orders");
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->error_code, 0);
  ASSERT_EQ(answer->partitions.size(), 3u);
  EXPECT_EQ(answer->partitions[0].partition, 0);
  EXPECT_EQ(answer->partitions[0].committed.offset, 10);
  EXPECT_EQ(answer->partitions[0].committed.metadata, "m0");
  EXPECT_EQ(answer->partitions[1].committed.offset, -1);
  EXPECT_EQ(answer->partitions[2].error_code, 16);

  r.error_code = 15;  // COORDINATOR_NOT_AVAILABLE, the group's (v2+)
  auto failed = read_offset_fetch_response(through_bytes(r, 7), 7, "g1", "orders");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->error_code, 15);
}

TEST(GroupOffsets, OffsetFetchResponseV8AndV9) {
  for (std::int16_t version : {8, 9}) {
    of::response r;
    of::response::group someone_else;
    someone_else.group_id = "g0";
    of::response::group mine;
    mine.group_id = "g1";
    of::response::topics_data other;
    other.name = "other";
    other.partitions = {v8_partition(0, 99, 0)};
    of::response::topics_data orders;
    orders.name = "orders";
    orders.partitions = {v8_partition(1, 42, 0), v8_partition(0, 7, 0)};
    mine.topics = {other, orders};
    r.groups = {someone_else, mine};
    auto answer = read_offset_fetch_response(through_bytes(r, version), version, "g1", "orders");
    ASSERT_TRUE(answer) << "v" << version << ": " << answer.error().message;
    EXPECT_EQ(answer->error_code, 0);
    ASSERT_EQ(answer->partitions.size(), 2u);
    EXPECT_EQ(answer->partitions[0].partition, 1);
    EXPECT_EQ(answer->partitions[0].committed.offset, 42);
    EXPECT_EQ(answer->partitions[0].committed.metadata, "m1");
    EXPECT_EQ(answer->partitions[1].partition, 0);
    EXPECT_EQ(answer->partitions[1].committed.offset, 7);

    // The group's error is inside the group.
    r.groups[1].error_code = 16;  // NOT_COORDINATOR
    auto failed = read_offset_fetch_response(through_bytes(r, version), version, "g1", "orders");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->error_code, 16);

    // An answer without the group asked for.
    auto missing = read_offset_fetch_response(through_bytes(r, version), version, "g2", "orders");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, error_kind::protocol);
    EXPECT_NE(missing.error().message.find("g2"), std::string::npos);
  }
}

}  // namespace
}  // namespace kpipe::client
