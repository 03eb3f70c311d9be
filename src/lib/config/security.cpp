#include "config/security.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <utility>

#include "config/jaas.hpp"
#include "config/known_properties.hpp"

namespace kpipe::config {

namespace {

using net::sasl::mechanism_kind;

error usage(std::string message) { return error{error_kind::usage, std::move(message)}; }

std::string uppercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A value together with the property (or JAAS option) it came from, for choosing between
// properties that say the same thing and for naming it in messages.
struct sourced {
  std::string name;   // "sasl.username", "sasl.jaas.config username"
  std::string value;  // may be secret: never put into a message
  const setting* from = nullptr;

  explicit operator bool() const { return from != nullptr; }
  origin kind() const { return from->from.kind; }
  // "sasl.username (/etc/kpipe.conf:3)"
  std::string described() const { return name + " (" + from->from.where + ")"; }
};

class security_resolver {
 public:
  security_resolver(const layered_properties& properties, bool tls_requested)
      : properties_(properties), tls_requested_(tls_requested) {}

  result<security_settings> resolve();

 private:
  // The property (or an alias of it) when set to something other than blanks.
  sourced given(std::string_view name) const {
    const setting* found = find_setting(properties_, name);
    if (!found || trim(found->value).empty()) return {};
    return sourced{std::string(name), found->value, found};
  }
  // A JAAS option, as if it were a property set where sasl.jaas.config was.
  sourced jaas_option(std::string_view option) const {
    if (!jaas_) return {};
    const std::string* value = jaas_->option(option);
    if (!value) return {};
    return sourced{"sasl.jaas.config " + std::string(option), *value, jaas_from_};
  }

  status resolve_protocol();
  status parse_jaas();
  result<net::tls_options> resolve_tls();
  status resolve_trust(net::tls_options& tls);
  status resolve_client_certificate(net::tls_options& tls);
  result<net::sasl::sasl_options> resolve_sasl();
  result<mechanism_kind> resolve_mechanism();
  status resolve_credentials(net::sasl::sasl_options& sasl);
  status resolve_oauthbearer(net::sasl::oauth_options& oauth);
  status add_unsecured_config(net::sasl::oauth_options& oauth);
  void warn_about_unused_settings();

  const layered_properties& properties_;
  bool tls_requested_;
  security_settings out_;
  sourced protocol_;
  std::optional<jaas_config> jaas_;
  const setting* jaas_from_ = nullptr;
};

// Of several properties that say the same thing, the one set at the highest origin; a tie
// between different properties is a usage error, since neither clearly wins.
result<sourced> choose(std::initializer_list<sourced> candidates, std::string_view what) {
  const sourced* best = nullptr;
  const sourced* tied = nullptr;
  for (const auto& candidate : candidates) {
    if (!candidate) continue;
    if (!best || candidate.kind() > best->kind()) {
      best = &candidate;
      tied = nullptr;
    } else if (candidate.kind() == best->kind()) {
      tied = &candidate;
    }
  }
  if (tied) {
    return usage("both " + best->described() + " and " + tied->described() + " give " +
                 std::string(what) + "; keep one");
  }
  return best ? *best : sourced{};
}

// Like choose(), but at a tie the earlier candidate wins: for a specific property against the
// same thing said inside sasl.jaas.config.
sourced prefer(std::initializer_list<sourced> candidates) {
  const sourced* best = nullptr;
  for (const auto& candidate : candidates) {
    if (candidate && (!best || candidate.kind() > best->kind())) best = &candidate;
  }
  return best ? *best : sourced{};
}

result<bool> parse_bool(const sourced& s) {
  std::string v = lowercase(trim(s.value));
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return usage(s.described() + ": expected true or false, got '" + std::string(trim(s.value)) +
               "'");
}

// The first line of a file holding a secret, without its line end.
result<std::string> read_secret_file(const sourced& s) {
  std::ifstream in(s.value, std::ios::binary);
  if (!in) return usage(s.described() + ": cannot read '" + s.value + "'");
  std::string line;
  std::getline(in, line);
  if (in.bad()) return usage(s.described() + ": cannot read '" + s.value + "'");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// ---- TLS stores --------------------------------------------------------------------------------

enum class store_format { pem, pkcs12 };

error jks_error(const sourced& location, std::string_view kind) {
  std::string type_property = "ssl." + std::string(kind) + ".type";
  return usage(location.described() + " is a Java KeyStore (JKS), which kpipe cannot read; " +
               "convert it to PKCS#12 with: keytool -importkeystore -srckeystore '" +
               location.value + "' -destkeystore " + std::string(kind) +
               ".p12 -deststoretype PKCS12, then point " + location.name +
               " at the .p12 file and set " + type_property + "=PKCS12");
}

// The format of a keystore or truststore: its type property when set, else told by the file's
// first bytes (JKS and JCEKS have magic numbers, PEM is text), else by its name. PKCS#12 is
// what is left: librdkafka's keystores are PKCS#12, and so is Java's default store since Java 9.
result<store_format> store_format_of(const sourced& location, const sourced& type,
                                     std::string_view kind) {
  if (type) {
    std::string t = uppercase(trim(type.value));
    if (t == "PEM") return store_format::pem;
    if (t == "PKCS12" || t == "P12") return store_format::pkcs12;
    if (t == "JKS" || t == "JCEKS") return jks_error(location, kind);
    return usage(type.described() + ": expected PKCS12 or PEM, got '" + std::string(trim(t)) + "'");
  }
  std::ifstream in(location.value, std::ios::binary);
  std::string head(64, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  if (head.size() >= 4) {
    auto magic = head.substr(0, 4);
    if (magic == "\xFE\xED\xFE\xED" || magic == "\xCE\xCE\xCE\xCE") {
      return jks_error(location, kind);
    }
  }
  if (trim(head).substr(0, 10) == "-----BEGIN") return store_format::pem;
  std::string lower = lowercase(location.value);
  if (ends_with(lower, ".jks")) return jks_error(location, kind);
  if (ends_with(lower, ".pem") || ends_with(lower, ".crt") || ends_with(lower, ".cer")) {
    return store_format::pem;
  }
  return store_format::pkcs12;
}

// ---- SASL mechanisms ---------------------------------------------------------------------------

constexpr std::string_view supported_mechanisms =
    "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER";

std::string mechanism_text(mechanism_kind kind) {
  switch (kind) {
    case mechanism_kind::plain:
      return "PLAIN";
    case mechanism_kind::scram_sha_256:
      return "SCRAM-SHA-256";
    case mechanism_kind::scram_sha_512:
      return "SCRAM-SHA-512";
    case mechanism_kind::oauthbearer:
      return "OAUTHBEARER";
  }
  return "PLAIN";
}

error gssapi_error(const sourced& from) {
  return usage("GSSAPI (Kerberos) is not supported (" + from.described() +
               "); set sasl.mechanism to " + std::string(supported_mechanisms));
}

// What a login module class says about the mechanism.
enum class module_family { plain, scram, oauthbearer, kerberos, other };

module_family family_of(std::string_view module_class) {
  if (module_class == "PlainLoginModule") return module_family::plain;
  if (module_class == "ScramLoginModule") return module_family::scram;
  if (module_class == "OAuthBearerLoginModule") return module_family::oauthbearer;
  if (module_class == "Krb5LoginModule") return module_family::kerberos;
  return module_family::other;
}

bool module_allows(module_family family, mechanism_kind kind) {
  switch (family) {
    case module_family::plain:
      return kind == mechanism_kind::plain;
    case module_family::scram:
      return kind == mechanism_kind::scram_sha_256 || kind == mechanism_kind::scram_sha_512;
    case module_family::oauthbearer:
      return kind == mechanism_kind::oauthbearer;
    default:
      return false;
  }
}

// Java's unsecuredLoginListClaim_* values start with their own delimiter (",a,b"); plain values
// are taken as librdkafka's comma-separated list.
std::string scope_list(std::string_view value) {
  if (value.empty() || std::isalnum(static_cast<unsigned char>(value.front()))) {
    return std::string(value);
  }
  char delimiter = value.front();
  std::string out;
  std::size_t start = 1;
  while (start <= value.size()) {
    std::size_t end = value.find(delimiter, start);
    if (end == std::string_view::npos) end = value.size();
    auto item = trim(value.substr(start, end - start));
    if (!item.empty()) out += (out.empty() ? "" : ",") + std::string(item);
    start = end + 1;
  }
  return out;
}

// ---- the resolver ------------------------------------------------------------------------------

result<security_settings> security_resolver::resolve() {
  if (auto resolved = resolve_protocol(); !resolved) return resolved.error();
  out_.protocol = protocol_.value;
  if (requests_tls(out_.protocol)) {
    auto tls = resolve_tls();
    if (!tls) return tls.error();
    out_.tls = std::move(tls.value());
  }
  if (requests_sasl(out_.protocol)) {
    auto sasl = resolve_sasl();
    if (!sasl) return sasl.error();
    out_.sasl = std::move(sasl.value());
    if (!out_.tls && !out_.sasl->oauth.token_endpoint_url.empty()) {
      auto tls = resolve_tls();
      if (!tls) return tls.error();
      out_.token_endpoint_tls = std::move(tls.value());
    }
  }
  warn_about_unused_settings();
  return std::move(out_);
}

status security_resolver::resolve_protocol() {
  protocol_ = given("security.protocol");
  if (protocol_) {
    std::string name = uppercase(trim(protocol_.value));
    if (name != "PLAINTEXT" && name != "SSL" && name != "SASL_PLAINTEXT" && name != "SASL_SSL") {
      return usage(protocol_.described() +
                   ": expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got '" +
                   std::string(trim(protocol_.value)) + "'");
    }
    protocol_.value = name;
    if (requests_sasl(name)) {
      if (auto parsed = parse_jaas(); !parsed) return parsed;
    }
  } else {
    if (auto parsed = parse_jaas(); !parsed) return parsed;
    bool sasl_named = given("sasl.mechanism") || jaas_;
    protocol_.value = sasl_named ? "SASL_PLAINTEXT" : "PLAINTEXT";
  }
  if (tls_requested_) {
    if (protocol_.value == "PLAINTEXT") protocol_.value = "SSL";
    if (protocol_.value == "SASL_PLAINTEXT") protocol_.value = "SASL_SSL";
  }
  return success{};
}

status security_resolver::parse_jaas() {
  auto text = given("sasl.jaas.config");
  if (!text) return success{};
  auto parsed = parse_jaas_config(text.value);
  if (!parsed) return usage(parsed.error().message + " (" + text.from->from.where + ")");
  jaas_ = std::move(parsed.value());
  jaas_from_ = text.from;
  return success{};
}

// ---- TLS ---------------------------------------------------------------------------------------

result<net::tls_options> security_resolver::resolve_tls() {
  net::tls_options tls;
  if (auto verification = given("enable.ssl.certificate.verification")) {
    auto on = parse_bool(verification);
    if (!on) return on.error();
    if (!*on) {
      tls.verify_certificate = false;
      out_.warnings.push_back(
          "TLS certificate verification is off: any server can pose as the brokers "
          "(enable.ssl.certificate.verification=false from " +
          verification.from->from.where + ")");
    }
  }
  // Java turns the hostname check off with an empty value, so an empty value counts here.
  if (const setting* algorithm =
          find_setting(properties_, "ssl.endpoint.identification.algorithm")) {
    std::string name = lowercase(trim(algorithm->value));
    if (name == "https") {
      tls.verify_hostname = true;
    } else if (name.empty() || name == "none") {
      tls.verify_hostname = false;
    } else {
      return usage("ssl.endpoint.identification.algorithm (" + algorithm->from.where +
                   "): expected https or none, got '" + name + "'");
    }
  }
  if (auto trusted = resolve_trust(tls); !trusted) return trusted.error();
  if (auto identified = resolve_client_certificate(tls); !identified) return identified.error();
  return tls;
}

status security_resolver::resolve_trust(net::tls_options& tls) {
  auto ca_location = given("ssl.ca.location");
  auto truststore = given("ssl.truststore.location");
  if (truststore) {
    auto format = store_format_of(truststore, given("ssl.truststore.type"), "truststore");
    if (!format) return format.error();
    if (*format == store_format::pkcs12) {
      tls.truststore_p12 = truststore.value;
      if (auto password = given("ssl.truststore.password"))
        tls.truststore_password = password.value;
    } else {
      // Both name one PEM file (or directory) of CAs: the option has room for one.
      auto chosen = choose({ca_location, truststore}, "the CA certificates to trust");
      if (!chosen) return chosen.error();
      ca_location = chosen.value();
    }
  }
  if (ca_location) tls.ca_location = ca_location.value;
  for (const char* name : {"ssl.ca.pem", "ssl.truststore.certificates"}) {
    if (auto pem = given(name)) {
      if (!tls.ca_pem.empty() && tls.ca_pem.back() != '\n') tls.ca_pem += '\n';
      tls.ca_pem += pem.value;
    }
  }
  return success{};
}

status security_resolver::resolve_client_certificate(net::tls_options& tls) {
  if (auto password = given("ssl.key.password")) tls.key_password = password.value;

  auto keystore = given("ssl.keystore.location");
  auto certificate = choose({given("ssl.certificate.location"), given("ssl.certificate.pem"),
                             given("ssl.keystore.certificate.chain")},
                            "the client certificate");
  if (!certificate) return certificate.error();
  auto key = choose({given("ssl.key.location"), given("ssl.key.pem"), given("ssl.keystore.key")},
                    "the client key");
  if (!key) return key.error();

  // A keystore holds both the certificate and the key, so it competes with the pair.
  sourced pem_pair = prefer({certificate.value(), key.value()});
  auto winner = choose({keystore, pem_pair}, "the client certificate");
  if (!winner) return winner.error();
  if (keystore && winner->from == keystore.from) {
    auto format = store_format_of(keystore, given("ssl.keystore.type"), "keystore");
    if (!format) return format.error();
    if (*format == store_format::pkcs12) {
      tls.keystore_p12 = keystore.value;
      if (auto password = given("ssl.keystore.password")) tls.keystore_password = password.value;
    } else {
      // Java's PEM keystore file: the certificate chain and the key in one file.
      tls.certificate_location = keystore.value;
      tls.key_location = keystore.value;
    }
    return success{};
  }
  const auto& cert = certificate.value();
  if (cert) {
    if (cert.name == "ssl.certificate.location") {
      tls.certificate_location = cert.value;
    } else {
      tls.certificate_pem = cert.value;
    }
  }
  if (const auto& k = key.value()) {
    if (k.name == "ssl.key.location") {
      tls.key_location = k.value;
    } else {
      tls.key_pem = k.value;
    }
  }
  return success{};
}

// ---- SASL --------------------------------------------------------------------------------------

result<net::sasl::sasl_options> security_resolver::resolve_sasl() {
  net::sasl::sasl_options sasl;
  auto mechanism = resolve_mechanism();
  if (!mechanism) return mechanism.error();
  sasl.mechanism = *mechanism;
  if (sasl.mechanism == mechanism_kind::oauthbearer) {
    if (auto resolved = resolve_oauthbearer(sasl.oauth); !resolved) return resolved.error();
  } else {
    if (auto resolved = resolve_credentials(sasl); !resolved) return resolved.error();
  }
  return sasl;
}

result<mechanism_kind> security_resolver::resolve_mechanism() {
  std::optional<mechanism_kind> named;
  auto mechanism = given("sasl.mechanism");
  if (mechanism) {
    std::string name = uppercase(trim(mechanism.value));
    if (name == "PLAIN") {
      named = mechanism_kind::plain;
    } else if (name == "SCRAM-SHA-256") {
      named = mechanism_kind::scram_sha_256;
    } else if (name == "SCRAM-SHA-512") {
      named = mechanism_kind::scram_sha_512;
    } else if (name == "OAUTHBEARER") {
      named = mechanism_kind::oauthbearer;
    } else if (name == "GSSAPI") {
      return gssapi_error(mechanism);
    } else {
      return usage(mechanism.described() + ": expected " + std::string(supported_mechanisms) +
                   ", got '" + std::string(trim(mechanism.value)) + "'");
    }
  }
  if (jaas_) {
    sourced jaas{"sasl.jaas.config", {}, jaas_from_};
    auto family = family_of(jaas_->module_class());
    if (family == module_family::kerberos) return gssapi_error(jaas);
    if (family == module_family::other) {
      return usage(jaas.described() + ": login module " + jaas_->login_module +
                   " is not one kpipe supports (PlainLoginModule, ScramLoginModule or "
                   "OAuthBearerLoginModule)");
    }
    if (named && !module_allows(family, *named)) {
      return usage(jaas.described() + " uses " + std::string(jaas_->module_class()) +
                   ", which does not go with " + mechanism.described() + " = " +
                   mechanism_text(*named));
    }
    if (!named) {
      if (family == module_family::scram) {
        return usage(jaas.described() +
                     " uses ScramLoginModule: set sasl.mechanism to SCRAM-SHA-256 or "
                     "SCRAM-SHA-512");
      }
      named = family == module_family::plain ? mechanism_kind::plain : mechanism_kind::oauthbearer;
    }
  }
  if (!named) {
    // Only an explicit security.protocol asks for SASL without naming a mechanism.
    return usage(protocol_.described() + " = " + out_.protocol +
                 " needs a SASL mechanism: set sasl.mechanism to " +
                 std::string(supported_mechanisms) +
                 " (GSSAPI, librdkafka's default, is not supported)");
  }
  return *named;
}

status security_resolver::resolve_credentials(net::sasl::sasl_options& sasl) {
  if (auto user = prefer({given("sasl.username"), jaas_option("username")})) {
    sasl.username = user.value;
  }
  auto password =
      prefer({given("sasl.password"), given("sasl.password.file"), jaas_option("password")});
  if (password && password.name == "sasl.password.file") {
    auto read = read_secret_file(password);
    if (!read) return read.error();
    sasl.password = std::move(read.value());
  } else if (password) {
    sasl.password = password.value;
  }
  return success{};
}

status security_resolver::resolve_oauthbearer(net::sasl::oauth_options& oauth) {
  bool oidc = false;
  auto method = given("sasl.oauthbearer.method");
  auto endpoint = given("sasl.oauthbearer.token.endpoint.url");
  if (method) {
    std::string name = lowercase(trim(method.value));
    if (name != "default" && name != "oidc") {
      return usage(method.described() + ": expected default or oidc, got '" + name + "'");
    }
    oidc = name == "oidc";
  } else {
    // Java has no method property: a token endpoint is what asks for OIDC.
    oidc = static_cast<bool>(endpoint);
  }

  if (auto token = given("sasl.oauthbearer.token")) oauth.token = token.value;
  if (auto file = given("sasl.oauthbearer.token.file")) oauth.token_file = file.value;

  if (oidc) {
    auto client_id = prefer({given("sasl.oauthbearer.client.id"), jaas_option("clientId")});
    auto secret =
        prefer({given("sasl.oauthbearer.client.secret"),
                given("sasl.oauthbearer.client.secret.file"), jaas_option("clientSecret")});
    std::vector<std::string> missing;
    if (!endpoint) missing.emplace_back("sasl.oauthbearer.token.endpoint.url");
    if (!client_id) missing.emplace_back("sasl.oauthbearer.client.id");
    if (!secret) missing.emplace_back("sasl.oauthbearer.client.secret (or .file)");
    if (!missing.empty()) {
      std::string list;
      for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
      return usage("OAUTHBEARER with OIDC (" +
                   (method ? method.described() : endpoint.described()) + ") also needs " + list);
    }
    oauth.token_endpoint_url = std::string(trim(endpoint.value));
    oauth.client_id = client_id.value;
    if (secret.name == "sasl.oauthbearer.client.secret.file") {
      auto read = read_secret_file(secret);
      if (!read) return read.error();
      oauth.client_secret = std::move(read.value());
    } else {
      oauth.client_secret = secret.value;
    }
    if (auto scope = prefer({given("sasl.oauthbearer.scope"), jaas_option("scope")})) {
      oauth.scope = scope.value;
    }
  }

  if (auto enabled = given("enable.sasl.oauthbearer.unsecure.jwt")) {
    if (auto valid = parse_bool(enabled); !valid) return valid.error();
  }
  if (auto added = add_unsecured_config(oauth); !added) return added;

  if (auto extensions = given("sasl.oauthbearer.extensions")) {
    std::string_view rest = extensions.value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (item.empty()) continue;
      auto eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return usage(extensions.described() + ": expected KEY=VALUE[,KEY=VALUE...]");
      }
      oauth.extensions[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    }
  }

  if (oauth.token.empty() && oauth.token_file.empty() && oauth.token_endpoint_url.empty() &&
      oauth.unsecured_principal.empty()) {
    return usage(
        "OAUTHBEARER needs a token: sasl.oauthbearer.token or sasl.oauthbearer.token.file; or "
        "sasl.oauthbearer.method=oidc with sasl.oauthbearer.token.endpoint.url, "
        "sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret; or, for test brokers, "
        "an unsecured token: sasl.oauthbearer.config=principal=NAME");
  }
  return success{};
}

// The unsecured JWT's principal, scope, lifetime and extensions: from librdkafka's
// sasl.oauthbearer.config ("principal=alice scope=a,b lifeSeconds=600 extension_k=v") and from
// Java's OAuthBearerLoginModule options (unsecuredLoginStringClaim_sub=alice, ...). The property
// wins over the JAAS options.
status security_resolver::add_unsecured_config(net::sasl::oauth_options& oauth) {
  auto set_lifetime = [&](std::string_view text, const std::string& where) -> status {
    long long seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc{} || end != text.data() + text.size() || seconds <= 0) {
      return usage(where + ": lifeSeconds must be a positive number of seconds, got '" +
                   std::string(text) + "'");
    }
    oauth.unsecured_lifetime = std::chrono::seconds(seconds);
    return success{};
  };

  if (jaas_ && family_of(jaas_->module_class()) == module_family::oauthbearer) {
    std::string where = "sasl.jaas.config (" + jaas_from_->from.where + ")";
    for (const auto& [name, value] : jaas_->options) {
      if (name == "unsecuredLoginStringClaim_sub") {
        oauth.unsecured_principal = value;
      } else if (name == "unsecuredLoginListClaim_scope" ||
                 name == "unsecuredLoginStringClaim_scope") {
        oauth.unsecured_scope = scope_list(value);
      } else if (name == "unsecuredLoginLifetimeSeconds") {
        if (auto set = set_lifetime(value, where); !set) return set;
      } else if (name.starts_with("unsecuredLoginExtension_")) {
        oauth.extensions[name.substr(std::string_view("unsecuredLoginExtension_").size())] = value;
      } else if (name.starts_with("extension_")) {
        oauth.extensions[name.substr(std::string_view("extension_").size())] = value;
      }
      // Other options (clientId, scope, ...) are read where they matter, or mean nothing here.
    }
  }

  auto config = given("sasl.oauthbearer.config");
  if (!config) return success{};
  std::string_view rest = config.value;
  while (!rest.empty()) {
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) {
      rest.remove_prefix(1);
    }
    std::size_t end = 0;
    while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end]))) ++end;
    std::string_view item = rest.substr(0, end);
    rest.remove_prefix(end);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return usage(config.described() + ": expected space-separated NAME=VALUE pairs");
    }
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    if (name == "principal") {
      oauth.unsecured_principal = std::string(value);
    } else if (name == "scope") {
      oauth.unsecured_scope = std::string(value);
    } else if (name == "lifeSeconds") {
      if (auto set = set_lifetime(value, config.described()); !set) return set;
    } else if (name.starts_with("extension_") && name.size() > 10) {
      oauth.extensions[std::string(name.substr(10))] = std::string(value);
    } else if ((name == "principalClaimName" && value == "sub") ||
               (name == "scopeClaimName" && value == "scope")) {
      // The defaults, which are what kpipe's unsecured tokens use anyway.
    } else if (name == "principalClaimName" || name == "scopeClaimName") {
      return usage(config.described() +
                   ": kpipe's unsecured tokens always use the claims sub "
                   "and scope; " +
                   std::string(name) + " cannot be changed");
    } else {
      return usage(config.described() + ": unknown name '" + std::string(name) +
                   "'; expected principal, scope, lifeSeconds or extension_NAME");
    }
  }
  return success{};
}

// Settings for a layer the protocol does not use are likely a forgotten security.protocol.
// Built-in defaults and the environment (set once for many runs) are left out.
void security_resolver::warn_about_unused_settings() {
  bool tls = requests_tls(out_.protocol) || out_.token_endpoint_tls.has_value();
  bool sasl = requests_sasl(out_.protocol);
  std::string unused;
  for (const auto& [name, value] : properties_.all()) {
    if (value.from.kind == origin::built_in || value.from.kind == origin::environment) continue;
    const auto* info = find_property(name);
    if (!info || !info->acted_on) continue;
    bool tls_setting = name.starts_with("ssl.") || name.starts_with("enable.ssl.");
    bool sasl_setting = name.starts_with("sasl.") || name.starts_with("enable.sasl.");
    if ((tls_setting && !tls) || (sasl_setting && !sasl)) {
      unused += (unused.empty() ? "" : ", ") + name + " (" + value.from.where + ")";
    }
  }
  if (unused.empty()) return;
  out_.warnings.push_back("with security.protocol " + out_.protocol + " (" +
                          (protocol_ ? "from " + protocol_.from->from.where : "the default") +
                          "), these settings have no effect: " + unused);
}

}  // namespace

bool requests_tls(std::string_view protocol) { return protocol == "SSL" || protocol == "SASL_SSL"; }

bool requests_sasl(std::string_view protocol) {
  return protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL";
}

result<security_settings> security_from(const layered_properties& properties, bool tls_requested) {
  return security_resolver(properties, tls_requested).resolve();
}

}  // namespace kpipe::config
