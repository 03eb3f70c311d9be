// The log segment fuzz target as ordinary tests: the stored corpus (a real Kafka 4.1 segment with
// a committed transaction, a gzip batch written by kcat), every prefix of each file, and random
// byte flips. Under the sanitizer build a crash or an out-of-bounds read shows here.
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

std::map<std::string, bytes> segment_corpus() {
  std::map<std::string, bytes> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(KPIPE_FUZZ_CORPUS_DIR "/log_segment")) {
    std::ifstream in(entry.path(), std::ios::binary);
    files[entry.path().filename().string()] = {std::istreambuf_iterator<char>(in),
                                               std::istreambuf_iterator<char>()};
  }
  return files;
}

TEST(LogSegmentFuzzReplay, CorpusPrefixesAndMutations) {
  auto files = segment_corpus();
  ASSERT_FALSE(files.empty());
  std::mt19937 rng(13);
  for (const auto& [name, data] : files) {
    SCOPED_TRACE(name);
    EXPECT_GT(decode_log_segment(data.data(), data.size()), 0u);
    for (std::size_t n = 0; n <= data.size(); ++n) decode_log_segment(data.data(), n);
    for (int round = 0; round < 2000; ++round) {
      bytes copy = data;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f)
        copy[rng() % copy.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
      decode_log_segment(copy.data(), copy.size());
    }
  }
}

}  // namespace
}  // namespace kpipe::fuzz
