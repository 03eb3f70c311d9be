// Reading a JWT's claims from untrusted text, and the unsecured JWT kpipe makes.
#include "net/sasl/jwt.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <span>

#include "util/base64.hpp"

namespace kpipe::net::sasl {
namespace {

using std::chrono::system_clock;

std::string b64url(std::string_view text) {
  return util::base64(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                      true);
}

std::string token_with(std::string_view payload) {
  return b64url(R"({"alg":"RS256","typ":"JWT"})") + "." + b64url(payload) + ".c2lnbmF0dXJl";
}

system_clock::time_point at(std::int64_t seconds) {
  return system_clock::time_point(std::chrono::seconds(seconds));
}

TEST(JwtClaims, ReadsSubIatAndExp) {
  auto claims =
      decode_jwt_claims(token_with(R"({"sub":"alice","iat":1700000000,"exp":1700003600})"));
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->issued_at, at(1700000000));
  EXPECT_EQ(claims->expires_at, at(1700003600));
}

TEST(JwtClaims, FractionalNumericDatesAndMissingClaims) {
  auto claims = decode_jwt_claims(token_with(R"({"exp":1700003600.75})"));
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->expires_at, at(1700003600));
  EXPECT_FALSE(claims->subject.has_value());
  EXPECT_FALSE(claims->issued_at.has_value());
}

TEST(JwtClaims, ClaimsOfTheWrongTypeAreLeftUnset) {
  auto claims = decode_jwt_claims(
      token_with(R"({"sub":42,"iat":"yesterday","exp":1e300,"extra":{"nested":[1,2]}})"));
  ASSERT_TRUE(claims.ok());
  EXPECT_FALSE(claims->subject.has_value());
  EXPECT_FALSE(claims->issued_at.has_value());
  EXPECT_FALSE(claims->expires_at.has_value());
  auto negative = decode_jwt_claims(token_with(R"({"exp":-1e300})"));
  ASSERT_TRUE(negative.ok());
  EXPECT_FALSE(negative->expires_at.has_value());
}

TEST(JwtClaims, MalformedTokensAreErrorsThatNeverQuoteTheToken) {
  const std::string payload = b64url(R"({"exp":1})");
  const std::vector<std::string> bad = {
      "",
      "opaque-access-token-value",
      "a.b",
      "a." + payload + ".c.d",
      "a..c",
      "a.!!!!.c",
      "a." + b64url("not json") + ".c",
      "a." + b64url("[1,2,3]") + ".c",
      "a." + b64url("\"string\"") + ".c",
      "a." + util::base64(std::span(reinterpret_cast<const std::uint8_t*>("{\"exp\":12}"), 10)) +
          ".c",  // padded standard base64 is not base64url
      "a." + b64url("{\"exp\":1") + ".c",
      "a." + b64url("{\"sub\":\"\xff\xfe\"}") + ".c",
  };
  for (const auto& token : bad) {
    auto claims = decode_jwt_claims(token);
    EXPECT_FALSE(claims.ok()) << token;
    if (claims) continue;
    EXPECT_EQ(claims.error().kind, error_kind::protocol);
    if (token.size() > 4) {
      EXPECT_EQ(claims.error().message.find(token), std::string::npos) << token;
    }
  }
}

TEST(JwtClaims, RandomInputNeverThrows) {
  std::mt19937 random(7);
  for (int i = 0; i < 5000; ++i) {
    std::string payload(random() % 64, '\0');
    for (auto& c : payload) c = static_cast<char>(random() % 256);
    std::string token = i % 2 ? "h." + b64url(payload) + ".s" : payload;
    EXPECT_NO_THROW({ auto claims = decode_jwt_claims(token); });
  }
}

TEST(JwtUnsecured, HeaderAlgNoneClaimsAndEmptySignature) {
  auto token = make_unsecured_jwt("alice", "read,write", at(1700000000), std::chrono::seconds(600));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(token.back(), '.');
  EXPECT_EQ(token.find('='), std::string::npos);  // base64url without padding
  auto dot = token.find('.');
  auto header = util::decode_base64(token.substr(0, dot));
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(std::string(header->begin(), header->end()), R"({"alg":"none"})");

  auto claims = decode_jwt_claims(token);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->issued_at, at(1700000000));
  EXPECT_EQ(claims->expires_at, at(1700000600));

  auto second_dot = token.find('.', dot + 1);
  auto payload = util::decode_base64(token.substr(dot + 1, second_dot - dot - 1));
  ASSERT_TRUE(payload.has_value());
  auto json = nlohmann::json::parse(payload->begin(), payload->end());
  EXPECT_EQ(json["scope"], nlohmann::json::array({"read", "write"}));
}

TEST(JwtUnsecured, NoScopeClaimWithoutAScopeAndOddPrincipalsSurvive) {
  auto token = make_unsecured_jwt("\xff bad \"utf8\"", "", at(0), std::chrono::seconds(60));
  auto dot = token.find('.');
  auto second_dot = token.find('.', dot + 1);
  auto payload = util::decode_base64(token.substr(dot + 1, second_dot - dot - 1));
  ASSERT_TRUE(payload.has_value());
  auto json = nlohmann::json::parse(payload->begin(), payload->end(), nullptr, false);
  ASSERT_FALSE(json.is_discarded());
  EXPECT_FALSE(json.contains("scope"));
  EXPECT_TRUE(json["sub"].is_string());
}

}  // namespace
}  // namespace kpipe::net::sasl
