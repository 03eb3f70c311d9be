// kpipe_compat_frames: writes Kafka frames encoded by kpipe's generated codecs into a pcap file
// that Wireshark's Kafka dissector can read, and a JSON file saying what kpipe put in each frame.
// tests/compat/tshark_compat.py then has tshark dissect the capture and compares the two.
//
// Usage: kpipe_compat_frames OUT.pcap OUT.json [FIRST_KEY LAST_KEY]   (keys default to 0-47)
//
// The capture (libpcap, LINKTYPE_ETHERNET, IPv4): one TCP connection per (api key, version) kpipe
// has, from 192.0.2.1 (a documentation address; nothing is sent anywhere) port 20000, 20001, ...
// to 192.0.2.2:9092. Each opens with a three-way handshake, carries the request frame (size,
// request header, sample body), then the response frame (size, response header, sample body),
// each in segments of at most kMaxSegment bytes (tshark reassembles the larger ones), and closes
// with FIN/ACKs. Sequence and acknowledgement numbers are consistent per direction; IPv4 and TCP
// checksums are valid. Correlation id of (key, version):
// 100000 + 100 * key + version; client id "kpipe-compat-<correlation id>".
//
// The bodies are the generated test samples (every field non-default). One change: the `records`
// of Produce requests and Fetch responses hold a real v2 record batch (one record with a key, a
// value and a header) instead of the sample's three arbitrary bytes, so that the dissector walks
// into it; the JSON is rendered from the changed value.
//
// For the few APIs whose sample request Wireshark 4.0 cannot dissect at all (it throws, and then
// never pairs the response with it), a second connection carries a default request (arrays
// empty) and the same sample response, under correlation id + kResponseOnlyOffset.
//
// The JSON file: one object per (key, version): api_key, api, version, correlation_id,
// [response_only_correlation_id], request_size/response_size (the frames' size fields),
// request_header_version, response_header_version, client_id (null for header v0), [record: what
// the record batch holds], request and response (the bodies as kpipe's to_json renders them).

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/generated/api_table.hpp"
#include "protocol/generated/create_partitions.hpp"
#include "protocol/generated/create_topics.hpp"
#include "protocol/generated/elect_leaders.hpp"
#include "protocol/generated/fetch.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/generated/produce.hpp"
#include "protocol/generated/update_metadata.hpp"
#include "protocol/reader.hpp"
#include "protocol/writer.hpp"
#include "protocol_roundtrip.hpp"
#include "util/json_writer.hpp"

namespace {

using kpipe::protocol::byte_buffer;
namespace ts = kpipe::protocol::testing_support;

constexpr std::uint16_t kServerPort = 9092;
constexpr std::uint16_t kFirstClientPort = 20000;
constexpr std::array<std::uint8_t, 4> kClientIp{192, 0, 2, 1};  // TEST-NET-1: never routed
constexpr std::array<std::uint8_t, 4> kServerIp{192, 0, 2, 2};
// Larger frames are split over several segments, as TCP does with the default IPv4 MSS (RFC 879),
// so that tshark has to reassemble them.
constexpr std::size_t kMaxSegment = 536;
constexpr std::int32_t kResponseOnlyOffset = 50000;   // correlation ids of response-only pairs
constexpr std::int64_t kTimestampMs = 1700000000000;  // of the record batch and its record

// ---- record batch ------------------------------------------------------------------------------

std::uint32_t crc32c(std::span<const std::uint8_t> data) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? (c >> 1) ^ 0x82F63B78U : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFU;
  for (std::uint8_t b : data) crc = table[(crc ^ b) & 0xFFU] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct record_content {
  std::string key, value, header_key, header_value;
};

// A magic-2 record batch holding one uncompressed record (KIP-98 layout).
byte_buffer record_batch(const record_content& c) {
  kpipe::protocol::writer rec;
  rec.i8(0);       // attributes
  rec.varlong(0);  // timestamp delta
  rec.varint(0);   // offset delta
  rec.varint(static_cast<std::int32_t>(c.key.size()));
  rec.raw(bytes_of(c.key));
  rec.varint(static_cast<std::int32_t>(c.value.size()));
  rec.raw(bytes_of(c.value));
  rec.varint(1);  // header count
  rec.varint(static_cast<std::int32_t>(c.header_key.size()));
  rec.raw(bytes_of(c.header_key));
  rec.varint(static_cast<std::int32_t>(c.header_value.size()));
  rec.raw(bytes_of(c.header_value));

  kpipe::protocol::writer tail;  // everything the CRC covers: attributes to the records
  tail.i16(0);                   // batch attributes: no compression, create time
  tail.i32(0);                   // last offset delta
  tail.i64(kTimestampMs);        // base timestamp
  tail.i64(kTimestampMs);        // max timestamp
  tail.i64(-1);                  // producer id
  tail.i16(-1);                  // producer epoch
  tail.i32(-1);                  // base sequence
  tail.i32(1);                   // record count
  tail.varint(static_cast<std::int32_t>(rec.size()));
  tail.raw(rec.buffer());

  kpipe::protocol::writer batch;
  batch.i64(0);                                                   // base offset
  batch.i32(static_cast<std::int32_t>(4 + 1 + 4 + tail.size()));  // batch length
  batch.i32(0);                                                   // partition leader epoch
  batch.i8(2);                                                    // magic
  batch.u32(crc32c(tail.buffer()));
  batch.raw(tail.buffer());
  return batch.take();
}

// Replaces every `records` of a Produce request / Fetch response sample with a real batch.
template <class Message, class Visit>
std::optional<ts::sample> with_record_batches(const ts::sample& original, std::int16_t version,
                                              Visit visit) {
  Message value;
  kpipe::protocol::reader r(original.body);
  if (!value.decode(r, version) || !r.at_end()) {
    std::cerr << "cannot decode the sample of version " << version << ": " << r.error() << "\n";
    return std::nullopt;
  }
  visit(value);
  return ts::sample_of(value, version);
}

record_content content_for(std::int32_t correlation_id) {
  const std::string tag = std::to_string(correlation_id);
  return {"key-" + tag, "value-" + tag, "hkey-" + tag, "hvalue-" + tag};
}

std::optional<ts::sample> body_for(const ts::roundtrip_case& c, std::int32_t correlation_id) {
  ts::sample s = c.make_sample(c.version);
  const record_content content = content_for(correlation_id);
  if (c.api_key == kpipe::protocol::api_key::produce && c.direction == "request") {
    return with_record_batches<kpipe::protocol::produce::request>(s, c.version, [&](auto& v) {
      for (auto& topic : v.topic_data)
        for (auto& partition : topic.partition_data) partition.records = record_batch(content);
    });
  }
  if (c.api_key == kpipe::protocol::api_key::fetch && c.direction == "response") {
    return with_record_batches<kpipe::protocol::fetch::response>(s, c.version, [&](auto& v) {
      for (auto& topic : v.responses)
        for (auto& partition : topic.partitions) partition.records = record_batch(content);
    });
  }
  return s;
}

// The body of a request with every field at its default (arrays empty or null).
template <class Request>
byte_buffer default_request(std::int16_t version) {
  kpipe::protocol::writer w;
  Request{}.encode(w, version);
  return w.take();
}

// For the APIs whose sample request Wireshark 4.0's dissector cannot parse (it throws, see
// KNOWN_DISSECTOR_BUGS in tshark_compat.py), and so never gets to pair the response with it: a
// default request whose only purpose is to let the dissector read the sample response.
std::optional<byte_buffer> response_only_request(int key, std::int16_t version) {
  namespace p = kpipe::protocol;
  switch (key) {
    case p::api_key::update_metadata:
      return default_request<p::update_metadata::request>(version);
    case p::api_key::create_topics:
      return default_request<p::create_topics::request>(version);
    case p::api_key::create_partitions:
      return default_request<p::create_partitions::request>(version);
    case p::api_key::elect_leaders:
      return default_request<p::elect_leaders::request>(version);
    default:
      return std::nullopt;
  }
}

// ---- pcap --------------------------------------------------------------------------------------

class pcap_file {
 public:
  explicit pcap_file(const std::string& path) : out_(path, std::ios::binary) {
    put32(0xA1B2C3D4U);  // magic: microsecond timestamps, written in host order (little endian)
    put16(2);
    put16(4);
    put32(0);       // thiszone
    put32(0);       // sigfigs
    put32(262144);  // snaplen
    put32(1);       // LINKTYPE_ETHERNET
  }
  bool ok() const { return static_cast<bool>(out_); }

  void packet(std::span<const std::uint8_t> data) {
    micros_ += 1000;
    put32(static_cast<std::uint32_t>(1700000000 + micros_ / 1000000));
    put32(static_cast<std::uint32_t>(micros_ % 1000000));
    put32(static_cast<std::uint32_t>(data.size()));
    put32(static_cast<std::uint32_t>(data.size()));
    out_.write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
  }

 private:
  void put16(std::uint16_t v) { out_.write(reinterpret_cast<const char*>(&v), 2); }
  void put32(std::uint32_t v) { out_.write(reinterpret_cast<const char*>(&v), 4); }

  std::ofstream out_;
  std::uint64_t micros_ = 0;
};

void be16(byte_buffer& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void be32(byte_buffer& b, std::uint32_t v) {
  be16(b, static_cast<std::uint16_t>(v >> 16));
  be16(b, static_cast<std::uint16_t>(v));
}

// The Internet checksum (RFC 1071) of `data` plus an initial partial sum.
std::uint16_t inet_checksum(std::span<const std::uint8_t> data, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < data.size(); i += 2)
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (data.size() % 2 != 0) sum += static_cast<std::uint32_t>(data.back() << 8);
  while (sum >> 16 != 0) sum = (sum & 0xFFFFU) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;

// One direction of a TCP connection: addresses and the next sequence number.
struct endpoint {
  std::array<std::uint8_t, 4> ip;
  std::uint16_t port;
  std::uint32_t seq;
};

class tcp_connection {
 public:
  tcp_connection(pcap_file& pcap, std::uint16_t client_port)
      : pcap_(pcap),
        client_{kClientIp, client_port, 1000U * client_port},
        server_{kServerIp, kServerPort, 7000U * client_port} {
    segment(client_, server_, kSyn, {});
    segment(server_, client_, kSyn | kAck, {});
    segment(client_, server_, kAck, {});
  }

  void send_to_server(std::span<const std::uint8_t> payload) { send(client_, server_, payload); }
  void send_to_client(std::span<const std::uint8_t> payload) { send(server_, client_, payload); }
  void close() {
    segment(client_, server_, kFin | kAck, {});
    segment(server_, client_, kFin | kAck, {});
    segment(client_, server_, kAck, {});
  }

 private:
  void send(endpoint& from, endpoint& to, std::span<const std::uint8_t> payload) {
    for (std::size_t at = 0; at < payload.size(); at += kMaxSegment) {
      const std::size_t n = std::min(kMaxSegment, payload.size() - at);
      segment(from, to, static_cast<std::uint8_t>(kAck | (at + n == payload.size() ? kPsh : 0)),
              payload.subspan(at, n));
    }
  }

  void segment(endpoint& from, endpoint& to, std::uint8_t flags,
               std::span<const std::uint8_t> payload) {
    const bool syn = (flags & kSyn) != 0;
    const bool ack = (flags & kAck) != 0;
    byte_buffer tcp;
    be16(tcp, from.port);
    be16(tcp, to.port);
    be32(tcp, from.seq);
    // The peer's next sequence number; for the first SYN there is nothing to acknowledge.
    be32(tcp, ack ? to.seq : 0);
    tcp.push_back(5 << 4);  // data offset: 20 bytes, no options
    tcp.push_back(flags);
    be16(tcp, 65535);  // window
    be16(tcp, 0);      // checksum, filled below
    be16(tcp, 0);      // urgent pointer
    tcp.insert(tcp.end(), payload.begin(), payload.end());

    std::uint32_t pseudo = 0;  // pseudo header: addresses, protocol, TCP length
    pseudo += static_cast<std::uint32_t>(from.ip[0] << 8 | from.ip[1]);
    pseudo += static_cast<std::uint32_t>(from.ip[2] << 8 | from.ip[3]);
    pseudo += static_cast<std::uint32_t>(to.ip[0] << 8 | to.ip[1]);
    pseudo += static_cast<std::uint32_t>(to.ip[2] << 8 | to.ip[3]);
    pseudo += 6;
    pseudo += static_cast<std::uint32_t>(tcp.size());
    const std::uint16_t tcp_sum = inet_checksum(tcp, pseudo);
    tcp[16] = static_cast<std::uint8_t>(tcp_sum >> 8);
    tcp[17] = static_cast<std::uint8_t>(tcp_sum);

    byte_buffer ip;
    ip.push_back(0x45);  // IPv4, 20-byte header
    ip.push_back(0);
    be16(ip, static_cast<std::uint16_t>(20 + tcp.size()));
    be16(ip, ip_id_++);
    be16(ip, 0x4000);  // don't fragment
    ip.push_back(64);  // TTL
    ip.push_back(6);   // TCP
    be16(ip, 0);       // checksum, filled below
    ip.insert(ip.end(), from.ip.begin(), from.ip.end());
    ip.insert(ip.end(), to.ip.begin(), to.ip.end());
    const std::uint16_t ip_sum = inet_checksum(ip);
    ip[10] = static_cast<std::uint8_t>(ip_sum >> 8);
    ip[11] = static_cast<std::uint8_t>(ip_sum);

    byte_buffer frame{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};  // dst, src MAC
    if (from.port != kServerPort)
      std::swap_ranges(frame.begin(), frame.begin() + 6, frame.begin() + 6);
    be16(frame, 0x0800);
    frame.insert(frame.end(), ip.begin(), ip.end());
    frame.insert(frame.end(), tcp.begin(), tcp.end());
    pcap_.packet(frame);

    from.seq += static_cast<std::uint32_t>(payload.size()) + (syn ? 1U : 0U) +
                ((flags & kFin) != 0 ? 1U : 0U);
  }

  pcap_file& pcap_;
  endpoint client_;
  endpoint server_;
  std::uint16_t ip_id_ = 1;
};

// ---- frames ------------------------------------------------------------------------------------

// Size prefix + header + body.
byte_buffer frame_of(const byte_buffer& header, const byte_buffer& body) {
  byte_buffer out;
  be32(out, static_cast<std::uint32_t>(header.size() + body.size()));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

struct pair_cases {
  const ts::roundtrip_case* request = nullptr;
  const ts::roundtrip_case* response = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    std::cerr << "usage: kpipe_compat_frames OUT.pcap OUT.json [FIRST_KEY LAST_KEY]\n";
    return 2;
  }
  const int first_key = argc == 5 ? std::atoi(argv[3]) : 0;
  const int last_key = argc == 5 ? std::atoi(argv[4]) : 47;

  const std::vector<ts::roundtrip_case> cases = ts::all_roundtrip_cases();
  std::map<std::pair<int, int>, pair_cases> by_version;  // (key, version) -> its two cases
  for (const auto& c : cases) {
    if (c.api_key < first_key || c.api_key > last_key) continue;
    auto& slot = by_version[{c.api_key, c.version}];
    (c.direction == "request" ? slot.request : slot.response) = &c;
  }

  pcap_file pcap(argv[1]);
  std::string json = "[";
  std::uint16_t port = kFirstClientPort;
  int written = 0;
  for (const auto& [key_version, pair] : by_version) {
    const auto [key, version] = key_version;
    if (pair.request == nullptr || pair.response == nullptr) {
      std::cerr << "api " << key << " v" << version << ": no request or no response sample\n";
      return 1;
    }
    const auto api_key = static_cast<std::int16_t>(key);
    const auto api_version = static_cast<std::int16_t>(version);
    const std::int32_t correlation_id = 100000 + 100 * key + version;
    const std::int16_t request_hv = kpipe::protocol::request_header_version(api_key, api_version);
    const std::int16_t response_hv = kpipe::protocol::response_header_version(api_key, api_version);
    const std::string client_id = "kpipe-compat-" + std::to_string(correlation_id);

    const auto request_header = [&](std::int32_t id) {
      kpipe::protocol::header::request h;
      h.request_api_key = api_key;
      h.request_api_version = api_version;
      h.correlation_id = id;
      h.client_id = client_id;
      kpipe::protocol::writer w;
      h.encode(w, request_hv);
      return w.take();
    };
    const auto response_header = [&](std::int32_t id) {
      kpipe::protocol::header::response h;
      h.correlation_id = id;
      kpipe::protocol::writer w;
      h.encode(w, response_hv);
      return w.take();
    };

    const auto request_body = body_for(*pair.request, correlation_id);
    const auto response_body = body_for(*pair.response, correlation_id);
    if (!request_body || !response_body) return 1;

    const byte_buffer request_frame = frame_of(request_header(correlation_id), request_body->body);
    const byte_buffer response_frame =
        frame_of(response_header(correlation_id), response_body->body);
    tcp_connection connection(pcap, port++);
    connection.send_to_server(request_frame);
    connection.send_to_client(response_frame);
    connection.close();

    // The same response once more, after a default request, on a connection of its own.
    const std::int32_t response_only_id = correlation_id + kResponseOnlyOffset;
    const auto default_body = response_only_request(key, api_version);
    if (default_body) {
      tcp_connection again(pcap, port++);
      again.send_to_server(frame_of(request_header(response_only_id), *default_body));
      again.send_to_client(frame_of(response_header(response_only_id), response_body->body));
      again.close();
    }

    // One line per pair: the header facts, then the sample renderings (JSON already) spliced in.
    std::string entry;
    kpipe::util::json_writer j(entry);
    j.begin_object();
    j.key("api_key");
    j.value(api_key);
    j.key("api");
    j.value(pair.request->api);
    j.key("version");
    j.value(api_version);
    j.key("correlation_id");
    j.value(correlation_id);
    if (default_body) {
      j.key("response_only_correlation_id");
      j.value(response_only_id);
    }
    j.key("request_size");  // the frame's size field: header and body
    j.value(static_cast<std::uint64_t>(request_frame.size() - 4));
    j.key("response_size");
    j.value(static_cast<std::uint64_t>(response_frame.size() - 4));
    j.key("request_header_version");
    j.value(request_hv);
    j.key("response_header_version");
    j.value(response_hv);
    j.key("client_id");
    if (request_hv >= 1) {
      j.value(client_id);
    } else {
      j.null();  // header v0 carries no client id
    }
    const bool has_records =
        (key == kpipe::protocol::api_key::produce || key == kpipe::protocol::api_key::fetch);
    if (has_records) {
      const record_content content = content_for(correlation_id);
      const byte_buffer batch = record_batch(content);
      kpipe::protocol::reader r(batch);
      r.i64();
      const std::int32_t batch_length = r.i32();
      r.i32();
      r.i8();
      const std::uint32_t crc = r.u32();
      j.key("record");
      j.begin_object();
      j.key("key");
      j.value(content.key);
      j.key("value");
      j.value(content.value);
      j.key("header_key");
      j.value(content.header_key);
      j.key("header_value");
      j.value(content.header_value);
      j.key("timestamp_ms");
      j.value(kTimestampMs);
      j.key("batch_length");
      j.value(batch_length);
      j.key("crc");
      j.value(crc);
      j.end_object();
    }
    json += (written == 0 ? "\n" : ",\n") + entry + ",\"request\":" + request_body->json +
            ",\"response\":" + response_body->json + "}";
    ++written;
  }
  json += "\n]\n";

  std::ofstream out(argv[2]);
  out << json;
  if (!out || !pcap.ok()) {
    std::cerr << "kpipe_compat_frames: cannot write the output files\n";
    return 1;
  }
  std::cout << "kpipe_compat_frames: " << written << " request/response pairs written\n";
  return 0;
}
