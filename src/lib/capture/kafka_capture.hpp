#pragma once
// Kafka conversations in captured TCP segments: connections tracked by their endpoints, each
// direction reassembled and cut into frames, requests and responses decoded with the generated
// decoders and paired by correlation id. One JSON line per request, response, and per thing
// that could not be decoded (a frame lost in a capture gap, bytes skipped to find a frame
// boundary, a TLS or SASL stream). Pure: segments in, lines out; libpcap stays in pcap_file.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "capture/packet.hpp"

namespace kpipe::util {
class json_writer;
}

namespace kpipe::capture {

struct capture_settings {
  // Server ports of Kafka streams; empty: every stream whose client bytes parse as requests.
  std::set<std::uint16_t> ports;
  // Decode responses whose request was not captured as this API and version.
  std::optional<std::pair<std::int16_t, std::int16_t>> responses_as;
  // API keys to print (empty: all). Every frame is still decoded, to pair and to check.
  std::set<std::int16_t> apis;
  bool pretty = false;
  // The largest frame decoded: a larger one is reported as an error line and passed over
  // without being held, since holding and decoding a frame takes about 5 times its size.
  std::size_t max_frame = std::size_t{16} << 20;
  // Called after a decoded body, with the writer inside the line's object, for extra members
  // (the record batches of Produce and Fetch, rendered by the CLI). body: the bytes after the
  // header.
  std::function<void(util::json_writer& j, std::int16_t api_key, std::int16_t version, bool request,
                     std::span<const std::uint8_t> body)>
      extra;
};

struct capture_counts {
  std::uint64_t requests = 0;
  std::uint64_t responses = 0;
  std::uint64_t undecodable = 0;  // frames that did not decode, responses without a request
  std::uint64_t lost = 0;         // frames that lost bytes to capture gaps
  std::uint64_t connections = 0;  // Kafka connections seen
};

class kafka_capture {
 public:
  // emit: called with each line (JSON, ending in a newline).
  kafka_capture(capture_settings settings, std::function<void(std::string_view)> emit);
  ~kafka_capture();
  kafka_capture(const kafka_capture&) = delete;
  kafka_capture& operator=(const kafka_capture&) = delete;

  // One captured TCP segment; time_us: capture time in microseconds since the Unix epoch.
  // Payload bytes the capture's snap length cut off (segment.missing) are a gap in the stream.
  void add(std::int64_t time_us, const tcp_segment& segment);
  // The end of the capture: what is held is delivered, frames cut short are reported.
  void finish();

  const capture_counts& counts() const { return counts_; }

  struct connection;

 private:
  friend struct connection;
  void close(std::map<std::pair<endpoint, endpoint>, std::unique_ptr<connection>>::iterator it);

  capture_settings settings_;
  std::function<void(std::string_view)> emit_;
  std::map<std::pair<endpoint, endpoint>, std::unique_ptr<connection>> connections_;
  std::uint64_t next_id_ = 1;
  capture_counts counts_;
  // Reused from frame to frame, so that a large body is not written to fresh memory each time:
  // the request or response line being written, and decoded bodies that are not printed
  // (--api, boundary checks).
  std::string line_;
  std::string scratch_;
};

// "2026-12-05T08:01:25.123456Z"
std::string format_capture_time(std::int64_t time_us);

}  // namespace kpipe::capture
