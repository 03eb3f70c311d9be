// net::connection against a scripted in-process broker: version negotiation and its fallbacks,
// requests in flight at once, correlation mismatches, deadlines, framing diagnostics.
#include "net/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <optional>

#include "net/fake_broker.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/api_versions.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/generated/metadata.hpp"

namespace kpipe::net {
namespace {

using namespace test_support;

TEST(Connection, NegotiatesTheHighestCommonVersions) {
  asio::io_context io;
  fake_broker broker(io);
  broker.serve(kafka_like(4, 12));
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), fast_options());
    EXPECT_TRUE(conn.ok()) << (conn.ok() ? "" : conn.error().message);
    if (!conn) co_return;
    EXPECT_EQ(conn.value()->api_versions_version(), 4);
    EXPECT_EQ(conn.value()->version_for(protocol::api_key::metadata), 12);
    EXPECT_EQ(conn.value()->version_for(0), std::nullopt);  // Produce: the broker lacks it
    conn.value()->close();
  });
  ASSERT_EQ(broker.requests.size(), 1u);
  EXPECT_EQ(broker.requests[0].header.client_id, "kpipe");
}

TEST(Connection, RetriesApiVersionsAtTheBrokersMaximum) {
  asio::io_context io;
  fake_broker broker(io);
  broker.serve(kafka_like(2, 9));
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), fast_options());
    EXPECT_TRUE(conn.ok());
    if (!conn) co_return;
    EXPECT_EQ(conn.value()->api_versions_version(), 2);
    EXPECT_EQ(conn.value()->version_for(protocol::api_key::metadata), 9);
    conn.value()->close();
  });
  ASSERT_EQ(broker.requests.size(), 2u);
  EXPECT_EQ(broker.requests[0].header.request_api_version, 4);
  EXPECT_EQ(broker.requests[1].header.request_api_version, 2);
}

TEST(Connection, ReconnectsWithV0WhenTheBrokerHangsUp) {
  asio::io_context io;
  fake_broker broker(io);
  broker.close_on_api_versions_v_gt_0 = true;
  broker.serve(kafka_like(0, 0), 2);
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), fast_options());
    EXPECT_TRUE(conn.ok()) << (conn.ok() ? "" : conn.error().message);
    if (!conn) co_return;
    EXPECT_EQ(conn.value()->api_versions_version(), 0);
    conn.value()->close();
  });
  ASSERT_EQ(broker.requests.size(), 2u);
  EXPECT_EQ(broker.requests[1].header.request_api_version, 0);
}

TEST(Connection, ManyRequestsInFlightGetTheirOwnResponses) {
  asio::io_context io;
  fake_broker broker(io);
  broker.batch_replies = true;
  broker.batch_size = 1;
  broker.serve(kafka_like(4, 12));
  std::vector<std::string> seen(5);
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), fast_options());
    EXPECT_TRUE(conn.ok());
    if (!conn) co_return;
    // From now on the broker holds replies until all five requests have arrived, so all five
    // are in flight together.
    broker.batch_size = 5;
    int finished = 0;
    for (int i = 0; i < 5; ++i) {
      asio::co_spawn(
          io,
          [&, i]() -> asio::awaitable<void> {
            auto response = co_await conn.value()->request(protocol::metadata::request{});
            EXPECT_TRUE(response.ok());
            if (response) seen[static_cast<std::size_t>(i)] = response->cluster_id.value_or("");
            ++finished;
          },
          asio::detached);
    }
    asio::steady_timer wait(io);
    while (finished < 5) {
      wait.expires_after(std::chrono::milliseconds(5));
      co_await wait.async_wait(use_tuple);
    }
    conn.value()->close();
  });
  // Correlation ids 2..6 follow the ApiVersions request's 1, in the order the requests left.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(seen[static_cast<std::size_t>(i)], "cluster-" + std::to_string(i + 2));
}

TEST(Connection, CorrelationMismatchFailsTheConnection) {
  asio::io_context io;
  fake_broker broker(io);
  broker.serve(kafka_like(4, 12));
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), fast_options());
    EXPECT_TRUE(conn.ok());
    if (!conn) co_return;
    broker.correlation_offset = 7;
    auto response = co_await conn.value()->request(protocol::metadata::request{});
    EXPECT_FALSE(response.ok());
    if (!response) {
      EXPECT_EQ(response.error().kind, error_kind::protocol);
      EXPECT_NE(response.error().message.find("correlation id"), std::string::npos)
          << response.error().message;
    }
    EXPECT_FALSE(conn.value()->is_open());
  });
}

TEST(Connection, ARequestWithoutAnswerTimesOut) {
  asio::io_context io;
  fake_broker broker(io);
  broker.serve([](const received_request& req) -> std::optional<protocol::writer> {
    if (req.header.request_api_key == 18) return api_versions_body(4, 0, 4, 12);
    return std::nullopt;  // never answers Metadata
  });
  run(io, [&]() -> asio::awaitable<void> {
    auto options = fast_options();
    options.request_timeout = std::chrono::milliseconds(100);
    auto conn = co_await connection::open(io.get_executor(), broker.address(), options);
    EXPECT_TRUE(conn.ok());
    if (!conn) co_return;
    auto started = std::chrono::steady_clock::now();
    auto response = co_await conn.value()->request(protocol::metadata::request{});
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(response.ok());
    if (!response) {
      EXPECT_EQ(response.error().kind, error_kind::timeout);
      EXPECT_NE(response.error().message.find("Metadata v12"), std::string::npos)
          << response.error().message;
      EXPECT_NE(response.error().message.find("100ms"), std::string::npos);
    }
    EXPECT_GE(waited, std::chrono::milliseconds(100));
    EXPECT_FALSE(conn.value()->is_open());
  });
}

TEST(Connection, SilentBrokerTimesOutInTheApiVersionsStage) {
  asio::io_context io;
  fake_broker broker(io);
  broker.serve(
      [](const received_request&) -> std::optional<protocol::writer> { return std::nullopt; });
  run(io, [&]() -> asio::awaitable<void> {
    auto options = fast_options();
    options.stage_timeout = std::chrono::milliseconds(100);
    auto conn = co_await connection::open(io.get_executor(), broker.address(), options);
    EXPECT_FALSE(conn.ok());
    if (conn) co_return;
    EXPECT_EQ(conn.error().kind, error_kind::timeout);
    EXPECT_EQ(conn.error().message,
              broker.address().to_string() + ": api-versions: no answer within 100ms");
  });
}

TEST(Connection, RefusedConnectionNamesTheBrokerAndStage) {
  asio::io_context io;
  broker_address nobody;
  {
    // A port that was just free: bind, note it, close.
    tcp::acceptor a(io, tcp::endpoint(tcp::v4(), 0));
    nobody = {"127.0.0.1", a.local_endpoint().port()};
  }
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), nobody, fast_options(), 7);
    EXPECT_FALSE(conn.ok());
    if (conn) co_return;
    EXPECT_EQ(conn.error().kind, error_kind::io);
    EXPECT_EQ(conn.error().message.rfind("broker 7 (" + nobody.to_string() + "): connect: ", 0), 0u)
        << conn.error().message;
  });
}

TEST(Connection, HttpPeerGetsAHint) {
  asio::io_context io;
  fake_broker broker(io);
  broker.raw_reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
  broker.serve(kafka_like(4, 12));
  run(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await connection::open(io.get_executor(), broker.address(), fast_options());
    EXPECT_FALSE(conn.ok());
    if (conn) co_return;
    EXPECT_EQ(conn.error().kind, error_kind::protocol);
    EXPECT_NE(conn.error().message.find("HTTP"), std::string::npos) << conn.error().message;
  });
}

}  // namespace
}  // namespace kpipe::net
