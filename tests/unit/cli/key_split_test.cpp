// produce -K: key and value split at the first key delimiter; no delimiter means no key (kcat).
#include "input/key_split.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kpipe::cli {
namespace {

using namespace std::string_literals;

TEST(SplitKey, SplitsAtTheFirstOccurrence) {
  struct row {
    std::string record;
    std::string delimiter;
    std::optional<std::string> key;
    std::string value;
  };
  for (const auto& [record, delimiter, key, value] : {
           row{"k:v", ":", "k", "v"}, row{"k:v:w", ":", "k", "v:w"}, row{":v", ":", "", "v"},
           row{"k:", ":", "k", ""}, row{":", ":", "", ""}, row{"k::v", "::", "k", "v"},
           row{"k:::v", "::", "k", ":v"}, row{"a\0b"s, "\0"s, "a", "b"},
           row{"key\t\tvalue\t\tmore", "\t\t", "key", "value\t\tmore"},
           row{"no delimiter", ":", std::nullopt, "no delimiter"}, row{"", ":", std::nullopt, ""},
           row{"k:", "::", std::nullopt, "k:"},  // a partial delimiter is not one
           row{"k:v", "", std::nullopt, "k:v"},  // an empty delimiter never matches
       }) {
    auto split = split_key(record, delimiter);
    ASSERT_EQ(split.key.has_value(), key.has_value()) << record;
    if (key) {
      EXPECT_EQ(*split.key, *key) << record;
    }
    EXPECT_EQ(split.value, value) << record;
  }
}

TEST(SplitKey, ViewsPointIntoTheRecord) {
  std::string record = "key=value";
  auto split = split_key(record, "=");
  ASSERT_TRUE(split.key.has_value());
  EXPECT_EQ(split.key->data(), record.data());
  EXPECT_EQ(split.value.data(), record.data() + 4);
}

}  // namespace
}  // namespace kpipe::cli
