#include "capture/kafka_capture.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "capture/frame_splitter.hpp"
#include "capture/tcp_reassembler.hpp"
#include "protocol/generated/api_dispatch.hpp"
#include "protocol/generated/api_table.hpp"
#include "protocol/generated/header.hpp"
#include "protocol/reader.hpp"
#include "util/json_writer.hpp"
#include "util/utf8.hpp"

namespace kpipe::capture {
namespace {

std::int32_t be32(std::span<const std::uint8_t> b) {
  return static_cast<std::int32_t>(std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
                                   std::uint32_t{b[2]} << 8 | b[3]);
}
std::int16_t be16(std::span<const std::uint8_t> b) {
  return static_cast<std::int16_t>(b[0] << 8 | b[1]);
}

bool known_request(std::int16_t key, std::int16_t version) {
  const protocol::api_info* api = protocol::find_api(key);
  return api && version >= api->min_version && version <= api->max_version;
}

// Without --port, this many client bytes may pass without one request boundary before the
// stream is taken for something other than Kafka.
constexpr std::uint64_t detection_budget = 64 * 1024;

// A TLS handshake record (content type 22, version 3.x): the first bytes of a TLS client.
bool looks_like_tls(std::span<const std::uint8_t> b) {
  return b.size() >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04;
}

// The request boundary check: a size that can hold a request header, then an API key and
// version kpipe knows, then a client id whose length fits in the frame and whose bytes are
// text. The client id is what makes a false boundary unlikely (random bytes rarely pass all);
// its length is capped so that a false candidate never holds the search up for long.
constexpr std::int16_t longest_client_id = 1024;
boundary_verdict request_header_check(std::span<const std::uint8_t> head) {
  if (head.size() < 14) return boundary_verdict::need_more;
  std::int32_t size = be32(head);
  if (size < 10) return boundary_verdict::no;
  if (!known_request(be16(head.subspan(4)), be16(head.subspan(6)))) return boundary_verdict::no;
  if (be32(head.subspan(8)) < 0) return boundary_verdict::no;  // clients count up from 0
  std::int16_t client_id_length = be16(head.subspan(12));
  if (client_id_length == -1) return boundary_verdict::yes;
  if (client_id_length < 0 || client_id_length > size - 10 ||
      client_id_length > longest_client_id) {
    return boundary_verdict::no;
  }
  if (head.size() < 14 + static_cast<std::size_t>(client_id_length)) {
    return boundary_verdict::need_more;
  }
  auto client_id = head.subspan(14, static_cast<std::size_t>(client_id_length));
  for (std::uint8_t c : client_id) {
    if (c < 0x20 || c == 0x7f) return boundary_verdict::no;
  }
  return util::is_valid_utf8(client_id) ? boundary_verdict::yes : boundary_verdict::no;
}

}  // namespace

std::string format_capture_time(std::int64_t time_us) {
  std::int64_t seconds = time_us / 1'000'000;
  std::int64_t micros = time_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(micros));
  return text;
}

// A candidate boundary whose whole frame is buffered must decode completely; one whose frame
// is larger than this is taken on its header alone, so that the search never waits long.
constexpr std::size_t verify_up_to = 1 << 20;

struct kafka_capture::connection {
  enum class state { unknown, kafka, ignored };
  struct pending_request {
    std::int16_t key;
    std::int16_t version;
    std::int64_t time_us;
    std::optional<std::string> client_id;
  };

  connection(kafka_capture& owner, std::uint64_t id, endpoint client, endpoint server,
             bool from_start, state initial)
      : owner(owner),
        id(id),
        client(client),
        server(server),
        status(initial),
        requests(
            from_start,
            [this](std::span<const std::uint8_t> head, bool) {
              auto verdict = request_header_check(head);
              if (verdict != boundary_verdict::yes) return verdict;
              return verify(head, true);
            },
            {[this](auto frame) { on_request(frame); },
             [this](auto n, auto head) { on_lost(true, n, head); },
             [this](auto n) { on_skipped(true, n); },
             [this](auto head, auto size) { on_oversized(true, head, size); }},
            owner.settings_.max_frame),
        responses(
            from_start,
            [this](std::span<const std::uint8_t> head, bool) {
              if (head.size() < 8) return boundary_verdict::need_more;
              if (!pending.count(be32(head.subspan(4)))) return boundary_verdict::no;
              return verify(head, false);
            },
            {[this](auto frame) { on_response(frame); },
             [this](auto n, auto head) { on_lost(false, n, head); },
             [this](auto n) { on_skipped(false, n); },
             [this](auto head, auto size) { on_oversized(false, head, size); }},
            owner.settings_.max_frame),
        to_server({[this](auto bytes) { client_data(bytes); },
                   [this](auto n) {
                     if (status != state::ignored) requests.gap(n);
                   }}),
        to_client({[this](auto bytes) {
                     if (status != state::ignored) responses.data(bytes);
                   },
                   [this](auto n) {
                     if (status != state::ignored) responses.gap(n);
                   }}) {}

  kafka_capture& owner;
  std::uint64_t id;
  endpoint client;
  endpoint server;
  state status;
  bool noted = false;     // a tls or sasl line was printed
  bool sasl_raw = false;  // SaslHandshake v0 seen: SASL tokens follow without Kafka headers
  std::uint64_t client_bytes = 0;
  std::optional<std::string> known_client_id;  // of the last request decoded
  std::int64_t now_us = 0;
  std::map<std::int32_t, pending_request> pending;
  frame_splitter requests;
  frame_splitter responses;
  tcp_reassembler to_server;
  tcp_reassembler to_client;
  bool client_fin = false;
  bool server_fin = false;

  // Requests waiting for their responses are bounded: a client that expects none (Produce
  // with acks=0) or a capture of one direction only would grow the map forever. Past the
  // bound the lowest correlation id (the oldest, as clients count up) is forgotten.
  static constexpr std::size_t most_pending = 4096;
  void remember(std::int32_t correlation_id, pending_request request) {
    pending[correlation_id] = std::move(request);
    if (pending.size() > most_pending) pending.erase(pending.begin());
  }

  // The second half of a boundary check: the frame decodes, when it is all there.
  boundary_verdict verify(std::span<const std::uint8_t> head, bool request) {
    auto size = static_cast<std::size_t>(be32(head));
    if (head.size() - 4 < size) {
      if (size <= verify_up_to) return boundary_verdict::need_more;
      // Too large to wait for. A response's pending correlation id is evidence enough; a
      // request's header must name a client id this connection already used (without one,
      // the candidate is passed over: losing one large request beats taking a false one).
      if (!request) return boundary_verdict::likely;
      auto length = be16(head.subspan(12));
      std::string id = length < 0 ? std::string()
                                  : std::string(reinterpret_cast<const char*>(head.data()) + 14,
                                                static_cast<std::size_t>(length));
      return known_client_id && *known_client_id == id ? boundary_verdict::likely
                                                       : boundary_verdict::no;
    }
    auto frame = head.subspan(4, size);
    std::string& scratch = owner.scratch_;
    scratch.clear();
    if (request) {
      std::int16_t key = be16(frame);
      std::int16_t version = be16(frame.subspan(2));
      protocol::header::request header;
      protocol::reader r(frame);
      if (!header.decode(r, protocol::request_header_version(key, version))) {
        return boundary_verdict::no;
      }
      return body_json(key, version, true, frame.subspan(r.offset()), scratch)
                 ? boundary_verdict::no
                 : boundary_verdict::yes;
    }
    const auto& api = pending.at(be32(frame));
    protocol::header::response header;
    protocol::reader r(frame);
    if (!header.decode(r, protocol::response_header_version(api.key, api.version))) {
      return boundary_verdict::no;
    }
    return body_json(api.key, api.version, false, frame.subspan(r.offset()), scratch)
               ? boundary_verdict::no
               : boundary_verdict::yes;
  }

  void client_data(std::span<const std::uint8_t> bytes) {
    if (status == state::ignored) return;
    if (client_bytes == 0 && looks_like_tls(bytes)) {
      if (status == state::kafka) note("tls", "the connection is encrypted (TLS): not decoded");
      status = state::ignored;
      return;
    }
    client_bytes += bytes.size();
    requests.data(bytes);
    if (status == state::unknown && client_bytes > detection_budget) status = state::ignored;
  }

  void begin_line(util::json_writer& j, const char* type, bool to_server_side) {
    j.begin_object();
    j.key("type");
    j.value(type);
    j.key("time");
    j.value(format_capture_time(now_us));
    j.key("connection");
    j.value(id);
    j.key("src");
    j.value((to_server_side ? client : server).to_string());
    j.key("dst");
    j.value((to_server_side ? server : client).to_string());
    j.key("direction");
    j.value(to_server_side ? "to_server" : "to_client");
  }

  void emit(std::string& line, bool print = true) {
    line += '\n';
    if (print) owner.emit_(line);
  }

  void note(const char* type, const char* text) {
    if (noted) return;
    noted = true;
    std::string line;
    util::json_writer j(line, owner.settings_.pretty ? 2 : 0);
    begin_line(j, type, true);
    j.key("note");
    j.value(text);
    j.end_object();
    emit(line);
  }

  void on_lost(bool to_server_side, std::uint64_t missing, std::span<const std::uint8_t> head) {
    if (status == state::ignored) return;
    // What the lost frame's header says, when it came before the gap: a request is still
    // pending (its response is decoded and paired), a response's request no longer is.
    if (to_server_side && head.size() >= 8 && known_request(be16(head), be16(head.subspan(2)))) {
      std::optional<std::string> client_id;
      // Request header v0 (ControlledShutdown v0) has no client id.
      if (head.size() >= 10 &&
          protocol::request_header_version(be16(head), be16(head.subspan(2))) >= 1) {
        std::int16_t length = be16(head.subspan(8));
        if (length >= 0 && head.size() >= 10 + static_cast<std::size_t>(length)) {
          client_id.emplace(reinterpret_cast<const char*>(head.data()) + 10,
                            static_cast<std::size_t>(length));
        }
      }
      remember(be32(head.subspan(4)), {be16(head), be16(head.subspan(2)), now_us, client_id});
    } else if (!to_server_side && head.size() >= 4) {
      pending.erase(be32(head));
    }
    std::string line;
    util::json_writer j(line, owner.settings_.pretty ? 2 : 0);
    begin_line(j, "lost", to_server_side);
    j.key("missing_bytes");
    j.value(missing);
    j.end_object();
    hold_or_emit(line, true);
  }

  void on_skipped(bool to_server_side, std::uint64_t skipped) {
    if (status == state::ignored) return;
    std::string line;
    util::json_writer j(line, owner.settings_.pretty ? 2 : 0);
    begin_line(j, "skipped", to_server_side);
    j.key("bytes");
    j.value(skipped);
    j.end_object();
    hold_or_emit(line, false);
  }

  // Lines about a stream not yet recognised as Kafka (bytes skipped or lost before its first
  // request) are held, and printed once it is; a stream that turns out to be something else
  // says nothing. Bounded: the search gives up after detection_budget bytes.
  std::vector<std::pair<std::string, bool>> held_lines;  // line, is a lost frame
  void hold_or_emit(std::string& line, bool lost) {
    if (status == state::kafka) {
      if (lost) ++owner.counts_.lost;
      emit(line);
    } else if (held_lines.size() < 16) {
      held_lines.emplace_back(std::move(line), lost);
    }
  }
  void flush_held_lines() {
    for (auto& [line, lost] : held_lines) {
      if (lost) ++owner.counts_.lost;
      emit(line);
    }
    held_lines.clear();
  }

  void error_line(bool to_server_side, const std::string& why) {
    ++owner.counts_.undecodable;
    std::string line;
    util::json_writer j(line, owner.settings_.pretty ? 2 : 0);
    begin_line(j, "error", to_server_side);
    j.key("error");
    j.value(why);
    j.end_object();
    emit(line);
  }

  // The body as JSON, appended to json (the line being written), or the reason it did not
  // decode (then json is as it was).
  std::optional<std::string> body_json(std::int16_t key, std::int16_t version, bool request,
                                       std::span<const std::uint8_t> body, std::string& json) {
    std::size_t start = json.size();
    auto attempt = [&](std::int16_t v) -> std::optional<std::string> {
      json.resize(start);
      util::json_writer bj(json, owner.settings_.pretty ? 2 : 0, 1);
      protocol::reader br(body);
      auto d = request ? protocol::direction::request : protocol::direction::response;
      if (!protocol::body_to_json(key, v, d, br, bj)) return br.error();
      if (!br.at_end()) {
        return std::to_string(br.remaining()) + " bytes left over at offset " +
               std::to_string(br.offset());
      }
      return std::nullopt;
    };
    auto failure = attempt(version);
    // KIP-511: an ApiVersions version the broker does not know is answered in a v0 body.
    if (failure && !request && key == protocol::api_key::api_versions && !attempt(0)) {
      failure.reset();
    }
    if (failure) json.resize(start);
    return failure;
  }

  std::string label(std::int16_t key, std::int16_t version, bool request) {
    const protocol::api_info* api = protocol::find_api(key);
    return (api ? std::string(api->name) : "API " + std::to_string(key)) + " v" +
           std::to_string(version) + (request ? " request" : " response");
  }

  // Room for a body of record batches (base64, 4/3 of the bytes) in one allocation, with some
  // to spare for the next: growing the line by doubling (which std::string::reserve does too)
  // would copy it and leave the memory of both sizes behind.
  static void reserve_for_body(std::string& line, std::size_t body_size) {
    std::size_t needed = line.size() + 4096 + body_size / 3 * 4 + body_size / 16;
    if (needed <= line.capacity()) return;
    std::string bigger;
    bigger.reserve(needed + needed / 8);
    bigger = line;
    line.swap(bigger);
  }

  bool printed(std::int16_t key) const {
    return owner.settings_.apis.empty() || owner.settings_.apis.count(key);
  }

  // A request or response line up to its "body" member, whose JSON body_json() then appends
  // in place: a body is many MB when it holds record batches, and is written once, where it
  // is printed from.
  void start_frame_line(util::json_writer& j, const char* type, bool request, std::int16_t key,
                        std::int16_t version, std::int32_t correlation_id,
                        const std::optional<std::string>& client_id,
                        const pending_request* paired) {
    begin_line(j, type, request);
    j.key("api");
    const protocol::api_info* api = protocol::find_api(key);
    j.value(api ? api->name : std::string_view("?"));
    j.key("api_key");
    j.value(key);
    j.key("api_version");
    j.value(version);
    j.key("correlation_id");
    j.value(correlation_id);
    j.key("client_id");
    if (client_id &&
        util::is_valid_utf8(std::span(reinterpret_cast<const std::uint8_t*>(client_id->data()),
                                      client_id->size()))) {
      j.value(*client_id);
    } else {
      j.null();
    }
    if (paired) {
      j.key("request_time");
      j.value(format_capture_time(paired->time_us));
      j.key("latency_us");
      j.value(now_us - paired->time_us);
    }
    j.key("body");
    j.raw({});  // the body follows, written by body_json()
  }

  void finish_frame_line(util::json_writer& j, std::string& line, std::int16_t key,
                         std::int16_t version, bool request,
                         std::span<const std::uint8_t> body_bytes) {
    if (owner.settings_.extra) owner.settings_.extra(j, key, version, request, body_bytes);
    j.end_object();
    emit(line);
  }

  void on_request(std::span<const std::uint8_t> frame) {
    if (status == state::ignored) return;
    std::optional<std::string> failure;
    std::string& line = owner.line_;
    line.clear();
    util::json_writer j(line, owner.settings_.pretty ? 2 : 0);
    protocol::header::request header;
    std::span<const std::uint8_t> body_bytes;
    if (frame.size() < 4 || !known_request(be16(frame), be16(frame.subspan(2)))) {
      failure = "not a request kpipe knows" +
                (frame.size() >= 4 ? " (API key " + std::to_string(be16(frame)) + ", version " +
                                         std::to_string(be16(frame.subspan(2))) + ")"
                                   : std::string());
    } else {
      std::int16_t key = be16(frame);
      std::int16_t version = be16(frame.subspan(2));
      protocol::reader r(frame);
      if (!header.decode(r, protocol::request_header_version(key, version))) {
        failure = label(key, version, true) + " header: " + r.error();
      } else {
        body_bytes = frame.subspan(r.offset());
        bool print = printed(key);
        if (print) {
          start_frame_line(j, "request", true, key, version, header.correlation_id,
                           header.client_id, nullptr);
          reserve_for_body(line, body_bytes.size());
        }
        std::string& body = print ? line : owner.scratch_;
        if (!print) body.clear();
        if (auto why = body_json(key, version, true, body_bytes, body)) {
          failure = label(key, version, true) + ": " + *why;
        }
      }
    }
    if (failure) {
      if (status == state::unknown) {
        status = state::ignored;  // the first frame is not a request: not Kafka
        return;
      }
      if (sasl_raw) {
        note("sasl", "SASL tokens without Kafka framing (SaslHandshake v0): not decoded");
        return;
      }
      error_line(true, *failure);
      return;
    }
    if (status == state::unknown) {
      status = state::kafka;
      ++owner.counts_.connections;
      flush_held_lines();
    }
    ++owner.counts_.requests;
    if (header.request_api_key == protocol::api_key::sasl_handshake &&
        header.request_api_version == 0) {
      sasl_raw = true;
    }
    known_client_id = header.client_id.value_or("");
    remember(header.correlation_id,
             {header.request_api_key, header.request_api_version, now_us, header.client_id});
    if (printed(header.request_api_key)) {
      finish_frame_line(j, line, header.request_api_key, header.request_api_version, true,
                        body_bytes);
    }
  }

  // A frame larger than settings.max_frame: named by its header (a request's API and
  // correlation id; a response's pending request), reported, and passed over undecoded. The
  // request stays pending, so that its response is still paired.
  void on_oversized(bool request, std::span<const std::uint8_t> head, std::uint64_t size) {
    if (status == state::ignored) return;
    std::string what;
    if (request) {
      std::int16_t key = be16(head);
      std::int16_t version = be16(head.subspan(2));
      if (!known_request(key, version)) {
        if (status == state::unknown) status = state::ignored;
        if (status == state::ignored) return;
        what = "a request of unknown API key " + std::to_string(key) + " version " +
               std::to_string(version);
      } else {
        if (status == state::unknown) {
          status = state::kafka;
          ++owner.counts_.connections;
          flush_held_lines();
        }
        std::int32_t correlation_id = be32(head.subspan(4));
        what = label(key, version, true) + " with correlation id " + std::to_string(correlation_id);
        remember(correlation_id, {key, version, now_us, std::nullopt});
      }
    } else {
      if (status != state::kafka) return;
      std::int32_t correlation_id = be32(head);
      auto it = pending.find(correlation_id);
      what = it == pending.end() ? "a response" : label(it->second.key, it->second.version, false);
      what += " with correlation id " + std::to_string(correlation_id);
      if (it != pending.end()) pending.erase(it);
    }
    error_line(request, what + ": " + std::to_string(size) +
                            " bytes, larger than the largest frame decoded (--max-frame " +
                            std::to_string(owner.settings_.max_frame) + "): passed over");
  }

  void on_response(std::span<const std::uint8_t> frame) {
    if (status != state::kafka) return;
    if (frame.size() < 4 && sasl_raw) {
      note("sasl", "SASL tokens without Kafka framing (SaslHandshake v0): not decoded");
      return;
    }
    if (frame.size() < 4) {
      error_line(false, "a response needs at least 4 bytes, " + std::to_string(frame.size()));
      return;
    }
    std::int32_t correlation_id = be32(frame);
    auto it = pending.find(correlation_id);
    pending_request as_given{};
    const pending_request* request = nullptr;
    if (it != pending.end()) {
      request = &it->second;
    } else if (owner.settings_.responses_as) {
      as_given = {owner.settings_.responses_as->first, owner.settings_.responses_as->second, now_us,
                  std::nullopt};
    } else if (sasl_raw) {
      note("sasl", "SASL tokens without Kafka framing (SaslHandshake v0): not decoded");
      return;
    } else {
      error_line(false, "response with correlation id " + std::to_string(correlation_id) +
                            ": its request is not in the capture (--api-key and --api-version "
                            "say how to decode it)");
      return;
    }
    const pending_request& api = request ? *request : as_given;
    protocol::header::response header;
    protocol::reader r(frame);
    if (!header.decode(r, protocol::response_header_version(api.key, api.version))) {
      error_line(false, label(api.key, api.version, false) + " header: " + r.error());
    } else {
      auto body_bytes = frame.subspan(r.offset());
      std::string& line = owner.line_;
      line.clear();
      util::json_writer j(line, owner.settings_.pretty ? 2 : 0);
      bool print = printed(api.key);
      if (print) {
        start_frame_line(j, "response", false, api.key, api.version, correlation_id, api.client_id,
                         request);
        reserve_for_body(line, body_bytes.size());
      }
      std::string& body = print ? line : owner.scratch_;
      if (!print) body.clear();
      if (auto why = body_json(api.key, api.version, false, body_bytes, body)) {
        error_line(false, label(api.key, api.version, false) + ": " + *why);
      } else {
        ++owner.counts_.responses;
        if (print) finish_frame_line(j, line, api.key, api.version, false, body_bytes);
      }
    }
    if (request) pending.erase(it);
  }

  void finish() {
    to_server.flush();
    to_client.flush();
    if (status != state::ignored) {
      requests.finish();
      responses.finish();
    }
  }
};

kafka_capture::kafka_capture(capture_settings settings, std::function<void(std::string_view)> emit)
    : settings_(std::move(settings)), emit_(std::move(emit)) {}

kafka_capture::~kafka_capture() = default;

void kafka_capture::add(std::int64_t time_us, const tcp_segment& segment) {
  bool forward = segment.source < segment.destination;
  auto key = forward ? std::make_pair(segment.source, segment.destination)
                     : std::make_pair(segment.destination, segment.source);
  auto it = connections_.find(key);
  bool syn = segment.flags & tcp_flag::syn;
  bool ack = segment.flags & tcp_flag::ack;
  if (it == connections_.end()) {
    if (segment.flags & tcp_flag::rst) return;
    // Which side is the client: the sender of a SYN, the receiver of a SYN-ACK, the side not
    // on a given Kafka port, else the side on the higher (ephemeral) port.
    bool sender_is_client;
    auto state = settings_.ports.empty() ? connection::state::unknown : connection::state::kafka;
    if (syn) {
      sender_is_client = !ack;
    } else if (!settings_.ports.empty()) {
      bool to_port = settings_.ports.count(segment.destination.port);
      bool from_port = settings_.ports.count(segment.source.port);
      if (!to_port && !from_port) state = connection::state::ignored;
      sender_is_client = to_port;
    } else {
      sender_is_client = segment.source.port >= segment.destination.port;
    }
    if (state != connection::state::ignored && !settings_.ports.empty()) {
      std::uint16_t server_port = sender_is_client ? segment.destination.port : segment.source.port;
      if (!settings_.ports.count(server_port)) state = connection::state::ignored;
    }
    const endpoint& client = sender_is_client ? segment.source : segment.destination;
    const endpoint& server = sender_is_client ? segment.destination : segment.source;
    auto conn = std::make_unique<connection>(*this, next_id_++, client, server, syn && !ack, state);
    if (state == connection::state::kafka) ++counts_.connections;
    it = connections_.emplace(key, std::move(conn)).first;
  }
  connection& c = *it->second;
  if (c.status == connection::state::ignored) {
    if (segment.flags & (tcp_flag::rst | tcp_flag::fin)) connections_.erase(it);
    return;
  }
  c.now_us = time_us;
  bool from_client = segment.source == c.client;
  // The acknowledgment first: it may settle a hole in the other direction (a request lost
  // by the capture), so that the requests are known before this segment's responses.
  if (ack) (from_client ? c.to_client : c.to_server).acknowledged(segment.acknowledgment);
  (from_client ? c.to_server : c.to_client)
      .add(segment.sequence, syn, segment.payload, segment.missing);
  if (segment.flags & tcp_flag::fin) (from_client ? c.client_fin : c.server_fin) = true;
  if ((segment.flags & tcp_flag::rst) || (c.client_fin && c.server_fin)) close(it);
}

void kafka_capture::close(
    std::map<std::pair<endpoint, endpoint>, std::unique_ptr<connection>>::iterator it) {
  it->second->finish();
  connections_.erase(it);
}

void kafka_capture::finish() {
  // In connection order, so that the output does not depend on addresses.
  std::vector<connection*> open;
  for (auto& [key, c] : connections_) open.push_back(c.get());
  std::sort(open.begin(), open.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (auto* c : open) c->finish();
  connections_.clear();
}

}  // namespace kpipe::capture
