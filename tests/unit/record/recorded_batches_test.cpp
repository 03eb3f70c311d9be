// Interop: record batches that other clients wrote decode to what they were given, and what
// kpipe's writer makes of the same records is byte-identical to theirs. librdkafka (via kcat,
// fetched back from its mock cluster) and kafka-python; see tests/support/data/record/README.md.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "record/batch_writer.hpp"
#include "record/record_batch.hpp"
#include "record/record_test_support.hpp"

namespace kpipe::record {
namespace {

using testing_support::bytes;
using testing_support::read_hex_fixture;
using testing_support::to_string;

std::string str(const std::optional<bytes_view>& v) { return v ? to_string(*v) : "<null>"; }

// Rewrites a decoded batch with batch_writer, header fields copied, records as decoded.
bytes rewrite(const record_batch& b) {
  batch_writer w;
  w.set_base_offset(b.base_offset);
  w.set_partition_leader_epoch(b.partition_leader_epoch);
  w.set_producer(b.producer_id, b.producer_epoch, b.base_sequence);
  w.set_transactional(b.transactional());
  w.set_control(b.control());
  w.set_timestamp_type(b.timestamps());
  w.set_compression(b.compression());
  for (const auto& r : b.records) {
    record_input in;
    in.key = r.key;
    in.value = r.value;
    in.headers = r.headers;
    in.timestamp = r.timestamp;
    in.offset_delta = r.offset_delta;
    w.add(in);
  }
  auto out = w.build();
  return out.ok() ? out.value() : bytes{};
}

TEST(RecordedBatches, KcatBatchesOfEveryCodecDecode) {
  for (codec c : {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd}) {
    std::string file = "record/kcat_" + std::string(codec_name(c)) + ".hex";
    SCOPED_TRACE(file);
    bytes data = read_hex_fixture(file);
    ASSERT_FALSE(data.empty());
    auto set = read_batches(data);
    ASSERT_FALSE(set.error.has_value()) << set.error->message;
    EXPECT_FALSE(set.truncated.has_value());
    EXPECT_EQ(set.bytes_read, data.size());
    ASSERT_EQ(set.batches.size(), 2u);

    const record_batch& first = set.batches[0];
    EXPECT_TRUE(first.crc_ok());
    EXPECT_EQ(first.compression(), c);
    EXPECT_EQ(first.base_offset, 0);
    EXPECT_EQ(first.producer_id, -1);
    EXPECT_FALSE(first.transactional());
    ASSERT_EQ(first.records.size(), 5u);
    const char* keys[] = {"k1", "k2", "<null>", "k3", "<null>"};
    const char* values[] = {"value one", "value two", "no key here", "<null>",
                            "empty key is null with -Z"};
    for (std::size_t i = 0; i < 5; ++i) {
      const record& r = first.records[i];
      EXPECT_EQ(str(r.key), keys[i]) << i;
      EXPECT_EQ(str(r.value), values[i]) << i;
      EXPECT_EQ(r.offset, static_cast<std::int64_t>(i));
      EXPECT_GT(r.timestamp, 1600000000000);
      ASSERT_EQ(r.headers.size(), 3u);
      EXPECT_EQ(r.headers[0].key, "trace");
      EXPECT_EQ(str(r.headers[0].value), "abc-123");
      EXPECT_EQ(r.headers[1].key, "empty");
      ASSERT_TRUE(r.headers[1].value.has_value());
      EXPECT_TRUE(r.headers[1].value->empty());
      EXPECT_EQ(r.headers[2].key, "nullvalue");
      EXPECT_FALSE(r.headers[2].value.has_value());
    }

    const record_batch& second = set.batches[1];
    EXPECT_TRUE(second.crc_ok());
    EXPECT_EQ(second.compression(), c);
    EXPECT_EQ(second.base_offset, 5);
    EXPECT_EQ(second.position, first.size());
    // An idempotent producer (KIP-98): an id from InitProducerId, the first sequence number.
    EXPECT_GE(second.producer_id, 0);
    EXPECT_GE(second.producer_epoch, 0);
    EXPECT_EQ(second.base_sequence, 0);
    ASSERT_EQ(second.records.size(), 20u);
    EXPECT_EQ(second.last_offset(), 24);
    for (std::size_t i = 0; i < 20; ++i) {
      const record& r = second.records[i];
      std::string n = std::to_string(i);
      EXPECT_EQ(str(r.key), "id-" + n);
      EXPECT_EQ(str(r.value), "{\"id\":" + n + ",\"name\":\"record number " + n +
                                  "\",\"tags\":[\"kafka\",\"kpipe\",\"fixture\"]}");
      ASSERT_EQ(r.headers.size(), 1u);
      EXPECT_EQ(r.headers[0].key, "second");
      EXPECT_EQ(str(r.headers[0].value), "yes");
    }
    if (second.compression() == codec::snappy) {
      // librdkafka writes raw snappy, without xerial's framing.
      EXPECT_NE(second.records_data[0], 0x82);
    }
  }
}

TEST(RecordedBatches, KpipeWritesUncompressedBatchesByteForByteAsLibrdkafka) {
  bytes data = read_hex_fixture("record/kcat_none.hex");
  auto set = read_batches(data);
  ASSERT_EQ(set.batches.size(), 2u);
  std::size_t pos = 0;
  for (const auto& b : set.batches) {
    bytes original(data.begin() + static_cast<std::ptrdiff_t>(pos),
                   data.begin() + static_cast<std::ptrdiff_t>(pos + b.size()));
    EXPECT_EQ(rewrite(b), original);
    pos += b.size();
  }
}

TEST(RecordedBatches, KcatTransactionalBatchDecodes) {
  bytes data = read_hex_fixture("record/kcat_transactional.hex");
  auto set = read_batches(data);
  ASSERT_FALSE(set.error.has_value()) << set.error->message;
  ASSERT_EQ(set.batches.size(), 1u);
  const auto& b = set.batches[0];
  EXPECT_TRUE(b.transactional());
  EXPECT_FALSE(b.control());
  EXPECT_GE(b.producer_id, 0);
  ASSERT_EQ(b.records.size(), 2u);
  EXPECT_EQ(str(b.records[0].key), "tk1");
  EXPECT_EQ(str(b.records[1].value), "committed");
  EXPECT_EQ(rewrite(b), data);
}

TEST(RecordedBatches, KafkaPythonBatchesDecode) {
  for (const char* name : {"none", "gzip", "snappy", "lz4"}) {
    SCOPED_TRACE(name);
    bytes data = read_hex_fixture(std::string("record/python_v2_") + name + ".hex");
    ASSERT_FALSE(data.empty());
    auto b = read_batch(data);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->size(), data.size());
    EXPECT_EQ(codec_name(b->compression()), name);
    EXPECT_EQ(b->producer_id, 4321);
    EXPECT_EQ(b->producer_epoch, 7);
    EXPECT_EQ(b->base_sequence, 11);
    EXPECT_EQ(b->base_timestamp, 1700000000000);
    EXPECT_EQ(b->max_timestamp, 1700000000019);
    ASSERT_EQ(b->records.size(), 20u);
    for (std::size_t i = 0; i < 20; ++i) {
      const record& r = b->records[i];
      std::string n = std::to_string(i);
      EXPECT_EQ(str(r.key), i == 3 ? "<null>" : "key-" + n);
      EXPECT_EQ(str(r.value), "{\"id\":" + n + ",\"name\":\"record number " + n + "\"}");
      EXPECT_EQ(r.timestamp, 1700000000000 + static_cast<std::int64_t>(i));
      if (i % 2 == 0) {
        ASSERT_EQ(r.headers.size(), 2u);
        EXPECT_EQ(r.headers[0].key, "h");
        EXPECT_EQ(str(r.headers[0].value), "v" + n);
        EXPECT_EQ(r.headers[1].key, "null");
        EXPECT_FALSE(r.headers[1].value.has_value());
      } else {
        EXPECT_TRUE(r.headers.empty());
      }
    }
    if (b->compression() == codec::snappy) {
      // kafka-python frames snappy as snappy-java does (xerial).
      const std::uint8_t magic[] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
      EXPECT_TRUE(std::equal(std::begin(magic), std::end(magic), b->records_data.begin()));
    }
  }
  bytes plain = read_hex_fixture("record/python_v2_none.hex");
  auto b = read_batch(plain);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(rewrite(*b), plain);
}

}  // namespace
}  // namespace kpipe::record
