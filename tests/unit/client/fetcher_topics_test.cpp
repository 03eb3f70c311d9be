// The fetcher's pure halves with several topics: the Fetch request for one broker carries every
// topic's partitions asked for, at their own positions; an answer is decoded into records that
// name their topic, positions move per (topic, partition) even where two topics share partition
// numbers, and partition errors name the topic. Across versions: topics by name up to v12 and
// by id from v13 on (KIP-516, v12 when an id is unknown), the replica id moved into a tagged
// field at v15 (KIP-903), the new leader named in the answer at v16 (KIP-951), followers'
// fields at v17-v18 left out; each through bytes, with the generated encoder and decoder.

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "client/fetcher.hpp"
#include "protocol/generated/fetch.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"
#include "record/batch_writer.hpp"

namespace kpipe::client {
namespace {

using protocol::fetch::request;
using protocol::fetch::response;

// One batch holding "<prefix><offset>" at offsets first..first+count-1.
protocol::byte_buffer batch_bytes(const std::string& prefix, std::int64_t first, int count) {
  record::batch_writer w;
  w.set_base_offset(first);
  std::vector<std::string> values;
  for (int i = 0; i < count; ++i) values.push_back(prefix + std::to_string(first + i));
  for (const auto& v : values) {
    record::bytes_view value{reinterpret_cast<const std::uint8_t*>(v.data()), v.size()};
    w.add({std::nullopt, value, {}, 1000, std::nullopt});
  }
  auto built = w.build();
  EXPECT_TRUE(built) << built.error().message;
  return built ? std::move(built).value() : protocol::byte_buffer{};
}

response::partition_data partition(std::int32_t index, protocol::byte_buffer records) {
  response::partition_data p;
  p.partition_index = index;
  p.high_watermark = 100;
  p.records = std::move(records);
  return p;
}

response::partition_data partition_error(std::int32_t index, std::int16_t code) {
  response::partition_data p;
  p.partition_index = index;
  p.error_code = code;
  return p;
}

response::able_topic_response topic(std::string name,
                                    std::vector<response::partition_data> partitions) {
  response::able_topic_response t;
  t.topic = std::move(name);
  t.partitions = std::move(partitions);
  return t;
}

// Topics a (partitions 0-2) and b (0-1), each at its own position.
fetch_table two_topics() {
  fetch_table table;
  table["a"].partitions[0].offset = 10;
  table["a"].partitions[1].offset = 20;
  table["a"].partitions[2].offset = 30;
  table["b"].partitions[0].offset = 5;
  table["b"].partitions[1].offset = 7;
  for (auto& [name, t] : table) {
    for (auto& [p, s] : t.partitions) s.leader = 1;
  }
  return table;
}

std::vector<std::string> values_of(const partition_records& part) {
  std::vector<std::string> out;
  for (const auto& b : part.batches) {
    for (const auto& r : b.records) out.emplace_back(r.value->begin(), r.value->end());
  }
  return out;
}

TEST(FetcherTopics, OneRequestCarriesEveryTopicAtItsOwnPositions) {
  auto table = two_topics();
  partitions_by_topic asked;
  asked["a"] = {0, 2};
  asked["b"] = {1, 0};
  asked["gone"] = {0};  // not assigned (any more): left out
  fetcher_options options;
  options.partition_max_bytes = 4096;
  auto req = build_fetch_request(table, asked, options);

  ASSERT_EQ(req.topics.size(), 2u);
  EXPECT_EQ(req.topics[0].topic, "a");
  ASSERT_EQ(req.topics[0].partitions.size(), 2u);
  EXPECT_EQ(req.topics[0].partitions[0].partition, 0);
  EXPECT_EQ(req.topics[0].partitions[0].fetch_offset, 10);
  EXPECT_EQ(req.topics[0].partitions[1].partition, 2);
  EXPECT_EQ(req.topics[0].partitions[1].fetch_offset, 30);
  EXPECT_EQ(req.topics[1].topic, "b");
  ASSERT_EQ(req.topics[1].partitions.size(), 2u);
  EXPECT_EQ(req.topics[1].partitions[0].partition, 1);
  EXPECT_EQ(req.topics[1].partitions[0].fetch_offset, 7);
  EXPECT_EQ(req.topics[1].partitions[1].partition, 0);
  EXPECT_EQ(req.topics[1].partitions[1].fetch_offset, 5);
  for (const auto& t : req.topics) {
    for (const auto& p : t.partitions) EXPECT_EQ(p.partition_max_bytes, 4096);
  }
  EXPECT_EQ(req.isolation_level, 1);
  EXPECT_EQ(req.session_epoch, -1);

  // It encodes and decodes as a Fetch v12 request with both topics.
  protocol::writer w;
  req.encode(w, 12);
  auto bytes = w.take();
  protocol::reader r(bytes);
  request back;
  ASSERT_TRUE(back.decode(r, 12));
  EXPECT_EQ(back.topics.size(), 2u);
}

TEST(FetcherTopics, AnswerRecordsNameTheirTopicAndPositionsMovePerTopic) {
  auto table = two_topics();
  auto answer = std::make_shared<response>();
  // b/0 and a/0 share a partition number but not their records or positions; a/1 starts
  // before its position (a batch starts where it starts); c is not assigned.
  answer->responses.push_back(topic("b", {partition(0, batch_bytes("b0-", 5, 3))}));
  answer->responses.push_back(topic(
      "a", {partition(0, batch_bytes("a0-", 10, 2)), partition(1, batch_bytes("a1-", 18, 4))}));
  answer->responses.push_back(topic("c", {partition(0, batch_bytes("c0-", 0, 5))}));

  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(1, 12, answer, table, options, effects);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->partitions.size(), 3u);

  const auto& b0 = decoded->partitions[0];
  EXPECT_EQ(b0.topic, "b");
  EXPECT_EQ(b0.partition, 0);
  EXPECT_EQ(values_of(b0), (std::vector<std::string>{"b0-5", "b0-6", "b0-7"}));
  const auto& a0 = decoded->partitions[1];
  EXPECT_EQ(a0.topic, "a");
  EXPECT_EQ(a0.partition, 0);
  EXPECT_EQ(values_of(a0), (std::vector<std::string>{"a0-10", "a0-11"}));
  const auto& a1 = decoded->partitions[2];
  EXPECT_EQ(a1.topic, "a");
  EXPECT_EQ(values_of(a1), (std::vector<std::string>{"a1-20", "a1-21"}));
  EXPECT_EQ(a1.batches[0].records.front().offset, 20);

  EXPECT_EQ(table["a"].partitions[0].offset, 12);
  EXPECT_EQ(table["a"].partitions[1].offset, 22);
  EXPECT_EQ(table["a"].partitions[2].offset, 30);  // not in the answer
  EXPECT_EQ(table["b"].partitions[0].offset, 8);
  EXPECT_EQ(table["b"].partitions[1].offset, 7);
  EXPECT_EQ(table.count("c"), 0u);  // an unassigned topic is not added
  EXPECT_FALSE(effects.need_refresh);
  EXPECT_TRUE(effects.warnings.empty());
}

TEST(FetcherTopics, StopsApplyPerTopicPartition) {
  auto table = two_topics();
  table["a"].partitions[0].stop = 11;  // a/0 ends before b/0 does
  auto answer = std::make_shared<response>();
  answer->responses.push_back(topic("a", {partition(0, batch_bytes("a0-", 10, 3))}));
  answer->responses.push_back(topic("b", {partition(0, batch_bytes("b0-", 5, 3))}));
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(1, 12, answer, table, options, effects);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->partitions.size(), 2u);
  EXPECT_EQ(values_of(decoded->partitions[0]), (std::vector<std::string>{"a0-10"}));
  EXPECT_EQ(values_of(decoded->partitions[1]).size(), 3u);
}

TEST(FetcherTopics, PartitionErrorsTouchOnlyTheirTopic) {
  auto table = two_topics();
  auto answer = std::make_shared<response>();
  auto out_of_range = partition_error(1, 1);  // OFFSET_OUT_OF_RANGE
  out_of_range.log_start_offset = 15;
  answer->responses.push_back(topic("a", {partition_error(0, 6), out_of_range}));  // NOT_LEADER
  answer->responses.push_back(topic("b", {partition(0, batch_bytes("b0-", 5, 1))}));
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(2, 12, answer, table, options, effects);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(effects.need_refresh);
  EXPECT_EQ(table["a"].partitions[0].leader, -1);
  EXPECT_EQ(table["b"].partitions[0].leader, 1);
  EXPECT_EQ(table["a"].partitions[1].offset, 15);
  EXPECT_EQ(table["b"].partitions[1].offset, 7);
  ASSERT_EQ(effects.warnings.size(), 1u);
  EXPECT_NE(effects.warnings[0].find("partition 1 of a"), std::string::npos) << effects.warnings[0];
  ASSERT_EQ(decoded->partitions.size(), 1u);
  EXPECT_EQ(decoded->partitions[0].topic, "b");
}

TEST(FetcherTopics, AFatalPartitionErrorNamesTopicAndPartition) {
  auto table = two_topics();
  auto answer = std::make_shared<response>();
  answer->responses.push_back(topic("b", {partition_error(1, 29)}));  // TOPIC_AUTHORIZATION
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(3, 12, answer, table, options, effects);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().kind, error_kind::auth);
  EXPECT_NE(decoded.error().message.find("partition 1 of b"), std::string::npos)
      << decoded.error().message;
  EXPECT_NE(decoded.error().message.find("broker 3"), std::string::npos);
}

TEST(FetcherTopics, ABadBatchNamesItsTopic) {
  auto table = two_topics();
  auto bytes = batch_bytes("a2-", 30, 2);
  bytes.back() ^= 0xff;  // the last value byte: the CRC no longer matches
  auto answer = std::make_shared<response>();
  answer->responses.push_back(topic("a", {partition(2, bytes)}));
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(1, 12, answer, table, options, effects);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("partition 2 of a at offset 30"), std::string::npos)
      << decoded.error().message;
}

// ---- versions ----------------------------------------------------------------------------------

constexpr protocol::uuid id_a{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
                              0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xa0};
constexpr protocol::uuid id_b{0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8,
                              0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xb0};
constexpr protocol::uuid id_c{0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8,
                              0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xc0};

fetch_table two_topics_with_ids() {
  auto table = two_topics();
  table["a"].id = id_a;
  table["b"].id = id_b;
  return table;
}

template <typename Message>
Message through_bytes(const Message& value, std::int16_t version) {
  protocol::writer w;
  value.encode(w, version);
  auto bytes = w.take();
  EXPECT_EQ(bytes.size(), value.size(version)) << "v" << version;
  protocol::reader r(bytes);
  Message back;
  EXPECT_TRUE(back.decode(r, version)) << "v" << version << ": " << r.error();
  EXPECT_TRUE(r.at_end()) << "v" << version;
  return back;
}

TEST(FetcherVersions, TheHighestCommonVersionUpTo18AndV12WithoutATopicId) {
  auto table = two_topics_with_ids();
  partitions_by_topic both;
  both["a"] = {0};
  both["b"] = {1};
  EXPECT_EQ(fetch_version_for(18, table, both), 18);  // Kafka 4.1
  EXPECT_EQ(fetch_version_for(20, table, both), fetch_max_version);
  EXPECT_EQ(fetch_version_for(13, table, both), 13);
  EXPECT_EQ(fetch_version_for(11, table, both), 11);  // librdkafka's mock cluster
  // One topic of the request without an id (Metadata before v10): the whole request by name.
  table["b"].id = {};
  EXPECT_EQ(fetch_version_for(18, table, both), 12);
  EXPECT_EQ(fetch_version_for(11, table, both), 11);
  partitions_by_topic only_a;
  only_a["a"] = {0, 1};
  EXPECT_EQ(fetch_version_for(18, table, only_a), 18);
}

TEST(FetcherVersions, RequestNamesTopicsByNameUpToV12AndByIdFromV13) {
  auto table = two_topics_with_ids();
  partitions_by_topic asked;
  asked["a"] = {0, 2};
  asked["b"] = {1};
  fetcher_options options;
  options.partition_max_bytes = 4096;
  auto req = build_fetch_request(table, asked, options);
  for (std::int16_t version : {4, 11, 12, 13, 15, 16, 17, 18}) {
    auto back = through_bytes(req, version);
    ASSERT_EQ(back.topics.size(), 2u) << "v" << version;
    if (version <= 12) {
      EXPECT_EQ(back.topics[0].topic, "a") << "v" << version;
      EXPECT_EQ(back.topics[1].topic, "b") << "v" << version;
      EXPECT_EQ(back.topics[0].topic_id, protocol::uuid{}) << "v" << version;
    } else {
      EXPECT_EQ(back.topics[0].topic, "") << "v" << version;
      EXPECT_EQ(back.topics[0].topic_id, id_a) << "v" << version;
      EXPECT_EQ(back.topics[1].topic_id, id_b) << "v" << version;
    }
    ASSERT_EQ(back.topics[0].partitions.size(), 2u);
    EXPECT_EQ(back.topics[0].partitions[1].partition, 2);
    EXPECT_EQ(back.topics[0].partitions[1].fetch_offset, 30);
    EXPECT_EQ(back.topics[0].partitions[1].partition_max_bytes, 4096);
    EXPECT_EQ(back.topics[1].partitions[0].fetch_offset, 7);
    EXPECT_EQ(back.isolation_level, 1);
    // A consumer: replica id -1 (v0-14), then the tagged replica_state at its defaults (v15+,
    // KIP-903); the followers' directory id (v17) and high watermark (v18) at theirs.
    EXPECT_EQ(back.replica_id, -1);
    EXPECT_EQ(back.replica_state, protocol::fetch::request::replica_state_data{});
    for (const auto& t : back.topics) {
      for (const auto& p : t.partitions) {
        EXPECT_EQ(p.replica_directory_id, protocol::uuid{});
        EXPECT_EQ(p.high_watermark, std::numeric_limits<std::int64_t>::max());
      }
    }
  }
  // v13 writes a 16-byte id where v12 wrote a compact string ("a": 2 bytes, "b": 2 bytes).
  EXPECT_EQ(req.size(13), req.size(12) - 4 + 2 * 16);
  // v15 drops the 4-byte replica_id and writes no replica_state for a consumer; v16-v18 change
  // nothing a consumer writes.
  EXPECT_EQ(req.size(15), req.size(14) - 4);
  EXPECT_EQ(req.size(16), req.size(15));
  EXPECT_EQ(req.size(18), req.size(15));
}

// An answer about a (by name or id), b and an unassigned c, encoded at `version` by the
// generated encoder and read back by the generated decoder, as from the wire.
std::shared_ptr<response> answer_at(std::int16_t version) {
  response answer;
  auto ta = topic("a", {partition(0, batch_bytes("a0-", 10, 2))});
  ta.topic_id = id_a;
  auto tb = topic("b", {partition(1, batch_bytes("b1-", 7, 3))});
  tb.topic_id = id_b;
  auto tc = topic("c", {partition(0, batch_bytes("c0-", 0, 1))});
  tc.topic_id = id_c;
  answer.responses = {ta, tb, tc};
  return std::make_shared<response>(through_bytes(answer, version));
}

TEST(FetcherVersions, AnswersFindTheirTopicByNameUpToV12AndByIdFromV13) {
  for (std::int16_t version : {12, 13, 15, 16, 18}) {
    auto table = two_topics_with_ids();
    auto answer = answer_at(version);
    if (version >= 13) {
      EXPECT_EQ(answer->responses[0].topic, "");  // no name on the wire
    }
    fetcher_options options;
    fetch_decode_effects effects;
    effects.partition_max_bytes = options.partition_max_bytes;
    auto decoded = decode_fetch_response(1, version, answer, table, options, effects);
    ASSERT_TRUE(decoded) << "v" << version << ": " << decoded.error().message;
    ASSERT_EQ(decoded->partitions.size(), 2u) << "v" << version;  // c is not assigned
    EXPECT_EQ(decoded->partitions[0].topic, "a");
    EXPECT_EQ(values_of(decoded->partitions[0]), (std::vector<std::string>{"a0-10", "a0-11"}));
    EXPECT_EQ(decoded->partitions[1].topic, "b");
    EXPECT_EQ(decoded->partitions[1].partition, 1);
    EXPECT_EQ(values_of(decoded->partitions[1]).size(), 3u);
    EXPECT_EQ(table["a"].partitions[0].offset, 12) << "v" << version;
    EXPECT_EQ(table["b"].partitions[1].offset, 10) << "v" << version;
    EXPECT_EQ(table.count("c"), 0u);
  }
}

TEST(FetcherVersions, AnIdTheTableDoesNotHaveIsIgnored) {
  auto table = two_topics_with_ids();
  // a was created again and the table has its new id: the answer about the old id is not a's.
  table["a"].id = protocol::uuid{0xd1, 0xd2};
  auto answer = answer_at(13);
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(1, 13, answer, table, options, effects);
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->partitions.size(), 1u);
  EXPECT_EQ(decoded->partitions[0].topic, "b");
  EXPECT_EQ(table["a"].partitions[0].offset, 10);
}

TEST(FetcherVersions, TopicIdErrorsRefreshTheMetadata) {
  for (std::int16_t code : {100, 103}) {  // UNKNOWN_TOPIC_ID, INCONSISTENT_TOPIC_ID
    auto table = two_topics_with_ids();
    response answer;
    auto ta = topic("a", {partition_error(0, code)});
    ta.topic_id = id_a;
    answer.responses = {ta};
    auto owned = std::make_shared<response>(through_bytes(answer, 13));
    fetcher_options options;
    fetch_decode_effects effects;
    effects.partition_max_bytes = options.partition_max_bytes;
    auto decoded = decode_fetch_response(1, 13, owned, table, options, effects);
    ASSERT_TRUE(decoded) << code << ": " << decoded.error().message;
    EXPECT_TRUE(effects.need_refresh) << code;
    EXPECT_EQ(table["a"].partitions[0].leader, -1) << code;
    EXPECT_EQ(table["a"].partitions[1].leader, 1) << code;
  }
}

TEST(FetcherVersions, AnAnswerNamingTheNewLeaderMovesThePartitionThere) {
  // KIP-951 (v16+): NOT_LEADER_OR_FOLLOWER with the current leader and its endpoint.
  auto table = two_topics_with_ids();
  response answer;
  auto moved = partition_error(0, 6);
  moved.current_leader.leader_id = 2;
  moved.current_leader.leader_epoch = 7;
  auto unnamed = partition_error(1, 6);  // no current leader: the metadata decides
  auto ta = topic("a", {moved, unnamed});
  ta.topic_id = id_a;
  answer.responses = {ta};
  response::node_endpoint e;
  e.node_id = 2;
  e.host = "broker-2";
  e.port = 9094;
  answer.node_endpoints = {e};
  auto owned = std::make_shared<response>(through_bytes(answer, 16));
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(1, 16, owned, table, options, effects);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(table["a"].partitions[0].leader, 2);
  EXPECT_EQ(table["a"].partitions[0].leader_epoch, 7);
  EXPECT_EQ(table["a"].partitions[1].leader, -1);
  EXPECT_TRUE(effects.need_refresh);  // for a/1
  ASSERT_EQ(effects.new_leaders.size(), 1u);
  EXPECT_EQ(effects.new_leaders[0].node_id, 2);
  EXPECT_EQ(effects.new_leaders[0].host, "broker-2");
  EXPECT_EQ(effects.new_leaders[0].port, 9094);

  // The same hint again, or an older one, is not taken: the metadata decides.
  table["a"].partitions[0].leader = 2;
  fetch_decode_effects again_effects;
  again_effects.partition_max_bytes = options.partition_max_bytes;
  auto again = decode_fetch_response(1, 16, owned, table, options, again_effects);
  ASSERT_TRUE(again);
  EXPECT_EQ(table["a"].partitions[0].leader, -1);
  EXPECT_TRUE(again_effects.need_refresh);
  EXPECT_TRUE(again_effects.new_leaders.empty());
}

TEST(FetcherVersions, AHintNamingTheBrokerAskedIsNotTaken) {
  auto table = two_topics_with_ids();
  response answer;
  auto moved = partition_error(0, 6);
  moved.current_leader.leader_id = 1;  // the broker that answered
  moved.current_leader.leader_epoch = 3;
  auto ta = topic("a", {moved});
  ta.topic_id = id_a;
  answer.responses = {ta};
  auto owned = std::make_shared<response>(through_bytes(answer, 18));
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(1, 18, owned, table, options, effects);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(table["a"].partitions[0].leader, -1);
  EXPECT_TRUE(effects.need_refresh);
  EXPECT_TRUE(effects.new_leaders.empty());
}

}  // namespace
}  // namespace kpipe::client
