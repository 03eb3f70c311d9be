#include "net/tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace kpipe::net {

namespace {

error usage(std::string message) { return error{error_kind::usage, std::move(message)}; }

// OpenSSL's last error in words ("bad decrypt", "no such file"), and the queue emptied.
std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  unsigned long last = code;
  while (code != 0) {
    last = code;
    code = ERR_get_error();
  }
  if (last == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(last);
  return reason ? reason : "OpenSSL error " + std::to_string(last);
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

result<std::string> read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return usage(std::string(what) + " '" + path + "' cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

bio_ptr memory_bio(const std::string& text) {
  return bio_ptr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Adds every certificate of a PEM text to the context's trust store.
status add_trusted_pem(SSL_CTX* ctx, const std::string& pem, const std::string& what) {
  auto bio = memory_bio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++added;
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (added == 0) return usage(what + " holds no PEM certificate");
  return success{};
}

// The password callback's user data for an encrypted PEM key.
int password_callback(char* buffer, int size, int, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (!password || password->empty()) return 0;
  int n = std::min<int>(size, static_cast<int>(password->size()));
  std::memcpy(buffer, password->data(), static_cast<std::size_t>(n));
  return n;
}

status use_pem_key(SSL_CTX* ctx, const std::string& pem, const std::string& password,
                   const std::string& what) {
  auto bio = memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, password_callback,
                                          const_cast<std::string*>(&password));
  if (!key) {
    std::string reason = openssl_reason();
    bool encrypted = pem.find("ENCRYPTED") != std::string::npos;
    if (encrypted && password.empty()) {
      return usage(what + " is encrypted: give its password with ssl.key.password");
    }
    if (encrypted)
      return usage(what + ": cannot decrypt it with ssl.key.password (" + reason + ")");
    return usage(what + " holds no usable private key (" + reason + ")");
  }
  int ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1) {
    return usage(what + ": the client key does not belong to the client certificate (" +
                 openssl_reason() + ")");
  }
  return success{};
}

status use_pem_chain(SSL_CTX* ctx, const std::string& pem, const std::string& what) {
  auto bio = memory_bio(pem);
  X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!leaf) return usage(what + " holds no PEM certificate");
  int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (ok != 1) return usage(what + ": " + openssl_reason());
  // The rest of the file is the chain up to (not necessarily including) the CA.
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) X509_free(extra);
  }
  ERR_clear_error();
  return success{};
}

struct p12_contents {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509) * ca = nullptr;
  ~p12_contents() {
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
  }
};

status read_p12(const std::string& path, const std::string& password, const char* what,
                p12_contents& out) {
  auto bytes = read_file(path, what);
  if (!bytes) return bytes.error();
  auto bio = memory_bio(*bytes);
  PKCS12* p12 = d2i_PKCS12_bio(bio.get(), nullptr);
  if (!p12) return usage(std::string(what) + " '" + path + "' is not a PKCS#12 file");
  int ok = PKCS12_parse(p12, password.c_str(), &out.key, &out.cert, &out.ca);
  PKCS12_free(p12);
  if (ok != 1) {
    return usage(std::string(what) + " '" + path + "': cannot open it with its password (" +
                 openssl_reason() + ")");
  }
  return success{};
}

status load(SSL_CTX* ctx, const tls_options& o) {
  // Trust.
  bool custom_trust = false;
  if (!o.ca_location.empty()) {
    custom_trust = true;
    int ok = is_directory(o.ca_location)
                 ? SSL_CTX_load_verify_locations(ctx, nullptr, o.ca_location.c_str())
                 : SSL_CTX_load_verify_locations(ctx, o.ca_location.c_str(), nullptr);
    if (ok != 1) {
      return usage("ssl.ca.location '" + o.ca_location + "' cannot be used as CA certificates (" +
                   openssl_reason() + ")");
    }
  }
  if (!o.ca_pem.empty()) {
    custom_trust = true;
    if (auto added = add_trusted_pem(ctx, o.ca_pem, "ssl.ca.pem"); !added) return added;
  }
  if (!o.truststore_p12.empty()) {
    custom_trust = true;
    p12_contents store;
    if (auto read =
            read_p12(o.truststore_p12, o.truststore_password, "ssl.truststore.location", store);
        !read) {
      return read;
    }
    X509_STORE* trust = SSL_CTX_get_cert_store(ctx);
    if (store.cert) X509_STORE_add_cert(trust, store.cert);
    for (int i = 0; store.ca && i < sk_X509_num(store.ca); ++i) {
      X509_STORE_add_cert(trust, sk_X509_value(store.ca, i));
    }
  }
  if (!custom_trust && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return usage("the system's CA certificates cannot be loaded (" + openssl_reason() + ")");
  }

  // Client certificate.
  if (!o.keystore_p12.empty()) {
    p12_contents store;
    if (auto read = read_p12(o.keystore_p12, o.keystore_password, "ssl.keystore.location", store);
        !read) {
      return read;
    }
    if (!store.cert || !store.key) {
      return usage("ssl.keystore.location '" + o.keystore_p12 +
                   "' holds no certificate with its private key");
    }
    if (SSL_CTX_use_certificate(ctx, store.cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, store.key) != 1) {
      return usage("ssl.keystore.location '" + o.keystore_p12 + "': " + openssl_reason());
    }
    for (int i = 0; store.ca && i < sk_X509_num(store.ca); ++i) {
      X509* extra = X509_dup(sk_X509_value(store.ca, i));
      if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) X509_free(extra);
    }
  } else {
    std::string cert = o.certificate_pem, key = o.key_pem;
    std::string cert_what = "ssl.certificate.pem", key_what = "ssl.key.pem";
    if (!o.certificate_location.empty()) {
      auto text = read_file(o.certificate_location, "ssl.certificate.location");
      if (!text) return text.error();
      cert = *text;
      cert_what = "ssl.certificate.location '" + o.certificate_location + "'";
    }
    if (!o.key_location.empty()) {
      auto text = read_file(o.key_location, "ssl.key.location");
      if (!text) return text.error();
      key = *text;
      key_what = "ssl.key.location '" + o.key_location + "'";
    }
    if (cert.empty() != key.empty()) {
      return usage(cert.empty() ? "a client key was given without its certificate "
                                  "(ssl.certificate.location, --tls-cert)"
                                : "a client certificate was given without its key "
                                  "(ssl.key.location, --tls-key)");
    }
    if (!cert.empty()) {
      if (auto used = use_pem_chain(ctx, cert, cert_what); !used) return used;
      if (auto used = use_pem_key(ctx, key, o.key_password, key_what); !used) return used;
    }
  }
  if (SSL_CTX_get0_certificate(ctx) && SSL_CTX_check_private_key(ctx) != 1) {
    return usage("the client key does not belong to the client certificate");
  }
  return success{};
}

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string certificate_names(X509* cert) {
  std::string names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    std::string one;
    if (name->type == GEN_DNS) {
      const auto* s = name->d.dNSName;
      one.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                 static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (name->type == GEN_IPADD) {
      const auto* s = name->d.iPAddress;
      const unsigned char* b = ASN1_STRING_get0_data(s);
      if (ASN1_STRING_length(s) == 4) {
        one = std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
              std::to_string(b[3]);
      } else {
        one = "an IPv6 address";
      }
    }
    if (!one.empty()) names += (names.empty() ? "" : ", ") + one;
  }
  GENERAL_NAMES_free(sans);
  return names;
}

std::string asn1_time_text(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return "an unreadable date";
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string subject_of(X509* cert, bool issuer) {
  X509_NAME* name = issuer ? X509_get_issuer_name(cert) : X509_get_subject_name(cert);
  char buffer[256];
  X509_NAME_oneline(name, buffer, sizeof buffer);
  return buffer;
}

// What the verification of the broker's certificate found, in words.
std::string verify_problem(SSL* ssl, long result, const std::string& host) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  // A failed handshake keeps no session certificate; the chain the broker sent is still there.
  if (!cert) {
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    if (chain && sk_X509_num(chain) > 0) cert = sk_X509_value(chain, 0);
  }
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: {
      std::string names = cert ? certificate_names(cert) : "";
      return "hostname mismatch: the broker's certificate is not valid for '" + host + "'" +
             (names.empty() ? "" : " (it names " + names + ")") +
             "; connect by a name it holds, or set ssl.endpoint.identification.algorithm=none";
    }
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the broker's certificate expired on " +
             (cert ? asn1_time_text(X509_get0_notAfter(cert)) : std::string("an earlier date"));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the broker's certificate is not valid before " +
             (cert ? asn1_time_text(X509_get0_notBefore(cert)) : std::string("a later date")) +
             " (is this machine's clock right?)";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return "untrusted certificate: the broker's certificate" +
             (cert ? " (issued by " + subject_of(cert, true) + ")" : std::string()) +
             " is not signed by a CA kpipe trusts; give the CA with --tls-ca or ssl.ca.location";
    default:
      return std::string("the broker's certificate failed verification: ") +
             X509_verify_cert_error_string(result);
  }
}

}  // namespace

tls_context::tls_context(tls_options options)
    : options_(std::move(options)), context_(asio::ssl::context::tls_client) {}

result<std::shared_ptr<tls_context>> tls_context::make(const tls_options& options) {
  auto made = std::make_shared<tls_context>(options);
  SSL_CTX* ctx = made->context_.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, options.verify_certificate ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  ERR_clear_error();
  if (auto loaded = load(ctx, options); !loaded) {
    ERR_clear_error();
    return loaded.error();
  }
  return made;
}

status tls_context::prepare(SSL* ssl, const std::string& host) const {
  bool ip = is_ip_address(host);
  // SNI carries names only (RFC 6066 section 3).
  if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return error{error_kind::usage, "cannot use '" + host + "' as a TLS server name"};
  }
  if (options_.verify_certificate && options_.verify_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (ok != 1)
      return error{error_kind::usage, "cannot check TLS certificates for '" + host + "'"};
  }
  return success{};
}

error describe_tls_failure(const boost::system::error_code& ec, SSL* ssl, const std::string& who,
                           const std::string& host, const char* stage) {
  auto make = [&](error_kind kind, const std::string& what) {
    return error{kind, who + ": " + stage + ": " + what};
  };
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
      ec == asio::error::connection_reset) {
    return make(error_kind::io,
                "the connection was closed during the TLS handshake: is this a plaintext "
                "listener? (or one that wants a client certificate)");
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && ssl) {
      long verified = SSL_get_verify_result(ssl);
      if (verified != X509_V_OK) return make(error_kind::auth, verify_problem(ssl, verified, host));
    }
    switch (reason) {
      case SSL_R_WRONG_VERSION_NUMBER:
      case SSL_R_PACKET_LENGTH_TOO_LONG:
      case SSL_R_UNEXPECTED_EOF_WHILE_READING:
        return make(error_kind::io,
                    "the broker did not answer in TLS: is this a plaintext listener? (" +
                        ec.message() + ")");
      case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return make(error_kind::auth,
                    "the broker requires a client certificate: give one with --tls-cert and "
                    "--tls-key (ssl.certificate.location, ssl.key.location) or "
                    "ssl.keystore.location");
      case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
        // TLS 1.2 brokers answer a missing client certificate with this alert too.
        if (ssl && !SSL_get_certificate(ssl)) {
          return make(error_kind::auth,
                      "the broker requires a client certificate: give one with --tls-cert and "
                      "--tls-key (ssl.certificate.location, ssl.key.location) or "
                      "ssl.keystore.location");
        }
        [[fallthrough]];
      case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
      case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
      case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
        return make(error_kind::auth,
                    "the broker refused kpipe's client certificate (" + ec.message() + ")");
      case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        return make(error_kind::auth,
                    "the broker ended the TLS handshake (handshake failure): it may require a "
                    "client certificate, or share no TLS version or cipher with kpipe");
      default:
        break;
    }
    return make(error_kind::io, "TLS error: " + ec.message());
  }
  return make(error_kind::io, ec.message());
}

}  // namespace kpipe::net
