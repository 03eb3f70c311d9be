// decode --internal over consume -J lines: the internal member added to records of internal
// topics (by the line's topic, or forced), other lines passed through byte for byte, and errors
// for lines that are not envelopes or whose key or value does not decode.
#include "decode_internal.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace kpipe::cli {
namespace {

using json = nlohmann::json;

// kpipe's own commit of offset 5 for group g1, topic it1, partition 0, as `consume -J` printed
// it from a Kafka 4.1 broker: the key is valid UTF-8 (a JSON string with control characters), the
// value is not (base64).
const std::string commit_line =
    R"({"topic":"__consumer_offsets","partition":2,"offset":4,"timestamp":1796473195623,)"
    R"("timestamp_type":"create","key":"\u0000\u0001\u0000\u0002g1\u0000\u0003it1\u0000\u0000\u0000\u0000",)"
    R"("value":{"base64":"AAQAAAAAAAAABf////8BAAABokYljGEA"},"headers":[],"leader_epoch":0})";

TEST(DecodeInternal, AddsTheDecodedKeyAndValueByTopic) {
  auto r = add_internal_to_line(commit_line, "auto");
  ASSERT_TRUE(r.error.empty()) << r.error;
  // The line as it was, with one member more at the end.
  ASSERT_EQ(r.out.compare(0, commit_line.size() - 1, commit_line, 0, commit_line.size() - 1), 0);
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["offset"], 4);
  EXPECT_EQ(doc["internal"]["record"], "offset_commit");
  EXPECT_EQ(doc["internal"]["key"], json::parse(R"({"group":"g1","topic":"it1","partition":0})"));
  EXPECT_EQ(doc["internal"]["value"]["offset"], 5);
}

TEST(DecodeInternal, OtherTopicsPassThroughUnlessForced) {
  std::string line = R"({"topic":"orders","partition":0,"offset":1,"key":"k","value":"v"})";
  auto r = add_internal_to_line(line, "auto");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.out, line);
  r = add_internal_to_line(commit_line, "none");
  EXPECT_EQ(r.out, commit_line);
  // Forced: the same bytes read as __transaction_state have a key version kpipe does not know,
  // which is reported in the line and is not an error.
  r = add_internal_to_line(commit_line, "transaction-state");
  EXPECT_TRUE(r.error.empty()) << r.error;
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc["internal"]["key_version"], 1);
  EXPECT_EQ(doc["internal"]["undecoded"],
            "key version 1 of transaction_metadata is not in kpipe's definitions (0)");
}

TEST(DecodeInternal, ATombstoneAndAnUndecodableValue) {
  std::string tombstone =
      R"({"topic":"__consumer_offsets","offset":9,"key":"\u0000\u0002\u0000\u0002g1","value":null})";
  auto r = add_internal_to_line(tombstone, "auto");
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(json::parse(r.out)["internal"]["tombstone"], "group deleted");

  std::string bad =
      R"({"topic":"__consumer_offsets","offset":10,"key":"\u0000\u0002\u0000\u0002g1","value":{"hex":"0003"}})";
  r = add_internal_to_line(bad, "auto");
  EXPECT_EQ(r.error,
            "offset 10: __consumer_offsets value: protocol_type: need 2 bytes, 0 left at offset 2");
  EXPECT_EQ(json::parse(r.out)["internal"]["raw_value"], "AAM=");
}

TEST(DecodeInternal, ALineThatIsNotAnEnvelopeIsAnError) {
  auto r = add_internal_to_line("not json", "auto");
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.out, "not json");
  r = add_internal_to_line(R"({"topic":"__consumer_offsets","key":"x"})", "auto");
  EXPECT_NE(r.error.find("value"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace kpipe::cli
