#pragma once
// From the layered properties (librdkafka and Java names alike) to what connections use: the
// security protocol, the TLS options and the SASL options.
//
// security.protocol decides. When it is not set, a SASL mechanism given anywhere (sasl.mechanism
// or a sasl.jaas.config login module) means SASL_PLAINTEXT, and the CLI's TLS flags
// (tls_requested) mean TLS; the TLS flags also turn an explicit PLAINTEXT into SSL and
// SASL_PLAINTEXT into SASL_SSL, because flags beat properties.
//
// Files are read here only where a value lives in one (sasl.password.file,
// sasl.oauthbearer.client.secret.file) or where a store's format must be told from its first
// bytes; certificates and keys are loaded later by net::tls_context::make.
//
// A missing password for PLAIN or SCRAM is not an error here: the password stays empty, so that
// the CLI can ask for it on a terminal or name the places to put it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/client_config.hpp"
#include "net/sasl/sasl.hpp"
#include "net/tls.hpp"
#include "util/result.hpp"

namespace kpipe::config {

struct security_settings {
  std::string protocol;                         // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
  std::optional<net::tls_options> tls;          // set when the protocol speaks TLS
  std::optional<net::sasl::sasl_options> sasl;  // set when the protocol speaks SASL
  // The trust settings (ssl.*) for an OIDC token endpoint when the brokers are not spoken to in
  // TLS (SASL_PLAINTEXT): the endpoint is HTTPS all the same.
  std::optional<net::tls_options> token_endpoint_tls;
  std::vector<std::string> warnings;  // for stderr, one line each
};

// Whether a (valid, upper-case) security.protocol speaks TLS, or SASL.
bool requests_tls(std::string_view protocol);
bool requests_sasl(std::string_view protocol);

// Usage errors name the property and where it was set. The OAUTHBEARER unsecured scope
// (sasl.oauthbearer.config scope=, Java's unsecuredLoginListClaim_scope) comes out as a
// comma-separated list.
result<security_settings> security_from(const layered_properties& properties, bool tls_requested);

}  // namespace kpipe::config
