// The one FindCoordinator path's pure halves at every shape the protocol has (one key at the
// top level before v4, CoordinatorKeys from v4 on, KIP-699), through bytes with the generated
// encoders and decoders; and the one retry policy's backoff.

#include "client/coordinator.hpp"

#include <gtest/gtest.h>

#include "protocol/generated/error_table.hpp"
#include "protocol/generated/find_coordinator.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::client {
namespace {

namespace errc = protocol::errc;
namespace fc = protocol::find_coordinator;
using std::chrono::milliseconds;

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

TEST(Coordinator, RequestCarriesOneKeyBeforeV4AndAllFromV4) {
  for (std::int16_t v = 1; v <= 3; ++v) {
    auto sent = through_bytes(
        build_find_coordinator_request(coordinator_type::transaction, {"txn-a"}, v), v);
    EXPECT_EQ(sent.key, "txn-a") << v;
    EXPECT_EQ(sent.key_type, 1) << v;
  }
  auto v0 = through_bytes(build_find_coordinator_request(coordinator_type::group, {"g"}, 0), 0);
  EXPECT_EQ(v0.key, "g");
  for (std::int16_t v = 4; v <= fc::request::max_version; ++v) {
    auto sent = through_bytes(
        build_find_coordinator_request(coordinator_type::group, {"g1", "g2", "g3"}, v), v);
    EXPECT_EQ(sent.coordinator_keys, (std::vector<std::string>{"g1", "g2", "g3"})) << v;
    EXPECT_EQ(sent.key_type, 0) << v;
  }
}

TEST(Coordinator, AnswerBeforeV4IsTheTopLevelForTheOneKey) {
  fc::response response;
  response.node_id = 3;
  response.host = "broker-3";
  response.port = 9093;
  auto read = read_find_coordinator_response(through_bytes(response, 3), 3, {"g"});
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read.at("g").node_id, 3);
  EXPECT_EQ(read.at("g").host, "broker-3");
  EXPECT_EQ(read.at("g").port, 9093);
  EXPECT_EQ(read.at("g").error_code, errc::none);

  response.error_code = errc::coordinator_load_in_progress;
  read = read_find_coordinator_response(through_bytes(response, 2), 2, {"g"});
  EXPECT_EQ(read.at("g").error_code, errc::coordinator_load_in_progress);
}

TEST(Coordinator, AnswerFromV4IsPerKeyInAnyOrderForeignKeysIgnored) {
  fc::response response;
  auto add = [&](std::string key, std::int32_t node, std::int16_t code) {
    fc::response::coordinator c;
    c.key = std::move(key);
    c.node_id = node;
    c.host = "h" + std::to_string(node);
    c.port = 9000 + node;
    c.error_code = code;
    response.coordinators.push_back(c);
  };
  add("g2", 2, errc::none);
  add("not-asked", 7, errc::none);
  add("g1", -1, errc::coordinator_not_available);
  for (std::int16_t v = 4; v <= fc::response::max_version; ++v) {
    auto read = read_find_coordinator_response(through_bytes(response, v), v, {"g1", "g2", "g3"});
    EXPECT_EQ(read.size(), 2u) << v;  // g3 is left out by the answer, not-asked was not asked
    EXPECT_EQ(read.at("g2").node_id, 2) << v;
    EXPECT_EQ(read.at("g2").port, 9002) << v;
    EXPECT_EQ(read.at("g1").error_code, errc::coordinator_not_available) << v;
    EXPECT_FALSE(read.contains("not-asked")) << v;
    EXPECT_FALSE(read.contains("g3")) << v;
  }
}

TEST(RetryPolicy, BackoffDoublesFromInitialUpToMax) {
  retry_policy p{10, milliseconds(100), milliseconds(1'000)};
  EXPECT_EQ(p.backoff(0), milliseconds(0));
  EXPECT_EQ(p.backoff(1), milliseconds(100));
  EXPECT_EQ(p.backoff(2), milliseconds(200));
  EXPECT_EQ(p.backoff(3), milliseconds(400));
  EXPECT_EQ(p.backoff(4), milliseconds(800));
  EXPECT_EQ(p.backoff(5), milliseconds(1'000));
  EXPECT_EQ(p.backoff(1'000), milliseconds(1'000));  // no overflow for large attempt numbers
  retry_policy slow{3, milliseconds(250), milliseconds(60'000)};
  EXPECT_EQ(slow.backoff(3), milliseconds(1'000));
  EXPECT_EQ(slow.backoff(100), milliseconds(60'000));
}

TEST(RetryPolicy, DefaultsAreBoundedInTotal) {
  // A coordinator lookup gives up within seconds, a group join within a minute.
  auto total = [](const retry_policy& p) {
    milliseconds sum{0};
    for (int i = 1; i < p.attempts; ++i) sum += p.backoff(i);
    return sum;
  };
  EXPECT_LT(total(default_retry), milliseconds(10'000));
  EXPECT_GT(total(join_retry), milliseconds(30'000));
  EXPECT_LT(total(join_retry), milliseconds(60'000));
}

}  // namespace
}  // namespace kpipe::client
