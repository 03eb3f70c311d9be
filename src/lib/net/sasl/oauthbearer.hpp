#pragma once
// SASL OAUTHBEARER (RFC 7628) as Kafka speaks it (KIP-255; extensions KIP-342; OIDC KIP-768):
// the exchange that presents a bearer token, and the authenticator that keeps the current token
// for every connection and gets a new one before the old one runs out.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "net/sasl/oidc.hpp"
#include "net/sasl/sasl.hpp"

namespace kpipe::net::sasl {

class bearer_token {
 public:
  bearer_token(std::string value, std::optional<std::chrono::system_clock::time_point> expiry,
               std::optional<std::chrono::system_clock::time_point> refresh_at)
      : value_(std::move(value)), expiry_(expiry), refresh_at_(refresh_at) {}

  const std::string& value() const { return value_; }
  // When the token stops being valid, when known (the JWT's "exp", or the token endpoint's
  // expires_in); a broker ends the session no later than this (KIP-368).
  std::optional<std::chrono::system_clock::time_point> expiry() const { return expiry_; }
  // When kpipe gets a new token; nullopt: never (a token given on the command line).
  std::optional<std::chrono::system_clock::time_point> refresh_at() const { return refresh_at_; }

 private:
  std::string value_;
  std::optional<std::chrono::system_clock::time_point> expiry_;
  std::optional<std::chrono::system_clock::time_point> refresh_at_;
};

class oauthbearer_exchange : public exchange {
 public:
  // `extensions` must be valid (validate_oauth_extensions).
  oauthbearer_exchange(std::string token, std::map<std::string, std::string> extensions);

  // "n,,\x01auth=Bearer <token>\x01key=value\x01...\x01\x01", extensions in key order.
  result<std::string> initial() override;
  // Empty: accepted. Otherwise the server's error JSON (RFC 7628 section 3.2.2), answered with
  // a lone \x01 so that the server can end the exchange with its failure; a further message is
  // an auth error quoting that JSON.
  result<std::optional<std::string>> respond(std::string_view server_message) override;

  // The error JSON the server sent, if any (for the failure message).
  const std::string& server_error() const { return server_error_; }

 private:
  std::string token_;
  std::map<std::string, std::string> extensions_;
  std::string server_error_;
  bool sent_initial_ = false;
  bool sent_error_ack_ = false;
};

// KIP-342: keys are letters only and not "auth"; values printable ASCII, space, tab, CR, LF.
// A usage error naming the bad key (never quoting a value).
status validate_oauth_extensions(const std::map<std::string, std::string>& extensions);

class oauthbearer_authenticator : public authenticator {
 public:
  using clock = std::function<std::chrono::system_clock::time_point()>;

  // Checks the options (a token source, a usable https endpoint URL, the extensions) and makes
  // a TLS context with the system's trust store when OIDC needs one and `tls` is null. `now`
  // is for tests.
  static result<std::shared_ptr<oauthbearer_authenticator>> make(
      const oauth_options& options, std::shared_ptr<tls_context> tls,
      clock now = std::chrono::system_clock::now);

  mechanism_kind mechanism() const override { return mechanism_kind::oauthbearer; }
  // Gets a token first when there is none yet or it is due for refresh (connections that ask
  // meanwhile wait for the same one), then starts an exchange with it.
  asio::awaitable<result<std::unique_ptr<exchange>>> begin(
      asio::any_io_executor executor, std::chrono::milliseconds timeout) override;

  // The token the last exchange used, with its expiry; nullopt before the first.
  const std::optional<bearer_token>& current_token() const { return token_; }

  enum class source { fixed_token, token_file, token_endpoint, unsecured_jwt };
  source token_source() const { return source_; }

 private:
  struct refresh_wait;  // a token fetch in flight, which other connections wait for

  oauthbearer_authenticator(oauth_options options, std::shared_ptr<tls_context> tls, clock now,
                            source from, std::optional<https_url> endpoint);

  asio::awaitable<result<bearer_token>> usable_token(asio::any_io_executor executor,
                                                     std::chrono::milliseconds timeout);
  asio::awaitable<result<bearer_token>> obtain(asio::any_io_executor executor,
                                               std::chrono::milliseconds timeout);
  result<bearer_token> fixed_token() const;
  result<bearer_token> read_token_file() const;
  bearer_token unsecured_token() const;
  asio::awaitable<result<bearer_token>> fetch_from_endpoint(asio::any_io_executor executor,
                                                            std::chrono::milliseconds timeout);
  // What a new token from the source should replace: an error, unless the old one still works.
  result<bearer_token> settle(result<bearer_token> fresh);

  oauth_options options_;
  std::shared_ptr<tls_context> tls_;
  clock now_;
  source source_;
  std::optional<https_url> endpoint_;
  std::optional<bearer_token> token_;
  std::shared_ptr<refresh_wait> in_flight_;
};

}  // namespace kpipe::net::sasl
