#include "net/sasl/oidc.hpp"

#include <openssl/crypto.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <span>

#include "net/tls.hpp"
#include "util/base64.hpp"

namespace kpipe::net::sasl {
namespace {

using json = nlohmann::json;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Response headers larger than this are not from a token endpoint.
constexpr std::size_t max_http_header = 64 * 1024;

std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != lower(prefix[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z'); }

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

error malformed_url(std::string_view url, const std::string& why) {
  return error{error_kind::usage,
               "token endpoint URL '" + std::string(url) + "' is not a usable https URL: " + why};
}

error bad_response(const std::string& why) {
  return error{error_kind::protocol, "the HTTP response is malformed: " + why};
}

// Server text shown in an error: bounded, printable ASCII only.
std::string shown(std::string_view text) {
  constexpr std::size_t limit = 300;
  std::string out;
  for (char c : text.substr(0, limit)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : ' ';
  }
  if (text.size() > limit) out += "...";
  return std::string(trim(out));
}

std::string basic_credentials(const token_request& request) {
  std::string pair =
      form_urlencode(request.client_id) + ":" + form_urlencode(request.client_secret);
  std::string encoded = util::base64(as_bytes(pair));
  OPENSSL_cleanse(pair.data(), pair.size());
  return encoded;
}

struct body_framing {
  enum kind { length, chunked, until_end } how = until_end;
  std::size_t content_length = 0;
};

result<body_framing> framing_of(const http_response& response) {
  body_framing framing;
  std::optional<std::size_t> length;
  for (const auto& [name, value] : response.headers) {
    if (name == "transfer-encoding") {
      // RFC 9112 section 6.3: chunked when it is the last coding, else the body runs to the
      // end of the connection; Transfer-Encoding overrides Content-Length.
      std::string codings = lowercase(value);
      auto last_comma = codings.rfind(',');
      auto last =
          trim(last_comma == std::string::npos ? std::string_view(codings)
                                               : std::string_view(codings).substr(last_comma + 1));
      framing.how = last == "chunked" ? body_framing::chunked : body_framing::until_end;
      return framing;
    }
    if (name == "content-length") {
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        return bad_response("Content-Length is not a number");
      }
      if (length && *length != n) return bad_response("two different Content-Lengths");
      length = n;
    }
  }
  if (length) {
    if (*length > max_http_body) {
      return bad_response("a body of " + std::to_string(*length) + " bytes, more than the " +
                          std::to_string(max_http_body) + " kpipe reads");
    }
    framing.how = body_framing::length;
    framing.content_length = *length;
  } else if (response.status == 204 || response.status == 304) {
    framing.how = body_framing::length;
  }
  return framing;
}

// Chunked transfer coding (RFC 9112 section 7.1): nullopt while incomplete.
result<std::optional<std::string>> decode_chunked(std::string_view data, bool at_end) {
  std::string body;
  std::size_t at = 0;
  auto need_more = [&]() -> result<std::optional<std::string>> {
    if (at_end) return bad_response("the connection closed inside the chunked body");
    return std::optional<std::string>();
  };
  while (true) {
    auto line_end = data.find("\r\n", at);
    if (line_end == std::string_view::npos) {
      if (data.size() - at > 1024) return bad_response("a chunk size line that does not end");
      return need_more();
    }
    auto size_text = trim(data.substr(at, line_end - at));
    size_text = trim(size_text.substr(0, size_text.find(';')));  // chunk extensions ignored
    std::size_t size = 0;
    auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || ec != std::errc{} || end != size_text.data() + size_text.size()) {
      return bad_response("a chunk size that is not hexadecimal");
    }
    if (size > max_http_body || body.size() + size > max_http_body) {
      return bad_response("a body larger than the " + std::to_string(max_http_body) +
                          " bytes kpipe reads");
    }
    at = line_end + 2;
    if (size == 0) {
      // The last chunk, then optional trailer fields, then an empty line.
      if (data.size() - at < 2) return need_more();
      if (data.substr(at, 2) == "\r\n") return std::optional<std::string>(std::move(body));
      if (data.find("\r\n\r\n", at) == std::string_view::npos) {
        if (data.size() - at > max_http_header) return bad_response("trailers too large");
        return need_more();
      }
      return std::optional<std::string>(std::move(body));
    }
    if (data.size() - at < size + 2) return need_more();
    if (data.substr(at + size, 2) != "\r\n") return bad_response("a chunk not followed by CRLF");
    body.append(data.substr(at, size));
    at += size + 2;
  }
}

// A number or a numeric string (some providers send "3600"); nullopt for anything else.
std::optional<std::chrono::seconds> seconds_of(const json& value) {
  double n = -1;
  if (value.is_number()) {
    n = value.get<double>();
  } else if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    std::int64_t whole = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), whole);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    n = static_cast<double>(whole);
  }
  // Ten years is far beyond any token lifetime; beyond that the value is not meant.
  if (!std::isfinite(n) || n < 0 || n > 10.0 * 365 * 24 * 3600) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(n));
}

std::string string_member(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

void replace_all(std::string& text, const std::string& what, std::string_view with) {
  if (what.empty()) return;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

asio::awaitable<result<token_response>> post_token_request(tls_context& tls, https_url url,
                                                           token_request request) {
  auto executor = co_await asio::this_coro::executor;
  const std::string who = "token endpoint " + url.text;
  auto failed = [&](error_kind kind, const std::string& stage, const std::string& what) {
    return error{kind, who + ": " + stage + ": " + what};
  };

  asio::ip::tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
  if (resolve_ec) co_return failed(error_kind::io, "resolve " + url.host, resolve_ec.message());

  asio::ssl::stream<asio::ip::tcp::socket> stream(executor, tls.native());
  auto [connect_ec, endpoint] =
      co_await asio::async_connect(stream.lowest_layer(), endpoints, use_tuple);
  if (connect_ec) co_return failed(error_kind::io, "connect", connect_ec.message());
  if (auto prepared = tls.prepare(stream.native_handle(), url.host); !prepared) {
    co_return prepared.error();
  }
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (handshake_ec) {
    co_return describe_tls_failure(handshake_ec, stream.native_handle(), who, url.host,
                                   "TLS handshake");
  }

  std::string wire = build_token_request(url, request);
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(wire), use_tuple);
  OPENSSL_cleanse(wire.data(), wire.size());  // it carries the client secret
  if (write_ec) co_return failed(error_kind::io, "request", write_ec.message());

  std::string received;
  std::array<char, 16 * 1024> chunk;
  std::optional<http_response> response;
  while (!response) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(chunk), use_tuple);
    received.append(chunk.data(), n);
    // Servers that close after the answer often skip TLS close_notify; the framing still
    // tells a complete answer from a cut one.
    bool at_end = read_ec == asio::error::eof || read_ec == asio::ssl::error::stream_truncated;
    if (read_ec && !at_end) co_return failed(error_kind::io, "response", read_ec.message());
    auto parsed = parse_http_response(received, at_end);
    if (!parsed) co_return failed(parsed.error().kind, "response", parsed.error().message);
    response = std::move(parsed.value());
    if (!response && at_end) {
      co_return failed(error_kind::io, "response", "the connection closed before the answer");
    }
  }
  co_return parse_token_response(*response, url, request);
}

}  // namespace

result<https_url> parse_token_endpoint_url(std::string_view url) {
  std::string_view rest = trim(url);
  if (starts_with_nocase(rest, "http://")) {
    return error{error_kind::usage,
                 "token endpoint URL '" + std::string(url) +
                     "' is http: kpipe sends the client secret to the token endpoint over "
                     "https only"};
  }
  if (!starts_with_nocase(rest, "https://")) return malformed_url(url, "it must start https://");
  rest.remove_prefix(8);
  rest = rest.substr(0, rest.find('#'));
  auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    // Not echoed: what precedes '@' may be a password.
    return error{error_kind::usage,
                 "the token endpoint URL must not carry credentials (user@host): give the "
                 "client id and secret as settings of their own"};
  }

  https_url out;
  out.text = std::string(trim(url));
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return malformed_url(url, "an unclosed '['");
    out.host = std::string(authority.substr(1, close - 1));
    for (char c : out.host) {
      if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f') || c == ':' || c == '.')) {
        return malformed_url(url, "not an IPv6 address inside [ ]");
      }
    }
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return malformed_url(url, "text after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return malformed_url(url, "an empty port");
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return malformed_url(url, "an empty port");
    }
    for (char c : out.host) {
      if (!(is_alnum(c) || c == '-' || c == '.' || c == '_')) {
        return malformed_url(url, "a character that is not allowed in a host name");
      }
    }
  }
  if (out.host.empty()) return malformed_url(url, "no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return malformed_url(url, "the port is not a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  // The target goes into the request line as it is: no spaces or control bytes (they would
  // split the request), and non-ASCII must come percent-encoded.
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return malformed_url(url, "a space, control or non-ASCII character in the path");
    }
  }
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

std::string form_urlencode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (is_alnum(c) || c == '*' || c == '-' || c == '.' || c == '_') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::string build_token_request(const https_url& url, const token_request& request) {
  std::string body = "grant_type=client_credentials";
  if (!request.scope.empty()) body += "&scope=" + form_urlencode(request.scope);
  bool ipv6 = url.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + url.host + "]" : url.host;
  if (url.port != 443) host += ":" + std::to_string(url.port);
  std::string credentials = basic_credentials(request);
  std::string out;
  out += "POST " + url.target + " HTTP/1.1\r\n";
  out += "Host: " + host + "\r\n";
  out += "Authorization: Basic " + credentials + "\r\n";
  out += "Accept: application/json\r\n";
  out += "Content-Type: application/x-www-form-urlencoded\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "User-Agent: kpipe\r\n";
  out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  OPENSSL_cleanse(credentials.data(), credentials.size());
  return out;
}

result<std::optional<http_response>> parse_http_response(std::string_view received,
                                                         bool at_end_of_stream) {
  std::size_t at = 0;
  while (true) {
    auto header_end = received.find("\r\n\r\n", at);
    if (header_end == std::string_view::npos) {
      if (received.size() - at > max_http_header) return bad_response("headers too large");
      if (at_end_of_stream) {
        return bad_response(received.size() == at
                                ? std::string("the connection closed without an answer")
                                : std::string("the connection closed inside the headers"));
      }
      return std::optional<http_response>();
    }
    if (header_end - at > max_http_header) return bad_response("headers too large");
    std::string_view head = received.substr(at, header_end - at);
    auto line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK" (RFC 9112 section 4); the reason phrase may be empty.
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ' ||
        !is_digit(status_line[9]) || !is_digit(status_line[10]) || !is_digit(status_line[11]) ||
        (status_line.size() > 12 && status_line[12] != ' ')) {
      return bad_response("the status line is not HTTP/1.x: " + shown(status_line));
    }
    http_response response;
    response.status =
        (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
    if (status_line.size() > 13) response.reason = shown(status_line.substr(13));
    std::string_view fields =
        line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!fields.empty()) {
      auto end = fields.find("\r\n");
      std::string_view line = fields.substr(0, end);
      fields = end == std::string_view::npos ? std::string_view{} : fields.substr(end + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' ||
          line.front() == '\t') {
        return bad_response("a header line that is not 'name: value'");
      }
      response.headers.emplace_back(lowercase(line.substr(0, colon)),
                                    std::string(trim(line.substr(colon + 1))));
    }
    at = header_end + 4;
    if (response.status >= 100 && response.status < 200) {
      if (response.status == 101) return bad_response("the server switched protocols (101)");
      continue;  // an interim answer (100 Continue); the real one follows
    }

    auto framing = framing_of(response);
    if (!framing) return framing.error();
    std::string_view rest = received.substr(at);
    switch (framing->how) {
      case body_framing::length:
        if (rest.size() < framing->content_length) {
          if (at_end_of_stream) {
            return bad_response("the connection closed after " + std::to_string(rest.size()) +
                                " of " + std::to_string(framing->content_length) + " body bytes");
          }
          return std::optional<http_response>();
        }
        response.body = std::string(rest.substr(0, framing->content_length));
        return std::optional<http_response>(std::move(response));
      case body_framing::chunked: {
        auto body = decode_chunked(rest, at_end_of_stream);
        if (!body) return body.error();
        if (!body.value()) return std::optional<http_response>();
        response.body = std::move(*body.value());
        return std::optional<http_response>(std::move(response));
      }
      case body_framing::until_end:
        if (rest.size() > max_http_body) {
          return bad_response("a body larger than the " + std::to_string(max_http_body) +
                              " bytes kpipe reads");
        }
        if (!at_end_of_stream) return std::optional<http_response>();
        response.body = std::string(rest);
        return std::optional<http_response>(std::move(response));
    }
    return bad_response("unknown framing");
  }
}

std::string redact(std::string text, const token_request& request) {
  if (request.client_secret.empty()) return text;
  replace_all(text, basic_credentials(request), "***");
  replace_all(text, util::base64(as_bytes(request.client_id + ":" + request.client_secret)), "***");
  replace_all(text, form_urlencode(request.client_secret), "***");
  replace_all(text, request.client_secret, "***");
  return text;
}

result<token_response> parse_token_response(const http_response& response, const https_url& url,
                                            const token_request& request) {
  const std::string who = "token endpoint " + url.text;
  json document = json::parse(response.body, nullptr, false);
  bool is_object = !document.is_discarded() && document.is_object();

  if (response.status < 200 || response.status > 299) {
    std::string message = who + " refused the client credentials: HTTP " +
                          std::to_string(response.status) +
                          (response.reason.empty() ? "" : " " + response.reason);
    if (is_object) {
      // RFC 6749 section 5.2: "error" and, optionally, "error_description".
      std::string code = string_member(document, "error");
      std::string description = string_member(document, "error_description");
      if (!code.empty()) message += ": " + shown(code);
      if (!description.empty()) message += " (" + shown(description) + ")";
    } else if (!response.body.empty()) {
      message += ": " + shown(response.body);
    }
    auto kind = response.status >= 400 && response.status < 500 ? error_kind::auth : error_kind::io;
    return error{kind, redact(std::move(message), request)};
  }

  if (!is_object) {
    return error{error_kind::protocol, who + ": the answer is not a JSON object"};
  }
  token_response out;
  out.access_token = string_member(document, "access_token");
  if (out.access_token.empty()) {
    return error{error_kind::protocol, who + ": the answer has no access_token"};
  }
  out.token_type = string_member(document, "token_type");
  if (auto expires = document.find("expires_in"); expires != document.end()) {
    out.expires_in = seconds_of(*expires);
    if (!out.expires_in) {
      return error{error_kind::protocol, who + ": expires_in is not a number of seconds"};
    }
  }
  return out;
}

asio::awaitable<result<token_response>> fetch_token(asio::any_io_executor executor,
                                                    tls_context& tls, https_url url,
                                                    token_request request,
                                                    std::chrono::milliseconds timeout) {
  asio::steady_timer deadline(executor, timeout);
  std::string text = url.text;
  auto outcome = co_await (post_token_request(tls, std::move(url), std::move(request)) ||
                           deadline.async_wait(use_tuple));
  if (outcome.index() == 1) {
    co_return error{error_kind::timeout,
                    "token endpoint " + text + ": no answer within " + duration_text(timeout)};
  }
  co_return std::move(std::get<0>(outcome));
}

}  // namespace kpipe::net::sasl
