#pragma once
// JSON Web Tokens (RFC 7519) as far as OAUTHBEARER needs them: read the claims that say when a
// token expires, and make the unsecured token ("alg":"none") that Kafka's unsecured validator
// accepts for test brokers. Signatures are the broker's business, never checked here.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace kpipe::net::sasl {

struct jwt_claims {
  std::optional<std::string> subject;                               // "sub"
  std::optional<std::chrono::system_clock::time_point> issued_at;   // "iat"
  std::optional<std::chrono::system_clock::time_point> expires_at;  // "exp"
};

// The claims of a compact JWS "header.payload.signature" (the payload base64url). The token
// is untrusted input: anything that is not a JWT with a JSON object payload is a protocol
// error whose message never quotes the token. Claims of the wrong type are left unset.
result<jwt_claims> decode_jwt_claims(std::string_view token);

// "header.payload." with header {"alg":"none"} and the claims sub, iat, exp = iat + lifetime
// and, when `scope` names any, scope as a JSON array (`scope` separated by commas or spaces).
std::string make_unsecured_jwt(std::string_view principal, std::string_view scope,
                               std::chrono::system_clock::time_point issued_at,
                               std::chrono::seconds lifetime);

}  // namespace kpipe::net::sasl
