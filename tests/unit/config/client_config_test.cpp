// Tests of config::layered_properties: the precedence of every pair of origins, whichever order
// the layers are added in, and the later setting winning within one origin.

#include "config/client_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kpipe::config {
namespace {

const std::vector<origin> all_origins = {origin::built_in,    origin::file,     origin::profile,
                                         origin::environment, origin::property, origin::flag};

std::string name_of(origin o) { return std::to_string(static_cast<int>(o)); }

TEST(ConfigLayers, EmptyFindsNothing) {
  layered_properties properties;
  EXPECT_EQ(properties.find("client.id"), nullptr);
  EXPECT_EQ(properties.value("client.id"), std::nullopt);
  EXPECT_TRUE(properties.all().empty());
}

TEST(ConfigLayers, KeepsValueAndSource) {
  layered_properties properties;
  properties.set("client.id", "loader", source{origin::file, "/etc/kpipe.conf:3"});
  const setting* found = properties.find("client.id");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->value, "loader");
  EXPECT_EQ(found->from.kind, origin::file);
  EXPECT_EQ(found->from.where, "/etc/kpipe.conf:3");
  EXPECT_EQ(properties.value("client.id"), "loader");
}

// Every pair of distinct origins, added low-then-high and high-then-low: the higher one wins.
TEST(ConfigLayers, HigherOriginWinsForEveryPairInEitherOrder) {
  for (origin low : all_origins) {
    for (origin high : all_origins) {
      if (low >= high) continue;
      SCOPED_TRACE("low " + name_of(low) + ", high " + name_of(high));
      layered_properties low_first;
      low_first.set("linger.ms", "1", source{low, "low"});
      low_first.set("linger.ms", "2", source{high, "high"});
      EXPECT_EQ(low_first.value("linger.ms"), "2");
      EXPECT_EQ(low_first.find("linger.ms")->from.where, "high");

      layered_properties high_first;
      high_first.set("linger.ms", "2", source{high, "high"});
      high_first.set("linger.ms", "1", source{low, "low"});
      EXPECT_EQ(high_first.value("linger.ms"), "2");
      EXPECT_EQ(high_first.find("linger.ms")->from.kind, high);
    }
  }
}

TEST(ConfigLayers, LaterWinsAtTheSameOrigin) {
  for (origin o : all_origins) {
    SCOPED_TRACE(name_of(o));
    layered_properties properties;
    properties.set("acks", "1", source{o, "first"});
    properties.set("acks", "all", source{o, "second"});
    EXPECT_EQ(properties.value("acks"), "all");
    EXPECT_EQ(properties.find("acks")->from.where, "second");
  }
}

TEST(ConfigLayers, KeysAreIndependentAndSorted) {
  layered_properties properties;
  properties.set("linger.ms", "5", source{origin::flag, "--linger"});
  properties.set("acks", "0", source{origin::file, "f:1"});
  properties.set("linger.ms", "9", source{origin::file, "f:2"});
  EXPECT_EQ(properties.value("linger.ms"), "5");
  EXPECT_EQ(properties.value("acks"), "0");
  std::vector<std::string> keys;
  for (const auto& [key, value] : properties.all()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"acks", "linger.ms"}));
}

TEST(ConfigLayers, EmptyValueIsAValue) {
  layered_properties properties;
  properties.set("ssl.endpoint.identification.algorithm", "", source{origin::file, "f:1"});
  EXPECT_EQ(properties.value("ssl.endpoint.identification.algorithm"), "");
}

}  // namespace
}  // namespace kpipe::config
