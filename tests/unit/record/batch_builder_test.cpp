// The producer's batch builder: a batch never exceeds its byte budget, whatever the records and
// the codec; extend() says where it stopped; what it seals reads back record for record, with
// the producer fields stamped once and a valid CRC.

#include "record/batch_builder.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "record/batch_header.hpp"
#include "record/record_batch.hpp"

namespace kpipe::record {
namespace {

bytes_view view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const codec all_codecs[] = {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd};

TEST(BatchBuilder, NeverExceedsTheBudgetForAnyCodec) {
  std::mt19937_64 random(42);
  int batches = 0;
  for (codec c : all_codecs) {
    for (std::size_t budget : {128u, 300u, 1000u, 4096u, 65536u}) {
      builder_settings settings;
      settings.max_batch_bytes = budget;
      settings.compression = c;
      batch_builder builder(settings);
      for (int i = 0; i < 400; ++i) {
        // Incompressible values too: a codec must never push a batch over the budget.
        std::string value(random() % 200, 'x');
        for (auto& ch : value) ch = static_cast<char>(random());
        std::string key = "k" + std::to_string(i);
        record_input in{view(key), view(value), {}, 1700000000000 + i, std::nullopt};
        auto status = builder.append(in);
        if (status == append_status::full) {
          auto batch = builder.seal();
          ASSERT_TRUE(batch) << batch.error().message;
          ASSERT_LE(batch->size(), budget) << codec_name(c);
          auto read = read_batch(*batch);
          ASSERT_TRUE(read) << read.error().message;
          ++batches;
          status = builder.append(in);
        }
        if (status == append_status::too_large) {
          EXPECT_TRUE(builder.empty());
          continue;
        }
        ASSERT_EQ(status, append_status::appended);
        ASSERT_LE(builder.size(), budget);
      }
      auto last = builder.seal();
      ASSERT_TRUE(last);
      EXPECT_LE(last->size(), budget);
    }
  }
  EXPECT_GT(batches, 100);
}

TEST(BatchBuilder, ARecordLargerThanAnyBatchIsTooLarge) {
  builder_settings settings;
  settings.max_batch_bytes = 200;
  batch_builder builder(settings);
  std::string big(300, 'a');
  EXPECT_EQ(builder.append({std::nullopt, view(big), {}, 0, std::nullopt}),
            append_status::too_large);
  EXPECT_TRUE(builder.empty());
  std::string small(10, 'a');
  EXPECT_EQ(builder.append({std::nullopt, view(small), {}, 0, std::nullopt}),
            append_status::appended);
}

TEST(BatchBuilder, ExtendReportsTheFirstRecordThatDidNotFit) {
  builder_settings settings;
  settings.max_batch_bytes = 61 + 5 * 20;  // the header and room for a few 20-byte records
  batch_builder builder(settings);
  std::vector<std::string> values(10, std::string(10, 'v'));
  std::vector<record_input> records;
  for (const auto& v : values) records.push_back({std::nullopt, view(v), {}, 0, std::nullopt});
  std::size_t taken = builder.extend(records);
  EXPECT_GT(taken, 0u);
  EXPECT_LT(taken, records.size());
  EXPECT_EQ(builder.record_count(), taken);
  EXPECT_LE(builder.size(), settings.max_batch_bytes);
  // The record at `taken` is exactly the one that does not fit any more.
  EXPECT_EQ(builder.append(records[taken]), append_status::full);
  auto batch = builder.seal();
  ASSERT_TRUE(batch);
  EXPECT_EQ(builder.extend(std::span(records).subspan(taken)), taken);
}

TEST(BatchBuilder, BatchRecordsLimitsTheCount) {
  builder_settings settings;
  settings.max_batch_records = 3;
  batch_builder builder(settings);
  std::string v = "x";
  std::vector<record_input> records(5, {std::nullopt, view(v), {}, 0, std::nullopt});
  EXPECT_EQ(builder.extend(records), 3u);
}

TEST(BatchBuilder, SealedBatchesReadBackWithProducerFields) {
  for (codec c : all_codecs) {
    builder_settings settings;
    settings.compression = c;
    batch_builder builder(settings);
    std::string value(1000, 'z');  // compressible, so the codec is kept
    std::string hk = "trace";
    std::string hv = "abc";
    record_header headers[] = {{hk, view(hv)}, {hk, std::nullopt}};
    ASSERT_EQ(builder.append({view(std::string("k")), view(value), headers, 1000, std::nullopt}),
              append_status::appended);
    ASSERT_EQ(builder.append({std::nullopt, std::nullopt, {}, 990, std::nullopt}),
              append_status::appended);
    auto batch = builder.seal(producer_stamp{77, 3, 1234, true});
    ASSERT_TRUE(batch);
    auto read = read_batch(*batch);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_TRUE(read->crc_ok());
    EXPECT_EQ(read->compression(), c);
    EXPECT_EQ(read->producer_id, 77);
    EXPECT_EQ(read->producer_epoch, 3);
    EXPECT_EQ(read->base_sequence, 1234);
    EXPECT_TRUE(read->transactional());
    EXPECT_EQ(read->max_timestamp, 1000);
    ASSERT_EQ(read->records.size(), 2u);
    EXPECT_EQ(read->records[0].timestamp, 1000);
    EXPECT_EQ(read->records[1].timestamp, 990);  // a negative delta
    EXPECT_EQ(read->records[1].offset, 1);
    EXPECT_FALSE(read->records[1].key);
    EXPECT_FALSE(read->records[1].value);
    ASSERT_EQ(read->records[0].headers.size(), 2u);
    EXPECT_FALSE(read->records[0].headers[1].value);

    // Re-stamping (an epoch bump) keeps the batch valid.
    stamp_producer(*batch, 78, 0, 0, false);
    auto again = read_batch(*batch);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->producer_id, 78);
    EXPECT_EQ(again->base_sequence, 0);
    EXPECT_FALSE(again->transactional());
  }
}

TEST(BatchBuilder, IncompressibleRecordsAreSentUncompressed) {
  builder_settings settings;
  settings.compression = codec::zstd;
  batch_builder builder(settings);
  std::mt19937 random(1);
  std::string value(500, '\0');
  for (auto& ch : value) ch = static_cast<char>(random());
  ASSERT_EQ(builder.append({std::nullopt, view(value), {}, 0, std::nullopt}),
            append_status::appended);
  auto batch = builder.seal();
  ASSERT_TRUE(batch);
  auto read = read_batch(*batch);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->compression(), codec::none);
}

TEST(BatchBuilder, ReusesTheSpareBuffer) {
  builder_settings settings;
  settings.max_batch_bytes = 4096;
  batch_builder builder(settings);
  std::string v(3000, 'v');
  ASSERT_EQ(builder.append({std::nullopt, view(v), {}, 0, std::nullopt}), append_status::appended);
  std::vector<std::uint8_t> spare;
  spare.reserve(4096);
  const auto* data = spare.data();
  ASSERT_TRUE(builder.seal(std::nullopt, std::move(spare)));
  ASSERT_EQ(builder.append({std::nullopt, view(v), {}, 0, std::nullopt}), append_status::appended);
  auto second = builder.seal();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->data(), data);
}

TEST(BatchBuilder, EarlySealedBatchesDoNotKeepTheWholeBudget) {
  builder_settings settings;
  settings.max_batch_bytes = 1 << 20;
  batch_builder builder(settings);
  std::string v(100, 'v');
  ASSERT_EQ(builder.append({std::nullopt, view(v), {}, 0, std::nullopt}), append_status::appended);
  auto batch = builder.seal();
  ASSERT_TRUE(batch);
  EXPECT_LT(batch->capacity(), std::size_t{64} << 10);
}

// The producer seals in two steps when it compresses on worker threads: detach() on the event
// loop, finish_batch() on a worker. The result must be byte for byte what seal() makes.
TEST(BatchBuilder, DetachThenFinishEqualsSeal) {
  for (codec c : all_codecs) {
    builder_settings settings;
    settings.compression = c;
    batch_builder one_step(settings);
    batch_builder two_steps(settings);
    for (int i = 0; i < 50; ++i) {
      std::string value = "value " + std::to_string(i * 7919) + std::string(40, 'q');
      record_input in{std::nullopt, view(value), {}, 1700000000000 + i, std::nullopt};
      ASSERT_EQ(one_step.append(in), append_status::appended);
      ASSERT_EQ(two_steps.append(in), append_status::appended);
    }
    producer_stamp stamp{5, 1, 100, false};
    auto sealed = one_step.seal(stamp);
    ASSERT_TRUE(sealed);
    std::vector<std::uint8_t> spare;
    auto open = two_steps.detach();
    EXPECT_TRUE(two_steps.empty());
    auto finished = finish_batch(std::move(open), stamp, spare);
    ASSERT_TRUE(finished);
    EXPECT_EQ(*finished, *sealed) << codec_name(c);
    if (c != codec::none) {
      EXPECT_GT(spare.capacity(), 0u) << "the records' buffer comes back";
    }
  }
}

// Several workers finishing batches at once (the codecs keep per-thread contexts): every batch
// reads back with its own records.
TEST(BatchBuilder, FinishBatchOnSeveralThreadsAtOnce) {
  for (codec c : {codec::lz4, codec::zstd, codec::gzip}) {
    std::vector<open_batch> opens;
    for (int b = 0; b < 8; ++b) {
      builder_settings settings;
      settings.compression = c;
      batch_builder builder(settings);
      for (int i = 0; i < 200; ++i) {
        std::string value = "batch " + std::to_string(b) + " record " + std::to_string(i);
        ASSERT_EQ(builder.append({std::nullopt, view(value), {}, i, std::nullopt}),
                  append_status::appended);
      }
      opens.push_back(builder.detach());
    }
    std::vector<result<std::vector<std::uint8_t>>> finished(opens.size(),
                                                            std::vector<std::uint8_t>{});
    std::vector<std::thread> threads;
    for (std::size_t b = 0; b < opens.size(); ++b) {
      threads.emplace_back([&, b] {
        std::vector<std::uint8_t> spare;
        finished[b] = finish_batch(std::move(opens[b]), std::nullopt, spare);
      });
    }
    for (auto& t : threads) t.join();
    for (std::size_t b = 0; b < finished.size(); ++b) {
      ASSERT_TRUE(finished[b]);
      auto read = read_batch(*finished[b]);
      ASSERT_TRUE(read) << read.error().message;
      EXPECT_TRUE(read->crc_ok());
      EXPECT_EQ(read->compression(), c);
      ASSERT_EQ(read->records.size(), 200u);
      std::string last = "batch " + std::to_string(b) + " record 199";
      ASSERT_TRUE(read->records[199].value);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(read->records[199].value->data()),
                            read->records[199].value->size()),
                last);
    }
  }
}

}  // namespace
}  // namespace kpipe::record
