// produce's record splitting: tables of edge cases, a randomized comparison with a reference
// split (random delimiters of 1-4 bytes, random read sizes), the record-size cap and skipping,
// and binary input split at NUL.
#include "input/delimited_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace kpipe::cli {
namespace {

using namespace std::string_literals;

struct outcome {
  std::vector<std::string> records;
  std::vector<std::uint64_t> numbers;  // record_number() after each record
  std::optional<std::string> error;
  std::size_t fed = 0;  // bytes committed before the run stopped
};

// The read loop a producer runs, with read() replaced by copying the next chunk of `input`; the
// chunk size comes from `read_size` (called once per read, so it may vary).
template <class ReadSize>
outcome feed(delimited_reader& reader, std::string_view input, ReadSize read_size,
             std::size_t min_free = 64 << 10, bool skip_errors = false) {
  outcome out;
  auto take = [&](std::string_view record) {
    out.records.emplace_back(record);
    out.numbers.push_back(reader.record_number());
  };
  auto handle_error = [&] {
    if (!reader.error()) return false;
    if (!skip_errors) {
      out.error = reader.error()->message;
      return true;
    }
    reader.skip_record();
    return false;
  };
  std::size_t at = 0;
  for (;;) {
    auto space = reader.prepare(min_free);
    std::size_t n = std::min({space.size(), input.size() - at, read_size()});
    if (n == 0) break;
    std::memcpy(space.data(), input.data() + at, n);
    at += n;
    reader.commit(n);
    out.fed = at;
    for (;;) {
      while (auto record = reader.next()) take(*record);
      if (!handle_error()) break;
      return out;
    }
  }
  for (;;) {
    while (auto record = reader.finish()) take(*record);
    if (!handle_error()) break;
    return out;
  }
  return out;
}

outcome feed_all(std::string delimiter, std::string_view input, std::size_t read_size) {
  delimited_reader reader(std::move(delimiter), 16);
  return feed(reader, input, [&] { return read_size; });
}

// The definition: pieces between leftmost non-overlapping delimiters; a last empty piece (input
// ending with the delimiter, or empty input) is not a record.
std::vector<std::string> reference_split(std::string_view input, std::string_view delimiter) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    std::size_t at = input.find(delimiter, from);
    if (at == std::string_view::npos) break;
    out.emplace_back(input.substr(from, at - from));
    from = at + delimiter.size();
  }
  if (from < input.size()) out.emplace_back(input.substr(from));
  return out;
}

using records = std::vector<std::string>;

TEST(DelimitedReader, SplitsEdgeCases) {
  struct row {
    std::string delimiter;
    std::string input;
    records expected;
  };
  for (const auto& [delimiter, input, expected] : {
           row{"\n", "", {}},
           row{"\n", "a\n", {"a"}},
           row{"\n", "a", {"a"}},
           row{"\n", "\n", {""}},
           row{"\n", "\n\n", {"", ""}},
           row{"\n", "a\n\nb", {"a", "", "b"}},
           row{"\n", "one\ntwo\nthree\n", {"one", "two", "three"}},
           row{"\r\n", "a\r\nb\r\n", {"a", "b"}},
           row{"\r\n", "a\rb\nc\r\n", {"a\rb\nc"}},
           row{"\r\n", "a\r", {"a\r"}},  // a partial delimiter at EOF is data
           row{"--", "a--b----c--", {"a", "b", "", "c"}},
           row{"aa", "aaa", {"", "a"}},  // leftmost, non-overlapping
           row{"aa", "aaaa", {"", ""}},
           row{"aab", "aaab", {"a"}},
           row{"\0"s, "x\0y\0\0z"s, {"x", "y", "", "z"}},
           row{"END", "ENDEN", {"", "EN"}},
       }) {
    for (std::size_t read_size : {1, 2, 3, 5, 64 << 10}) {
      auto out = feed_all(delimiter, input, read_size);
      EXPECT_FALSE(out.error.has_value());
      EXPECT_EQ(out.records, expected) << "input '" << input << "' read size " << read_size;
    }
  }
}

TEST(DelimitedReader, NumbersRecordsFromOne) {
  delimited_reader reader("\n", 8);
  EXPECT_EQ(reader.record_number(), 0u);
  auto out = feed(reader, "a\n\nb\nlast", [] { return std::size_t{3}; });
  EXPECT_EQ(out.records, (records{"a", "", "b", "last"}));
  EXPECT_EQ(out.numbers, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(reader.record_number(), 4u);
  EXPECT_FALSE(reader.finish().has_value());  // finish() after the rest: nothing more
  EXPECT_FALSE(reader.next().has_value());
}

TEST(DelimitedReader, FindsADelimiterSplitAcrossReads) {
  delimited_reader reader("<|>", 64);
  auto put = [&](std::string_view bytes) {
    auto space = reader.prepare(bytes.size());
    ASSERT_GE(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    reader.commit(bytes.size());
  };
  put("one<");
  EXPECT_FALSE(reader.next().has_value());
  put("|");
  EXPECT_FALSE(reader.next().has_value());
  put(">two<|");
  auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, "one");
  EXPECT_FALSE(reader.next().has_value());
  put("x>");  // "<|x>" is not the delimiter
  EXPECT_FALSE(reader.next().has_value());
  auto rest = reader.finish();
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(*rest, "two<|x>");
}

TEST(DelimitedReader, ViewsOfOneBatchStayValidUntilPrepare) {
  delimited_reader reader("\n", 64);
  std::string input = "alpha\nbeta\ngamma\n";
  auto space = reader.prepare(input.size());
  std::memcpy(space.data(), input.data(), input.size());
  reader.commit(input.size());
  std::vector<std::string_view> views;
  while (auto record = reader.next()) views.push_back(*record);
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0], "alpha");
  EXPECT_EQ(views[1], "beta");
  EXPECT_EQ(views[2], "gamma");
}

TEST(DelimitedReader, FinishDrainsCompleteRecordsFirst) {
  delimited_reader reader("\n", 64);
  std::string input = "a\nb\nc";
  auto space = reader.prepare(input.size());
  std::memcpy(space.data(), input.data(), input.size());
  reader.commit(input.size());
  records got;
  while (auto record = reader.finish()) got.emplace_back(*record);
  EXPECT_EQ(got, (records{"a", "b", "c"}));
}

TEST(DelimitedReader, CommitIsClampedToThePreparedSpace) {
  delimited_reader reader("\n", 4);
  auto space = reader.prepare(4);
  ASSERT_EQ(space.size(), 4u);
  std::memcpy(space.data(), "ab\nc", 4);
  reader.commit(1000);
  auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, "ab");
  auto rest = reader.finish();
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(*rest, "c");
}

TEST(DelimitedReader, EmptyDelimiterMakesOneRecord) {
  auto out = feed_all("", "a\nb\n", 2);
  EXPECT_EQ(out.records, (records{"a\nb\n"}));
  EXPECT_TRUE(feed_all("", "", 2).records.empty());
}

TEST(DelimitedReader, MatchesAReferenceSplitOnRandomInput) {
  std::mt19937_64 rng(20260417);
  auto uniform = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  // A small alphabet (NUL included) makes delimiters, their prefixes and overlaps frequent.
  const std::string alphabet = "ab\n\0\r"s;
  const std::size_t read_limits[] = {1, 2, 3, 7, 100, 4096, 65536};
  for (int iteration = 0; iteration < 400; ++iteration) {
    std::string delimiter;
    for (std::size_t i = uniform(1, 4); i > 0; --i) delimiter += alphabet[uniform(0, 4)];
    std::string input;
    std::size_t length = uniform(0, iteration % 10 == 0 ? 200'000 : 5'000);
    input.reserve(length);
    for (std::size_t i = 0; i < length; ++i) {
      // Mostly letters so records have some length, with delimiter bytes sprinkled in.
      input +=
          uniform(0, 9) < 7 ? static_cast<char>('a' + uniform(0, 25)) : alphabet[uniform(0, 4)];
    }
    std::size_t read_limit = read_limits[uniform(0, std::size(read_limits) - 1)];
    if (read_limit == 1 && length > 20'000) read_limit = 3;  // keep the test quick
    delimited_reader reader(delimiter, uniform(0, 3) == 0 ? 0 : uniform(1, 1 << 16));
    auto out = feed(
        reader, input, [&] { return uniform(1, read_limit); }, uniform(1, 1 << 16));
    auto expected = reference_split(input, delimiter);
    ASSERT_FALSE(out.error.has_value());
    ASSERT_EQ(out.records.size(), expected.size()) << "iteration " << iteration;
    ASSERT_EQ(out.records, expected) << "iteration " << iteration;
    for (std::size_t i = 0; i < out.numbers.size(); ++i) ASSERT_EQ(out.numbers[i], i + 1);
  }
}

TEST(DelimitedReader, SplitsBinaryInputAtNul) {
  std::mt19937_64 rng(7);
  std::string input;
  for (int i = 0; i < 300'000; ++i) input += static_cast<char>(rng() & 0xff);
  for (std::string delimiter : {"\0"s, "\0\xff"s}) {
    for (std::size_t read_size : {1 + 0ul, 13ul, 65536ul}) {
      delimited_reader reader(delimiter, 1024);
      auto out = feed(reader, input, [&] { return read_size; });
      auto expected = reference_split(input, delimiter);
      // About one record per 256 bytes for "\0", one per 64 KiB for "\0\xff".
      ASSERT_GT(expected.size(), delimiter.size() == 1 ? 1000u : 3u);
      EXPECT_EQ(out.records, expected) << "read size " << read_size;
    }
  }
}

TEST(DelimitedReader, RefusesARecordOverTheCap) {
  for (std::size_t read_size : {1ul, 4ul, 65536ul}) {
    delimited_reader reader("\n", 16);
    reader.set_max_record_bytes(5);
    auto out = feed(reader, "abc\nabcde\nabcdef\nxy\n", [&] { return read_size; });
    EXPECT_EQ(out.records, (records{"abc", "abcde"})) << read_size;
    ASSERT_TRUE(out.error.has_value());
    EXPECT_EQ(*out.error, "input record 3 is longer than the limit of 5 bytes");
    EXPECT_EQ(reader.error()->kind, error_kind::io);
    // Failed is sticky, and a read loop that ignores error() sees EOF, not a hang.
    EXPECT_TRUE(reader.prepare().empty());
    EXPECT_FALSE(reader.next().has_value());
    EXPECT_FALSE(reader.finish().has_value());
  }
}

TEST(DelimitedReader, CapCountsNeitherTheDelimiterNorAPartialOne) {
  // A record of exactly the cap is accepted even when its multi-byte delimiter arrives one byte
  // at a time; one byte more is refused.
  for (std::size_t read_size : {1ul, 2ul, 100ul}) {
    delimited_reader reader("<=>", 4);
    reader.set_max_record_bytes(4);
    auto ok = feed(reader, "abcd<=>wxyz<=>", [&] { return read_size; });
    EXPECT_EQ(ok.records, (records{"abcd", "wxyz"}));
    EXPECT_FALSE(ok.error.has_value());

    delimited_reader strict("<=>", 4);
    strict.set_max_record_bytes(4);
    auto refused = feed(strict, "abcd<=>abcde<=>", [&] { return read_size; });
    EXPECT_EQ(refused.records, (records{"abcd"}));
    EXPECT_EQ(refused.error, "input record 2 is longer than the limit of 4 bytes");
  }
}

TEST(DelimitedReader, CapAppliesToTheUnterminatedRest) {
  delimited_reader reader("\n", 4);
  reader.set_max_record_bytes(3);
  auto out = feed(reader, "abc\nabcd", [] { return std::size_t{64}; });
  EXPECT_EQ(out.records, (records{"abc"}));
  EXPECT_EQ(out.error, "input record 2 is longer than the limit of 3 bytes");
}

TEST(DelimitedReader, StopsBufferingAnEndlessRecordAtTheCap) {
  // 64 MiB without a delimiter: the reader must fail after about cap + one read, not buffer it.
  const std::size_t cap = 100'000;
  const std::size_t read_size = 4096;
  delimited_reader reader("\n", 4096);
  reader.set_max_record_bytes(cap);
  std::string chunk(read_size, 'x');
  std::size_t fed = 0;
  std::size_t largest_span = 0;
  while (fed < (64u << 20) && !reader.error()) {
    auto space = reader.prepare(read_size);
    largest_span = std::max(largest_span, space.size());
    std::size_t n = std::min(space.size(), read_size);
    std::memcpy(space.data(), chunk.data(), n);
    reader.commit(n);
    fed += n;
    EXPECT_FALSE(reader.next().has_value());
  }
  ASSERT_TRUE(reader.error().has_value());
  EXPECT_EQ(reader.error()->message, "input record 1 is longer than the limit of 100000 bytes");
  EXPECT_LE(fed, cap + read_size);
  EXPECT_LE(largest_span, 2 * (cap + read_size));
}

TEST(DelimitedReader, SkipsARecordOverTheCapWithoutBufferingIt) {
  // --on-error skip: a 4 MiB line between two short ones is dropped while the buffer stays at
  // its initial size, and line numbers keep counting it.
  std::string input = "first\n" + std::string(4u << 20, 'x') + "\nthird\r\nfourth";
  for (std::string delimiter : {"\n"s, "\r\n"s}) {
    std::string text = input;
    if (delimiter == "\r\n") {
      text = "first\r\n" + std::string(4u << 20, 'x') + "\r\nthird\r\nfourth";
    }
    delimited_reader reader(delimiter, 64 << 10);
    reader.set_max_record_bytes(1000);
    std::size_t largest_span = 0;
    auto read_size = [&] { return std::size_t{4096}; };
    outcome out;
    std::size_t at = 0;
    std::size_t errors = 0;
    auto drain = [&](bool at_eof) {
      for (;;) {
        while (auto record = at_eof ? reader.finish() : reader.next()) {
          out.records.emplace_back(*record);
          out.numbers.push_back(reader.record_number());
        }
        if (!reader.error()) return;
        EXPECT_EQ(reader.error()->message, "input record 2 is longer than the limit of 1000 bytes");
        ++errors;
        reader.skip_record();
      }
    };
    while (at < text.size()) {
      auto space = reader.prepare(4096);
      largest_span = std::max(largest_span, space.size());
      std::size_t n = std::min({space.size(), text.size() - at, read_size()});
      std::memcpy(space.data(), text.data() + at, n);
      at += n;
      reader.commit(n);
      drain(false);
    }
    drain(true);
    EXPECT_EQ(errors, 1u);
    if (delimiter == "\n") {
      EXPECT_EQ(out.records, (records{"first", "third\r", "fourth"}));
    } else {
      EXPECT_EQ(out.records, (records{"first", "third", "fourth"}));
    }
    EXPECT_EQ(out.numbers, (std::vector<std::uint64_t>{1, 3, 4}));
    EXPECT_LE(largest_span, std::size_t{64} << 10);
  }
}

TEST(DelimitedReader, SkipsAnOverCapRestAtEof) {
  delimited_reader reader("\n", 16);
  reader.set_max_record_bytes(2);
  auto out = feed(
      reader, "ab\nabcdef", [] { return std::size_t{3}; }, 16, true);
  EXPECT_EQ(out.records, (records{"ab"}));
  EXPECT_FALSE(out.error.has_value());
  EXPECT_EQ(reader.record_number(), 2u);
}

}  // namespace
}  // namespace kpipe::cli
