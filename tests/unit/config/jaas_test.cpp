// Tests of config::parse_jaas_config and masked_jaas_config: the login module entries Kafka
// clients use (PLAIN, SCRAM, OAUTHBEARER), quoting and escapes, and errors that name positions
// but never a value.

#include "config/jaas.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kpipe::config {
namespace {

jaas_config parsed(std::string_view text) {
  auto config = parse_jaas_config(text);
  EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().message);
  return config.ok() ? config.value() : jaas_config{};
}

TEST(Jaas, Plain) {
  auto config = parsed(
      "org.apache.kafka.common.security.plain.PlainLoginModule required "
      "username=\"alice\" password=\"alice-secret\";");
  EXPECT_EQ(config.login_module, "org.apache.kafka.common.security.plain.PlainLoginModule");
  EXPECT_EQ(config.module_class(), "PlainLoginModule");
  EXPECT_EQ(config.flag, jaas_control_flag::required);
  ASSERT_EQ(config.options.size(), 2u);
  EXPECT_EQ(config.options[0].first, "username");
  ASSERT_NE(config.option("username"), nullptr);
  EXPECT_EQ(*config.option("username"), "alice");
  EXPECT_EQ(*config.option("password"), "alice-secret");
  EXPECT_EQ(config.option("nope"), nullptr);
}

TEST(Jaas, Scram) {
  auto config = parsed(
      "org.apache.kafka.common.security.scram.ScramLoginModule required\n"
      "    username=\"svc\"\n"
      "    password=\"p@ss w0rd;=\";\n");
  EXPECT_EQ(config.module_class(), "ScramLoginModule");
  EXPECT_EQ(*config.option("password"), "p@ss w0rd;=");
}

TEST(Jaas, OAuthBearer) {
  auto config = parsed(
      "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
      "clientId=\"kpipe\" clientSecret=\"s3cr3t\" scope=\"kafka\" extension_logicalCluster=lkc-1 "
      "unsecuredLoginStringClaim_sub=\"admin\";");
  EXPECT_EQ(config.module_class(), "OAuthBearerLoginModule");
  EXPECT_EQ(*config.option("clientId"), "kpipe");
  EXPECT_EQ(*config.option("extension_logicalCluster"), "lkc-1");
  EXPECT_EQ(*config.option("unsecuredLoginStringClaim_sub"), "admin");
}

TEST(Jaas, ControlFlagsAnyCase) {
  struct flag_case {
    std::string word;
    jaas_control_flag flag;
  };
  for (const auto& c : std::vector<flag_case>{{"required", jaas_control_flag::required},
                                              {"REQUIRED", jaas_control_flag::required},
                                              {"requisite", jaas_control_flag::requisite},
                                              {"Sufficient", jaas_control_flag::sufficient},
                                              {"optional", jaas_control_flag::optional}}) {
    SCOPED_TRACE(c.word);
    EXPECT_EQ(parsed("M " + c.word + ";").flag, c.flag);
  }
}

TEST(Jaas, QuotingAndEscapes) {
  auto config = parsed(
      "M required a=\"with \\\"quotes\\\" and \\\\ backslash\" b='single \"quoted\"' "
      "c=unquoted-word d=\"\" e=\"tab\\there\" f=x=y;");
  EXPECT_EQ(*config.option("a"), "with \"quotes\" and \\ backslash");
  EXPECT_EQ(*config.option("b"), "single \"quoted\"");
  EXPECT_EQ(*config.option("c"), "unquoted-word");
  EXPECT_EQ(*config.option("d"), "");
  EXPECT_EQ(*config.option("e"), "tab\there");
  EXPECT_EQ(*config.option("f"), "x=y");
}

TEST(Jaas, BlanksAroundEqualsAndNoOptions) {
  auto config = parsed("  M   required   user =  \"u\"   ;   ");
  EXPECT_EQ(*config.option("user"), "u");
  EXPECT_TRUE(parsed("M required;").options.empty());
}

TEST(Jaas, FinalSemicolonMayBeLeftOut) {
  EXPECT_EQ(*parsed("M required username=\"u\"").option("username"), "u");
  EXPECT_EQ(*parsed("M required username=u").option("username"), "u");
}

TEST(Jaas, RepeatedOptionLastWins) { EXPECT_EQ(*parsed("M required a=1 a=2;").option("a"), "2"); }

struct error_case {
  std::string text;
  std::string message;  // the whole message
};

TEST(Jaas, ErrorsNamePositions) {
  const std::vector<error_case> cases = {
      {"", "sasl.jaas.config: is empty; expected a login module class at position 1"},
      {"   ", "sasl.jaas.config: is empty; expected a login module class at position 4"},
      {"\"M\" required;", "sasl.jaas.config: expected a login module class name at position 1"},
      {"M",
       "sasl.jaas.config: expected a control flag (required, requisite, sufficient or "
       "optional) after the login module at position 2"},
      {"M mandatory;",
       "sasl.jaas.config: expected a control flag (required, requisite, "
       "sufficient or optional) after the login module at position 3"},
      {"M required username;",
       "sasl.jaas.config: expected '=' after option 'username' at "
       "position 20"},
      {"M required username=;", "sasl.jaas.config: option 'username' has no value at position 21"},
      {"M required username=", "sasl.jaas.config: option 'username' has no value at position 21"},
      {"M required =x;", "sasl.jaas.config: expected an option name or ';' at position 12"},
      {"M required a=1; N required b=2;",
       "sasl.jaas.config: holds more than one login module; Kafka clients take exactly one at "
       "position 17"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto config = parse_jaas_config(c.text);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().kind, error_kind::usage);
    EXPECT_EQ(config.error().message, c.message);
  }
}

// Whatever is wrong, the value of a password never shows up in the message.
TEST(Jaas, ErrorsNeverEchoValues) {
  const std::vector<std::string> texts = {
      "M required username=\"alice\" password=\"hunter2-secret",
      "M required password='hunter2-secret",
      "M required password=hunter2-secret; extra",
      "M hunter2-secret=x;",
      "M required username=\"alice\" password=\"hunter2-secret\" broken",
      "M required password=\"hunter2-secret\" =",
      "password=\"hunter2-secret\"",
      "hunter2-secret required;x",
  };
  for (const auto& text : texts) {
    SCOPED_TRACE(text);
    auto config = parse_jaas_config(text);
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().message.find("hunter2"), std::string::npos) << config.error().message;
    EXPECT_EQ(masked_jaas_config(text).find("hunter2"), std::string::npos)
        << masked_jaas_config(text);
  }
}

TEST(Jaas, UnclosedQuoteNamesTheOption) {
  auto config = parse_jaas_config("M required username=\"alice\" password=\"hunter2");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "sasl.jaas.config: the quoted value of option 'password' is not closed at position 38");
}

TEST(Jaas, SecretOptions) {
  for (auto name : {"password", "clientSecret", "token", "PASSWORD", "sasl.password",
                    "credentialsFile.secret", "passphrase"}) {
    EXPECT_TRUE(is_secret_jaas_option(name)) << name;
  }
  for (auto name : {"username", "clientId", "scope", "unsecuredLoginStringClaim_sub",
                    "extension_logicalCluster"}) {
    EXPECT_FALSE(is_secret_jaas_option(name)) << name;
  }
}

TEST(Jaas, MaskedKeepsModuleAndNonSecretOptions) {
  EXPECT_EQ(masked_jaas_config("org.apache.kafka.common.security.plain.PlainLoginModule required "
                               "username=\"alice\" password=\"alice-secret\";"),
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            "username=\"alice\" password=\"********\";");
  EXPECT_EQ(masked_jaas_config("x.OAuthBearerLoginModule optional clientId=id clientSecret='s' "
                               "scope=\"a \\\"b\\\"\""),
            "x.OAuthBearerLoginModule optional clientId=\"id\" clientSecret=\"********\" "
            "scope=\"a \\\"b\\\"\";");
}

TEST(Jaas, MaskedUnparsableShowsOnlyAClassName) {
  EXPECT_EQ(masked_jaas_config("org.example.LoginModule required password=\"abc"),
            "org.example.LoginModule ********");
  EXPECT_EQ(masked_jaas_config("password=\"abc"), "********");
  EXPECT_EQ(masked_jaas_config("abc required password=\"abc"), "********");
}

}  // namespace
}  // namespace kpipe::config
