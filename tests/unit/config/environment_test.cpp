// Tests of config::add_environment: which variables set which properties, at which origin, and
// that empty or unset variables set nothing.

#include "config/environment.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/known_properties.hpp"

namespace kpipe::config {
namespace {

std::function<const char*(const char*)> fake_environment(
    const std::map<std::string, std::string>& variables) {
  return [variables](const char* name) -> const char* {
    auto it = variables.find(name);
    return it == variables.end() ? nullptr : it->second.c_str();
  };
}

TEST(Environment, EachVariableSetsItsProperty) {
  layered_properties properties;
  add_environment(properties, fake_environment({{"KPIPE_BROKERS", "k1:9092,k2:9092"},
                                                {"KPIPE_SASL_MECHANISM", "SCRAM-SHA-256"},
                                                {"KPIPE_SASL_USER", "alice"},
                                                {"KPIPE_SASL_PASSWORD", "hunter2"},
                                                {"KPIPE_SASL_OAUTHBEARER_CLIENT_SECRET", "s"},
                                                {"HOME", "/home/alice"}}));
  EXPECT_EQ(properties.all().size(), 5u);
  const auto* servers = properties.find("bootstrap.servers");
  ASSERT_NE(servers, nullptr);
  EXPECT_EQ(servers->value, "k1:9092,k2:9092");
  EXPECT_EQ(servers->from.kind, origin::environment);
  EXPECT_EQ(servers->from.where, "KPIPE_BROKERS");
  EXPECT_EQ(properties.value("sasl.mechanism"), "SCRAM-SHA-256");
  EXPECT_EQ(properties.value("sasl.username"), "alice");
  EXPECT_EQ(properties.value("sasl.password"), "hunter2");
  EXPECT_EQ(properties.find("sasl.password")->from.where, "KPIPE_SASL_PASSWORD");
  EXPECT_EQ(properties.value("sasl.oauthbearer.client.secret"), "s");
}

TEST(Environment, UnsetAndEmptyVariablesSetNothing) {
  layered_properties properties;
  add_environment(properties, fake_environment({{"KPIPE_BROKERS", ""}}));
  EXPECT_TRUE(properties.all().empty());
}

TEST(Environment, SitsBetweenFileAndProperty) {
  layered_properties properties;
  properties.set("sasl.username", "from-file", source{origin::file, "f:1"});
  properties.set("bootstrap.servers", "x:1", source{origin::property, "-X"});
  add_environment(properties,
                  fake_environment({{"KPIPE_SASL_USER", "from-env"}, {"KPIPE_BROKERS", "y:1"}}));
  EXPECT_EQ(properties.value("sasl.username"), "from-env");
  EXPECT_EQ(properties.value("bootstrap.servers"), "x:1");
}

TEST(Environment, EveryVariableSetsAPropertyKpipeActsOn) {
  for (const auto& variable : environment_variables()) {
    const auto* info = find_property(variable.property);
    ASSERT_NE(info, nullptr) << variable.name;
    EXPECT_TRUE(info->acted_on) << variable.name;
    EXPECT_TRUE(variable.name.starts_with("KPIPE_")) << variable.name;
  }
}

}  // namespace
}  // namespace kpipe::config
