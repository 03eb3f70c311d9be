// consume's TIME: every accepted form to its epoch milliseconds (values checked against Python's
// datetime), every refusal with its exact message, a day-by-day walk of the calendar, and random
// text that must never crash.
#include "parse/time_spec.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <random>
#include <string>

namespace kpipe::cli {
namespace {

// 2025-11-22T00:00Z, the envelope example's timestamp.
constexpr std::int64_t k_now = 1763769600000;
constexpr std::int64_t k_hour = 3'600'000;

TEST(ParseTime, AcceptsEveryForm) {
  struct row {
    const char* text;
    std::int64_t ms;
  };
  for (auto [text, ms] : {
           // epoch milliseconds
           row{"1763769600000", 1763769600000},
           row{"0", 0},
           row{"00042", 42},
           // ISO 8601, no zone = UTC
           row{"2026-11-01", 1793491200000},
           row{"2026-11-02", 1793577600000},
           row{"2026-11-01T00:00", 1793491200000},
           row{"2026-11-01T00:00Z", 1793491200000},
           row{"2026-11-01T00:00:00.123Z", 1793491200123},
           row{"2026-11-01T10:30", 1793529000000},
           row{"2026-11-01T10:30:45", 1793529045000},
           row{"2026-11-01 10:30:45", 1793529045000},
           row{"2026-11-01t10:30:45z", 1793529045000},
           row{"2026-11-01T00:00:00.1Z", 1793491200100},
           row{"2026-11-01T00:00:00.12", 1793491200120},
           row{"2026-11-01T00:00:00.123456789Z", 1793491200123},  // truncated, not rounded
           row{"2026-11-01T00:00:00.999999Z", 1793491200999},
           // zones
           row{"2026-11-01T01:00+01:00", 1793491200000},
           row{"2026-11-01T01:00+0100", 1793491200000},
           row{"2026-11-01T01:00+01", 1793491200000},
           row{"2026-11-01T00:00-05:30", 1793511000000},
           row{"2026-11-01T00:00-0530", 1793511000000},
           row{"2026-11-01T00:00:00.123+00:00", 1793491200123},
           row{"2026-11-01T00:00-00:00", 1793491200000},
           // calendar corners
           row{"1970-01-01", 0},
           row{"1969-12-31T23:00-02:00", 3'600'000},
           row{"2024-02-29", 1709164800000},
           row{"2000-03-01", 951868800000},
           row{"2100-03-01", 4107542400000},
           row{"9999-12-31T23:59:59.999Z", 253402300799999},
           // relative to now
           row{"now", k_now},
           row{"-1h", k_now - k_hour},
           row{"-30m", k_now - 30 * 60'000},
           row{"-10s", k_now - 10'000},
           row{"-2d", k_now - 2 * 24 * k_hour},
           row{"-500ms", k_now - 500},
           row{"+5m", k_now + 5 * 60'000},
           row{"-1.5h", k_now - 3 * k_hour / 2},
           row{"-3min", k_now - 180'000},
           row{"+0s", k_now},
       }) {
    auto parsed = parse_time(text, k_now);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), ms) << text;
  }
}

TEST(ParseTime, RefusesWithExactMessages) {
  const std::string forms =
      "expected epoch milliseconds (1763769600000), an ISO 8601 date-time (2026-11-01T00:00Z), "
      "now, or a time relative to now (-1h, +5m)";
  struct row {
    std::string text;
    std::string reason;
  };
  for (const auto& [text, why] : {
           row{"", forms},
           row{"yesterday", forms},
           row{"NOW", forms},
           row{"1e3", forms},
           row{"202-11-01", forms},
           row{" 2026-11-01", forms},
           row{"99999999999999999999", "epoch milliseconds out of range"},
           row{"2026-1-01", "expected YYYY-MM-DD"},
           row{"2026-11", "expected YYYY-MM-DD"},
           row{"2026-11-1", "expected YYYY-MM-DD"},
           row{"2026/11/01", forms},
           row{"2026-13-01", "month 13 is not 01-12"},
           row{"2026-00-01", "month 00 is not 01-12"},
           row{"2026-11-31", "day 31 does not exist in 2026-11"},
           row{"2026-02-29", "day 29 does not exist in 2026-02"},
           row{"2100-02-29", "day 29 does not exist in 2100-02"},
           row{"2026-11-00", "day 00 does not exist in 2026-11"},
           row{"2026-11-01X", "unexpected \"X\" after the date"},
           row{"2026-11-01Z", "unexpected \"Z\" after the date"},
           row{"2026-11-01T", "expected HH:MM after the date"},
           row{"2026-11-01T10", "expected HH:MM after the date"},
           row{"2026-11-01T10:3", "expected HH:MM after the date"},
           row{"2026-11-01T1030", "expected HH:MM after the date"},
           row{"2026-11-01T24:00", "hour 24 is not 00-23"},
           row{"2026-11-01T10:60", "minute 60 is not 00-59"},
           row{"2026-11-01T10:30:60", "second 60 is not 00-59"},
           row{"2026-11-01T10:30:", "expected two digits of seconds after HH:MM:"},
           row{"2026-11-01T10:30:4", "expected two digits of seconds after HH:MM:"},
           row{"2026-11-01T10:30:45.", "expected digits after '.'"},
           row{"2026-11-01T10:30:45.1234567891", "unexpected \"1\" after the time"},
           row{"2026-11-01T10:30.5", "unexpected \".5\" after the time"},
           row{"2026-11-01T10:30 ", "unexpected \" \" after the time"},
           row{"2026-11-01T10:30ZZ", "unexpected \"Z\" after the time"},
           row{"2026-11-01T10:30+1", "expected a zone like Z, +01:00 or -0530 after the time"},
           row{"2026-11-01T10:30+01:", "expected a zone like Z, +01:00 or -0530 after the time"},
           row{"2026-11-01T10:30+01:3", "expected a zone like Z, +01:00 or -0530 after the time"},
           row{"2026-11-01T10:30+013", "unexpected \"3\" after the time"},
           row{"2026-11-01T10:30+24:00", "zone hour 24 is not 00-23"},
           row{"2026-11-01T10:30+01:60", "zone minute 60 is not 00-59"},
           row{"2026-11-01T10:30+01:00:00", "unexpected \":00\" after the time"},
           row{"1969-12-31", "before 1970-01-01T00:00Z (Kafka timestamps cannot be negative)"},
           row{"0000-01-01", "before 1970-01-01T00:00Z (Kafka timestamps cannot be negative)"},
           row{"1970-01-01T00:30+01:00",
               "before 1970-01-01T00:00Z (Kafka timestamps cannot be negative)"},
           row{"-5", "missing unit after 5 (ms, s, m, h or d)"},
           row{"+5", "missing unit after 5 (ms, s, m, h or d)"},
           row{"-", "expected a duration after '-' (500ms, 10s, 30m, 1h, 2d)"},
           row{"--1h", "expected a duration after '-' (500ms, 10s, 30m, 1h, 2d)"},
           row{"+-1h", "expected a duration after '+' (500ms, 10s, 30m, 1h, 2d)"},
           row{"-1x", "expected a duration after '-' (500ms, 10s, 30m, 1h, 2d), got \"1x\""},
           row{"-h", "expected a duration after '-' (500ms, 10s, 30m, 1h, 2d), got \"h\""},
           row{"-1 h", "expected a duration after '-' (500ms, 10s, 30m, 1h, 2d), got \"1 h\""},
           row{"-100000d", "before 1970-01-01T00:00Z (Kafka timestamps cannot be negative)"},
       }) {
    auto parsed = parse_time(text, k_now);
    ASSERT_FALSE(parsed.ok()) << text << " gave " << parsed.value();
    EXPECT_EQ(parsed.error().kind, error_kind::usage) << text;
    EXPECT_EQ(parsed.error().message, "invalid time \"" + text + "\": " + why) << text;
  }
}

TEST(ParseTime, RelativeTimesNeverOverflow) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  auto parsed = parse_time("+1d", max - 5);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "invalid time \"+1d\": \"+1d\" is too far from now");
  EXPECT_EQ(parse_time("now", 0).value(), 0);
  EXPECT_FALSE(parse_time("-1ms", 0).ok());
}

// Every day from 1970 to 2400 is exactly one day after the one before: catches a wrong month
// length or leap rule anywhere (2000 is a leap year, 2100, 2200, 2300 are not).
TEST(ParseTime, CalendarIsContinuous) {
  std::int64_t expected = 0;
  for (int year = 1970; year < 2400; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= 31; ++day) {
        char text[40];
        std::snprintf(text, sizeof text, "%04d-%02d-%02d", year, month, day);
        auto parsed = parse_time(text, k_now);
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const int length = month == 2 ? (leap ? 29 : 28)
                           : (month == 4 || month == 6 || month == 9 || month == 11) ? 30
                                                                                     : 31;
        if (day > length) {
          ASSERT_FALSE(parsed.ok()) << text;
          continue;
        }
        ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
        ASSERT_EQ(parsed.value(), expected) << text;
        expected += 86'400'000;
      }
    }
  }
  EXPECT_EQ(expected, 13'569'465'600'000);  // 2400-01-01T00:00Z
}

TEST(ParseTime, RandomTextNeverCrashes) {
  std::mt19937 rng(20261101);
  const std::string alphabet = "0123456789-+:.TZtz @nowmshd";
  int accepted = 0;
  for (int i = 0; i < 200'000; ++i) {
    std::string text;
    std::size_t length = rng() % 32;
    for (std::size_t j = 0; j < length; ++j) {
      // Mostly the characters that matter, sometimes any byte.
      text += rng() % 8 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    auto parsed = parse_time(text, k_now);
    if (parsed.ok()) {
      ++accepted;
      EXPECT_GE(parsed.value(), 0) << text;
    } else {
      EXPECT_TRUE(parsed.error().message.starts_with("invalid time \"" + text + "\": ")) << text;
    }
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace kpipe::cli
