#include "net/sasl/sasl.hpp"

#include <array>
#include <utility>

#include "net/sasl/oauthbearer.hpp"
#include "net/sasl/plain.hpp"
#include "net/sasl/scram.hpp"

namespace kpipe::net::sasl {
namespace {

constexpr std::array<std::pair<mechanism_kind, std::string_view>, 4> names{{
    {mechanism_kind::plain, "PLAIN"},
    {mechanism_kind::scram_sha_256, "SCRAM-SHA-256"},
    {mechanism_kind::scram_sha_512, "SCRAM-SHA-512"},
    {mechanism_kind::oauthbearer, "OAUTHBEARER"},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto upper = [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; };
    if (upper(a[i]) != upper(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view mechanism_name(mechanism_kind kind) {
  for (const auto& [k, name] : names) {
    if (k == kind) return name;
  }
  return "UNKNOWN";
}

std::optional<mechanism_kind> parse_mechanism(std::string_view name) {
  for (const auto& [kind, known] : names) {
    if (equal_ignoring_case(name, known)) return kind;
  }
  return std::nullopt;
}

result<std::shared_ptr<authenticator>> make_authenticator(const sasl_options& options,
                                                          std::shared_ptr<tls_context> tls) {
  const auto name = std::string(mechanism_name(options.mechanism));
  switch (options.mechanism) {
    case mechanism_kind::plain:
    case mechanism_kind::scram_sha_256:
    case mechanism_kind::scram_sha_512: {
      if (options.username.empty() || options.password.empty()) {
        return error{error_kind::usage, "SASL " + name + " needs a username and a password"};
      }
      if (options.mechanism == mechanism_kind::plain) {
        // RFC 4616 section 2: NUL separates the fields of the one message.
        if (options.username.find('\0') != std::string::npos ||
            options.password.find('\0') != std::string::npos) {
          return error{error_kind::usage,
                       "SASL PLAIN: the username and password must not contain NUL"};
        }
        return std::shared_ptr<authenticator>(
            std::make_shared<plain_authenticator>(options.username, options.password));
      }
      return std::shared_ptr<authenticator>(std::make_shared<scram_authenticator>(
          options.mechanism, options.username, options.password));
    }
    case mechanism_kind::oauthbearer: {
      auto made = oauthbearer_authenticator::make(options.oauth, std::move(tls));
      if (!made) return made.error();
      return std::shared_ptr<authenticator>(std::move(made.value()));
    }
  }
  return error{error_kind::usage, "unknown SASL mechanism"};
}

}  // namespace kpipe::net::sasl
