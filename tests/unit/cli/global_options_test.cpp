// Global options: parsing through CLI11, checking, and what reaches the connection.
#include "global_options.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <map>

namespace kpipe::cli {
namespace {

// An environment of the test's own, not the developer's.
environment_reader env(std::map<std::string, std::string> vars = {}) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

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
  ASSERT_TRUE(options.resolve(env()).ok());
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
  ASSERT_TRUE(options.resolve(env()).ok());
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
    auto resolved = options.resolve(env());
    ASSERT_FALSE(resolved.ok()) << args[0] << " " << args[1];
    EXPECT_EQ(resolved.error().kind, error_kind::usage);
  }
}

TEST(GlobalOptions, FlagsBeatPropertiesBeatEnvironmentBeatProfileBeatFile) {
  std::string path = ::testing::TempDir() + "/kpipe-global-options.conf";
  {
    std::ofstream out(path);
    out << "bootstrap.servers=file:1\nclient.id=from-file\nlinger.ms=1\nsession.timeout.ms=7000\n"
           "[prod]\nbootstrap.servers=profile:1\nclient.id=from-profile\nlinger.ms=2\n";
  }
  auto options = parse({"--profile", "prod", "-X", "client.id=from-x", "-X", "linger.ms=3"});
  ASSERT_TRUE(options.resolve(env({{"KPIPE_CONFIG", path}, {"KPIPE_BROKERS", "env:1"}})).ok());
  EXPECT_EQ(options.broker_list.at(0).to_string(), "env:1");
  EXPECT_EQ(options.properties.at("client.id"), "from-x");
  EXPECT_EQ(options.properties.at("linger.ms"), "3");
  EXPECT_EQ(options.properties.at("session.timeout.ms"), "7000");
  EXPECT_EQ(options.source_of("linger.ms"), "-X linger.ms");

  auto flagged = parse({"-F", path, "-b", "flag:1", "-X", "bootstrap.servers=x:1"});
  ASSERT_TRUE(flagged.resolve(env({{"KPIPE_PROFILE", "prod"}})).ok());
  EXPECT_EQ(flagged.broker_list.at(0).to_string(), "flag:1");
  EXPECT_EQ(flagged.properties.at("client.id"), "from-profile");
  EXPECT_EQ(flagged.properties.at("linger.ms"), "2");
}

TEST(GlobalOptions, MissingProfileAndUnknownPropertyAreUsageErrors) {
  std::string path = ::testing::TempDir() + "/kpipe-global-options-profiles.conf";
  {
    std::ofstream out(path);
    out << "[dev]\nbootstrap.servers=dev:1\n";
  }
  auto missing = parse({"-F", path, "--profile", "prod"});
  auto resolved = missing.resolve(env());
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().kind, error_kind::usage);
  EXPECT_NE(resolved.error().message.find("dev"), std::string::npos) << resolved.error().message;

  auto typo = parse({"-X", "ssl.ca.locaton=/tmp/ca.pem"});
  resolved = typo.resolve(env());
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().kind, error_kind::usage);
  EXPECT_NE(resolved.error().message.find("ssl.ca.location"), std::string::npos);
}

TEST(GlobalOptions, TlsFlagsAskForTlsAndSaslFlagsForSasl) {
  auto tls = parse({"--tls-ca", "/tmp/ca.pem"});
  ASSERT_TRUE(tls.resolve(env()).ok());
  EXPECT_EQ(tls.security.protocol, "SSL");
  ASSERT_TRUE(tls.security.tls.has_value());
  EXPECT_EQ(tls.security.tls->ca_location, "/tmp/ca.pem");

  auto both = parse({"--tls", "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", "me"});
  ASSERT_TRUE(both.resolve(env({{"KPIPE_SASL_PASSWORD", "s3cret"}})).ok());
  EXPECT_EQ(both.security.protocol, "SASL_SSL");
  ASSERT_TRUE(both.security.sasl.has_value());
  EXPECT_EQ(both.security.sasl->username, "me");
  EXPECT_EQ(both.security.sasl->password, "s3cret");

  // A flag beats -X: --tls turns SASL_PLAINTEXT into SASL_SSL, never the reverse.
  auto upgraded =
      parse({"--tls", "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=PLAIN"});
  ASSERT_TRUE(upgraded.resolve(env()).ok());
  EXPECT_EQ(upgraded.security.protocol, "SASL_SSL");
}

TEST(GlobalOptions, ShowConfigMasksSecretsAndNamesSources) {
  auto options = parse(
      {"-X", "security.protocol=SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN", "--sasl-user", "me"});
  ASSERT_TRUE(options.resolve(env({{"KPIPE_SASL_PASSWORD", "hunter2-secret"}})).ok());
  std::string text = render_settings(options);
  EXPECT_EQ(text.find("hunter2-secret"), std::string::npos) << text;
  EXPECT_NE(text.find("sasl.password=********"), std::string::npos) << text;
  EXPECT_NE(text.find("# KPIPE_SASL_PASSWORD"), std::string::npos) << text;
  EXPECT_NE(text.find("# --sasl-user"), std::string::npos) << text;
  EXPECT_NE(text.find("bootstrap.servers=localhost:9092"), std::string::npos) << text;
  options.format = output_format::json;
  std::string json = render_settings(options);
  EXPECT_EQ(json.find("hunter2-secret"), std::string::npos) << json;
}

}  // namespace
}  // namespace kpipe::cli
