// SASL PLAIN's one message, the mechanism names, and make_authenticator's checks.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "net/sasl/oauthbearer.hpp"
#include "net/sasl/plain.hpp"
#include "net/sasl/sasl.hpp"

namespace kpipe::net::sasl {
namespace {

TEST(SaslPlain, MessageIsEmptyAuthzidUserAndPassword) {
  plain_exchange exchange("alice", "p@ss word");
  auto first = exchange.initial();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value(), std::string("\0alice\0p@ss word", 16));
  auto done = exchange.respond("");
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done.value().has_value());
}

TEST(SaslPlain, ANonEmptyAnswerIsAnAuthErrorWithoutThePassword) {
  plain_exchange exchange("alice", "hunter2");
  ASSERT_TRUE(exchange.initial().ok());
  auto answer = exchange.respond("unexpected");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, error_kind::auth);
  EXPECT_EQ(answer.error().message.find("hunter2"), std::string::npos);
}

TEST(SaslPlain, AnAnswerBeforeTheMessageIsAProtocolError) {
  plain_exchange exchange("alice", "pw");
  auto answer = exchange.respond("");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, error_kind::protocol);
}

TEST(SaslPlain, AuthenticatorHandsOutExchanges) {
  sasl_options options;
  options.mechanism = mechanism_kind::plain;
  options.username = "alice";
  options.password = "pw";
  auto made = make_authenticator(options, nullptr);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made.value()->mechanism(), mechanism_kind::plain);
  asio::io_context io;
  std::string first;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto exchange = co_await made.value()->begin(io.get_executor(), std::chrono::seconds(1));
        EXPECT_TRUE(exchange.ok());
        if (!exchange) co_return;
        auto message = exchange.value()->initial();
        if (message) first = message.value();
      },
      asio::detached);
  io.run();
  EXPECT_EQ(first, std::string("\0alice\0pw", 9));
}

TEST(SaslMechanisms, NamesAsKafkaSpellsThemParsedIgnoringCase) {
  EXPECT_EQ(mechanism_name(mechanism_kind::plain), "PLAIN");
  EXPECT_EQ(mechanism_name(mechanism_kind::scram_sha_256), "SCRAM-SHA-256");
  EXPECT_EQ(mechanism_name(mechanism_kind::scram_sha_512), "SCRAM-SHA-512");
  EXPECT_EQ(mechanism_name(mechanism_kind::oauthbearer), "OAUTHBEARER");
  for (auto kind : {mechanism_kind::plain, mechanism_kind::scram_sha_256,
                    mechanism_kind::scram_sha_512, mechanism_kind::oauthbearer}) {
    EXPECT_EQ(parse_mechanism(mechanism_name(kind)), kind);
  }
  EXPECT_EQ(parse_mechanism("scram-sha-512"), mechanism_kind::scram_sha_512);
  EXPECT_EQ(parse_mechanism("OAuthBearer"), mechanism_kind::oauthbearer);
  EXPECT_FALSE(parse_mechanism("GSSAPI").has_value());
  EXPECT_FALSE(parse_mechanism("SCRAM-SHA-1").has_value());
  EXPECT_FALSE(parse_mechanism("").has_value());
}

TEST(SaslMechanisms, PasswordMechanismsNeedAUsernameAndAPassword) {
  for (auto kind :
       {mechanism_kind::plain, mechanism_kind::scram_sha_256, mechanism_kind::scram_sha_512}) {
    sasl_options options;
    options.mechanism = kind;
    options.username = "alice";
    auto made = make_authenticator(options, nullptr);
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().kind, error_kind::usage);
    EXPECT_NE(made.error().message.find(std::string(mechanism_name(kind))), std::string::npos);

    options.username.clear();
    options.password = "secret";
    made = make_authenticator(options, nullptr);
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().message.find("secret"), std::string::npos);

    options.username = "alice";
    made = make_authenticator(options, nullptr);
    ASSERT_TRUE(made.ok());
    EXPECT_EQ(made.value()->mechanism(), kind);
  }
}

TEST(SaslMechanisms, PlainRefusesNulInCredentials) {
  sasl_options options;
  options.mechanism = mechanism_kind::plain;
  options.username = "alice";
  options.password = std::string("pw\0x", 4);
  auto made = make_authenticator(options, nullptr);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, error_kind::usage);
}

TEST(SaslMechanisms, OauthbearerNeedsATokenSource) {
  sasl_options options;
  options.mechanism = mechanism_kind::oauthbearer;
  auto made = make_authenticator(options, nullptr);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, error_kind::usage);

  options.oauth.unsecured_principal = "alice";
  made = make_authenticator(options, nullptr);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made.value()->mechanism(), mechanism_kind::oauthbearer);
}

}  // namespace
}  // namespace kpipe::net::sasl
