#pragma once
// SASL authentication for broker connections (KIP-43 SaslHandshake, KIP-152 SaslAuthenticate):
// the mechanisms' messages. The connection carries them; this layer makes and checks them.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace kpipe::net {
class tls_context;
}

namespace kpipe::net::sasl {

namespace asio = boost::asio;

enum class mechanism_kind { plain, scram_sha_256, scram_sha_512, oauthbearer };

// "PLAIN", "SCRAM-SHA-256", ... as Kafka names them; parse is case-insensitive.
std::string_view mechanism_name(mechanism_kind kind);
std::optional<mechanism_kind> parse_mechanism(std::string_view name);

struct oauth_options {
  // Where the token comes from, the first that is set:
  std::string token;       // a static token
  std::string token_file;  // a file holding the token, read again when its token expires
  // The OIDC client-credentials grant (RFC 6749 4.4) at token_endpoint_url (https only).
  std::string token_endpoint_url;
  std::string client_id;
  std::string client_secret;
  std::string scope;
  // An unsecured JWT (alg "none") made by kpipe for this principal: Java's
  // unsecuredLoginStringClaim_sub, librdkafka's sasl.oauthbearer.config principal=.
  std::string unsecured_principal;
  std::string unsecured_scope;
  std::chrono::seconds unsecured_lifetime{3600};
  // SASL extensions sent with the token (KIP-342), e.g. logicalCluster.
  std::map<std::string, std::string> extensions;
};

struct sasl_options {
  mechanism_kind mechanism = mechanism_kind::plain;
  std::string username;
  std::string password;
  oauth_options oauth;
};

// One authentication exchange on one connection.
class exchange {
 public:
  virtual ~exchange() = default;
  // The client's first message.
  virtual result<std::string> initial() = 0;
  // The server's answer to the last message: the next message to send, or nullopt when the
  // exchange is complete (SCRAM: after the server's signature checked out). An answer that does
  // not check out is error_kind::auth.
  virtual result<std::optional<std::string>> respond(std::string_view server_message) = 0;
};

// A mechanism configured once and shared by every connection. OAUTHBEARER keeps its current
// token here: fetched or read on first use, again when it is about to expire.
class authenticator {
 public:
  virtual ~authenticator() = default;
  virtual mechanism_kind mechanism() const = 0;
  // A new exchange; OAUTHBEARER may first read its token file or ask the token endpoint, under
  // `timeout`.
  virtual asio::awaitable<result<std::unique_ptr<exchange>>> begin(
      asio::any_io_executor executor, std::chrono::milliseconds timeout) = 0;
};

// `tls` verifies the OIDC token endpoint (the same trust settings as the brokers; nullptr: the
// system's store). A missing username or password, or OAUTHBEARER without a token source, is a
// usage error.
result<std::shared_ptr<authenticator>> make_authenticator(const sasl_options& options,
                                                          std::shared_ptr<tls_context> tls);

}  // namespace kpipe::net::sasl
