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

#include "protocol/generated/api_table.hpp"
#include "protocol/generated/api_versions.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/generated/metadata.hpp"

namespace kpipe::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct received_request {
  protocol::header::request header;
  protocol::byte_buffer body;
};

// What the fake broker does with one request: a response body to send (after a v0/v1 header
// with the request's correlation id), or nothing.
using script = std::function<std::optional<protocol::writer>(const received_request&)>;

// A broker on 127.0.0.1 that reads request frames and answers through a script. close_after
// lets it hang up after N requests; raw_reply sends bytes that are not a frame at all.
class fake_broker {
 public:
  explicit fake_broker(asio::io_context& io) : acceptor_(io, tcp::endpoint(tcp::v4(), 0)) {}

  broker_address address() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }

  void serve(script respond, std::size_t connections = 1) {
    respond_ = std::move(respond);
    asio::co_spawn(acceptor_.get_executor(), accept_loop(connections), asio::detached);
  }

  std::vector<received_request> requests;
  std::string raw_reply;  // sent instead of any response when not empty
  bool close_on_api_versions_v_gt_0 = false;
  bool batch_replies = false;  // answer only once `batch_size` requests arrived
  std::size_t batch_size = 1;
  std::int32_t correlation_offset = 0;  // corrupts correlation ids in responses

 private:
  asio::awaitable<void> accept_loop(std::size_t connections) {
    for (std::size_t i = 0; i < connections; ++i) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      co_await handle(std::move(socket));
    }
  }

  asio::awaitable<void> handle(tcp::socket socket) {
    std::vector<protocol::byte_buffer> pending;
    while (true) {
      std::array<std::uint8_t, 4> prefix{};
      auto [ec, n] = co_await asio::async_read(socket, asio::buffer(prefix), use_tuple);
      if (ec) co_return;
      std::uint32_t size = (prefix[0] << 24) | (prefix[1] << 16) | (prefix[2] << 8) | prefix[3];
      protocol::byte_buffer frame(size);
      auto [ec2, m] = co_await asio::async_read(socket, asio::buffer(frame), use_tuple);
      if (ec2) co_return;
      protocol::reader r(frame);
      received_request req;
      // Peek at key and version to know the header version.
      std::int16_t key = static_cast<std::int16_t>((frame[0] << 8) | frame[1]);
      std::int16_t version = static_cast<std::int16_t>((frame[2] << 8) | frame[3]);
      EXPECT_TRUE(req.header.decode(r, protocol::request_header_version(key, version)));
      auto body = r.raw(r.remaining());
      req.body.assign(body.begin(), body.end());
      requests.push_back(req);
      if (close_on_api_versions_v_gt_0 && key == 18 && version > 0) co_return;
      if (!raw_reply.empty()) {
        co_await asio::async_write(socket, asio::buffer(raw_reply), use_tuple);
        continue;
      }
      auto response = respond_(req);
      if (!response) continue;
      protocol::writer out;
      auto at = out.reserve_i32();
      protocol::header::response header;
      header.correlation_id = req.header.correlation_id + correlation_offset;
      header.encode(out, protocol::response_header_version(key, version));
      out.raw(response->buffer());
      out.patch_i32(at, static_cast<std::int32_t>(out.size() - 4));
      pending.push_back(out.take());
      if (batch_replies && pending.size() < batch_size) continue;
      for (auto& p : pending) co_await asio::async_write(socket, asio::buffer(p), use_tuple);
      pending.clear();
    }
  }

  tcp::acceptor acceptor_;
  script respond_;
};

protocol::writer api_versions_body(std::int16_t version, std::int16_t error_code,
                                   std::int16_t api_versions_max, std::int16_t metadata_max) {
  protocol::api_versions::response response;
  response.error_code = error_code;
  response.api_keys.push_back({.api_key = 18,
                               .min_version = 0,
                               .max_version = api_versions_max,
                               .unknown_tagged_fields = {}});
  if (error_code == 0) {
    response.api_keys.push_back(
        {.api_key = 3, .min_version = 0, .max_version = metadata_max, .unknown_tagged_fields = {}});
  }
  protocol::writer w;
  response.encode(w, version);
  return w;
}

// A broker that knows ApiVersions up to `api_versions_max` and Metadata up to `metadata_max`,
// answering newer ApiVersions requests as Kafka does (KIP-511: v0 body, error 35).
script kafka_like(std::int16_t api_versions_max, std::int16_t metadata_max) {
  return [=](const received_request& req) -> std::optional<protocol::writer> {
    auto v = req.header.request_api_version;
    if (req.header.request_api_key == 18) {
      if (v > api_versions_max) return api_versions_body(0, 35, api_versions_max, metadata_max);
      return api_versions_body(v, 0, api_versions_max, metadata_max);
    }
    if (req.header.request_api_key == 3) {
      protocol::metadata::response response;
      response.cluster_id = "cluster-" + std::to_string(req.header.correlation_id);
      protocol::writer w;
      response.encode(w, v);
      return w;
    }
    return std::nullopt;
  };
}

connection_options fast_options() {
  connection_options options;
  options.stage_timeout = std::chrono::milliseconds(2000);
  options.request_timeout = std::chrono::milliseconds(2000);
  return options;
}

// Runs a test coroutine to completion on `io`.
template <class F>
void run(asio::io_context& io, F body) {
  bool done = false;
  asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run_for(std::chrono::seconds(10));
  ASSERT_TRUE(done) << "the test coroutine did not finish";
}

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
