// Tests of util::json_writer and append_json_string: structure, commas, escaping, numbers, pretty
// printing, and validity of the output as checked by nlohmann::json.

#include "util/json_writer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::util {
namespace {

template <class T>
using limits = std::numeric_limits<T>;

// Runs `write` on a fresh writer and returns what it produced.
std::string render(const std::function<void(json_writer&)>& write, int indent = 0) {
  std::string out;
  json_writer j(out, indent);
  write(j);
  return out;
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// The escape JSON requires for a control character, written out independently of the code.
std::string expected_control_escape(unsigned char c) {
  switch (c) {
    case '\b':
      return "\\b";
    case '\t':
      return "\\t";
    case '\n':
      return "\\n";
    case '\f':
      return "\\f";
    case '\r':
      return "\\r";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      return buf;
    }
  }
}

// A document exercising every kind of value; the same calls serve compact and pretty output.
void write_sample_document(json_writer& j) {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
  j.begin_object();
  j.key("name");
  j.value("kpipe \"quoted\" \\ back/slash");
  j.key("controls");
  j.value(controls);
  j.key("utf8 \xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80");
  j.value("h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
  j.key("ints");
  j.begin_array();
  j.value(limits<std::int64_t>::min());
  j.value(limits<std::int64_t>::max());
  j.value(limits<std::uint64_t>::max());
  j.value(std::int32_t{-1});
  j.value(std::uint16_t{0});
  j.end_array();
  j.key("doubles");
  j.begin_array();
  j.value(0.5);
  j.value(-2.25);
  j.value(1e300);
  j.value(limits<double>::quiet_NaN());
  j.value(limits<double>::infinity());
  j.end_array();
  j.key("flags");
  j.begin_array();
  j.value(true);
  j.value(false);
  j.null();
  j.end_array();
  j.key("empty_object");
  j.begin_object();
  j.end_object();
  j.key("empty_array");
  j.begin_array();
  j.end_array();
  j.key("nested");
  j.begin_array();
  j.begin_array();
  j.begin_object();
  j.key("k");
  j.begin_array();
  j.end_array();
  j.end_object();
  j.end_array();
  j.begin_object();
  j.end_object();
  j.end_array();
  j.end_object();
}

nlohmann::json expected_sample_document() {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
  return nlohmann::json{
      {"name", "kpipe \"quoted\" \\ back/slash"},
      {"controls", controls},
      {"utf8 \xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80",
       "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
      {"ints", nlohmann::json::array({limits<std::int64_t>::min(), limits<std::int64_t>::max(),
                                      limits<std::uint64_t>::max(), -1, 0})},
      {"doubles", nlohmann::json::array({0.5, -2.25, 1e300, "NaN", "Infinity"})},
      {"flags", nlohmann::json::array({true, false, nullptr})},
      {"empty_object", nlohmann::json::object()},
      {"empty_array", nlohmann::json::array()},
      {"nested", nlohmann::json::array(
                     {nlohmann::json::array({nlohmann::json{{"k", nlohmann::json::array()}}}),
                      nlohmann::json::object()})},
  };
}

// ---- structure ---------------------------------------------------------------------------------

TEST(JsonWriter, CompactStructure) {
  struct row {
    const char* name;
    std::function<void(json_writer&)> write;
    std::string expected;
  };
  for (const auto& [name, write, expected] : std::vector<row>{
           {"empty object",
            [](json_writer& j) {
              j.begin_object();
              j.end_object();
            },
            "{}"},
           {"empty array",
            [](json_writer& j) {
              j.begin_array();
              j.end_array();
            },
            "[]"},
           {"scalar", [](json_writer& j) { j.value(std::int32_t{42}); }, "42"},
           {"one member",
            [](json_writer& j) {
              j.begin_object();
              j.key("a");
              j.value(std::int32_t{1});
              j.end_object();
            },
            R"({"a":1})"},
           {"commas between members and elements",
            [](json_writer& j) {
              j.begin_object();
              j.key("a");
              j.value(std::int32_t{1});
              j.key("b");
              j.begin_array();
              j.value(std::int32_t{1});
              j.value("two");
              j.null();
              j.value(true);
              j.end_array();
              j.key("c");
              j.value(false);
              j.end_object();
            },
            R"({"a":1,"b":[1,"two",null,true],"c":false})"},
           {"empty containers as values",
            [](json_writer& j) {
              j.begin_object();
              j.key("o");
              j.begin_object();
              j.end_object();
              j.key("a");
              j.begin_array();
              j.end_array();
              j.key("z");
              j.null();
              j.end_object();
            },
            R"({"o":{},"a":[],"z":null})"},
           {"nested arrays and objects",
            [](json_writer& j) {
              j.begin_array();
              j.begin_array();
              j.end_array();
              j.begin_array();
              j.begin_object();
              j.key("x");
              j.begin_object();
              j.key("y");
              j.begin_array();
              j.value(std::int32_t{1});
              j.end_array();
              j.end_object();
              j.end_object();
              j.begin_object();
              j.end_object();
              j.end_array();
              j.value("after");
              j.end_array();
            },
            R"([[],[{"x":{"y":[1]}},{}],"after"])"},
           {"keys are escaped",
            [](json_writer& j) {
              j.begin_object();
              j.key("a\"b\\c\n");
              j.value("");
              j.end_object();
            },
            R"({"a\"b\\c\n":""})"},
       }) {
    SCOPED_TRACE(name);
    std::string out = render(write);
    EXPECT_EQ(out, expected);
    EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(expected));
  }
}

TEST(JsonWriter, AppendsToExistingText) {
  std::string out = "prefix ";
  json_writer j(out);
  j.begin_array();
  j.value(std::int32_t{1});
  j.end_array();
  EXPECT_EQ(out, "prefix [1]");
}

TEST(JsonWriter, KeysFromLiteralsAndFromStrings) {
  std::string out;
  json_writer j(out);
  j.begin_object();
  j.key("plain");  // a literal known plain when compiled: written as it is
  j.value(std::int32_t{1});
  j.key("tab\there \"q\"");  // a literal that needs escaping is still escaped
  j.value(std::int32_t{2});
  std::string runtime = "back\\slash";
  j.key(runtime);
  j.value(std::int32_t{3});
  j.key(std::string_view("view"));
  j.value(std::int32_t{4});
  j.end_object();
  EXPECT_EQ(out, R"({"plain":1,"tab\there \"q\"":2,"back\\slash":3,"view":4})");

  std::string pretty;
  json_writer p(pretty, 2);
  p.begin_object();
  p.key("a");
  p.value(true);
  p.key(std::string("b\n"));
  p.null();
  p.end_object();
  EXPECT_EQ(pretty, "{\n  \"a\": true,\n  \"b\\n\": null\n}");
}

// ---- strings -----------------------------------------------------------------------------------

TEST(JsonString, Escapes) {
  struct row {
    std::string input;
    std::string expected;
  };
  for (const auto& [input, expected] : std::vector<row>{
           {"", R"("")"},
           {"plain", R"("plain")"},
           {"say \"hi\"", R"("say \"hi\"")"},
           {"C:\\dir\\", R"("C:\\dir\\")"},
           {"line1\nline2", R"("line1\nline2")"},
           {"a\tb", R"("a\tb")"},
           {"\r\b\f", R"("\r\b\f")"},
           {"\x01", R"("\u0001")"},
           {"\x1f", R"("\u001f")"},
           {"x\x1ey\x7fz", "\"x\\u001ey\x7fz\""},
           {std::string("nul\0byte", 8), R"("nul\u0000byte")"},
           {"/ stays", R"("/ stays")"},
           {"\"\\\"", R"("\"\\\"")"},
           {"h\xc3\xa9llo", "\"h\xc3\xa9llo\""},
           {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\""},
           {"\xf0\x9f\x98\x80 emoji", "\"\xf0\x9f\x98\x80 emoji\""},
           {"\xe2\x80\xa8", "\"\xe2\x80\xa8\""},  // U+2028 is legal inside a JSON string
       }) {
    SCOPED_TRACE(expected);
    EXPECT_EQ(json_string(input), expected);
    EXPECT_EQ(render([&](json_writer& j) { j.value(input); }), expected);
  }
}

TEST(JsonString, EveryControlCharacterIsEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    SCOPED_TRACE(c);
    std::string input(1, static_cast<char>(c));
    std::string expected = "\"" + expected_control_escape(static_cast<unsigned char>(c)) + "\"";
    EXPECT_EQ(json_string(input), expected);
    EXPECT_EQ(nlohmann::json::parse(expected).get<std::string>(), input);
  }
}

TEST(JsonString, EveryOtherByteIsCopied) {
  // Bytes from 0x20 up, except the two that need escaping, pass through (UTF-8 or not: encoding
  // invalid UTF-8 is the caller's job).
  for (int c = 0x20; c < 0x100; ++c) {
    if (c == '"' || c == '\\') continue;
    SCOPED_TRACE(c);
    std::string input = "a" + std::string(1, static_cast<char>(c)) + "b";
    EXPECT_EQ(json_string(input), "\"" + input + "\"");
  }
}

// ---- numbers -----------------------------------------------------------------------------------

TEST(JsonWriter, Integers) {
  struct row {
    std::function<void(json_writer&)> write;
    std::string expected;
  };
  for (const auto& [write, expected] : std::vector<row>{
           {[](json_writer& j) { j.value(std::int64_t{0}); }, "0"},
           {[](json_writer& j) { j.value(std::int64_t{-1}); }, "-1"},
           {[](json_writer& j) { j.value(limits<std::int64_t>::min()); }, "-9223372036854775808"},
           {[](json_writer& j) { j.value(limits<std::int64_t>::max()); }, "9223372036854775807"},
           {[](json_writer& j) { j.value(limits<std::uint64_t>::max()); }, "18446744073709551615"},
           {[](json_writer& j) { j.value(std::uint64_t{0}); }, "0"},
           {[](json_writer& j) { j.value(limits<std::int32_t>::min()); }, "-2147483648"},
           {[](json_writer& j) { j.value(limits<std::uint32_t>::max()); }, "4294967295"},
           {[](json_writer& j) { j.value(limits<std::int16_t>::min()); }, "-32768"},
           {[](json_writer& j) { j.value(limits<std::uint16_t>::max()); }, "65535"},
           {[](json_writer& j) { j.value(limits<std::int8_t>::min()); }, "-128"},
           {[](json_writer& j) { j.value(std::int8_t{127}); }, "127"},
       }) {
    SCOPED_TRACE(expected);
    EXPECT_EQ(render(write), expected);
  }
}

TEST(JsonWriter, IntegersParseBackExactly) {
  std::string out = render([](json_writer& j) {
    j.begin_array();
    j.value(limits<std::int64_t>::min());
    j.value(limits<std::uint64_t>::max());
    j.end_array();
  });
  auto parsed = nlohmann::json::parse(out);
  EXPECT_EQ(parsed[0].get<std::int64_t>(), limits<std::int64_t>::min());
  EXPECT_EQ(parsed[1].get<std::uint64_t>(), limits<std::uint64_t>::max());
}

TEST(JsonWriter, Doubles) {
  struct row {
    double value;
    std::string expected;
  };
  for (const auto& [value, expected] : std::vector<row>{
           {0.0, "0"},
           {-0.0, "-0"},
           {1.0, "1"},
           {0.5, "0.5"},
           {-2.25, "-2.25"},
           {0.1, "0.1"},
           {123456789.0, "123456789"},
           {1e300, "1e+300"},
           {-1.5e-300, "-1.5e-300"},
           {limits<double>::max(), "1.7976931348623157e+308"},
           {limits<double>::denorm_min(), "5e-324"},
       }) {
    SCOPED_TRACE(expected);
    std::string out = render([v = value](json_writer& j) { j.value(v); });
    EXPECT_EQ(out, expected);
    // Shortest form that still round-trips.
    EXPECT_EQ(nlohmann::json::parse(out).get<double>(), value);
  }
}

TEST(JsonWriter, NonFiniteDoublesBecomeStrings) {
  struct row {
    double value;
    std::string expected;
  };
  for (const auto& [value, expected] : std::vector<row>{
           {limits<double>::quiet_NaN(), R"("NaN")"},
           {-limits<double>::quiet_NaN(), R"("NaN")"},
           {limits<double>::infinity(), R"("Infinity")"},
           {-limits<double>::infinity(), R"("-Infinity")"},
       }) {
    SCOPED_TRACE(expected);
    EXPECT_EQ(render([v = value](json_writer& j) { j.value(v); }), expected);
  }
  std::string out = render([](json_writer& j) {
    j.begin_object();
    j.key("x");
    j.value(limits<double>::quiet_NaN());
    j.key("y");
    j.value(std::int32_t{1});
    j.end_object();
  });
  EXPECT_EQ(out, R"({"x":"NaN","y":1})");
}

// ---- pretty printing ---------------------------------------------------------------------------

TEST(JsonWriter, PrettyIndentTwo) {
  std::string out = render(
      [](json_writer& j) {
        j.begin_object();
        j.key("name");
        j.value("kpipe");
        j.key("ids");
        j.begin_array();
        j.value(std::int32_t{1});
        j.value(std::int32_t{2});
        j.end_array();
        j.key("empty");
        j.begin_object();
        j.end_object();
        j.key("none");
        j.begin_array();
        j.end_array();
        j.key("nested");
        j.begin_object();
        j.key("ok");
        j.value(true);
        j.key("list");
        j.begin_array();
        j.begin_object();
        j.key("a");
        j.null();
        j.end_object();
        j.end_array();
        j.end_object();
        j.end_object();
      },
      2);
  EXPECT_EQ(out,
            "{\n"
            "  \"name\": \"kpipe\",\n"
            "  \"ids\": [\n"
            "    1,\n"
            "    2\n"
            "  ],\n"
            "  \"empty\": {},\n"
            "  \"none\": [],\n"
            "  \"nested\": {\n"
            "    \"ok\": true,\n"
            "    \"list\": [\n"
            "      {\n"
            "        \"a\": null\n"
            "      }\n"
            "    ]\n"
            "  }\n"
            "}");
}

TEST(JsonWriter, PrettyOtherIndentAndTopLevelArray) {
  std::string out = render(
      [](json_writer& j) {
        j.begin_array();
        j.value("a");
        j.begin_array();
        j.value(std::int32_t{1});
        j.end_array();
        j.end_array();
      },
      4);
  EXPECT_EQ(out,
            "[\n"
            "    \"a\",\n"
            "    [\n"
            "        1\n"
            "    ]\n"
            "]");
  EXPECT_EQ(render(
                [](json_writer& j) {
                  j.begin_object();
                  j.end_object();
                },
                2),
            "{}");
}

// ---- long strings: the word-at-a-time scan must find every character to escape ----------------

TEST(JsonString, LongStringsEscapeAtEveryPosition) {
  // One character to escape at each position of strings longer than the 16- and 8-byte steps,
  // among bytes that need none (including UTF-8 bytes at and above 0x80).
  for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
    for (std::size_t at = 0; at < 40; ++at) {
      std::string text(40, 'a');
      text[7] = '\x80';
      text[30] = '\x7f';
      text[at] = special;
      std::string expected = "\"";
      for (char c : text) {
        if (c == '"')
          expected += "\\\"";
        else if (c == '\\')
          expected += "\\\\";
        else if (c == '\n')
          expected += "\\n";
        else if (c == '\x01')
          expected += "\\u0001";
        else if (c == '\x1f')
          expected += "\\u001f";
        else
          expected += c;
      }
      expected += '"';
      std::string out;
      append_json_string(out, text);
      EXPECT_EQ(out, expected) << "at " << at;
    }
  }
}

// ---- raw_lines: documents rendered straight into the output ------------------------------------

std::string with_lines(int indent, std::string_view lines, bool then_more) {
  std::string out;
  json_writer j(out, indent);
  j.begin_array();
  j.value(std::int64_t{1});
  j.raw_lines([&](std::string& o) { o.append(lines); });
  if (then_more) j.value(std::int64_t{2});
  j.end_array();
  return out;
}

TEST(JsonWriter, RawLinesBecomeArrayElements) {
  EXPECT_EQ(with_lines(0, "{\"a\":1}\n{\"b\":\"x\"}\n", true), "[1,{\"a\":1},{\"b\":\"x\"},2]");
  // Nothing rendered: no element, no stray comma, before or after.
  EXPECT_EQ(with_lines(0, "", true), "[1,2]");
  EXPECT_EQ(with_lines(0, "", false), "[1]");
  // First in its array, and a last line without its newline.
  std::string out;
  json_writer j(out);
  j.begin_array();
  j.raw_lines([](std::string& o) { o += "[]\n{}"; });
  j.value(true);
  j.end_array();
  EXPECT_EQ(out, "[[],{},true]");
  // Indented: the same elements, each placed on its own line.
  EXPECT_EQ(nlohmann::json::parse(with_lines(2, "{\"a\":1}\n{\"b\":2}\n", true)),
            nlohmann::json::parse("[1,{\"a\":1},{\"b\":2},2]"));
}

// ---- validity ----------------------------------------------------------------------------------

TEST(JsonWriter, CompactOutputIsValidJson) {
  std::string out = render(write_sample_document);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  nlohmann::json parsed;
  ASSERT_NO_THROW(parsed = nlohmann::json::parse(out)) << out;
  EXPECT_EQ(parsed, expected_sample_document());
}

TEST(JsonWriter, PrettyOutputIsValidJsonWithSameContent) {
  std::string compact = render(write_sample_document);
  std::string pretty = render(write_sample_document, 2);
  EXPECT_NE(pretty.find("\n  \"ints\": [\n    -9223372036854775808,\n"), std::string::npos)
      << pretty;
  nlohmann::json parsed;
  ASSERT_NO_THROW(parsed = nlohmann::json::parse(pretty)) << pretty;
  EXPECT_EQ(parsed, nlohmann::json::parse(compact));
  EXPECT_EQ(parsed, expected_sample_document());
}

}  // namespace
}  // namespace kpipe::util
