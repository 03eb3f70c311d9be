#include "filter/record_filter.hpp"

#include <gtest/gtest.h>

namespace kpipe::cli {
namespace {

record::bytes_view view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(RecordFilter, KeyValueAndHeaderFiltersAreAnded) {
  std::string key = "user-42", value = "{\"action\":\"login\"}", trace = "abc123";
  record::record r;
  r.key = view(key);
  r.value = view(value);
  r.headers.push_back({"trace", view(trace)});
  r.headers.push_back({"empty", std::nullopt});
  record_filter f;
  ASSERT_TRUE(f.add("k:^user-[0-9]+$"));
  EXPECT_TRUE(f.matches(r));
  ASSERT_TRUE(f.add("v:login"));
  EXPECT_TRUE(f.matches(r));
  ASSERT_TRUE(f.add("h:trace=^abc"));
  EXPECT_TRUE(f.matches(r));
  ASSERT_TRUE(f.add("h:trace=zzz"));
  EXPECT_FALSE(f.matches(r));
}

TEST(RecordFilter, NullsNeverMatch) {
  record::record r;
  record_filter f;
  ASSERT_TRUE(f.add("v:.*"));
  EXPECT_FALSE(f.matches(r));
  record_filter h;
  ASSERT_TRUE(h.add("h:empty=.*"));
  r.headers.push_back({"empty", std::nullopt});
  EXPECT_FALSE(h.matches(r));
}

TEST(RecordFilter, BadSpecsAreUsageErrors) {
  record_filter f;
  auto bad = f.add("x:1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--grep 'x:1': expected k:RE, v:RE or h:NAME=RE");
  EXPECT_FALSE(f.add("h:noequals"));
  EXPECT_FALSE(f.add("v:("));
  EXPECT_FALSE(f.add("v"));
  EXPECT_TRUE(f.empty());
}

}  // namespace
}  // namespace kpipe::cli
