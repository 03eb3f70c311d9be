#include "net/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <random>
#include <vector>

#include "protocol/generated/api_table.hpp"
#include "protocol/generated/api_versions.hpp"
#include "protocol/generated/error_table.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/generated/sasl_authenticate.hpp"
#include "protocol/generated/sasl_handshake.hpp"

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
  if (!negotiated) {
    if (negotiated.error().kind != error_kind::io || conn->options_.tls) {
      co_return negotiated.error();
    }
    // A broker that cannot parse a newer ApiVersions request may just close the connection
    // (brokers before KIP-511): try once more, on a new connection, with v0.
    conn = std::make_shared<connection>(executor, address, options, node_id);
    if (auto connected = co_await conn->connect_socket(); !connected) {
      co_return connected.error();
    }
    auto second = co_await conn->negotiate_versions(0);
    if (!second) co_return second.error();
  }
  if (conn->options_.sasl) {
    if (auto authenticated = co_await conn->authenticate(false); !authenticated) {
      conn->close();
      co_return authenticated.error();
    }
  }
  co_return conn;
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
  if (options_.tls) {
    if (auto secured = co_await handshake_tls(); !secured) co_return secured.error();
  }

  asio::co_spawn(executor_, read_loop(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  co_return success{};
}

asio::awaitable<status> connection::handshake_tls() {
  tls_ =
      std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, options_.tls->native());
  if (auto prepared = options_.tls->prepare(tls_->native_handle(), address_.host); !prepared) {
    co_return prepared.error();
  }
  asio::steady_timer deadline(executor_, options_.stage_timeout);
  auto shaken = co_await (tls_->async_handshake(asio::ssl::stream_base::client, use_tuple) ||
                          deadline.async_wait(use_tuple));
  if (shaken.index() == 1) {
    socket_.close();
    co_return stage_error("TLS handshake",
                          "no answer within " + milliseconds_text(options_.stage_timeout) +
                              " (is this a plaintext listener?)",
                          error_kind::timeout);
  }
  auto [ec] = std::get<0>(shaken);
  if (ec) {
    auto failure =
        describe_tls_failure(ec, tls_->native_handle(), name(), address_.host, "TLS handshake");
    socket_.close();
    co_return failure;
  }
  if (options_.log) {
    SSL* ssl = tls_->native_handle();
    note(std::string("TLS ") + SSL_get_version(ssl) + " with " + SSL_get_cipher_name(ssl) +
         (options_.tls->options().verify_certificate ? "" : " (certificate verification off)"));
  }
  co_return success{};
}

void connection::note(const std::string& text) const {
  if (options_.log) options_.log(name() + ": " + text);
}

asio::awaitable<result<response_frame>> connection::send_auth_step(std::int16_t api_key,
                                                                   std::int16_t version,
                                                                   protocol::byte_buffer body) {
  auto pending =
      enqueue(api_key, version, std::move(body), {}, nullptr, options_.stage_timeout, true, false);
  if (!pending) co_return pending.error();
  co_return co_await finish(std::move(pending).value());
}

asio::awaitable<status> connection::authenticate(bool again) {
  auto& authenticator = *options_.sasl;
  auto mechanism = std::string(sasl::mechanism_name(authenticator.mechanism()));
  auto handshake_version = version_for(protocol::api_key::sasl_handshake);
  auto authenticate_version = version_for(protocol::api_key::sasl_authenticate);
  if (!handshake_version || *handshake_version < 1 || !authenticate_version) {
    co_return stage_error("SASL",
                          "the broker does not support SaslAuthenticate (Kafka 1.0+, KIP-152): "
                          "is this listener SASL?",
                          error_kind::protocol);
  }
  const std::string stage = "SASL " + mechanism;
  auto fail_with = [&](error_kind kind, const std::string& what) {
    return stage_error(stage.c_str(), what, kind);
  };

  protocol::sasl_handshake::request handshake;
  handshake.mechanism = mechanism;
  protocol::writer handshake_body;
  handshake.encode(handshake_body, *handshake_version);
  auto handshake_frame = co_await send_auth_step(protocol::api_key::sasl_handshake,
                                                 *handshake_version, handshake_body.take());
  if (!handshake_frame) co_return handshake_frame.error();
  protocol::sasl_handshake::response handshake_answer;
  protocol::reader hr(handshake_frame->body(), handshake_frame->body_offset);
  if (!handshake_answer.decode(hr, *handshake_version)) {
    co_return decode_error(*this, protocol::api_key::sasl_handshake, *handshake_version, hr);
  }
  if (handshake_answer.error_code == protocol::errc::unsupported_sasl_mechanism) {
    std::string enabled;
    for (const auto& m : handshake_answer.mechanisms) enabled += (enabled.empty() ? "" : ", ") + m;
    co_return fail_with(error_kind::auth, "the broker does not enable " + mechanism +
                                              " on this listener; it enables: " +
                                              (enabled.empty() ? "none" : enabled));
  }
  if (handshake_answer.error_code == protocol::errc::illegal_sasl_state) {
    co_return fail_with(error_kind::protocol,
                        "the broker refused SaslHandshake (ILLEGAL_SASL_STATE): is this "
                        "listener SASL?");
  }
  if (handshake_answer.error_code != protocol::errc::none) {
    co_return fail_with(
        error_kind::kafka,
        "SaslHandshake: " + std::string(protocol::error_name(handshake_answer.error_code)));
  }

  auto exchange = co_await authenticator.begin(executor_, options_.stage_timeout);
  if (!exchange) co_return exchange.error();
  auto message = exchange.value()->initial();
  if (!message) co_return message.error();
  std::string outgoing = std::move(message).value();
  for (int step = 0; step < 8; ++step) {
    protocol::sasl_authenticate::request request;
    request.auth_bytes.assign(outgoing.begin(), outgoing.end());
    protocol::writer body;
    request.encode(body, *authenticate_version);
    auto frame = co_await send_auth_step(protocol::api_key::sasl_authenticate,
                                         *authenticate_version, body.take());
    if (!frame) co_return frame.error();
    protocol::sasl_authenticate::response answer;
    protocol::reader r(frame->body(), frame->body_offset);
    if (!answer.decode(r, *authenticate_version)) {
      co_return decode_error(*this, protocol::api_key::sasl_authenticate, *authenticate_version, r);
    }
    if (answer.error_code != protocol::errc::none) {
      std::string said = answer.error_message && !answer.error_message->empty()
                             ? *answer.error_message
                             : std::string(protocol::error_name(answer.error_code));
      co_return fail_with(error_kind::auth, "authentication failed: " + said);
    }
    std::string_view server(reinterpret_cast<const char*>(answer.auth_bytes.data()),
                            answer.auth_bytes.size());
    auto next = exchange.value()->respond(server);
    if (!next) {
      error e = next.error();
      e.message = name() + ": SASL " + mechanism + ": " + e.message;
      co_return e;
    }
    if (!next.value()) {
      if (answer.session_lifetime_ms > 0) {
        // Java's client picks a point between 85% and 95% of the session, so that many
        // clients started together do not all come back at once (KIP-368).
        static thread_local std::minstd_rand spread(std::random_device{}());
        double share = 0.85 + 0.10 * (static_cast<double>(spread() % 1000) / 1000.0);
        reauthenticate_at_ = std::chrono::steady_clock::now() +
                             std::chrono::milliseconds(static_cast<std::int64_t>(
                                 static_cast<double>(answer.session_lifetime_ms) * share));
      } else {
        reauthenticate_at_ = std::chrono::steady_clock::time_point::max();
      }
      if (options_.log) {
        note(std::string(again ? "re-authenticated" : "authenticated") + " with " + mechanism +
             (answer.session_lifetime_ms > 0
                  ? "; session lifetime " +
                        milliseconds_text(std::chrono::milliseconds(answer.session_lifetime_ms))
                  : std::string()));
      }
      co_return success{};
    }
    outgoing = std::move(*next.value());
  }
  co_return fail_with(error_kind::protocol, "the exchange did not finish in 8 steps");
}

asio::awaitable<void> connection::reauthenticate() {
  auto self = shared_from_this();
  asio::steady_timer wait(executor_);
  // The broker takes SaslHandshake only between requests: everything sent must be answered.
  while (!failure_ && (!in_flight_.empty() || writing_ || !write_queue_.empty())) {
    wait.expires_after(std::chrono::milliseconds(1));
    co_await wait.async_wait(use_tuple);
  }
  if (failure_) co_return;
  auto done = co_await authenticate(true);
  reauthenticating_ = false;
  if (!done) {
    fail(done.error());
    co_return;
  }
  while (!held_.empty()) {
    auto held = std::move(held_.front());
    held_.pop_front();
    if (held.expect_response) in_flight_.push_back(held.pending);
    write_queue_.push_back(std::move(held.frame));
  }
  start_writer();
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
    if (!decoded || response.error_code == protocol::errc::unsupported_version) {
      av::response v0;
      protocol::reader r0(frame->body(), frame->body_offset);
      if (v0.decode(r0, 0) && r0.at_end()) {
        response = std::move(v0);
        decoded = true;
      }
    }
    if (decoded && response.error_code == protocol::errc::unsupported_version && version > 0) {
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
    if (response.error_code != protocol::errc::none) {
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
  return enqueue(api_key, version, std::move(body), std::move(pieces), std::move(keep_alive),
                 timeout, expect_response, true);
}

result<connection::request_handle> connection::enqueue(
    std::int16_t api_key, std::int16_t version, protocol::byte_buffer body,
    std::vector<std::span<const std::uint8_t>> pieces, std::shared_ptr<const void> keep_alive,
    std::chrono::milliseconds timeout, bool expect_response, bool through_gate) {
  if (failure_) return *failure_;
  if (through_gate && options_.sasl && !reauthenticating_ &&
      std::chrono::steady_clock::now() >= reauthenticate_at_) {
    reauthenticating_ = true;
    asio::co_spawn(executor_, reauthenticate(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
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
  if (through_gate && reauthenticating_) {
    if (!expect_response) frame.written = pending;
    held_.push_back(held_frame{std::move(frame), pending, expect_response});
    return pending;
  }
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
    auto [ec, written] = tls_ ? co_await asio::async_write(*tls_, buffers, use_tuple)
                              : co_await asio::async_write(socket_, buffers, use_tuple);
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
    auto [ec, n] = tls_ ? co_await asio::async_read(*tls_, asio::buffer(prefix), use_tuple)
                        : co_await asio::async_read(socket_, asio::buffer(prefix), use_tuple);
    acknowledge_quickly();
    if (ec && tls_ && ec.category() == asio::error::get_ssl_category() &&
        ec != asio::ssl::error::stream_truncated) {
      // A TLS 1.3 broker checks the client's certificate after the handshake: its refusal
      // arrives as an alert on the first read.
      if (!failure_)
        fail(describe_tls_failure(ec, tls_->native_handle(), name(), address_.host, "read"));
      co_return;
    }
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
    auto [body_ec, m] = tls_ ? co_await asio::async_read(*tls_, asio::buffer(bytes), use_tuple)
                             : co_await asio::async_read(socket_, asio::buffer(bytes), use_tuple);
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
  for (auto& held : held_) {
    held.pending->outcome = e;
    held.pending->wake.cancel();
  }
  held_.clear();
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
