// Kafka conversations from TCP segments: pairing, reordering, lost frames, captures that begin
// mid-connection, TLS, non-Kafka streams; and the same through a pcap file read by libpcap.
#include "capture/kafka_capture.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <random>

#include "capture/ip_defragmenter.hpp"
#include "capture/pcap_file.hpp"
#include "capture_builder.hpp"
#include "protocol/generated/sasl_handshake.hpp"

namespace kpipe::capture {
namespace {

using testing::bytes;
using testing::conversation;
using json = nlohmann::json;

constexpr std::int64_t start_us = 1'700'000'000'000'000;

std::vector<json> run(const std::vector<conversation::segment>& segments, const conversation& c,
                      capture_settings settings = {}) {
  std::vector<json> lines;
  kafka_capture decoder(std::move(settings),
                        [&](std::string_view line) { lines.push_back(json::parse(line)); });
  std::int64_t t = start_us;
  for (const auto& s : segments) {
    auto packet = c.packet(s);
    auto segment = parse_packet(link::ethernet, packet);
    EXPECT_TRUE(segment);
    decoder.add(t, *segment);
    t += 1000;
  }
  decoder.finish();
  return lines;
}

// Two pipelined Metadata requests, then their responses, in segments of `mss` bytes.
conversation two_requests(std::size_t mss, bool handshake = true) {
  conversation c;
  if (handshake) c.handshake();
  auto r1 = testing::metadata_request(1, "orders");
  auto r2 = testing::metadata_request(2, "payments");
  bytes both = r1;
  both.insert(both.end(), r2.begin(), r2.end());
  c.send(true, both, mss);
  c.send(false, testing::metadata_response(1, "orders", 3), mss);
  c.send(false, testing::metadata_response(2, "payments", 1), mss);
  return c;
}

capture_settings on_port(std::optional<std::pair<std::int16_t, std::int16_t>> as = {}) {
  capture_settings s;
  s.ports = {9092};
  s.responses_as = as;
  return s;
}

capture_settings only_apis(std::set<std::int16_t> apis) {
  capture_settings s;
  s.apis = std::move(apis);
  return s;
}

std::vector<std::string> summary(const std::vector<json>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    std::string s = l["type"].get<std::string>() + " " + l["direction"].get<std::string>();
    if (l.contains("correlation_id")) s += " " + std::to_string(l["correlation_id"].get<int>());
    if (l.contains("missing_bytes")) s += " missing " + l["missing_bytes"].dump();
    if (l.contains("bytes")) s += " skipped " + l["bytes"].dump();
    out.push_back(s);
  }
  return out;
}

TEST(KafkaCapture, PairsResponsesWithRequests) {
  auto c = two_requests(1460);
  auto lines = run(c.segments, c, {});
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["type"], "request");
  EXPECT_EQ(lines[0]["api"], "Metadata");
  EXPECT_EQ(lines[0]["api_version"], 12);
  EXPECT_EQ(lines[0]["client_id"], "tester");
  EXPECT_EQ(lines[0]["src"], "10.0.0.1:40000");
  EXPECT_EQ(lines[0]["dst"], "10.0.0.2:9092");
  EXPECT_EQ(lines[0]["connection"], 1);
  EXPECT_EQ(lines[0]["time"], "2023-11-14T22:13:20.002000Z");
  EXPECT_EQ(lines[0]["body"]["topics"][0]["name"], "orders");
  EXPECT_EQ(lines[1]["correlation_id"], 2);
  EXPECT_EQ(lines[2]["type"], "response");
  EXPECT_EQ(lines[2]["correlation_id"], 1);
  EXPECT_EQ(lines[2]["client_id"], "tester");
  EXPECT_EQ(lines[2]["src"], "10.0.0.2:9092");
  EXPECT_EQ(lines[2]["direction"], "to_client");
  EXPECT_EQ(lines[2]["request_time"], lines[0]["time"]);
  EXPECT_EQ(lines[2]["latency_us"], 1000);
  EXPECT_EQ(lines[2]["body"]["topics"][0]["partitions"].size(), 3u);
  EXPECT_EQ(lines[3]["body"]["topics"][0]["name"], "payments");
}

TEST(KafkaCapture, ReorderedAndDuplicatedSegmentsGiveTheSameFrames) {
  auto c = two_requests(7);
  auto clean = summary(run(c.segments, c));
  std::mt19937 random(99);
  for (int round = 0; round < 50; ++round) {
    auto segments = c.segments;
    // Shuffle each direction within windows of 4 after the handshake (the directions keep
    // their interleaving: an acknowledgment never precedes the data it acknowledges), and send
    // some segments twice.
    for (bool client : {true, false}) {
      std::vector<std::size_t> slots;
      for (std::size_t i = 2; i < segments.size(); ++i) {
        if (segments[i].from_client == client) slots.push_back(i);
      }
      for (std::size_t i = 0; i + 1 < slots.size(); ++i) {
        std::size_t j = i + random() % std::min<std::size_t>(4, slots.size() - i);
        std::swap(segments[slots[i]], segments[slots[j]]);
      }
    }
    for (int d = 0; d < 5; ++d) {
      std::size_t i = 2 + random() % (segments.size() - 2);
      segments.insert(segments.begin() + static_cast<std::ptrdiff_t>(i), segments[i]);
    }
    auto lines = run(segments, c);
    EXPECT_EQ(summary(lines), clean) << "round " << round;
  }
}

TEST(KafkaCapture, ADroppedSegmentLosesOneFrameOnly) {
  auto c = two_requests(10);
  auto r1_size = testing::metadata_request(1, "orders").size();
  // Drop the client's segment holding bytes 20-29 of the first request (inside frame 1).
  auto segments = c.segments;
  for (auto it = segments.begin(); it != segments.end(); ++it) {
    if (it->from_client && it->seq == 1001 + 20) {
      segments.erase(it);
      break;
    }
  }
  ASSERT_GT(r1_size, 30u);
  auto lines = run(segments, c);
  // Request 1's header came before the gap: its response is still decoded, and paired.
  EXPECT_EQ(summary(lines),
            (std::vector<std::string>{"lost to_server missing 10", "request to_server 2",
                                      "response to_client 1", "response to_client 2"}));
  EXPECT_EQ(lines[2]["api"], "Metadata");
  EXPECT_EQ(lines[2]["client_id"], "tester");
  EXPECT_EQ(lines[2]["request_time"], lines[0]["time"]);
  EXPECT_EQ(lines[2]["body"]["topics"][0]["name"], "orders");
}

TEST(KafkaCapture, ADroppedSizePrefixResyncsAtTheNextRequest) {
  auto c = two_requests(4);
  auto segments = c.segments;
  // The first 4 client bytes are request 1's size: without it the splitter must search.
  segments.erase(std::find_if(segments.begin(), segments.end(),
                              [](const auto& s) { return s.from_client && s.seq == 1001; }));
  auto r1_size = testing::metadata_request(1, "orders").size();
  auto lines = run(segments, c);
  EXPECT_EQ(summary(lines), (std::vector<std::string>{
                                "lost to_server missing 4",
                                "skipped to_server skipped " + std::to_string(r1_size - 4),
                                "request to_server 2", "error to_client", "response to_client 2"}));
}

TEST(KafkaCapture, MidConnectionStartReportsSkippedBytes) {
  auto c = two_requests(5, false);
  auto segments = c.segments;
  // Begin the capture 3 segments (15 bytes) into request 1.
  segments.erase(segments.begin(), segments.begin() + 3);
  auto r1_size = testing::metadata_request(1, "orders").size();
  for (const auto& settings : {capture_settings{}, on_port()}) {
    auto lines = run(segments, c, settings);
    auto s = summary(lines);
    ASSERT_GE(s.size(), 2u);
    EXPECT_EQ(s[0], "skipped to_server skipped " + std::to_string(r1_size - 15));
    EXPECT_EQ(s[1], "request to_server 2");
    EXPECT_EQ(s.back(), "response to_client 2");
  }
}

TEST(KafkaCapture, ResponsesWithoutTheirRequestDecodeAsTold) {
  conversation c;
  c.handshake();
  c.send(false, testing::metadata_response(7, "orders", 2), 1460);
  auto lines = run(c.segments, c, on_port());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["type"], "error");
  lines = run(c.segments, c, on_port(std::pair{std::int16_t{3}, std::int16_t{12}}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["type"], "response");
  EXPECT_EQ(lines[0]["body"]["topics"][0]["partitions"].size(), 2u);
}

TEST(KafkaCapture, TlsIsOneLine) {
  conversation c;
  c.handshake();
  c.send(true, {0x16, 0x03, 0x01, 0x00, 0x50, 0x01, 0x00, 0x00, 0x4c, 0x03, 0x03}, 1460);
  c.send(false, {0x16, 0x03, 0x03, 0x00, 0x10}, 1460);
  c.send(true, bytes(3000, 0x17), 1460);
  auto lines = run(c.segments, c, on_port());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["type"], "tls");
  EXPECT_TRUE(run(c.segments, c).empty());  // without --port, not recognised as Kafka
}

// SaslHandshake v0: the SASL tokens that follow have a size but no Kafka header. They are one
// "sasl" line, and the Kafka requests after authentication decode again.
TEST(KafkaCapture, SaslTokensWithoutHeadersAreOneLine) {
  conversation c;
  c.handshake();
  protocol::writer w;
  auto at = w.reserve_i32();
  protocol::header::request h;
  h.request_api_key = protocol::api_key::sasl_handshake;
  h.request_api_version = 0;
  h.correlation_id = 1;
  h.client_id = "tester";
  h.encode(w, 1);
  protocol::sasl_handshake::request handshake;
  handshake.mechanism = "PLAIN";
  handshake.encode(w, 0);
  w.patch_i32(at, static_cast<std::int32_t>(w.size() - 4));
  c.send(true, w.take(), 1460);
  protocol::writer rw;
  at = rw.reserve_i32();
  rw.i32(1);  // correlation id, response header v0
  protocol::sasl_handshake::response accepted;
  accepted.mechanisms = {"PLAIN"};
  accepted.encode(rw, 0);
  rw.patch_i32(at, static_cast<std::int32_t>(rw.size() - 4));
  c.send(false, rw.take(), 1460);
  bytes token = {0, 0, 0, 11, 0, 'u', 's', 'e', 'r', 0, 's', 'e', 'c', 'r', 't'};
  c.send(true, token, 1460);
  c.send(false, {0, 0, 0, 0}, 1460);  // the server's empty answer
  c.send(true, testing::metadata_request(2, "orders"), 1460);
  c.send(false, testing::metadata_response(2, "orders", 1), 1460);
  auto lines = run(c.segments, c, on_port());
  EXPECT_EQ(summary(lines), (std::vector<std::string>{"request to_server 1", "response to_client 1",
                                                      "sasl to_server", "request to_server 2",
                                                      "response to_client 2"}));
}

TEST(KafkaCapture, OtherStreamsAreNotKafka) {
  conversation c;
  c.handshake();
  std::string http = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
  c.send(true, bytes(http.begin(), http.end()), 1460);
  c.send(false, bytes(500, 'x'), 1460);
  EXPECT_TRUE(run(c.segments, c).empty());
}

TEST(KafkaCapture, ApiFilter) {
  auto c = two_requests(100);
  EXPECT_EQ(run(c.segments, c, only_apis({3})).size(), 4u);
  EXPECT_TRUE(run(c.segments, c, only_apis({0, 1})).empty());
}

TEST(KafkaCapture, AFrameLargerThanMaxFrameIsReportedAndPassedOver) {
  // Request 1's response is larger than max_frame: one error line naming it, its bytes passed
  // over as they arrive (in 7-byte segments), and the frames after it decoded as usual.
  for (std::size_t mss : {7u, 1460u}) {
    conversation c;
    c.handshake();
    auto r1 = testing::metadata_request(1, "orders");
    auto r2 = testing::metadata_request(2, "payments");
    auto big = testing::metadata_response(1, "orders", 50);
    c.send(true, r1, mss);
    c.send(false, big, mss);
    c.send(true, r2, mss);
    c.send(false, testing::metadata_response(2, "payments", 1), mss);
    capture_settings settings;
    settings.max_frame = 200;
    ASSERT_GT(big.size(), 204u);
    auto lines = run(c.segments, c, settings);
    EXPECT_EQ(summary(lines),
              (std::vector<std::string>{"request to_server 1", "error to_client",
                                        "request to_server 2", "response to_client 2"}))
        << mss;
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[1]["error"],
              "Metadata v12 response with correlation id 1: " + std::to_string(big.size() - 4) +
                  " bytes, larger than the largest frame decoded "
                  "(--max-frame 200): passed over");
    // A request too large: named by its header, and its response still paired.
    settings.max_frame = 30;
    ASSERT_GT(r2.size(), 34u);
    lines = run(c.segments, c, settings);
    EXPECT_EQ(summary(lines), (std::vector<std::string>{"error to_server", "error to_client",
                                                        "error to_server", "error to_client"}))
        << mss;
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[2]["error"],
              "Metadata v12 request with correlation id 2: " + std::to_string(r2.size() - 4) +
                  " bytes, larger than the largest frame decoded "
                  "(--max-frame 30): passed over");
  }
}

TEST(KafkaCapture, ClientStreamCutAtEveryByte) {
  auto c = two_requests(1);  // one byte per segment
  std::vector<conversation::segment> client;
  for (const auto& s : c.segments) {
    if (s.from_client) client.push_back(s);
  }
  auto r1 = testing::metadata_request(1, "orders").size();
  auto total = r1 + testing::metadata_request(2, "payments").size();
  for (std::size_t cut = 1; cut <= client.size(); ++cut) {
    std::vector<conversation::segment> segments(client.begin(),
                                                client.begin() + static_cast<std::ptrdiff_t>(cut));
    auto s = summary(run(segments, c));
    std::size_t data = cut - 1;  // the SYN carries none
    std::vector<std::string> expected;
    if (data >= r1) expected.push_back("request to_server 1");
    if (data >= total) expected.push_back("request to_server 2");
    bool partial = data != 0 && data != r1 && data != total;
    // A cut request of an unrecognised stream says nothing; once one request decoded, the
    // stream is Kafka and a cut frame is reported lost.
    if (partial && data > r1) {
      std::size_t frame_start = r1;
      std::size_t have = data - frame_start;
      std::size_t missing = have >= 4 ? total - data : 0;
      expected.push_back("lost to_server missing " + std::to_string(missing));
    }
    ASSERT_EQ(s, expected) << "cut " << cut;
  }
}

// The same conversation written to a pcap file and read back through libpcap, whole and cut
// at a random byte (libpcap reports the cut record; what came before is decoded).
TEST(KafkaCapture, ThroughAPcapFile) {
  auto c = two_requests(1460);
  testing::pcap_writer pcap;
  std::int64_t t = start_us;
  for (const auto& s : c.segments) {
    pcap.packet(t, c.packet(s));
    t += 1000;
  }
  auto decode = [](const bytes& file) {
    std::vector<json> lines;
    auto* stream = fmemopen(const_cast<std::uint8_t*>(file.data()), file.size(), "rb");
    auto f = pcap_file::open_stream(stream, "memory");
    if (!f) return std::make_pair(lines, f.error().message);
    EXPECT_EQ(f.value().link_type(), link::ethernet);
    kafka_capture decoder({}, [&](std::string_view l) { lines.push_back(json::parse(l)); });
    captured_packet p;
    while (f.value().next(p)) {
      if (auto s = parse_packet(f.value().link_type(), p.bytes)) decoder.add(p.time_us, *s);
    }
    decoder.finish();
    return std::make_pair(lines, f.value().error());
  };
  auto [lines, error] = decode(pcap.data());
  EXPECT_EQ(error, "");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["time"], "2023-11-14T22:13:20.002000Z");
  EXPECT_EQ(lines[3]["latency_us"], 2000);
  // Where each record starts (a 16-byte header and the packet), so that a cut can name it.
  std::vector<std::size_t> starts{24};
  for (const auto& s : c.segments) starts.push_back(starts.back() + 16 + c.packet(s).size());
  std::mt19937 random(7);
  for (int i = 0; i < 20; ++i) {
    auto cut = pcap.data();
    cut.resize(24 + random() % (cut.size() - 24));
    auto [some, why] = decode(cut);
    EXPECT_LE(some.size(), 4u);
    // A cut inside a record: the error names the byte offset where that record starts.
    auto next = std::upper_bound(starts.begin(), starts.end(), cut.size());
    std::size_t record = *(next - 1);
    if (record == cut.size()) {
      EXPECT_EQ(why, "") << "cut at a record boundary, " << cut.size();
    } else {
      EXPECT_NE(why.find("memory: byte offset " + std::to_string(record) + ": after packet " +
                         std::to_string(next - starts.begin() - 1) + ": "),
                std::string::npos)
          << why;
    }
  }
  bytes not_pcap(100, 'x');
  EXPECT_NE(decode(not_pcap).second, "");
}

// A packet whose payload the snap length cut: the missing bytes are a gap at once, the frame
// spanning them is lost, and the splitter stays in sync when the frame's size is known.
TEST(KafkaCapture, SnappedPayloadIsAGap) {
  conversation c;
  c.handshake();
  auto r1 = testing::metadata_request(1, "orders");
  auto r2 = testing::metadata_request(2, "payments");
  c.send(true, r1, 1460);
  c.send(true, r2, 1460);
  c.send(false, testing::metadata_response(1, "orders", 3), 1460);
  c.send(false, testing::metadata_response(2, "payments", 1), 1460);
  constexpr std::size_t headers = 14 + 20 + 20;  // Ethernet, IPv4, TCP
  // snap: how many payload bytes request 1's packet keeps.
  for (std::size_t kept : {0u, 3u, 4u, 20u}) {
    testing::pcap_writer pcap;
    std::int64_t t = start_us;
    for (const auto& s : c.segments) {
      bool cut = s.from_client && s.seq == 1001;
      pcap.packet(t, c.packet(s), cut ? headers + kept : SIZE_MAX);
      t += 1000;
    }
    std::vector<json> lines;
    auto* stream =
        fmemopen(const_cast<std::uint8_t*>(pcap.data().data()), pcap.data().size(), "rb");
    auto f = pcap_file::open_stream(stream, "memory");
    ASSERT_TRUE(f);
    kafka_capture decoder({}, [&](std::string_view l) { lines.push_back(json::parse(l)); });
    captured_packet p;
    while (f.value().next(p)) {
      if (auto s = parse_packet(f.value().link_type(), p.bytes)) decoder.add(p.time_us, *s);
    }
    decoder.finish();
    std::vector<std::string> expected = {"lost to_server missing " +
                                         std::to_string(r1.size() - kept)};
    // A size prefix cut short leaves the splitter out of sync: the 3 bytes it has are passed
    // over until request 2 checks out.
    if (kept == 3) expected.push_back("skipped to_server skipped 3");
    // With its header (20 bytes kept), request 1 still pairs its response.
    expected.push_back("request to_server 2");
    expected.push_back(kept == 20 ? "response to_client 1" : "error to_client");
    expected.push_back("response to_client 2");
    EXPECT_EQ(summary(lines), expected) << kept;
  }
}

// A request sent in IPv4 fragments (a path with a small MTU): put together, it decodes as if
// it had come whole; the same with one fragment missing is a gap, the frame lost.
TEST(KafkaCapture, FragmentedPacketsThroughPcap) {
  auto c = two_requests(1460);
  for (bool drop_one : {false, true}) {
    std::uint64_t pieces_sent = 0;
    testing::pcap_writer pcap(link::raw);
    std::int64_t t = start_us;
    for (const auto& s : c.segments) {
      auto packet = c.packet(s);
      bytes ip(packet.begin() + 14, packet.end());
      if (s.from_client && !s.payload.empty()) {
        auto pieces = testing::ipv4_fragments(ip, 24, 4242);
        ASSERT_GT(pieces.size(), 3u);
        if (drop_one) pieces.erase(pieces.begin() + 2);
        std::reverse(pieces.begin(), pieces.end());
        for (const auto& f : pieces) pcap.packet(t, f);
        pieces_sent += pieces.size();
      } else {
        pcap.packet(t, ip);
      }
      t += 1000;
    }
    auto* stream =
        fmemopen(const_cast<std::uint8_t*>(pcap.data().data()), pcap.data().size(), "rb");
    auto f = pcap_file::open_stream(stream, "memory");
    ASSERT_TRUE(f);
    std::vector<json> lines;
    kafka_capture decoder(on_port(), [&](std::string_view l) { lines.push_back(json::parse(l)); });
    ip_defragmenter fragments;
    captured_packet p;
    std::optional<ip_fragment> fragment;
    while (f.value().next(p)) {
      fragment.reset();
      auto segment = parse_packet(f.value().link_type(), p.bytes, nullptr, &fragment);
      if (!segment && fragment) {
        if (auto datagram = fragments.add(p.time_us, *fragment)) {
          segment = parse_tcp_payload(*datagram, fragment->source, fragment->destination);
        }
      }
      if (segment) decoder.add(p.time_us, *segment);
    }
    decoder.finish();
    fragments.finish();
    if (!drop_one) {
      EXPECT_EQ(summary(lines), summary(run(c.segments, c, on_port())));
      EXPECT_EQ(fragments.reassembled(), 1u);
      EXPECT_EQ(fragments.abandoned(), 0u);
    } else {
      // The client's bytes never arrive (a lost tail of the stream is no gap anyone knows
      // of): the responses are without their requests.
      EXPECT_EQ(fragments.abandoned(), pieces_sent);
      EXPECT_EQ(summary(lines), (std::vector<std::string>{"error to_client", "error to_client"}));
    }
  }
}

TEST(KafkaCapture, OtherLinkTypesThroughPcap) {
  testing::pcap_writer pcap(link::raw);
  auto c = two_requests(1460);
  std::int64_t t = start_us;
  for (const auto& s : c.segments) {
    auto packet = c.packet(s);
    pcap.packet(t, bytes(packet.begin() + 14, packet.end()));  // without the Ethernet header
    t += 1000;
  }
  auto* stream = fmemopen(const_cast<std::uint8_t*>(pcap.data().data()), pcap.data().size(), "rb");
  auto f = pcap_file::open_stream(stream, "memory");
  ASSERT_TRUE(f);
  EXPECT_TRUE(link_type_supported(f.value().link_type()));
  EXPECT_EQ(pcap_file::link_type_name(105), "IEEE802_11 (105)");
}

}  // namespace
}  // namespace kpipe::capture
