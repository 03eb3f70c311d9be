// What the fetcher hands on from constructed Fetch answers: aborted transactions filtered under
// read_committed (the reference cluster reports none, so this is where it is tested), markers
// skipped or shown, positions moved past everything, start and stop honoured.

#include "client/fetch_filter.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "record/batch_writer.hpp"

namespace kpipe::client {
namespace {

using record::batch_writer;
using record::bytes_view;

bytes_view view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void append(std::vector<std::uint8_t>& out, batch_writer& w) {
  auto bytes = w.build();
  ASSERT_TRUE(bytes) << bytes.error().message;
  out.insert(out.end(), bytes->begin(), bytes->end());
}

// Offsets 0-2: producer 7's transaction (committed at 3); 4-5: producer 8's (aborted at 6);
// 7-8: a plain batch.
std::vector<std::uint8_t> answer_bytes() {
  static const std::vector<std::string> values = {"a", "b", "c", "x", "y", "p", "q"};
  std::vector<std::uint8_t> out;
  {
    batch_writer w;
    w.set_base_offset(0);
    w.set_producer(7, 0, 0);
    w.set_transactional(true);
    for (int i = 0; i < 3; ++i) w.add({std::nullopt, view(values[i]), {}, 1000 + i, std::nullopt});
    append(out, w);
  }
  {
    batch_writer w;
    w.set_base_offset(3);
    w.set_producer(7, 0, -1);
    w.set_transactional(true);
    w.add_control(record::control_type::commit, 5, 1003);
    append(out, w);
  }
  {
    batch_writer w;
    w.set_base_offset(4);
    w.set_producer(8, 0, 0);
    w.set_transactional(true);
    for (int i = 3; i < 5; ++i) w.add({std::nullopt, view(values[i]), {}, 1000 + i, std::nullopt});
    append(out, w);
  }
  {
    batch_writer w;
    w.set_base_offset(6);
    w.set_producer(8, 0, -1);
    w.set_transactional(true);
    w.add_control(record::control_type::abort, 5, 1006);
    append(out, w);
  }
  {
    batch_writer w;
    w.set_base_offset(7);
    for (int i = 5; i < 7; ++i) w.add({std::nullopt, view(values[i]), {}, 1000 + i, std::nullopt});
    append(out, w);
  }
  return out;
}

struct decoded {
  std::vector<std::uint8_t> bytes;
  std::vector<record::record_batch> batches;
};

decoded read_answer() {
  decoded d;
  d.bytes = answer_bytes();
  auto read = record::read_batches(d.bytes);
  EXPECT_FALSE(read.error);
  d.batches = std::move(read.batches);
  return d;
}

std::vector<std::int64_t> offsets_of(const filtered_batches& f) {
  std::vector<std::int64_t> out;
  for (const auto& b : f.batches) {
    for (const auto& r : b.records) out.push_back(r.offset);
  }
  return out;
}

TEST(FetchFilter, ReadCommittedDropsAbortedTransactionsAndMarkers) {
  auto d = read_answer();
  auto f = filter_batches(std::move(d.batches), 0, std::nullopt, {{8, 4}}, {true, false});
  EXPECT_EQ(offsets_of(f), (std::vector<std::int64_t>{0, 1, 2, 7, 8}));
  EXPECT_EQ(f.next_offset, 9);
}

TEST(FetchFilter, ReadUncommittedKeepsAbortedRecords) {
  auto d = read_answer();
  auto f = filter_batches(std::move(d.batches), 0, std::nullopt, {{8, 4}}, {false, false});
  EXPECT_EQ(offsets_of(f), (std::vector<std::int64_t>{0, 1, 2, 4, 5, 7, 8}));
  EXPECT_EQ(f.next_offset, 9);
}

TEST(FetchFilter, ControlRecordsAreShownWhenAsked) {
  auto d = read_answer();
  auto f = filter_batches(std::move(d.batches), 0, std::nullopt, {{8, 4}}, {true, true});
  EXPECT_EQ(offsets_of(f), (std::vector<std::int64_t>{0, 1, 2, 3, 6, 7, 8}));
  ASSERT_TRUE(f.batches[1].control());
  ASSERT_TRUE(f.batches[1].records[0].control);
  EXPECT_EQ(f.batches[1].records[0].control->type, record::control_type::commit);
}

TEST(FetchFilter, AnAbortedListWithoutItsMarkerDropsTheRestOfThatProducer) {
  auto d = read_answer();
  // Producer 7's first offset listed as aborted: its batch goes; the commit marker (a control
  // batch) does not end an abort, only an ABORT marker does.
  auto f = filter_batches(std::move(d.batches), 0, std::nullopt, {{7, 0}, {8, 4}}, {true, false});
  EXPECT_EQ(offsets_of(f), (std::vector<std::int64_t>{7, 8}));
}

TEST(FetchFilter, PositionAndStopTrimRecordsAndMarkersAdvanceThePosition) {
  auto d = read_answer();
  auto f = filter_batches(std::move(d.batches), 1, 8, {{8, 4}}, {true, false});
  EXPECT_EQ(offsets_of(f), (std::vector<std::int64_t>{1, 2, 7}));
  EXPECT_EQ(f.next_offset, 9);

  // A position inside the trailing markers: nothing to hand on, but the position moves past
  // them, so that -e with the log ending in markers terminates.
  auto e = read_answer();
  std::vector<record::record_batch> markers;
  for (auto& b : e.batches) {
    if (b.control()) markers.push_back(std::move(b));
  }
  auto g = filter_batches(std::move(markers), 6, 7, {}, {true, false});
  EXPECT_TRUE(g.batches.empty());
  EXPECT_EQ(g.next_offset, 7);
}

TEST(FetchFilter, BatchesBeforeThePositionAreSkipped) {
  auto d = read_answer();
  auto f = filter_batches(std::move(d.batches), 7, std::nullopt, {{8, 4}}, {true, false});
  EXPECT_EQ(offsets_of(f), (std::vector<std::int64_t>{7, 8}));
  EXPECT_EQ(f.next_offset, 9);
}

}  // namespace
}  // namespace kpipe::client
