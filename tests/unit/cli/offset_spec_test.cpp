// consume's -o SPEC: every form (the man page's examples), ranges whose ISO times contain ':',
// refusals with their exact messages, the resolver's clamping against partition bounds, and
// random text that must never crash either step.
#include "parse/offset_spec.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

namespace kpipe::cli {
namespace {

using kind = offset_point::kind;

constexpr std::int64_t k_now = 1763769600000;  // 2025-11-22T00:00Z
constexpr std::int64_t k_hour = 3'600'000;
constexpr std::int64_t k_nov1 = 1793491200000;  // 2026-11-01T00:00Z
constexpr std::int64_t k_nov2 = 1793577600000;  // 2026-11-02T00:00Z
constexpr std::int64_t k_max = std::numeric_limits<std::int64_t>::max();

offset_point at(kind what, std::int64_t value = 0) { return offset_point{what, value}; }

offset_spec only(offset_point start) { return offset_spec{start, std::nullopt}; }

offset_spec range(offset_point start, offset_point stop) { return offset_spec{start, stop}; }

struct parse_row {
  std::string text;
  offset_spec spec;
};

void expect_parses(const std::vector<parse_row>& rows) {
  for (const auto& [text, spec] : rows) {
    auto parsed = parse_offset_spec(text, k_now);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), spec) << text;
  }
}

TEST(ParseOffsetSpec, AcceptsCliMdExamples) {
  expect_parses({
      {"beginning", only(at(kind::beginning))},
      {"end", only(at(kind::end))},
      {"stored", only(at(kind::stored))},
      {"42", only(at(kind::absolute, 42))},
      {"-42", only(at(kind::from_end, 42))},
      {"+42", only(at(kind::from_start, 42))},
      {"@2026-11-01T00:00Z", only(at(kind::time, k_nov1))},
      {"0:100", range(at(kind::absolute, 0), at(kind::absolute, 100))},
      {"@2026-11-01T00:00Z:@2026-11-02", range(at(kind::time, k_nov1), at(kind::time, k_nov2))},
      {"-100:end", range(at(kind::from_end, 100), at(kind::end))},
      {"@-1h", only(at(kind::time, k_now - k_hour))},
      {"@now", only(at(kind::time, k_now))},
      {"@1763769600000", only(at(kind::time, 1763769600000))},
      {"s@1763769600000", only(at(kind::time, 1763769600000))},
      {"e@1763769600000", range(at(kind::beginning), at(kind::time, 1763769600000))},
      {"beginning:@-1h", range(at(kind::beginning), at(kind::time, k_now - k_hour))},
  });
}

TEST(ParseOffsetSpec, AcceptsOtherForms) {
  expect_parses({
      {"earliest", only(at(kind::beginning))},
      {"latest", only(at(kind::end))},
      {"0", only(at(kind::absolute, 0))},
      {"-0", only(at(kind::from_end, 0))},
      {"+0", only(at(kind::from_start, 0))},
      {"9223372036854775807", only(at(kind::absolute, k_max))},
      {"@2026-11-01", only(at(kind::time, k_nov1))},
      {"s@-30m", only(at(kind::time, k_now - 30 * 60'000))},
      {"e@2026-11-01T00:00Z", range(at(kind::beginning), at(kind::time, k_nov1))},
      {"stored:end", range(at(kind::stored), at(kind::end))},
      {"stored:+10", range(at(kind::stored), at(kind::from_start, 10))},
      {"+10:+20", range(at(kind::from_start, 10), at(kind::from_start, 20))},
      {"-100:-50", range(at(kind::from_end, 100), at(kind::from_end, 50))},
      {"5:5", range(at(kind::absolute, 5), at(kind::absolute, 5))},
      {"end:+100", range(at(kind::end), at(kind::from_start, 100))},
      {"@-2h:@-1h", range(at(kind::time, k_now - 2 * k_hour), at(kind::time, k_now - k_hour))},
      {"s@1000:e@2000", range(at(kind::time, 1000), at(kind::time, 2000))},
      {"0:latest", range(at(kind::absolute, 0), at(kind::end))},
      {"beginning:-10", range(at(kind::beginning), at(kind::from_end, 10))},
  });
}

TEST(ParseOffsetSpec, SplitsRangesAtTheRightColon) {
  const std::int64_t nov1_1030 = k_nov1 + 10 * k_hour + 30 * 60'000;
  expect_parses({
      // no zone: times are UTC, the ':' inside HH:MM is not the separator
      {"@2026-11-01T00:00:@2026-11-01T12:00",
       range(at(kind::time, k_nov1), at(kind::time, k_nov1 + 12 * k_hour))},
      {"@2026-11-01T10:30:end", range(at(kind::time, nov1_1030), at(kind::end))},
      {"@2026-11-01 10:30:end", range(at(kind::time, nov1_1030), at(kind::end))},
      {"@2026-11-01T10:30Z:45", range(at(kind::time, nov1_1030), at(kind::absolute, 45))},
      {"@2026-11-01T10:30:45:100",
       range(at(kind::time, nov1_1030 + 45'000), at(kind::absolute, 100))},
      {"@2026-11-01T00:00:00.5Z:-10", range(at(kind::time, k_nov1 + 500), at(kind::from_end, 10))},
      // offsets with ':' on both sides of the separator
      {"@2026-11-01T00:00+01:00:@2026-11-01T00:00-01:00",
       range(at(kind::time, k_nov1 - k_hour), at(kind::time, k_nov1 + k_hour))},
      {"0:@2026-11-01T00:00:00+05:30",
       range(at(kind::absolute, 0), at(kind::time, k_nov1 - 5 * k_hour - 30 * 60'000))},
      {"s@2026-11-01T00:00:e@2026-11-02T00:00",
       range(at(kind::time, k_nov1), at(kind::time, k_nov2))},
      // a single point first: seconds and +HH:MM zones are part of the time, not a range
      {"@2026-11-01T10:30:45", only(at(kind::time, nov1_1030 + 45'000))},
      {"@2026-11-01T10:30+01:00", only(at(kind::time, nov1_1030 - k_hour))},
  });
}

TEST(ParseOffsetSpec, RefusesWithExactMessages) {
  const std::string forms =
      "expected beginning, end, stored, N, -N, +N, @TIME, s@TIME, e@TIME or START:END";
  const std::string time_forms =
      "expected epoch milliseconds (1763769600000), an ISO 8601 date-time (2026-11-01T00:00Z), "
      "now, or a time relative to now (-1h, +5m)";
  struct row {
    std::string text;
    std::string reason;
  };
  for (const auto& [text, why] : {
           row{"", forms},
           row{"begin", forms},
           row{"Beginning", forms},
           row{"-", forms},
           row{"+", forms},
           row{"1.5", forms},
           row{" 5", forms},
           row{"-1h", "a time needs '@' (@-1h)"},
           row{"2026-11-01", "a time needs '@' (@2026-11-01)"},
           row{"now", "a time needs '@' (@now)"},
           row{"99999999999999999999", "offset 99999999999999999999 is out of range"},
           row{"-9223372036854775808", "offset 9223372036854775808 is out of range"},
           row{"@", "invalid time \"\": " + time_forms},
           row{"e@", "invalid time \"\": " + time_forms},
           row{"s@soon", "invalid time \"soon\": " + time_forms},
           row{"@2026-13-01", "invalid time \"2026-13-01\": month 13 is not 01-12"},
           row{"@2026-11-01T25:00", "invalid time \"2026-11-01T25:00\": hour 25 is not 00-23"},
           row{"@-5", "invalid time \"-5\": missing unit after 5 (ms, s, m, h or d)"},
           row{"@1969-12-31",
               "invalid time \"1969-12-31\": before 1970-01-01T00:00Z (Kafka timestamps cannot "
               "be negative)"},
           // ranges
           row{"100:50", "the range ends before it starts"},
           row{"+20:+10", "the range ends before it starts"},
           row{"-100:-200", "the range ends before it starts"},
           row{"@2026-11-02:@2026-11-01", "the range ends before it starts"},
           row{"@-1h:@-2h", "the range ends before it starts"},
           row{"0:stored", "range end \"stored\": stored can only start a range"},
           row{"0:beginning", "range end \"beginning\": a range cannot end at the beginning"},
           row{"0:", "range end \"\": nothing after ':'"},
           row{"0:s@1000", "range end \"s@1000\": s@ starts a range; end it with @TIME or e@TIME"},
           row{"e@1000:end", "invalid time \"1000:end\": " + time_forms},
           row{"s@1000:e@x", "range end \"e@x\": invalid time \"x\": " + time_forms},
           row{"foo:bar", "range start \"foo\": " + forms},
           row{":100", "range start \"\": " + forms},
           row{"-1h:end", "range start \"-1h\": a time needs '@' (@-1h)"},
           row{"end:-1h", "range end \"-1h\": a time needs '@' (@-1h)"},
           row{"1:2:3", "range end \"2:3\": " + forms},
           row{"@2026-11-01T00:00Z:bogus", "range end \"bogus\": " + forms},
           row{"@2026-11-01T00:00Z:@2026-13-01",
               "range end \"@2026-13-01\": invalid time \"2026-13-01\": month 13 is not 01-12"},
           // a broken time that also contains ':' reports the time's own mistake
           row{"@2026-13-01T00:00Z:end",
               "invalid time \"2026-13-01T00:00Z:end\": month 13 is not 01-12"},
           row{"@2026-11-01T10:60:end",
               "invalid time \"2026-11-01T10:60:end\": minute 60 is not 00-59"},
       }) {
    auto parsed = parse_offset_spec(text, k_now);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, error_kind::usage) << text;
    EXPECT_EQ(parsed.error().message, "invalid offset \"" + text + "\": " + why) << text;
  }
}

struct resolve_row {
  offset_spec spec;
  partition_bounds bounds;
  resolved_range expected;
};

partition_bounds log_of(std::int64_t earliest, std::int64_t latest) {
  return partition_bounds{earliest, latest, std::nullopt, std::nullopt, std::nullopt};
}

void expect_resolves(const std::vector<resolve_row>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [spec, bounds, expected] = rows[i];
    auto got = resolve(spec, bounds);
    ASSERT_TRUE(got.ok()) << "row " << i << ": " << got.error().message;
    EXPECT_EQ(got->start, expected.start) << "row " << i;
    EXPECT_EQ(got->stop, expected.stop) << "row " << i;
  }
}

TEST(ResolveOffsetSpec, StartsAreClampedIntoTheLog) {
  const auto log = log_of(100, 200);
  auto with = [&](auto setter) {
    partition_bounds b = log;
    setter(b);
    return b;
  };
  const std::optional<std::int64_t> none;
  expect_resolves({
      {only(at(kind::beginning)), log, {100, none}},
      {only(at(kind::end)), log, {200, none}},
      {only(at(kind::absolute, 150)), log, {150, none}},
      {only(at(kind::absolute, 0)), log, {100, none}},    // deleted by retention
      {only(at(kind::absolute, 500)), log, {200, none}},  // not written yet
      {only(at(kind::from_end, 10)), log, {190, none}},
      {only(at(kind::from_end, 0)), log, {200, none}},
      {only(at(kind::from_end, 1000)), log, {100, none}},  // fewer than N: all of them
      {only(at(kind::from_end, k_max)), log, {100, none}},
      {only(at(kind::from_start, 10)), log, {110, none}},
      {only(at(kind::from_start, 1000)), log, {200, none}},
      {only(at(kind::from_start, k_max)), log, {200, none}},  // no overflow
      {only(at(kind::stored)), with([](auto& b) { b.committed = 150; }), {150, none}},
      {only(at(kind::stored)), log, {200, none}},  // nothing committed: latest
      {only(at(kind::stored)), with([](auto& b) { b.committed = -1; }), {200, none}},
      {only(at(kind::stored)), with([](auto& b) { b.committed = 50; }), {100, none}},
      {only(at(kind::stored)), with([](auto& b) { b.committed = 900; }), {200, none}},
      {only(at(kind::time, k_nov1)), with([](auto& b) { b.start_time_offset = 150; }), {150, none}},
      {only(at(kind::time, k_nov1)), log, {200, none}},  // no record at or after: latest
      {only(at(kind::time, k_nov1)), with([](auto& b) { b.start_time_offset = -1; }), {200, none}},
      {only(at(kind::time, k_nov1)), with([](auto& b) { b.start_time_offset = 7; }), {100, none}},
      // an empty log
      {only(at(kind::from_end, 10)), log_of(0, 0), {0, none}},
      {only(at(kind::absolute, 3)), log_of(0, 0), {0, none}},
      // retention overtook the end we read earlier: read as an empty log at earliest
      {only(at(kind::end)), log_of(100, 90), {100, none}},
      {only(at(kind::from_end, 5)), log_of(100, 90), {100, none}},
  });
}

TEST(ResolveOffsetSpec, StopsAreExclusiveAndNeverBeforeTheStart) {
  const auto log = log_of(100, 200);
  auto with = [&](auto setter) {
    partition_bounds b = log;
    setter(b);
    return b;
  };
  expect_resolves({
      {range(at(kind::absolute, 0), at(kind::absolute, 100)), log_of(0, 1000), {0, 100}},
      // beyond the end: kept, the consumer waits for offsets 50..99
      {range(at(kind::absolute, 0), at(kind::absolute, 100)), log_of(0, 50), {0, 100}},
      {range(at(kind::from_end, 100), at(kind::end)), log_of(0, 1000), {900, 1000}},
      {range(at(kind::from_end, 100), at(kind::end)), log_of(0, 50), {0, 50}},
      {range(at(kind::from_end, 100), at(kind::from_end, 50)), log_of(0, 1000), {900, 950}},
      {range(at(kind::from_start, 10), at(kind::from_start, 20)), log, {110, 120}},
      {range(at(kind::beginning), at(kind::from_start, 1000)), log, {100, 1100}},
      {range(at(kind::beginning), at(kind::from_start, k_max)), log, {100, k_max}},
      {range(at(kind::beginning), at(kind::from_end, k_max)), log, {100, 100}},
      {range(at(kind::beginning), at(kind::time, k_nov1)),
       with([](auto& b) { b.stop_time_offset = 150; }),
       {100, 150}},
      // no record at or after the stop time: up to the current end
      {range(at(kind::beginning), at(kind::time, k_nov1)), log, {100, 200}},
      {range(at(kind::beginning), at(kind::time, k_nov1)),
       with([](auto& b) { b.stop_time_offset = -1; }),
       {100, 200}},
      {range(at(kind::time, k_nov1), at(kind::time, k_nov2)),
       with([](auto& b) {
         b.start_time_offset = 120;
         b.stop_time_offset = 180;
       }),
       {120, 180}},
      // the start time has no record yet: empty at the end
      {range(at(kind::time, k_nov1), at(kind::time, k_nov2)), log, {200, 200}},
      // known only with the bounds: a stop before the start is an empty range
      {range(at(kind::end), at(kind::from_start, 10)), log, {200, 200}},
      {range(at(kind::absolute, 0), at(kind::absolute, 50)), log, {100, 100}},
      {range(at(kind::stored), at(kind::end)),
       with([](auto& b) { b.committed = 170; }),
       {170, 200}},
      {range(at(kind::absolute, 5), at(kind::absolute, 5)), log_of(0, 10), {5, 5}},
  });
}

TEST(ResolveOffsetSpec, ParsedCliExamplesResolve) {
  partition_bounds bounds{1000, 5000, 4200, 2500, 3100};
  struct row {
    const char* text;
    resolved_range expected;
  };
  for (auto [text, expected] : {
           row{"beginning", {1000, std::nullopt}},
           row{"end", {5000, std::nullopt}},
           row{"stored", {4200, std::nullopt}},
           row{"0:100", {1000, 1000}},  // all of it deleted by retention
           row{"1200:1300", {1200, 1300}},
           row{"@2026-11-01T00:00Z:@2026-11-02", {2500, 3100}},
           row{"-100:end", {4900, 5000}},
           row{"beginning:@-1h", {1000, 3100}},
           row{"e@1763769600000", {1000, 3100}},
           row{"s@1763769600000", {2500, std::nullopt}},
       }) {
    auto spec = parse_offset_spec(text, k_now);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.error().message;
    auto got = resolve(spec.value(), bounds);
    ASSERT_TRUE(got.ok()) << text << ": " << got.error().message;
    EXPECT_EQ(got.value(), expected) << text;
  }
}

TEST(ResolveOffsetSpec, RefusesImpossibleInput) {
  auto bad_bounds = resolve(only(at(kind::beginning)), log_of(-1, 10));
  ASSERT_FALSE(bad_bounds.ok());
  EXPECT_EQ(bad_bounds.error().kind, error_kind::protocol);
  EXPECT_EQ(bad_bounds.error().message, "partition bounds earliest -1, latest 10 are not offsets");

  auto bad_latest = resolve(only(at(kind::end)), log_of(0, -1));
  ASSERT_FALSE(bad_latest.ok());
  EXPECT_EQ(bad_latest.error().message, "partition bounds earliest 0, latest -1 are not offsets");

  auto stored_stop = resolve(range(at(kind::beginning), at(kind::stored)), log_of(0, 10));
  ASSERT_FALSE(stored_stop.ok());
  EXPECT_EQ(stored_stop.error().kind, error_kind::usage);
  EXPECT_EQ(stored_stop.error().message, "stored can only start a range");

  for (const auto& spec : {only(at(kind::absolute, -5)), only(at(kind::from_end, -1)),
                           range(at(kind::beginning), at(kind::from_start, -3))}) {
    auto negative = resolve(spec, log_of(0, 10));
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.error().message, "offset spec with a negative count");
  }
}

TEST(ParseOffsetSpec, RefusesOverlongTextWithoutEchoingIt) {
  EXPECT_TRUE(parse_offset_spec("@2026-11-01T00:00:00.123456789+01:00:" + std::string(163, '0'),
                                k_now)
                  .ok());  // 200 characters
  auto parsed = parse_offset_spec(std::string(100'000, ':'), k_now);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, error_kind::usage);
  EXPECT_EQ(parsed.error().message,
            "invalid offset: 100000 characters, more than any offset spec (at most 200)");
}

TEST(ParseOffsetSpec, RandomTextNeverCrashes) {
  std::mt19937 rng(5);
  const std::vector<std::string> pieces = {"@",
                                           "s@",
                                           "e@",
                                           ":",
                                           "-",
                                           "+",
                                           "0",
                                           "12",
                                           "2026-11-01",
                                           "T",
                                           "Z",
                                           " ",
                                           "10:30",
                                           "+01:00",
                                           "end",
                                           "now",
                                           "beginning",
                                           "1h",
                                           "stored",
                                           ".5",
                                           "99",
                                           "x",
                                           "9223372036854775807"};
  int accepted = 0;
  for (int i = 0; i < 100'000; ++i) {
    std::string text;
    std::size_t count = rng() % 8;
    for (std::size_t j = 0; j < count; ++j) {
      if (rng() % 10 == 0) {
        text += static_cast<char>(rng() % 256);
      } else {
        text += pieces[rng() % pieces.size()];
      }
    }
    auto spec = parse_offset_spec(text, k_now);
    if (!spec.ok()) {
      EXPECT_TRUE(spec.error().message.starts_with("invalid offset \"" + text + "\": ")) << text;
      continue;
    }
    ++accepted;
    std::int64_t earliest = rng() % 1000;
    std::int64_t latest = earliest + rng() % 1000;
    auto maybe = [&]() -> std::optional<std::int64_t> {
      switch (rng() % 3) {
        case 0:
          return std::nullopt;
        case 1:
          return -1;
        default:
          return static_cast<std::int64_t>(rng() % 3000);
      }
    };
    partition_bounds bounds{earliest, latest, maybe(), maybe(), maybe()};
    auto got = resolve(spec.value(), bounds);
    ASSERT_TRUE(got.ok()) << text << ": " << got.error().message;
    EXPECT_GE(got->start, earliest) << text;
    EXPECT_LE(got->start, latest) << text;
    if (got->stop) {
      EXPECT_GE(*got->stop, got->start) << text;
    }
  }
  EXPECT_GT(accepted, 1000);
}

// Every prefix of valid specs, and every one of them with one byte replaced: the edges where
// a length check would be missed.
TEST(ParseOffsetSpec, PrefixesAndByteFlipsNeverCrash) {
  for (std::string valid : {"@2026-11-01T00:00:00.123+01:00:@2026-11-02", "s@1000:e@-1h",
                            "-100:end", "+5:9223372036854775807", "e@2026-11-01 10:30Z"}) {
    for (std::size_t length = 0; length <= valid.size(); ++length) {
      std::string prefix = valid.substr(0, length);
      for (std::size_t at = 0; at <= prefix.size(); ++at) {
        for (int byte : std::initializer_list<int>{0, ':', '@', '-', '9', 0xff}) {
          std::string text = prefix;
          if (at < text.size()) text[at] = static_cast<char>(byte);
          auto spec = parse_offset_spec(text, k_now);
          if (spec.ok()) {
            ASSERT_TRUE(resolve(spec.value(), log_of(10, 20)).ok()) << text;
          } else {
            EXPECT_EQ(spec.error().kind, error_kind::usage) << text;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace kpipe::cli
