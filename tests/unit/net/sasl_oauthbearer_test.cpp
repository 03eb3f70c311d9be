// OAUTHBEARER: the client's message with KIP-342 extensions, the server's error challenge, and
// where the authenticator's token comes from (static, file, unsecured JWT) and when it is
// renewed. The OIDC token endpoint source is tested in oidc_test.cpp.
#include "net/sasl/oauthbearer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <span>

#include "net/sasl/jwt.hpp"
#include "util/base64.hpp"

namespace kpipe::net::sasl {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

std::string b64url(std::string_view text) {
  return util::base64(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                      true);
}

std::string jwt(system_clock::time_point issued, system_clock::time_point expires) {
  auto epoch = [](system_clock::time_point t) {
    return std::to_string(std::chrono::duration_cast<seconds>(t.time_since_epoch()).count());
  };
  return b64url(R"({"alg":"RS256"})") + "." +
         b64url(R"({"sub":"svc","iat":)" + epoch(issued) + R"(,"exp":)" + epoch(expires) + "}") +
         ".sig";
}

struct fake_clock {
  system_clock::time_point now = std::chrono::floor<seconds>(system_clock::now());
  oauthbearer_authenticator::clock function() {
    return [this] { return now; };
  }
};

// begin() then initial(): the message a connection would send, or the error.
result<std::string> first_message(oauthbearer_authenticator& authenticator) {
  asio::io_context io;
  std::optional<result<std::string>> out;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto exchange = co_await authenticator.begin(io.get_executor(), seconds(1));
        if (!exchange) {
          out = exchange.error();
          co_return;
        }
        out = exchange.value()->initial();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  if (!out) return error{error_kind::io, "did not finish"};
  return *out;
}

std::string message_for(std::string_view token) {
  return "n,,\x01"
         "auth=Bearer " +
         std::string(token) + "\x01\x01";
}

class temporary_file {
 public:
  temporary_file()
      : path_(std::filesystem::temp_directory_path() /
              ("kpipe-oauth-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {}
  ~temporary_file() { std::filesystem::remove(path_); }
  void write(const std::string& text) const { std::ofstream(path_) << text; }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// ---- the exchange ----

TEST(SaslOauthbearer, InitialMessageWithSortedExtensions) {
  std::map<std::string, std::string> extensions;
  extensions["traceId"] = "abc 123";
  extensions["logicalCluster"] = "lkc-1";
  oauthbearer_exchange exchange("eyJ.eyJ.sig", extensions);
  auto first = exchange.initial();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value(),
            "n,,\x01"
            "auth=Bearer eyJ.eyJ.sig\x01"
            "logicalCluster=lkc-1\x01"
            "traceId=abc 123\x01\x01");
}

TEST(SaslOauthbearer, EmptyAnswerIsSuccess) {
  oauthbearer_exchange exchange("t", {});
  ASSERT_TRUE(exchange.initial().ok());
  auto done = exchange.respond("");
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done.value().has_value());
}

TEST(SaslOauthbearer, ErrorChallengeIsAcknowledgedAndRemembered) {
  oauthbearer_exchange exchange("t", {});
  ASSERT_TRUE(exchange.initial().ok());
  std::string challenge = R"({"status":"invalid_token","scope":"kafka"})";
  auto ack = exchange.respond(challenge);
  ASSERT_TRUE(ack.ok());
  ASSERT_TRUE(ack.value().has_value());
  EXPECT_EQ(*ack.value(), "\x01");
  EXPECT_EQ(exchange.server_error(), challenge);
  // A server that goes on after the acknowledgement: the failure quotes its JSON.
  auto again = exchange.respond("anything");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, error_kind::auth);
  EXPECT_NE(again.error().message.find("invalid_token"), std::string::npos);
}

TEST(SaslOauthbearer, AnswerBeforeTheMessageIsAnError) {
  oauthbearer_exchange exchange("t", {});
  EXPECT_FALSE(exchange.respond("").ok());
}

TEST(SaslOauthbearer, ExtensionsFollowKip342) {
  std::map<std::string, std::string> good;
  good["logicalCluster"] = "lkc-abc";
  good["x"] = "with space\tand tab";
  EXPECT_TRUE(validate_oauth_extensions(good).ok());
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{{"auth", "x"},
                                                                            {"", "x"},
                                                                            {"key1", "x"},
                                                                            {"my-key", "x"},
                                                                            {"k", ""},
                                                                            {"k", "bell\x07"},
                                                                            {"k", "\xc3\xa9"},
                                                                            {"k",
                                                                             "a\x01"
                                                                             "b"}}) {
    std::map<std::string, std::string> bad;
    bad[key] = value;
    auto checked = validate_oauth_extensions(bad);
    EXPECT_FALSE(checked.ok()) << key << "=" << value;
    if (!checked) {
      EXPECT_EQ(checked.error().kind, error_kind::usage);
    }
  }
}

// ---- token sources ----

TEST(SaslOauthbearer, StaticTokenWinsAndNeverRefreshes) {
  fake_clock clock;
  oauth_options options;
  auto token = jwt(clock.now, clock.now + seconds(3600));
  options.token = token + "\n";
  options.token_file = "/nonexistent/never/read";
  options.unsecured_principal = "ignored";
  auto made = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(made.value()->token_source(), oauthbearer_authenticator::source::fixed_token);
  auto first = first_message(*made.value());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value(), message_for(token));
  const auto& current = made.value()->current_token();
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->expiry(), clock.now + seconds(3600));
  EXPECT_FALSE(current->refresh_at().has_value());
}

TEST(SaslOauthbearer, ExpiredStaticTokenIsAnAuthErrorWithoutTheToken) {
  fake_clock clock;
  oauth_options options;
  options.token = jwt(clock.now - seconds(7200), clock.now - seconds(3600));
  auto made = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(made.ok());
  auto first = first_message(*made.value());
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, error_kind::auth);
  EXPECT_NE(first.error().message.find("expired"), std::string::npos);
  EXPECT_EQ(first.error().message.find(options.token), std::string::npos);
}

TEST(SaslOauthbearer, OpaqueStaticTokenHasNoExpiry) {
  oauth_options options;
  options.token = "opaque-token_value.1";
  auto made = oauthbearer_authenticator::make(options, nullptr);
  ASSERT_TRUE(made.ok());
  auto first = first_message(*made.value());
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(made.value()->current_token()->expiry().has_value());
}

TEST(SaslOauthbearer, TokenWithCharactersKafkaRefusesIsAUsageError) {
  oauth_options options;
  options.token = "has space secretpart";
  auto made = oauthbearer_authenticator::make(options, nullptr);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, error_kind::usage);
  EXPECT_EQ(made.error().message.find("secretpart"), std::string::npos);
}

TEST(SaslOauthbearer, TokenFileIsReadAgainNearItsExpiry) {
  fake_clock clock;
  temporary_file file;
  // A one-hour token: read again 6 minutes (a tenth of its life) before it expires.
  auto first_token = jwt(clock.now, clock.now + seconds(3600));
  file.write(first_token + "\n");
  oauth_options options;
  options.token_file = file.path();
  auto made = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(made.ok());
  auto& authenticator = *made.value();
  EXPECT_EQ(authenticator.token_source(), oauthbearer_authenticator::source::token_file);
  ASSERT_EQ(first_message(authenticator).value(), message_for(first_token));
  EXPECT_EQ(authenticator.current_token()->expiry(), clock.now + seconds(3600));
  EXPECT_EQ(authenticator.current_token()->refresh_at(), clock.now + seconds(3600 - 360));

  auto second_token = jwt(clock.now + seconds(3000), clock.now + seconds(6600));
  file.write(second_token);
  clock.now += seconds(3239);
  EXPECT_EQ(first_message(authenticator).value(), message_for(first_token));
  clock.now += seconds(1);
  EXPECT_EQ(first_message(authenticator).value(), message_for(second_token));
}

TEST(SaslOauthbearer, ShortLivedFileTokenIsReadAgainAMinuteBeforeExpiry) {
  fake_clock clock;
  temporary_file file;
  file.write(jwt(clock.now, clock.now + seconds(300)));
  oauth_options options;
  options.token_file = file.path();
  auto made = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(first_message(*made.value()).ok());
  EXPECT_EQ(made.value()->current_token()->refresh_at(), clock.now + seconds(240));
}

TEST(SaslOauthbearer, ExpiredFileTokenAndMissingFileAreErrors) {
  fake_clock clock;
  temporary_file file;
  auto stale = jwt(clock.now - seconds(600), clock.now - seconds(1));
  file.write(stale);
  oauth_options options;
  options.token_file = file.path();
  auto made = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(made.ok());
  auto first = first_message(*made.value());
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, error_kind::auth);
  EXPECT_NE(first.error().message.find(file.path()), std::string::npos);
  EXPECT_EQ(first.error().message.find(stale), std::string::npos);

  options.token_file = file.path() + ".missing";
  auto missing = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(missing.ok());
  auto none = first_message(*missing.value());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find(options.token_file), std::string::npos);

  file.write("  \n");
  auto empty = oauthbearer_authenticator::make(options, nullptr, clock.function());
  options.token_file = file.path();
  empty = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(first_message(*empty.value()).ok());
}

TEST(SaslOauthbearer, UnsecuredJwtForThePrincipalRenewedAfterFourFifths) {
  fake_clock clock;
  oauth_options options;
  options.unsecured_principal = "alice";
  options.unsecured_scope = "read";
  options.unsecured_lifetime = seconds(100);
  options.extensions["traceId"] = "t1";
  auto made = oauthbearer_authenticator::make(options, nullptr, clock.function());
  ASSERT_TRUE(made.ok());
  auto& authenticator = *made.value();
  auto first = first_message(authenticator);
  ASSERT_TRUE(first.ok());
  const std::string prefix =
      "n,,\x01"
      "auth=Bearer ";
  ASSERT_TRUE(first.value().starts_with(prefix));
  ASSERT_TRUE(first.value().ends_with("\x01traceId=t1\x01\x01"));
  auto token = first.value().substr(prefix.size(),
                                    first.value().find('\x01', prefix.size()) - prefix.size());
  auto claims = decode_jwt_claims(token);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->expires_at, clock.now + seconds(100));
  EXPECT_EQ(authenticator.current_token()->expiry(), clock.now + seconds(100));

  clock.now += seconds(79);
  EXPECT_EQ(first_message(authenticator).value(), first.value());
  clock.now += seconds(1);
  EXPECT_NE(first_message(authenticator).value(), first.value());
}

TEST(SaslOauthbearer, BadExtensionsAreRefusedAtConfiguration) {
  oauth_options options;
  options.unsecured_principal = "alice";
  options.extensions["auth"] = "x";
  auto made = oauthbearer_authenticator::make(options, nullptr);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, error_kind::usage);
}

TEST(SaslOauthbearer, EndpointWithoutClientCredentialsIsAUsageError) {
  oauth_options options;
  options.token_endpoint_url = "https://idp.example/token";
  options.client_id = "id";
  auto made = oauthbearer_authenticator::make(options, nullptr);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, error_kind::usage);
}

}  // namespace
}  // namespace kpipe::net::sasl
