// Index files: reading the three formats (with the zero-filled tail of a preallocated index),
// and checking them against a segment's batches: indexes that agree and that do not.
#include "record/segment_index.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kpipe::record {
namespace {

using bytes = std::vector<std::uint8_t>;

void put_be(bytes& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

TEST(SegmentIndex, KindBySuffix) {
  EXPECT_EQ(index_kind_from_name("a/00000000000000000000.index"), index_kind::offset);
  EXPECT_EQ(index_kind_from_name("00000000000000000000.timeindex"), index_kind::time);
  EXPECT_EQ(index_kind_from_name("00000000000000000000.txnindex"), index_kind::transaction);
  EXPECT_EQ(index_kind_from_name("00000000000000000000.log"), std::nullopt);
}

TEST(SegmentIndex, ReadsOffsetIndexAndStopsAtTheZeroTail) {
  bytes data;
  put_be(data, 0, 4), put_be(data, 0, 4);
  put_be(data, 5, 4), put_be(data, 4200, 4);
  data.resize(data.size() + 8 * 3, 0);
  data.push_back(1);  // a stray byte
  auto r = read_offset_index(data, 100);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[1].offset, 105);
  EXPECT_EQ(r.entries[1].position, 4200);
  EXPECT_EQ(r.unused_entries, 3u);
  EXPECT_EQ(r.trailing_bytes, 1u);
}

TEST(SegmentIndex, ReadsTimeIndexAllZerosAsEmpty) {
  bytes zeros(12 * 4, 0);
  EXPECT_TRUE(read_time_index(zeros, 0).entries.empty());
  bytes data;
  put_be(data, 1700, 8), put_be(data, 3, 4);
  auto r = read_time_index(data, 10);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].timestamp, 1700);
  EXPECT_EQ(r.entries[0].offset, 13);
}

TEST(SegmentIndex, ReadsTransactionIndex) {
  bytes data;
  put_be(data, 0, 2), put_be(data, 42, 8), put_be(data, 10, 8), put_be(data, 20, 8),
      put_be(data, 10, 8);
  auto r = read_transaction_index(data);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].producer_id, 42);
  EXPECT_EQ(r.entries[0].first_offset, 10);
  EXPECT_EQ(r.entries[0].last_offset, 20);
  EXPECT_EQ(r.entries[0].last_stable_offset, 10);
}

// Batches at 0, 100, 200, 300 holding offsets 0-4, 5-9, 10-14, 15-19, max timestamps 10..40.
std::vector<batch_bounds> batches() {
  return {{0, 0, 4, 10}, {100, 5, 9, 20}, {200, 10, 14, 30}, {300, 15, 19, 40}};
}

std::vector<std::string> verify(std::vector<offset_index_entry> offsets,
                                std::vector<time_index_entry> times,
                                std::optional<std::vector<transaction_index_entry>> txns = {},
                                std::vector<aborted_transaction> aborted = {}) {
  index_verifier v;
  v.set_offset_index(std::move(offsets));
  v.set_time_index(std::move(times));
  if (txns) v.set_transaction_index(*txns);
  for (const auto& b : batches()) v.observe(b);
  v.finish(aborted);
  return v.problems();
}

TEST(SegmentIndex, AgreeingIndexesHaveNoProblems) {
  EXPECT_TRUE(verify({{9, 9, 100}, {14, 14, 200}}, {{20, 9, 9}, {40, 19, 19}}).empty());
  // One append of two batches: the entry names the second batch's last offset.
  EXPECT_TRUE(verify({{14, 14, 100}}, {}).empty());
  EXPECT_TRUE(
      verify({}, {}, std::vector<transaction_index_entry>{{0, 7, 5, 9, 5}}, {{7, 5, 9}}).empty());
}

TEST(SegmentIndex, DisagreeingIndexesAreNamed) {
  auto p = verify({{9, 9, 150}}, {});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find(".index entry 0"), std::string::npos);
  EXPECT_NE(p[0].find("not where a batch starts"), std::string::npos);
  EXPECT_EQ(verify({{3, 3, 100}}, {}).size(), 1u);                 // before the batch's base offset
  EXPECT_EQ(verify({{50, 50, 300}}, {}).size(), 1u);               // in no batch
  EXPECT_EQ(verify({{9, 9, 400}}, {}).size(), 1u);                 // past the end
  EXPECT_EQ(verify({}, {{25, 9, 9}}).size(), 1u);                  // not the batch's max timestamp
  EXPECT_FALSE(verify({}, {{30, 12, 12}, {20, 14, 14}}).empty());  // decreasing
  EXPECT_EQ(verify({}, {}, std::vector<transaction_index_entry>{{0, 7, 5, 9, 5}}, {}).size(), 1u);
  EXPECT_EQ(verify({}, {}, std::vector<transaction_index_entry>{}, {{7, 5, 9}}).size(), 1u);
  EXPECT_EQ(
      verify({}, {}, std::vector<transaction_index_entry>{{0, 7, 4, 9, 5}}, {{7, 5, 9}}).size(),
      1u);
}

}  // namespace
}  // namespace kpipe::record
