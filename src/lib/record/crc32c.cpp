#include "record/crc32c.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

#ifndef KPIPE_CRC32C_PORTABLE
#include <isa-l/crc.h>
#endif

namespace kpipe::record {
namespace {

constexpr std::uint32_t reflected_polynomial = 0x82F63B78u;

// tables[k][b]: the CRC of byte b followed by k zero bytes, for slicing-by-8.
using crc_tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr crc_tables make_tables() {
  crc_tables t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ ((c & 1u) ? reflected_polynomial : 0u);
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  }
  return t;
}

constexpr crc_tables tables = make_tables();

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::uint8_t> data, std::uint32_t crc) {
  // The register holds the inverted CRC between calls' pre- and post-inversion.
  std::uint32_t c = ~crc;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    // Bytes are combined one by one (not loaded as a word) so that the code is independent of
    // the host's byte order and alignment; compilers turn this into a single load on x86.
    std::uint32_t lo =
        c ^ (static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
             static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24);
    c = tables[7][lo & 0xFF] ^ tables[6][(lo >> 8) & 0xFF] ^ tables[5][(lo >> 16) & 0xFF] ^
        tables[4][lo >> 24] ^ tables[3][p[4]] ^ tables[2][p[5]] ^ tables[1][p[6]] ^ tables[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xFF];
  return ~c;
}

std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc) {
#ifdef KPIPE_CRC32C_PORTABLE
  return crc32c_portable(data, crc);
#else
  // ISA-L's crc32_iscsi neither inverts its initial value nor its result (iSCSI callers pass
  // 0xFFFFFFFF and invert themselves), so the standard CRC32C is ~crc32_iscsi(data, ~crc). Its
  // length is an int: feed buffers of 2 GiB and more in pieces.
  std::uint32_t c = ~crc;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  constexpr std::size_t piece = std::size_t{1} << 30;
  while (n > 0) {
    std::size_t len = std::min(n, piece);
    // crc32_iscsi takes a non-const pointer but only reads.
    c = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(len), c);
    p += len;
    n -= len;
  }
  return ~c;
#endif
}

}  // namespace kpipe::record
