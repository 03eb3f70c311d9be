#include "net/sasl/oauthbearer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

#include "net/sasl/jwt.hpp"
#include "net/tls.hpp"

namespace kpipe::net::sasl {

using namespace asio::experimental::awaitable_operators;
using std::chrono::system_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr char separator = '\x01';  // RFC 7628 section 3.1: kvsep

// A token file read again this close to its token's expiry, at the latest (plus a tenth of the
// token's lifetime, whichever is earlier), so that whatever renews the file has had its chance.
constexpr std::chrono::seconds file_refresh_margin{60};
// After a failed refresh the old token is used until it expires; a new attempt waits this long.
constexpr std::chrono::seconds refresh_retry{10};
// Largest token file read: far more than any JWT.
constexpr std::size_t max_token_file = 1024 * 1024;

std::string utc_text(system_clock::time_point t) {
  std::time_t seconds = system_clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string milliseconds_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

std::string trimmed(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// Kafka's broker takes only these in the auth value (OAuthBearerClientInitialResponse): the
// base64url alphabet and '.', which is every JWS.
bool acceptable_token(std::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string token_rules() {
  return "Kafka accepts only letters, digits, '-', '_' and '.' in a bearer token";
}

// Server JSON shown in an error: bounded, printable ASCII only.
std::string shown(std::string_view text) {
  constexpr std::size_t limit = 300;
  std::string out;
  for (char c : text.substr(0, limit)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : ' ';
  }
  if (text.size() > limit) out += "...";
  return out;
}

system_clock::time_point whole_seconds(system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace

// ---- the exchange ----

oauthbearer_exchange::oauthbearer_exchange(std::string token,
                                           std::map<std::string, std::string> extensions)
    : token_(std::move(token)), extensions_(std::move(extensions)) {}

result<std::string> oauthbearer_exchange::initial() {
  // gs2-header "n,," (no channel binding, no authzid), then key=value pairs each ended by
  // \x01, then a closing \x01 (RFC 7628 section 3.1). std::map keeps the keys sorted.
  std::string message = "n,,";
  message += separator;
  message += "auth=Bearer " + token_;
  message += separator;
  for (const auto& [key, value] : extensions_) {
    message += key + "=" + value;
    message += separator;
  }
  message += separator;
  sent_initial_ = true;
  return message;
}

result<std::optional<std::string>> oauthbearer_exchange::respond(std::string_view server_message) {
  if (!sent_initial_) {
    return error{error_kind::protocol, "a server message before the client's first message"};
  }
  if (!sent_error_ack_) {
    if (server_message.empty()) return std::optional<std::string>();
    // RFC 7628 section 3.2.2: the server's failure is a JSON challenge, which the client must
    // answer with a lone kvsep; the server then fails the exchange (Kafka: with that JSON).
    server_error_ = std::string(server_message);
    sent_error_ack_ = true;
    return std::optional<std::string>(std::string(1, separator));
  }
  return error{error_kind::auth, "the broker refused the token: " + shown(server_error_)};
}

status validate_oauth_extensions(const std::map<std::string, std::string>& extensions) {
  for (const auto& [key, value] : extensions) {
    bool key_ok = !key.empty() && key != "auth";
    for (char c : key) key_ok = key_ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    if (!key_ok) {
      return error{error_kind::usage,
                   "OAUTHBEARER extension '" + shown(key) +
                       "': a name must be letters only, and not 'auth' (KIP-342)"};
    }
    bool value_ok = !value.empty();
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      value_ok =
          value_ok && ((u >= 0x21 && u <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n');
    }
    if (!value_ok) {
      return error{error_kind::usage,
                   "OAUTHBEARER extension '" + key +
                       "': the value must be non-empty printable ASCII (KIP-342)"};
    }
  }
  return success{};
}

// ---- the authenticator ----

struct oauthbearer_authenticator::refresh_wait {
  explicit refresh_wait(const asio::any_io_executor& executor)
      : done(executor, std::chrono::steady_clock::time_point::max()) {}
  asio::steady_timer done;  // cancelled when the fetch is over: Asio's condition variable
  std::optional<result<bearer_token>> outcome;
};

result<std::shared_ptr<oauthbearer_authenticator>> oauthbearer_authenticator::make(
    const oauth_options& options, std::shared_ptr<tls_context> tls, clock now) {
  if (auto valid = validate_oauth_extensions(options.extensions); !valid) return valid.error();
  std::optional<https_url> endpoint;
  source from;
  if (!options.token.empty()) {
    from = source::fixed_token;
    if (!acceptable_token(trimmed(options.token))) {
      return error{error_kind::usage, "the OAUTHBEARER token is not usable: " + token_rules()};
    }
  } else if (!options.token_file.empty()) {
    from = source::token_file;
  } else if (!options.token_endpoint_url.empty()) {
    from = source::token_endpoint;
    auto parsed = parse_token_endpoint_url(options.token_endpoint_url);
    if (!parsed) return parsed.error();
    endpoint = std::move(parsed.value());
    if (options.client_id.empty() || options.client_secret.empty()) {
      return error{error_kind::usage,
                   "OAUTHBEARER with a token endpoint needs a client id and a client secret"};
    }
    if (!tls) {
      auto made = tls_context::make(tls_options{});
      if (!made) return made.error();
      tls = std::move(made.value());
    }
  } else if (!options.unsecured_principal.empty()) {
    from = source::unsecured_jwt;
    if (options.unsecured_lifetime.count() <= 0) {
      return error{error_kind::usage, "the unsecured OAUTHBEARER token needs a positive lifetime"};
    }
  } else {
    return error{error_kind::usage,
                 "OAUTHBEARER needs a token: a token, a token file, a token endpoint (OIDC) or, "
                 "for test brokers, a principal for an unsecured token"};
  }
  return std::shared_ptr<oauthbearer_authenticator>(new oauthbearer_authenticator(
      options, std::move(tls), std::move(now), from, std::move(endpoint)));
}

oauthbearer_authenticator::oauthbearer_authenticator(oauth_options options,
                                                     std::shared_ptr<tls_context> tls, clock now,
                                                     source from, std::optional<https_url> endpoint)
    : options_(std::move(options)),
      tls_(std::move(tls)),
      now_(std::move(now)),
      source_(from),
      endpoint_(std::move(endpoint)) {}

asio::awaitable<result<std::unique_ptr<exchange>>> oauthbearer_authenticator::begin(
    asio::any_io_executor executor, std::chrono::milliseconds timeout) {
  auto token = co_await usable_token(executor, timeout);
  if (!token) co_return token.error();
  co_return std::unique_ptr<exchange>(
      std::make_unique<oauthbearer_exchange>(token->value(), options_.extensions));
}

asio::awaitable<result<bearer_token>> oauthbearer_authenticator::usable_token(
    asio::any_io_executor executor, std::chrono::milliseconds timeout) {
  auto now = now_();
  if (token_) {
    bool due = token_->refresh_at() && *token_->refresh_at() <= now;
    bool expired = token_->expiry() && *token_->expiry() <= now;
    if (!due && !expired) co_return *token_;
  }

  if (in_flight_) {
    // Another connection is already getting the token: wait for its answer.
    auto waiting = in_flight_;
    asio::steady_timer deadline(executor, timeout);
    co_await (waiting->done.async_wait(use_tuple) || deadline.async_wait(use_tuple));
    if (!waiting->outcome) {
      co_return error{error_kind::timeout,
                      "OAUTHBEARER: no token within " + milliseconds_text(timeout)};
    }
    co_return *waiting->outcome;
  }

  auto mine = std::make_shared<refresh_wait>(executor);
  in_flight_ = mine;
  auto fresh = co_await obtain(executor, timeout);
  auto settled = settle(std::move(fresh));
  mine->outcome = settled;
  if (in_flight_ == mine) in_flight_.reset();
  mine->done.cancel();
  co_return settled;
}

asio::awaitable<result<bearer_token>> oauthbearer_authenticator::obtain(
    asio::any_io_executor executor, std::chrono::milliseconds timeout) {
  switch (source_) {
    case source::fixed_token:
      co_return fixed_token();
    case source::token_file:
      co_return read_token_file();
    case source::token_endpoint:
      co_return co_await fetch_from_endpoint(executor, timeout);
    case source::unsecured_jwt:
      co_return unsecured_token();
  }
  co_return error{error_kind::usage, "OAUTHBEARER: no token source"};
}

result<bearer_token> oauthbearer_authenticator::settle(result<bearer_token> fresh) {
  if (fresh) {
    token_ = fresh.value();
    return fresh;
  }
  auto now = now_();
  if (token_ && (!token_->expiry() || *token_->expiry() > now)) {
    // Keep using the old token until it expires; try again a little later, not on every
    // connection.
    auto retry = now + refresh_retry;
    if (token_->expiry() && *token_->expiry() < retry) retry = *token_->expiry();
    token_ = bearer_token(token_->value(), token_->expiry(), retry);
    return *token_;
  }
  return fresh.error();
}

result<bearer_token> oauthbearer_authenticator::fixed_token() const {
  std::string value = trimmed(options_.token);
  auto claims = decode_jwt_claims(value);
  std::optional<system_clock::time_point> expiry;
  if (claims) expiry = claims->expires_at;
  if (expiry && *expiry <= now_()) {
    return error{error_kind::auth, "the OAUTHBEARER token expired at " + utc_text(*expiry) +
                                       " (its exp claim): give a new one"};
  }
  // A token given once is never replaced; the broker ends its sessions when it expires.
  return bearer_token(std::move(value), expiry, std::nullopt);
}

result<bearer_token> oauthbearer_authenticator::read_token_file() const {
  const std::string& path = options_.token_file;
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) {
    text.resize(max_token_file + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
  }
  if (!in && !in.eof()) {
    return error{error_kind::usage,
                 "cannot read the OAUTHBEARER token file " + path + ": " + std::strerror(errno)};
  }
  if (text.size() > max_token_file) {
    return error{error_kind::usage, "the OAUTHBEARER token file " + path + " is larger than 1 MiB"};
  }
  std::string value = trimmed(text);
  if (value.empty()) {
    return error{error_kind::auth, "the OAUTHBEARER token file " + path + " is empty"};
  }
  if (!acceptable_token(value)) {
    return error{error_kind::usage,
                 "the OAUTHBEARER token file " + path + " holds no usable token: " + token_rules()};
  }

  auto now = now_();
  auto claims = decode_jwt_claims(value);
  std::optional<system_clock::time_point> expiry;
  if (claims) expiry = claims->expires_at;
  if (!expiry) {
    // No expiry to plan by: read the file again for every new session (it is small).
    return bearer_token(std::move(value), std::nullopt, now);
  }
  if (*expiry <= now) {
    return error{error_kind::auth, "the token in " + path + " expired at " + utc_text(*expiry) +
                                       " (its exp claim): whatever writes the file has not "
                                       "renewed it"};
  }
  auto issued = claims->issued_at && *claims->issued_at < *expiry ? *claims->issued_at : now;
  auto margin = std::max<system_clock::duration>((*expiry - issued) / 10, file_refresh_margin);
  return bearer_token(std::move(value), expiry, *expiry - margin);
}

bearer_token oauthbearer_authenticator::unsecured_token() const {
  auto issued = whole_seconds(now_());
  auto lifetime = options_.unsecured_lifetime;
  auto value =
      make_unsecured_jwt(options_.unsecured_principal, options_.unsecured_scope, issued, lifetime);
  // New well before the broker would end the session on the old one (as Java's 80% default).
  return bearer_token(std::move(value), issued + lifetime, issued + lifetime * 8 / 10);
}

asio::awaitable<result<bearer_token>> oauthbearer_authenticator::fetch_from_endpoint(
    asio::any_io_executor executor, std::chrono::milliseconds timeout) {
  token_request request;
  request.client_id = options_.client_id;
  request.client_secret = options_.client_secret;
  request.scope = options_.scope;
  auto asked_at = now_();
  auto answer = co_await fetch_token(executor, *tls_, *endpoint_, std::move(request), timeout);
  if (!answer) co_return answer.error();
  std::string value = trimmed(answer->access_token);
  if (!acceptable_token(value)) {
    co_return error{error_kind::protocol, "token endpoint " + endpoint_->text +
                                              ": the access token is not usable: " + token_rules()};
  }
  std::optional<system_clock::time_point> expiry;
  if (answer->expires_in) {
    expiry = asked_at + *answer->expires_in;
  } else if (auto claims = decode_jwt_claims(value); claims) {
    expiry = claims->expires_at;
  }
  std::optional<system_clock::time_point> refresh_at;
  // Java's sasl.login.refresh.window.factor default: a new token after 80% of the lifetime.
  if (expiry) refresh_at = asked_at + (*expiry - asked_at) * 8 / 10;
  co_return bearer_token(std::move(value), expiry, refresh_at);
}

}  // namespace kpipe::net::sasl
