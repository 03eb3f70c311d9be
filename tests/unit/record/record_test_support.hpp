#pragma once
// Helpers shared by the record layer's tests: byte strings, hex fixtures, deterministic data.

#include <cctype>
#include <cstdint>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "record/record.hpp"

namespace kpipe::record::testing_support {

using bytes = std::vector<std::uint8_t>;

inline bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

inline std::string to_string(bytes_view b) { return std::string(b.begin(), b.end()); }

inline bytes_view view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Reads a fixture of tests/support/data written as hex (whitespace and lines starting with '#'
// ignored).
inline bytes read_hex_fixture(const std::string& name) {
  std::ifstream in(std::string(KPIPE_TEST_DATA_DIR) + "/" + name);
  bytes out;
  if (!in) return out;
  std::string line;
  std::string hex;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    for (char c : line) {
      if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
    }
  }
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Random bytes from a fixed seed: the same data on every run.
inline bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Text-like data that compresses (about 4:1), from a fixed seed.
inline bytes compressible_bytes(std::size_t n, std::uint32_t seed) {
  static constexpr std::string_view words[] = {
      "kafka ", "record ", "batch ", "offset ", "{\"id\":", "\"value\"", ",", "}\n", "partition "};
  std::mt19937 rng(seed);
  bytes out;
  out.reserve(n + 16);
  while (out.size() < n) {
    auto w = words[rng() % std::size(words)];
    out.insert(out.end(), w.begin(), w.end());
    out.push_back(static_cast<std::uint8_t>('0' + rng() % 10));
  }
  out.resize(n);
  return out;
}

}  // namespace kpipe::record::testing_support
