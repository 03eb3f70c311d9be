// kpipe decode --record-batch: the JSON of batches built here with batch_writer (keys null,
// binary and UTF-8, headers with null values and duplicates, control records), of the legacy
// fixtures kafka-python wrote, and what decode_record_sets reports for damaged input.
#include "format/batch_json.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "record/batch_writer.hpp"
#include "record/record_test_support.hpp"
#include "util/json_writer.hpp"

namespace kpipe::cli {
namespace {

using record::bytes_view;
using record::testing_support::bytes;
using record::testing_support::read_hex_fixture;
using record::testing_support::view;

bytes bytes_of(std::initializer_list<int> values) {
  bytes out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

bytes join(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string json_bytes(const std::optional<bytes_view>& b) {
  std::string out;
  util::json_writer j(out);
  write_json_bytes(j, b);
  return out;
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Three records: a UTF-8 key and value with duplicate headers (one null), a null key with a
// binary value, a binary key with a null value and a binary header value.
bytes sample_batch(record::codec c) {
  static const bytes binary_value = bytes_of({0xff, 0x00, 0x80});
  static const bytes binary_key = bytes_of({0xc0, 0x80});  // an overlong NUL: not UTF-8
  static const bytes binary_header = bytes_of({0xfe});
  static const record::record_header first_headers[] = {
      {"h", view("1")}, {"h", std::nullopt}, {"h", view("2")}};
  static const record::record_header third_headers[] = {{"bin", bytes_view(binary_header)},
                                                        {"", view("")}};
  record::batch_writer w;
  w.set_base_offset(100);
  w.set_partition_leader_epoch(3);
  w.set_producer(42, 2, 9);
  w.set_transactional(true);
  w.set_compression(c);
  record::record_input r;
  r.key = view("cl\xc3\xa9");
  r.value = view("h\xc3\xa9llo \"w\xc3\xb6rld\"\n");
  r.headers = first_headers;
  r.timestamp = 1700000000000;
  w.add(r);
  r = {};
  r.value = bytes_view(binary_value);
  r.timestamp = 1700000000005;
  w.add(r);
  r = {};
  r.key = bytes_view(binary_key);
  r.headers = third_headers;
  r.timestamp = 1699999999999;
  w.add(r);
  auto built = w.build();
  EXPECT_TRUE(built.ok());
  return built.ok() ? built.value() : bytes{};
}

const char* const sample_records =
    R"("records":[)"
    R"({"offset":100,"offset_delta":0,"timestamp":1700000000000,"timestamp_delta":0,)"
    R"("attributes":0,"key":"clé","value":"héllo \"wörld\"\n",)"
    R"("headers":[["h","1"],["h",null],["h","2"]]},)"
    R"({"offset":101,"offset_delta":1,"timestamp":1700000000005,"timestamp_delta":5,)"
    R"("attributes":0,"key":null,"value":{"base64":"/wCA"},"headers":[]},)"
    R"({"offset":102,"offset_delta":2,"timestamp":1699999999999,"timestamp_delta":-1,)"
    R"("attributes":0,"key":{"base64":"wIA="},"value":null,)"
    R"("headers":[["bin",{"base64":"/g=="}],["",""]]}]})";

std::string header_json(const record::record_batch& b, int attributes, const char* codec) {
  std::string crc = std::to_string(b.crc);
  return R"({"position":0,"base_offset":100,"batch_length":)" + std::to_string(b.batch_length) +
         R"(,"partition_leader_epoch":3,"magic":2,"crc":)" + crc + R"(,"computed_crc":)" + crc +
         R"(,"crc_ok":true,"attributes":{"raw":)" + std::to_string(attributes) +
         R"(,"compression":")" + codec +
         R"(","timestamp_type":"create","transactional":true,"control":false,)"
         R"("delete_horizon":false},"last_offset_delta":2,"base_timestamp":1700000000000,)"
         R"("max_timestamp":1700000000005,"producer_id":42,"producer_epoch":2,)"
         R"("base_sequence":9,"record_count":3,)";
}

TEST(BatchJson, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(view("")));
  EXPECT_TRUE(is_valid_utf8(view("plain ascii \x01\x7f")));
  EXPECT_TRUE(is_valid_utf8(view("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf")));
  EXPECT_TRUE(is_valid_utf8(view("\xed\x9f\xbf \xee\x80\x80")));  // around the surrogates
  EXPECT_FALSE(is_valid_utf8(view("\xc0\x80")));                  // overlong NUL
  EXPECT_FALSE(is_valid_utf8(view("\xc1\xbf")));                  // overlong
  EXPECT_FALSE(is_valid_utf8(view("\xe0\x9f\xbf")));              // overlong 3-byte
  EXPECT_FALSE(is_valid_utf8(view("\xf0\x8f\xbf\xbf")));          // overlong 4-byte
  EXPECT_FALSE(is_valid_utf8(view("\xed\xa0\x80")));              // a surrogate
  EXPECT_FALSE(is_valid_utf8(view("\xf4\x90\x80\x80")));          // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8(view("\xf5\x80\x80\x80")));
  EXPECT_FALSE(is_valid_utf8(view("\x80")));                 // a lone continuation byte
  EXPECT_FALSE(is_valid_utf8(view("ok \xe2\x82")));          // cut short
  EXPECT_FALSE(is_valid_utf8(view("\xe2\x28\xa1")));         // bad continuation
  EXPECT_FALSE(is_valid_utf8(view("\xf0\x9f\x98\x28 ok")));  // bad last continuation
}

// ASCII is checked eight bytes at a time: a multi-byte character, a bad byte or a character cut
// short by the end is found at every position of a longer text.
TEST(BatchJson, Utf8CheckedAtEveryPositionOfALongText) {
  for (std::size_t at = 0; at <= 40; ++at) {
    std::string text(40, 'a');
    std::string good = text.substr(0, at) + "\xe2\x82\xac" + text.substr(at);
    std::string bad = text.substr(0, at) + "\xff" + text.substr(at);
    std::string cut = text.substr(0, at) + "\xe2\x82";
    EXPECT_TRUE(is_valid_utf8(view(good))) << at;
    EXPECT_FALSE(is_valid_utf8(view(bad))) << at;
    EXPECT_FALSE(is_valid_utf8(view(cut))) << at;
  }
}

TEST(BatchJson, BytesFollowTheEnvelope) {
  EXPECT_EQ(json_bytes(std::nullopt), "null");
  EXPECT_EQ(json_bytes(view("")), R"("")");
  EXPECT_EQ(json_bytes(view("tab\there")), R"("tab\there")");
  static const bytes binary = bytes_of({0x00, 0xff, 0x10});
  EXPECT_EQ(json_bytes(bytes_view(binary)), R"({"base64":"AP8Q"})");
}

TEST(BatchJson, UncompressedBatchWithEveryKindOfKeyValueAndHeader) {
  bytes data = sample_batch(record::codec::none);
  auto b = record::read_batch(data);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(render_batch_json(*b, false), header_json(*b, 16, "none") + sample_records + "\n");
}

TEST(BatchJson, CompressedBatchesShowTheirCodecAndTheSameRecords) {
  for (auto c :
       {record::codec::gzip, record::codec::snappy, record::codec::lz4, record::codec::zstd}) {
    SCOPED_TRACE(record::codec_name(c));
    bytes data = sample_batch(c);
    auto b = record::read_batch(data);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(
        render_batch_json(*b, false),
        header_json(*b, 16 | static_cast<int>(c), std::string(record::codec_name(c)).c_str()) +
            sample_records + "\n");
  }
}

TEST(BatchJson, ControlRecordsShowTheirTypeByName) {
  record::batch_writer w;
  w.set_base_offset(7);
  w.set_producer(42, 2, -1);
  w.set_transactional(true);
  w.add_control(record::control_type::commit, 5, 1700000000100);
  auto built = w.build();
  ASSERT_TRUE(built.ok());
  auto b = record::read_batch(built.value());
  ASSERT_TRUE(b.ok()) << b.error().message;
  std::string crc = std::to_string(b->crc);
  EXPECT_EQ(render_batch_json(*b, false),
            R"({"position":0,"base_offset":7,"batch_length":)" + std::to_string(b->batch_length) +
                R"(,"partition_leader_epoch":-1,"magic":2,"crc":)" + crc + R"(,"computed_crc":)" +
                crc +
                R"(,"crc_ok":true,"attributes":{"raw":48,"compression":"none",)"
                R"("timestamp_type":"create","transactional":true,"control":true,)"
                R"("delete_horizon":false},"last_offset_delta":0,"base_timestamp":1700000000100,)"
                R"("max_timestamp":1700000000100,"producer_id":42,"producer_epoch":2,)"
                R"("base_sequence":-1,"record_count":1,"records":[)"
                R"({"offset":7,"offset_delta":0,"timestamp":1700000000100,"timestamp_delta":0,)"
                R"("attributes":0,"key":"\u0000\u0000\u0000\u0001",)"
                R"("value":"\u0000\u0000\u0000\u0000\u0000\u0005","headers":[],)"
                R"("control":{"type":"commit","type_id":1,"version":0,"marker_version":0,)"
                R"("coordinator_epoch":5}}]})"
                "\n");
}

TEST(BatchJson, OtherControlTypesShowNoMarkerFields) {
  record::batch_writer w;
  w.add_control(record::control_type::abort, 9, 1);
  w.add_control(record::control_type::leader_change, 0, 2);
  w.add_control(static_cast<record::control_type>(99), 0, 3);
  auto built = w.build();
  ASSERT_TRUE(built.ok());
  auto b = record::read_batch(built.value());
  ASSERT_TRUE(b.ok()) << b.error().message;
  std::string json = render_batch_json(*b, false);
  EXPECT_NE(json.find(R"("control":{"type":"abort","type_id":0,"version":0,"marker_version":0,)"
                      R"("coordinator_epoch":9}})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("control":{"type":"leader_change","type_id":2,"version":0}})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("control":{"type":"unknown","type_id":99,"version":0}})"),
            std::string::npos)
      << json;
}

TEST(BatchJson, PrettyIndentsByTwo) {
  bytes data = sample_batch(record::codec::none);
  auto b = record::read_batch(data);
  ASSERT_TRUE(b.ok());
  std::string json = render_batch_json(*b, true);
  EXPECT_EQ(json.rfind("{\n  \"position\": 0,\n  \"base_offset\": 100,\n", 0), 0u) << json;
  EXPECT_NE(json.find("\n  \"attributes\": {\n    \"raw\": 16,\n"), std::string::npos);
  EXPECT_EQ(json.substr(json.size() - 4), "]\n}\n");
}

TEST(BatchJson, LegacyMagic1MessagesFromKafkaPython) {
  bytes data = read_hex_fixture("record/python_v1_none.hex");
  ASSERT_EQ(data.size(), 144u);
  auto set = record::read_message_set(data);
  ASSERT_EQ(set.messages.size(), 3u);
  std::string out;
  auto problems = decode_record_sets(data, false, out);
  EXPECT_TRUE(problems.empty());
  auto crc = [&](std::size_t i) { return std::to_string(set.messages[i].crc); };
  auto fields = [&](std::size_t i) {
    return R"("crc":)" + crc(i) + R"(,"computed_crc":)" + crc(i) +
           R"(,"crc_ok":true,"magic":1,"attributes":{"raw":0,"compression":"none",)"
           R"("timestamp_type":"create"},"timestamp":)" +
           std::to_string(1000 + i);
  };
  EXPECT_EQ(out, R"({"position":0,"message_size":38,"offset":0,)" + fields(0) +
                     R"(,"key":"k0","value":"legacy value 0"})"
                     "\n"
                     R"({"position":50,"message_size":46,"offset":1,)" +
                     fields(1) +
                     R"(,"key":null,"value":"legacy value 1, null key"})"
                     "\n"
                     R"({"position":108,"message_size":24,"offset":2,)" +
                     fields(2) + R"(,"key":"k2","value":null})" + "\n");
}

TEST(BatchJson, LegacyMagic0HasNoTimestamps) {
  bytes data = read_hex_fixture("record/python_v0_none.hex");
  std::string out;
  EXPECT_TRUE(decode_record_sets(data, false, out).empty());
  EXPECT_EQ(count_lines(out), 3u);
  EXPECT_NE(out.find(R"("offset":100,)"), std::string::npos) << out;
  EXPECT_NE(
      out.find(R"("magic":0,"attributes":{"raw":0,"compression":"none",)"
               R"("timestamp_type":null},"timestamp":null,"key":"k0","value":"legacy value 0"})"),
      std::string::npos)
      << out;
}

TEST(BatchJson, LegacyWrappersListTheirInnerMessages) {
  for (int magic : {0, 1}) {
    for (const char* codec : {"gzip", "snappy", "lz4"}) {
      std::string file = "record/python_v" + std::to_string(magic) + "_" + codec + ".hex";
      SCOPED_TRACE(file);
      bytes data = read_hex_fixture(file);
      ASSERT_FALSE(data.empty());
      std::string out;
      auto problems = decode_record_sets(data, false, out);
      EXPECT_TRUE(problems.empty()) << problems.front();
      ASSERT_EQ(count_lines(out), 1u) << out;
      std::string wrapper = R"({"position":0,"message_size":)" + std::to_string(data.size() - 12) +
                            R"(,"offset":102,)";
      EXPECT_EQ(out.rfind(wrapper, 0), 0u) << out;
      EXPECT_NE(out.find(R"("compression":")" + std::string(codec) + '"'), std::string::npos);
      EXPECT_NE(out.find(R"(,"key":null,"value_size":)"), std::string::npos);
      // Absolute inner offsets: kafka-python wrote 100.. (magic 0) and 0.. relative (magic 1,
      // KIP-31) under a wrapper at 102.
      EXPECT_NE(out.find(R"("messages":[{"inner_position":0,"offset":100,)"), std::string::npos)
          << out;
      for (const char* inner :
           {R"("offset":101,)", R"("offset":102,)", R"("key":"k0","value":"legacy value 0"})",
            R"("key":null,"value":"legacy value 1, null key"})", R"("key":"k2","value":null}]})"}) {
        EXPECT_NE(out.find(inner), std::string::npos) << inner << " in " << out;
      }
    }
  }
}

TEST(BatchJson, MixedRecordSetsPickTheReaderByMagic) {
  bytes legacy = read_hex_fixture("record/python_v0_gzip.hex");
  bytes kcat = read_hex_fixture("record/kcat_none.hex");
  bytes legacy1 = read_hex_fixture("record/python_v1_snappy.hex");
  bytes data = join({legacy, kcat, legacy1});
  std::string out;
  auto problems = decode_record_sets(data, false, out);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(count_lines(out), 4u);
  std::vector<std::string> docs;
  std::size_t start = 0;
  for (std::size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    docs.push_back(out.substr(start, nl - start));
  }
  EXPECT_EQ(docs[0].rfind(R"({"position":0,"message_size":)", 0), 0u);
  EXPECT_EQ(
      docs[1].rfind(R"({"position":)" + std::to_string(legacy.size()) + R"(,"base_offset":0,)", 0),
      0u);
  EXPECT_NE(docs[2].find(R"("base_offset":5,)"), std::string::npos);
  EXPECT_NE(docs[2].find(R"("record_count":20,)"), std::string::npos);
  EXPECT_EQ(docs[3].rfind(R"({"position":)" + std::to_string(legacy.size() + kcat.size()) + ",", 0),
            0u);
}

TEST(BatchJson, EmptyInputIsNoDocumentAndNoProblem) {
  std::string out;
  EXPECT_TRUE(decode_record_sets({}, false, out).empty());
  EXPECT_TRUE(out.empty());
}

TEST(BatchJson, ABadCrcIsShownAndReported) {
  bytes data = read_hex_fixture("record/kcat_none.hex");
  auto set = record::read_batches(data);
  ASSERT_EQ(set.batches.size(), 2u);
  std::size_t second = set.batches[1].position;
  data[second + 20] ^= 0x01;  // the last byte of the stored CRC
  std::uint32_t stored = set.batches[1].crc ^ 0x01;
  char expected[128];
  std::snprintf(expected, sizeof expected,
                "batch at offset %zu: CRC mismatch: stored 0x%08x, computed 0x%08x", second, stored,
                set.batches[1].crc);
  std::string out;
  auto problems = decode_record_sets(data, false, out);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], expected);
  ASSERT_EQ(count_lines(out), 2u);
  std::string crc_fields = R"("crc":)" + std::to_string(stored) + R"(,"computed_crc":)" +
                           std::to_string(set.batches[1].crc) + R"(,"crc_ok":false,)";
  EXPECT_NE(out.find(crc_fields), std::string::npos) << out;
  EXPECT_NE(out.find(R"("key":"id-19")"), std::string::npos);  // records decoded all the same
}

TEST(BatchJson, DamagedRecordsStopDecodingWithTheFieldAndTheCrc) {
  bytes data = read_hex_fixture("record/kcat_none.hex");
  auto set = record::read_batches(data);
  ASSERT_EQ(set.batches.size(), 2u);
  std::size_t second = set.batches[1].position;
  data[second + 60] = 30;  // record_count 20 -> 30: the records run out at records[20]
  std::string out;
  auto problems = decode_record_sets(data, false, out);
  ASSERT_EQ(problems.size(), 2u);
  std::string prefix = "batch at offset " + std::to_string(second) + ": ";
  EXPECT_EQ(problems[0].rfind(prefix + "CRC mismatch: stored ", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind(prefix + "records[20].length: ", 0), 0u) << problems[1];
  EXPECT_NE(problems[1].find("at offset " + std::to_string(data.size())), std::string::npos)
      << problems[1];
  EXPECT_EQ(count_lines(out), 1u);  // the first batch is printed
}

TEST(BatchJson, ACutBatchNamesTheFieldAndTheOffset) {
  bytes data = read_hex_fixture("record/kcat_none.hex");
  auto set = record::read_batches(data);
  std::size_t second = set.batches[1].position;
  struct cut {
    std::size_t keep;  // bytes of the second batch
    const char* field;
  } cuts[] = {{5, "base_offset"}, {10, "batch_length"},   {14, "partition_leader_epoch"},
              {19, "crc"},        {30, "base_timestamp"}, {55, "base_sequence"},
              {100, "records"}};
  for (const auto& c : cuts) {
    SCOPED_TRACE(c.field);
    std::string out;
    auto problems = decode_record_sets(bytes_view(data).first(second + c.keep), false, out);
    ASSERT_EQ(problems.size(), 1u);
    std::string prefix =
        "batch at offset " + std::to_string(second) + ": cut short in " + c.field + ": need ";
    EXPECT_EQ(problems[0].rfind(prefix, 0), 0u) << problems[0];
    EXPECT_NE(
        problems[0].find(std::to_string(c.keep) + " left at offset " + std::to_string(second)),
        std::string::npos)
        << problems[0];
    EXPECT_EQ(count_lines(out), 1u);
  }
}

TEST(BatchJson, ACutLegacyMessageNamesItsField) {
  bytes data = read_hex_fixture("record/python_v1_none.hex");  // messages at 0, 50 and 108
  struct cut {
    std::size_t size;
    const char* expected;
  } cuts[] = {{55, "message at offset 50: cut short in offset: need 12 bytes"},
              {70, "message at offset 50: cut short in timestamp: need 58 bytes"},
              {78, "message at offset 50: cut short in key: need 58 bytes"},
              {100, "message at offset 50: cut short in value: need 58 bytes"},
              {118, "message at offset 108: cut short in message_size: need 12 bytes"},
              {120, "message at offset 108: cut short in crc: need 36 bytes"}};
  for (const auto& c : cuts) {
    std::string out;
    auto problems = decode_record_sets(bytes_view(data).first(c.size), false, out);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].rfind(c.expected, 0), 0u) << problems[0];
  }
}

TEST(BatchJson, ImpossibleLengthsAndMagicsStopDecoding) {
  bytes data = read_hex_fixture("record/kcat_none.hex");
  bytes bad_magic = data;
  bad_magic[16] = 5;
  std::string out;
  auto problems = decode_record_sets(bad_magic, false, out);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "batch at offset 0: unknown magic 5 at offset 16");
  EXPECT_TRUE(out.empty());

  bytes bad_length = data;
  bad_length[8] = bad_length[9] = bad_length[10] = 0;
  bad_length[11] = 3;
  problems = decode_record_sets(bad_length, false, out);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "batch at offset 0: length 3 is below the minimum of 14 at offset 8");
  EXPECT_TRUE(out.empty());
}

// A magic 0 gzip wrapper whose first inner message has a wrong CRC (the wrapper's own is right):
// the inner message is shown with crc_ok false and reported with both positions.
TEST(BatchJson, ABadInnerCrcIsShownAndReported) {
  bytes fixture = read_hex_fixture("record/python_v0_gzip.hex");
  auto wrapper = record::read_message_set(fixture, {.decode_records = false});
  ASSERT_EQ(wrapper.messages.size(), 1u);
  auto inner = record::decompress(record::codec::gzip, *wrapper.messages[0].value, 1 << 20);
  ASSERT_TRUE(inner.ok());
  bytes set = inner.value();
  set[15] ^= 0xff;  // the last byte of the first inner message's CRC
  auto packed = record::compress(record::codec::gzip, set);
  ASSERT_TRUE(packed.ok());
  // magic 0, attributes gzip, null key, the value; CRC-32 over them.
  bytes body = join({bytes_of({0, 1, 0xff, 0xff, 0xff, 0xff}),
                     bytes_of({0, 0, static_cast<int>(packed->size() >> 8),
                               static_cast<int>(packed->size() & 0xff)}),
                     packed.value()});
  std::uint32_t crc =
      static_cast<std::uint32_t>(crc32(0, body.data(), static_cast<uInt>(body.size())));
  bytes message =
      join({bytes(fixture.begin(), fixture.begin() + 8),
            bytes_of({0, 0, static_cast<int>((body.size() + 4) >> 8),
                      static_cast<int>((body.size() + 4) & 0xff)}),
            bytes_of({static_cast<int>(crc >> 24), static_cast<int>((crc >> 16) & 0xff),
                      static_cast<int>((crc >> 8) & 0xff), static_cast<int>(crc & 0xff)}),
            body});
  std::string out;
  auto problems = decode_record_sets(message, false, out);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("message at offset 0: value after gzip decompression: message at "
                              "offset 0: CRC mismatch: stored 0x",
                              0),
            0u)
      << problems[0];
  EXPECT_NE(out.find(R"("messages":[{"inner_position":0,"offset":100,)"), std::string::npos);
  EXPECT_NE(out.find(R"("crc_ok":false,"magic":0)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("crc_ok":true,"magic":0)"), std::string::npos) << out;
}

}  // namespace
}  // namespace kpipe::cli
