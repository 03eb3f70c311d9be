// The record batch fuzz target as ordinary tests: the stored corpus replays, then every prefix
// of every corpus file and 10,000 random byte flips per reader (v2 batches, legacy message
// sets). Under the sanitizer build this is where a crash or an out-of-bounds read would show;
// the assertions check what the readers promise: a cut entry is reported, never decoded, and
// damage inside a checksummed part is always caught.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"
#include "record/frame.hpp"
#include "record/legacy_message_set.hpp"
#include "record/record_batch.hpp"

namespace kpipe::fuzz {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The corpus by file name, sorted (directory order is not stable).
std::map<std::string, bytes> corpus() {
  std::map<std::string, bytes> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(KPIPE_FUZZ_CORPUS_DIR "/record_batch")) {
    files[entry.path().filename().string()] = read_file(entry.path());
  }
  return files;
}

// Where each entry of a well-formed file ends, and the magic of each.
struct layout {
  std::vector<std::size_t> ends;
  std::vector<std::int8_t> magics;
};

layout entries_of(const bytes& data) {
  layout l;
  std::size_t pos = 0;
  while (pos < data.size()) {
    auto f = record::check_frame(std::span(data).subspan(pos), pos);
    if (f.status != record::frame_status::complete) break;
    pos += f.size;
    l.ends.push_back(pos);
    l.magics.push_back(f.magic);
  }
  return l;
}

bool all_magic(const layout& l, bool legacy) {
  for (auto m : l.magics) {
    if ((m != 2) != legacy) return false;
  }
  return !l.magics.empty();
}

bool names_an_offset(const std::string& message) {
  return message.find("offset") != std::string::npos;
}

TEST(RecordBatchFuzzReplay, Corpus) {
  auto files = corpus();
  ASSERT_GE(files.size(), 17u);
  for (const auto& [name, data] : files) {
    SCOPED_TRACE(name);
    ASSERT_FALSE(data.empty());
    EXPECT_EQ(entries_of(data).ends.back(), data.size());
    decode_record_batches(data.data(), data.size());
  }
  std::cout << "[ fuzz ] replayed " << files.size() << " record batch corpus files\n";
}

TEST(RecordBatchFuzzReplay, EveryPrefixDecodesTheWholeEntriesAndReportsTheCut) {
  std::size_t prefixes = 0;
  for (const auto& [name, data] : corpus()) {
    SCOPED_TRACE(name);
    layout l = entries_of(data);
    bool v2 = all_magic(l, false);
    bool legacy = all_magic(l, true);
    for (std::size_t cut = 0; cut < data.size(); ++cut) {
      std::span<const std::uint8_t> prefix(data.data(), cut);
      decode_record_batches(prefix.data(), prefix.size());
      ++prefixes;
      std::size_t whole = 0;  // entries that end within the prefix
      while (whole < l.ends.size() && l.ends[whole] <= cut) ++whole;
      std::size_t whole_bytes = whole ? l.ends[whole - 1] : 0;
      bool cut_inside = whole_bytes != cut;
      if (v2) {
        auto r = record::read_batches(prefix);
        ASSERT_FALSE(r.error.has_value()) << cut << ": " << r.error->message;
        EXPECT_EQ(r.batches.size(), whole) << cut;
        EXPECT_EQ(r.bytes_read, whole_bytes) << cut;
        EXPECT_EQ(r.truncated.has_value(), cut_inside) << cut;
        EXPECT_TRUE(!r.truncated || names_an_offset(*r.truncated)) << *r.truncated;
      }
      if (legacy) {
        auto r = record::read_message_set(prefix);
        ASSERT_FALSE(r.error.has_value()) << cut << ": " << r.error->message;
        EXPECT_EQ(r.bytes_read, whole_bytes) << cut;
        EXPECT_EQ(r.truncated.has_value(), cut_inside) << cut;
        EXPECT_TRUE(!r.truncated || names_an_offset(*r.truncated)) << *r.truncated;
      }
    }
  }
  std::cout << "[ fuzz ] " << prefixes << " prefixes of the record batch corpus\n";
}

struct flip_counts {
  std::size_t rejected = 0;       // error (CRC mismatch included) or a cut entry
  std::size_t caught_in_crc = 0;  // flips inside the first entry's checksummed part: all caught
  std::size_t decoded = 0;        // still valid (e.g. a flipped offset, outside the CRC)
  std::size_t shown_with_bad_crc = 0;  // decoded with fail_on_crc_mismatch false, crc_ok false
};

// 10,000 inputs, each a corpus file of the reader's kind with 1 to 3 random bits flipped
// anywhere. Flips that all land in the first entry's checksummed part (v2: magic to the end,
// KIP-98; legacy: CRC to the end) must fail it: a CRC-32 or CRC32C catches every error of up to
// 3 bits at these sizes. Every message names an offset.
template <class Read, class Shown>
flip_counts flip_bytes(bool legacy, Read read, Shown shown, std::uint32_t seed) {
  std::vector<bytes> files;
  for (auto& [name, data] : corpus()) {
    if (all_magic(entries_of(data), legacy)) files.push_back(data);
  }
  EXPECT_FALSE(files.empty());
  flip_counts counts;
  if (files.empty()) return counts;
  std::mt19937 random(seed);
  std::size_t checked_from = legacy ? 12 : record::magic_offset;
  for (int i = 0; i < 10'000; ++i) {
    const bytes& original = files[random() % files.size()];
    bytes data = original;
    std::size_t first_end = entries_of(original).ends.front();
    bool all_in_crc = true;
    int flips = 1 + static_cast<int>(random() % 3);
    for (int f = 0; f < flips; ++f) {
      std::size_t at = random() % data.size();
      data[at] = static_cast<std::uint8_t>(data[at] ^ (1u << (random() % 8)));
      all_in_crc = all_in_crc && at >= checked_from && at < first_end;
    }
    decode_record_batches(data.data(), data.size());
    auto [error, truncated] = read(data);
    EXPECT_TRUE(!error || names_an_offset(*error)) << *error;
    EXPECT_TRUE(!truncated || names_an_offset(*truncated)) << *truncated;
    if (data == original) continue;  // two flips of one bit undo each other
    if (all_in_crc) {
      EXPECT_TRUE(error.has_value()) << "flips in the checksummed part went unnoticed, " << i;
      ++counts.caught_in_crc;
    }
    if (error || truncated) {
      ++counts.rejected;
    } else {
      ++counts.decoded;
    }
    if (shown(data)) ++counts.shown_with_bad_crc;
  }
  return counts;
}

using outcome = std::pair<std::optional<std::string>, std::optional<std::string>>;

TEST(RecordBatchFuzzReplay, TenThousandByteFlipsOfRecordBatches) {
  auto counts = flip_bytes(
      false,
      [](const bytes& data) {
        auto r = record::read_batches(data);
        return outcome{r.error ? std::optional(r.error->message) : std::nullopt, r.truncated};
      },
      [](const bytes& data) {
        record::read_options show;
        show.fail_on_crc_mismatch = false;
        auto r = record::read_batches(data, show);
        for (const auto& b : r.batches) {
          if (!b.crc_ok()) return true;
        }
        return false;
      },
      20261122);
  EXPECT_GT(counts.caught_in_crc, 1000u);
  std::cout << "[ fuzz ] 10000 mutated record batch sets, no crash: " << counts.rejected
            << " rejected with an offset (" << counts.caught_in_crc
            << " with every flip under the CRC, all caught), " << counts.decoded << " still valid, "
            << counts.shown_with_bad_crc << " decoded with crc_ok false when asked to show them\n";
}

TEST(RecordBatchFuzzReplay, TenThousandByteFlipsOfLegacyMessageSets) {
  auto counts = flip_bytes(
      true,
      [](const bytes& data) {
        auto r = record::read_message_set(data);
        return outcome{r.error ? std::optional(r.error->message) : std::nullopt, r.truncated};
      },
      [](const bytes& data) {
        record::read_options show;
        show.fail_on_crc_mismatch = false;
        auto r = record::read_message_set(data, show);
        for (const auto& m : r.messages) {
          if (!m.crc_ok()) return true;
        }
        return false;
      },
      20261123);
  EXPECT_GT(counts.caught_in_crc, 1000u);
  std::cout << "[ fuzz ] 10000 mutated legacy message sets, no crash: " << counts.rejected
            << " rejected with an offset (" << counts.caught_in_crc
            << " with every flip under the CRC, all caught), " << counts.decoded << " still valid, "
            << counts.shown_with_bad_crc << " decoded with crc_ok false when asked to show them\n";
}

}  // namespace
}  // namespace kpipe::fuzz
