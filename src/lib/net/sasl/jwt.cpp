#include "net/sasl/jwt.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "util/base64.hpp"

namespace kpipe::net::sasl {
namespace {

using json = nlohmann::json;

error not_a_jwt(const std::string& why) {
  return error{error_kind::protocol, "the token is not a JWT: " + why};
}

// A NumericDate (RFC 7519 section 2) may carry a fraction; whole seconds are all that matter
// for expiry. Values beyond the range of time_point are treated as absent rather than wrapped.
std::optional<std::chrono::system_clock::time_point> numeric_date(const json& value) {
  double seconds = 0;
  if (value.is_number_integer() || value.is_number_unsigned() || value.is_number_float()) {
    seconds = value.get<double>();
  } else {
    return std::nullopt;
  }
  // About 292 years either side of 1970 fits system_clock's nanoseconds on Linux.
  constexpr double limit = 9.0e9;
  if (!std::isfinite(seconds) || seconds < -limit || seconds > limit) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::seconds(static_cast<std::int64_t>(std::floor(seconds))));
}

std::string base64url(std::string_view text) {
  return util::base64(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                      true);
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

result<jwt_claims> decode_jwt_claims(std::string_view token) {
  auto first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return not_a_jwt("no '.' separates its parts");
  auto second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) {
    return not_a_jwt("it has two parts, a JWS has three");
  }
  if (token.find('.', second_dot + 1) != std::string_view::npos) {
    return not_a_jwt("it has more than three parts (an encrypted JWE?)");
  }
  auto payload_text = token.substr(first_dot + 1, second_dot - first_dot - 1);
  // The base64 decoder also takes '+', '/' and '=', which base64url (RFC 7515 section 2) does
  // not have; a token using them is malformed, whatever the decoder would make of it.
  for (char c : payload_text) {
    if (c == '+' || c == '/' || c == '=') return not_a_jwt("its payload is not base64url");
  }
  auto payload = util::decode_base64(payload_text);
  if (!payload || payload->empty()) return not_a_jwt("its payload is not base64url");

  // No exceptions: a parse failure is a discarded value, and every member is type-checked
  // before it is read.
  json claims = json::parse(payload->begin(), payload->end(), nullptr, false);
  if (claims.is_discarded()) return not_a_jwt("its payload is not JSON");
  if (!claims.is_object()) return not_a_jwt("its payload is not a JSON object");

  jwt_claims out;
  if (auto sub = claims.find("sub"); sub != claims.end() && sub->is_string()) {
    out.subject = sub->get<std::string>();
  }
  if (auto iat = claims.find("iat"); iat != claims.end()) out.issued_at = numeric_date(*iat);
  if (auto exp = claims.find("exp"); exp != claims.end()) out.expires_at = numeric_date(*exp);
  return out;
}

std::string make_unsecured_jwt(std::string_view principal, std::string_view scope,
                               std::chrono::system_clock::time_point issued_at,
                               std::chrono::seconds lifetime) {
  json header = json::object();
  header["alg"] = "none";
  json claims = json::object();
  claims["sub"] = std::string(principal);
  claims["iat"] = epoch_seconds(issued_at);
  claims["exp"] = epoch_seconds(issued_at + lifetime);
  std::vector<std::string> scopes;
  std::size_t start = 0;
  while (start < scope.size()) {
    auto end = scope.find_first_of(", \t", start);
    if (end == std::string_view::npos) end = scope.size();
    if (end > start) scopes.emplace_back(scope.substr(start, end - start));
    start = end + 1;
  }
  if (!scopes.empty()) claims["scope"] = scopes;
  // Invalid UTF-8 in a principal is replaced rather than thrown about (dump's default).
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  // An unsecured JWS has an empty signature (RFC 7515 appendix A.5): "header.payload.".
  return base64url(dump(header)) + "." + base64url(dump(claims)) + ".";
}

}  // namespace kpipe::net::sasl
