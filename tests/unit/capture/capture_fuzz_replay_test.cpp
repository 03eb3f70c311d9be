// The capture fuzz targets as ordinary tests: the stored corpora replay, then random byte flips
// and cuts of each corpus file. Under the sanitizer build this is where a crash or an
// out-of-bounds read would show.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>

#include "capture_fuzz_targets.hpp"

namespace kpipe::fuzz {
namespace {

std::vector<std::vector<std::uint8_t>> corpus(const char* name) {
  std::vector<std::vector<std::uint8_t>> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(KPIPE_FUZZ_CORPUS_DIR) + "/" + name)) {
    std::ifstream in(entry.path(), std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

template <class Target>
void replay_and_mutate(const char* name, Target target, std::size_t expect_lines_from_some) {
  auto files = corpus(name);
  ASSERT_FALSE(files.empty());
  std::size_t most = 0;
  for (const auto& f : files) most = std::max(most, target(f.data(), f.size()));
  EXPECT_GE(most, expect_lines_from_some);
  std::mt19937 random(4242);
  std::size_t runs = 0;
  for (int i = 0; i < 3000; ++i) {
    auto bytes = files[random() % files.size()];
    if (bytes.empty()) continue;
    int flips = 1 + static_cast<int>(random() % 8);
    for (int k = 0; k < flips; ++k) {
      bytes[random() % bytes.size()] = static_cast<std::uint8_t>(random());
    }
    if (random() % 4 == 0) bytes.resize(random() % bytes.size());
    target(bytes.data(), bytes.size());
    ++runs;
  }
  std::cout << "[ fuzz ] " << name << ": " << files.size() << " corpus files, " << runs
            << " mutations\n";
}

TEST(CaptureFuzzReplay, PcapCorpusAndMutations) { replay_and_mutate("pcap", decode_pcap, 4); }

TEST(CaptureFuzzReplay, TcpReassemblyCorpusAndMutations) {
  replay_and_mutate("tcp_reassembly", reassemble_tcp, 4);
}

}  // namespace
}  // namespace kpipe::fuzz
