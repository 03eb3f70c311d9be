// Tests of net::parse_broker_address, net::parse_broker_list and broker_address::to_string.

#include "net/broker_address.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::net {
namespace {

const std::string k_bad_port = "port must be a number from 1 to 65535";
const std::string k_needs_brackets = "an IPv6 address needs brackets, e.g. [::1]:9092";

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

struct valid_case {
  std::string input;
  std::string host;
  std::uint16_t port;
  std::string canonical;  // to_string()
};

const std::vector<valid_case>& valid_cases() {
  static const std::vector<valid_case> cases = {
      {"localhost:9092", "localhost", 9092, "localhost:9092"},
      {"kafka-1.example.com:19092", "kafka-1.example.com", 19092, "kafka-1.example.com:19092"},
      {"localhost", "localhost", 9092, "localhost:9092"},
      {"10.0.0.1", "10.0.0.1", 9092, "10.0.0.1:9092"},
      {"10.0.0.1:1", "10.0.0.1", 1, "10.0.0.1:1"},
      {"h:65535", "h", 65535, "h:65535"},
      {"h:00080", "h", 80, "h:80"},
      {"[::1]:9093", "::1", 9093, "[::1]:9093"},
      {"[::1]", "::1", 9092, "[::1]:9092"},
      {"[2001:db8::17]:29092", "2001:db8::17", 29092, "[2001:db8::17]:29092"},
      {"[fe80::1%eth0]:9092", "fe80::1%eth0", 9092, "[fe80::1%eth0]:9092"},
      {"PLAINTEXT://broker:9092", "broker", 9092, "broker:9092"},
      {"SASL_SSL://[::1]:9094", "::1", 9094, "[::1]:9094"},
      {"SSL://broker", "broker", 9092, "broker:9092"},
      {"  host:1  ", "host", 1, "host:1"},
      {"\thost\t", "host", 9092, "host:9092"},
      {" PLAINTEXT://host:2 ", "host", 2, "host:2"},
  };
  return cases;
}

TEST(BrokerAddress, ParsesValidAddresses) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.input);
    auto parsed = parse_broker_address(c.input);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->host, c.host);
    EXPECT_EQ(parsed->port, c.port);
    EXPECT_EQ(parsed->to_string(), c.canonical);
  }
}

TEST(BrokerAddress, ToStringRoundTrips) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.input);
    auto parsed = parse_broker_address(c.input);
    ASSERT_TRUE(parsed.ok());
    auto again = parse_broker_address(parsed->to_string());
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again.value(), parsed.value());
    EXPECT_EQ(again->to_string(), parsed->to_string());
  }
  EXPECT_EQ((broker_address{"::1", 9092}).to_string(), "[::1]:9092");
  EXPECT_EQ((broker_address{"b", 1}).to_string(), "b:1");
  EXPECT_EQ(broker_address{"b"}.port, 9092);
}

TEST(BrokerAddress, RejectsInvalidAddresses) {
  struct row {
    std::string input;
    std::string message;
  };
  for (const auto& [input, message] : std::vector<row>{
           {"", "invalid broker address '': empty"},
           {"   ", "invalid broker address '': empty"},
           {"::1", "invalid broker address '::1': " + k_needs_brackets},
           {"fe80::1:9092", "invalid broker address 'fe80::1:9092': " + k_needs_brackets},
           {" 2001:db8::1 ", "invalid broker address '2001:db8::1': " + k_needs_brackets},
           {"host:0", "invalid broker address 'host:0': " + k_bad_port},
           {"host:65536", "invalid broker address 'host:65536': " + k_bad_port},
           {"host:99999999999999999999",
            "invalid broker address 'host:99999999999999999999': " + k_bad_port},
           {"host:abc", "invalid broker address 'host:abc': " + k_bad_port},
           {"host:-1", "invalid broker address 'host:-1': " + k_bad_port},
           {"host:+1", "invalid broker address 'host:+1': " + k_bad_port},
           {"host:9092x", "invalid broker address 'host:9092x': " + k_bad_port},
           {"host: 9092", "invalid broker address 'host: 9092': " + k_bad_port},
           {"[::1]:0", "invalid broker address '[::1]:0': " + k_bad_port},
           {"[::1]:65536", "invalid broker address '[::1]:65536': " + k_bad_port},
           {":9092", "invalid broker address ':9092': no host"},
           {"[]:9092", "invalid broker address '[]:9092': no host"},
           {"[::1", "invalid broker address '[::1': missing ']'"},
           {"[::1]9092", "invalid broker address '[::1]9092': expected ':' after ']'"},
       }) {
    SCOPED_TRACE(input);
    auto parsed = parse_broker_address(input);
    ASSERT_FALSE(parsed.ok()) << parsed->to_string();
    EXPECT_EQ(parsed.error().kind, error_kind::usage);
    EXPECT_EQ(parsed.error().message, message);
  }
}

TEST(BrokerAddress, RejectsBadPortAfterListenerPrefix) {
  for (std::string_view input : {"PLAINTEXT://host:0", "SSL://host:65536", "SASL_SSL://host:x"}) {
    SCOPED_TRACE(input);
    auto parsed = parse_broker_address(input);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, error_kind::usage);
    // Names the input as the user typed it, and the reason.
    EXPECT_TRUE(contains(parsed.error().message, "'" + std::string(input) + "'"))
        << parsed.error().message;
    EXPECT_TRUE(contains(parsed.error().message, k_bad_port)) << parsed.error().message;
  }
}

TEST(BrokerAddress, ListenerPrefixWithoutAddressIsRejected) {
  // The argument is a view into a longer string, so the byte just past it is the '[' of the
  // next address; nothing past the end of the view may be read (an empty view after the prefix
  // once read that '[' and reported "missing ']'").
  const std::string line = "PLAINTEXT://[::1]:9092";
  const std::string_view prefix_only = std::string_view(line).substr(0, 12);
  ASSERT_EQ(prefix_only, "PLAINTEXT://");
  auto parsed = parse_broker_address(prefix_only);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, error_kind::usage);
  EXPECT_FALSE(contains(parsed.error().message, "]")) << parsed.error().message;
  EXPECT_TRUE(contains(parsed.error().message, "no host")) << parsed.error().message;
}

TEST(BrokerList, ParsesLists) {
  struct row {
    std::string input;
    std::vector<broker_address> expected;
  };
  for (const auto& [input, expected] : std::vector<row>{
           {"a:1", {{"a", 1}}},
           {"a:1,b:2", {{"a", 1}, {"b", 2}}},
           {" a:1 , b , [::1]:3 ", {{"a", 1}, {"b", 9092}, {"::1", 3}}},
           {"a:1,,b:2,", {{"a", 1}, {"b", 2}}},
           {",a:1", {{"a", 1}}},
           {" , a , ", {{"a", 9092}}},
           {"PLAINTEXT://a:1,SSL://[::2]", {{"a", 1}, {"::2", 9092}}},
           {"a:1,a:1", {{"a", 1}, {"a", 1}}},
       }) {
    SCOPED_TRACE(input);
    auto parsed = parse_broker_list(input);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed.value(), expected);
  }
}

TEST(BrokerList, RejectsBadLists) {
  struct row {
    std::string input;
    std::string message;
  };
  for (const auto& [input, message] : std::vector<row>{
           {"", "no broker address given"},
           {" , ,, ", "no broker address given"},
           {",", "no broker address given"},
           {"a:1,b:0", "invalid broker address 'b:0': " + k_bad_port},
           {"a:1, ::1 ,b", "invalid broker address '::1': " + k_needs_brackets},
           {"x:y,a:1", "invalid broker address 'x:y': " + k_bad_port},
       }) {
    SCOPED_TRACE(input);
    auto parsed = parse_broker_list(input);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, error_kind::usage);
    EXPECT_EQ(parsed.error().message, message);
  }
}

TEST(BrokerAddress, EmptyPortIsRejected) {
  for (std::string_view text : {"host:", "[::1]:", "PLAINTEXT://host:"}) {
    auto parsed = parse_broker_address(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_TRUE(contains(parsed.error().message, "no port")) << parsed.error().message;
    EXPECT_TRUE(contains(parsed.error().message, std::string(text))) << parsed.error().message;
  }
}

}  // namespace
}  // namespace kpipe::net
