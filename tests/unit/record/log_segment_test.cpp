// The log segment reader: entries found one after the other, a truncated last batch reported at
// every byte it could be cut at, corrupt CRCs and impossible lengths, resynchronisation after
// damage, file names, and aborted transactions followed through control batches.
#include "record/log_segment.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "record/batch_writer.hpp"
#include "record/record_batch.hpp"

namespace kpipe::record {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes make_batch(std::int64_t base, int records, codec c = codec::none, std::int64_t pid = -1,
                 bool transactional = false) {
  batch_writer w;
  w.set_base_offset(base);
  w.set_compression(c);
  if (pid >= 0) w.set_producer(pid, 0, 0);
  w.set_transactional(transactional);
  std::string value = "value-" + std::to_string(base);
  for (int i = 0; i < records; ++i) {
    record_input r;
    r.value = bytes_view(reinterpret_cast<const std::uint8_t*>(value.data()), value.size());
    r.timestamp = 1000 + base + i;
    w.add(r);
  }
  return w.build().value();
}

bytes make_marker(std::int64_t base, std::int64_t pid, control_type type) {
  batch_writer w;
  w.set_base_offset(base);
  w.set_producer(pid, 0, -1);
  w.set_transactional(true);
  w.add_control(type, 7, 5000);
  return w.build().value();
}

bytes segment_of(const std::vector<bytes>& batches, std::vector<std::size_t>* positions = nullptr) {
  bytes out;
  for (const auto& b : batches) {
    if (positions) positions->push_back(out.size());
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

TEST(LogSegment, WalksEveryEntryInOrder) {
  std::vector<std::size_t> positions;
  auto seg =
      segment_of({make_batch(0, 3), make_batch(3, 2, codec::gzip), make_batch(5, 1)}, &positions);
  std::size_t pos = 0;
  std::vector<std::size_t> seen;
  while (pos < seg.size()) {
    auto e = probe_segment_entry(seg, pos);
    ASSERT_EQ(e.status, segment_entry_status::complete);
    EXPECT_EQ(e.magic, 2);
    seen.push_back(pos);
    auto b = read_batch(std::span(seg).subspan(pos, e.size), {}, pos);
    ASSERT_TRUE(b) << b.error().message;
    pos += e.size;
  }
  EXPECT_EQ(seen, positions);
}

TEST(LogSegment, TruncatedLastBatchAtEveryByteIsReportedNotCorrupt) {
  std::vector<std::size_t> positions;
  auto seg = segment_of({make_batch(0, 3), make_batch(3, 4)}, &positions);
  std::size_t last = positions.back();
  for (std::size_t cut = last + 1; cut < seg.size(); ++cut) {
    bytes shorter(seg.begin(), seg.begin() + static_cast<std::ptrdiff_t>(cut));
    auto first = probe_segment_entry(shorter, 0);
    ASSERT_EQ(first.status, segment_entry_status::complete) << cut;
    auto e = probe_segment_entry(shorter, last);
    EXPECT_EQ(e.status, segment_entry_status::truncated) << "cut at " << cut;
    EXPECT_EQ(e.position, last);
    EXPECT_EQ(e.size, cut - last);
  }
}

TEST(LogSegment, ImpossibleLengthIsCorrupt) {
  auto seg = make_batch(0, 2);
  // Length 3: shorter than any entry.
  seg[8] = seg[9] = seg[10] = 0;
  seg[11] = 3;
  auto e = probe_segment_entry(seg, 0);
  EXPECT_EQ(e.status, segment_entry_status::corrupt);
  EXPECT_FALSE(e.message.empty());
}

TEST(LogSegment, UnknownMagicIsCorrupt) {
  auto seg = make_batch(0, 2);
  seg[16] = 9;
  auto e = probe_segment_entry(seg, 0);
  EXPECT_EQ(e.status, segment_entry_status::corrupt);
  EXPECT_NE(e.message.find("magic"), std::string::npos);
}

TEST(LogSegment, CorruptCrcIsSeenAndTheNextValidBatchFound) {
  std::vector<std::size_t> positions;
  auto seg = segment_of({make_batch(0, 3), make_batch(3, 2), make_batch(5, 2)}, &positions);
  seg[positions[1] + 70] ^= 0xff;  // inside the second batch's records
  read_options show;
  show.fail_on_crc_mismatch = false;
  auto e = probe_segment_entry(seg, positions[1]);
  ASSERT_EQ(e.status, segment_entry_status::complete);
  auto b = read_batch(std::span(seg).subspan(positions[1], e.size), show, positions[1]);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->crc_ok());
  EXPECT_EQ(find_next_valid_batch(seg, positions[1]), positions[2]);
  EXPECT_EQ(find_next_valid_batch(seg, 0), positions[2]);
  EXPECT_EQ(find_next_valid_batch(seg, positions[2]), std::nullopt);
}

TEST(LogSegment, ResyncSkipsGarbage) {
  auto good = make_batch(10, 2);
  bytes seg(37, 0xab);
  seg.insert(seg.end(), good.begin(), good.end());
  EXPECT_EQ(find_next_valid_batch(seg, 0), 37u);
}

TEST(LogSegment, BaseOffsetFromName) {
  EXPECT_EQ(segment_base_offset_from_name("/d/t-0/00000000000000001234.log"), 1234);
  EXPECT_EQ(segment_base_offset_from_name("00000000000000000000.timeindex"), 0);
  EXPECT_EQ(segment_base_offset_from_name("/d/t-0/foo.log"), std::nullopt);
  EXPECT_EQ(segment_base_offset_from_name("0000000000000000123x.log"), std::nullopt);
}

TEST(LogSegment, TracksAbortedTransactions) {
  read_options headers;
  headers.decode_records = false;
  std::vector<bytes> batches = {
      make_batch(0, 2, codec::none, 7, true), make_batch(2, 2, codec::none, 8, true),
      make_marker(4, 7, control_type::abort), make_marker(5, 8, control_type::commit),
      make_marker(6, 9, control_type::abort)};
  for (bool decode : {true, false}) {
    transaction_tracker tracker;
    read_options o;
    o.decode_records = decode;
    for (const auto& b : batches) tracker.observe(read_batch(b, o).value());
    ASSERT_EQ(tracker.aborted().size(), 2u) << decode;
    EXPECT_EQ(tracker.aborted()[0].producer_id, 7);
    EXPECT_EQ(tracker.aborted()[0].first_offset, 0);
    EXPECT_EQ(tracker.aborted()[0].last_offset, 4);
    EXPECT_EQ(tracker.aborted()[1].producer_id, 9);
    EXPECT_EQ(tracker.aborted()[1].first_offset, std::nullopt);  // began in an earlier segment
  }
  EXPECT_EQ(control_batch_type(read_batch(batches[3], headers).value()), control_type::commit);
  EXPECT_EQ(control_batch_type(read_batch(batches[0], headers).value()), std::nullopt);
}

}  // namespace
}  // namespace kpipe::record
