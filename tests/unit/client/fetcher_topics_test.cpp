// The fetcher's pure halves with several topics: the Fetch request for one broker carries every
// topic's partitions asked for, at their own positions; an answer is decoded into records that
// name their topic, positions move per (topic, partition) even where two topics share partition
// numbers, and partition errors name the topic.

#include <gtest/gtest.h>

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
  table["a"][0].offset = 10;
  table["a"][1].offset = 20;
  table["a"][2].offset = 30;
  table["b"][0].offset = 5;
  table["b"][1].offset = 7;
  for (auto& [name, states] : table) {
    for (auto& [p, s] : states) s.leader = 1;
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
  auto decoded = decode_fetch_response(1, answer, table, options, effects);
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

  EXPECT_EQ(table["a"][0].offset, 12);
  EXPECT_EQ(table["a"][1].offset, 22);
  EXPECT_EQ(table["a"][2].offset, 30);  // not in the answer
  EXPECT_EQ(table["b"][0].offset, 8);
  EXPECT_EQ(table["b"][1].offset, 7);
  EXPECT_EQ(table.count("c"), 0u);  // an unassigned topic is not added
  EXPECT_FALSE(effects.need_refresh);
  EXPECT_TRUE(effects.warnings.empty());
}

TEST(FetcherTopics, StopsApplyPerTopicPartition) {
  auto table = two_topics();
  table["a"][0].stop = 11;  // a/0 ends before b/0 does
  auto answer = std::make_shared<response>();
  answer->responses.push_back(topic("a", {partition(0, batch_bytes("a0-", 10, 3))}));
  answer->responses.push_back(topic("b", {partition(0, batch_bytes("b0-", 5, 3))}));
  fetcher_options options;
  fetch_decode_effects effects;
  effects.partition_max_bytes = options.partition_max_bytes;
  auto decoded = decode_fetch_response(1, answer, table, options, effects);
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
  auto decoded = decode_fetch_response(2, answer, table, options, effects);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(effects.need_refresh);
  EXPECT_EQ(table["a"][0].leader, -1);
  EXPECT_EQ(table["b"][0].leader, 1);
  EXPECT_EQ(table["a"][1].offset, 15);
  EXPECT_EQ(table["b"][1].offset, 7);
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
  auto decoded = decode_fetch_response(3, answer, table, options, effects);
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
  auto decoded = decode_fetch_response(1, answer, table, options, effects);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().message.find("partition 2 of a at offset 30"), std::string::npos)
      << decoded.error().message;
}

}  // namespace
}  // namespace kpipe::client
