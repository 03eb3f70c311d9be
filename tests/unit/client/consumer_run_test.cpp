// The consumer against two scripted brokers, one for bootstrap and one as the leader of every
// partition and the group's coordinator (ListOffsets, Fetch, KIP-848's ConsumerGroupHeartbeat,
// OffsetFetch, OffsetCommit): positions from the spec and from the group's commits, -e ending
// the run, and commits carrying only what the caller marked written, before the member leaves.

#include "client/consumer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "net/fake_broker.hpp"
#include "net/scripted_answers.hpp"
#include "protocol/generated/consumer_group_heartbeat.hpp"
#include "protocol/generated/fetch.hpp"
#include "protocol/generated/list_offsets.hpp"
#include "protocol/generated/metadata.hpp"
#include "protocol/generated/offset_commit.hpp"
#include "protocol/generated/offset_fetch.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"
#include "record/batch_writer.hpp"

namespace kpipe::client {
namespace {

namespace ts = net::test_support;
namespace cgh = protocol::consumer_group_heartbeat;

const protocol::uuid orders_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
// Both partitions of "orders" hold offsets 0, 1 and 2.
constexpr std::int64_t log_end = 3;

// The APIs the scripted broker offers.
const std::vector<std::pair<std::int16_t, std::int16_t>> consumer_apis = {
    {18, 3},  // ApiVersions
    {3, 12},  // Metadata
    {2, 7},   // ListOffsets
    {1, 12},  // Fetch (topics by name)
    {10, 6},  // FindCoordinator
    {9, 7},   // OffsetFetch (one group at the top level)
    {8, 9},   // OffsetCommit
    {68, 1},  // ConsumerGroupHeartbeat (no ConsumerGroupDescribe: nothing to check)
};

using ts::decoded;
using ts::encoded;

// Records "p<partition>-<offset>" from `first` to the end of the log.
protocol::byte_buffer records_from(std::int32_t partition, std::int64_t first) {
  record::batch_writer w;
  w.set_base_offset(first);
  std::vector<std::string> values;
  for (auto o = first; o < log_end; ++o) {
    values.push_back("p" + std::to_string(partition) + "-" + std::to_string(o));
  }
  for (const auto& v : values) {
    record::bytes_view value{reinterpret_cast<const std::uint8_t*>(v.data()), v.size()};
    w.add({std::nullopt, value, {}, 1000, std::nullopt});
  }
  auto built = w.build();
  EXPECT_TRUE(built) << built.error().message;
  return built ? std::move(built).value() : protocol::byte_buffer{};
}

// What both brokers answer, and what they were asked.
struct scripted_cluster {
  // `leader_contacted`: false for a run that ends before it reaches the leader, whose
  // acceptor would otherwise keep the test's event loop waiting for it.
  explicit scripted_cluster(asio::io_context& io, bool leader_contacted = true)
      : bootstrap(io), leader(io) {
    auto script = [this](const ts::received_request& req) { return answer(req); };
    bootstrap.serve(script);
    if (leader_contacted) leader.serve(script);
  }

  std::optional<protocol::writer> answer(const ts::received_request& req) {
    auto v = req.header.request_api_version;
    auto node = leader.address();
    asked.push_back(req.header.request_api_key);
    switch (req.header.request_api_key) {
      case 18:
        return ts::api_versions_answer(v, consumer_apis);
      case 3:
        return ts::metadata_answer(v, node, {{"orders", orders_id, 2}});
      case 10:
        return ts::find_coordinator_answer(v, node, "g1");
      case 2: {
        auto request = decoded<protocol::list_offsets::request>(req);
        protocol::list_offsets::response r;
        for (const auto& t : request.topics) {
          protocol::list_offsets::response::topic_response rt;
          rt.name = t.name;
          for (const auto& p : t.partitions) {
            protocol::list_offsets::response::partition_response rp;
            rp.partition_index = p.partition_index;
            rp.offset = p.timestamp == earliest_timestamp ? 0 : log_end;
            rt.partitions.push_back(rp);
          }
          r.topics.push_back(rt);
        }
        return encoded(r, v);
      }
      case 1: {
        auto request = decoded<protocol::fetch::request>(req);
        protocol::fetch::response r;
        for (const auto& t : request.topics) {
          protocol::fetch::response::able_topic_response rt;
          rt.topic = t.topic;
          for (const auto& p : t.partitions) {
            fetched_from[p.partition].push_back(p.fetch_offset);
            protocol::fetch::response::partition_data rp;
            rp.partition_index = p.partition;
            rp.high_watermark = log_end;
            rp.last_stable_offset = log_end;
            if (p.fetch_offset < log_end) rp.records = records_from(p.partition, p.fetch_offset);
            rt.partitions.push_back(rp);
          }
          r.responses.push_back(rt);
        }
        return encoded(r, v);
      }
      case 68: {
        heartbeats.push_back(decoded<cgh::request>(req));
        order.push_back("heartbeat");
        cgh::response r;
        r.member_id = heartbeats.back().member_id;
        r.heartbeat_interval_ms = 50;
        r.member_epoch = heartbeats.back().member_epoch < 0 ? heartbeats.back().member_epoch : 1;
        if (r.member_epoch > 0) {
          r.assignment.emplace();
          cgh::topic_partitions_data assigned;
          assigned.topic_id = orders_id;
          assigned.partitions = {0, 1};
          r.assignment->topic_partitions.push_back(assigned);
        }
        return encoded(r, v);
      }
      case 9: {
        // The group committed partition 0 up to offset 1; partition 1 has no commit.
        auto request = decoded<protocol::offset_fetch::request>(req);
        protocol::offset_fetch::response r;
        for (const auto& t : *request.topics) {
          protocol::offset_fetch::response::topic rt;
          rt.name = t.name;
          for (auto p : t.partition_indexes) {
            protocol::offset_fetch::response::partition rp;
            rp.partition_index = p;
            rp.committed_offset = p == 0 ? 1 : -1;
            rt.partitions.push_back(rp);
          }
          r.topics.push_back(rt);
        }
        return encoded(r, v);
      }
      case 8: {
        commits.push_back(decoded<protocol::offset_commit::request>(req));
        order.push_back("commit");
        return ts::offset_commit_accepted(v, commits.back());
      }
      default:
        return std::nullopt;
    }
  }

  ts::fake_broker bootstrap;
  ts::fake_broker leader;
  std::vector<std::int16_t> asked;
  std::map<std::int32_t, std::vector<std::int64_t>> fetched_from;
  std::vector<cgh::request> heartbeats;
  std::vector<protocol::offset_commit::request> commits;
  std::vector<std::string> order;
};

// Every record's value, per partition, read until the consumer says there is nothing more;
// `written` says which partitions the caller marks written after each answer.
asio::awaitable<std::map<std::int32_t, std::vector<std::string>>> read_all(
    consumer& c, std::vector<std::int32_t> written) {
  std::map<std::int32_t, std::vector<std::string>> values;
  for (int answers = 0; answers < 20; ++answers) {
    auto next = co_await c.next();
    EXPECT_TRUE(next) << next.error().message;
    if (!next || !next->has_value()) break;
    for (const auto& part : (*next)->partitions) {
      std::int64_t after = -1;
      for (const auto& batch : part.batches) {
        for (const auto& r : batch.records) {
          values[part.partition].emplace_back(r.value->begin(), r.value->end());
          after = r.offset + 1;
        }
      }
      if (after >= 0 && std::count(written.begin(), written.end(), part.partition)) {
        c.mark_written(part.topic, part.partition, after);
      }
    }
  }
  co_return values;
}

TEST(ConsumerRun, WithoutAGroupReadsTheChosenPartitionsFromTheSpecUpToTheEnd) {
  asio::io_context io;
  scripted_cluster brokers(io);
  cluster c(io.get_executor(), {brokers.bootstrap.address()}, ts::fast_options());
  consumer_options o;
  o.topics = {"orders", "orders"};  // read once
  o.partitions = {1};
  o.start.start = offset_point{offset_point::kind::from_end, 2};
  o.stop_at_end = true;
  consumer reader(io.get_executor(), c, o);
  std::map<std::int32_t, std::vector<std::string>> values;
  ts::run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await reader.start();
    EXPECT_TRUE(started) << started.error().message;
    if (!started) co_return;
    EXPECT_FALSE(reader.joined());
    std::vector<std::int32_t> marked(1, 1);
    values = co_await read_all(reader, marked);
    EXPECT_TRUE(co_await reader.commit());  // nothing to commit without a group
    co_await reader.leave();
    c.close();
  });
  EXPECT_EQ(values, (std::map<std::int32_t, std::vector<std::string>>{{1, {"p1-1", "p1-2"}}}));
  EXPECT_EQ(brokers.fetched_from[1].front(), 1);  // -2: two before the end of 3
  EXPECT_FALSE(brokers.fetched_from.count(0));
  EXPECT_TRUE(brokers.commits.empty());
  EXPECT_TRUE(brokers.heartbeats.empty());
}

TEST(ConsumerRun, APartitionThatDoesNotExistIsNotFound) {
  asio::io_context io;
  scripted_cluster brokers(io, false);
  cluster c(io.get_executor(), {brokers.bootstrap.address()}, ts::fast_options());
  consumer_options o;
  o.topics = {"orders"};
  o.partitions = {5};
  consumer reader(io.get_executor(), c, o);
  ts::run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await reader.start();
    EXPECT_FALSE(started);
    if (!started) {
      EXPECT_EQ(started.error().kind, error_kind::not_found);
      EXPECT_EQ(started.error().message, "partition 5 of orders does not exist (it has 2)");
    }
    c.close();
  });
}

TEST(ConsumerRun, AGroupMemberGoesOnFromCommitsAndCommitsOnlyWhatWasWritten) {
  asio::io_context io;
  scripted_cluster brokers(io);
  cluster c(io.get_executor(), {brokers.bootstrap.address()}, ts::fast_options());
  consumer_options o;
  o.topics = {"orders"};
  o.group = "g1";
  o.group_protocol = "consumer";
  o.start.start = offset_point{offset_point::kind::beginning, 0};
  o.stop_at_end = true;
  consumer member(io.get_executor(), c, o);
  std::map<std::int32_t, std::vector<std::string>> values;
  ts::run(io, [&]() -> asio::awaitable<void> {
    auto started = co_await member.start();
    EXPECT_TRUE(started) << started.error().message;
    if (!started) co_return;
    EXPECT_TRUE(member.joined());
    // The caller wrote out only partition 0's records (say its output broke before the rest).
    std::vector<std::int32_t> marked(1, 0);
    values = co_await read_all(member, marked);
    auto committed = co_await member.commit();
    EXPECT_TRUE(committed) << committed.error().message;
    co_await member.leave();
    c.close();
  });
  // Partition 0 goes on after the group's commit (1), partition 1 starts at the spec's start.
  EXPECT_EQ(values, (std::map<std::int32_t, std::vector<std::string>>{
                        {0, {"p0-1", "p0-2"}}, {1, {"p1-0", "p1-1", "p1-2"}}}));
  // Only partition 0 was committed, at the offset after its last record written.
  ASSERT_FALSE(brokers.commits.empty());
  for (const auto& commit : brokers.commits) {
    EXPECT_EQ(commit.group_id, "g1");
    ASSERT_EQ(commit.topics.size(), 1u);
    ASSERT_EQ(commit.topics[0].partitions.size(), 1u);
    EXPECT_EQ(commit.topics[0].partitions[0].partition_index, 0);
    EXPECT_EQ(commit.topics[0].partitions[0].committed_offset, log_end);
    EXPECT_EQ(commit.generation_id_or_member_epoch, 1);
  }
  EXPECT_EQ(brokers.commits.size(), 1u);  // committed once: nothing new to commit at the end
  // The member left after committing.
  ASSERT_FALSE(brokers.order.empty());
  EXPECT_EQ(brokers.order.back(), "heartbeat");
  EXPECT_EQ(brokers.heartbeats.back().member_epoch, -1);
}

}  // namespace
}  // namespace kpipe::client
