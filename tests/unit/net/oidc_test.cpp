// The OAuth client-credentials grant: URL, request and response handling as pure functions,
// then the whole exchange against an HTTPS endpoint in the test (a self-signed certificate
// made here), including OAUTHBEARER's sharing and refreshing of the token it gets.
#include "net/sasl/oidc.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/sasl/oauthbearer.hpp"
#include "net/tls.hpp"

namespace kpipe::net::sasl {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using tcp = asio::ip::tcp;

token_request sample_request() {
  token_request request;
  request.client_id = "my client";
  request.client_secret = "s3:cr&t+/=";
  request.scope = "kafka read";
  return request;
}

// ---- URLs ----

TEST(OidcUrl, HostPortAndTarget) {
  auto url = parse_token_endpoint_url("https://idp.example.com:8443/realms/k/token?x=1#frag");
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->host, "idp.example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/realms/k/token?x=1");

  auto plain = parse_token_endpoint_url("HTTPS://idp.example.com");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 443);
  EXPECT_EQ(plain->target, "/");

  auto query_only = parse_token_endpoint_url("https://idp?a=b");
  ASSERT_TRUE(query_only.ok());
  EXPECT_EQ(query_only->target, "/?a=b");

  auto ipv6 = parse_token_endpoint_url("https://[::1]:9443/token");
  ASSERT_TRUE(ipv6.ok()) << ipv6.error().message;
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->port, 9443);
}

TEST(OidcUrl, HttpIsRefusedAsAUsageError) {
  auto url = parse_token_endpoint_url("http://idp.example.com/token");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().kind, error_kind::usage);
  EXPECT_NE(url.error().message.find("https"), std::string::npos);
}

TEST(OidcUrl, MalformedUrlsAreUsageErrors) {
  for (const char* text : {"", "idp.example.com/token", "ftp://idp/", "https://", "https:///token",
                           "https://idp:/", "https://idp:0/", "https://idp:65536/",
                           "https://idp:12ab/", "https://[::1/", "https://[::1]x/", "https://id p/",
                           "https://idp/a b", "https://idp/\r\nX: y", "https://idp/\xc3\xa9"}) {
    auto url = parse_token_endpoint_url(text);
    EXPECT_FALSE(url.ok()) << text;
    if (!url) {
      EXPECT_EQ(url.error().kind, error_kind::usage) << text;
    }
  }
}

TEST(OidcUrl, CredentialsInTheUrlAreRefusedWithoutEchoingThem) {
  auto url = parse_token_endpoint_url("https://client:hunter2@idp.example.com/token");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().kind, error_kind::usage);
  EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos);
}

// ---- the request ----

TEST(OidcRequest, FormUrlencoding) {
  EXPECT_EQ(form_urlencode("abcXYZ019-._*"), "abcXYZ019-._*");
  EXPECT_EQ(form_urlencode("a b"), "a+b");
  EXPECT_EQ(form_urlencode("+&=%/:~"), "%2B%26%3D%25%2F%3A%7E");
  EXPECT_EQ(form_urlencode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(form_urlencode(std::string("\0", 1)), "%00");
}

TEST(OidcRequest, PostWithBasicCredentialsAndForm) {
  auto url = parse_token_endpoint_url("https://idp.example.com:8443/oauth2/token?x=1");
  ASSERT_TRUE(url.ok());
  std::string request = build_token_request(url.value(), sample_request());
  // base64("my+client:s3%3Acr%26t%2B%2F%3D"): id and secret each form-urlencoded first.
  EXPECT_EQ(request,
            "POST /oauth2/token?x=1 HTTP/1.1\r\n"
            "Host: idp.example.com:8443\r\n"
            "Authorization: Basic bXkrY2xpZW50OnMzJTNBY3IlMjZ0JTJCJTJGJTNE\r\n"
            "Accept: application/json\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 46\r\n"
            "User-Agent: kpipe\r\n"
            "Connection: close\r\n"
            "\r\n"
            "grant_type=client_credentials&scope=kafka+read");
}

TEST(OidcRequest, NoScopeParameterWithoutScopeAndDefaultPortLeftOut) {
  auto url = parse_token_endpoint_url("https://[::1]/t");
  ASSERT_TRUE(url.ok());
  auto request = sample_request();
  request.scope.clear();
  std::string text = build_token_request(url.value(), request);
  EXPECT_NE(text.find("Host: [::1]\r\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("\r\n\r\ngrant_type=client_credentials"));
  EXPECT_NE(text.find("Content-Length: 29\r\n"), std::string::npos);
}

// ---- the response ----

http_response complete(std::string_view bytes, bool at_end = false) {
  auto parsed = parse_http_response(bytes, at_end);
  EXPECT_TRUE(parsed.ok()) << (parsed ? "" : parsed.error().message);
  if (!parsed || !parsed.value()) {
    ADD_FAILURE() << "incomplete: " << bytes;
    return {};
  }
  return *parsed.value();
}

TEST(OidcResponse, ContentLength) {
  std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  auto response = complete(text);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.reason, "OK");
  EXPECT_EQ(response.body, "{\"a\":1}");
  ASSERT_EQ(response.headers.size(), 2u);
  EXPECT_EQ(response.headers[0].first, "content-type");
  EXPECT_EQ(response.headers[0].second, "application/json");

  // Every strict prefix is incomplete, and an error once the stream has ended.
  for (std::size_t n = 0; n < text.size(); ++n) {
    auto partial = parse_http_response(text.substr(0, n), false);
    ASSERT_TRUE(partial.ok()) << n;
    EXPECT_FALSE(partial.value().has_value()) << n;
    EXPECT_FALSE(parse_http_response(text.substr(0, n), true).ok()) << n;
  }
}

TEST(OidcResponse, ChunkedWithExtensionsAndTrailers) {
  std::string text =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext=1\r\n{\"a\"\r\nB\r\n:\"chunked\"}\r\n0\r\nX-Trailer: yes\r\n\r\n";
  EXPECT_EQ(complete(text).body, "{\"a\":\"chunked\"}");
  for (std::size_t n = 0; n < text.size(); ++n) {
    auto partial = parse_http_response(text.substr(0, n), false);
    ASSERT_TRUE(partial.ok()) << n;
    EXPECT_FALSE(partial.value().has_value()) << n;
  }
  EXPECT_EQ(complete("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n0\r\n\r\n").body,
            "");
}

TEST(OidcResponse, BodyToTheEndOfTheStream) {
  std::string text = "HTTP/1.0 200 OK\r\n\r\n{\"until\":\"eof\"}";
  auto partial = parse_http_response(text, false);
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial.value().has_value());
  EXPECT_EQ(complete(text, true).body, "{\"until\":\"eof\"}");
}

TEST(OidcResponse, InterimResponsesAreSkipped) {
  auto response = complete(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.body, "{}");
}

TEST(OidcResponse, MalformedAndOversizedResponsesAreErrors) {
  const std::vector<std::string> bad = {
      "HTTP/2 200 OK\r\n\r\n",
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
      "HTTP/1.1 200 OK\r\n folded: header\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
      "HTTP/1.1 200 OK\r\n" + std::string(70 * 1024, 'x'),
      "HTTP/1.1 200 OK\r\n\r\n" + std::string(max_http_body + 1, 'x'),
  };
  for (const auto& text : bad) {
    auto parsed = parse_http_response(text, false);
    EXPECT_FALSE(parsed.ok()) << text.substr(0, 80);
    if (!parsed) {
      EXPECT_EQ(parsed.error().kind, error_kind::protocol);
    }
  }
  // Chunked bodies over the limit, one chunk at a time.
  std::string many = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string chunk(64 * 1024, 'y');
  for (int i = 0; i < 17; ++i) many += "10000\r\n" + chunk + "\r\n";
  EXPECT_FALSE(parse_http_response(many, false).ok());
}

https_url example_url() { return parse_token_endpoint_url("https://idp.example/token").value(); }

http_response response_with(int status, std::string body) {
  http_response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

TEST(OidcToken, AccessTokenExpiryAndType) {
  auto token = parse_token_response(
      response_with(200,
                    R"({"access_token":"abc.def.ghi","expires_in":300,"token_type":"Bearer"})"),
      example_url(), sample_request());
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->access_token, "abc.def.ghi");
  EXPECT_EQ(token->expires_in, std::chrono::seconds(300));
  EXPECT_EQ(token->token_type, "Bearer");

  auto as_string =
      parse_token_response(response_with(200, R"({"access_token":"t","expires_in":"3600"})"),
                           example_url(), sample_request());
  ASSERT_TRUE(as_string.ok());
  EXPECT_EQ(as_string->expires_in, std::chrono::seconds(3600));

  auto without = parse_token_response(response_with(201, R"({"access_token":"t"})"), example_url(),
                                      sample_request());
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->expires_in.has_value());
}

TEST(OidcToken, BadSuccessBodiesAreProtocolErrors) {
  for (const char* body :
       {"", "not json", "[]", R"({"token":"x"})", R"({"access_token":7})", R"({"access_token":""})",
        R"({"access_token":"t","expires_in":"soon"})", R"({"access_token":"t","expires_in":-5})",
        R"({"access_token":"t","expires_in":1e300})"}) {
    auto token = parse_token_response(response_with(200, body), example_url(), sample_request());
    EXPECT_FALSE(token.ok()) << body;
    if (!token) {
      EXPECT_EQ(token.error().kind, error_kind::protocol) << body;
    }
  }
}

TEST(OidcToken, RefusalCarriesStatusAndTheServersWords) {
  auto response = response_with(
      401, R"({"error":"invalid_client","error_description":"Invalid client credentials"})");
  response.reason = "Unauthorized";
  auto token = parse_token_response(response, example_url(), sample_request());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, error_kind::auth);
  const auto& message = token.error().message;
  EXPECT_NE(message.find("https://idp.example/token"), std::string::npos) << message;
  EXPECT_NE(message.find("401"), std::string::npos) << message;
  EXPECT_NE(message.find("invalid_client"), std::string::npos) << message;
  EXPECT_NE(message.find("Invalid client credentials"), std::string::npos) << message;

  auto html = parse_token_response(response_with(503, "<html>down</html>"), example_url(),
                                   sample_request());
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.error().message.find("503"), std::string::npos);
}

TEST(OidcToken, TheClientSecretNeverAppearsInAnError) {
  auto request = sample_request();
  request.client_secret = "TopSecretValue42";
  // A server that echoes what it was sent, in every form.
  std::string echoed =
      "{\"error\":\"invalid_client\",\"error_description\":\"bad secret TopSecretValue42 in "
      "Basic bXkrY2xpZW50OlRvcFNlY3JldFZhbHVlNDI= \"}";
  auto token = parse_token_response(response_with(401, echoed), example_url(), request);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().message.find("TopSecretValue42"), std::string::npos)
      << token.error().message;
  EXPECT_EQ(token.error().message.find("bXkrY2xpZW50OlRvcFNlY3JldFZhbHVlNDI="), std::string::npos)
      << token.error().message;
  auto plain = parse_token_response(response_with(400, "secret was TopSecretValue42"),
                                    example_url(), request);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().message.find("TopSecretValue42"), std::string::npos);
}

// ---- over the network ----

struct self_signed {
  std::string certificate_pem;
  std::string key_pem;
};

std::string pem_of(const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

// A certificate for 127.0.0.1 and localhost, trusted by the client as its own CA.
self_signed make_self_signed() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("kpipe test idp"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(cert, key, EVP_sha256());
  self_signed out;
  out.certificate_pem = pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
  out.key_pem = pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

const self_signed& test_certificate() {
  static const self_signed made = make_self_signed();
  return made;
}

// An HTTPS endpoint that answers each connection with the next canned response.
class https_endpoint {
 public:
  explicit https_endpoint(asio::io_context& io)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    context_.use_certificate_chain(asio::buffer(test_certificate().certificate_pem));
    context_.use_private_key(asio::buffer(test_certificate().key_pem), asio::ssl::context::pem);
  }

  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/token";
  }

  void serve(std::vector<std::string> responses) {
    asio::co_spawn(io_, answer(std::move(responses)), asio::detached);
  }

  std::vector<std::string> requests;

 private:
  asio::awaitable<void> answer(std::vector<std::string> responses) {
    for (const auto& response : responses) {
      auto [accept_ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (accept_ec) co_return;
      asio::ssl::stream<tcp::socket> stream(std::move(socket), context_);
      auto [handshake_ec] =
          co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
      if (handshake_ec) continue;
      std::string received;
      auto [read_ec, n] = co_await asio::async_read_until(stream, asio::dynamic_buffer(received),
                                                          "\r\n\r\n", use_tuple);
      if (read_ec) continue;
      // The request's body is short and arrives with its headers, or just after.
      auto length_at = received.find("Content-Length: ");
      std::size_t length =
          length_at == std::string::npos ? 0 : std::stoul(received.substr(length_at + 16));
      while (received.size() < n + length) {
        std::array<char, 1024> more;
        auto [more_ec, got] = co_await stream.async_read_some(asio::buffer(more), use_tuple);
        if (more_ec) break;
        received.append(more.data(), got);
      }
      requests.push_back(received);
      co_await asio::async_write(stream, asio::buffer(response), use_tuple);
      co_await stream.async_shutdown(use_tuple);
    }
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  asio::ssl::context context_{asio::ssl::context::tls_server};
};

std::shared_ptr<tls_context> trusting_test_certificate() {
  tls_options options;
  options.ca_pem = test_certificate().certificate_pem;
  auto made = tls_context::make(options);
  EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message);
  return made ? made.value() : nullptr;
}

template <class F>
void run(asio::io_context& io, F body) {
  bool done = false;
  asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    done = true;
    io.stop();  // the endpoint may still wait for connections that will not come
    if (e) std::rethrow_exception(e);
  });
  io.run_for(std::chrono::seconds(10));
  ASSERT_TRUE(done) << "the test coroutine did not finish";
}

result<token_response> fetch_from(asio::io_context& io, tls_context& tls, const std::string& url,
                                  std::chrono::milliseconds timeout) {
  result<token_response> outcome = error{error_kind::io, "not run"};
  run(io, [&]() -> asio::awaitable<void> {
    auto parsed = parse_token_endpoint_url(url);
    EXPECT_TRUE(parsed.ok());
    if (!parsed) co_return;
    outcome =
        co_await fetch_token(io.get_executor(), tls, parsed.value(), sample_request(), timeout);
  });
  return outcome;
}

TEST(OidcFetch, GetsTheTokenOverTlsWithAChunkedAnswer) {
  asio::io_context io;
  https_endpoint endpoint(io);
  endpoint.serve(std::vector<std::string>{
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "10\r\n{\"access_token\":\r\n"
      "26\r\n\"a.b.c\",\"expires_in\":60,\"token_type\":\"\r\n"
      "8\r\nbearer\"}\r\n0\r\n\r\n"});
  auto tls = trusting_test_certificate();
  ASSERT_TRUE(tls);
  auto token = fetch_from(io, *tls, endpoint.url(), std::chrono::seconds(5));
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->access_token, "a.b.c");
  EXPECT_EQ(token->expires_in, std::chrono::seconds(60));
  EXPECT_EQ(token->token_type, "bearer");
  ASSERT_EQ(endpoint.requests.size(), 1u);
  const auto& request = endpoint.requests[0];
  EXPECT_TRUE(request.starts_with("POST /token HTTP/1.1\r\n")) << request;
  EXPECT_NE(request.find("Authorization: Basic bXkrY2xpZW50OnMzJTNBY3IlMjZ0JTJCJTJGJTNE\r\n"),
            std::string::npos);
  EXPECT_TRUE(request.ends_with("grant_type=client_credentials&scope=kafka+read")) << request;
}

TEST(OidcFetch, ARefusalIsAnAuthErrorWithoutTheSecret) {
  asio::io_context io;
  https_endpoint endpoint(io);
  endpoint.serve(std::vector<std::string>{
      "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
      "{\"error\":\"invalid_client\",\"error_description\":\"s3:cr&t+/= is wrong\"}"});
  auto tls = trusting_test_certificate();
  ASSERT_TRUE(tls);
  auto token = fetch_from(io, *tls, endpoint.url(), std::chrono::seconds(5));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, error_kind::auth);
  EXPECT_NE(token.error().message.find("401"), std::string::npos) << token.error().message;
  EXPECT_NE(token.error().message.find("invalid_client"), std::string::npos);
  EXPECT_EQ(token.error().message.find("s3:cr&t+/="), std::string::npos) << token.error().message;
}

TEST(OidcFetch, AnUntrustedCertificateIsAnAuthError) {
  asio::io_context io;
  https_endpoint endpoint(io);
  endpoint.serve(std::vector<std::string>{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"});
  auto system_trust = tls_context::make(tls_options{});
  ASSERT_TRUE(system_trust.ok());
  auto token = fetch_from(io, *system_trust.value(), endpoint.url(), std::chrono::seconds(5));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, error_kind::auth) << token.error().message;
  EXPECT_NE(token.error().message.find(endpoint.url()), std::string::npos);
}

TEST(OidcFetch, AnEndpointThatNeverAnswersTimesOutNamingTheUrl) {
  asio::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket held(io);
  silent.async_accept(held, [](boost::system::error_code) {});
  auto url = "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/token";
  auto tls = trusting_test_certificate();
  ASSERT_TRUE(tls);
  auto started = std::chrono::steady_clock::now();
  auto token = fetch_from(io, *tls, url, std::chrono::milliseconds(200));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, error_kind::timeout);
  EXPECT_NE(token.error().message.find(url), std::string::npos) << token.error().message;
  EXPECT_EQ(token.error().message.find("s3:cr&t+/="), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(OidcFetch, ARefusedConnectionIsAnIoError) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = closed.local_endpoint().port();
  }
  auto tls = trusting_test_certificate();
  ASSERT_TRUE(tls);
  auto token = fetch_from(io, *tls, "https://127.0.0.1:" + std::to_string(port) + "/token",
                          std::chrono::seconds(5));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, error_kind::io) << token.error().message;
}

// ---- OAUTHBEARER with a token endpoint ----

struct fake_clock {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  oauthbearer_authenticator::clock function() {
    return [this] { return now; };
  }
};

TEST(OidcAuthenticator, ConnectionsShareOneFetchAndRefreshAfterFourFifths) {
  asio::io_context io;
  https_endpoint endpoint(io);
  auto answer = [](const char* token) {
    std::string body = std::string("{\"access_token\":\"") + token + "\",\"expires_in\":100}";
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  endpoint.serve(std::vector<std::string>{answer("first.token.x"), answer("second.token.y")});
  oauth_options options;
  options.token_endpoint_url = endpoint.url();
  options.client_id = "my client";
  options.client_secret = "s3:cr&t+/=";
  fake_clock clock;
  auto made =
      oauthbearer_authenticator::make(options, trusting_test_certificate(), clock.function());
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto authenticator = made.value();
  EXPECT_EQ(authenticator->token_source(), oauthbearer_authenticator::source::token_endpoint);

  std::vector<std::string> initials;
  auto connect = [&]() -> asio::awaitable<void> {
    auto exchange = co_await authenticator->begin(io.get_executor(), std::chrono::seconds(5));
    EXPECT_TRUE(exchange.ok()) << (exchange ? "" : exchange.error().message);
    if (!exchange) co_return;
    auto first = exchange.value()->initial();
    if (first) initials.push_back(first.value());
  };
  run(io, [&]() -> asio::awaitable<void> {
    // Three connections at once: one request to the endpoint.
    asio::co_spawn(io, connect(), asio::detached);
    asio::co_spawn(io, connect(), asio::detached);
    co_await connect();
    asio::steady_timer settle(io, std::chrono::milliseconds(50));
    co_await settle.async_wait(use_tuple);
  });
  EXPECT_EQ(endpoint.requests.size(), 1u);
  ASSERT_EQ(initials.size(), 3u);
  for (const auto& initial : initials) {
    EXPECT_EQ(initial,
              "n,,\x01"
              "auth=Bearer first.token.x\x01\x01");
  }
  ASSERT_TRUE(authenticator->current_token().has_value());
  EXPECT_EQ(authenticator->current_token()->expiry(), clock.now + std::chrono::seconds(100));

  // At 79 s the token is still fresh; at 80 s a new one is fetched.
  clock.now += std::chrono::seconds(79);
  io.restart();
  run(io, connect);
  EXPECT_EQ(endpoint.requests.size(), 1u);
  clock.now += std::chrono::seconds(1);
  io.restart();
  run(io, connect);
  EXPECT_EQ(endpoint.requests.size(), 2u);
  EXPECT_EQ(initials.back(),
            "n,,\x01"
            "auth=Bearer second.token.y\x01\x01");
}

TEST(OidcAuthenticator, AFailedRefreshKeepsTheOldTokenUntilItExpires) {
  asio::io_context io;
  https_endpoint endpoint(io);
  std::string body = "{\"access_token\":\"only.token.z\",\"expires_in\":100}";
  endpoint.serve(std::vector<std::string>{
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
      "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"});
  oauth_options options;
  options.token_endpoint_url = endpoint.url();
  options.client_id = "id";
  options.client_secret = "secret";
  fake_clock clock;
  auto made =
      oauthbearer_authenticator::make(options, trusting_test_certificate(), clock.function());
  ASSERT_TRUE(made.ok());
  auto authenticator = made.value();
  auto begin = [&]() {
    std::optional<result<std::unique_ptr<exchange>>> outcome;
    io.restart();
    run(io, [&]() -> asio::awaitable<void> {
      outcome = co_await authenticator->begin(io.get_executor(), std::chrono::seconds(5));
    });
    return outcome ? outcome->ok() : false;
  };
  EXPECT_TRUE(begin());
  clock.now += std::chrono::seconds(90);
  EXPECT_TRUE(begin());  // the refresh fails (500); the old token still works
  EXPECT_EQ(endpoint.requests.size(), 2u);
  EXPECT_TRUE(begin());  // no new attempt right away
  EXPECT_EQ(endpoint.requests.size(), 2u);
  clock.now += std::chrono::seconds(11);
  EXPECT_FALSE(begin());  // expired, and the endpoint still fails
  EXPECT_EQ(endpoint.requests.size(), 3u);
}

TEST(OidcAuthenticator, HttpEndpointIsAUsageError) {
  sasl_options options;
  options.mechanism = mechanism_kind::oauthbearer;
  options.oauth.token_endpoint_url = "http://idp.example/token";
  options.oauth.client_id = "id";
  options.oauth.client_secret = "secret";
  auto made = make_authenticator(options, nullptr);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, error_kind::usage);
  EXPECT_EQ(made.error().message.find("secret\""), std::string::npos);
}

}  // namespace
}  // namespace kpipe::net::sasl
