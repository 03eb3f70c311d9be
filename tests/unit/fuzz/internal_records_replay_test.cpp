// The internal-records fuzz target as ordinary tests: the stored corpus (one record of each kind a
// Kafka 4.1 broker wrote to __consumer_offsets and __transaction_state for kpipe's groups and
// transactions), every prefix of each file, and random byte flips. Under the sanitizer build a
// crash or an out-of-bounds read shows here; the target itself traps on output that is not one
// object or a failure without a reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fuzz_targets.hpp"

namespace kpipe::fuzz {
namespace {

using bytes = std::vector<std::uint8_t>;

std::map<std::string, bytes> internal_records_corpus() {
  std::map<std::string, bytes> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(KPIPE_FUZZ_CORPUS_DIR "/internal_records")) {
    std::ifstream in(entry.path(), std::ios::binary);
    files[entry.path().filename().string()] = {std::istreambuf_iterator<char>(in),
                                               std::istreambuf_iterator<char>()};
  }
  return files;
}

TEST(InternalRecordsFuzzReplay, CorpusPrefixesAndMutations) {
  auto files = internal_records_corpus();
  ASSERT_GE(files.size(), 10u);
  std::mt19937 rng(848);
  for (const auto& [name, data] : files) {
    SCOPED_TRACE(name);
    EXPECT_GT(decode_internal_records(data.data(), data.size()), 0u);
    for (std::size_t n = 0; n <= data.size(); ++n) decode_internal_records(data.data(), n);
    for (int round = 0; round < 3000; ++round) {
      bytes copy = data;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f)
        copy[rng() % copy.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
      decode_internal_records(copy.data(), copy.size());
    }
  }
}

}  // namespace
}  // namespace kpipe::fuzz
