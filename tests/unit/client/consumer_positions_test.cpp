// Where a consumer starts and stops, from constructed ListOffsets and OffsetFetch answers: the
// spec's forms, a group's committed offsets winning over the spec's start (but not its stop),
// -e capping every stop at the latest offset, the metadata's leader and topic id carried into
// each position, and the refusals (a partition missing from an answer, `stored` without a group).

#include "client/consumer_positions.hpp"

#include <gtest/gtest.h>

namespace kpipe::client {
namespace {

using kind = offset_point::kind;

offset_answer at(std::int64_t offset) {
  offset_answer a;
  a.offset = offset;
  return a;
}

// Partitions 0 and 1 of "orders": 0 holds 10..100, 1 holds 0..5.
topic_offsets two_partitions() {
  topic_offsets o;
  o.earliest[0] = at(10);
  o.latest[0] = at(100);
  o.earliest[1] = at(0);
  o.latest[1] = at(5);
  return o;
}

topic_route route() {
  topic_route r;
  r.leaders[0] = 1;
  r.leaders[1] = 2;
  r.id[0] = 7;
  return r;
}

position_rules rules_for(offset_point start, std::optional<offset_point> stop = std::nullopt) {
  position_rules rules;
  rules.spec.start = start;
  rules.spec.stop = stop;
  return rules;
}

const std::vector<std::int32_t> both{0, 1};
const std::map<std::int32_t, committed_offset> no_commits;

committed_offset commit_at(std::int64_t offset) {
  committed_offset c;
  c.offset = offset;
  return c;
}

TEST(ConsumerPositions, BeginningAndEndPerPartition) {
  auto from_start = start_positions("orders", both, rules_for({kind::beginning, 0}),
                                    two_partitions(), no_commits, route());
  ASSERT_TRUE(from_start) << from_start.error().message;
  ASSERT_EQ(from_start->size(), 2u);
  EXPECT_EQ((*from_start)[0].offset, 10);
  EXPECT_EQ((*from_start)[1].offset, 0);
  EXPECT_FALSE((*from_start)[0].stop);

  auto from_end = start_positions("orders", both, rules_for({kind::end, 0}), two_partitions(),
                                  no_commits, route());
  ASSERT_TRUE(from_end);
  EXPECT_EQ((*from_end)[0].offset, 100);
  EXPECT_EQ((*from_end)[1].offset, 5);
}

TEST(ConsumerPositions, CarriesTopicLeaderAndIdInTheOrderGiven) {
  std::vector<std::int32_t> reversed{1, 0};
  auto got = start_positions("orders", reversed, rules_for({kind::beginning, 0}), two_partitions(),
                             no_commits, route());
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].topic, "orders");
  EXPECT_EQ((*got)[0].partition, 1);
  EXPECT_EQ((*got)[0].leader, 2);
  EXPECT_EQ((*got)[1].partition, 0);
  EXPECT_EQ((*got)[1].leader, 1);
  EXPECT_EQ((*got)[1].topic_id[0], 7);
}

TEST(ConsumerPositions, RelativeOffsetsClampToTheLog) {
  // -20: 80 in partition 0, the beginning of partition 1 (kcat#68).
  auto back = start_positions("orders", both, rules_for({kind::from_end, 20}), two_partitions(),
                              no_commits, route());
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[0].offset, 80);
  EXPECT_EQ((*back)[1].offset, 0);
  // +3: 13 and 3.
  auto forward = start_positions("orders", both, rules_for({kind::from_start, 3}), two_partitions(),
                                 no_commits, route());
  ASSERT_TRUE(forward);
  EXPECT_EQ((*forward)[0].offset, 13);
  EXPECT_EQ((*forward)[1].offset, 3);
}

TEST(ConsumerPositions, TimesUseTheTimeLookupOrTheEnd) {
  auto offsets = two_partitions();
  offsets.start_times[0] = at(42);
  offsets.start_times[1] = at(-1);  // no record at or after the time
  offsets.stop_times[0] = at(60);
  offsets.stop_times[1] = at(-1);
  auto got =
      start_positions("orders", both, rules_for({kind::time, 1000}, offset_point{kind::time, 2000}),
                      offsets, no_commits, route());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].offset, 42);
  EXPECT_EQ((*got)[0].stop, 60);
  EXPECT_EQ((*got)[1].offset, 5);
  EXPECT_EQ((*got)[1].stop, 5);
}

TEST(ConsumerPositions, StopAtEndCapsEveryStopAtLatest) {
  auto rules = rules_for({kind::beginning, 0}, offset_point{kind::absolute, 1000});
  rules.stop_at_end = true;
  auto got = start_positions("orders", both, rules, two_partitions(), no_commits, route());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].stop, 100);
  EXPECT_EQ((*got)[1].stop, 5);

  auto open_ended = rules_for({kind::beginning, 0});
  open_ended.stop_at_end = true;
  got = start_positions("orders", both, open_ended, two_partitions(), no_commits, route());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].stop, 100);
  EXPECT_EQ((*got)[1].stop, 5);
}

TEST(ConsumerPositions, AGroupGoesOnFromItsCommitsAndTheSpecStartsTheRest) {
  auto rules = rules_for({kind::end, 0});
  rules.group = true;
  std::map<std::int32_t, committed_offset> committed;
  committed[0] = commit_at(50);
  committed[1] = commit_at(-1);  // nothing committed: the spec's start
  auto got = start_positions("orders", both, rules, two_partitions(), committed, route());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].offset, 50);
  EXPECT_EQ((*got)[1].offset, 5);
}

TEST(ConsumerPositions, ACommitOutsideTheLogIsClamped) {
  auto rules = rules_for({kind::beginning, 0});
  rules.group = true;
  std::map<std::int32_t, committed_offset> committed;
  committed[0] = commit_at(3);   // below earliest 10: retention moved on
  committed[1] = commit_at(99);  // past latest 5
  auto got = start_positions("orders", both, rules, two_partitions(), committed, route());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].offset, 10);
  EXPECT_EQ((*got)[1].offset, 5);
}

TEST(ConsumerPositions, AGroupKeepsTheSpecsStopOverItsCommits) {
  auto rules = rules_for({kind::beginning, 0}, offset_point{kind::from_end, 10});
  rules.group = true;
  std::map<std::int32_t, committed_offset> committed;
  committed[0] = commit_at(50);
  auto got = start_positions("orders", both, rules, two_partitions(), committed, route());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].offset, 50);
  EXPECT_EQ((*got)[0].stop, 90);
  EXPECT_EQ((*got)[1].offset, 0);
  EXPECT_EQ((*got)[1].stop, 0);  // -10 before an end of 5: the beginning
}

TEST(ConsumerPositions, StoredReadsTheCommitInAGroupAndIsRefusedWithout) {
  auto rules = rules_for({kind::stored, 0});
  rules.group = true;
  std::map<std::int32_t, committed_offset> committed;
  committed[0] = commit_at(20);
  auto got = start_positions("orders", both, rules, two_partitions(), committed, route());
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].offset, 20);
  EXPECT_EQ((*got)[1].offset, 5);  // no commit: the end, as auto.offset.reset=latest

  auto alone = start_positions("orders", both, rules_for({kind::stored, 0}), two_partitions(),
                               no_commits, route());
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.error().kind, error_kind::usage);
  EXPECT_EQ(alone.error().message, "-o stored needs a group (-G)");
}

TEST(ConsumerPositions, APartitionMissingFromAnAnswerIsAProtocolError) {
  auto offsets = two_partitions();
  offsets.latest.erase(1);
  auto got = start_positions("orders", both, rules_for({kind::beginning, 0}), offsets, no_commits,
                             route());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, error_kind::protocol);
  EXPECT_EQ(got.error().message, "ListOffsets for orders did not answer for partition 1");
}

}  // namespace
}  // namespace kpipe::client
