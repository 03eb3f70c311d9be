#pragma once
// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677; Kafka KIP-84), the client side: the
// password never crosses the wire, and the server proves that it knows the credential too.

#include <string>

#include "net/sasl/sasl.hpp"

namespace kpipe::net::sasl {

// 32 bytes from OpenSSL's CSPRNG as base64url: printable and without ',' (RFC 5802 section 7).
result<std::string> make_scram_nonce();

class scram_exchange : public exchange {
 public:
  // `mechanism` is scram_sha_256 or scram_sha_512; `client_nonce` comes from make_scram_nonce()
  // (tests pass a fixed one).
  scram_exchange(mechanism_kind mechanism, std::string username, std::string password,
                 std::string client_nonce);
  ~scram_exchange() override;

  // client-first-message: "n,,n=<saslname>,r=<nonce>" (no channel binding, no authzid).
  result<std::string> initial() override;
  // server-first-message -> client-final-message; server-final-message -> nullopt once the
  // server's signature checks out.
  result<std::optional<std::string>> respond(std::string_view server_message) override;

 private:
  result<std::optional<std::string>> answer_server_first(std::string_view message);
  result<std::optional<std::string>> check_server_final(std::string_view message);

  enum class step { start, sent_first, sent_final, done };

  mechanism_kind mechanism_;
  std::string username_;
  std::string password_;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::string expected_server_signature_;  // raw bytes, known after the server's first message
  step step_ = step::start;
};

class scram_authenticator : public authenticator {
 public:
  scram_authenticator(mechanism_kind mechanism, std::string username, std::string password);
  mechanism_kind mechanism() const override { return mechanism_; }
  asio::awaitable<result<std::unique_ptr<exchange>>> begin(
      asio::any_io_executor executor, std::chrono::milliseconds timeout) override;

 private:
  mechanism_kind mechanism_;
  std::string username_;
  std::string password_;
};

}  // namespace kpipe::net::sasl
