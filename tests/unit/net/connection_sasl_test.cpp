// net::connection's SASL steps against a scripted broker: the order of SaslHandshake and
// SaslAuthenticate after ApiVersions, failures in words, and KIP-368 re-authentication holding
// requests back until it is done.
#include <gtest/gtest.h>

#include "net/connection.hpp"
#include "net/fake_broker.hpp"
#include "protocol/generated/sasl_authenticate.hpp"
#include "protocol/generated/sasl_handshake.hpp"

namespace kpipe::net {
namespace {

using namespace test_support;

// PLAIN with fixed credentials, standing in for the real mechanisms (tested on their own).
class fixed_plain : public sasl::authenticator {
 public:
  class exchange : public sasl::exchange {
   public:
    result<std::string> initial() override { return std::string("\0user\0pw", 8); }
    result<std::optional<std::string>> respond(std::string_view) override {
      return std::optional<std::string>();
    }
  };
  sasl::mechanism_kind mechanism() const override { return sasl::mechanism_kind::plain; }
  asio::awaitable<result<std::unique_ptr<sasl::exchange>>> begin(
      asio::any_io_executor, std::chrono::milliseconds) override {
    ++begun;
    co_return std::unique_ptr<sasl::exchange>(std::make_unique<exchange>());
  }
  int begun = 0;
};

struct sasl_broker_behaviour {
  std::int16_t handshake_error = 0;
  std::int16_t authenticate_error = 0;
  std::string authenticate_message;
  std::int64_t session_lifetime_ms = 0;
};

script sasl_broker(const sasl_broker_behaviour& b) {
  return [b](const received_request& req) -> std::optional<protocol::writer> {
    auto key = req.header.request_api_key;
    auto v = req.header.request_api_version;
    protocol::writer w;
    if (key == 18) {
      protocol::api_versions::response response;
      for (auto [k, max] :
           std::vector<std::pair<std::int16_t, std::int16_t>>{{18, 3}, {3, 12}, {17, 1}, {36, 2}}) {
        response.api_keys.push_back(
            {.api_key = k, .min_version = 0, .max_version = max, .unknown_tagged_fields = {}});
      }
      response.encode(w, v);
    } else if (key == 17) {
      protocol::sasl_handshake::response response;
      response.error_code = b.handshake_error;
      response.mechanisms = {"SCRAM-SHA-512", "OAUTHBEARER"};
      response.encode(w, v);
    } else if (key == 36) {
      protocol::sasl_authenticate::response response;
      response.error_code = b.authenticate_error;
      if (!b.authenticate_message.empty()) response.error_message = b.authenticate_message;
      response.session_lifetime_ms = b.session_lifetime_ms;
      response.encode(w, v);
    } else if (key == 3) {
      protocol::metadata::response response;
      response.encode(w, v);
    } else {
      return std::nullopt;
    }
    return w;
  };
}

std::vector<std::int16_t> keys_of(const fake_broker& broker) {
  std::vector<std::int16_t> keys;
  for (const auto& r : broker.requests) keys.push_back(r.header.request_api_key);
  return keys;
}

TEST(ConnectionSasl, AuthenticatesAfterApiVersionsBeforeAnyOtherRequest) {
  asio::io_context io;
  fake_broker broker(io);
  broker.serve(sasl_broker({}));
  auto options = fast_options();
  options.sasl = std::make_shared<fixed_plain>();
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), options);
    EXPECT_TRUE(conn.ok()) << (conn.ok() ? "" : conn.error().message);
    if (!conn) co_return;
    auto metadata = co_await conn.value()->request(protocol::metadata::request{});
    EXPECT_TRUE(metadata.ok());
    conn.value()->close();
  });
  EXPECT_EQ(keys_of(broker), (std::vector<std::int16_t>{18, 17, 36, 3}));
  // SaslHandshake names the mechanism; SaslAuthenticate carries the mechanism's message.
  protocol::sasl_handshake::request handshake;
  protocol::reader hr(broker.requests[1].body);
  ASSERT_TRUE(handshake.decode(hr, broker.requests[1].header.request_api_version));
  EXPECT_EQ(handshake.mechanism, "PLAIN");
  protocol::sasl_authenticate::request authenticate;
  protocol::reader ar(broker.requests[2].body);
  ASSERT_TRUE(authenticate.decode(ar, broker.requests[2].header.request_api_version));
  EXPECT_EQ(std::string(authenticate.auth_bytes.begin(), authenticate.auth_bytes.end()),
            std::string("\0user\0pw", 8));
}

TEST(ConnectionSasl, RefusedCredentialsAreAnAuthErrorWithTheBrokersWords) {
  asio::io_context io;
  fake_broker broker(io);
  sasl_broker_behaviour refusing;
  refusing.authenticate_error = 58;
  refusing.authenticate_message = "Authentication failed: Invalid username or password";
  broker.serve(sasl_broker(refusing));
  auto options = fast_options();
  options.sasl = std::make_shared<fixed_plain>();
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), options);
    EXPECT_FALSE(conn.ok());
    if (conn) co_return;
    EXPECT_EQ(conn.error().kind, error_kind::auth);
    EXPECT_NE(conn.error().message.find("SASL PLAIN"), std::string::npos) << conn.error().message;
    EXPECT_NE(conn.error().message.find("Invalid username or password"), std::string::npos);
    EXPECT_NE(conn.error().message.find(broker.address().to_string()), std::string::npos);
    EXPECT_EQ(conn.error().message.find("pw"), std::string::npos) << conn.error().message;
  });
}

TEST(ConnectionSasl, AnUnsupportedMechanismListsTheEnabledOnes) {
  asio::io_context io;
  fake_broker broker(io);
  sasl_broker_behaviour other_mechanisms;
  other_mechanisms.handshake_error = 33;
  broker.serve(sasl_broker(other_mechanisms));
  auto options = fast_options();
  options.sasl = std::make_shared<fixed_plain>();
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), options);
    EXPECT_FALSE(conn.ok());
    if (conn) co_return;
    EXPECT_EQ(conn.error().kind, error_kind::auth);
    EXPECT_NE(conn.error().message.find("SCRAM-SHA-512, OAUTHBEARER"), std::string::npos)
        << conn.error().message;
  });
}

TEST(ConnectionSasl, ReauthenticatesBeforeTheSessionEndsAndHoldsRequestsMeanwhile) {
  asio::io_context io;
  fake_broker broker(io);
  sasl_broker_behaviour short_sessions;
  short_sessions.session_lifetime_ms = 200;
  broker.serve(sasl_broker(short_sessions));
  auto options = fast_options();
  auto authenticator = std::make_shared<fixed_plain>();
  options.sasl = authenticator;
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), options);
    EXPECT_TRUE(conn.ok());
    if (!conn) co_return;
    asio::steady_timer wait(io, std::chrono::milliseconds(250));
    co_await wait.async_wait(use_tuple);
    // Two requests at once after the session's 85-95% mark: both wait for re-authentication.
    auto first = conn.value()->start(3, 12, {}, std::chrono::milliseconds(2000));
    auto second = conn.value()->start(3, 12, {}, std::chrono::milliseconds(2000));
    EXPECT_TRUE(first.ok() && second.ok());
    if (!first || !second) co_return;
    auto a = co_await conn.value()->finish(first.value());
    auto b = co_await conn.value()->finish(second.value());
    EXPECT_TRUE(a.ok());
    EXPECT_TRUE(b.ok());
    conn.value()->close();
  });
  EXPECT_EQ(authenticator->begun, 2);
  EXPECT_EQ(keys_of(broker), (std::vector<std::int16_t>{18, 17, 36, 17, 36, 3, 3}));
}

TEST(ConnectionSasl, NoSessionLifetimeMeansNoReauthentication) {
  asio::io_context io;
  fake_broker broker(io);
  broker.serve(sasl_broker({}));
  auto options = fast_options();
  auto authenticator = std::make_shared<fixed_plain>();
  options.sasl = authenticator;
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), options);
    EXPECT_TRUE(conn.ok());
    if (!conn) co_return;
    asio::steady_timer wait(io, std::chrono::milliseconds(100));
    co_await wait.async_wait(use_tuple);
    auto metadata = co_await conn.value()->request(protocol::metadata::request{});
    EXPECT_TRUE(metadata.ok());
    conn.value()->close();
  });
  EXPECT_EQ(authenticator->begun, 1);
  EXPECT_EQ(keys_of(broker), (std::vector<std::int16_t>{18, 17, 36, 3}));
}

}  // namespace
}  // namespace kpipe::net
