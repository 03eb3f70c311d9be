#pragma once
// One connection to one broker: framing, correlation ids, several requests in flight, deadlines,
// and the API versions both sides support.
//
// A reader coroutine reads frames and hands each to the oldest request in flight (Kafka answers
// in order on a connection; a correlation id that does not match is fatal for the connection).
// Requests are written by a writer coroutine that drains a queue, so any number of coroutines
// may send at once. Everything runs on one thread: no locks.
//
// Security: with options.tls the bytes go through TLS (the handshake is a stage of open());
// with options.sasl the connection authenticates after ApiVersions (KIP-43 SaslHandshake,
// KIP-152 SaslAuthenticate), and again before the session the broker granted ends (KIP-368):
// requests made meanwhile wait, unsent, until re-authentication is done.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "net/broker_address.hpp"
#include "net/sasl/sasl.hpp"
#include "net/tls.hpp"
#include "protocol/reader.hpp"
#include "protocol/types.hpp"
#include "protocol/writer.hpp"
#include "util/result.hpp"

namespace kpipe::net {

namespace asio = boost::asio;

struct connection_options {
  std::string client_id = "kpipe";
  std::string client_software_name = "kpipe";
  std::string client_software_version = "0";
  // Each stage of setting up a connection (resolve, connect, ApiVersions) has this deadline.
  std::chrono::milliseconds stage_timeout{10'000};
  // A request without an answer after this long fails, and the connection is closed (a late
  // answer could no longer be matched to its request).
  std::chrono::milliseconds request_timeout{30'000};
  // Frames larger than this are refused before anything is allocated.
  std::size_t max_frame_bytes = 256u << 20;
  // TLS on every connection when set (security.protocol SSL or SASL_SSL).
  std::shared_ptr<tls_context> tls;
  // SASL authentication on every connection when set (SASL_PLAINTEXT or SASL_SSL).
  std::shared_ptr<sasl::authenticator> sasl;
  // Notes for -v: the TLS session, who authenticated, re-authentication. Never secrets.
  std::function<void(const std::string&)> log;
};

// The versions of one API that a broker supports.
struct version_range {
  std::int16_t min = 0;
  std::int16_t max = -1;
};

// A response frame: the bytes after the size prefix; the body starts after the header.
struct response_frame {
  protocol::byte_buffer bytes;
  std::size_t body_offset = 0;
  std::span<const std::uint8_t> body() const {
    return std::span<const std::uint8_t>(bytes).subspan(body_offset);
  }
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  // Resolves, connects and negotiates API versions, each stage under options.stage_timeout.
  // node_id (when known) only makes messages clearer.
  static asio::awaitable<result<std::shared_ptr<connection>>> open(asio::any_io_executor executor,
                                                                   broker_address address,
                                                                   connection_options options,
                                                                   std::int32_t node_id = -1);

  connection(asio::any_io_executor executor, broker_address address, connection_options options,
             std::int32_t node_id);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Sends a request at `version` (default: the highest both sides support) and decodes the
  // response. A broker error code inside the response is data, not a failure.
  template <class Request>
  asio::awaitable<result<typename Request::response_type>> request(
      const Request& request, std::optional<std::int16_t> version = std::nullopt);

  struct pending_request;
  using request_handle = std::shared_ptr<pending_request>;

  // Sends an encoded body and returns the raw response frame.
  asio::awaitable<result<response_frame>> send(std::int16_t api_key, std::int16_t version,
                                               protocol::byte_buffer body,
                                               std::chrono::milliseconds timeout);

  // The two halves of send(), for callers whose requests must leave in the order they call:
  // start() queues the frame at once (no suspension), finish() waits for the answer. Without
  // expect_response (Produce with acks=0) finish() yields an empty frame once the request was
  // written, or the connection's error.
  result<request_handle> start(std::int16_t api_key, std::int16_t version,
                               protocol::byte_buffer body, std::chrono::milliseconds timeout,
                               bool expect_response = true);
  // The same with the body in pieces, written without copying them (a Produce request's record
  // batches). `keep_alive` owns whatever the pieces view that `body` does not, until written.
  result<request_handle> start(std::int16_t api_key, std::int16_t version,
                               protocol::byte_buffer body,
                               std::vector<std::span<const std::uint8_t>> pieces,
                               std::shared_ptr<const void> keep_alive,
                               std::chrono::milliseconds timeout, bool expect_response = true);
  asio::awaitable<result<response_frame>> finish(request_handle pending);

  std::chrono::milliseconds request_timeout() const { return options_.request_timeout; }

  // The highest version of api_key that both kpipe and the broker support; nullopt when none.
  std::optional<std::int16_t> version_for(std::int16_t api_key) const;
  // What the broker said it supports, by API key.
  const std::map<std::int16_t, version_range>& broker_versions() const { return broker_versions_; }
  std::int16_t api_versions_version() const { return api_versions_version_; }

  const broker_address& address() const { return address_; }
  std::int32_t node_id() const { return node_id_; }
  // "broker 2 (127.0.0.1:9093)" or "127.0.0.1:9093" when the node id is unknown.
  std::string name() const;
  bool is_open() const { return !failure_; }
  void close();
  // Closes after everything queued was written: sends FIN, then reads (and drops) until the
  // broker closes too or `timeout` passes. A plain close with unread answers in the receive
  // buffer makes the kernel send RST, and a broker drops requests it had not read yet: fatal
  // for acks=0, whose requests count as delivered once written.
  asio::awaitable<void> drain_and_close(std::chrono::milliseconds timeout);

 private:
  struct queued_frame {
    protocol::byte_buffer head;  // size, request header
    protocol::byte_buffer body;
    // When not empty, the body as written: pieces of `body` and of memory keep_alive owns.
    std::vector<std::span<const std::uint8_t>> pieces;
    std::shared_ptr<const void> keep_alive;
    request_handle written;  // resolved once written (requests without a response)
  };

  asio::awaitable<status> connect_socket();
  asio::awaitable<status> handshake_tls();
  asio::awaitable<status> negotiate_versions(std::int16_t first_version);
  // SaslHandshake + SaslAuthenticate until the mechanism is done; sets reauthenticate_at_.
  asio::awaitable<status> authenticate(bool again);
  // KIP-368: waits for the requests in flight, authenticates again, then sends what waited.
  asio::awaitable<void> reauthenticate();
  // One authentication step, sent past the re-authentication gate.
  asio::awaitable<result<response_frame>> send_auth_step(std::int16_t api_key, std::int16_t version,
                                                         protocol::byte_buffer body);
  result<request_handle> enqueue(std::int16_t api_key, std::int16_t version,
                                 protocol::byte_buffer body,
                                 std::vector<std::span<const std::uint8_t>> pieces,
                                 std::shared_ptr<const void> keep_alive,
                                 std::chrono::milliseconds timeout, bool expect_response,
                                 bool through_gate);
  void note(const std::string& text) const;
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  void start_writer();
  void acknowledge_quickly();
  // Fails the connection: every request in flight and every later one gets this error.
  void fail(error e);
  error stage_error(const char* stage, const std::string& what, error_kind kind) const;

  asio::any_io_executor executor_;
  asio::ip::tcp::socket socket_;
  // The TLS layer over socket_, when options_.tls is set.
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  broker_address address_;
  connection_options options_;
  std::int32_t node_id_;
  std::int32_t next_correlation_id_ = 1;
  std::deque<std::shared_ptr<pending_request>> in_flight_;
  std::deque<queued_frame> write_queue_;
  // Correlation ids of recent requests sent without expecting an answer (acks=0).
  static constexpr std::size_t max_unanswered_remembered = 4096;
  std::set<std::int32_t> unanswered_;
  std::deque<std::int32_t> unanswered_order_;
  bool writing_ = false;
  bool draining_ = false;
  std::optional<error> failure_;
  std::map<std::int16_t, version_range> broker_versions_;
  std::int16_t api_versions_version_ = 0;
  // KIP-368: when to authenticate again (never when the broker set no session lifetime), and
  // the requests that wait meanwhile, each with its handle and whether it expects an answer.
  std::chrono::steady_clock::time_point reauthenticate_at_ =
      std::chrono::steady_clock::time_point::max();
  bool reauthenticating_ = false;
  struct held_frame {
    queued_frame frame;
    request_handle pending;
    bool expect_response;
  };
  std::deque<held_frame> held_;
};

// Says why a response could not be decoded: "Metadata v9 response from broker 1 (h:p): ...".
error decode_error(const connection& conn, std::int16_t api_key, std::int16_t version,
                   const protocol::reader& r);

template <class Request>
asio::awaitable<result<typename Request::response_type>> connection::request(
    const Request& request, std::optional<std::int16_t> version) {
  if (!version) version = version_for(Request::api_key);
  if (!version) {
    co_return error{error_kind::protocol, name() + " supports no version of API " +
                                              std::to_string(Request::api_key) +
                                              " that kpipe knows"};
  }
  protocol::writer body;
  request.encode(body, *version);
  auto frame = co_await send(Request::api_key, *version, body.take(), options_.request_timeout);
  if (!frame) co_return frame.error();
  typename Request::response_type response;
  protocol::reader r(frame->body(), frame->body_offset);
  if (!response.decode(r, *version)) co_return decode_error(*this, Request::api_key, *version, r);
  co_return response;
}

}  // namespace kpipe::net
