// Global options: parsing through CLI11, checking, and what reaches the connection.
#include "global_options.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace kpipe::cli {
namespace {

global_options parse(std::vector<std::string> args) {
  CLI::App app;
  global_options options;
  register_global_options(app, options);
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  app.parse(args);
  return options;
}

TEST(GlobalOptions, ResolvesBrokersTimeoutPropertiesAndFormat) {
  auto options = parse({"-b", "k1:9093,[::1]", "--timeout", "1.5s", "-X", "client.id=etl", "-X",
                        "linger.ms=5", "--format", "json", "-v", "-v", "-q"});
  ASSERT_TRUE(options.resolve().ok());
  ASSERT_EQ(options.broker_list.size(), 2u);
  EXPECT_EQ(options.broker_list[0].to_string(), "k1:9093");
  EXPECT_EQ(options.broker_list[1].to_string(), "[::1]:9092");
  EXPECT_EQ(options.timeout.count(), 1500);
  EXPECT_EQ(options.properties.at("linger.ms"), "5");
  EXPECT_EQ(options.format, output_format::json);
  EXPECT_EQ(options.verbosity, 1);
  auto connection = options.connection_options();
  EXPECT_EQ(connection.client_id, "etl");
  EXPECT_EQ(connection.stage_timeout.count(), 1500);
  EXPECT_EQ(connection.request_timeout.count(), 1500);
}

TEST(GlobalOptions, DefaultsAreLocalhostAndTenSeconds) {
  auto options = parse({});
  ASSERT_TRUE(options.resolve().ok());
  EXPECT_EQ(options.broker_list.at(0).to_string(), "localhost:9092");
  EXPECT_EQ(options.timeout.count(), 10'000);
  EXPECT_EQ(options.connection_options().client_id, "kpipe");
}

TEST(GlobalOptions, BadValuesAreUsageErrors) {
  for (auto args : std::vector<std::vector<std::string>>{{"--timeout", "0"},
                                                         {"--timeout", "fast"},
                                                         {"-X", "=v"},
                                                         {"-X", "novalue"},
                                                         {"-b", ""},
                                                         {"-b", "h:0"}}) {
    auto options = parse(args);
    auto resolved = options.resolve();
    ASSERT_FALSE(resolved.ok()) << args[0] << " " << args[1];
    EXPECT_EQ(resolved.error().kind, error_kind::usage);
  }
}

}  // namespace
}  // namespace kpipe::cli
