// The fuzz targets as ordinary tests: the stored corpus replays, then every prefix of valid
// frames and 10,000 random byte flips run through each decoder. Under the sanitizer build this
// is where a crash or an out-of-bounds read would show.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>

#include "fuzz_targets.hpp"
#include "protocol/frame_json.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/header.hpp"
#include "protocol_roundtrip.hpp"

namespace kpipe::fuzz {
namespace {

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A request frame (size, header v1/v2, body) for every sample.
std::vector<std::vector<std::uint8_t>> sample_frames() {
  std::vector<std::vector<std::uint8_t>> frames;
  std::int32_t correlation = 1;
  for (const auto& c : protocol::testing_support::all_roundtrip_cases()) {
    if (c.api_key < 0 || c.direction != "request") continue;
    auto sample = c.make_sample(c.version);
    protocol::writer w;
    auto at = w.reserve_i32();
    protocol::header::request h;
    h.request_api_key = c.api_key;
    h.request_api_version = c.version;
    h.correlation_id = correlation++;
    h.client_id = "fuzz";
    h.encode(w, protocol::request_header_version(c.api_key, c.version));
    w.raw(sample.body);
    w.patch_i32(at, static_cast<std::int32_t>(w.size() - 4));
    frames.push_back(w.take());
  }
  return frames;
}

TEST(FuzzReplay, FrameCorpus) {
  std::size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(KPIPE_FUZZ_CORPUS_DIR "/frames")) {
    auto bytes = read_file(entry.path());
    decode_frames(bytes.data(), bytes.size());
    ++replayed;
  }
  EXPECT_GT(replayed, 0u);
  std::cout << "[ fuzz ] replayed " << replayed << " frame corpus files\n";
}

TEST(FuzzReplay, EveryPrefixOfEveryRequestFailsWithAnOffset) {
  std::size_t prefixes = 0;
  for (const auto& frame : sample_frames()) {
    for (std::size_t cut = 1; cut < frame.size(); ++cut) {
      std::string out;
      auto errors = protocol::frame_decoder().decode_stream({frame.data(), cut}, out);
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_NE(errors[0].find("offset"), std::string::npos) << errors[0];
      EXPECT_TRUE(out.empty());
      ++prefixes;
    }
  }
  std::cout << "[ fuzz ] " << prefixes << " truncated frames rejected with an offset\n";
}

TEST(FuzzReplay, TenThousandByteFlipsOfFrames) {
  auto frames = sample_frames();
  std::mt19937 random(20261122);
  std::size_t rejected = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto frame = frames[random() % frames.size()];
    int flips = 1 + static_cast<int>(random() % 3);
    for (int f = 0; f < flips; ++f) {
      // Flip header and body bytes; a flipped size prefix only ends the stream early.
      std::size_t at = 4 + random() % (frame.size() - 4);
      frame[at] = static_cast<std::uint8_t>(frame[at] ^ (1u << (random() % 8)));
    }
    std::string out;
    auto errors = protocol::frame_decoder().decode_stream(frame, out);
    for (const auto& e : errors) EXPECT_NE(e.find("offset"), std::string::npos) << e;
    rejected += errors.empty() ? 0 : 1;
    decode_frames(frame.data(), frame.size());
  }
  std::cout << "[ fuzz ] 10000 mutated frames, no crash: " << rejected
            << " rejected with an offset, the rest still valid frames\n";
}

}  // namespace
}  // namespace kpipe::fuzz
