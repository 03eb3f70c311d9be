// Lag in records and in time, totals, wait's unread records, and reset plans: every target,
// clamping to the log, partitions without a commit.

#include "client/group_lag.hpp"

#include <gtest/gtest.h>

namespace kpipe::client {
namespace {

partition_position at(std::optional<std::int64_t> committed, std::int64_t start, std::int64_t end,
                      std::optional<std::int64_t> timestamp = std::nullopt) {
  partition_position p;
  p.topic = "orders";
  p.partition = 1;
  p.committed = committed;
  p.log_start = start;
  p.log_end = end;
  p.next_record_timestamp = timestamp;
  return p;
}

TEST(GroupLag, LagInRecordsAndTime) {
  auto behind = compute_lag(at(40, 0, 100, 1'000'000), 1'004'500);
  EXPECT_EQ(behind.lag, 60);
  EXPECT_EQ(behind.time_lag_ms, 4500);

  auto caught_up = compute_lag(at(100, 0, 100), 5);
  EXPECT_EQ(caught_up.lag, 0);
  EXPECT_EQ(caught_up.time_lag_ms, 0);

  // A record stamped in the future (clocks differ): no negative age.
  EXPECT_EQ(compute_lag(at(40, 0, 100, 2000), 1000).time_lag_ms, 0);
  // Behind, but the timestamp could not be read.
  auto unknown = compute_lag(at(40, 0, 100), 1000);
  EXPECT_EQ(unknown.lag, 60);
  EXPECT_EQ(unknown.time_lag_ms, std::nullopt);
  // A log truncated below the commit.
  EXPECT_EQ(compute_lag(at(120, 0, 100), 0).lag, 0);
  // No commit: no lag at all.
  auto none = compute_lag(at(std::nullopt, 0, 100, 5), 10);
  EXPECT_EQ(none.lag, std::nullopt);
  EXPECT_EQ(none.time_lag_ms, std::nullopt);
}

TEST(GroupLag, TotalsSumRecordsAndKeepTheLargestAge) {
  lag_total total;
  add_to_total(total, compute_lag(at(40, 0, 100, 1000), 3000));
  add_to_total(total, compute_lag(at(90, 0, 100, 2500), 3000));
  add_to_total(total, compute_lag(at(std::nullopt, 0, 100), 3000));
  EXPECT_EQ(total.lag, 70);
  EXPECT_EQ(total.time_lag_ms, 2000);
  EXPECT_EQ(total.partitions, 3);
  EXPECT_EQ(total.without_commit, 1);
  lag_total empty;
  EXPECT_EQ(empty.time_lag_ms, std::nullopt);
}

TEST(GroupLag, UnreadRecordsCountFromTheLogStartWithoutACommit) {
  EXPECT_EQ(unread_records(at(40, 10, 100)), 60);
  EXPECT_EQ(unread_records(at(std::nullopt, 10, 100)), 90);
  EXPECT_EQ(unread_records(at(200, 10, 100)), 0);
}

std::vector<reset_step> planned(const std::vector<partition_reset_input>& inputs,
                                reset_target target) {
  auto plan = plan_reset(inputs, target);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  return plan.ok() ? plan.value() : std::vector<reset_step>{};
}

partition_reset_input input(std::optional<std::int64_t> committed, std::int64_t start,
                            std::int64_t end) {
  partition_reset_input in;
  in.position = at(committed, start, end);
  return in;
}

TEST(GroupLag, ResetTargets) {
  using kind = reset_target::kind;
  std::vector<partition_reset_input> inputs = {input(50, 10, 100), input(std::nullopt, 0, 30)};
  auto targets = [&](reset_target t) {
    std::vector<std::int64_t> out;
    for (const auto& step : planned(inputs, t)) out.push_back(step.target);
    return out;
  };
  EXPECT_EQ(targets({kind::earliest, 0}), (std::vector<std::int64_t>{10, 0}));
  EXPECT_EQ(targets({kind::latest, 0}), (std::vector<std::int64_t>{100, 30}));
  // Without a commit, current is where a new consumer starts: the log end.
  EXPECT_EQ(targets({kind::current, 0}), (std::vector<std::int64_t>{50, 30}));
  EXPECT_EQ(targets({kind::offset, 20}), (std::vector<std::int64_t>{20, 20}));
  EXPECT_EQ(targets({kind::shift, -5}), (std::vector<std::int64_t>{45, 25}));
  EXPECT_EQ(targets({kind::shift, 7}), (std::vector<std::int64_t>{57, 30}));

  auto plan = planned(inputs, {kind::earliest, 0});
  EXPECT_EQ(plan[0].topic, "orders");
  EXPECT_EQ(plan[0].current, 50);
  EXPECT_EQ(plan[1].current, std::nullopt);
}

TEST(GroupLag, ResetClampsToTheLogWithANote) {
  using kind = reset_target::kind;
  std::vector<partition_reset_input> inputs = {input(50, 10, 100)};
  auto low = planned(inputs, {kind::offset, 3});
  EXPECT_EQ(low[0].target, 10);
  ASSERT_TRUE(low[0].clamped);
  EXPECT_EQ(*low[0].clamped, "orders/1: offset 3 is before the log start 10; using 10");
  auto high = planned(inputs, {kind::shift, 1000});
  EXPECT_EQ(high[0].target, 100);
  ASSERT_TRUE(high[0].clamped);
  EXPECT_EQ(*high[0].clamped, "orders/1: offset 1050 is past the log end 100; using 100");
  EXPECT_FALSE(planned(inputs, {kind::offset, 100})[0].clamped);
  EXPECT_FALSE(planned(inputs, {kind::offset, 10})[0].clamped);
}

TEST(GroupLag, ResetToATimeAndToGivenOffsets) {
  using kind = reset_target::kind;
  auto a = input(50, 10, 100);
  a.time_offset = 70;
  auto b = input(5, 0, 30);
  b.time_offset = -1;  // no record that recent: nothing left to read
  auto plan = planned({a, b}, {kind::time, 1'700'000'000'000});
  EXPECT_EQ(plan[0].target, 70);
  EXPECT_EQ(plan[1].target, 30);
  EXPECT_FALSE(plan_reset({input(1, 0, 3)}, {kind::time, 5}).ok());

  a.given_offset = 12;
  b.given_offset = 99;
  plan = planned({a, b}, {kind::given, 0});
  EXPECT_EQ(plan[0].target, 12);
  EXPECT_EQ(plan[1].target, 30);
  EXPECT_TRUE(plan[1].clamped);
  EXPECT_EQ(plan_reset({input(1, 0, 3)}, {kind::given, 0}).error().kind, error_kind::usage);
}

}  // namespace
}  // namespace kpipe::client
