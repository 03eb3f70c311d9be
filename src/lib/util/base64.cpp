#include "util/base64.hpp"

#include <array>
#include <cstring>

namespace kpipe::util {
namespace {

constexpr char standard_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(standard_alphabet[i])] = static_cast<std::int8_t>(i);
    t[static_cast<unsigned char>(url_alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}
constexpr auto decode_table = make_decode_table();

// Two output characters per 12 input bits, so that each 3-byte group costs two lookups.
using pair_table = std::array<std::array<char, 2>, 4096>;
constexpr pair_table make_pair_table(const char* alphabet) {
  pair_table t{};
  for (int i = 0; i < 4096; ++i)
    t[static_cast<std::size_t>(i)] = {alphabet[i >> 6], alphabet[i & 63]};
  return t;
}
constexpr pair_table standard_pairs = make_pair_table(standard_alphabet);
constexpr pair_table url_pairs = make_pair_table(url_alphabet);

}  // namespace

void append_base64(std::string& out, std::span<const std::uint8_t> data, bool url_safe) {
  const char* alphabet = url_safe ? url_alphabet : standard_alphabet;
  // Sized once and written through a pointer: record values of many MB pass through here
  // (decode --pcap, consume -J), and a capacity check per character cost more than the coding.
  std::size_t full = data.size() / 3;
  std::size_t left = data.size() - full * 3;
  std::size_t tail = left == 0 ? 0 : (url_safe ? left + 1 : 4);
  std::size_t at = out.size();
  out.resize(at + full * 4 + tail);
  char* o = out.data() + at;
  const std::uint8_t* in = data.data();
  const pair_table& pairs = url_safe ? url_pairs : standard_pairs;
  for (std::size_t g = 0; g < full; ++g, in += 3, o += 4) {
    std::uint32_t n = std::uint32_t{in[0]} << 16 | std::uint32_t{in[1]} << 8 | in[2];
    std::memcpy(o, pairs[n >> 12].data(), 2);
    std::memcpy(o + 2, pairs[n & 0xfff].data(), 2);
  }
  if (left == 0) return;
  std::uint32_t n = std::uint32_t{in[0]} << 16;
  if (left == 2) n |= std::uint32_t{in[1]} << 8;
  *o++ = alphabet[(n >> 18) & 63];
  *o++ = alphabet[(n >> 12) & 63];
  if (left == 2) *o++ = alphabet[(n >> 6) & 63];
  if (!url_safe) {
    if (left == 1) *o++ = '=';
    *o = '=';
  }
}

std::string base64(std::span<const std::uint8_t> data, bool url_safe) {
  std::string out;
  append_base64(out, data, url_safe);
  return out;
}

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
  // Padding is optional, but when present it must complete the last group of four.
  std::size_t padding = 0;
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (padding > 2 || (text.size() + padding) % 4 != 0)) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    std::int8_t v = decode_table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Bits left over must be zero: "Zh==" is not a spelling of "f".
  if (acc != 0) return std::nullopt;
  return out;
}

void append_hex(std::string& out, std::span<const std::uint8_t> data) {
  static constexpr char hex[] = "0123456789abcdef";
  for (auto b : data) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
}

}  // namespace kpipe::util
