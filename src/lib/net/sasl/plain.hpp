#pragma once
// SASL PLAIN (RFC 4616): the username and password in one message, for TLS listeners.

#include <string>

#include "net/sasl/sasl.hpp"

namespace kpipe::net::sasl {

class plain_exchange : public exchange {
 public:
  plain_exchange(std::string username, std::string password);
  // "\0username\0password": an empty authorization identity, i.e. act as the username.
  result<std::string> initial() override;
  // Kafka answers an empty message on success (a wrong password is a SaslAuthenticate error
  // code, seen by the connection, not here).
  result<std::optional<std::string>> respond(std::string_view server_message) override;

 private:
  std::string username_;
  std::string password_;
  bool sent_ = false;
};

class plain_authenticator : public authenticator {
 public:
  plain_authenticator(std::string username, std::string password);
  mechanism_kind mechanism() const override { return mechanism_kind::plain; }
  asio::awaitable<result<std::unique_ptr<exchange>>> begin(
      asio::any_io_executor executor, std::chrono::milliseconds timeout) override;

 private:
  std::string username_;
  std::string password_;
};

}  // namespace kpipe::net::sasl
