// The records of __consumer_offsets and __transaction_state as JSON: bytes built by hand for
// every record type and value version (and a few exactly as a Kafka 4.1 broker wrote them),
// tombstones, unknown types and versions, every truncation, bytes left over, and the topic
// found from a name or a partition directory.
#include "record/internal_topic_records.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/group/consumer_protocol.hpp"
#include "protocol/generated/consumer_offsets.hpp"
#include "protocol/generated/transaction_state.hpp"
#include "protocol/writer.hpp"
#include "util/base64.hpp"
#include "util/json_writer.hpp"

namespace kpipe::record {
namespace {

using bytes = std::vector<std::uint8_t>;
using json = nlohmann::json;
namespace co = protocol::consumer_offsets;
namespace ts = protocol::transaction_state;

struct decoded {
  internal_record_status status;
  json doc;
  std::string why;
};

decoded run(internal_topic topic, const std::optional<bytes>& key,
            const std::optional<bytes>& value) {
  std::string out;
  util::json_writer j(out);
  std::string why;
  std::optional<std::span<const std::uint8_t>> k, v;
  if (key) k = std::span<const std::uint8_t>(*key);
  if (value) v = std::span<const std::uint8_t>(*value);
  auto status = write_internal_record_json(j, topic, k, v, &why);
  return {status, json::parse(out), why};
}

decoded offsets(const std::optional<bytes>& key, const std::optional<bytes>& value) {
  return run(internal_topic::consumer_offsets, key, value);
}

// An int16 prefix (record type or version) followed by a generated struct at `version`.
template <class T>
bytes encoded(std::int16_t prefix, const T& value, std::int16_t version) {
  protocol::writer w;
  w.i16(prefix);
  value.encode(w, version);
  return w.take();
}

bytes from_base64(std::string_view text) { return util::decode_base64(text).value(); }

bytes offset_commit_key(std::int16_t type = 1) {
  // By hand: type, group, topic, partition (int16-length strings: keys are never flexible).
  protocol::writer w;
  w.i16(type);
  w.string("billing", false);
  w.string("orders", false);
  w.i32(3);
  return w.take();
}

TEST(InternalTopicRecords, OffsetCommitEveryValueVersionByHand) {
  for (std::int16_t version = 0; version <= 4; ++version) {
    SCOPED_TRACE(version);
    protocol::writer w;
    w.i16(version);
    w.i64(42);
    if (version >= 3) w.i32(7);  // leader epoch, KIP-320
    w.string("meta", version >= 4);
    w.i64(1700000000000);
    if (version == 1) w.i64(1700000600000);  // expiry, v1 only
    if (version >= 4) {
      w.uvarint(1);  // one tagged field: the topic id (tag 0)
      w.uvarint(0);
      w.uvarint(16);
      for (int i = 0; i < 16; ++i) w.i8(static_cast<std::int8_t>(i + 1));
    }
    auto d = offsets(offset_commit_key(), w.take());
    ASSERT_EQ(d.status, internal_record_status::decoded) << d.doc.dump();
    EXPECT_EQ(d.doc["record_type"], 1);
    EXPECT_EQ(d.doc["record"], "offset_commit");
    EXPECT_EQ(d.doc["key"], json::parse(R"({"group":"billing","topic":"orders","partition":3})"));
    EXPECT_EQ(d.doc["value_version"], version);
    const auto& v = d.doc["value"];
    EXPECT_EQ(v["offset"], 42);
    EXPECT_EQ(v["metadata"], "meta");
    EXPECT_EQ(v["commit_timestamp"], 1700000000000);
    EXPECT_EQ(v.contains("leader_epoch"), version >= 3);
    if (version >= 3) {
      EXPECT_EQ(v["leader_epoch"], 7);
    }
    EXPECT_EQ(v.contains("expire_timestamp"), version == 1);
    if (version == 1) {
      EXPECT_EQ(v["expire_timestamp"], 1700000600000);
    }
    EXPECT_EQ(v.contains("topic_id"), version >= 4);
    if (version >= 4) {
      EXPECT_EQ(v["topic_id"], "AQIDBAUGBwgJCgsMDQ4PEA");
    }
    EXPECT_FALSE(d.doc.contains("error"));
    EXPECT_FALSE(d.doc.contains("raw_key"));
    EXPECT_TRUE(d.why.empty());
  }
}

TEST(InternalTopicRecords, OffsetCommitKeyTypeZeroIsTheSameLayout) {
  co::offset_commit_value v;
  v.offset = 9;
  auto d = offsets(offset_commit_key(0), encoded(0, v, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["record_type"], 0);
  EXPECT_EQ(d.doc["record"], "offset_commit");
  EXPECT_EQ(d.doc["value"]["offset"], 9);
}

TEST(InternalTopicRecords, ExactlyAsKafkaWroteThem) {
  // kpipe's own commit of offset 5, as Kafka 4.1.1 stored it (OffsetCommitValue v4, no topic id).
  auto commit =
      offsets(from_base64("AAEAAmcxAANpdDEAAAAA"), from_base64("AAQAAAAAAAAABf////8BAAABokYljGEA"));
  ASSERT_EQ(commit.status, internal_record_status::decoded) << commit.doc.dump();
  EXPECT_EQ(commit.doc.dump(),
            R"({"key":{"group":"g1","partition":0,"topic":"it1"},"record":"offset_commit",)"
            R"("record_type":1,"value":{"commit_timestamp":1796473195617,"leader_epoch":-1,)"
            R"("metadata":"","offset":5,"topic_id":"AAAAAAAAAAAAAAAAAAAAAA"},"value_version":4})");
  // A classic group of one kpipe member: the "consumer" protocol's subscription (v3) and
  // assignment decoded.
  auto group = offsets(
      from_base64("AAIAAmcx"),
      from_base64("AAMACGNvbnN1bWVyAAAAAQAFcmFuZ2UAKmtwaXBlLWM1MmVjZTI4LTEzMDYtNDc0ZS05MTYxLWI1MGUx"
                  "ZGNjOGU1MwAAAaJGJX7aAAAAAQAqa3BpcGUtYzUyZWNlMjgtMTMwNi00NzRlLTkxNjEtYjUwZTFkY2M4"
                  "ZTUz//8ABWtwaXBlAAovMTI3LjAuMC4xAAB1MAAAJxAAAAAZAAMAAAABAANpdDH/////AAAAAP//////"
                  "/wAAABsAAAAAAAEAA2l0MQAAAAIAAAAAAAAAAf////8="));
  ASSERT_EQ(group.status, internal_record_status::decoded) << group.doc.dump();
  const auto& v = group.doc["value"];
  EXPECT_EQ(v["protocol_type"], "consumer");
  EXPECT_EQ(v["generation"], 1);
  EXPECT_EQ(v["protocol"], "range");
  ASSERT_EQ(v["members"].size(), 1u);
  const auto& m = v["members"][0];
  EXPECT_EQ(m["member_id"], "kpipe-c52ece28-1306-474e-9161-b50e1dcc8e53");
  EXPECT_EQ(m["group_instance_id"], nullptr);
  EXPECT_EQ(m["client_host"], "/127.0.0.1");
  EXPECT_EQ(m["rebalance_timeout"], 30000);
  EXPECT_EQ(m["session_timeout"], 10000);
  EXPECT_EQ(m["subscription"],
            json::parse(R"({"version":3,"topics":["it1"],"user_data":null,"owned_partitions":[],)"
                        R"("generation_id":-1,"rack_id":null})"));
  EXPECT_EQ(m["assignment"],
            json::parse(R"({"version":0,"partitions":[{"topic":"it1","partitions":[0,1]}],)"
                        R"("user_data":null})"));
  // A KIP-848 member: its classic member metadata is a tagged field written as null (a varint 0).
  auto member = offsets(from_base64("AAUABGc4NDgAFjV0WjhoNDVtUWtXVVhVTFA4ZUZNMEE="),
                        from_base64("AAAAAAZrcGlwZQsvMTI3LjAuMC4xAgRpdDEBAAB1MAABAAEA"));
  ASSERT_EQ(member.status, internal_record_status::decoded) << member.doc.dump();
  EXPECT_EQ(member.doc["record"], "consumer_group_member_metadata");
  EXPECT_EQ(member.doc["key"],
            json::parse(R"({"group_id":"g848","member_id":"5tZ8h45mQkWUXULP8eFM0A"})"));
  EXPECT_EQ(member.doc["value"]["subscribed_topic_names"], json::parse(R"(["it1"])"));
  EXPECT_EQ(member.doc["value"]["classic_member_metadata"], nullptr);
  EXPECT_EQ(member.doc["value"]["server_assignor"], nullptr);
}

co::group_metadata_value group_of_one(const std::string& protocol_type, bytes subscription,
                                      bytes assignment) {
  co::group_metadata_value v;
  v.protocol_type = protocol_type;
  v.generation = 4;
  v.protocol = "range";
  v.leader = "m1";
  v.current_state_timestamp = 123;
  auto& m = v.members.emplace_back();
  m.member_id = "m1";
  m.group_instance_id = "static-1";
  m.client_id = "c";
  m.client_host = "/10.0.0.1";
  m.rebalance_timeout = 300;
  m.session_timeout = 45;
  m.subscription = std::move(subscription);
  m.assignment = std::move(assignment);
  return v;
}

TEST(InternalTopicRecords, GroupMetadataEveryVersionWithTheConsumerProtocol) {
  client::group::subscription s;
  s.topics = {"orders", "refunds"};
  s.owned_partitions = {{"orders", {1}}};
  s.generation_id = 3;
  client::group::assignment a;
  a.partitions = {{"orders", {0, 2}}};
  a.user_data = protocol::byte_buffer{1, 2};
  auto key = encoded(2, co::group_metadata_key{"billing", {}}, 0);
  for (std::int16_t version = 0; version <= 4; ++version) {
    SCOPED_TRACE(version);
    auto v = group_of_one("consumer", client::group::encode(s, 2).value(),
                          client::group::encode(a, 1).value());
    auto d = offsets(key, encoded(version, v, version));
    ASSERT_EQ(d.status, internal_record_status::decoded) << d.doc.dump();
    EXPECT_EQ(d.doc["record"], "group_metadata");
    EXPECT_EQ(d.doc["key"]["group"], "billing");
    const auto& value = d.doc["value"];
    EXPECT_EQ(value["generation"], 4);
    EXPECT_EQ(value["leader"], "m1");
    EXPECT_EQ(value.contains("current_state_timestamp"), version >= 2);
    const auto& m = value["members"][0];
    EXPECT_EQ(m.contains("group_instance_id"), version >= 3);
    if (version >= 3) {
      EXPECT_EQ(m["group_instance_id"], "static-1");
    }
    EXPECT_EQ(m.contains("rebalance_timeout"), version >= 1);
    EXPECT_EQ(m["session_timeout"], 45);
    EXPECT_EQ(m["subscription"]["version"], 2);
    EXPECT_EQ(m["subscription"]["topics"], json::parse(R"(["orders","refunds"])"));
    EXPECT_EQ(m["subscription"]["owned_partitions"],
              json::parse(R"([{"topic":"orders","partitions":[1]}])"));
    EXPECT_EQ(m["subscription"]["generation_id"], 3);
    EXPECT_FALSE(m["subscription"].contains("rack_id"));
    EXPECT_EQ(m["assignment"]["partitions"],
              json::parse(R"([{"topic":"orders","partitions":[0,2]}])"));
    EXPECT_EQ(m["assignment"]["user_data"], "AQI=");
  }
}

TEST(InternalTopicRecords, GroupMetadataOfAnotherProtocolKeepsTheBytes) {
  auto v = group_of_one("connect", {0xde, 0xad}, {0xbe, 0xef});
  auto d = offsets(encoded(2, co::group_metadata_key{"workers", {}}, 0), encoded(3, v, 3));
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["value"]["members"][0]["subscription"], "3q0=");
  EXPECT_EQ(d.doc["value"]["members"][0]["assignment"], "vu8=");
}

TEST(InternalTopicRecords, GroupMetadataWithBadEmbeddedBytesIsMalformedButShown) {
  auto v = group_of_one("consumer", {0x00, 0x00, 0x00, 0x00, 0x00, 0x09}, {});
  auto d = offsets(encoded(2, co::group_metadata_key{"g", {}}, 0), encoded(3, v, 3));
  EXPECT_EQ(d.status, internal_record_status::malformed);
  const auto& m = d.doc["value"]["members"][0];
  EXPECT_TRUE(m["subscription"].contains("error"));
  EXPECT_EQ(m["subscription"]["raw"], "AAAAAAAJ");
  EXPECT_EQ(m["assignment"], nullptr);  // no assignment yet
  EXPECT_EQ(d.why,
            "value: members[0].subscription: consumer subscription: topics: length 9 exceeds the 0 "
            "bytes left at offset 6");
  EXPECT_EQ(d.doc["error"], d.why);
  EXPECT_TRUE(d.doc.contains("raw_key"));
  EXPECT_TRUE(d.doc.contains("raw_value"));
}

TEST(InternalTopicRecords, ConsumerGroupRecordsOfKip848) {
  auto group_key = [](std::int16_t type) {
    return encoded(type, co::consumer_group_key{"g", {}}, 0);
  };
  auto member_key = [](std::int16_t type) {
    return encoded(type, co::consumer_group_member_key{"g", "m-1", {}}, 0);
  };
  protocol::uuid topic_id{};
  topic_id.fill(0xab);

  co::consumer_group_metadata_value metadata;
  metadata.epoch = 5;
  metadata.metadata_hash = 99;
  auto d = offsets(group_key(3), encoded(0, metadata, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded) << d.doc.dump();
  EXPECT_EQ(d.doc["record"], "consumer_group_metadata");
  EXPECT_EQ(d.doc["value"], json::parse(R"({"epoch":5,"metadata_hash":99})"));

  co::consumer_group_partition_metadata_value partitions;
  auto& t = partitions.topics.emplace_back();
  t.topic_id = topic_id;
  t.topic_name = "orders";
  t.num_partitions = 2;
  t.partition_metadata.push_back({0, {"rack-a"}, {}});
  d = offsets(group_key(4), encoded(0, partitions, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded) << d.doc.dump();
  EXPECT_EQ(d.doc["record"], "consumer_group_partition_metadata");
  EXPECT_EQ(d.doc["value"]["topics"][0]["topic_name"], "orders");
  EXPECT_EQ(d.doc["value"]["topics"][0]["partition_metadata"][0]["racks"][0], "rack-a");

  co::consumer_group_member_metadata_value member;
  member.client_id = "kpipe";
  member.client_host = "/127.0.0.1";
  member.subscribed_topic_names = {"orders"};
  member.server_assignor = "uniform";
  auto& classic = member.classic_member_metadata.emplace();
  classic.session_timeout_ms = 45000;
  classic.supported_protocols.push_back({"range", {1, 2, 3}, {}});
  d = offsets(member_key(5), encoded(0, member, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded) << d.doc.dump();
  EXPECT_EQ(d.doc["record"], "consumer_group_member_metadata");
  EXPECT_EQ(d.doc["key"]["member_id"], "m-1");
  EXPECT_EQ(d.doc["value"]["server_assignor"], "uniform");
  EXPECT_EQ(d.doc["value"]["classic_member_metadata"]["session_timeout_ms"], 45000);
  EXPECT_EQ(d.doc["value"]["classic_member_metadata"]["supported_protocols"][0]["metadata"],
            "AQID");

  co::consumer_group_target_assignment_metadata_value target;
  target.assignment_epoch = 6;
  d = offsets(group_key(6), encoded(0, target, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["record"], "consumer_group_target_assignment_metadata");
  EXPECT_EQ(d.doc["value"]["assignment_epoch"], 6);

  co::consumer_group_target_assignment_member_value target_member;
  target_member.topic_partitions.push_back({topic_id, {0, 1}, {}});
  d = offsets(member_key(7), encoded(0, target_member, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["record"], "consumer_group_target_assignment_member");
  EXPECT_EQ(d.doc["value"]["topic_partitions"][0]["topic_id"], util::base64(topic_id, true));
  EXPECT_EQ(d.doc["value"]["topic_partitions"][0]["partitions"], json::parse("[0,1]"));

  co::consumer_group_current_member_assignment_value current;
  current.member_epoch = 6;
  current.previous_member_epoch = 5;
  current.assigned_partitions.push_back({topic_id, {1}, {}});
  current.partitions_pending_revocation.push_back({topic_id, {0}, {}});
  d = offsets(member_key(8), encoded(0, current, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["record"], "consumer_group_current_member_assignment");
  EXPECT_EQ(d.doc["value"]["member_epoch"], 6);
  EXPECT_EQ(d.doc["value"]["partitions_pending_revocation"][0]["partitions"], json::parse("[0]"));

  co::consumer_group_regular_expression_value regex;
  regex.topics = {"orders-eu", "orders-us"};
  regex.version = 12;
  d = offsets(encoded(16, co::consumer_group_regular_expression_key{"g", "orders-.*", {}}, 0),
              encoded(0, regex, 0));
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["record"], "consumer_group_regular_expression");
  EXPECT_EQ(d.doc["key"]["regular_expression"], "orders-.*");
  EXPECT_EQ(d.doc["value"]["topics"][1], "orders-us");
}

TEST(InternalTopicRecords, TombstonesSayWhatIsGone) {
  auto d = offsets(offset_commit_key(), std::nullopt);
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["value"], nullptr);
  EXPECT_EQ(d.doc["tombstone"], "offset deleted");
  EXPECT_FALSE(d.doc.contains("value_version"));
  d = offsets(encoded(2, co::group_metadata_key{"g", {}}, 0), std::nullopt);
  EXPECT_EQ(d.doc["tombstone"], "group deleted");
  d = offsets(encoded(5, co::consumer_group_member_key{"g", "m", {}}, 0), std::nullopt);
  EXPECT_EQ(d.doc["tombstone"], "member removed");
  d = run(internal_topic::transaction_state, encoded(0, ts::transaction_log_key{"tx", {}}, 0),
          std::nullopt);
  ASSERT_EQ(d.status, internal_record_status::decoded);
  EXPECT_EQ(d.doc["key"]["transactional_id"], "tx");
  EXPECT_EQ(d.doc["tombstone"], "transactional id expired");
}

TEST(InternalTopicRecords, TransactionStateEveryStateAndBothVersions) {
  const char* names[] = {"Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
                         "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence"};
  auto key = encoded(0, ts::transaction_log_key{"payments-1", {}}, 0);
  for (std::int16_t version = 0; version <= 1; ++version) {
    for (std::int8_t state = 0; state <= 8; ++state) {
      SCOPED_TRACE(std::to_string(version) + "/" + std::to_string(state));
      ts::transaction_log_value v;
      v.producer_id = 1000;
      v.producer_epoch = 3;
      v.transaction_timeout_ms = 60000;
      v.transaction_status = state;
      v.transaction_partitions.emplace().push_back({"orders", {0, 4}, {}});
      v.transaction_last_update_timestamp_ms = 2000;
      v.transaction_start_timestamp_ms = 1500;
      v.previous_producer_id = 999;
      v.next_producer_epoch = 4;
      v.client_transaction_version = 2;
      auto d = run(internal_topic::transaction_state, key, encoded(version, v, version));
      ASSERT_EQ(d.status, internal_record_status::decoded) << d.doc.dump();
      EXPECT_EQ(d.doc["key_version"], 0);
      EXPECT_EQ(d.doc["record"], "transaction_metadata");
      EXPECT_EQ(d.doc["value_version"], version);
      const auto& value = d.doc["value"];
      EXPECT_EQ(value["state"], state < 8 ? names[state] : "unknown");
      EXPECT_EQ(value["state_id"], state);
      EXPECT_EQ(value["producer_id"], 1000);
      EXPECT_EQ(value["producer_epoch"], 3);
      EXPECT_EQ(value["partitions"], json::parse(R"([{"topic":"orders","partitions":[0,4]}])"));
      EXPECT_EQ(value["start_timestamp_ms"], 1500);
      // The tagged fields of v1 only (KIP-890, KIP-939).
      EXPECT_EQ(value.contains("previous_producer_id"), version >= 1);
      if (version >= 1) {
        EXPECT_EQ(value["previous_producer_id"], 999);
        EXPECT_EQ(value["next_producer_id"], -1);
        EXPECT_EQ(value["next_producer_epoch"], 4);
        EXPECT_EQ(value["client_transaction_version"], 2);
      }
    }
  }
  ts::transaction_log_value empty;  // no partitions yet: null
  auto d = run(internal_topic::transaction_state, key, encoded(1, empty, 1));
  EXPECT_EQ(d.doc["value"]["partitions"], nullptr);
}

TEST(InternalTopicRecords, UnknownTypesAndVersionsAreReportedAsUndecoded) {
  auto streams = offsets(bytes{0x00, 0x11, 0x00, 0x01, 'g'}, bytes{0x00, 0x00, 0x01});
  EXPECT_EQ(streams.status, internal_record_status::undecoded);
  EXPECT_EQ(streams.doc["record_type"], 17);
  EXPECT_EQ(streams.doc["record"], "streams_group_metadata");
  EXPECT_EQ(streams.doc["undecoded"],
            "record type 17 (streams_group_metadata) is not in kpipe's definitions");
  EXPECT_EQ(streams.doc["raw_key"], "ABEAAWc=");
  EXPECT_EQ(streams.doc["raw_value"], "AAAB");
  EXPECT_EQ(streams.why, streams.doc["undecoded"]);

  auto unknown = offsets(bytes{0x01, 0x00}, std::nullopt);
  EXPECT_EQ(unknown.status, internal_record_status::undecoded);
  EXPECT_EQ(unknown.doc["record_type"], 256);
  EXPECT_FALSE(unknown.doc.contains("record"));
  EXPECT_EQ(unknown.doc["raw_value"], nullptr);

  auto newer = offsets(offset_commit_key(), bytes{0x00, 0x05, 0x01});
  EXPECT_EQ(newer.status, internal_record_status::undecoded);
  EXPECT_EQ(newer.doc["value_version"], 5);
  EXPECT_EQ(newer.doc["key"]["topic"], "orders");  // the key is still decoded
  EXPECT_EQ(newer.doc["undecoded"],
            "value version 5 of offset_commit is not in kpipe's definitions (0-4)");

  auto txn_key = run(internal_topic::transaction_state, bytes{0x00, 0x01, 0x00}, std::nullopt);
  EXPECT_EQ(txn_key.status, internal_record_status::undecoded);
  EXPECT_EQ(txn_key.doc["key_version"], 1);
}

TEST(InternalTopicRecords, MalformedBytesGiveTheErrorAndTheRawBytes) {
  auto null_key = offsets(std::nullopt, bytes{0x00, 0x00});
  EXPECT_EQ(null_key.status, internal_record_status::malformed);
  EXPECT_EQ(null_key.doc["raw_key"], nullptr);
  EXPECT_EQ(null_key.doc["raw_value"], "AAA=");

  bytes key = offset_commit_key();
  key.push_back(0x7f);
  auto left_over = offsets(key, std::nullopt);
  EXPECT_EQ(left_over.status, internal_record_status::malformed);
  EXPECT_EQ(left_over.doc["error"], "key: 1 bytes left over after the last field at offset 23");

  auto short_value = offsets(offset_commit_key(), bytes{0x00, 0x03, 0x00, 0x00});
  EXPECT_EQ(short_value.status, internal_record_status::malformed);
  EXPECT_EQ(short_value.doc["error"], "value: offset: need 8 bytes, 2 left at offset 2");
  EXPECT_EQ(short_value.doc["key"]["group"], "billing");
}

// Every way of cutting a valid key or value short: never a crash, always an error with a reason
// and the raw bytes, never a partial key or value object.
TEST(InternalTopicRecords, EveryTruncationIsAnError) {
  auto v = group_of_one("consumer", client::group::encode(client::group::subscription{}, 3).value(),
                        client::group::encode(client::group::assignment{}, 3).value());
  ts::transaction_log_value txn;
  txn.transaction_partitions.emplace().push_back({"t", {1}, {}});
  txn.previous_producer_id = 5;
  struct sample {
    internal_topic topic;
    bytes key, value;
  };
  std::vector<sample> samples = {
      {internal_topic::consumer_offsets, offset_commit_key(),
       from_base64("AAQAAAAAAAAABf////8BAAABokYljGEA")},
      {internal_topic::consumer_offsets, encoded(2, co::group_metadata_key{"g", {}}, 0),
       encoded(4, v, 4)},
      {internal_topic::consumer_offsets,
       from_base64("AAUABGc4NDgAFjV0WjhoNDVtUWtXVVhVTFA4ZUZNMEE="),
       from_base64("AAAAAAZrcGlwZQsvMTI3LjAuMC4xAgRpdDEBAAB1MAABAAEA")},
      {internal_topic::transaction_state, encoded(0, ts::transaction_log_key{"tx", {}}, 0),
       encoded(1, txn, 1)},
  };
  for (const auto& s : samples) {
    ASSERT_EQ(run(s.topic, s.key, s.value).status, internal_record_status::decoded);
    for (std::size_t n = 0; n < s.key.size(); ++n) {
      auto d = run(s.topic, bytes(s.key.begin(), s.key.begin() + static_cast<long>(n)), s.value);
      EXPECT_EQ(d.status, internal_record_status::malformed) << n;
      EXPECT_FALSE(d.why.empty());
      EXPECT_FALSE(d.doc.contains("key"));
      EXPECT_EQ(d.doc["raw_value"], util::base64(s.value));
    }
    for (std::size_t n = 0; n < s.value.size(); ++n) {
      auto d = run(s.topic, s.key, bytes(s.value.begin(), s.value.begin() + static_cast<long>(n)));
      EXPECT_EQ(d.status, internal_record_status::malformed) << n << " " << d.doc.dump();
      EXPECT_FALSE(d.doc.contains("value"));
      EXPECT_EQ(d.doc["error"], d.why);
    }
  }
}

TEST(InternalTopicRecords, TopicFromNameOrPartitionDirectory) {
  EXPECT_EQ(internal_topic_named("__consumer_offsets"), internal_topic::consumer_offsets);
  EXPECT_EQ(internal_topic_named("__transaction_state"), internal_topic::transaction_state);
  EXPECT_EQ(internal_topic_named("orders"), std::nullopt);
  EXPECT_EQ(internal_topic_of_path("/data/__consumer_offsets-12"),
            internal_topic::consumer_offsets);
  EXPECT_EQ(internal_topic_of_path("/data/__consumer_offsets-12/"),
            internal_topic::consumer_offsets);
  EXPECT_EQ(internal_topic_of_path("__transaction_state-3/00000000000000000000.log"),
            internal_topic::transaction_state);
  EXPECT_EQ(internal_topic_of_path("/d/__transaction_state-0/00000000000000000000.index"),
            internal_topic::transaction_state);
  EXPECT_EQ(internal_topic_of_path("/data/orders-0/00000000000000000000.log"), std::nullopt);
  EXPECT_EQ(internal_topic_of_path("/data/__consumer_offsets/x.log"), std::nullopt);
  EXPECT_EQ(internal_topic_of_path("/data/__consumer_offsets-x/x.log"), std::nullopt);
  EXPECT_EQ(internal_topic_of_path("/data/__consumer_offsets-/x.log"), std::nullopt);
  EXPECT_EQ(internal_topic_of_path("00000000000000000000.log"), std::nullopt);
  EXPECT_EQ(internal_topic_of_path(""), std::nullopt);
  EXPECT_EQ(internal_topic_name(internal_topic::transaction_state), "__transaction_state");
}

}  // namespace
}  // namespace kpipe::record
