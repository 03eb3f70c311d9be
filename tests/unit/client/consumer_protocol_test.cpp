// The consumer protocol's subscription and assignment: byte-exact encodings computed by hand
// from Kafka's ConsumerProtocolSubscription/ConsumerProtocolAssignment schemas, round trips in
// every version, Java's tolerance of newer versions, and errors with field paths and offsets.

#include "client/group/consumer_protocol.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace kpipe::client::group {
namespace {

using protocol::byte_buffer;

byte_buffer bytes_of(std::initializer_list<int> values) {
  byte_buffer out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

byte_buffer encoded(const subscription& s, std::int16_t version) {
  auto r = encode(s, version);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : byte_buffer{};
}

byte_buffer encoded(const assignment& a, std::int16_t version) {
  auto r = encode(a, version);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : byte_buffer{};
}

subscription full_subscription() {
  subscription s;
  s.topics = {"orders", "payments"};
  s.user_data = bytes_of({0, 0, 0, 9});
  s.owned_partitions = {{"orders", {0, 3, 5}}, {"payments", {1}}};
  s.generation_id = 9;
  s.rack_id = "rack-a";
  return s;
}

TEST(ConsumerProtocol, SubscriptionV0Bytes) {
  subscription s;
  s.topics = {"foo", "bar"};
  s.owned_partitions = {{"foo", {1}}};  // v0 cannot carry it: left out
  s.generation_id = 4;
  EXPECT_EQ(encoded(s, 0), bytes_of({0x00, 0x00,                   // version 0
                                     0x00, 0x00, 0x00, 0x02,       // 2 topics
                                     0x00, 0x03, 'f',  'o',  'o',  //
                                     0x00, 0x03, 'b',  'a',  'r',  //
                                     0xff, 0xff, 0xff, 0xff}));    // null user data
}

TEST(ConsumerProtocol, SubscriptionV1Bytes) {
  subscription s;
  s.topics = {"t"};
  s.user_data = bytes_of({0x01, 0x02});
  s.owned_partitions = {{"t", {0, 2}}};
  s.generation_id = 4;                                                    // v2+
  s.rack_id = "r";                                                        // v3+
  EXPECT_EQ(encoded(s, 1), bytes_of({0x00, 0x01,                          // version 1
                                     0x00, 0x00, 0x00, 0x01,              // 1 topic
                                     0x00, 0x01, 't',                     //
                                     0x00, 0x00, 0x00, 0x02, 0x01, 0x02,  // user data
                                     0x00, 0x00, 0x00, 0x01,              // 1 owned topic
                                     0x00, 0x01, 't',                     //
                                     0x00, 0x00, 0x00, 0x02,              // 2 partitions
                                     0x00, 0x00, 0x00, 0x00,              //
                                     0x00, 0x00, 0x00, 0x02}));
}

TEST(ConsumerProtocol, SubscriptionV2AndV3AppendGenerationAndRack) {
  subscription s;
  s.topics = {"t"};
  s.generation_id = 258;
  s.rack_id = "r1";
  byte_buffer common = bytes_of({0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',  // topics
                                 0xff, 0xff, 0xff, 0xff,                   // null user data
                                 0x00, 0x00, 0x00, 0x00,                   // no owned topics
                                 0x00, 0x00, 0x01, 0x02});                 // generation 258
  byte_buffer v2 = bytes_of({0x00, 0x02});
  v2.insert(v2.end(), common.begin(), common.end());
  EXPECT_EQ(encoded(s, 2), v2);
  byte_buffer v3 = bytes_of({0x00, 0x03});
  v3.insert(v3.end(), common.begin(), common.end());
  for (int b : std::initializer_list<int>{0x00, 0x02, 'r', '1'})
    v3.push_back(static_cast<std::uint8_t>(b));
  EXPECT_EQ(encoded(s, 3), v3);
  s.rack_id.reset();
  v3.resize(v3.size() - 4);
  for (int b : {0xff, 0xff}) v3.push_back(static_cast<std::uint8_t>(b));  // null rack
  EXPECT_EQ(encoded(s, 3), v3);
}

TEST(ConsumerProtocol, AssignmentV0AndV1Bytes) {
  assignment a;
  a.partitions = {{"t", {1}}, {"u", {}}};
  byte_buffer body = bytes_of({0x00, 0x00, 0x00, 0x02,                    // 2 topics
                               0x00, 0x01, 't',  0x00, 0x00, 0x00, 0x01,  //
                               0x00, 0x00, 0x00, 0x01,                    // partition 1
                               0x00, 0x01, 'u',  0x00, 0x00, 0x00, 0x00,  // none
                               0xff, 0xff, 0xff, 0xff});                  // null user data
  byte_buffer v0 = bytes_of({0x00, 0x00});
  v0.insert(v0.end(), body.begin(), body.end());
  EXPECT_EQ(encoded(a, 0), v0);
  byte_buffer v1 = bytes_of({0x00, 0x01});
  v1.insert(v1.end(), body.begin(), body.end());
  EXPECT_EQ(encoded(a, 1), v1);
  a.user_data = byte_buffer{};
  v1.resize(v1.size() - 4);
  for (int i = 0; i < 4; ++i) v1.push_back(0);  // empty, not null
  EXPECT_EQ(encoded(a, 1), v1);
}

TEST(ConsumerProtocol, SubscriptionRoundTripsInEveryVersion) {
  for (std::int16_t version = 0; version <= consumer_protocol_max_version; ++version) {
    SCOPED_TRACE(version);
    subscription in = full_subscription();
    auto bytes = encoded(in, version);
    auto out = decode_subscription(bytes);
    ASSERT_TRUE(out.ok()) << out.error().message;
    subscription expected = in;
    if (version < 1) expected.owned_partitions.clear();
    if (version < 2) expected.generation_id = -1;
    if (version < 3) expected.rack_id.reset();
    EXPECT_EQ(out.value(), expected);
    // What a version carries survives a second trip unchanged.
    EXPECT_EQ(encoded(out.value(), version), bytes);
  }
}

TEST(ConsumerProtocol, AssignmentRoundTripsInEveryVersion) {
  assignment in;
  in.partitions = {{"a", {2, 0, 7}}, {"b", {}}};
  in.user_data = bytes_of({1, 2, 3});
  for (std::int16_t version = 0; version <= consumer_protocol_max_version; ++version) {
    auto bytes = encoded(in, version);
    EXPECT_EQ(bytes[1], version);
    auto out = decode_assignment(bytes);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out.value(), in);
  }
}

TEST(ConsumerProtocol, NewerVersionsDecodeWithTheFieldsWeKnow) {
  // A v5 subscription: the v3 layout followed by fields kpipe does not know.
  auto bytes = encoded(full_subscription(), 3);
  bytes[1] = 5;
  for (int b : {0x00, 0x00, 0x00, 0x2a, 0x01}) bytes.push_back(static_cast<std::uint8_t>(b));
  auto s = decode_subscription(bytes);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s.value(), full_subscription());

  assignment a;
  a.partitions = {{"x", {4}}};
  auto abytes = encoded(a, 3);
  abytes[1] = 9;
  abytes.push_back(0x7f);
  auto decoded = decode_assignment(abytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), a);
}

TEST(ConsumerProtocol, TrailingBytesAfterAKnownVersionAreIgnoredAsInJava) {
  subscription s;
  s.topics = {"t"};
  auto bytes = encoded(s, 0);
  bytes.push_back(0xee);
  auto out = decode_subscription(bytes);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), s);
}

TEST(ConsumerProtocol, RepeatedTopicEntriesAreMerged) {
  auto bytes = bytes_of({0x00, 0x00,                                            //
                         0x00, 0x00, 0x00, 0x02,                                //
                         0x00, 0x01, 't',  0x00, 0x00, 0x00, 0x01, 0, 0, 0, 3,  //
                         0x00, 0x01, 't',  0x00, 0x00, 0x00, 0x01, 0, 0, 0, 1,  //
                         0xff, 0xff, 0xff, 0xff});
  auto out = decode_assignment(bytes);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out.value().partitions, (topic_partitions{{"t", {3, 1}}}));
}

TEST(ConsumerProtocol, ErrorsNameTheFieldAndOffset) {
  subscription s;
  s.topics = {"t"};
  s.user_data = bytes_of({0x01, 0x02});
  s.owned_partitions = {{"t", {0, 2}}};
  auto bytes = encoded(s, 1);
  ASSERT_EQ(bytes.size(), 34u);
  bytes.resize(32);  // half of the second owned partition
  auto out = decode_subscription(bytes);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, error_kind::protocol);
  EXPECT_EQ(out.error().message,
            "consumer subscription: owned_partitions[0].partitions[1]: need 4 bytes, 2 left at "
            "offset 30");

  bytes.resize(21);  // the owned topic name's length, without the name
  out = decode_subscription(bytes);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message,
            "consumer subscription: owned_partitions[0].topic: length 1 exceeds the 0 bytes left "
            "at offset 21");

  auto negative = decode_subscription(bytes_of({0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}));
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message,
            "consumer subscription: version: unsupported version -1 at offset 0");

  auto null_topics = decode_subscription(bytes_of({0, 0, 0xff, 0xff, 0xff, 0xff}));
  ASSERT_FALSE(null_topics.ok());
  EXPECT_EQ(null_topics.error().message,
            "consumer subscription: topics: null where an array is required at offset 6");

  // A count that the input cannot hold fails before anything is allocated.
  auto huge = decode_assignment(bytes_of({0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1, 't'}));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().message,
            "consumer assignment: partitions: length 2147483647 exceeds the 3 bytes left at "
            "offset 6");

  auto empty = decode_assignment({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message,
            "consumer assignment: version: need 2 bytes, 0 left at offset 0");
}

TEST(ConsumerProtocol, EveryStrictPrefixFails) {
  for (std::int16_t version = 0; version <= consumer_protocol_max_version; ++version) {
    auto bytes = encoded(full_subscription(), version);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto out = decode_subscription(std::span<const std::uint8_t>(bytes.data(), n));
      EXPECT_FALSE(out.ok()) << "version " << version << ", prefix " << n;
    }
    assignment a;
    a.partitions = full_subscription().owned_partitions;
    a.user_data = bytes_of({5});
    auto abytes = encoded(a, version);
    for (std::size_t n = 0; n < abytes.size(); ++n) {
      EXPECT_FALSE(decode_assignment(std::span<const std::uint8_t>(abytes.data(), n)).ok())
          << "version " << version << ", prefix " << n;
    }
  }
}

TEST(ConsumerProtocol, RandomBytesNeverCrash) {
  std::mt19937 random(12345);
  auto base = encoded(full_subscription(), 3);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    auto bytes = base;
    int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f)
      bytes[random() % bytes.size()] = static_cast<std::uint8_t>(random());
    auto s = decode_subscription(bytes);
    auto a = decode_assignment(bytes);
    decoded += s.ok() + a.ok();
    if (s.ok()) {
      // Whatever decodes re-encodes to no more bytes than it came from.
      std::int16_t version = std::min<std::int16_t>(
          static_cast<std::int16_t>((bytes[0] << 8) | bytes[1]), consumer_protocol_max_version);
      EXPECT_LE(encoded(s.value(), version).size(), bytes.size());
    }
  }
  EXPECT_GT(decoded, 0);
}

TEST(ConsumerProtocol, EncodeRefusesWhatItCannotWrite) {
  subscription s;
  EXPECT_EQ(encode(s, 4).error().kind, error_kind::usage);
  EXPECT_EQ(encode(s, -1).error().kind, error_kind::usage);
  s.topics = {std::string(40000, 'x')};
  EXPECT_FALSE(encode(s, 0).ok());
  assignment a;
  a.partitions = {{std::string(32768, 'y'), {0}}};
  EXPECT_FALSE(encode(a, 0).ok());
  a.partitions = {{std::string(32767, 'y'), {0}}};
  EXPECT_TRUE(encode(a, 0).ok());
}

}  // namespace
}  // namespace kpipe::client::group
