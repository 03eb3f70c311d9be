#include "net/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "protocol/generated/api_table.hpp"
#include "protocol/generated/api_versions.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/header.hpp"

namespace kpipe::net {

using namespace asio::experimental::awaitable_operators;
using asio::use_awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string milliseconds_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::string api_name(std::int16_t key) {
  const auto* api = protocol::find_api(key);
  return api ? std::string(api->name) : "API " + std::to_string(key);
}

// A frame size that is really the start of another protocol gets a hint, not just "too large".
std::string frame_size_problem(const std::array<std::uint8_t, 4>& prefix, std::uint32_t size,
                               std::size_t limit) {
  if (prefix[0] == 'H' && prefix[1] == 'T' && prefix[2] == 'T' && prefix[3] == 'P') {
    return "the peer answered in HTTP, not the Kafka protocol: is this a Kafka listener?";
  }
  if (prefix[0] == 0x15 && prefix[1] == 0x03) {
    return "the peer answered with a TLS alert: the listener expects TLS";
  }
  if (size < 4) return "response frame of " + std::to_string(size) + " bytes is too short";
  return "response frame of " + std::to_string(size) + " bytes exceeds the limit of " +
         std::to_string(limit) + " bytes";
}

}  // namespace

struct connection::pending_request {
  pending_request(asio::any_io_executor executor, std::int32_t id, std::int16_t key,
                  std::int16_t ver)
      : correlation_id(id), api_key(key), version(ver), wake(executor) {}
  std::int32_t correlation_id;
  std::int16_t api_key;
  std::int16_t version;
  // Expires at the request's deadline; cancelled early when the outcome is known.
  asio::steady_timer wake;
  std::optional<result<response_frame>> outcome;
  asio::steady_timer::duration timeout{};
};

connection::connection(asio::any_io_executor executor, broker_address address,
                       connection_options options, std::int32_t node_id)
    : executor_(executor),
      socket_(executor),
      address_(std::move(address)),
      options_(std::move(options)),
      node_id_(node_id) {}

connection::~connection() = default;

std::string connection::name() const {
  if (node_id_ >= 0)
    return "broker " + std::to_string(node_id_) + " (" + address_.to_string() + ")";
  return address_.to_string();
}

error connection::stage_error(const char* stage, const std::string& what, error_kind kind) const {
  return error{kind, name() + ": " + stage + ": " + what};
}

asio::awaitable<result<std::shared_ptr<connection>>> connection::open(
    asio::any_io_executor executor, broker_address address, connection_options options,
    std::int32_t node_id) {
  auto conn = std::make_shared<connection>(executor, address, options, node_id);
  if (auto connected = co_await conn->connect_socket(); !connected) co_return connected.error();
  auto negotiated = co_await conn->negotiate_versions(protocol::api_versions::request::max_version);
  if (negotiated) co_return conn;
  if (negotiated.error().kind != error_kind::io) co_return negotiated.error();
  // A broker that cannot parse a newer ApiVersions request may just close the connection
  // (brokers before KIP-511): try once more, on a new connection, with v0.
  auto retry = std::make_shared<connection>(executor, address, options, node_id);
  if (auto connected = co_await retry->connect_socket(); !connected) co_return connected.error();
  auto second = co_await retry->negotiate_versions(0);
  if (!second) co_return second.error();
  co_return retry;
}

asio::awaitable<status> connection::connect_socket() {
  asio::ip::tcp::resolver resolver(executor_);
  asio::steady_timer deadline(executor_, options_.stage_timeout);
  auto resolved =
      co_await (resolver.async_resolve(address_.host, std::to_string(address_.port), use_tuple) ||
                deadline.async_wait(use_tuple));
  if (resolved.index() == 1) {
    co_return stage_error("resolve",
                          "no answer within " + milliseconds_text(options_.stage_timeout),
                          error_kind::timeout);
  }
  auto [resolve_ec, endpoints] = std::get<0>(resolved);
  if (resolve_ec) co_return stage_error("resolve", resolve_ec.message(), error_kind::io);

  deadline.expires_after(options_.stage_timeout);
  auto connected = co_await (asio::async_connect(socket_, endpoints, use_tuple) ||
                             deadline.async_wait(use_tuple));
  if (connected.index() == 1) {
    socket_.close();
    co_return stage_error("connect",
                          "no answer within " + milliseconds_text(options_.stage_timeout),
                          error_kind::timeout);
  }
  auto [connect_ec, endpoint] = std::get<0>(connected);
  if (connect_ec) co_return stage_error("connect", connect_ec.message(), error_kind::io);
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);

  asio::co_spawn(executor_, read_loop(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  co_return success{};
}

asio::awaitable<status> connection::negotiate_versions(std::int16_t first_version) {
  namespace av = protocol::api_versions;
  std::int16_t version = first_version;
  for (int attempt = 0; attempt < 3; ++attempt) {
    av::request request;
    request.client_software_name = options_.client_software_name;
    request.client_software_version = options_.client_software_version;
    protocol::writer body;
    request.encode(body, version);
    auto frame = co_await send(protocol::api_key::api_versions, version, body.take(),
                               options_.stage_timeout);
    if (!frame) {
      error e = frame.error();
      if (e.kind == error_kind::timeout) {
        e.message = name() + ": api-versions: no answer within " +
                    milliseconds_text(options_.stage_timeout);
      }
      co_return e;
    }
    // A broker that does not know `version` answers UNSUPPORTED_VERSION, in v0 encoding (KIP-511)
    // with the ApiVersions range it supports. Some (librdkafka's mock cluster) encode that answer
    // otherwise; then the range cannot be read and v0, which every broker knows, comes next.
    av::response response;
    protocol::reader r(frame->body(), frame->body_offset);
    bool decoded = response.decode(r, version);
    if (!decoded || response.error_code == 35) {
      av::response v0;
      protocol::reader r0(frame->body(), frame->body_offset);
      if (v0.decode(r0, 0) && r0.at_end()) {
        response = std::move(v0);
        decoded = true;
      }
    }
    if (decoded && response.error_code == 35 && version > 0) {
      std::int16_t next = 0;
      for (const auto& api : response.api_keys) {
        if (api.api_key == protocol::api_key::api_versions && api.max_version < version) {
          next = std::max<std::int16_t>(api.max_version, 0);
        }
      }
      version = next;
      continue;
    }
    if (!decoded) co_return decode_error(*this, protocol::api_key::api_versions, version, r);
    if (response.error_code != 0) {
      co_return stage_error("api-versions", std::string(protocol::error_name(response.error_code)),
                            error_kind::kafka);
    }
    broker_versions_.clear();
    for (const auto& api : response.api_keys) {
      broker_versions_[api.api_key] = version_range{api.min_version, api.max_version};
    }
    api_versions_version_ = version;
    co_return success{};
  }
  co_return stage_error("api-versions", "the broker refused every ApiVersions version",
                        error_kind::protocol);
}

std::optional<std::int16_t> connection::version_for(std::int16_t api_key) const {
  const auto* ours = protocol::find_api(api_key);
  auto theirs = broker_versions_.find(api_key);
  if (!ours || theirs == broker_versions_.end()) return std::nullopt;
  std::int16_t high = std::min(ours->max_version, theirs->second.max);
  std::int16_t low = std::max(ours->min_version, theirs->second.min);
  if (high < low) return std::nullopt;
  return high;
}

result<connection::request_handle> connection::start(std::int16_t api_key, std::int16_t version,
                                                     protocol::byte_buffer body,
                                                     std::chrono::milliseconds timeout,
                                                     bool expect_response) {
  return start(api_key, version, std::move(body), {}, nullptr, timeout, expect_response);
}

result<connection::request_handle> connection::start(
    std::int16_t api_key, std::int16_t version, protocol::byte_buffer body,
    std::vector<std::span<const std::uint8_t>> pieces, std::shared_ptr<const void> keep_alive,
    std::chrono::milliseconds timeout, bool expect_response) {
  if (failure_) return *failure_;
  auto pending =
      std::make_shared<pending_request>(executor_, next_correlation_id_++, api_key, version);
  protocol::header::request header;
  header.request_api_key = api_key;
  header.request_api_version = version;
  header.correlation_id = pending->correlation_id;
  header.client_id = options_.client_id;
  std::size_t body_size = body.size();
  if (!pieces.empty()) {
    body_size = 0;
    for (const auto& p : pieces) body_size += p.size();
  }
  protocol::writer head;
  std::size_t size_at = head.reserve_i32();
  header.encode(head, protocol::request_header_version(api_key, version));
  head.patch_i32(size_at, static_cast<std::int32_t>(head.size() - 4 + body_size));

  pending->timeout = timeout;
  pending->wake.expires_after(timeout);
  // The body leaves as its own buffers of a gathered write: a Produce request's megabytes of
  // record batches are never copied behind the header.
  queued_frame frame{head.take(), std::move(body), std::move(pieces), std::move(keep_alive),
                     nullptr};
  if (expect_response) {
    in_flight_.push_back(pending);
  } else {
    frame.written = pending;  // acks=0: done once written
    unanswered_.insert(pending->correlation_id);
    unanswered_order_.push_back(pending->correlation_id);
    if (unanswered_order_.size() > max_unanswered_remembered) {
      unanswered_.erase(unanswered_order_.front());
      unanswered_order_.pop_front();
    }
  }
  write_queue_.push_back(std::move(frame));
  start_writer();
  return pending;
}

asio::awaitable<result<response_frame>> connection::finish(request_handle pending) {
  if (!pending->outcome) co_await pending->wake.async_wait(use_tuple);
  if (pending->outcome) co_return std::move(*pending->outcome);
  auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(pending->timeout);
  error late{error_kind::timeout, api_name(pending->api_key) + " v" +
                                      std::to_string(pending->version) + " request to " + name() +
                                      ": no answer within " + milliseconds_text(timeout)};
  fail(error{error_kind::timeout,
             name() + ": connection closed after a request got no answer in time"});
  co_return late;
}

asio::awaitable<result<response_frame>> connection::send(std::int16_t api_key, std::int16_t version,
                                                         protocol::byte_buffer body,
                                                         std::chrono::milliseconds timeout) {
  auto pending = start(api_key, version, std::move(body), timeout, true);
  if (!pending) co_return pending.error();
  co_return co_await finish(std::move(pending).value());
}

void connection::start_writer() {
  if (writing_ || failure_) return;
  writing_ = true;
  asio::co_spawn(executor_, write_loop(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
}

asio::awaitable<void> connection::write_loop() {
  auto self = shared_from_this();
  std::vector<queued_frame> batch;
  std::vector<asio::const_buffer> buffers;
  while (!write_queue_.empty() && !failure_) {
    // Everything queued leaves in one gathered write.
    batch.clear();
    buffers.clear();
    while (!write_queue_.empty()) {
      batch.push_back(std::move(write_queue_.front()));
      write_queue_.pop_front();
    }
    for (const auto& f : batch) {
      buffers.push_back(asio::buffer(f.head));
      if (f.pieces.empty()) {
        if (!f.body.empty()) buffers.push_back(asio::buffer(f.body));
      } else {
        for (const auto& p : f.pieces) {
          if (!p.empty()) buffers.push_back(asio::buffer(p.data(), p.size()));
        }
      }
    }
    auto [ec, written] = co_await asio::async_write(socket_, buffers, use_tuple);
    if (ec) {
      fail(stage_error("write", ec.message(), error_kind::io));
    }
    for (auto& f : batch) {
      if (!f.written) continue;
      f.written->outcome =
          failure_ ? result<response_frame>(*failure_) : result<response_frame>(response_frame{});
      f.written->wake.cancel();
    }
    if (ec) break;
  }
  writing_ = false;
}

asio::awaitable<void> connection::read_loop() {
  auto self = shared_from_this();
  std::array<std::uint8_t, 4> prefix{};
  while (!failure_) {
    auto [ec, n] = co_await asio::async_read(socket_, asio::buffer(prefix), use_tuple);
    acknowledge_quickly();
    if (ec) {
      if (!failure_) {
        std::string what =
            ec == asio::error::eof ? "connection closed by the broker" : ec.message();
        // A SASL listener answers ApiVersions, then hangs up on the first request that is not
        // an authentication step (KIP-152): say so, as nothing else would hint at it.
        if (ec == asio::error::eof && !broker_versions_.empty() && next_correlation_id_ <= 3) {
          what += " after its first request (does this listener require SASL authentication?)";
        }
        fail(stage_error("read", what, error_kind::io));
      }
      co_return;
    }
    std::uint32_t size = (std::uint32_t{prefix[0]} << 24) | (std::uint32_t{prefix[1]} << 16) |
                         (std::uint32_t{prefix[2]} << 8) | prefix[3];
    if (size < 4 || size > options_.max_frame_bytes) {
      fail(stage_error("read", frame_size_problem(prefix, size, options_.max_frame_bytes),
                       error_kind::protocol));
      co_return;
    }
    protocol::byte_buffer bytes(size);
    auto [body_ec, m] = co_await asio::async_read(socket_, asio::buffer(bytes), use_tuple);
    if (body_ec) {
      if (!failure_) fail(stage_error("read", body_ec.message(), error_kind::io));
      co_return;
    }
    // Produce with acks=0 expects no answer, but some brokers (librdkafka's mock cluster, on
    // errors) send one anyway: such frames are recognised by their correlation id and dropped.
    auto correlation = static_cast<std::int32_t>((std::uint32_t{bytes[0]} << 24) |
                                                 (std::uint32_t{bytes[1]} << 16) |
                                                 (std::uint32_t{bytes[2]} << 8) | bytes[3]);
    if ((in_flight_.empty() || in_flight_.front()->correlation_id != correlation) &&
        unanswered_.count(correlation) != 0) {
      unanswered_.erase(correlation);
      continue;
    }
    if (in_flight_.empty()) {
      if (draining_) continue;
      fail(stage_error("read", "a response arrived with no request in flight",
                       error_kind::protocol));
      co_return;
    }
    auto pending = in_flight_.front();
    protocol::reader r(bytes);
    protocol::header::response header;
    header.decode(r, protocol::response_header_version(pending->api_key, pending->version));
    if (!r.ok() || header.correlation_id != pending->correlation_id) {
      fail(stage_error("read",
                       r.ok() ? "correlation id " + std::to_string(header.correlation_id) +
                                    " does not match the oldest request in flight (" +
                                    std::to_string(pending->correlation_id) + ")"
                              : "bad response header: " + r.error(),
                       error_kind::protocol));
      co_return;
    }
    in_flight_.pop_front();
    pending->outcome = response_frame{std::move(bytes), r.offset()};
    pending->wake.cancel();
  }
}

void connection::acknowledge_quickly() {
#ifdef TCP_QUICKACK
  // A broker that writes a response in two pieces without TCP_NODELAY (librdkafka's mock
  // cluster does) holds the second piece back until our ACK of the first, which Linux delays by
  // up to 40 ms: every answer would take 40 ms. Quick ACKs are not sticky, so ask again on every
  // frame; one setsockopt per response is nothing next to that.
  int one = 1;
  ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#endif
}

void connection::fail(error e) {
  if (failure_) return;
  failure_ = e;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  for (auto& pending : in_flight_) {
    pending->outcome = e;
    pending->wake.cancel();
  }
  in_flight_.clear();
  for (auto& f : write_queue_) {
    if (!f.written) continue;
    f.written->outcome = e;
    f.written->wake.cancel();
  }
  write_queue_.clear();
}

void connection::close() { fail(error{error_kind::io, name() + ": connection closed"}); }

asio::awaitable<void> connection::drain_and_close(std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  asio::steady_timer wait(executor_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // First everything queued goes out.
  while ((writing_ || !write_queue_.empty()) && !failure_ &&
         std::chrono::steady_clock::now() < deadline) {
    wait.expires_after(std::chrono::milliseconds(1));
    co_await wait.async_wait(use_tuple);
  }
  if (!failure_) {
    draining_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    while (!failure_ && std::chrono::steady_clock::now() < deadline) {
      wait.expires_after(std::chrono::milliseconds(2));
      co_await wait.async_wait(use_tuple);
    }
  }
  close();
}

error decode_error(const connection& conn, std::int16_t api_key, std::int16_t version,
                   const protocol::reader& r) {
  return error{error_kind::protocol, api_name(api_key) + " v" + std::to_string(version) +
                                         " response from " + conn.name() + ": " + r.error()};
}

}  // namespace kpipe::net
