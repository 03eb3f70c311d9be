// TLS: loading certificates and keys (errors name the file), and handshakes against an
// in-process TLS server, whose failures must come out in words: untrusted certificate,
// hostname mismatch, a peer that does not speak TLS.
#include "net/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fstream>

namespace kpipe::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A self-signed certificate for 127.0.0.1 and the key, written as PEM files in a directory of
// this process's own (the key also encrypted with "k3y-pass"): ctest runs the tests of this file
// in parallel processes, each making its own key pair, and shared file names let one process
// read another's certificate with its own key.
std::string own_directory() {
  std::string pattern = ::testing::TempDir() + "/kpipe-tls-test.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return ::testing::TempDir();
  return pattern;
}

struct test_identity {
  std::string dir = own_directory();
  std::string cert = dir + "/kpipe-tls-test-cert.pem";
  std::string key = dir + "/kpipe-tls-test-key.pem";
  std::string encrypted_key = dir + "/kpipe-tls-test-key-encrypted.pem";
  std::string other_key = dir + "/kpipe-tls-test-other-key.pem";

  test_identity() {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    EVP_PKEY* other = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("kpipe test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(x, pkey, EVP_sha256());
    write(cert, [&](BIO* b) { PEM_write_bio_X509(b, x); });
    write(key, [&](BIO* b) {
      PEM_write_bio_PrivateKey(b, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    });
    write(other_key, [&](BIO* b) {
      PEM_write_bio_PrivateKey(b, other, nullptr, nullptr, 0, nullptr, nullptr);
    });
    write(encrypted_key, [&](BIO* b) {
      PEM_write_bio_PKCS8PrivateKey(b, pkey, EVP_aes_256_cbc(), "k3y-pass", 8, nullptr, nullptr);
    });
    X509_free(x);
    EVP_PKEY_free(pkey);
    EVP_PKEY_free(other);
  }

  template <class F>
  static void write(const std::string& path, F f) {
    BIO* b = BIO_new_file(path.c_str(), "w");
    f(b);
    BIO_free(b);
  }
};

const test_identity& identity() {
  static test_identity id;
  return id;
}

TEST(Tls, LoadsPemCertificateKeyAndCa) {
  tls_options o;
  o.ca_location = identity().cert;
  o.certificate_location = identity().cert;
  o.key_location = identity().key;
  EXPECT_TRUE(tls_context::make(o).ok());
  o.key_location = identity().encrypted_key;
  o.key_password = "k3y-pass";
  auto made = tls_context::make(o);
  EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
}

TEST(Tls, BadFilesAndPasswordsAreUsageErrorsNamingTheFile) {
  auto fails_with = [](const tls_options& o, const std::string& words) {
    auto made = tls_context::make(o);
    ASSERT_FALSE(made.ok()) << words;
    EXPECT_EQ(made.error().kind, error_kind::usage);
    EXPECT_NE(made.error().message.find(words), std::string::npos) << made.error().message;
  };
  tls_options missing_ca;
  missing_ca.ca_location = "/nonexistent/ca.pem";
  fails_with(missing_ca, "/nonexistent/ca.pem");

  tls_options no_password;
  no_password.certificate_location = identity().cert;
  no_password.key_location = identity().encrypted_key;
  fails_with(no_password, "ssl.key.password");

  tls_options wrong_password = no_password;
  wrong_password.key_password = "not-it";
  fails_with(wrong_password, "cannot decrypt");
  auto made = tls_context::make(wrong_password);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().message.find("not-it"), std::string::npos);

  tls_options mismatch;
  mismatch.certificate_location = identity().cert;
  mismatch.key_location = identity().other_key;
  fails_with(mismatch, "does not belong");

  tls_options half;
  half.certificate_location = identity().cert;
  fails_with(half, "without its key");
}

// Accepts one connection and completes a TLS handshake with the test identity (or, when
// plaintext, answers a few bytes that are not TLS).
asio::awaitable<void> serve_once(tcp::acceptor& acceptor, bool plaintext) {
  auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
  if (ec) co_return;
  if (plaintext) {
    std::string junk = "not TLS at all, just bytes\n";
    co_await asio::async_write(socket, asio::buffer(junk), use_tuple);
    asio::steady_timer linger(acceptor.get_executor(), std::chrono::milliseconds(200));
    co_await linger.async_wait(use_tuple);
    co_return;
  }
  asio::ssl::context server(asio::ssl::context::tls_server);
  server.use_certificate_chain_file(identity().cert);
  server.use_private_key_file(identity().key, asio::ssl::context::pem);
  asio::ssl::stream<tcp::socket> stream(std::move(socket), server);
  co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
}

// Connects to the server at `host` with `options` and returns the handshake's outcome.
status handshake(const tls_options& options, const std::string& host, bool plaintext = false) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::co_spawn(io, serve_once(acceptor, plaintext), asio::detached);
  auto context = tls_context::make(options);
  if (!context) return context.error();
  status outcome = error{error_kind::io, "did not finish"};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tcp::socket socket(io);
        auto [ec] = co_await socket.async_connect(acceptor.local_endpoint(), use_tuple);
        if (ec) {
          outcome = error{error_kind::io, ec.message()};
          co_return;
        }
        asio::ssl::stream<tcp::socket&> stream(socket, context.value()->native());
        if (auto prepared = context.value()->prepare(stream.native_handle(), host); !prepared) {
          outcome = prepared;
          co_return;
        }
        auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
        outcome = hec ? status(describe_tls_failure(hec, stream.native_handle(), "broker 1", host,
                                                    "TLS handshake"))
                      : status(success{});
      },
      asio::detached);
  io.run_for(std::chrono::seconds(10));
  return outcome;
}

TEST(Tls, HandshakeWithTheRightCaAndAddressSucceeds) {
  tls_options o;
  o.ca_location = identity().cert;
  auto outcome = handshake(o, "127.0.0.1");
  EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().message);
}

TEST(Tls, UntrustedCertificateIsAnAuthErrorInWords) {
  tls_options o;  // the system's store does not know the test's self-signed certificate
  auto outcome = handshake(o, "127.0.0.1");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, error_kind::auth);
  EXPECT_NE(outcome.error().message.find("untrusted certificate"), std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("broker 1"), std::string::npos);
}

TEST(Tls, HostnameMismatchNamesTheHostAndTheCertificatesNames) {
  tls_options o;
  o.ca_location = identity().cert;
  auto outcome = handshake(o, "localhost");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, error_kind::auth);
  EXPECT_NE(outcome.error().message.find("hostname mismatch"), std::string::npos)
      << outcome.error().message;
  EXPECT_NE(outcome.error().message.find("127.0.0.1"), std::string::npos);
  // ...and is accepted with ssl.endpoint.identification.algorithm=none.
  o.verify_hostname = false;
  EXPECT_TRUE(handshake(o, "localhost").ok());
}

TEST(Tls, InsecureModeAcceptsAnyCertificate) {
  tls_options o;
  o.verify_certificate = false;
  EXPECT_TRUE(handshake(o, "localhost").ok());
}

TEST(Tls, APlaintextPeerIsNamedAsSuch) {
  tls_options o;
  o.ca_location = identity().cert;
  auto outcome = handshake(o, "127.0.0.1", true);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, error_kind::io);
  EXPECT_NE(outcome.error().message.find("plaintext"), std::string::npos)
      << outcome.error().message;
}

}  // namespace
}  // namespace kpipe::net
