#pragma once
// A scripted in-process broker for net::connection's tests: reads request frames, answers
// through a script, and can misbehave on request (hang up, corrupt correlation ids, send bytes
// that are not a frame).

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

#include "net/connection.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/api_versions.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/generated/metadata.hpp"

namespace kpipe::net::test_support {

namespace asio = boost::asio;
using asio::ip::tcp;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

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

inline protocol::writer api_versions_body(std::int16_t version, std::int16_t error_code,
                                          std::int16_t api_versions_max,
                                          std::int16_t metadata_max) {
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
inline script kafka_like(std::int16_t api_versions_max, std::int16_t metadata_max) {
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

inline connection_options fast_options() {
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

}  // namespace kpipe::net::test_support
