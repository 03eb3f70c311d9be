#include "parse/duration.hpp"

#include <gtest/gtest.h>

namespace kpipe::cli {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnits) {
  struct row {
    const char* text;
    std::int64_t ms;
  };
  for (auto [text, ms] :
       {row{"0", 0}, row{"250", 250}, row{"200ms", 200}, row{"10s", 10'000}, row{"1.5s", 1'500},
        row{"2m", 120'000}, row{"3min", 180'000}, row{"1h", 3'600'000}, row{"1d", 86'400'000}}) {
    auto parsed = parse_duration(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(parsed->count(), ms) << text;
  }
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* text : {"", "ms", "-1s", "10 s", "10x", "s10", "1e300s", "nan", "inf"}) {
    EXPECT_FALSE(parse_duration(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace kpipe::cli
