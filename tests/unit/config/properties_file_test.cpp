// Tests of config::parse_properties, read_properties_file and add_file: Java .properties syntax
// (separators, comments, continuations, escapes, line ends), profile sections, a kcat config
// and a Java client.properties as people write them, and the sources settings get.

#include "config/properties_file.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scratch_dir.hpp"

namespace kpipe::config {
namespace {

properties_file parsed(std::string_view text) {
  auto file = parse_properties(text, "test.conf");
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  return file.ok() ? file.value() : properties_file{};
}

// The single entry of a one-entry text.
property_entry only_entry(std::string_view text) {
  auto file = parsed(text);
  EXPECT_EQ(file.entries.size(), 1u) << text;
  return file.entries.empty() ? property_entry{} : file.entries.front();
}

std::string value_of(std::string_view text) { return only_entry(text).value; }

TEST(PropertiesFile, Separators) {
  struct separator_case {
    std::string text, key, value;
  };
  const std::vector<separator_case> cases = {
      {"a=1", "a", "1"},      {"b:2", "b", "2"},           {"c 3", "c", "3"},
      {"d = 4", "d", "4"},    {"e\t:\t5", "e", "5"},       {"f  =  6", "f", "6"},
      {"g==7", "g", "=7"},    {"h = = 8", "h", "= 8"},     {"i:=9", "i", "=9"},
      {"j =:10", "j", ":10"}, {"k   11 12", "k", "11 12"}, {"l\f=13", "l", "13"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto entry = only_entry(c.text);
    EXPECT_EQ(entry.key, c.key);
    EXPECT_EQ(entry.value, c.value);
  }
}

TEST(PropertiesFile, KeyAloneMeansEmptyValue) {
  EXPECT_EQ(only_entry("lonely").key, "lonely");
  EXPECT_EQ(value_of("lonely"), "");
  EXPECT_EQ(value_of("lonely="), "");
  EXPECT_EQ(value_of("lonely :   "), "");
}

TEST(PropertiesFile, CommentsAndBlankLines) {
  auto file = parsed(
      "# a comment\n"
      "! another\n"
      "   # indented comment\n"
      "\t! indented too\n"
      "\n"
      "   \t \n"
      "a=1 # not a comment in a value\n"
      "b=x!y\n");
  ASSERT_EQ(file.entries.size(), 2u);
  EXPECT_EQ(file.entries[0].value, "1 # not a comment in a value");
  EXPECT_EQ(file.entries[1].value, "x!y");
}

TEST(PropertiesFile, LeadingBlanksAreSkipped) {
  auto entry = only_entry("   \t  client.id = loader");
  EXPECT_EQ(entry.key, "client.id");
  EXPECT_EQ(entry.value, "loader");
}

TEST(PropertiesFile, TrailingBlanksAreDroppedUnlessEscaped) {
  EXPECT_EQ(value_of("k=v   "), "v");
  EXPECT_EQ(value_of("k=v\t \t"), "v");
  EXPECT_EQ(value_of("k=v\\ "), "v ");
  EXPECT_EQ(value_of("k=v\\  "), "v ");
  // An escaped backslash before a blank does not escape the blank.
  EXPECT_EQ(value_of("k=v\\\\ "), "v\\");
}

TEST(PropertiesFile, ContinuationLines) {
  EXPECT_EQ(value_of("k=a\\\n   b"), "ab");
  EXPECT_EQ(value_of("k=one \\\n    two \\\n\tthree"), "one two three");
  EXPECT_EQ(value_of("k=a\\\r\n  b"), "ab");
  EXPECT_EQ(value_of("k=a\\\r  b"), "ab");
  // On a continuation line, '#' is text, not a comment.
  EXPECT_EQ(value_of("k=a\\\n  #b"), "a#b");
  // A backslash at the very end of the text continues into nothing.
  EXPECT_EQ(value_of("k=a\\"), "a");
  // A key can be continued too.
  auto entry = only_entry("ssl.ca.\\\n  location=/ca.pem");
  EXPECT_EQ(entry.key, "ssl.ca.location");
  EXPECT_EQ(entry.value, "/ca.pem");
}

TEST(PropertiesFile, EvenBackslashesDoNotContinue) {
  auto file = parsed("k=a\\\\\nnext=1\n");
  ASSERT_EQ(file.entries.size(), 2u);
  EXPECT_EQ(file.entries[0].value, "a\\");
  EXPECT_EQ(file.entries[1].key, "next");
}

TEST(PropertiesFile, CommentsDoNotContinue) {
  auto file = parsed("# comment ending in a backslash \\\nk=v\n");
  ASSERT_EQ(file.entries.size(), 1u);
  EXPECT_EQ(file.entries[0].key, "k");
}

TEST(PropertiesFile, ContinuationIntoABlankLineEndsTheEntry) {
  auto file = parsed("k=a\\\n\nnext=1\n");
  ASSERT_EQ(file.entries.size(), 2u);
  EXPECT_EQ(file.entries[0].value, "a");
  EXPECT_EQ(file.entries[1].key, "next");
}

TEST(PropertiesFile, Escapes) {
  EXPECT_EQ(value_of("k=\\t\\n\\r\\f"), "\t\n\r\f");
  EXPECT_EQ(value_of("k=x\\\\y"), "x\\y");
  EXPECT_EQ(value_of("k=\\q\\#\\!\\=\\:"), "q#!=:");
  EXPECT_EQ(value_of("k=caf\\u00e9"), "caf\xC3\xA9");
  EXPECT_EQ(value_of("k=\\u20AC"), "\xE2\x82\xAC");
  EXPECT_EQ(value_of("k=\\u0041\\u004a"), "AJ");
  // A surrogate pair is one code point.
  EXPECT_EQ(value_of("k=\\uD83D\\uDE00"), "\xF0\x9F\x98\x80");
}

TEST(PropertiesFile, EscapesInKeys) {
  auto entry = only_entry("a\\=b=c");
  EXPECT_EQ(entry.key, "a=b");
  EXPECT_EQ(entry.value, "c");
  entry = only_entry("a\\ b c");
  EXPECT_EQ(entry.key, "a b");
  EXPECT_EQ(entry.value, "c");
  entry = only_entry("a\\:b:c");
  EXPECT_EQ(entry.key, "a:b");
  EXPECT_EQ(entry.value, "c");
}

TEST(PropertiesFile, Utf8BytesAreKept) {
  EXPECT_EQ(value_of("client.id=k\xC3\xB6ln"), "k\xC3\xB6ln");
}

TEST(PropertiesFile, MalformedUnicodeEscapesAreErrorsWithoutTheValue) {
  for (std::string text :
       {"\n\nsasl.password=hunter2\\u12G4", "\n\nsasl.password=hunter2\\u12",
        "\n\nsasl.password=hunter2\\uD83D", "\n\nsasl.password=hunter2\\uDE00x"}) {
    SCOPED_TRACE(text);
    auto file = parse_properties(text, "/etc/kpipe.conf");
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.error().kind, error_kind::usage);
    EXPECT_NE(file.error().message.find("/etc/kpipe.conf:3"), std::string::npos)
        << file.error().message;
    EXPECT_NE(file.error().message.find("sasl.password"), std::string::npos);
    EXPECT_EQ(file.error().message.find("hunter2"), std::string::npos) << file.error().message;
  }
  auto in_key = parse_properties("bad\\uXYZW=1", "f");
  ASSERT_FALSE(in_key.ok());
  EXPECT_NE(in_key.error().message.find("f:1: in a key"), std::string::npos);
}

TEST(PropertiesFile, LineEndings) {
  for (std::string text :
       {"a=1\nb=2\nc=3", "a=1\r\nb=2\r\nc=3\r\n", "a=1\rb=2\rc=3\r", "a=1\n\rb=2\n\nc=3\n"}) {
    SCOPED_TRACE(text);
    auto file = parsed(text);
    ASSERT_EQ(file.entries.size(), 3u);
    EXPECT_EQ(file.entries[0].value, "1");
    EXPECT_EQ(file.entries[1].value, "2");
    EXPECT_EQ(file.entries[2].value, "3");
  }
}

TEST(PropertiesFile, LineNumbersAreWhereEntriesStart) {
  auto file = parsed(
      "# header\n"     // 1
      "\n"             // 2
      "a=1\n"          // 3
      "b=first \\\n"   // 4
      "  second \\\n"  // 5
      "  third\n"      // 6
      "c=3\r\n"        // 7
      "[prod]\n"       // 8
      "d=4\n");        // 9
  ASSERT_EQ(file.entries.size(), 4u);
  EXPECT_EQ(file.entries[0].line, 3);
  EXPECT_EQ(file.entries[1].line, 4);
  EXPECT_EQ(file.entries[1].value, "first second third");
  EXPECT_EQ(file.entries[2].line, 7);
  EXPECT_EQ(file.entries[3].line, 9);
}

TEST(PropertiesFile, EmptyText) {
  auto file = parsed("");
  EXPECT_TRUE(file.entries.empty());
  EXPECT_TRUE(file.sections.empty());
  EXPECT_EQ(file.path, "test.conf");
}

TEST(PropertiesFile, Sections) {
  auto file = parsed(
      "bootstrap.servers=localhost:9092\n"
      "[prod]\n"
      "bootstrap.servers=prod:9093\n"
      "[profile staging]\n"
      "bootstrap.servers=staging:9093\n"
      "  [  spaced  ]  \n"
      "client.id=x\n"
      "[prod]\n"
      "client.id=again\n"
      "[profile]\n"
      "acks=1\n");
  EXPECT_EQ(file.sections, (std::vector<std::string>{"prod", "staging", "spaced", "profile"}));
  ASSERT_EQ(file.entries.size(), 6u);
  EXPECT_EQ(file.entries[0].section, "");
  EXPECT_EQ(file.entries[1].section, "prod");
  EXPECT_EQ(file.entries[2].section, "staging");
  EXPECT_EQ(file.entries[3].section, "spaced");
  EXPECT_EQ(file.entries[4].section, "prod");
  EXPECT_EQ(file.entries[5].section, "profile");
}

TEST(PropertiesFile, EmptySectionNameIsAnError) {
  for (std::string text : {"a=1\n[]\n", "a=1\n[   ]\n", "a=1\n[profile ]\n"}) {
    SCOPED_TRACE(text);
    auto file = parse_properties(text, "p.conf");
    // "[profile ]" is the profile named "profile" (trailing blanks trimmed), so not an error.
    if (text.find("profile") != std::string::npos) {
      ASSERT_TRUE(file.ok());
      EXPECT_EQ(file->sections, std::vector<std::string>{"profile"});
      continue;
    }
    ASSERT_FALSE(file.ok());
    EXPECT_EQ(file.error().kind, error_kind::usage);
    EXPECT_NE(file.error().message.find("p.conf:2"), std::string::npos) << file.error().message;
  }
}

TEST(PropertiesFile, BracketsThatAreNoSectionAreKeys) {
  auto entry = only_entry("[notasection=1");
  EXPECT_EQ(entry.key, "[notasection");
  EXPECT_EQ(entry.value, "1");
}

// A kcat/librdkafka config file as found on people's machines.
TEST(PropertiesFile, KcatConfig) {
  auto file = parsed(
      "# ~/.config/kcat.conf\n"
      "bootstrap.servers=b-1.example.com:9096,b-2.example.com:9096\n"
      "security.protocol=SASL_SSL\n"
      "sasl.mechanisms=SCRAM-SHA-512\n"
      "sasl.username=svc-orders\n"
      "sasl.password=pa55=w:rd#1\n"
      "ssl.ca.location=/etc/ssl/certs/ca-certificates.crt\n"
      "api.version.request=true\n"
      "socket.keepalive.enable=true\n");
  ASSERT_EQ(file.entries.size(), 8u);
  EXPECT_EQ(file.entries[0].key, "bootstrap.servers");
  EXPECT_EQ(file.entries[0].value, "b-1.example.com:9096,b-2.example.com:9096");
  EXPECT_EQ(file.entries[4].value, "pa55=w:rd#1");
  EXPECT_EQ(file.entries[5].value, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(file.entries[7].line, 9);
}

// A Java client.properties with a multi-line sasl.jaas.config.
TEST(PropertiesFile, JavaClientProperties) {
  auto file = parsed(
      "# Required connection configs for Kafka producer, consumer, and admin\n"
      "bootstrap.servers=pkc-12345.us-east-1.aws.confluent.cloud:9092\n"
      "security.protocol=SASL_SSL\n"
      "sasl.mechanism=PLAIN\n"
      "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n"
      "    username='ABCDEFGH12345678' \\\n"
      "    password=\"a\\\\\\\"b\";\n"
      "\n"
      "# Best practice for higher availability in Apache Kafka clients prior to 3.0\n"
      "session.timeout.ms=45000\n"
      "client.dns.lookup=use_all_dns_ips\n"
      "acks=all\n");
  ASSERT_EQ(file.entries.size(), 7u);
  EXPECT_EQ(file.entries[3].key, "sasl.jaas.config");
  EXPECT_EQ(file.entries[3].value,
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            "username='ABCDEFGH12345678' password=\"a\\\"b\";");
  EXPECT_EQ(file.entries[3].line, 5);
  EXPECT_EQ(file.entries[4].key, "session.timeout.ms");
  EXPECT_EQ(file.entries[4].line, 10);
}

TEST(PropertiesFile, ReadsAFile) {
  testing::scratch_dir dir;
  auto path = dir.write("client.properties", "client.id=reader\n[prod]\nacks=all\n");
  auto file = read_properties_file(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->path, path);
  ASSERT_EQ(file->entries.size(), 2u);
  EXPECT_EQ(file->entries[0].value, "reader");
  EXPECT_EQ(file->sections, std::vector<std::string>{"prod"});
}

TEST(PropertiesFile, UnreadableFileIsAUsageErrorNamingIt) {
  testing::scratch_dir dir;
  auto missing = read_properties_file(dir.path("nope.conf"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, error_kind::usage);
  EXPECT_NE(missing.error().message.find(dir.path("nope.conf")), std::string::npos);
}

TEST(PropertiesFile, AddFileSetsTopLevelAtFileOrigin) {
  auto file = parse_properties("client.id=x\n\nacks=1\n[prod]\nacks=all\n", "/etc/kpipe.conf");
  ASSERT_TRUE(file.ok());
  layered_properties properties;
  ASSERT_TRUE(add_file(properties, *file, std::nullopt).ok());
  ASSERT_EQ(properties.all().size(), 2u);
  const auto* acks = properties.find("acks");
  ASSERT_NE(acks, nullptr);
  EXPECT_EQ(acks->value, "1");
  EXPECT_EQ(acks->from.kind, origin::file);
  EXPECT_EQ(acks->from.where, "/etc/kpipe.conf:3");
}

TEST(PropertiesFile, AddFileWithProfileLayersTheSectionAbove) {
  auto file = parse_properties(
      "bootstrap.servers=localhost:9092\n"
      "acks=1\n"
      "[prod]\n"
      "bootstrap.servers=prod:9093\n"
      "[staging]\n"
      "bootstrap.servers=staging:9093\n"
      "linger.ms=7\n",
      "/home/u/.config/kpipe/config");
  ASSERT_TRUE(file.ok());
  layered_properties properties;
  ASSERT_TRUE(add_file(properties, *file, std::string("prod")).ok());
  const auto* servers = properties.find("bootstrap.servers");
  ASSERT_NE(servers, nullptr);
  EXPECT_EQ(servers->value, "prod:9093");
  EXPECT_EQ(servers->from.kind, origin::profile);
  EXPECT_EQ(servers->from.where, "profile prod (/home/u/.config/kpipe/config:4)");
  EXPECT_EQ(properties.value("acks"), "1");
  EXPECT_EQ(properties.find("linger.ms"), nullptr);  // another profile's

  // -X still beats the profile.
  properties.set("bootstrap.servers", "x:1", source{origin::property, "-X"});
  EXPECT_EQ(properties.value("bootstrap.servers"), "x:1");
}

TEST(PropertiesFile, ProfileBeatsAnotherFilesTopLevel) {
  auto first = parse_properties("[prod]\nacks=all\n", "a.conf");
  auto second = parse_properties("acks=0\n", "b.conf");
  ASSERT_TRUE(first.ok() && second.ok());
  layered_properties properties;
  ASSERT_TRUE(add_file(properties, *first, std::string("prod")).ok());
  ASSERT_TRUE(add_file(properties, *second, std::nullopt).ok());
  EXPECT_EQ(properties.value("acks"), "all");
}

TEST(PropertiesFile, MissingProfileListsTheProfilesAndAddsNothing) {
  auto file = parse_properties("acks=1\n[prod]\nacks=all\n[staging]\nacks=0\n", "/etc/k.conf");
  ASSERT_TRUE(file.ok());
  layered_properties properties;
  auto added = add_file(properties, *file, std::string("qa"));
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().kind, error_kind::usage);
  EXPECT_EQ(added.error().message, "profile 'qa' not found in /etc/k.conf; it has: prod, staging");
  EXPECT_TRUE(properties.all().empty());
}

TEST(PropertiesFile, MissingProfileInAFileWithoutProfiles) {
  auto file = parse_properties("acks=1\n", "/etc/k.conf");
  ASSERT_TRUE(file.ok());
  layered_properties properties;
  auto added = add_file(properties, *file, std::string("prod"));
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message.find("profile 'prod' not found"), std::string::npos);
  EXPECT_NE(added.error().message.find("/etc/k.conf has no profiles"), std::string::npos);
}

TEST(PropertiesFile, LaterEntryWinsWithinAFile) {
  auto file = parse_properties("acks=1\nacks=all\n", "f");
  ASSERT_TRUE(file.ok());
  layered_properties properties;
  ASSERT_TRUE(add_file(properties, *file, std::nullopt).ok());
  EXPECT_EQ(properties.value("acks"), "all");
  EXPECT_EQ(properties.find("acks")->from.where, "f:2");
}

}  // namespace
}  // namespace kpipe::config
