// consume -f: every token's exact output (kcat's and kpipe's), null and empty keys and values,
// escapes, ISO 8601 timestamps against std::chrono's calendar, and compile errors with offsets.

#include "format/record_format.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::cli {
namespace {

using bytes = std::span<const std::uint8_t>;

bytes as_bytes(std::string_view s) {
  return bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string render(std::string_view fmt, const record_view& r) {
  auto f = record_format::compile(fmt);
  EXPECT_TRUE(f.ok()) << fmt << ": " << (f.ok() ? "" : f.error().message);
  if (!f.ok()) return {};
  std::string out;
  f->append(out, r);
  return out;
}

std::string compile_error(std::string_view fmt) {
  auto f = record_format::compile(fmt);
  if (f.ok()) return "(no error)";
  EXPECT_EQ(f.error().kind, error_kind::usage);
  return f.error().message;
}

class RecordFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    headers_ = {{"trace", as_bytes("abc")},
                {"empty", as_bytes("")},
                {"none", std::nullopt},
                {"trace", as_bytes("second")}};
    r_.topic = "orders";
    r_.partition = 3;
    r_.offset = 1234567890123;
    r_.timestamp = 1763769600123;
    r_.key = as_bytes("k1");
    r_.value = as_bytes("hello");
    r_.headers = headers_;
    r_.leader_epoch = 5;
  }
  std::vector<record::record_header> headers_;
  record_view r_;
};

TEST_F(RecordFormat, KcatTokens) {
  EXPECT_EQ(render("Topic %t [%p] at offset %o: key %k: %s\\n", r_),
            "Topic orders [3] at offset 1234567890123: key k1: hello\n");
  EXPECT_EQ(render("%K %S %T", r_), "2 5 1763769600123");
  EXPECT_EQ(render("%h", r_), "trace=abc,empty=,none=NULL,trace=second");
  EXPECT_EQ(render("100%%", r_), "100%");
  EXPECT_EQ(render("%v|%s", r_), "hello|hello");
  EXPECT_EQ(render("", r_), "");
  EXPECT_EQ(render("plain", r_), "plain");
}

TEST_F(RecordFormat, BinaryLength) {
  EXPECT_EQ(render("%R", r_), std::string("\x00\x00\x00\x05", 4));
  const std::string big(258, 'x');
  r_.value = as_bytes(big);
  EXPECT_EQ(render("%R", r_), std::string("\x00\x00\x01\x02", 4));
  r_.value = std::nullopt;
  EXPECT_EQ(render("%R", r_), "\xff\xff\xff\xff");
  r_.value = as_bytes("");
  EXPECT_EQ(render("%R%s", r_), std::string("\x00\x00\x00\x00", 4));
}

TEST_F(RecordFormat, NullAndEmptyKeysAndValues) {
  r_.key = std::nullopt;
  r_.value = std::nullopt;
  r_.headers = {};
  EXPECT_EQ(render("[%k][%K][%s][%S][%h]", r_), "[][-1][][-1][]");
  EXPECT_EQ(render("[%{k:hex}][%{s:base64}][%{k:json}][%{s:json}]", r_), "[][][null][null]");
  r_.key = as_bytes("");
  r_.value = as_bytes("");
  EXPECT_EQ(render("[%k][%K][%s][%S]", r_), "[][0][][0]");
  EXPECT_EQ(render("[%{k:hex}][%{s:base64}][%{k:json}][%{v:json}]", r_), R"([][][""][""])");
}

TEST_F(RecordFormat, EncodedKeysAndValues) {
  const std::string binary("\x00\xff\"", 3);
  r_.key = as_bytes(binary);
  r_.value = as_bytes("say \"hi\"\n");
  EXPECT_EQ(render("%{k:hex} %{k:base64} %{k:json}", r_), R"(00ff22 AP8i {"base64":"AP8i"})");
  EXPECT_EQ(render("%{s:hex}", r_), "73617920226869220a");
  EXPECT_EQ(render("%{v:base64}", r_), "c2F5ICJoaSIK");
  EXPECT_EQ(render(R"({"k":%{k:json},"v":%{s:json}}\n)", r_),
            R"({"k":{"base64":"AP8i"},"v":"say \"hi\"\n"})"
            "\n");
}

TEST_F(RecordFormat, OneHeader) {
  EXPECT_EQ(render("[%{h:trace}][%{h:empty}][%{h:none}][%{h:missing}]", r_), "[abc][][][]");
  EXPECT_EQ(render("%{h:with space}", r_), "");
  const std::string binary("a\0b", 3);
  std::vector<record::record_header> hs = {{std::string_view("n\0x", 3), as_bytes(binary)}};
  r_.headers = hs;
  // All bytes, NUL included (kcat's printf would stop at the NUL).
  EXPECT_EQ(render("%h", r_), std::string("n\0x=a\0b", 7));
}

TEST_F(RecordFormat, Escapes) {
  EXPECT_EQ(render(R"(\n\t\r\\\0\x41\x7e\xFF|%k)", r_), std::string("\n\t\r\\\0A~\xff|k1", 11));
  // An escape that spells a '%' is a literal percent sign, not a token.
  EXPECT_EQ(render(R"(\x25s)", r_), "%s");
}

TEST_F(RecordFormat, IsoTimestamps) {
  auto iso = [&](std::int64_t ms) {
    r_.timestamp = ms;
    return render("%d", r_);
  };
  EXPECT_EQ(iso(1763769600123), "2025-11-22T00:00:00.123Z");
  EXPECT_EQ(iso(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(iso(951868799999), "2000-02-29T23:59:59.999Z");
  EXPECT_EQ(iso(4107542399999), "2100-02-28T23:59:59.999Z");
  EXPECT_EQ(iso(4107542400000), "2100-03-01T00:00:00.000Z");  // 2100 is not a leap year
  EXPECT_EQ(iso(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(253402300800000), "+10000-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(-62167219200000), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(iso(-62167219200001), "-0001-12-31T23:59:59.999Z");
  EXPECT_EQ(iso(std::numeric_limits<std::int64_t>::max()), "+292278994-08-17T07:12:55.807Z");
  EXPECT_EQ(iso(std::numeric_limits<std::int64_t>::min()), "-292275055-05-16T16:47:04.192Z");
}

TEST_F(RecordFormat, IsoTimestampsAgreeWithChrono) {
  using namespace std::chrono;
  std::mt19937_64 rng(7);
  // +-9000 years around 1970: inside what year_month_day represents.
  std::uniform_int_distribution<std::int64_t> dist(-284'000'000'000'000, 284'000'000'000'000);
  auto f = record_format::compile("%d");
  ASSERT_TRUE(f.ok());
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t ms = i < 1000 ? dist(rng) % 1'000'000'000'000 : dist(rng);
    const sys_time<milliseconds> t{milliseconds{ms}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<milliseconds> tod{t - day};
    const int y = static_cast<int>(ymd.year());
    char expected[64];
    std::snprintf(expected, sizeof expected, "%s%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                  y < 0 ? "-" : (y > 9999 ? "+" : ""), y < 0 ? -y : y,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                  static_cast<int>(tod.seconds().count()),
                  static_cast<int>(tod.subseconds().count()));
    r_.timestamp = ms;
    std::string out;
    f->append(out, r_);
    ASSERT_EQ(out, expected) << ms;
  }
}

TEST_F(RecordFormat, AppendsAndIsReusable) {
  auto f = record_format::compile("%o,");
  ASSERT_TRUE(f.ok());
  std::string out = ">";
  for (int i = 0; i < 3; ++i) {
    r_.offset = i;
    f->append(out, r_);
  }
  EXPECT_EQ(out, ">0,1,2,");
  // Literal text on both sides of a header name stays apart from the name.
  EXPECT_EQ(render("a%{h:trace}b%{h:empty}c", r_), "aabcbc");
}

TEST(RecordFormatCompile, ErrorMessages) {
  const std::string known =
      " (known: %t %p %o %k %K %s %v %S %R %T %d %h %{h:NAME} %{k:hex|base64|json} "
      "%{s:hex|base64|json} %%)";
  EXPECT_EQ(compile_error("ab %x"), "unknown token \"%x\" at offset 3" + known);
  EXPECT_EQ(compile_error("%\x01"), "unknown token \"%\\x01\" at offset 0" + known);
  EXPECT_EQ(compile_error("abc%"),
            "'%' at the end of the format at offset 3 (write %% for a percent sign)");
  EXPECT_EQ(compile_error("%{k:hex"), "\"%{\" without a closing '}' at offset 0");
  EXPECT_EQ(compile_error("x%{k:utf8}"),
            "unknown encoding in \"%{k:utf8}\" at offset 1 (known: hex, base64, json)");
  EXPECT_EQ(compile_error("%{h:}"), "\"%{h:}\" needs a header name at offset 0");
  EXPECT_EQ(compile_error("%{q:x}"), "unknown token \"%{q:x}\" at offset 0" + known);
  EXPECT_EQ(compile_error("%{}"), "unknown token \"%{}\" at offset 0" + known);
  EXPECT_EQ(compile_error("%{hex}"), "unknown token \"%{hex}\" at offset 0" + known);
  EXPECT_EQ(compile_error("ab\\q"),
            "unknown escape \"\\q\" at offset 2 (known: \\n \\t \\r \\0 \\\\ \\xNN)");
  EXPECT_EQ(compile_error("\\x4"), "\\x needs two hex digits at offset 0");
  EXPECT_EQ(compile_error("\\xg0"), "\\x needs two hex digits at offset 0");
  EXPECT_EQ(compile_error("%s\\"), "trailing backslash at offset 2");
}

}  // namespace
}  // namespace kpipe::cli
