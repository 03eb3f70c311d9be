// Tests of config::security_from: the protocol (explicit, inferred, raised by the TLS flags), the
// TLS options from librdkafka and Java names (stores, JKS, PEM inline, verification), the SASL
// options (mechanism, credentials from properties, files and sasl.jaas.config, OAUTHBEARER's
// token sources), warnings, and that no secret value reaches a message.

#include "config/security.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scratch_dir.hpp"

namespace kpipe::config {
namespace {

using net::sasl::mechanism_kind;

constexpr const char* secret = "hunter2-SECRET";

// Properties built in a test: each set at an origin, "-X" or "f.conf:N" as its source.
class properties_builder {
 public:
  properties_builder& x(const std::string& key, const std::string& value) {
    properties_.set(key, value, source{origin::property, "-X"});
    return *this;
  }
  properties_builder& file(const std::string& key, const std::string& value) {
    properties_.set(key, value, source{origin::file, "f.conf:" + std::to_string(++line_)});
    return *this;
  }
  properties_builder& env(const std::string& key, const std::string& value,
                          const std::string& variable) {
    properties_.set(key, value, source{origin::environment, variable});
    return *this;
  }
  properties_builder& flag(const std::string& key, const std::string& value,
                           const std::string& name) {
    properties_.set(key, value, source{origin::flag, name});
    return *this;
  }
  const layered_properties& get() const { return properties_; }

 private:
  layered_properties properties_;
  int line_ = 0;
};

security_settings resolved(const properties_builder& properties, bool tls_requested = false) {
  auto settings = security_from(properties.get(), tls_requested);
  EXPECT_TRUE(settings.ok()) << (settings.ok() ? "" : settings.error().message);
  return settings.ok() ? std::move(settings.value()) : security_settings{};
}

std::string failure(const properties_builder& properties, bool tls_requested = false) {
  auto settings = security_from(properties.get(), tls_requested);
  EXPECT_FALSE(settings.ok()) << "protocol " << settings->protocol;
  if (settings.ok()) return {};
  EXPECT_EQ(settings.error().kind, error_kind::usage);
  EXPECT_EQ(settings.error().message.find(secret), std::string::npos) << settings.error().message;
  return settings.error().message;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- protocol ----------------------------------------------------------------------------------

TEST(SecurityProtocol, NothingSetIsPlaintext) {
  auto settings = resolved(properties_builder{});
  EXPECT_EQ(settings.protocol, "PLAINTEXT");
  EXPECT_FALSE(settings.tls);
  EXPECT_FALSE(settings.sasl);
  EXPECT_TRUE(settings.warnings.empty());
}

TEST(SecurityProtocol, Inferred) {
  struct inference_case {
    bool mechanism, jaas, tls_flags;
    std::string protocol;
  };
  const std::vector<inference_case> cases = {
      {false, false, false, "PLAINTEXT"},     {false, false, true, "SSL"},
      {true, false, false, "SASL_PLAINTEXT"}, {true, false, true, "SASL_SSL"},
      {false, true, false, "SASL_PLAINTEXT"}, {false, true, true, "SASL_SSL"},
      {true, true, true, "SASL_SSL"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.protocol + (c.mechanism ? " mechanism" : "") + (c.jaas ? " jaas" : ""));
    properties_builder properties;
    if (c.mechanism) properties.x("sasl.mechanism", "PLAIN");
    if (c.jaas) {
      properties.file("sasl.jaas.config", "a.PlainLoginModule required username=u password=p;");
    }
    auto settings = resolved(properties, c.tls_flags);
    EXPECT_EQ(settings.protocol, c.protocol);
    EXPECT_EQ(settings.tls.has_value(), requests_tls(c.protocol));
    EXPECT_EQ(settings.sasl.has_value(), requests_sasl(c.protocol));
  }
}

TEST(SecurityProtocol, ExplicitAnyCaseAndRaisedByTlsFlags) {
  struct explicit_case {
    std::string given;
    bool tls_flags;
    std::string protocol;
  };
  const std::vector<explicit_case> cases = {
      {"PLAINTEXT", false, "PLAINTEXT"},
      {"plaintext", true, "SSL"},
      {"SSL", false, "SSL"},
      {"ssl", true, "SSL"},
      {"SASL_PLAINTEXT", false, "SASL_PLAINTEXT"},
      {"Sasl_Plaintext", true, "SASL_SSL"},
      {" SASL_SSL ", false, "SASL_SSL"},
      {"sasl_ssl", true, "SASL_SSL"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.given);
    properties_builder properties;
    properties.x("security.protocol", c.given).x("sasl.mechanism", "PLAIN");
    EXPECT_EQ(resolved(properties, c.tls_flags).protocol, c.protocol);
  }
}

TEST(SecurityProtocol, ExplicitProtocolDecidesOverAMechanism) {
  properties_builder properties;
  properties.file("security.protocol", "SSL").file("sasl.mechanism", "PLAIN");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.protocol, "SSL");
  EXPECT_FALSE(settings.sasl);
  ASSERT_EQ(settings.warnings.size(), 1u);
  EXPECT_EQ(settings.warnings[0],
            "with security.protocol SSL (from f.conf:1), these settings have no effect: "
            "sasl.mechanism (f.conf:2)");
}

TEST(SecurityProtocol, InvalidNamesItsSource) {
  properties_builder properties;
  properties.file("client.id", "x").file("security.protocol", "TLS");
  EXPECT_EQ(failure(properties),
            "security.protocol (f.conf:2): expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, "
            "got 'TLS'");
}

TEST(SecurityProtocol, HelpersForProtocols) {
  EXPECT_FALSE(requests_tls("PLAINTEXT"));
  EXPECT_TRUE(requests_tls("SSL"));
  EXPECT_FALSE(requests_tls("SASL_PLAINTEXT"));
  EXPECT_TRUE(requests_tls("SASL_SSL"));
  EXPECT_FALSE(requests_sasl("PLAINTEXT"));
  EXPECT_FALSE(requests_sasl("SSL"));
  EXPECT_TRUE(requests_sasl("SASL_PLAINTEXT"));
  EXPECT_TRUE(requests_sasl("SASL_SSL"));
}

TEST(SecurityProtocol, UnusedSettingsWarnButNotFromTheEnvironment) {
  properties_builder properties;
  properties.file("ssl.ca.location", "/ca.pem")
      .env("sasl.username", "alice", "KPIPE_SASL_USER")
      .x("enable.ssl.certificate.verification", "false");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.protocol, "PLAINTEXT");
  ASSERT_EQ(settings.warnings.size(), 1u);
  EXPECT_EQ(settings.warnings[0],
            "with security.protocol PLAINTEXT (the default), these settings have no effect: "
            "enable.ssl.certificate.verification (-X), ssl.ca.location (f.conf:1)");
}

// ---- SASL mechanism ----------------------------------------------------------------------------

TEST(SecurityMechanism, Names) {
  struct mechanism_case {
    std::string name;
    mechanism_kind kind;
  };
  for (const auto& c : std::vector<mechanism_case>{{"PLAIN", mechanism_kind::plain},
                                                   {"plain", mechanism_kind::plain},
                                                   {"SCRAM-SHA-256", mechanism_kind::scram_sha_256},
                                                   {"scram-sha-512", mechanism_kind::scram_sha_512},
                                                   {"OAUTHBEARER", mechanism_kind::oauthbearer}}) {
    SCOPED_TRACE(c.name);
    properties_builder properties;
    properties.x("sasl.mechanism", c.name).x("sasl.oauthbearer.token", "t");
    auto settings = resolved(properties);
    ASSERT_TRUE(settings.sasl);
    EXPECT_EQ(settings.sasl->mechanism, c.kind);
  }
}

TEST(SecurityMechanism, LibrdkafkaPluralAliasAndPrecedence) {
  properties_builder properties;
  properties.file("sasl.mechanisms", "SCRAM-SHA-256")
      .flag("sasl.mechanism", "SCRAM-SHA-512", "--sasl-mechanism");
  EXPECT_EQ(resolved(properties).sasl->mechanism, mechanism_kind::scram_sha_512);
}

TEST(SecurityMechanism, GssapiIsNotSupported) {
  properties_builder properties;
  properties.x("sasl.mechanism", "GSSAPI");
  EXPECT_EQ(failure(properties),
            "GSSAPI (Kerberos) is not supported (sasl.mechanism (-X)); set sasl.mechanism to "
            "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER");

  properties_builder kerberos;
  kerberos.file("sasl.jaas.config",
                "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;");
  EXPECT_TRUE(contains(failure(kerberos), "GSSAPI (Kerberos) is not supported"));
}

TEST(SecurityMechanism, UnknownMechanism) {
  properties_builder properties;
  properties.x("sasl.mechanism", "PLAIN SCRAM-SHA-256");
  EXPECT_EQ(failure(properties),
            "sasl.mechanism (-X): expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER, "
            "got 'PLAIN SCRAM-SHA-256'");
}

TEST(SecurityMechanism, SaslProtocolWithoutMechanismIsAnError) {
  properties_builder properties;
  properties.file("security.protocol", "SASL_SSL").file("sasl.username", "u");
  auto message = failure(properties);
  EXPECT_TRUE(contains(message, "security.protocol (f.conf:1) = SASL_SSL needs a SASL mechanism"))
      << message;
  EXPECT_TRUE(contains(message,
                       "set sasl.mechanism to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or "
                       "OAUTHBEARER"));
}

// ---- PLAIN and SCRAM credentials ---------------------------------------------------------------

TEST(SecurityCredentials, FromProperties) {
  properties_builder properties;
  properties.x("sasl.mechanism", "SCRAM-SHA-256")
      .x("sasl.username", "alice")
      .x("sasl.password", secret);
  auto settings = resolved(properties);
  EXPECT_EQ(settings.protocol, "SASL_PLAINTEXT");
  EXPECT_EQ(settings.sasl->username, "alice");
  EXPECT_EQ(settings.sasl->password, secret);
}

TEST(SecurityCredentials, MissingPasswordIsLeftEmpty) {
  properties_builder properties;
  properties.x("sasl.mechanism", "PLAIN").x("sasl.username", "alice");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.sasl->username, "alice");
  EXPECT_EQ(settings.sasl->password, "");
}

TEST(SecurityCredentials, PasswordFile) {
  testing::scratch_dir dir;
  for (std::string content :
       {"pw-from-file\n", "pw-from-file\r\n", "pw-from-file", "pw-from-file\nsecond line\n"}) {
    properties_builder properties;
    properties.x("sasl.mechanism", "PLAIN")
        .x("sasl.username", "u")
        .flag("sasl.password.file", dir.write("pw", content), "--sasl-password-file");
    EXPECT_EQ(resolved(properties).sasl->password, "pw-from-file");
  }
}

TEST(SecurityCredentials, UnreadablePasswordFileNamesIt) {
  testing::scratch_dir dir;
  properties_builder properties;
  properties.x("sasl.mechanism", "PLAIN")
      .flag("sasl.password.file", dir.path("missing"), "--sasl-password-file");
  EXPECT_EQ(failure(properties),
            "sasl.password.file (--sasl-password-file): cannot read '" + dir.path("missing") + "'");
}

TEST(SecurityCredentials, HigherOriginWinsBetweenPasswordAndPasswordFile) {
  testing::scratch_dir dir;
  auto path = dir.write("pw", "from-file\n");
  properties_builder file_wins;
  file_wins.x("sasl.mechanism", "PLAIN")
      .file("sasl.password", "from-config")
      .flag("sasl.password.file", path, "--sasl-password-file");
  EXPECT_EQ(resolved(file_wins).sasl->password, "from-file");

  properties_builder env_wins;
  env_wins.x("sasl.mechanism", "PLAIN")
      .file("sasl.password.file", path)
      .env("sasl.password", "from-env", "KPIPE_SASL_PASSWORD");
  EXPECT_EQ(resolved(env_wins).sasl->password, "from-env");
}

TEST(SecurityCredentials, JaasPlain) {
  properties_builder properties;
  properties.file("security.protocol", "SASL_SSL")
      .file("sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            "username=\"APIKEY\" password=\"" +
                std::string(secret) + "\";");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.protocol, "SASL_SSL");
  EXPECT_EQ(settings.sasl->mechanism, mechanism_kind::plain);
  EXPECT_EQ(settings.sasl->username, "APIKEY");
  EXPECT_EQ(settings.sasl->password, secret);
}

TEST(SecurityCredentials, JaasScramNeedsTheMechanism) {
  std::string jaas =
      "org.apache.kafka.common.security.scram.ScramLoginModule required "
      "username=\"svc\" password=\"" +
      std::string(secret) + "\";";
  properties_builder without;
  without.file("sasl.jaas.config", jaas);
  EXPECT_EQ(failure(without),
            "sasl.jaas.config (f.conf:1) uses ScramLoginModule: set sasl.mechanism to "
            "SCRAM-SHA-256 or SCRAM-SHA-512");

  properties_builder with;
  with.file("sasl.mechanism", "SCRAM-SHA-512").file("sasl.jaas.config", jaas);
  auto settings = resolved(with);
  EXPECT_EQ(settings.sasl->mechanism, mechanism_kind::scram_sha_512);
  EXPECT_EQ(settings.sasl->username, "svc");
  EXPECT_EQ(settings.sasl->password, secret);
}

TEST(SecurityCredentials, JaasContradictingTheMechanism) {
  properties_builder properties;
  properties.file("sasl.mechanism", "SCRAM-SHA-256")
      .file("sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule "
            "required username=\"u\" password=\"" +
                std::string(secret) + "\";");
  EXPECT_EQ(failure(properties),
            "sasl.jaas.config (f.conf:2) uses PlainLoginModule, which does not go with "
            "sasl.mechanism (f.conf:1) = SCRAM-SHA-256");
}

TEST(SecurityCredentials, JaasUnsupportedModule) {
  properties_builder properties;
  properties.file("sasl.jaas.config",
                  "io.example.TokenLoginModule required token=\"" + std::string(secret) + "\";");
  EXPECT_EQ(failure(properties),
            "sasl.jaas.config (f.conf:1): login module io.example.TokenLoginModule is not one "
            "kpipe supports (PlainLoginModule, ScramLoginModule or OAuthBearerLoginModule)");
}

TEST(SecurityCredentials, JaasParseErrorNamesTheSource) {
  properties_builder properties;
  properties.file("sasl.mechanism", "PLAIN")
      .file("sasl.jaas.config", "x.PlainLoginModule required password=\"" + std::string(secret));
  EXPECT_EQ(failure(properties),
            "sasl.jaas.config: the quoted value of option 'password' is not closed at position "
            "38 (f.conf:2)");
}

TEST(SecurityCredentials, HigherLayerBeatsJaas) {
  std::string jaas = "x.PlainLoginModule required username=\"file-user\" password=\"file-pw\";";
  properties_builder properties;
  properties.file("sasl.jaas.config", jaas)
      .env("sasl.username", "env-user", "KPIPE_SASL_USER")
      .x("sasl.password", "x-pw");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.sasl->username, "env-user");
  EXPECT_EQ(settings.sasl->password, "x-pw");

  // At the same origin the specific property wins over the JAAS option.
  properties_builder same;
  same.file("sasl.jaas.config", jaas).file("sasl.username", "plain-user");
  EXPECT_EQ(resolved(same).sasl->username, "plain-user");

  // And a JAAS config given with -X beats a file's sasl.username.
  properties_builder jaas_higher;
  jaas_higher.file("sasl.username", "plain-user").x("sasl.jaas.config", jaas);
  EXPECT_EQ(resolved(jaas_higher).sasl->username, "file-user");
}

// ---- OAUTHBEARER -------------------------------------------------------------------------------

TEST(SecurityOAuthBearer, StaticTokenAndTokenFile) {
  properties_builder properties;
  properties.x("sasl.mechanism", "OAUTHBEARER")
      .x("sasl.oauthbearer.token", secret)
      .x("sasl.oauthbearer.token.file", "/run/token");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.sasl->mechanism, mechanism_kind::oauthbearer);
  EXPECT_EQ(settings.sasl->oauth.token, secret);
  EXPECT_EQ(settings.sasl->oauth.token_file, "/run/token");
  EXPECT_TRUE(settings.sasl->oauth.token_endpoint_url.empty());
}

TEST(SecurityOAuthBearer, LibrdkafkaOidc) {
  properties_builder properties;
  properties.file("security.protocol", "SASL_SSL")
      .file("sasl.mechanisms", "OAUTHBEARER")
      .file("sasl.oauthbearer.method", "OIDC")
      .file("sasl.oauthbearer.token.endpoint.url", "https://idp.example.com/oauth2/token")
      .file("sasl.oauthbearer.client.id", "kpipe")
      .env("sasl.oauthbearer.client.secret", secret, "KPIPE_SASL_OAUTHBEARER_CLIENT_SECRET")
      .file("sasl.oauthbearer.scope", "kafka")
      .file("sasl.oauthbearer.extensions", "logicalCluster=lkc-1, identityPoolId=pool-2");
  auto settings = resolved(properties);
  const auto& oauth = settings.sasl->oauth;
  EXPECT_EQ(oauth.token_endpoint_url, "https://idp.example.com/oauth2/token");
  EXPECT_EQ(oauth.client_id, "kpipe");
  EXPECT_EQ(oauth.client_secret, secret);
  EXPECT_EQ(oauth.scope, "kafka");
  EXPECT_EQ(oauth.extensions.size(), 2u);
  EXPECT_EQ(oauth.extensions.at("logicalCluster"), "lkc-1");
  EXPECT_EQ(oauth.extensions.at("identityPoolId"), "pool-2");
}

TEST(SecurityOAuthBearer, OidcClientCredentialsAliasesAndSecretFile) {
  testing::scratch_dir dir;
  properties_builder properties;
  properties.x("sasl.mechanism", "OAUTHBEARER")
      .x("sasl.oauthbearer.method", "oidc")
      .x("sasl.oauthbearer.token.endpoint.url", "https://idp/token")
      .x("sasl.oauthbearer.client.credentials.client.id", "aliased")
      .x("sasl.oauthbearer.client.secret.file", dir.write("secret", "from-file\n"));
  auto settings = resolved(properties);
  EXPECT_EQ(settings.sasl->oauth.client_id, "aliased");
  EXPECT_EQ(settings.sasl->oauth.client_secret, "from-file");
}

TEST(SecurityOAuthBearer, OidcMissingPieces) {
  properties_builder properties;
  properties.file("sasl.mechanism", "OAUTHBEARER")
      .file("sasl.oauthbearer.method", "oidc")
      .file("sasl.oauthbearer.client.id", "kpipe");
  EXPECT_EQ(failure(properties),
            "OAUTHBEARER with OIDC (sasl.oauthbearer.method (f.conf:2)) also needs "
            "sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.client.secret (or .file)");
}

TEST(SecurityOAuthBearer, JavaOidcFromJaasAndEndpoint) {
  properties_builder properties;
  properties.file("security.protocol", "SASL_SSL")
      .file("sasl.mechanism", "OAUTHBEARER")
      .file("sasl.oauthbearer.token.endpoint.url", "https://idp/token")
      .file("sasl.login.callback.handler.class",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler")
      .file("sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
            "clientId=\"java-client\" clientSecret=\"" +
                std::string(secret) +
                "\" scope=\"kafka.read\" extension_logicalCluster=\"lkc-9\";");
  auto settings = resolved(properties);
  const auto& oauth = settings.sasl->oauth;
  EXPECT_EQ(oauth.token_endpoint_url, "https://idp/token");
  EXPECT_EQ(oauth.client_id, "java-client");
  EXPECT_EQ(oauth.client_secret, secret);
  EXPECT_EQ(oauth.scope, "kafka.read");
  EXPECT_EQ(oauth.extensions.at("logicalCluster"), "lkc-9");
}

TEST(SecurityOAuthBearer, MethodDefaultIgnoresTheEndpoint) {
  properties_builder properties;
  properties.x("sasl.mechanism", "OAUTHBEARER")
      .x("sasl.oauthbearer.method", "default")
      .x("sasl.oauthbearer.token.endpoint.url", "https://idp/token")
      .x("sasl.oauthbearer.token", "t");
  EXPECT_TRUE(resolved(properties).sasl->oauth.token_endpoint_url.empty());
}

TEST(SecurityOAuthBearer, InvalidMethod) {
  properties_builder properties;
  properties.x("sasl.mechanism", "OAUTHBEARER").x("sasl.oauthbearer.method", "magic");
  EXPECT_EQ(failure(properties),
            "sasl.oauthbearer.method (-X): expected default or oidc, got 'magic'");
}

TEST(SecurityOAuthBearer, LibrdkafkaUnsecuredConfig) {
  properties_builder properties;
  properties.x("sasl.mechanism", "OAUTHBEARER")
      .x("enable.sasl.oauthbearer.unsecure.jwt", "true")
      .x("sasl.oauthbearer.config",
         "principal=admin scope=read,write  lifeSeconds=600 extension_traceId=t-1 "
         "principalClaimName=sub");
  auto oauth = resolved(properties).sasl->oauth;
  EXPECT_EQ(oauth.unsecured_principal, "admin");
  EXPECT_EQ(oauth.unsecured_scope, "read,write");
  EXPECT_EQ(oauth.unsecured_lifetime, std::chrono::seconds(600));
  EXPECT_EQ(oauth.extensions.at("traceId"), "t-1");
}

TEST(SecurityOAuthBearer, UnsecuredConfigErrors) {
  struct config_case {
    std::string config, message;
  };
  const std::vector<config_case> cases = {
      {"principal=a colour=blue",
       "sasl.oauthbearer.config (-X): unknown name 'colour'; expected principal, scope, "
       "lifeSeconds or extension_NAME"},
      {"principal=a lifeSeconds=soon",
       "sasl.oauthbearer.config (-X): lifeSeconds must be a positive number of seconds, got "
       "'soon'"},
      {"principal=a lifeSeconds=0",
       "sasl.oauthbearer.config (-X): lifeSeconds must be a positive number of seconds, got '0'"},
      {"principal", "sasl.oauthbearer.config (-X): expected space-separated NAME=VALUE pairs"},
      {"principal=a principalClaimName=user",
       "sasl.oauthbearer.config (-X): kpipe's unsecured tokens always use the claims sub and "
       "scope; principalClaimName cannot be changed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.config);
    properties_builder properties;
    properties.x("sasl.mechanism", "OAUTHBEARER").x("sasl.oauthbearer.config", c.config);
    EXPECT_EQ(failure(properties), c.message);
  }
}

TEST(SecurityOAuthBearer, JavaUnsecuredJaas) {
  properties_builder properties;
  properties.file("sasl.mechanism", "OAUTHBEARER")
      .file("sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
            "unsecuredLoginStringClaim_sub=\"thePrincipalName\" "
            "unsecuredLoginListClaim_scope=\",KAFKA_BROKER,LOGIN_TO_KAFKA\" "
            "unsecuredLoginLifetimeSeconds=\"120\" unsecuredLoginExtension_traceId=\"x\";");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.protocol, "SASL_PLAINTEXT");
  const auto& oauth = settings.sasl->oauth;
  EXPECT_EQ(oauth.unsecured_principal, "thePrincipalName");
  EXPECT_EQ(oauth.unsecured_scope, "KAFKA_BROKER,LOGIN_TO_KAFKA");
  EXPECT_EQ(oauth.unsecured_lifetime, std::chrono::seconds(120));
  EXPECT_EQ(oauth.extensions.at("traceId"), "x");
}

TEST(SecurityOAuthBearer, JaasModuleImpliesTheMechanism) {
  properties_builder properties;
  properties.file("sasl.jaas.config",
                  "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                  "unsecuredLoginStringClaim_sub=\"alice\";");
  EXPECT_EQ(resolved(properties).sasl->mechanism, mechanism_kind::oauthbearer);
}

TEST(SecurityOAuthBearer, ExtensionsAndUnsecureFlagErrors) {
  properties_builder extensions;
  extensions.x("sasl.mechanism", "OAUTHBEARER")
      .x("sasl.oauthbearer.token", "t")
      .x("sasl.oauthbearer.extensions", "a=1,oops");
  EXPECT_EQ(failure(extensions),
            "sasl.oauthbearer.extensions (-X): expected KEY=VALUE[,KEY=VALUE...]");

  properties_builder flag;
  flag.x("sasl.mechanism", "OAUTHBEARER")
      .x("sasl.oauthbearer.token", "t")
      .x("enable.sasl.oauthbearer.unsecure.jwt", "maybe");
  EXPECT_EQ(failure(flag),
            "enable.sasl.oauthbearer.unsecure.jwt (-X): expected true or false, got 'maybe'");
}

TEST(SecurityOAuthBearer, NoTokenSourceIsAnError) {
  properties_builder properties;
  properties.x("sasl.mechanism", "OAUTHBEARER").x("sasl.username", "ignored");
  EXPECT_TRUE(contains(failure(properties), "OAUTHBEARER needs a token"));
}

// ---- TLS ---------------------------------------------------------------------------------------

TEST(SecurityTls, Defaults) {
  auto settings = resolved(properties_builder{}, true);
  ASSERT_TRUE(settings.tls);
  EXPECT_TRUE(settings.tls->verify_certificate);
  EXPECT_TRUE(settings.tls->verify_hostname);
  EXPECT_TRUE(settings.tls->ca_location.empty());
  EXPECT_TRUE(settings.warnings.empty());
}

TEST(SecurityTls, VerificationOffWarns) {
  properties_builder properties;
  properties.flag("enable.ssl.certificate.verification", "false", "--tls-insecure");
  auto settings = resolved(properties, true);
  EXPECT_FALSE(settings.tls->verify_certificate);
  ASSERT_EQ(settings.warnings.size(), 1u);
  EXPECT_TRUE(settings.warnings[0].starts_with("TLS certificate verification is off: "));
  EXPECT_TRUE(contains(settings.warnings[0], "--tls-insecure"));

  properties_builder on;
  on.x("enable.ssl.certificate.verification", "TRUE");
  EXPECT_TRUE(resolved(on, true).tls->verify_certificate);

  properties_builder bad;
  bad.x("enable.ssl.certificate.verification", "nope");
  EXPECT_EQ(failure(bad, true),
            "enable.ssl.certificate.verification (-X): expected true or false, got 'nope'");
}

TEST(SecurityTls, EndpointIdentification) {
  struct algorithm_case {
    std::string value;
    bool verify_hostname;
  };
  for (const auto& c : std::vector<algorithm_case>{
           {"https", true}, {"HTTPS", true}, {"none", false}, {"NONE", false}, {"", false}}) {
    SCOPED_TRACE(c.value);
    properties_builder properties;
    properties.file("ssl.endpoint.identification.algorithm", c.value);
    EXPECT_EQ(resolved(properties, true).tls->verify_hostname, c.verify_hostname);
  }
  properties_builder bad;
  bad.file("ssl.endpoint.identification.algorithm", "dns");
  EXPECT_EQ(failure(bad, true),
            "ssl.endpoint.identification.algorithm (f.conf:1): expected https or none, got 'dns'");
}

TEST(SecurityTls, LibrdkafkaFiles) {
  properties_builder properties;
  properties.file("security.protocol", "SSL")
      .file("ssl.ca.location", "/etc/kafka/ca.pem")
      .file("ssl.certificate.location", "/etc/kafka/client.pem")
      .file("ssl.key.location", "/etc/kafka/client.key")
      .file("ssl.key.password", secret);
  auto tls = *resolved(properties).tls;
  EXPECT_EQ(tls.ca_location, "/etc/kafka/ca.pem");
  EXPECT_EQ(tls.certificate_location, "/etc/kafka/client.pem");
  EXPECT_EQ(tls.key_location, "/etc/kafka/client.key");
  EXPECT_EQ(tls.key_password, secret);
  EXPECT_TRUE(tls.keystore_p12.empty());
}

TEST(SecurityTls, InlinePem) {
  properties_builder properties;
  properties.x("ssl.ca.pem", "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----")
      .x("ssl.truststore.certificates",
         "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n")
      .x("ssl.keystore.certificate.chain", "CHAIN")
      .x("ssl.keystore.key", "KEY");
  auto tls = *resolved(properties, true).tls;
  EXPECT_EQ(tls.ca_pem,
            "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n"
            "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(tls.certificate_pem, "CHAIN");
  EXPECT_EQ(tls.key_pem, "KEY");
}

TEST(SecurityTls, LibrdkafkaPkcs12Keystore) {
  for (std::string path : {"/etc/kafka/client.p12", "/etc/kafka/client.PFX"}) {
    properties_builder properties;
    properties.file("security.protocol", "SSL")
        .file("ssl.keystore.location", path)
        .file("ssl.keystore.password", secret);
    auto tls = *resolved(properties).tls;
    EXPECT_EQ(tls.keystore_p12, path);
    EXPECT_EQ(tls.keystore_password, secret);
    EXPECT_TRUE(tls.certificate_location.empty());
  }
}

TEST(SecurityTls, JavaPkcs12Stores) {
  properties_builder properties;
  properties.file("security.protocol", "SSL")
      .file("ssl.truststore.location", "/var/private/ssl/kafka.client.truststore")
      .file("ssl.truststore.password", "trust-pw")
      .file("ssl.truststore.type", "pkcs12")
      .file("ssl.keystore.location", "/var/private/ssl/kafka.client.keystore")
      .file("ssl.keystore.password", "store-pw")
      .file("ssl.keystore.type", "PKCS12")
      .file("ssl.key.password", "key-pw");
  auto tls = *resolved(properties).tls;
  EXPECT_EQ(tls.truststore_p12, "/var/private/ssl/kafka.client.truststore");
  EXPECT_EQ(tls.truststore_password, "trust-pw");
  EXPECT_EQ(tls.keystore_p12, "/var/private/ssl/kafka.client.keystore");
  EXPECT_EQ(tls.keystore_password, "store-pw");
  EXPECT_TRUE(tls.ca_location.empty());
}

TEST(SecurityTls, JavaPemStores) {
  properties_builder properties;
  properties.file("security.protocol", "SSL")
      .file("ssl.truststore.type", "PEM")
      .file("ssl.truststore.location", "/ssl/ca.txt")
      .file("ssl.keystore.type", "PEM")
      .file("ssl.keystore.location", "/ssl/client-cert-and-key.txt")
      .file("ssl.key.password", "key-pw");
  auto tls = *resolved(properties).tls;
  EXPECT_EQ(tls.ca_location, "/ssl/ca.txt");
  EXPECT_EQ(tls.certificate_location, "/ssl/client-cert-and-key.txt");
  EXPECT_EQ(tls.key_location, "/ssl/client-cert-and-key.txt");
  EXPECT_EQ(tls.key_password, "key-pw");
  EXPECT_TRUE(tls.keystore_p12.empty());
  EXPECT_TRUE(tls.truststore_p12.empty());
}

TEST(SecurityTls, StoreFormatToldFromTheFile) {
  testing::scratch_dir dir;
  auto pem = dir.write("trust", "\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  auto p12 = dir.write("keys", std::string("\x30\x82\x0a\x1b\x02\x01\x03", 7));
  properties_builder properties;
  properties.x("ssl.truststore.location", pem).x("ssl.keystore.location", p12);
  auto tls = *resolved(properties, true).tls;
  EXPECT_EQ(tls.ca_location, pem);
  EXPECT_EQ(tls.keystore_p12, p12);
}

TEST(SecurityTls, JksIsAnErrorSayingHowToConvert) {
  testing::scratch_dir dir;
  auto jks =
      dir.write("kafka.client.truststore", std::string("\xFE\xED\xFE\xED\x00\x00\x00\x02", 8));
  std::vector<properties_builder> cases(4);
  cases[0].file("ssl.truststore.location", jks);                            // magic number
  cases[1].file("ssl.truststore.location", "/nonexistent/truststore.jks");  // name
  cases[2].file("ssl.truststore.location", "/t").file("ssl.truststore.type", "JKS");
  cases[3].file("ssl.keystore.location", "/k").file("ssl.keystore.type", "jks");
  for (auto& properties : cases) {
    properties.file("ssl.truststore.password", secret).file("ssl.keystore.password", secret);
    auto message = failure(properties, true);
    EXPECT_TRUE(contains(message, "is a Java KeyStore (JKS), which kpipe cannot read")) << message;
    EXPECT_TRUE(contains(message, "keytool -importkeystore")) << message;
    EXPECT_TRUE(contains(message, "-deststoretype PKCS12")) << message;
  }
  auto message = failure(cases[3], true);
  EXPECT_EQ(message,
            "ssl.keystore.location (f.conf:1) is a Java KeyStore (JKS), which kpipe cannot "
            "read; convert it to PKCS#12 with: keytool -importkeystore -srckeystore '/k' "
            "-destkeystore keystore.p12 -deststoretype PKCS12, then point ssl.keystore.location "
            "at the .p12 file and set ssl.keystore.type=PKCS12");
}

TEST(SecurityTls, UnknownStoreType) {
  properties_builder properties;
  properties.x("ssl.truststore.location", "/t").x("ssl.truststore.type", "BKS");
  EXPECT_EQ(failure(properties, true),
            "ssl.truststore.type (-X): expected PKCS12 or PEM, got 'BKS'");
}

TEST(SecurityTls, FlagsBeatAFilesStores) {
  properties_builder properties;
  properties.file("ssl.truststore.type", "PEM")
      .file("ssl.truststore.location", "/file/ca.pem")
      .file("ssl.keystore.location", "/file/client.p12")
      .flag("ssl.ca.location", "/flag/ca.pem", "--tls-ca")
      .flag("ssl.certificate.location", "/flag/cert.pem", "--tls-cert")
      .flag("ssl.key.location", "/flag/key.pem", "--tls-key");
  auto tls = *resolved(properties, true).tls;
  EXPECT_EQ(tls.ca_location, "/flag/ca.pem");
  EXPECT_EQ(tls.certificate_location, "/flag/cert.pem");
  EXPECT_EQ(tls.key_location, "/flag/key.pem");
  EXPECT_TRUE(tls.keystore_p12.empty());
}

TEST(SecurityTls, TwoSourcesAtOneLayerAreAnError) {
  properties_builder trust;
  trust.file("ssl.ca.location", "/a.pem").file("ssl.truststore.location", "/b.pem");
  EXPECT_EQ(failure(trust, true),
            "both ssl.ca.location (f.conf:1) and ssl.truststore.location (f.conf:2) give the CA "
            "certificates to trust; keep one");

  properties_builder certificate;
  certificate.x("ssl.certificate.location", "/c.pem").x("ssl.keystore.certificate.chain", "PEM");
  EXPECT_EQ(failure(certificate, true),
            "both ssl.certificate.location (-X) and ssl.keystore.certificate.chain (-X) give the "
            "client certificate; keep one");

  properties_builder keystore;
  keystore.x("ssl.keystore.location", "/k.p12").x("ssl.key.pem", secret);
  EXPECT_TRUE(contains(failure(keystore, true), "give the client certificate; keep one"));
}

TEST(SecurityTls, PkcsTruststoreAddsToCaLocation) {
  properties_builder properties;
  properties.x("ssl.ca.location", "/ca.pem").x("ssl.truststore.location", "/extra.p12");
  auto tls = *resolved(properties, true).tls;
  EXPECT_EQ(tls.ca_location, "/ca.pem");
  EXPECT_EQ(tls.truststore_p12, "/extra.p12");
}

// ---- whole files -------------------------------------------------------------------------------

TEST(SecurityWhole, ConfluentCloudStyleJavaProperties) {
  properties_builder properties;
  properties.file("bootstrap.servers", "pkc-1.us-east-1.aws.confluent.cloud:9092")
      .file("security.protocol", "SASL_SSL")
      .file("sasl.mechanism", "PLAIN")
      .file("sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            "username='KEY' password='" +
                std::string(secret) + "';")
      .file("client.dns.lookup", "use_all_dns_ips")
      .file("session.timeout.ms", "45000");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.protocol, "SASL_SSL");
  ASSERT_TRUE(settings.tls && settings.sasl);
  EXPECT_TRUE(settings.tls->verify_hostname);
  EXPECT_EQ(settings.sasl->username, "KEY");
  EXPECT_EQ(settings.sasl->password, secret);
  EXPECT_TRUE(settings.warnings.empty());
}

TEST(SecurityWhole, KcatScramConfig) {
  properties_builder properties;
  properties.file("security.protocol", "sasl_ssl")
      .file("sasl.mechanisms", "SCRAM-SHA-512")
      .file("sasl.username", "svc")
      .file("sasl.password", secret)
      .file("ssl.ca.location", "/etc/ssl/certs/ca-certificates.crt")
      .file("enable.ssl.certificate.verification", "true");
  auto settings = resolved(properties);
  EXPECT_EQ(settings.protocol, "SASL_SSL");
  EXPECT_EQ(settings.sasl->mechanism, mechanism_kind::scram_sha_512);
  EXPECT_EQ(settings.tls->ca_location, "/etc/ssl/certs/ca-certificates.crt");
}

// Secrets set everywhere, then each way to fail: none of the messages or warnings shows one.
TEST(SecurityWhole, NoSecretInAnyMessage) {
  auto with_secrets = [](properties_builder& p) -> properties_builder& {
    return p.file("sasl.password", secret)
        .file("ssl.key.password", secret)
        .file("ssl.keystore.password", secret)
        .file("ssl.truststore.password", secret)
        .file("sasl.oauthbearer.client.secret", secret)
        .file("sasl.oauthbearer.token", secret)
        .file("ssl.key.pem", secret);
  };
  std::vector<properties_builder> cases(6);
  with_secrets(cases[0]).x("security.protocol", "bogus");
  with_secrets(cases[1]).x("sasl.mechanism", "GSSAPI");
  with_secrets(cases[2])
      .x("sasl.mechanism", "PLAIN")
      .x("sasl.jaas.config", "x.PlainLoginModule required password=\"" + std::string(secret));
  with_secrets(cases[3]).x("ssl.truststore.location", "/x.jks");
  with_secrets(cases[4])
      .x("sasl.mechanism", "OAUTHBEARER")
      .x("sasl.oauthbearer.method", "oidc")
      .x("sasl.oauthbearer.token.endpoint.url", "https://i/t");
  with_secrets(cases[5]).x("sasl.mechanism", "SCRAM-SHA-256").x("sasl.password.file", "/nope");
  for (auto& properties : cases) failure(properties, true);

  properties_builder warned;
  with_secrets(warned).x("security.protocol", "PLAINTEXT");
  for (const auto& warning : resolved(warned).warnings) {
    EXPECT_FALSE(contains(warning, secret)) << warning;
  }
}

}  // namespace
}  // namespace kpipe::config
