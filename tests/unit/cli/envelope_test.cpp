// The JSON envelope (consume -J, produce -J): exact lines for each encoding, the reader's rules
// and error messages, reuse of the reader's storage, and the byte-exact round trip on 20,000
// random records (invalid UTF-8, NUL, empty vs null, U+2028, surrogate escapes), each line also
// checked by nlohmann::json and re-read after nlohmann re-escapes it as pure ASCII.

#include "format/envelope.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpipe::cli {
namespace {

using bytes = std::span<const std::uint8_t>;

bytes as_bytes(std::string_view s) {
  return bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string json_of(std::optional<std::string_view> b, byte_encoding e) {
  std::string out;
  if (b) {
    append_json_bytes(out, as_bytes(*b), e);
  } else {
    append_json_bytes(out, std::nullopt, e);
  }
  return out;
}

std::string envelope_of(const record_view& r, const envelope_options& o = {}) {
  std::string out;
  append_envelope(out, r, o);
  return out;
}

parsed_envelope parse_ok(std::string_view line) {
  parsed_envelope p;
  auto s = parse_envelope(line, p);
  EXPECT_TRUE(s.ok()) << line << "\n" << (s.ok() ? "" : s.error().message);
  return p;
}

std::string parse_error(std::string_view line) {
  parsed_envelope p;
  auto s = parse_envelope(line, p);
  if (s.ok()) return "(no error)";
  EXPECT_EQ(s.error().kind, error_kind::protocol);
  return s.error().message;
}

// ---- writing -----------------------------------------------------------------------------------

TEST(Envelope, WritesTheDocumentedLine) {
  const std::string trace = "abc";
  std::vector<record::record_header> headers = {{"trace", as_bytes(trace)},
                                                {"empty", std::nullopt}};
  record_view r;
  r.topic = "t";
  r.partition = 0;
  r.offset = 42;
  r.timestamp = 1763769600000;
  r.key = as_bytes("k1");
  r.value = as_bytes("hello");
  r.headers = headers;
  r.leader_epoch = 3;
  EXPECT_EQ(envelope_of(r), R"({"topic":"t","partition":0,"offset":42,"timestamp":1763769600000,)"
                            R"("timestamp_type":"create","key":"k1","value":"hello",)"
                            R"("headers":[["trace","abc"],["empty",null]],"leader_epoch":3})"
                            "\n");
}

TEST(Envelope, NullsLogAppendTimeAndNoHeaders) {
  record_view r;
  r.topic = "orders";
  r.partition = 2147483647;
  r.offset = std::numeric_limits<std::int64_t>::max();
  r.timestamp = -1;
  r.timestamp_type = record::timestamp_type::log_append_time;
  EXPECT_EQ(envelope_of(r),
            R"({"topic":"orders","partition":2147483647,"offset":9223372036854775807,)"
            R"("timestamp":-1,"timestamp_type":"log_append","key":null,"value":null,)"
            R"("headers":[],"leader_epoch":null})"
            "\n");
  // Empty is not null.
  r.key = as_bytes("");
  r.value = as_bytes("");
  EXPECT_NE(envelope_of(r).find(R"("key":"","value":"")"), std::string::npos);
}

TEST(Envelope, AutomaticIsAStringForUtf8AndBase64Otherwise) {
  EXPECT_EQ(json_of("hello", byte_encoding::automatic), R"("hello")");
  EXPECT_EQ(json_of(std::nullopt, byte_encoding::automatic), "null");
  EXPECT_EQ(json_of("", byte_encoding::automatic), R"("")");
  // Quotes, backslashes and control characters escaped; DEL, U+00E9, U+2028 and U+1F600 raw.
  EXPECT_EQ(
      json_of(std::string_view("a\"b\\c\n\r\t\b\f\x01\x1f\0\x7f", 14), byte_encoding::automatic),
      R"("a\"b\\c\n\r\t\b\f\u0001\u001f\u0000)"
      "\x7f\"");
  EXPECT_EQ(json_of("\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80", byte_encoding::automatic),
            "\"\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\"");
  // Not UTF-8: a lone continuation byte, an overlong '/', an encoded surrogate, > U+10FFFF,
  // a truncated sequence.
  EXPECT_EQ(json_of("\xff", byte_encoding::automatic), R"({"base64":"/w=="})");
  EXPECT_EQ(json_of("ab\x80", byte_encoding::automatic), R"({"base64":"YWKA"})");
  EXPECT_EQ(json_of("\xc0\xaf", byte_encoding::automatic), R"({"base64":"wK8="})");
  EXPECT_EQ(json_of("\xed\xa0\x80", byte_encoding::automatic), R"({"base64":"7aCA"})");
  EXPECT_EQ(json_of("\xf4\x90\x80\x80", byte_encoding::automatic), R"({"base64":"9JCAgA=="})");
  EXPECT_EQ(json_of("\xe2\x82", byte_encoding::automatic), R"({"base64":"4oI="})");
  // Invalid UTF-8 after a long plain ASCII run (the eight-byte fast path) is still found.
  EXPECT_EQ(json_of("0123456789abcdef\xff", byte_encoding::automatic),
            R"({"base64":"MDEyMzQ1Njc4OWFiY2RlZv8="})");
}

TEST(Envelope, ForcedEncodings) {
  EXPECT_EQ(json_of("hi", byte_encoding::base64), R"({"base64":"aGk="})");
  EXPECT_EQ(json_of("", byte_encoding::base64), R"({"base64":""})");
  EXPECT_EQ(json_of(std::string_view("\x00\xff\x10", 3), byte_encoding::hex),
            R"({"hex":"00ff10"})");
  EXPECT_EQ(json_of(std::nullopt, byte_encoding::hex), "null");
  // text: always a string; what is not UTF-8 becomes U+FFFD, one per byte.
  EXPECT_EQ(json_of("a\xff\xfe"
                    "b",
                    byte_encoding::text),
            "\"a\xef\xbf\xbd\xef\xbf\xbd"
            "b\"");
  EXPECT_EQ(json_of("\xc3\xa9", byte_encoding::text), "\"\xc3\xa9\"");
}

TEST(Envelope, JsonEncodingEmbedsCompactly) {
  auto j = [](std::string_view s) { return json_of(s, byte_encoding::json); };
  EXPECT_EQ(j(R"({"a": 1, "b": [true, false, null, "x y"]})"),
            R"({"a":1,"b":[true,false,null,"x y"]})");
  EXPECT_EQ(j(" {\n  \"a\" :\t-0.5e+3 }\r\n"), R"({"a":-0.5e+3})");
  EXPECT_EQ(j("[]"), "[]");
  EXPECT_EQ(j("{}"), "{}");
  EXPECT_EQ(j("42"), "42");
  EXPECT_EQ(j("true"), "true");
  // Escapes inside strings are kept as written.
  EXPECT_EQ(j(R"(["\u00e9\n", "\ud83d\ude00"])"), R"(["\u00e9\n","\ud83d\ude00"])");
  // What would read back differently falls back to automatic.
  EXPECT_EQ(j(R"("quoted")"), R"("\"quoted\"")");
  EXPECT_EQ(j("null"), R"("null")");
  EXPECT_EQ(j(R"({"base64":"QQ=="})"), R"("{\"base64\":\"QQ==\"}")");
  EXPECT_EQ(j(R"({ "b\u0061se64" : 5 })"), R"("{ \"b\\u0061se64\" : 5 }")");
  EXPECT_EQ(j(R"({"hex":"41"})"), R"("{\"hex\":\"41\"}")");
  EXPECT_EQ(j(R"({"base64":"QQ==","more":1})"), R"({"base64":"QQ==","more":1})");
  // Not JSON: a string, or base64 when not UTF-8.
  EXPECT_EQ(j("{a:1}"), R"("{a:1}")");
  EXPECT_EQ(j("01"), R"("01")");
  EXPECT_EQ(j("[1,]"), R"("[1,]")");
  EXPECT_EQ(j("1 2"), R"("1 2")");
  EXPECT_EQ(j(""), R"("")");
  EXPECT_EQ(j(R"(["\ud800"])"), R"("[\"\\ud800\"]")");
  EXPECT_EQ(j("[\"\xff\"]"), R"({"base64":"WyL/Il0="})");
  EXPECT_EQ(j(std::string(256, '[') + std::string(256, ']')),
            std::string(256, '[') + std::string(256, ']'));
  const std::string too_deep = std::string(257, '[') + std::string(257, ']');
  EXPECT_EQ(j(too_deep), '"' + too_deep + '"');
  EXPECT_EQ(json_of(std::nullopt, byte_encoding::json), "null");
}

TEST(Envelope, HeaderNamesAndValues) {
  const std::string bin("\xff\x00", 2);
  std::vector<record::record_header> headers = {{"dup", as_bytes("1")},
                                                {"dup", as_bytes("")},
                                                {std::string_view("\xfe", 1), as_bytes(bin)},
                                                {"n", std::nullopt}};
  record_view r;
  r.topic = "t";
  r.value = as_bytes("v");
  r.headers = headers;
  std::string line = envelope_of(r);
  EXPECT_NE(
      line.find(
          R"("headers":[["dup","1"],["dup",""],[{"base64":"/g=="},{"base64":"/wA="}],["n",null]])"),
      std::string::npos)
      << line;
  // header_encoding applies to values only.
  envelope_options o;
  o.header_encoding = byte_encoding::hex;
  o.value_encoding = byte_encoding::base64;
  line = envelope_of(r, o);
  EXPECT_NE(
      line.find(
          R"("value":{"base64":"dg=="},"headers":[["dup",{"hex":"31"}],["dup",{"hex":""}],[{"base64":"/g=="},{"hex":"ff00"}],["n",null]])"),
      std::string::npos)
      << line;
}

TEST(Envelope, AppendsToWhatIsThere) {
  record_view r;
  r.topic = "t";
  std::string out = "prefix\n";
  append_envelope(out, r, {});
  append_envelope(out, r, {});
  EXPECT_EQ(out.rfind("prefix\n{\"topic\":\"t\"", 0), 0u);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(Envelope, EncodingWords) {
  EXPECT_EQ(parse_byte_encoding("text").value(), byte_encoding::text);
  EXPECT_EQ(parse_byte_encoding("hex").value(), byte_encoding::hex);
  EXPECT_EQ(parse_byte_encoding("base64").value(), byte_encoding::base64);
  EXPECT_EQ(parse_byte_encoding("json").value(), byte_encoding::json);
  EXPECT_EQ(parse_byte_encoding("auto").value(), byte_encoding::automatic);
  for (auto e : {byte_encoding::text, byte_encoding::hex, byte_encoding::base64,
                 byte_encoding::json, byte_encoding::automatic})
    EXPECT_EQ(parse_byte_encoding(byte_encoding_name(e)).value(), e);
  auto bad = parse_byte_encoding("Base64");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, error_kind::usage);
  EXPECT_EQ(bad.error().message,
            R"(unknown encoding "Base64" (expected text, hex, base64, json or auto))");
}

// ---- reading -----------------------------------------------------------------------------------

TEST(EnvelopeParse, ReadsTheDocumentedLine) {
  auto p = parse_ok(
      R"({"topic":"t","partition":0,"offset":42,"timestamp":1763769600000,"timestamp_type":"create",)"
      R"( "key":"k1","value":"hello","headers":[["trace","abc"],["empty",null]],"leader_epoch":3})");
  EXPECT_EQ(p.topic, "t");
  EXPECT_EQ(p.partition, 0);
  EXPECT_EQ(p.offset, 42);
  EXPECT_EQ(p.timestamp, 1763769600000);
  EXPECT_EQ(p.timestamp_type, record::timestamp_type::create_time);
  EXPECT_EQ(p.key, "k1");
  EXPECT_EQ(p.value, "hello");
  ASSERT_EQ(p.headers.size(), 2u);
  EXPECT_EQ(p.headers[0].first, "trace");
  EXPECT_EQ(p.headers[0].second, "abc");
  EXPECT_EQ(p.headers[1].first, "empty");
  EXPECT_EQ(p.headers[1].second, std::nullopt);
  EXPECT_EQ(p.leader_epoch, 3);
}

TEST(EnvelopeParse, MinimalAnyOrderWhitespaceAndNulls) {
  auto p = parse_ok(R"({"value":"x"})");
  EXPECT_EQ(p.value, "x");
  EXPECT_FALSE(p.topic || p.partition || p.timestamp || p.key || p.offset || p.leader_epoch ||
               p.timestamp_type);
  EXPECT_TRUE(p.headers.empty());

  p = parse_ok(
      " \t{ \"headers\" : [ [ \"a\" , \"b\" ] ] , \"value\" : null ,\n"
      "\"timestamp_type\":\"log_append\", \"key\" : \"\" , \"partition\":null}\r");
  EXPECT_EQ(p.value, std::nullopt);
  EXPECT_EQ(p.key, "");
  EXPECT_EQ(p.partition, std::nullopt);
  EXPECT_EQ(p.timestamp_type, record::timestamp_type::log_append_time);
  ASSERT_EQ(p.headers.size(), 1u);
  EXPECT_EQ(p.headers[0].first, "a");
  EXPECT_EQ(p.headers[0].second, "b");

  // Escaped member names are names.
  p = parse_ok(R"({"v\u0061lue":"y","timestamp_type":"l\u006fg_append"})");
  EXPECT_EQ(p.value, "y");
  EXPECT_EQ(p.timestamp_type, record::timestamp_type::log_append_time);
}

TEST(EnvelopeParse, BytesForms) {
  auto value_of = [](std::string_view json) {
    auto p = parse_ok(R"({"value":)" + std::string(json) + "}");
    return p.value;
  };
  EXPECT_EQ(value_of(R"("a\"\\\/\b\f\n\r\t\u0000\u00e9\u2028\ud83d\ude00")"),
            std::string("a\"\\/\b\f\n\r\t\0\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80", 19));
  EXPECT_EQ(value_of(R"({"base64":"/w=="})"), "\xff");
  EXPECT_EQ(value_of(R"({"base64":"/w"})"), "\xff");       // padding optional
  EXPECT_EQ(value_of(R"({"base64":"-_8"})"), "\xfb\xff");  // URL-safe alphabet
  EXPECT_EQ(value_of(R"({"base64":""})"), "");
  EXPECT_EQ(value_of(R"({ "base64" : "aGk\u003d" })"), "hi");
  EXPECT_EQ(value_of(R"({"hex":"00fFaB"})"), std::string("\x00\xff\xab", 3));
  EXPECT_EQ(value_of(R"({"hex":""})"), "");
  // Other JSON values: their compact text.
  EXPECT_EQ(value_of(R"({ "a" : [1, 2.5e3, {"b": null}] })"), R"({"a":[1,2.5e3,{"b":null}]})");
  EXPECT_EQ(value_of(R"({"base64":"QQ==", "more":true})"), R"({"base64":"QQ==","more":true})");
  EXPECT_EQ(value_of("[ ]"), "[]");
  EXPECT_EQ(value_of("-12"), "-12");
  EXPECT_EQ(value_of("false"), "false");
  EXPECT_EQ(value_of(R"(["\ud83d\ude00"])"), R"(["\ud83d\ude00"])");
}

TEST(EnvelopeParse, ReusesStorageAndClearsWhatIsAbsent) {
  parsed_envelope p;
  ASSERT_TRUE(parse_envelope(R"({"topic":"a","partition":1,"key":"k","value":"v","timestamp":5,)"
                             R"("headers":[["x","1"],["y",null],["z","3"]],"leader_epoch":2,)"
                             R"("offset":9,"timestamp_type":"create"})",
                             p)
                  .ok());
  ASSERT_EQ(p.headers.size(), 3u);
  ASSERT_TRUE(parse_envelope(R"({"value":null,"headers":[["q",""]]})", p).ok());
  EXPECT_FALSE(p.topic || p.partition || p.timestamp || p.key || p.value || p.offset ||
               p.leader_epoch || p.timestamp_type);
  ASSERT_EQ(p.headers.size(), 1u);
  EXPECT_EQ(p.headers[0].first, "q");
  EXPECT_EQ(p.headers[0].second, "");
  ASSERT_TRUE(parse_envelope(R"({"value":"w"})", p).ok());
  EXPECT_TRUE(p.headers.empty());
  EXPECT_EQ(p.value, "w");
}

TEST(EnvelopeParse, ErrorMessages) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"", "not a JSON object"},
      {"[1]", "not a JSON object"},
      {R"("value")", "not a JSON object"},
      {"{}", R"(missing key "value" (null for a tombstone))"},
      {R"({"key":"k"})", R"(missing key "value" (null for a tombstone))"},
      {R"({"payload":"x"})",
       R"(unknown key "payload" (known: topic, partition, offset, timestamp, timestamp_type, key, value, headers, leader_epoch))"},
      {R"({"value":"a","value":"b"})", R"(duplicate key "value")"},
      {R"({"value":"a","partition":"x"})", R"(partition: expected an integer, got "x")"},
      {R"({"value":"a","partition":1.5})", "partition: expected an integer, got 1.5"},
      {R"({"value":"a","partition":1e2})", "partition: expected an integer, got 1e2"},
      {R"({"value":"a","partition":-1})", "partition: -1 is out of range (0 to 2147483647)"},
      {R"({"value":"a","partition":2147483648})",
       "partition: 2147483648 is out of range (0 to 2147483647)"},
      {R"({"value":"a","partition":[1]})", "partition: expected an integer, got an array"},
      {R"({"value":"a","partition":{"p":1}})", "partition: expected an integer, got an object"},
      {R"({"value":"a","partition":x})", "partition: expected a JSON value at column 26"},
      {R"({"value":"a","partition":"0123456789012345678901234567890123456789xyz"})",
       R"(partition: expected an integer, got "012345678901234567890123456789012345678...)"},
      {R"({"value":"a","timestamp":9223372036854775808})",
       "timestamp: 9223372036854775808 is out of range (-9223372036854775808 to "
       "9223372036854775807)"},
      {R"({"value":"a","leader_epoch":true})", "leader_epoch: expected an integer, got true"},
      {R"({"value":"a","topic":5})", "topic: expected a string, got 5"},
      {R"({"value":"a","timestamp_type":"append"})",
       R"(timestamp_type: expected "create" or "log_append", got "append")"},
      {R"({"value":{"base64":"QUJD!EFG"}})", "value: invalid base64 at character 5"},
      {R"({"value":{"base64":"QUJDREVG=Q=="}})", "value: invalid base64 at character 9"},
      {R"({"value":{"base64":"QUJDR"}})",
       "value: invalid base64: 5 characters cannot encode whole bytes"},
      {R"({"value":{"base64":"QUJDRE=="}})", "value: invalid base64 at character 6"},
      {R"({"value":{"base64":"QR=="}})", "value: invalid base64 at character 2"},
      {R"({"value":{"base64":5}})", "value: expected a base64 string, got 5"},
      {R"({"value":{"hex":"0g"}})", "value: invalid hex at character 2"},
      {R"({"value":{"hex":"abc"}})", "value: invalid hex: odd number of digits (3)"},
      {R"({"value":{"hex":null}})", "value: expected a hex string, got null"},
      {R"({"key":{"base64":"@"},"value":null})", "key: invalid base64 at character 1"},
      {R"({"value":"abc)", "value: unterminated string at column 14"},
      {R"({"value":"a\qb"})", "value: invalid escape in a string at column 12"},
      {R"({"value":"a\u12"})", "value: \\u needs four hex digits at column 12"},
      {R"({"value":"\udc00"})", "value: unpaired surrogate escape in a string at column 11"},
      {R"({"value":"\ud800x"})", "value: unpaired surrogate escape in a string at column 11"},
      {R"({"value":"\ud800\u0041"})", "value: unpaired surrogate escape in a string at column 11"},
      {"{\"value\":\"a\tb\"}", "value: control character in a string at column 12"},
      {"{\"value\":\"a\xff\"}", "value: invalid UTF-8 in a string at column 12"},
      {R"({"value":nul})", "value: expected a JSON value at column 10"},
      {R"({"value":)", "value: expected a JSON value, found the end of the line at column 10"},
      {R"({"value":[1,]})", "value: expected a JSON value at column 13"},
      {R"({"value":"a" "key":"b"})", "expected ',' or '}' after a member at column 14"},
      {R"({"value":"a"} x)", "unexpected text after the object at column 15"},
      {R"({"value" "a"})", "expected ':' after a member name at column 10"},
      {R"({value:"a"})", "expected a member name at column 2"},
      {R"({"value":"a","headers":{}})",
       "headers: expected an array of [name, value] pairs, got an object"},
      {R"({"value":"a","headers":["a","b"]})",
       R"(headers[0]: expected a [name, value] pair, got "a")"},
      {R"({"value":"a","headers":[["a","b"],["c"]])",
       "headers[1]: expected ',' after the header name at column 39"},
      {R"({"value":"a","headers":[["a","b","c"]])",
       "headers[0]: expected ']' after the header value (a header is a [name, value] pair) at "
       "column 33"},
      {R"({"value":"a","headers":[[null,"b"]]})", "headers[0][0]: a header name cannot be null"},
      {R"({"value":"a","headers":[[1,"b"]]})",
       R"(headers[0][0]: expected a string, {"base64":"..."} or {"hex":"..."}, got 1)"},
      {R"({"value":"a","headers":[["a",{"hex":"1"}]]})",
       "headers[0][1]: invalid hex: odd number of digits (1)"},
      {R"({"value":"a","headers":[["a","b"] x]})",
       "headers: expected ',' or ']' after a header at column 35"},
  };
  for (const auto& [line, message] : cases) EXPECT_EQ(parse_error(line), message) << line;
}

TEST(EnvelopeParse, DepthIsLimited) {
  const std::string ok = std::string(256, '[') + std::string(256, ']');
  EXPECT_EQ(parse_ok(R"({"value":)" + ok + "}").value, ok);
  const std::string deep = std::string(257, '[') + std::string(257, ']');
  EXPECT_EQ(parse_error(R"({"value":)" + deep + "}"),
            "value: JSON nested too deeply at column 266");
}

TEST(EnvelopeParse, PrefixesFailAndMutationsAreHandled) {
  const std::string line =
      R"({"topic":"t","partition":1,"offset":2,"timestamp":3,"timestamp_type":"create",)"
      R"("key":{"hex":"00ff"},"value":{"a":[1,"\u00e9\ud83d\ude00"]},)"
      R"("headers":[["h",{"base64":"/w=="}],["n",null]],"leader_epoch":4})";
  parsed_envelope p;
  ASSERT_TRUE(parse_envelope(line, p).ok());
  for (std::size_t n = 0; n < line.size(); ++n) {
    auto s = parse_envelope(std::string_view(line).substr(0, n), p);
    ASSERT_FALSE(s.ok()) << n;
    EXPECT_FALSE(s.error().message.empty());
  }
  // Byte flips, insertions and deletions: every outcome is a result, and every error says what.
  std::mt19937 rng(99);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = line;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) {
      const std::size_t at = rng() % m.size();
      switch (rng() % 3) {
        case 0:
          m[at] = static_cast<char>(rng());
          break;
        case 1:
          m.insert(at, 1, "\"{}[],:\\0u"[rng() % 10]);
          break;
        default:
          m.erase(at, 1);
      }
    }
    auto s = parse_envelope(m, p);
    if (s.ok()) {
      ++accepted;
    } else {
      EXPECT_FALSE(s.error().message.empty()) << m;
    }
  }
  // Some mutations keep the line valid (a changed digit or letter), most do not.
  EXPECT_GT(accepted, 100);
  EXPECT_LT(accepted, 15000);
}

// ---- the round trip ----------------------------------------------------------------------------

class random_bytes {
 public:
  explicit random_bytes(std::uint32_t seed) : rng_(seed) {}

  std::uint32_t below(std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_);
  }

  // Bytes of one of several shapes: ASCII with the characters JSON escapes, mixed UTF-8 (code
  // points near the edges of each length, U+2028, U+FFFF, U+10FFFF), arbitrary bytes, or UTF-8
  // with one corruption.
  std::string make() {
    std::string s;
    const std::uint32_t length = below(5) == 0 ? below(300) : below(24);
    switch (below(4)) {
      case 0:
        while (s.size() < length) s += static_cast<char>(below(128));
        break;
      case 1:
        while (s.size() < length) append_code_point(s, code_point());
        break;
      case 2:
        while (s.size() < length) s += static_cast<char>(below(256));
        break;
      default:
        while (s.size() < length) append_code_point(s, code_point());
        if (!s.empty())
          s[below(static_cast<std::uint32_t>(s.size()))] = static_cast<char>(0x80 + below(128));
        break;
    }
    return s;
  }

  // Compact JSON text (so that the json encoding gives it back byte for byte).
  std::string json(int depth = 0) {
    switch (depth > 3 ? below(3) : below(6)) {
      case 0:
        return std::to_string(static_cast<std::int64_t>(rng_()) - (1ll << 31));
      case 1:
        return below(2) ? "true" : "false";
      case 2:
        return below(2) ? "-0.5e+10" : "1E3";
      case 3: {
        std::string s = "[";
        for (std::uint32_t i = 0, n = below(4); i < n; ++i) s += (i ? "," : "") + json(depth + 1);
        return s + "]";
      }
      default: {
        std::string s = "{";
        for (std::uint32_t i = 0, n = below(4); i < n; ++i) {
          std::string name;
          const std::uint32_t cp = code_point();
          append_code_point(name, cp < 0x80 ? 'x' : cp);
          s += std::string(i ? "," : "") + "\"k" + std::to_string(i) + name +
               "\\n\\u00e9\":" + json(depth + 1);
        }
        return s + "}";
      }
    }
  }

  std::uint64_t u64() { return (std::uint64_t{rng_()} << 32) | rng_(); }

 private:
  std::uint32_t code_point() {
    static constexpr std::uint32_t edges[] = {0x00,   0x1f,   0x20,   0x22,    0x5c,     0x7f,
                                              0x80,   0x7ff,  0x800,  0xd7ff,  0xe000,   0xfffd,
                                              0xffff, 0x2028, 0x2029, 0x10000, 0x10ffff, 0x1f600};
    switch (below(3)) {
      case 0:
        return edges[below(sizeof edges / sizeof edges[0])];
      case 1:
        return 0x20 + below(0x60);
      default: {
        std::uint32_t cp = below(0x110000);
        return cp >= 0xd800 && cp <= 0xdfff ? cp - 0x800 : cp;
      }
    }
  }

  static void append_code_point(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xc0 | cp >> 6);
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xe0 | cp >> 12);
      s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      s += static_cast<char>(0xf0 | cp >> 18);
      s += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
      s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  std::mt19937 rng_;
};

TEST(EnvelopeRoundTrip, RandomRecordsComeBackByteForByte) {
  random_bytes gen(20251122);
  const byte_encoding lossless[] = {byte_encoding::automatic, byte_encoding::base64,
                                    byte_encoding::hex, byte_encoding::json};
  parsed_envelope parsed;
  parsed_envelope reparsed;
  std::string line;
  int embedded = 0;
  int base64_seen = 0;
  for (int i = 0; i < 20000; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    auto maybe = [&]() -> std::optional<std::string> {
      switch (gen.below(6)) {
        case 0:
          return std::nullopt;
        case 1:
          return std::string();
        case 2:
          return gen.json();
        default:
          return gen.make();
      }
    };
    const std::optional<std::string> key = maybe();
    const std::optional<std::string> value = maybe();
    std::vector<std::string> names;
    std::vector<std::optional<std::string>> values;
    for (std::uint32_t h = 0, n = gen.below(4); h < n; ++h) {
      names.push_back(gen.below(4) == 0 && h > 0 ? names[0] : gen.make());  // duplicates too
      values.push_back(maybe());
    }
    std::vector<record::record_header> headers;
    for (std::size_t h = 0; h < names.size(); ++h) {
      headers.push_back({names[h], values[h] ? std::optional(as_bytes(*values[h])) : std::nullopt});
    }
    record_view r;
    r.topic = "topic.name-1";
    r.partition = static_cast<std::int32_t>(gen.below(1000));
    r.offset = static_cast<std::int64_t>(gen.u64() >> 1);
    r.timestamp = static_cast<std::int64_t>(gen.u64());
    r.timestamp_type = gen.below(2) ? record::timestamp_type::create_time
                                    : record::timestamp_type::log_append_time;
    if (key) r.key = as_bytes(*key);
    if (value) r.value = as_bytes(*value);
    r.headers = headers;
    if (gen.below(2)) r.leader_epoch = static_cast<std::int32_t>(gen.u64());
    envelope_options o;
    o.key_encoding = lossless[gen.below(4)];
    o.value_encoding = lossless[gen.below(4)];
    o.header_encoding = lossless[gen.below(4)];

    line.clear();
    append_envelope(line, r, o);
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    ASSERT_EQ(line.find('\n'), std::string::npos);
    ASSERT_TRUE(nlohmann::json::accept(line)) << line;
    if (line.find("\"base64\"") != std::string::npos) ++base64_seen;

    auto status = parse_envelope(line, parsed);
    ASSERT_TRUE(status.ok()) << line << "\n" << status.error().message;
    EXPECT_EQ(parsed.topic, "topic.name-1");
    EXPECT_EQ(parsed.partition, r.partition);
    EXPECT_EQ(parsed.offset, r.offset);
    EXPECT_EQ(parsed.timestamp, r.timestamp);
    EXPECT_EQ(parsed.timestamp_type, r.timestamp_type);
    EXPECT_EQ(parsed.leader_epoch, r.leader_epoch);
    EXPECT_EQ(parsed.key, key) << line;
    EXPECT_EQ(parsed.value, value) << line;
    ASSERT_EQ(parsed.headers.size(), names.size()) << line;
    for (std::size_t h = 0; h < names.size(); ++h) {
      EXPECT_EQ(parsed.headers[h].first, names[h]) << line;
      EXPECT_EQ(parsed.headers[h].second, values[h]) << line;
    }

    // Another writer's spelling of the same document: nlohmann escapes everything outside ASCII
    // (astral characters as surrogate pairs) and sorts the members. Embedded JSON is skipped
    // there, as nlohmann rewrites numbers and member order inside it.
    const bool has_embedded = o.key_encoding == byte_encoding::json ||
                              o.value_encoding == byte_encoding::json ||
                              o.header_encoding == byte_encoding::json;
    if (has_embedded) {
      ++embedded;
      continue;
    }
    const std::string ascii = nlohmann::json::parse(line).dump(-1, ' ', true);
    status = parse_envelope(ascii, reparsed);
    ASSERT_TRUE(status.ok()) << ascii << "\n" << status.error().message;
    EXPECT_EQ(reparsed.key, key) << ascii;
    EXPECT_EQ(reparsed.value, value) << ascii;
    ASSERT_EQ(reparsed.headers.size(), names.size());
    for (std::size_t h = 0; h < names.size(); ++h) {
      EXPECT_EQ(reparsed.headers[h].first, names[h]);
      EXPECT_EQ(reparsed.headers[h].second, values[h]);
    }
    EXPECT_EQ(reparsed.timestamp, r.timestamp);
  }
  // The generator reached both sides of each choice.
  EXPECT_GT(embedded, 1000);
  EXPECT_LT(embedded, 19000);
  EXPECT_GT(base64_seen, 1000);
}

TEST(EnvelopeRoundTrip, JsonEncodingGivesCompactText) {
  const std::string pretty = "{\n  \"a\": [1, 2],\n  \"b\": \"x y\"\n}\n";
  record_view r;
  r.topic = "t";
  r.value = as_bytes(pretty);
  envelope_options o;
  o.value_encoding = byte_encoding::json;
  std::string line = envelope_of(r, o);
  line.pop_back();
  auto p = parse_ok(line);
  EXPECT_EQ(p.value, R"({"a":[1,2],"b":"x y"})");
}

}  // namespace
}  // namespace kpipe::cli
