// SCRAM-SHA-256/512 client messages: the RFC 7677 example byte for byte, a SHA-512 exchange
// against a server computed here, and every way a server's message can be wrong.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <random>
#include <span>
#include <vector>

#include "net/sasl/scram.hpp"
#include "util/base64.hpp"

namespace kpipe::net::sasl {
namespace {

using bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The server's side of RFC 5802 section 3, written out on its own to check the client.
struct scram_server {
  const EVP_MD* md;
  std::string password;
  bytes salt;
  int iterations;

  bytes mac(std::span<const std::uint8_t> key, std::string_view data) const {
    bytes out(EVP_MAX_MD_SIZE);
    unsigned int n = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), as_bytes(data).data(), data.size(),
         out.data(), &n);
    out.resize(n);
    return out;
  }
  bytes salted() const {
    bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                      static_cast<int>(salt.size()), iterations, md, static_cast<int>(out.size()),
                      out.data());
    return out;
  }
  // Checks the client's proof as a server would: ClientKey = proof XOR ClientSignature, and
  // H(ClientKey) must be StoredKey.
  bool proof_ok(std::string_view auth_message, const bytes& proof) const {
    auto client_key = mac(salted(), "Client Key");
    bytes stored(EVP_MAX_MD_SIZE);
    unsigned int n = 0;
    EVP_Digest(client_key.data(), client_key.size(), stored.data(), &n, md, nullptr);
    stored.resize(n);
    auto signature = mac(stored, auth_message);
    if (proof.size() != signature.size()) return false;
    bytes recovered(proof.size());
    for (std::size_t i = 0; i < proof.size(); ++i) recovered[i] = proof[i] ^ signature[i];
    bytes rehashed(EVP_MAX_MD_SIZE);
    EVP_Digest(recovered.data(), recovered.size(), rehashed.data(), &n, md, nullptr);
    rehashed.resize(n);
    return rehashed == stored;
  }
  std::string server_signature(std::string_view auth_message) const {
    return util::base64(mac(mac(salted(), "Server Key"), auth_message));
  }
};

constexpr std::string_view rfc_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

scram_exchange rfc_exchange() {
  return scram_exchange(mechanism_kind::scram_sha_256, "user", "pencil", std::string(rfc_nonce));
}

// Runs the exchange up to the client-final message.
std::string to_final(scram_exchange& exchange, std::string_view server_first) {
  auto first = exchange.initial();
  EXPECT_TRUE(first.ok());
  auto final_message = exchange.respond(server_first);
  EXPECT_TRUE(final_message.ok()) << final_message.error().message;
  if (!final_message || !final_message.value()) return {};
  return *final_message.value();
}

TEST(SaslScram, Rfc7677ExampleMessagesByteForByte) {
  auto exchange = rfc_exchange();
  auto first = exchange.initial();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");

  auto final_message = exchange.respond(rfc_server_first);
  ASSERT_TRUE(final_message.ok()) << final_message.error().message;
  ASSERT_TRUE(final_message.value().has_value());
  EXPECT_EQ(*final_message.value(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");

  auto done = exchange.respond("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_FALSE(done.value().has_value());
}

TEST(SaslScram, Sha512RoundTripAgainstAServerComputation) {
  scram_server server{EVP_sha512(), "s3cr=t,pässword", bytes{1, 2, 3, 4, 5, 6, 7, 8, 9}, 4096};
  std::string nonce = "clientNonce0123456789abcdef";
  scram_exchange exchange(mechanism_kind::scram_sha_512, "al=ice,", server.password, nonce);
  auto first = exchange.initial();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value(), "n,,n=al=3Dice=2C,r=" + nonce);
  std::string bare = first.value().substr(3);

  std::string server_first = "r=" + nonce + "serverPart,s=" + util::base64(server.salt) + ",i=4096";
  auto final_message = exchange.respond(server_first);
  ASSERT_TRUE(final_message.ok()) << final_message.error().message;
  ASSERT_TRUE(final_message.value().has_value());
  const std::string& client_final = *final_message.value();
  auto proof_at = client_final.find(",p=");
  ASSERT_NE(proof_at, std::string::npos);
  std::string without_proof = client_final.substr(0, proof_at);
  EXPECT_EQ(without_proof, "c=biws,r=" + nonce + "serverPart");
  auto proof = util::decode_base64(client_final.substr(proof_at + 3));
  ASSERT_TRUE(proof.has_value());
  EXPECT_EQ(proof->size(), 64u);

  std::string auth_message = bare + "," + server_first + "," + without_proof;
  EXPECT_TRUE(server.proof_ok(auth_message, *proof));

  auto done = exchange.respond("v=" + server.server_signature(auth_message));
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_FALSE(done.value().has_value());
}

TEST(SaslScram, WrongServerSignatureIsAnAuthError) {
  auto exchange = rfc_exchange();
  to_final(exchange, rfc_server_first);
  // The RFC's signature with its first byte changed; then one of the wrong length.
  auto wrong = exchange.respond("v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, error_kind::auth);
  EXPECT_NE(wrong.error().message.find("signature"), std::string::npos);

  auto again = rfc_exchange();
  to_final(again, rfc_server_first);
  auto short_signature = again.respond("v=AAAA");
  ASSERT_FALSE(short_signature.ok());
  EXPECT_EQ(short_signature.error().kind, error_kind::auth);
}

TEST(SaslScram, ServerErrorInFinalMessageCarriesItsText) {
  auto exchange = rfc_exchange();
  to_final(exchange, rfc_server_first);
  auto refused = exchange.respond("e=invalid-proof");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, error_kind::auth);
  EXPECT_NE(refused.error().message.find("invalid-proof"), std::string::npos);
}

TEST(SaslScram, ServerNonceMustExtendTheClients) {
  for (std::string server_first : {
           std::string("r=someoneElsesNonce123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
           // Exactly ours: the server added nothing of its own.
           "r=" + std::string(rfc_nonce) + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
           // A prefix of ours.
           std::string("r=rOprNG,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
       }) {
    auto exchange = rfc_exchange();
    ASSERT_TRUE(exchange.initial().ok());
    auto answer = exchange.respond(server_first);
    ASSERT_FALSE(answer.ok()) << server_first;
    EXPECT_EQ(answer.error().kind, error_kind::auth);
    EXPECT_NE(answer.error().message.find("nonce"), std::string::npos);
  }
}

TEST(SaslScram, TooFewIterationsAreRefusedAsKafkaDoes) {
  auto exchange = rfc_exchange();
  ASSERT_TRUE(exchange.initial().ok());
  auto answer = exchange.respond(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, error_kind::auth);
  EXPECT_NE(answer.error().message.find("4096"), std::string::npos) << answer.error().message;
}

TEST(SaslScram, MandatoryExtensionIsRefused) {
  auto exchange = rfc_exchange();
  ASSERT_TRUE(exchange.initial().ok());
  auto answer = exchange.respond(
      "m=channel,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ=="
      ",i=4096");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, error_kind::auth);
  EXPECT_NE(answer.error().message.find("m="), std::string::npos);
}

TEST(SaslScram, ExtensionsAfterTheIterationCountAreIgnored) {
  auto exchange = rfc_exchange();
  ASSERT_TRUE(exchange.initial().ok());
  auto answer = exchange.respond(std::string(rfc_server_first) + ",x=future");
  ASSERT_TRUE(answer.ok()) << answer.error().message;
}

TEST(SaslScram, GarbageServerFirstMessagesAreErrorsNeverCrashes) {
  const std::string nonce(rfc_nonce);
  const std::vector<std::string> garbage = {
      "",
      ",",
      ",,,",
      "=",
      "r",
      "r=",
      "r=" + nonce + "x",
      "r=" + nonce + "x,s=",
      "r=" + nonce + "x,s=W22Z,i=",
      "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=abc",
      "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096",
      "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=+4096",
      "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999999999999999",
      "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2000000000",
      "r=" + nonce + "x,s=!!!notbase64,i=4096",
      "r=" + nonce + "x,s=,i=4096",
      "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" + nonce + "x,i=4096",
      "r=" + nonce + "\x01\x02,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==",
      "rr=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "1=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      std::string(100000, 'r'),
      std::string("\0\0\0\0", 4),
  };
  for (const auto& message : garbage) {
    auto exchange = rfc_exchange();
    ASSERT_TRUE(exchange.initial().ok());
    auto answer = exchange.respond(message);
    EXPECT_FALSE(answer.ok()) << "accepted: " << message.substr(0, 80);
    if (!answer) {
      EXPECT_NE(answer.error().message.find_first_not_of(' '), std::string::npos);
      EXPECT_EQ(answer.error().message.find("pencil"), std::string::npos);
      EXPECT_LT(answer.error().message.size(), 1000u);
    }
  }

  // Random bytes, as server-first and as server-final.
  // A failed check leaves the exchange waiting for the server-final message, so one exchange
  // serves every random server-final message (PBKDF2 once, not per message).
  auto final_step = rfc_exchange();
  to_final(final_step, rfc_server_first);
  std::mt19937 random(42);
  for (int i = 0; i < 2000; ++i) {
    std::string message(random() % 120, '\0');
    for (auto& c : message) c = static_cast<char>(random() % 256);
    if (i % 2 == 0 && !message.empty()) message[0] = 'r', message.insert(1, "=" + nonce);
    auto exchange = rfc_exchange();
    ASSERT_TRUE(exchange.initial().ok());
    auto answer = exchange.respond(message);
    EXPECT_FALSE(answer.ok());
    EXPECT_FALSE(final_step.respond(message).ok());
  }
}

TEST(SaslScram, GarbageServerFinalMessagesAreAuthErrors) {
  for (std::string message : {"", "v", "v=", "x=abc", "v=@@@@", ",", "v=6rriTRBi23WpRR"}) {
    auto exchange = rfc_exchange();
    to_final(exchange, rfc_server_first);
    auto answer = exchange.respond(message);
    ASSERT_FALSE(answer.ok()) << message;
    EXPECT_EQ(answer.error().kind, error_kind::auth);
  }
}

TEST(SaslScram, MessagesOutOfTurnAreErrors) {
  auto early = rfc_exchange();
  EXPECT_FALSE(early.respond(rfc_server_first).ok());

  auto twice = rfc_exchange();
  ASSERT_TRUE(twice.initial().ok());
  EXPECT_FALSE(twice.initial().ok());

  auto after = rfc_exchange();
  to_final(after, rfc_server_first);
  ASSERT_TRUE(after.respond("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").ok());
  EXPECT_FALSE(after.respond("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").ok());
}

TEST(SaslScram, NoncesAreRandomPrintableAndLongEnough) {
  auto a = make_scram_nonce();
  auto b = make_scram_nonce();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.value(), b.value());
  auto decoded = util::decode_base64(a.value());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_GE(decoded->size(), 24u);
  for (char c : a.value()) {
    EXPECT_TRUE(c > 0x20 && c < 0x7f && c != ',') << c;
  }
}

TEST(SaslScram, ANonceWithACommaIsRefused) {
  scram_exchange exchange(mechanism_kind::scram_sha_256, "user", "pencil", "bad,nonce");
  EXPECT_FALSE(exchange.initial().ok());
}

TEST(SaslScram, AuthenticatorBeginsFreshExchangesWithRandomNonces) {
  scram_authenticator authenticator(mechanism_kind::scram_sha_512, "user", "pencil");
  EXPECT_EQ(authenticator.mechanism(), mechanism_kind::scram_sha_512);
  asio::io_context io;
  std::vector<std::string> firsts;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 2; ++i) {
          auto exchange = co_await authenticator.begin(io.get_executor(), std::chrono::seconds(1));
          EXPECT_TRUE(exchange.ok());
          if (!exchange) co_return;
          auto first = exchange.value()->initial();
          EXPECT_TRUE(first.ok());
          if (first) firsts.push_back(first.value());
        }
      },
      asio::detached);
  io.run();
  ASSERT_EQ(firsts.size(), 2u);
  EXPECT_TRUE(firsts[0].starts_with("n,,n=user,r="));
  EXPECT_NE(firsts[0], firsts[1]);
}

}  // namespace
}  // namespace kpipe::net::sasl
