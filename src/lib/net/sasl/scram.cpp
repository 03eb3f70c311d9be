#include "net/sasl/scram.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdint>
#include <span>
#include <vector>

#include "util/base64.hpp"

namespace kpipe::net::sasl {
namespace {

using bytes = std::vector<std::uint8_t>;

// Kafka's ScramMechanism: a broker never stores fewer iterations, and its client refuses a
// server that asks for fewer. The upper bound is kpipe's: PBKDF2 runs on the event loop, and a
// hostile server must not buy seconds of CPU (Kafka itself stores at most 16384).
constexpr long min_iterations = 4096;
constexpr long max_iterations = 1'000'000;

const EVP_MD* digest_of(mechanism_kind mechanism) {
  return mechanism == mechanism_kind::scram_sha_512 ? EVP_sha512() : EVP_sha256();
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

bytes hmac(const EVP_MD* md, std::span<const std::uint8_t> key,
           std::span<const std::uint8_t> data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
            &length)) {
    return {};
  }
  out.resize(length);
  return out;
}

bytes hash(const EVP_MD* md, std::span<const std::uint8_t> data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (!EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr)) return {};
  out.resize(length);
  return out;
}

void wipe(bytes& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
}

void wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
}

// RFC 5802 section 5.1: in a saslname, '=' and ',' are written =3D and =2C.
std::string saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '=') {
      out += "=3D";
    } else if (c == ',') {
      out += "=2C";
    } else {
      out += c;
    }
  }
  return out;
}

// RFC 5802 section 7: printable = %x21-2B / %x2D-7E (no ',').
bool printable_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == ',') return false;
  }
  return true;
}

// "a=value" attributes separated by ','. Values may contain '=' but never ','.
struct attribute {
  char name = 0;
  std::string_view value;
};

std::optional<std::vector<attribute>> split_attributes(std::string_view message) {
  std::vector<attribute> out;
  while (true) {
    auto comma = message.find(',');
    auto item = message.substr(0, comma);
    if (item.size() < 2 || item[1] != '=') return std::nullopt;
    char name = item[0];
    if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) return std::nullopt;
    out.push_back(attribute{name, item.substr(2)});
    if (comma == std::string_view::npos) break;
    message.remove_prefix(comma + 1);
  }
  return out;
}

// Server text shown in an error: bounded, and only printable ASCII (it is untrusted).
std::string shown(std::string_view text) {
  constexpr std::size_t limit = 200;
  std::string out;
  for (char c : text.substr(0, limit)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (text.size() > limit) out += "...";
  return out;
}

error failure(error_kind kind, const std::string& what) { return error{kind, what}; }

}  // namespace

result<std::string> make_scram_nonce() {
  std::uint8_t random[32];
  if (RAND_bytes(random, sizeof random) != 1) {
    return error{error_kind::io, "SCRAM: the system's random generator failed"};
  }
  return util::base64(random, true);
}

scram_exchange::scram_exchange(mechanism_kind mechanism, std::string username, std::string password,
                               std::string client_nonce)
    : mechanism_(mechanism),
      username_(std::move(username)),
      password_(std::move(password)),
      client_nonce_(std::move(client_nonce)) {}

scram_exchange::~scram_exchange() { wipe(password_); }

result<std::string> scram_exchange::initial() {
  if (step_ != step::start) {
    return failure(error_kind::protocol, "the client-first message was already sent");
  }
  if (!printable_nonce(client_nonce_)) {
    return failure(error_kind::usage, std::string(mechanism_name(mechanism_)) +
                                          ": the client nonce must be printable and without ','");
  }
  // Kafka applies no SASLprep (ScramFormatter): the name and password go as their UTF-8 bytes.
  client_first_bare_ = "n=" + saslname(username_) + ",r=" + client_nonce_;
  step_ = step::sent_first;
  // gs2-header "n,,": no channel binding, no authorization identity.
  return "n,," + client_first_bare_;
}

result<std::optional<std::string>> scram_exchange::respond(std::string_view server_message) {
  switch (step_) {
    case step::sent_first:
      return answer_server_first(server_message);
    case step::sent_final:
      return check_server_final(server_message);
    case step::start:
      return failure(error_kind::protocol, "a server message before the client-first message");
    case step::done:
      break;
  }
  return failure(error_kind::protocol, "a server message after the exchange was complete");
}

result<std::optional<std::string>> scram_exchange::answer_server_first(std::string_view message) {
  auto malformed = [&](const std::string& why) {
    return failure(error_kind::auth, "the broker's first SCRAM message is malformed (" + why +
                                         "): " + shown(message));
  };
  auto attributes = split_attributes(message);
  if (!attributes) return malformed("expected a=value pairs separated by ','");
  const auto& list = *attributes;
  if (!list.empty() && list[0].name == 'm') {
    // RFC 5802 section 5.1: a client must fail on a mandatory extension it does not know.
    return failure(error_kind::auth,
                   "the broker asks for a mandatory SCRAM extension (m=) that kpipe does not know");
  }
  if (list.size() < 3 || list[0].name != 'r' || list[1].name != 's' || list[2].name != 'i') {
    return malformed("expected r=, s= and i=, in that order");
  }
  std::string_view nonce = list[0].value;
  if (!printable_nonce(nonce)) return malformed("the nonce is not printable");
  // The server appends its own part to ours; anything else is not an answer to this exchange.
  if (nonce.size() <= client_nonce_.size() || !nonce.starts_with(client_nonce_)) {
    return failure(error_kind::auth,
                   "the broker's SCRAM nonce does not extend the client's: not an answer to this "
                   "authentication");
  }
  auto salt = util::decode_base64(list[1].value);
  if (!salt || salt->empty()) return malformed("the salt is not base64");
  std::string_view count_text = list[2].value;
  long iterations = 0;
  auto [end, ec] =
      std::from_chars(count_text.data(), count_text.data() + count_text.size(), iterations);
  if (ec != std::errc{} || end != count_text.data() + count_text.size() || count_text.empty() ||
      count_text.front() == '-' || count_text.front() == '+') {
    return malformed("the iteration count is not a number");
  }
  if (iterations < min_iterations) {
    return failure(error_kind::auth, "the broker asks for " + std::to_string(iterations) +
                                         " SCRAM iterations, fewer than the minimum " +
                                         std::to_string(min_iterations));
  }
  if (iterations > max_iterations) {
    return failure(error_kind::auth, "the broker asks for " + std::to_string(iterations) +
                                         " SCRAM iterations, more than kpipe's limit of " +
                                         std::to_string(max_iterations));
  }

  const EVP_MD* md = digest_of(mechanism_);
  const auto digest_size = static_cast<std::size_t>(EVP_MD_get_size(md));
  bytes salted_password(digest_size);
  if (PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()), salt->data(),
                        static_cast<int>(salt->size()), static_cast<int>(iterations), md,
                        static_cast<int>(salted_password.size()), salted_password.data()) != 1) {
    return failure(error_kind::io, "SCRAM: PBKDF2 failed in OpenSSL");
  }
  // "c=biws" is base64("n,,"), the gs2-header of the first message (RFC 5802 section 7).
  std::string final_without_proof = "c=biws,r=" + std::string(nonce);
  std::string auth_message =
      client_first_bare_ + "," + std::string(message) + "," + final_without_proof;

  bytes client_key = hmac(md, salted_password, as_bytes("Client Key"));
  bytes stored_key = hash(md, client_key);
  bytes client_signature = hmac(md, stored_key, as_bytes(auth_message));
  bytes server_key = hmac(md, salted_password, as_bytes("Server Key"));
  bytes server_signature = hmac(md, server_key, as_bytes(auth_message));
  wipe(salted_password);
  if (client_key.size() != digest_size || client_signature.size() != digest_size ||
      server_signature.size() != digest_size) {
    wipe(client_key);
    return failure(error_kind::io, "SCRAM: HMAC failed in OpenSSL");
  }
  bytes proof(digest_size);
  for (std::size_t i = 0; i < digest_size; ++i) proof[i] = client_key[i] ^ client_signature[i];
  wipe(client_key);
  wipe(server_key);
  expected_server_signature_.assign(server_signature.begin(), server_signature.end());
  step_ = step::sent_final;
  return std::optional<std::string>(final_without_proof + ",p=" + util::base64(proof));
}

result<std::optional<std::string>> scram_exchange::check_server_final(std::string_view message) {
  auto attributes = split_attributes(message);
  if (!attributes || attributes->empty()) {
    return failure(error_kind::auth,
                   "the broker's final SCRAM message is malformed: " + shown(message));
  }
  const attribute& first = attributes->front();
  if (first.name == 'e') {
    return failure(error_kind::auth, "the broker refused the SCRAM proof: " + shown(first.value));
  }
  if (first.name != 'v') {
    return failure(error_kind::auth,
                   "the broker's final SCRAM message has neither v= nor e=: " + shown(message));
  }
  auto signature = util::decode_base64(first.value);
  // Constant time, so that a man in the middle learns nothing from how long the check took.
  bool matches =
      signature && signature->size() == expected_server_signature_.size() &&
      CRYPTO_memcmp(signature->data(), expected_server_signature_.data(), signature->size()) == 0;
  if (!matches) {
    return failure(error_kind::auth,
                   "the broker's SCRAM signature is wrong: it does not know this user's "
                   "credential (a different broker, or a man in the middle)");
  }
  step_ = step::done;
  return std::optional<std::string>();
}

scram_authenticator::scram_authenticator(mechanism_kind mechanism, std::string username,
                                         std::string password)
    : mechanism_(mechanism), username_(std::move(username)), password_(std::move(password)) {}

asio::awaitable<result<std::unique_ptr<exchange>>> scram_authenticator::begin(
    asio::any_io_executor, std::chrono::milliseconds) {
  auto nonce = make_scram_nonce();
  if (!nonce) co_return nonce.error();
  co_return std::unique_ptr<exchange>(
      std::make_unique<scram_exchange>(mechanism_, username_, password_, std::move(nonce.value())));
}

}  // namespace kpipe::net::sasl
