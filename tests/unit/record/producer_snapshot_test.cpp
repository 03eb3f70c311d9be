// Producer state snapshots: a file the broker wrote (Kafka 4.1), a CRC that does not match,
// and the ways the bytes can fail to be a snapshot.
#include "record/producer_snapshot.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace kpipe::record {
namespace {

using bytes = std::vector<std::uint8_t>;

// 00000000000000003450.snapshot of a topic kpipe produced 4000 records to (idempotent, producer
// id 8, batches of 50), as Kafka 4.1.1 wrote it; DumpLogSegments printed: producerId: 8
// producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong.empty lastTimestamp:
// 1796472789651 firstSequence: 3400 lastSequence: 3449 lastOffset: 3449 offsetDelta: 49.
const bytes kafka_snapshot = {
    0x00, 0x01, 0x38, 0xac, 0x52, 0x76, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x79, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0d, 0x79, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x01, 0xa2, 0x46, 0x1f,
    0x5a, 0x93, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

TEST(ProducerSnapshot, NameBySuffix) {
  EXPECT_TRUE(is_producer_snapshot_name("d/00000000000000003450.snapshot"));
  EXPECT_FALSE(is_producer_snapshot_name("d/00000000000000003450.log"));
}

TEST(ProducerSnapshot, ReadsWhatKafkaWrote) {
  auto s = read_producer_snapshot(kafka_snapshot);
  ASSERT_FALSE(s.error) << *s.error;
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.crc, 0x38ac5276u);
  EXPECT_TRUE(s.crc_ok());
  ASSERT_EQ(s.entries.size(), 1u);
  const auto& e = s.entries[0];
  EXPECT_EQ(e.producer_id, 8);
  EXPECT_EQ(e.epoch, 0);
  EXPECT_EQ(e.last_sequence, 3449);
  EXPECT_EQ(e.first_sequence(), 3400);
  EXPECT_EQ(e.last_offset, 3449);
  EXPECT_EQ(e.offset_delta, 49);
  EXPECT_EQ(e.timestamp, 1796472789651);
  EXPECT_EQ(e.coordinator_epoch, -1);
  EXPECT_EQ(e.current_txn_first_offset, -1);
}

TEST(ProducerSnapshot, ACorruptByteFailsTheCrcButStillReads) {
  bytes data = kafka_snapshot;
  data[20] ^= 0x01;
  auto s = read_producer_snapshot(data);
  ASSERT_FALSE(s.error);
  EXPECT_FALSE(s.crc_ok());
  EXPECT_EQ(s.crc, 0x38ac5276u);
  ASSERT_EQ(s.entries.size(), 1u);
}

TEST(ProducerSnapshot, BytesThatAreNotASnapshot) {
  EXPECT_TRUE(read_producer_snapshot(bytes{0x00, 0x01}).error);
  bytes v2 = kafka_snapshot;
  v2[1] = 2;
  auto s = read_producer_snapshot(v2);
  ASSERT_TRUE(s.error);
  EXPECT_NE(s.error->find("version 2"), std::string::npos);
  // A count that the file cannot hold is refused before anything is allocated.
  bytes huge = kafka_snapshot;
  huge[6] = 0x7f;
  s = read_producer_snapshot(huge);
  ASSERT_TRUE(s.error);
  EXPECT_TRUE(s.entries.empty());
  // A cut entry, and bytes left after the last one.
  bytes cut(kafka_snapshot.begin(), kafka_snapshot.end() - 1);
  EXPECT_TRUE(read_producer_snapshot(cut).error);
  bytes extra = kafka_snapshot;
  extra.push_back(0);
  s = read_producer_snapshot(extra);
  ASSERT_TRUE(s.error);
  EXPECT_EQ(s.error_offset, kafka_snapshot.size());
}

}  // namespace
}  // namespace kpipe::record
