// The reassembler against reordered, duplicated, overlapping and dropped segments: whatever
// arrives, the reader sees each byte once, in order, and every hole as a gap of its length.
#include "capture/tcp_reassembler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace kpipe::capture {
namespace {

struct recorder {
  std::string text;  // bytes as they came, '#' per lost byte
  tcp_reassembler::sink sink() {
    return {[this](std::span<const std::uint8_t> b) { text.append(b.begin(), b.end()); },
            [this](std::uint64_t n) { text.append(static_cast<std::size_t>(n), '#'); }};
  }
};

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(TcpReassembler, InOrderAfterSyn) {
  recorder r;
  tcp_reassembler t(r.sink());
  t.add(99, true, {});
  t.add(100, false, as_bytes("hello "));
  t.add(106, false, as_bytes("world"));
  EXPECT_EQ(r.text, "hello world");
  EXPECT_EQ(t.position(), 11u);
}

TEST(TcpReassembler, ReorderedDuplicatedAndOverlapping) {
  recorder r;
  tcp_reassembler t(r.sink());
  t.add(0xfffffffe, true, {});  // the sequence numbers wrap past 2^32
  std::string text = "abcdefghijklmnop";
  auto piece = [&](std::size_t at, std::size_t n) {
    t.add(static_cast<std::uint32_t>(0xffffffffu + at), false, as_bytes(text.substr(at, n)));
  };
  piece(4, 4);   // efgh, ahead of a hole
  piece(4, 4);   // duplicated while held
  piece(6, 6);   // ghijkl overlaps the held one
  piece(0, 2);   // ab
  piece(0, 2);   // a retransmission of delivered bytes
  piece(1, 4);   // bcde overlaps delivered bytes and the held
  piece(12, 4);  // mnop
  EXPECT_EQ(r.text, text);
  EXPECT_EQ(t.buffered(), 0u);
}

TEST(TcpReassembler, DroppedSegmentIsAGapAtFlush) {
  recorder r;
  tcp_reassembler t(r.sink());
  t.add(0, true, {});
  t.add(1, false, as_bytes("abc"));
  t.add(7, false, as_bytes("ghi"));  // def never arrives
  EXPECT_EQ(r.text, "abc");
  t.flush();
  EXPECT_EQ(r.text, "abc###ghi");
  t.add(4, false, as_bytes("def"));  // too late: already given up
  EXPECT_EQ(r.text, "abc###ghi");
}

TEST(TcpReassembler, BufferLimitGivesUpAHole) {
  recorder r;
  tcp_reassembler t(r.sink(), 4);
  t.add(0, true, {});
  t.add(3, false, as_bytes("cde"));
  EXPECT_EQ(r.text, "");
  t.add(6, false, as_bytes("fg"));  // 5 bytes held > 4: the hole (ab) is given up
  EXPECT_EQ(r.text, "##cdefg");
}

TEST(TcpReassembler, MidConnectionStartsAtTheFirstData) {
  recorder r;
  tcp_reassembler t(r.sink());
  t.add(5000, false, {});  // a bare ACK
  t.add(5000, false, as_bytes("xyz"));
  t.add(4990, false, as_bytes("0123456789xy"));  // from before the start, overlapping it
  t.add(5003, false, as_bytes("!"));
  EXPECT_EQ(r.text, "xyz!");
}

TEST(TcpReassembler, SnappedBytesAreAGapAtOnce) {
  recorder r;
  tcp_reassembler t(r.sink());
  t.add(0, true, {});
  t.add(1, false, as_bytes("ab"), 3);  // "abcde" on the wire, "cde" cut by the snap length
  EXPECT_EQ(r.text, "ab###");          // at once, not at the next acknowledgment or flush
  t.add(9, false, as_bytes("ij"), 2);  // ahead of a hole ("fgh"): held with its cut tail
  EXPECT_EQ(r.text, "ab###");
  t.add(6, false, as_bytes("fgh"));
  EXPECT_EQ(r.text, "ab###fghij##");
  t.add(1, false, as_bytes("abcde"));  // a whole copy of delivered bytes: too late
  t.add(13, false, {}, 4);             // every payload byte cut
  EXPECT_EQ(r.text, "ab###fghij######");
  EXPECT_EQ(t.position(), 16u);
  EXPECT_EQ(t.buffered(), 0u);
  // The same segment held cut, then captured whole: the whole one wins; and the other way.
  for (bool whole_first : {false, true}) {
    recorder r2;
    tcp_reassembler t2(r2.sink());
    t2.add(0, true, {});
    if (!whole_first) t2.add(4, false, as_bytes("d"), 2);
    t2.add(4, false, as_bytes("def"));
    if (whole_first) t2.add(4, false, as_bytes("d"), 2);
    t2.add(1, false, as_bytes("abc"));
    EXPECT_EQ(r2.text, "abcdef") << whole_first;
  }
}

TEST(TcpReassembler, RandomShufflesAndDropsAtEveryCut) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + i % 26);
  std::mt19937 random(1312);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    // Segments of 1-17 bytes, shuffled within a window of 5, some sent twice, one dropped.
    std::vector<std::pair<std::size_t, std::size_t>> segments;
    for (std::size_t at = 0; at < cut;) {
      std::size_t n = std::min<std::size_t>(1 + random() % 17, cut - at);
      segments.emplace_back(at, n);
      at += n;
    }
    std::size_t dropped = segments.empty() ? 0 : random() % segments.size();
    bool drop = !segments.empty() && random() % 2;
    std::string expected = text.substr(0, cut);
    if (drop) {
      auto [at, n] = segments[dropped];
      if (at + n == cut) {
        expected.resize(at);  // a dropped tail is never known to be missing
      } else {
        std::fill(expected.begin() + static_cast<std::ptrdiff_t>(at),
                  expected.begin() + static_cast<std::ptrdiff_t>(at + n), '#');
      }
    }
    auto order = segments;
    if (drop) order.erase(order.begin() + static_cast<std::ptrdiff_t>(dropped));
    for (std::size_t i = 0; i + 1 < order.size(); ++i) {
      std::size_t j = i + random() % std::min<std::size_t>(5, order.size() - i);
      std::swap(order[i], order[j]);
    }
    if (!order.empty()) order.push_back(order[random() % order.size()]);
    recorder r;
    tcp_reassembler t(r.sink());
    t.add(41, true, {});
    for (auto [at, n] : order) {
      t.add(static_cast<std::uint32_t>(42 + at), false, as_bytes(text.substr(at, n)));
    }
    t.flush();
    ASSERT_EQ(r.text, expected) << "cut " << cut;
  }
}

}  // namespace
}  // namespace kpipe::capture
