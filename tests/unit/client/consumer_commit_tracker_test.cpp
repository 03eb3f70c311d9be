// The consumer's commit-after-write bookkeeping across assignment changes: only what was marked
// written is committed, once; partitions revoked are forgotten, kept ones go on after what was
// written (over a lower committed offset), new ones count as committed at their start, and a
// partition given back later goes on after what was written of it, unless another member went
// further.

#include "client/commit_tracker.hpp"

#include <gtest/gtest.h>

namespace kpipe::client {
namespace {

fetch_position position(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  fetch_position p;
  p.topic = topic;
  p.partition = partition;
  p.offset = offset;
  return p;
}

offsets_by_topic offsets(const std::string& topic, std::int32_t partition, std::int64_t next) {
  offsets_by_topic o;
  o[topic][partition] = next;
  return o;
}

TEST(ConsumerCommitTracker, CommitsOnlyWhatWasWritten) {
  commit_tracker t;
  std::vector<fetch_position> start{position("a", 0, 0), position("a", 1, 7)};
  t.reassign(start);
  EXPECT_TRUE(t.uncommitted().empty());  // nothing written: nothing to commit

  t.mark_written("a", 0, 5);
  EXPECT_EQ(t.uncommitted(), offsets("a", 0, 5));
  t.mark_committed(t.uncommitted());
  EXPECT_TRUE(t.uncommitted().empty());  // committed once

  t.mark_written("a", 0, 9);
  t.mark_written("a", 1, 8);
  offsets_by_topic both;
  both["a"][0] = 9;
  both["a"][1] = 8;
  EXPECT_EQ(t.uncommitted(), both);
}

TEST(ConsumerCommitTracker, WritingUpToTheStartIsNothingToCommit) {
  // A partition counts as committed at its start position.
  commit_tracker t;
  std::vector<fetch_position> start{position("a", 0, 12)};
  t.reassign(start);
  t.mark_written("a", 0, 12);
  EXPECT_TRUE(t.uncommitted().empty());
}

TEST(ConsumerCommitTracker, AFailedCommitStaysPending) {
  commit_tracker t;
  t.mark_written("a", 0, 5);
  // The commit failed: mark_committed is not called; the next commit carries it again.
  t.mark_written("b", 2, 3);
  auto again = t.uncommitted();
  EXPECT_EQ(again["a"][0], 5);
  EXPECT_EQ(again["b"][2], 3);
}

TEST(ConsumerCommitTracker, RevokedPartitionsAreForgotten) {
  commit_tracker t;
  std::vector<fetch_position> start{position("a", 0, 0), position("a", 1, 0)};
  t.reassign(start);
  t.mark_written("a", 0, 4);
  t.mark_written("a", 1, 6);
  t.mark_committed(t.uncommitted());
  t.mark_written("a", 1, 9);  // written after the last commit, then revoked

  std::vector<fetch_position> only_zero{position("a", 0, 4)};
  t.reassign(only_zero);
  EXPECT_FALSE(t.written("a", 1));
  EXPECT_TRUE(t.uncommitted().empty());  // never commits a partition it no longer owns
  EXPECT_EQ(t.written("a", 0), 4);
}

TEST(ConsumerCommitTracker, KeptPartitionsGoOnAfterWhatWasWritten) {
  commit_tracker t;
  t.mark_written("a", 0, 40);
  t.mark_written("a", 1, 3);
  std::map<std::int32_t, committed_offset> read;
  read[0].offset = 25;  // a commit was refused during the rebalance
  read[1].offset = 10;  // another member committed further (not ours to lower)
  std::vector<std::int32_t> partitions{0, 1, 2};
  t.raise_to_written("a", partitions, read);
  EXPECT_EQ(read[0].offset, 40);
  EXPECT_EQ(read[1].offset, 10);
  EXPECT_FALSE(read.count(2));  // nothing written, nothing read: left alone
}

TEST(ConsumerCommitTracker, TakesOverOnlyPartitionsItWroteNothingOf) {
  commit_tracker t;
  t.mark_written("a", 0, 1);
  group::topic_partitions same;
  same["a"] = {0};
  EXPECT_FALSE(t.takes_over(same));
  group::topic_partitions more;
  more["a"] = {0, 1};
  EXPECT_TRUE(t.takes_over(more));
  group::topic_partitions other_topic;
  other_topic["b"] = {0};
  EXPECT_TRUE(t.takes_over(other_topic));
  EXPECT_FALSE(t.takes_over(group::topic_partitions{}));
}

TEST(ConsumerCommitTracker, APartitionGivenBackStartsAfresh) {
  commit_tracker t;
  std::vector<fetch_position> first{position("a", 0, 0), position("a", 1, 0)};
  t.reassign(first);
  t.mark_written("a", 1, 5);
  t.mark_committed(t.uncommitted());
  std::vector<fetch_position> revoked{position("a", 0, 0)};
  t.reassign(revoked);
  // Back again, at the offset another member committed meanwhile.
  std::vector<fetch_position> back{position("a", 0, 0), position("a", 1, 30)};
  t.reassign(back);
  EXPECT_FALSE(t.written("a", 1));
  EXPECT_TRUE(t.takes_over(group::topic_partitions{{"a", {1}}}));
  t.mark_written("a", 1, 30);
  EXPECT_TRUE(t.uncommitted().empty());
  t.mark_written("a", 1, 31);
  EXPECT_EQ(t.uncommitted(), offsets("a", 1, 31));
}

// librdkafka's mock refuses commits through a whole rebalance, so with members joining one after
// another a partition's output may never be committed before the group takes it away, and then
// gives it back: it goes on after that output, and commits it.
TEST(ConsumerCommitTracker, APartitionGivenBackUncommittedGoesOnAfterItsOutput) {
  commit_tracker t;
  t.reassign({position("a", 0, 0), position("a", 1, 0)});
  t.mark_written("a", 1, 9);  // every commit of it refused
  t.reassign({position("a", 0, 0)});
  EXPECT_TRUE(t.uncommitted().empty());  // not ours to commit while another member owns it

  group::topic_partitions back{{"a", {0, 1}}};
  EXPECT_TRUE(t.takes_over(back));                // someone else may have printed it meanwhile
  std::map<std::int32_t, committed_offset> read;  // nothing committed
  t.raise_to_written("a", {0, 1}, read);
  EXPECT_EQ(read[1].offset, 9);
  t.reassign({position("a", 0, 0), position("a", 1, 9)});
  EXPECT_EQ(t.written("a", 1), 9);
  EXPECT_EQ(t.uncommitted(), offsets("a", 1, 9));  // owed since the first refusal
}

TEST(ConsumerCommitTracker, APartitionGivenBackCommittedOwesNothing) {
  commit_tracker t;
  t.reassign({position("a", 1, 0)});
  t.mark_written("a", 1, 9);
  t.mark_committed(t.uncommitted());
  t.reassign({});
  t.reassign({position("a", 1, 9)});
  EXPECT_EQ(t.written("a", 1), 9);
  EXPECT_TRUE(t.uncommitted().empty());
  t.mark_written("a", 1, 12);
  EXPECT_EQ(t.uncommitted(), offsets("a", 1, 12));
}

TEST(ConsumerCommitTracker, APartitionGivenBackFurtherAlongIsAnotherMembersOutput) {
  commit_tracker t;
  t.reassign({position("a", 1, 0)});
  t.mark_written("a", 1, 9);
  t.reassign({});
  std::map<std::int32_t, committed_offset> read;
  read[1].offset = 20;  // the member that had it meanwhile committed further
  t.raise_to_written("a", {1}, read);
  EXPECT_EQ(read[1].offset, 20);
  t.reassign({position("a", 1, 20)});
  EXPECT_FALSE(t.written("a", 1));
  EXPECT_TRUE(t.uncommitted().empty());
  t.reassign({});  // and what it wrote before is gone for good
  read.clear();
  t.raise_to_written("a", {1}, read);
  EXPECT_FALSE(read.count(1));
}

TEST(ConsumerCommitTracker, ClearForgetsEverything) {
  commit_tracker t;
  t.mark_written("a", 0, 1);
  t.clear();
  EXPECT_TRUE(t.uncommitted().empty());
  EXPECT_FALSE(t.written("a", 0));
}

}  // namespace
}  // namespace kpipe::client
