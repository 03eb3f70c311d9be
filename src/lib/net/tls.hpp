#pragma once
// TLS for broker connections (and the OAUTHBEARER token endpoint): one OpenSSL context built
// from the client's settings, shared by every connection, and the words for a failed handshake.

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "util/result.hpp"

namespace kpipe::net {

namespace asio = boost::asio;

struct tls_options {
  // Trust: the system's store unless ca_location (a PEM file or a hashed directory) or ca_pem
  // (PEM text) is given; a PKCS#12 truststore (Java's ssl.truststore.type=PKCS12) adds its
  // certificates.
  std::string ca_location;
  std::string ca_pem;
  std::string truststore_p12;
  std::string truststore_password;
  // Client certificate for mTLS: PEM files (the key possibly encrypted with key_password), PEM
  // text, or a PKCS#12 bundle.
  std::string certificate_location;
  std::string key_location;
  std::string certificate_pem;
  std::string key_pem;
  std::string key_password;
  std::string keystore_p12;
  std::string keystore_password;
  // Off only on request (--tls-insecure, enable.ssl.certificate.verification=false; the CLI
  // warns).
  bool verify_certificate = true;
  // ssl.endpoint.identification.algorithm=https (the default) checks that the certificate names
  // the host connected to; `none` turns that off.
  bool verify_hostname = true;
};

class tls_context {
 public:
  // Loads every file named in the options; an unreadable file, a wrong password or a key that
  // does not match its certificate is a usage error naming the file.
  static result<std::shared_ptr<tls_context>> make(const tls_options& options);

  asio::ssl::context& native() { return context_; }
  const tls_options& options() const { return options_; }

  // Prepares a new connection's SSL object for `host`: SNI (names only, not IP addresses) and,
  // unless turned off, the hostname or IP address check made during the handshake.
  status prepare(SSL* ssl, const std::string& host) const;

  explicit tls_context(tls_options options);

 private:
  tls_options options_;
  asio::ssl::context context_;
};

// Words for a failed TLS handshake or TLS read on the connection to `who` (a broker's name or a
// URL) at `host`: untrusted certificate, hostname mismatch, expired certificate, client
// certificate required, a plaintext peer. Certificate problems are error_kind::auth; a peer
// that does not speak TLS is error_kind::io.
error describe_tls_failure(const boost::system::error_code& ec, SSL* ssl, const std::string& who,
                           const std::string& host, const char* stage);

}  // namespace kpipe::net
