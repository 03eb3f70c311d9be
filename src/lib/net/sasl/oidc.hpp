#pragma once
// The OAuth 2 client-credentials grant (RFC 6749 section 4.4) that gets OAUTHBEARER its token
// from an OIDC provider (KIP-768): one HTTPS POST to the token endpoint. The pure parts (URL,
// request, response) are functions of their own so that they can be tested without a server.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace kpipe::net {
class tls_context;
}

namespace kpipe::net::sasl {

namespace asio = boost::asio;

struct https_url {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 443;
  std::string target;  // path and query, at least "/"
  std::string text;    // the URL as given, for messages
};

// https://host[:port][/path][?query]. Anything but https is a usage error: the client secret
// must not travel in clear text.
result<https_url> parse_token_endpoint_url(std::string_view url);

// application/x-www-form-urlencoded (WHATWG URL, as HTML forms and Java's URLEncoder do):
// ALPHA DIGIT * - . _ stay, space becomes '+', every other byte %XX.
std::string form_urlencode(std::string_view text);

struct token_request {
  std::string client_id;
  std::string client_secret;
  std::string scope;  // empty: no scope parameter
};

// The whole HTTP/1.1 request: body "grant_type=client_credentials[&scope=...]", the client
// authenticated by HTTP Basic over the form-urlencoded id and secret (RFC 6749 section 2.3.1).
std::string build_token_request(const https_url& url, const token_request& request);

struct http_response {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
};

// Largest response body kpipe reads from a token endpoint.
inline constexpr std::size_t max_http_body = 1024 * 1024;

// Parses what has arrived so far: nullopt while more bytes are needed, the response once it is
// complete (Content-Length, chunked, or the body up to the end of the stream when
// `at_end_of_stream` and neither is given), a protocol error for anything malformed or too
// large. Interim 1xx responses are skipped.
result<std::optional<http_response>> parse_http_response(std::string_view received,
                                                         bool at_end_of_stream);

struct token_response {
  std::string access_token;
  std::optional<std::chrono::seconds> expires_in;
  std::string token_type;
};

// The token from a 2xx answer ({"access_token", "expires_in", "token_type"}); for any other
// status an auth error with the status and the server's "error" and "error_description".
// Server text in messages passes through `redact`, which hides the request's secret.
result<token_response> parse_token_response(const http_response& response, const https_url& url,
                                            const token_request& request);

// Replaces every form of the client secret that could come back (as given, form-urlencoded,
// inside the Basic credentials) with "***".
std::string redact(std::string text, const token_request& request);

// POSTs the request to the endpoint over TLS (`tls` provides trust, SNI and the hostname
// check) and reads the token; the whole exchange within `timeout` (error_kind::timeout naming
// the URL).
asio::awaitable<result<token_response>> fetch_token(asio::any_io_executor executor,
                                                    tls_context& tls, https_url url,
                                                    token_request request,
                                                    std::chrono::milliseconds timeout);

}  // namespace kpipe::net::sasl
