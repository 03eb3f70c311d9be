// Record batch v2: what batch_writer writes, read_batch reads back field for field, for every
// codec; control batches; CRC checks; truncation at every length; errors with paths and offsets;
// random byte flips (which must never crash: the ASan build runs these too).

#include "record/record_batch.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "record/batch_writer.hpp"
#include "record/crc32c.hpp"
#include "record/record_test_support.hpp"

namespace kpipe::record {
namespace {

using testing_support::bytes;
using testing_support::compressible_bytes;
using testing_support::to_bytes;
using testing_support::to_string;
using testing_support::view;

const codec all_codecs[] = {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd};

// What a test record should read back as.
struct expected_record {
  std::optional<bytes> key;
  std::optional<bytes> value;
  std::vector<std::pair<std::string, std::optional<bytes>>> headers;
  std::int64_t timestamp = 0;
  std::int32_t offset_delta = 0;
};

std::vector<expected_record> sample_records() {
  bytes binary(256);
  for (int i = 0; i < 256; ++i) binary[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  return {
      {to_bytes("key-1"), to_bytes("value-1"), {}, 1700000000000, 0},
      {std::nullopt, to_bytes("null key"), {{"h1", to_bytes("v1")}}, 1700000000005, 1},
      {to_bytes("null value"), std::nullopt, {{"null-value", std::nullopt}}, 1699999999990, 2},
      {bytes{}, bytes{}, {{"", bytes{}}, {"k", to_bytes("x")}}, 1700000000001, 3},
      {binary, binary, {{"bin", binary}}, 1700000000100, 7},  // a gap in the offsets
      {std::nullopt, std::nullopt, {}, 1700000000002, 8},
      {to_bytes("big"), compressible_bytes(100000, 1), {}, 1700000000003, 9},
  };
}

// Writes `records` with `w` (already configured) and returns the batch.
bytes write(batch_writer& w, const std::vector<expected_record>& records) {
  for (const auto& e : records) {
    std::vector<record_header> headers;
    for (const auto& [k, v] : e.headers) {
      record_header h;
      h.key = k;
      if (v) h.value = bytes_view(*v);
      headers.push_back(h);
    }
    record_input r;
    if (e.key) r.key = bytes_view(*e.key);
    if (e.value) r.value = bytes_view(*e.value);
    r.headers = headers;
    r.timestamp = e.timestamp;
    r.offset_delta = e.offset_delta;
    w.add(r);
  }
  auto out = w.build();
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? out.value() : bytes{};
}

std::optional<bytes> copy(const std::optional<bytes_view>& v) {
  if (!v) return std::nullopt;
  return bytes(v->begin(), v->end());
}

void expect_records(const record_batch& b, const std::vector<expected_record>& expected) {
  ASSERT_EQ(b.records.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "record " << i);
    const record& r = b.records[i];
    const expected_record& e = expected[i];
    EXPECT_EQ(copy(r.key), e.key);
    EXPECT_EQ(copy(r.value), e.value);
    EXPECT_EQ(r.offset_delta, e.offset_delta);
    EXPECT_EQ(r.offset, b.base_offset + e.offset_delta);
    EXPECT_EQ(r.timestamp,
              b.timestamps() == timestamp_type::log_append_time ? b.max_timestamp : e.timestamp);
    EXPECT_EQ(r.timestamp_delta, e.timestamp - expected[0].timestamp);
    ASSERT_EQ(r.headers.size(), e.headers.size());
    for (std::size_t h = 0; h < e.headers.size(); ++h) {
      EXPECT_EQ(r.headers[h].key, e.headers[h].first);
      EXPECT_EQ(copy(r.headers[h].value), e.headers[h].second);
    }
    EXPECT_FALSE(r.control.has_value());
  }
}

// Recomputes the CRC of a batch that a test has changed on purpose.
void refresh_crc(bytes& batch) {
  std::uint32_t crc = crc32c(bytes_view(batch).subspan(batch_crc_start));
  for (int i = 0; i < 4; ++i)
    batch[17 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
}

bytes simple_batch(codec c = codec::none, std::int64_t base_offset = 0, int records = 3) {
  batch_writer w;
  w.set_base_offset(base_offset);
  w.set_compression(c);
  for (int i = 0; i < records; ++i) {
    std::string key = "k" + std::to_string(i), value = "value " + std::to_string(i);
    record_input r;
    r.key = view(key);
    r.value = view(value);
    r.timestamp = 1000 + i;
    w.add(r);
  }
  auto out = w.build();
  return out.ok() ? out.value() : bytes{};
}

TEST(RecordBatch, RoundTripsEveryFieldWithEveryCodec) {
  auto records = sample_records();
  for (codec c : all_codecs) {
    SCOPED_TRACE(codec_name(c));
    batch_writer w;
    w.set_base_offset(4242);
    w.set_partition_leader_epoch(17);
    w.set_producer(123456789, 3, 99);
    w.set_transactional(true);
    w.set_compression(c);
    bytes data = write(w, records);
    auto b = read_batch(data);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->position, 0u);
    EXPECT_EQ(b->base_offset, 4242);
    EXPECT_EQ(b->size(), data.size());
    EXPECT_EQ(b->partition_leader_epoch, 17);
    EXPECT_EQ(b->magic, 2);
    EXPECT_TRUE(b->crc_ok());
    EXPECT_EQ(b->compression(), c);
    EXPECT_EQ(b->timestamps(), timestamp_type::create_time);
    EXPECT_TRUE(b->transactional());
    EXPECT_FALSE(b->control());
    EXPECT_FALSE(b->has_delete_horizon());
    EXPECT_EQ(b->last_offset_delta, 9);
    EXPECT_EQ(b->last_offset(), 4251);
    EXPECT_EQ(b->base_timestamp, 1700000000000);
    EXPECT_EQ(b->max_timestamp, 1700000000100);
    EXPECT_EQ(b->producer_id, 123456789);
    EXPECT_EQ(b->producer_epoch, 3);
    EXPECT_EQ(b->base_sequence, 99);
    EXPECT_EQ(b->record_count, 7);
    EXPECT_EQ(b->records_data.size(), data.size() - batch_header_size);
    EXPECT_EQ(b->decompressed != nullptr, c != codec::none);
    expect_records(*b, records);
    if (c != codec::none) {
      EXPECT_LT(data.size(), 100000u);  // the big value compressed
    }
  }
}

TEST(RecordBatch, UncompressedRecordsViewTheInput) {
  bytes data = simple_batch();
  auto b = read_batch(data);
  ASSERT_TRUE(b.ok());
  const std::uint8_t* key = b->records[0].key->data();
  EXPECT_GE(key, data.data());
  EXPECT_LT(key, data.data() + data.size());
}

TEST(RecordBatch, CopiesOfACompressedBatchStayValid) {
  bytes data = simple_batch(codec::zstd);
  std::optional<record_batch> kept;
  {
    auto b = read_batch(data);
    ASSERT_TRUE(b.ok());
    kept = b.value();
  }
  EXPECT_EQ(to_string(*kept->records[2].value), "value 2");
}

TEST(RecordBatch, DefaultsAreThoseOfAPlainProducer) {
  bytes data = simple_batch();
  auto b = read_batch(data);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->partition_leader_epoch, -1);
  EXPECT_EQ(b->producer_id, -1);
  EXPECT_EQ(b->producer_epoch, -1);
  EXPECT_EQ(b->base_sequence, -1);
  EXPECT_EQ(b->attributes, 0);
  EXPECT_EQ(b->records[1].offset_delta, 1);
  EXPECT_EQ(b->records[2].offset, 2);
}

TEST(RecordBatch, LogAppendTimeGivesEveryRecordTheMaxTimestamp) {
  batch_writer w;
  w.set_timestamp_type(timestamp_type::log_append_time);
  auto records = sample_records();
  bytes data = write(w, records);
  auto b = read_batch(data);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->timestamps(), timestamp_type::log_append_time);
  expect_records(*b, records);
  for (const auto& r : b->records) EXPECT_EQ(r.timestamp, 1700000000100);
}

TEST(RecordBatch, EmptyBatchRoundTrips) {
  batch_writer w;
  auto out = w.build();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), batch_header_size);
  auto b = read_batch(out.value());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->record_count, 0);
  EXPECT_TRUE(b->records.empty());
}

TEST(RecordBatch, ControlBatchesCarryTransactionMarkers) {
  for (codec c : {codec::none, codec::gzip}) {
    for (control_type type : {control_type::commit, control_type::abort}) {
      batch_writer w;
      w.set_producer(77, 2, -1);
      w.set_transactional(true);
      w.set_compression(c);
      w.add_control(type, 5, 1234);
      auto data = w.build();
      ASSERT_TRUE(data.ok());
      auto b = read_batch(data.value());
      ASSERT_TRUE(b.ok()) << b.error().message;
      EXPECT_TRUE(b->control());
      EXPECT_TRUE(b->transactional());
      EXPECT_EQ(b->producer_id, 77);
      ASSERT_EQ(b->records.size(), 1u);
      const auto& r = b->records[0];
      ASSERT_TRUE(r.control.has_value());
      EXPECT_EQ(r.control->version, 0);
      EXPECT_EQ(r.control->type, type);
      EXPECT_EQ(r.control->marker_version, 0);
      EXPECT_EQ(r.control->coordinator_epoch, 5);
      EXPECT_EQ(r.timestamp, 1234);
      // The key is version 0 + type, big-endian, as the Java client writes it.
      EXPECT_EQ(copy(r.key), (bytes{0, 0, 0, static_cast<std::uint8_t>(type)}));
      EXPECT_EQ(copy(r.value), (bytes{0, 0, 0, 0, 0, 5}));
    }
  }
}

TEST(RecordBatch, ControlRecordsOfOtherTypesKeepTheirValue) {
  batch_writer w;
  w.set_control(true);
  bytes key = {0, 0, 0, 2};  // leader change (KRaft)
  bytes value = {0, 0, 1, 2, 3};
  record_input r;
  r.key = bytes_view(key);
  r.value = bytes_view(value);
  w.add(r);
  bytes data = w.build().value();  // kept: the batch views it
  auto b = read_batch(data);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE(b->records[0].control.has_value());
  EXPECT_EQ(b->records[0].control->type, control_type::leader_change);
  EXPECT_FALSE(b->records[0].control->coordinator_epoch.has_value());
  EXPECT_EQ(copy(b->records[0].value), value);
}

TEST(RecordBatch, MalformedControlRecordsFail) {
  struct bad_case {
    std::optional<bytes> key, value;
    const char* expect;
  };
  for (const auto& bad : std::vector<bad_case>{
           {std::nullopt, bytes{0, 0, 0, 0, 0, 1}, "records[0].key: a control record needs a key"},
           {bytes{0, 0, 0}, bytes{0, 0, 0, 0, 0, 1}, "records[0].key: need 2 bytes, 1 left"},
           {bytes{0xff, 0xff, 0, 1}, bytes{0, 0, 0, 0, 0, 1}, "records[0].key: invalid version -1"},
           {bytes{0, 0, 0, 1}, std::nullopt,
            "records[0].value: a transaction marker needs a value"},
           {bytes{0, 0, 0, 0}, bytes{0, 0, 0, 0}, "records[0].value: need 4 bytes, 2 left"},
       }) {
    batch_writer w;
    w.set_control(true);
    record_input r;
    if (bad.key) r.key = bytes_view(*bad.key);
    if (bad.value) r.value = bytes_view(*bad.value);
    w.add(r);
    bytes data = w.build().value();
    auto b = read_batch(data);
    ASSERT_FALSE(b.ok()) << bad.expect;
    EXPECT_NE(b.error().message.find(bad.expect), std::string::npos) << b.error().message;
    EXPECT_NE(b.error().message.find(" at offset "), std::string::npos);
  }
}

TEST(RecordBatch, CrcCoversAttributesToTheEndOnly) {
  bytes data = simple_batch();
  // The base offset and partition leader epoch are outside the CRC (KIP-98): brokers rewrite them.
  data[7] = 9;
  data[12] = 1;
  auto b = read_batch(data);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->base_offset, 9);
}

TEST(RecordBatch, CrcMismatchFailsByDefaultAndIsFlaggedOnRequest) {
  bytes data = simple_batch();
  data[data.size() - 2] ^= 0x01;  // inside the last value
  auto b = read_batch(data);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind, error_kind::protocol);
  EXPECT_NE(b.error().message.find("batch at offset 0: CRC mismatch: stored 0x"), std::string::npos)
      << b.error().message;
  EXPECT_NE(b.error().message.find("at offset 17"), std::string::npos);

  read_options flag;
  flag.fail_on_crc_mismatch = false;
  auto flagged = read_batch(data, flag);
  ASSERT_TRUE(flagged.ok()) << flagged.error().message;
  EXPECT_FALSE(flagged->crc_ok());
  EXPECT_NE(flagged->crc, flagged->computed_crc);
  EXPECT_EQ(to_string(*flagged->records[2].value), "value 3");

  auto set = read_batches(data);
  EXPECT_TRUE(set.batches.empty());
  ASSERT_TRUE(set.error.has_value());
}

TEST(RecordBatch, EveryPrefixFailsCleanlyWithAnOffset) {
  for (codec c : all_codecs) {
    bytes data = simple_batch(c);
    for (std::size_t n = 0; n < data.size(); ++n) {
      std::span<const std::uint8_t> prefix(data.data(), n);
      auto b = read_batch(prefix);
      ASSERT_FALSE(b.ok()) << codec_name(c) << " prefix " << n;
      EXPECT_NE(b.error().message.find(" left at offset "), std::string::npos) << b.error().message;
      auto set = read_batches(prefix);
      EXPECT_TRUE(set.batches.empty());
      EXPECT_FALSE(set.error.has_value());
      EXPECT_EQ(set.truncated.has_value(), n > 0);
      EXPECT_EQ(set.bytes_read, 0u);
    }
  }
}

TEST(RecordBatch, ATruncatedTrailingBatchAfterTwoGoodOnesYieldsTheTwo) {
  bytes a = simple_batch(codec::none, 0), b = simple_batch(codec::lz4, 3),
        c = simple_batch(codec::zstd, 6);
  bytes data = a;
  data.insert(data.end(), b.begin(), b.end());
  data.insert(data.end(), c.begin(), c.begin() + static_cast<std::ptrdiff_t>(c.size() / 2));
  auto set = read_batches(data);
  ASSERT_EQ(set.batches.size(), 2u);
  EXPECT_FALSE(set.error.has_value());
  ASSERT_TRUE(set.truncated.has_value());
  std::string at = "batch at offset " + std::to_string(a.size() + b.size()) + ": need " +
                   std::to_string(c.size()) + " bytes";
  EXPECT_EQ(set.truncated->rfind(at, 0), 0u) << *set.truncated;
  EXPECT_EQ(set.bytes_read, a.size() + b.size());
  EXPECT_EQ(set.batches[1].position, a.size());
  EXPECT_EQ(set.batches[1].records[0].offset, 3);
  // Complete, all three read.
  data.resize(a.size() + b.size());
  data.insert(data.end(), c.begin(), c.end());
  auto all = read_batches(data);
  EXPECT_EQ(all.batches.size(), 3u);
  EXPECT_FALSE(all.truncated.has_value());
  EXPECT_FALSE(all.error.has_value());
  EXPECT_EQ(all.bytes_read, data.size());
}

TEST(RecordBatch, ACorruptBatchStopsReadingAndKeepsTheOnesBefore) {
  bytes a = simple_batch(codec::none, 0), b = simple_batch(codec::none, 3);
  b[b.size() - 1] ^= 0xff;
  bytes data = a;
  data.insert(data.end(), b.begin(), b.end());
  data.insert(data.end(), a.begin(), a.end());
  auto set = read_batches(data);
  EXPECT_EQ(set.batches.size(), 1u);
  ASSERT_TRUE(set.error.has_value());
  EXPECT_EQ(set.error->message.rfind("batch at offset " + std::to_string(a.size()) + ": ", 0), 0u);
  EXPECT_EQ(set.bytes_read, a.size());
}

// The byte offsets below follow from simple_batch(): a 61-byte header, then records of
// length 1 + attributes 1 + timestamp delta 1 + offset delta 1 + key (1 + 2) + value (1 + 7) +
// header count 1 = 16 bytes.
TEST(RecordBatch, ErrorsNameTheFieldAndTheOffset) {
  struct mutation {
    std::size_t at;
    std::uint8_t value;
    const char* expect;
  };
  for (const auto& m : std::vector<mutation>{
           // key length 2 -> 20 (zigzag 40): more than the record holds
           {61 + 4, 40, "records[0].key: need 20 bytes, 11 left at offset 66"},
           // key length -> -2 (zigzag 3)
           {61 + 4, 3, "records[0].key: invalid length -2 at offset 66"},
           // first record length 15 (zigzag 30) -> 14: the header count does not fit
           {61, 28, "records[0].header_count: need 1 bytes, 0 left at offset 76"},
           // first record length -> 16: a byte left over
           {61, 32, "records[0]: 1 bytes left over after the record's fields at offset 77"},
           // header count 0 -> 1 in the last record: its header does not fit
           {61 + 16 + 16 + 15, 2,
            "records[2].header_count: header count 1 does not fit in the 0 bytes left at offset "
            "109"},
           // header count -> -1
           {61 + 15, 1, "records[0].header_count: invalid header count -1 at offset 77"},
       }) {
    bytes data = simple_batch();
    data[m.at] = m.value;
    refresh_crc(data);
    auto b = read_batch(data);
    ASSERT_FALSE(b.ok()) << m.expect;
    EXPECT_EQ(b.error().message, std::string("batch at offset 0: ") + m.expect);
  }
}

TEST(RecordBatch, HeaderErrorsNameTheHeader) {
  // One record: null key, null value, header "h" = "v". Bytes from 61: length, attributes,
  // timestamp delta, offset delta, key (-1), value (-1), header count, key length, 'h', value
  // length, 'v'.
  auto make = [] {
    batch_writer w;
    record_header h;
    h.key = "h";
    h.value = view("v");
    record_input r;
    r.headers = std::span<const record_header>(&h, 1);
    w.add(r);
    return w.build().value();
  };
  bytes data = make();
  ASSERT_EQ(data.size(), 72u);
  data[68] = 10;  // key length 5
  refresh_crc(data);
  auto key = read_batch(data);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message,
            "batch at offset 0: records[0].headers[0].key: need 5 bytes, 3 left at offset 69");
  data = make();
  data[70] = 3;  // value length -2
  refresh_crc(data);
  auto value = read_batch(data);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().message,
            "batch at offset 0: records[0].headers[0].value: invalid length -2 at offset 71");
  data = make();
  data[68] = 1;  // key length -1: null, which Kafka refuses for header keys
  refresh_crc(data);
  auto null_key = read_batch(data);
  ASSERT_FALSE(null_key.ok());
  EXPECT_NE(
      null_key.error().message.find("records[0].headers[0].key: invalid header key length -1"),
      std::string::npos)
      << null_key.error().message;
}

TEST(RecordBatch, RecordCountMustMatchTheRecords) {
  bytes data = simple_batch();
  data[60] = 4;  // four records stated, three present
  refresh_crc(data);
  auto more = read_batch(data);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().message,
            "batch at offset 0: records[3].length: need 1 bytes, 0 left at offset 109");
  data[60] = 2;
  refresh_crc(data);
  auto fewer = read_batch(data);
  ASSERT_FALSE(fewer.ok());
  EXPECT_EQ(fewer.error().message,
            "batch at offset 0: 16 bytes left over after the last of 2 records at offset 93");
  data[57] = 0x80;  // a negative count
  refresh_crc(data);
  auto negative = read_batch(data);
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().message.find("invalid record count"), std::string::npos);
}

TEST(RecordBatch, ErrorsInCompressedRecordsSayWhere) {
  batch_writer w;
  w.set_compression(codec::gzip);
  record_input r;
  bytes value = to_bytes("v");
  r.value = bytes_view(value);
  w.add(r);
  bytes data = w.build().value();
  data[60] = 2;  // two records stated, one present
  refresh_crc(data);
  auto b = read_batch(data);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message,
            "batch at offset 0: records[1].length: need 1 bytes, 0 left at offset 8 of the "
            "records after gzip decompression");
}

TEST(RecordBatch, HeaderFieldsAreChecked) {
  bytes data = simple_batch();
  bytes bad_magic = data;
  bad_magic[16] = 3;
  auto m = read_batch(bad_magic);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "batch at offset 0: unknown magic 3 at offset 16");
  bad_magic[16] = 1;
  auto legacy = read_batches(bad_magic);
  ASSERT_TRUE(legacy.error.has_value());
  EXPECT_NE(legacy.error->message.find("legacy message set"), std::string::npos);

  bytes short_length = data;
  short_length[11] = 40;  // below the 49 bytes of a v2 header
  auto s = read_batch(short_length);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message,
            "batch at offset 0: batch length 40 is below the minimum of 49 at offset 8");
  short_length[11] = 3;
  auto tiny = read_batches(short_length);
  ASSERT_TRUE(tiny.error.has_value());
  EXPECT_EQ(tiny.error->message,
            "batch at offset 0: length 3 is below the minimum of 14 at offset 8");

  bytes bad_codec = data;
  bad_codec[22] = 5;
  refresh_crc(bad_codec);
  auto c = read_batch(bad_codec);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "batch at offset 0: unknown compression codec 5 at offset 21");
}

TEST(RecordBatch, HeaderOnlyReadingSkipsRecords) {
  bytes data = simple_batch(codec::snappy);
  read_options header_only;
  header_only.decode_records = false;
  auto b = read_batch(data, header_only);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->record_count, 3);
  EXPECT_TRUE(b->records.empty());
  EXPECT_EQ(b->decompressed, nullptr);
}

TEST(RecordBatch, DecompressionIsCapped) {
  batch_writer w;
  w.set_compression(codec::zstd);
  bytes zeros(std::size_t{4} << 20, 0);
  record_input r;
  r.value = bytes_view(zeros);
  w.add(r);
  bytes data = w.build().value();
  EXPECT_LT(data.size(), 2000u);
  read_options small;
  small.max_decompressed_bytes = std::size_t{1} << 20;
  auto b = read_batch(data, small);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message,
            "batch at offset 0: records at offset 61: zstd: decompressed data exceeds the limit of "
            "1048576 bytes (a decompression bomb, or raise the limit)");
  EXPECT_TRUE(read_batch(data).ok());  // the default 64 MiB
}

TEST(RecordBatch, BaseOffsetInErrorsIsAbsolute) {
  bytes data = simple_batch();
  data[data.size() - 1] ^= 1;
  auto b = read_batch(data, {}, 1000);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message.rfind("batch at offset 1000: CRC mismatch", 0), 0u);
  EXPECT_NE(b.error().message.find("at offset 1017"), std::string::npos);
}

TEST(Frame, TellsTheSizeAndMagicOfAnEntry) {
  bytes data = simple_batch();
  frame f = check_frame(data, 0);
  EXPECT_EQ(f.status, frame_status::complete);
  EXPECT_EQ(f.size, data.size());
  EXPECT_EQ(f.magic, 2);
  data[16] = 1;  // a legacy message keeps its magic at the same place
  EXPECT_EQ(check_frame(data, 0).magic, 1);
  auto cut = check_frame(std::span<const std::uint8_t>(data).first(40), 500);
  EXPECT_EQ(cut.status, frame_status::truncated);
  EXPECT_EQ(cut.message, "need " + std::to_string(data.size()) + " bytes (length " +
                             std::to_string(data.size() - 12) + "), 40 left at offset 500");
  auto header = check_frame(std::span<const std::uint8_t>(data).first(11), 0);
  EXPECT_EQ(header.status, frame_status::truncated);
  data[8] = 0x80;  // a negative length
  EXPECT_EQ(check_frame(data, 0).status, frame_status::corrupt);
}

TEST(BatchWriter, OffsetDeltasMustIncrease) {
  batch_writer w;
  record_input r;
  r.offset_delta = 5;
  w.add(r);
  r.offset_delta = 5;
  w.add(r);
  auto out = w.build();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, error_kind::usage);
  EXPECT_NE(out.error().message.find("offset delta 5 does not follow 5"), std::string::npos);
}

TEST(BatchWriter, BadCompressionLevelIsReported) {
  batch_writer w;
  w.set_compression(codec::gzip, 42);
  auto out = w.build();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, error_kind::usage);
}

TEST(BatchWriter, WritesTheKnownLayout) {
  // One record, key "k", value "v", timestamp 5, base offset 1: every byte by hand.
  batch_writer w;
  w.set_base_offset(1);
  record_input r;
  r.key = view("k");
  r.value = view("v");
  r.timestamp = 5;
  w.add(r);
  bytes data = w.build().value();
  bytes expected = {
      0,    0,    0,    0,    0,    0,    0,    1,     // base offset
      0,    0,    0,    58,                            // batch length: 70 - 12
      0xff, 0xff, 0xff, 0xff,                          // partition leader epoch -1
      2,                                               // magic
      0,    0,    0,    0,                             // crc (checked below)
      0,    0,                                         // attributes
      0,    0,    0,    0,                             // last offset delta
      0,    0,    0,    0,    0,    0,    0,    5,     // base timestamp
      0,    0,    0,    0,    0,    0,    0,    5,     // max timestamp
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // producer id -1
      0xff, 0xff,                                      // producer epoch -1
      0xff, 0xff, 0xff, 0xff,                          // base sequence -1
      0,    0,    0,    1,                             // record count
      16,                                              // record length 8 (zigzag)
      0,    0,    0,                                   // attributes, timestamp delta, offset delta
      2,    'k',  2,    'v',                           // key, value
      0,                                               // header count
  };
  ASSERT_EQ(data.size(), expected.size());
  std::uint32_t crc = crc32c(bytes_view(data).subspan(21));
  for (int i = 0; i < 4; ++i)
    expected[17 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  EXPECT_EQ(data, expected);
}

// Random damage anywhere in a batch (several batches, every codec) must give a clean error or a
// batch, never a crash or a read out of bounds (the ASan build runs this too).
TEST(RecordBatch, RandomByteFlipsNeverCrash) {
  auto records = sample_records();
  records.pop_back();  // the 100 KB value makes each iteration slow without adding anything
  std::mt19937 rng(20240817);
  for (codec c : all_codecs) {
    batch_writer w;
    w.set_compression(c);
    bytes one = write(w, records);
    bytes data = one;
    bytes second = simple_batch(c, 7);
    data.insert(data.end(), second.begin(), second.end());
    int decoded = 0;
    for (int i = 0; i < 2000; ++i) {
      bytes mutated = data;
      int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        std::size_t at = rng() % mutated.size();
        if (rng() % 2) {
          mutated[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        } else {
          mutated[at] = static_cast<std::uint8_t>(rng());
        }
      }
      read_options lenient;
      lenient.fail_on_crc_mismatch = false;
      lenient.max_decompressed_bytes = std::size_t{1} << 20;
      auto set = read_batches(mutated, lenient);
      decoded += static_cast<int>(set.batches.size());
      for (const auto& b : set.batches) {
        for (const auto& r : b.records) {
          // Touch every view so that ASan sees any that points outside its buffer.
          std::size_t sum = 0;
          if (r.key) sum += std::accumulate(r.key->begin(), r.key->end(), std::size_t{0});
          if (r.value) sum += std::accumulate(r.value->begin(), r.value->end(), std::size_t{0});
          for (const auto& h : r.headers) sum += h.key.size();
          (void)sum;
        }
      }
      auto strict = read_batches(mutated);
      EXPECT_LE(strict.batches.size(), set.batches.size());
    }
    EXPECT_GT(decoded, 0) << codec_name(c);
  }
}

}  // namespace
}  // namespace kpipe::record
