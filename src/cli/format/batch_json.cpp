#include "format/batch_json.hpp"

#include <cstdio>
#include <functional>
#include <string_view>

#include "record/frame.hpp"
#include "util/base64.hpp"
#include "util/json_writer.hpp"
#include "util/utf8.hpp"

namespace kpipe::cli {
namespace {

using record::bytes_view;
using record::codec;
using record::legacy_message;
using record::record_batch;

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string at_offset(std::string_view what, std::size_t at) {
  return std::string(what) + " at offset " + std::to_string(at) + ": ";
}

std::string crc_mismatch(std::uint32_t stored, std::uint32_t computed) {
  return "CRC mismatch: stored " + hex32(stored) + ", computed " + hex32(computed);
}

std::string_view timestamp_type_name(record::timestamp_type t) {
  return t == record::timestamp_type::log_append_time ? "log_append" : "create";
}

std::string_view control_type_name(record::control_type t) {
  switch (t) {
    case record::control_type::abort:
      return "abort";
    case record::control_type::commit:
      return "commit";
    case record::control_type::leader_change:
      return "leader_change";
    case record::control_type::snapshot_header:
      return "snapshot_header";
    case record::control_type::snapshot_footer:
      return "snapshot_footer";
    case record::control_type::kraft_voters:
      return "kraft_voters";
    case record::control_type::kraft_version:
      return "kraft_version";
  }
  return "unknown";
}

bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void write_control(util::json_writer& j, const record::control_record& c) {
  j.begin_object();
  j.key("type");
  j.value(control_type_name(c.type));
  j.key("type_id");
  j.value(static_cast<std::int16_t>(c.type));
  j.key("version");
  j.value(c.version);
  // Only transaction markers (KIP-98) have a value kpipe reads: EndTxnMarker.
  if (c.marker_version) {
    j.key("marker_version");
    j.value(*c.marker_version);
  }
  if (c.coordinator_epoch) {
    j.key("coordinator_epoch");
    j.value(*c.coordinator_epoch);
  }
  j.end_object();
}

void write_record(util::json_writer& j, const record::record& r,
                  const std::function<void(util::json_writer&)>* more = nullptr) {
  j.begin_object();
  j.key("offset");
  j.value(r.offset);
  j.key("offset_delta");
  j.value(r.offset_delta);
  j.key("timestamp");
  j.value(r.timestamp);
  j.key("timestamp_delta");
  j.value(r.timestamp_delta);
  j.key("attributes");
  j.value(r.attributes);
  j.key("key");
  write_json_bytes(j, r.key);
  j.key("value");
  write_json_bytes(j, r.value);
  // Ordered pairs, not an object: header keys repeat and values may be null (KIP-82).
  j.key("headers");
  j.begin_array();
  for (const auto& h : r.headers) {
    j.begin_array();
    write_json_bytes(j, as_bytes(h.key));
    write_json_bytes(j, h.value);
    j.end_array();
  }
  j.end_array();
  if (r.control) {
    j.key("control");
    write_control(j, *r.control);
  }
  if (more != nullptr) (*more)(j);
  j.end_object();
}

// The fields a top-level legacy message and an inner one share.
void write_legacy_fields(util::json_writer& j, const legacy_message& m) {
  j.key("offset");
  j.value(m.offset);
  j.key("crc");
  j.value(m.crc);
  j.key("computed_crc");
  j.value(m.computed_crc);
  j.key("crc_ok");
  j.value(m.crc_ok());
  j.key("magic");
  j.value(m.magic);
  j.key("attributes");
  j.begin_object();
  j.key("raw");
  j.value(m.attributes);
  j.key("compression");
  j.value(record::codec_name(m.compression()));
  // Magic 0 has no timestamps at all (they came with magic 1, KIP-32).
  j.key("timestamp_type");
  if (m.magic >= 1) {
    j.value(timestamp_type_name(m.timestamps()));
  } else {
    j.null();
  }
  j.end_object();
  j.key("timestamp");
  if (m.timestamp) {
    j.value(*m.timestamp);
  } else {
    j.null();
  }
  j.key("key");
  write_json_bytes(j, m.key);
}

std::string finish(std::string doc) {
  doc += '\n';
  return doc;
}

// The header field of a v2 batch (KIP-98 layout) that byte `at` of the batch belongs to.
std::string_view batch_field_at(std::size_t at) {
  struct field {
    std::size_t end;
    std::string_view name;
  };
  static constexpr field fields[] = {{8, "base_offset"},
                                     {12, "batch_length"},
                                     {16, "partition_leader_epoch"},
                                     {17, "magic"},
                                     {21, "crc"},
                                     {23, "attributes"},
                                     {27, "last_offset_delta"},
                                     {35, "base_timestamp"},
                                     {43, "max_timestamp"},
                                     {51, "producer_id"},
                                     {53, "producer_epoch"},
                                     {57, "base_sequence"},
                                     {61, "record_count"}};
  for (const auto& f : fields) {
    if (at < f.end) return f.name;
  }
  return "records";
}

// The field of a legacy message that the first missing byte (at entry.size()) belongs to.
std::string_view legacy_field_at(bytes_view entry, std::int8_t magic) {
  std::size_t available = entry.size();
  if (available < 8) return "offset";
  if (available < 12) return "message_size";
  if (available < 16) return "crc";
  if (available < 17) return "magic";
  if (available < 18) return "attributes";
  std::size_t key_at = 18;
  if (magic == 1) {
    if (available < 26) return "timestamp";
    key_at = 26;
  }
  if (available < key_at + 4) return "key";
  auto length = static_cast<std::int32_t>(static_cast<std::uint32_t>(entry[key_at]) << 24 |
                                          static_cast<std::uint32_t>(entry[key_at + 1]) << 16 |
                                          static_cast<std::uint32_t>(entry[key_at + 2]) << 8 |
                                          entry[key_at + 3]);
  std::size_t value_at = key_at + 4 + (length > 0 ? static_cast<std::size_t>(length) : 0);
  return available < value_at ? "key" : "value";
}

// An entry cut short by the end of the input: which entry, in which field, and check_frame's
// account of the bytes. Before its magic byte an entry is taken to be of the same kind as the
// one before it (`previous_legacy`), as entries of one partition's log usually are.
bool looks_legacy(bytes_view rest, bool previous_legacy) {
  if (rest.size() <= record::magic_offset) return previous_legacy;
  return rest[record::magic_offset] == 0 || rest[record::magic_offset] == 1;
}

std::string describe_cut(bytes_view rest, std::size_t at, const std::string& how,
                         bool previous_legacy) {
  bool legacy = looks_legacy(rest, previous_legacy);
  std::string_view field =
      legacy ? legacy_field_at(rest, rest.size() > record::magic_offset
                                         ? static_cast<std::int8_t>(rest[record::magic_offset])
                                         : 0)
             : batch_field_at(rest.size());
  return at_offset(legacy ? "message" : "batch", at) + "cut short in " + std::string(field) + ": " +
         how;
}

// A v2 batch: printed when it decodes, CRC mismatch or not. False when decoding must stop.
bool decode_v2(bytes_view entry, std::size_t at, bool pretty, std::string& out,
               std::vector<std::string>& problems) {
  record::read_options show;
  show.fail_on_crc_mismatch = false;
  auto batch = record::read_batch(entry, show, at);
  if (!batch) {
    // Say whether the CRC matches too: a mismatch means the bytes were damaged, which explains
    // the failure better than the field where it surfaced.
    record::read_options header_only = show;
    header_only.decode_records = false;
    auto header = record::read_batch(entry, header_only, at);
    if (header && !header->crc_ok()) {
      problems.push_back(at_offset("batch", at) + crc_mismatch(header->crc, header->computed_crc));
    }
    problems.push_back(batch.error().message);
    return false;
  }
  if (!batch->crc_ok()) {
    problems.push_back(at_offset("batch", at) + crc_mismatch(batch->crc, batch->computed_crc));
  }
  out += render_batch_json(*batch, pretty);
  return true;
}

// A legacy message (magic 0/1): a compressed wrapper with its inner messages.
bool decode_legacy(bytes_view entry, std::size_t at, bool pretty, std::string& out,
                   std::vector<std::string>& problems) {
  record::read_options show;
  show.fail_on_crc_mismatch = false;
  record::read_options header_only = show;
  header_only.decode_records = false;  // keeps a wrapper as it is
  auto top = record::read_message_set(entry, header_only, at);
  if (top.error) {
    problems.push_back(top.error->message);
    return false;
  }
  if (top.messages.size() != 1) {
    problems.push_back(at_offset("message", at) + "not one whole message");
    return false;
  }
  const legacy_message& message = top.messages.front();
  if (!message.crc_ok()) {
    problems.push_back(at_offset("message", at) + crc_mismatch(message.crc, message.computed_crc));
  }
  auto size = static_cast<std::int32_t>(entry.size() - record::log_overhead);
  if (message.compression() == codec::none) {
    out += render_legacy_message_json(message, size, {}, pretty);
    return true;
  }
  auto inner = record::read_message_set(entry, show, at);
  if (inner.error) {
    problems.push_back(inner.error->message);
    return false;
  }
  for (const auto& m : inner.messages) {
    if (m.crc_ok()) continue;
    problems.push_back(at_offset("message", at) + "value after " +
                       std::string(record::codec_name(message.compression())) +
                       " decompression: " + at_offset("message", m.inner_position.value_or(0)) +
                       crc_mismatch(m.crc, m.computed_crc));
  }
  out += render_legacy_message_json(message, size, inner.messages, pretty);
  return true;
}

}  // namespace

void write_record_json(util::json_writer& j, const record::record& r) { write_record(j, r); }

void write_record_json(util::json_writer& j, const record::record& r,
                       const std::function<void(util::json_writer&)>& more) {
  write_record(j, r, &more);
}

void write_batch_attributes_json(util::json_writer& j, const record_batch& b) {
  j.key("attributes");
  j.begin_object();
  j.key("raw");
  j.value(b.attributes);
  j.key("compression");
  j.value(record::codec_name(b.compression()));
  j.key("timestamp_type");
  j.value(timestamp_type_name(b.timestamps()));
  j.key("transactional");
  j.value(b.transactional());
  j.key("control");
  j.value(b.control());
  // KIP-534: set once compaction has stamped the batch; base_timestamp is then the horizon.
  j.key("delete_horizon");
  j.value(b.has_delete_horizon());
  j.end_object();
}

void write_json_bytes(util::json_writer& j, const std::optional<bytes_view>& bytes) {
  if (!bytes) {
    j.null();
    return;
  }
  if (util::is_valid_utf8(*bytes)) {
    j.value(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    return;
  }
  j.begin_object();
  j.key("base64");
  j.value(util::base64(*bytes));
  j.end_object();
}

std::string render_batch_json(const record_batch& b, bool pretty) {
  std::string doc;
  util::json_writer j(doc, pretty ? 2 : 0);
  j.begin_object();
  j.key("position");
  j.value(b.position);
  j.key("base_offset");
  j.value(b.base_offset);
  j.key("batch_length");
  j.value(b.batch_length);
  j.key("partition_leader_epoch");
  j.value(b.partition_leader_epoch);
  j.key("magic");
  j.value(b.magic);
  j.key("crc");
  j.value(b.crc);
  j.key("computed_crc");
  j.value(b.computed_crc);
  j.key("crc_ok");
  j.value(b.crc_ok());
  write_batch_attributes_json(j, b);
  j.key("last_offset_delta");
  j.value(b.last_offset_delta);
  j.key("base_timestamp");
  j.value(b.base_timestamp);
  j.key("max_timestamp");
  j.value(b.max_timestamp);
  j.key("producer_id");
  j.value(b.producer_id);
  j.key("producer_epoch");
  j.value(b.producer_epoch);
  j.key("base_sequence");
  j.value(b.base_sequence);
  j.key("record_count");
  j.value(b.record_count);
  j.key("records");
  j.begin_array();
  for (const auto& r : b.records) write_record(j, r);
  j.end_array();
  j.end_object();
  return finish(std::move(doc));
}

std::string render_legacy_message_json(const legacy_message& m, std::int32_t message_size,
                                       std::span<const legacy_message> inner, bool pretty) {
  std::string doc;
  util::json_writer j(doc, pretty ? 2 : 0);
  j.begin_object();
  j.key("position");
  j.value(m.position);
  j.key("message_size");
  j.value(message_size);
  write_legacy_fields(j, m);
  if (m.compression() == codec::none) {
    j.key("value");
    write_json_bytes(j, m.value);
  } else {
    // A wrapper's value is a compressed message set: its size, then what it holds.
    j.key("value_size");
    if (m.value) {
      j.value(m.value->size());
    } else {
      j.null();
    }
    j.key("messages");
    j.begin_array();
    for (const auto& i : inner) {
      j.begin_object();
      j.key("inner_position");
      j.value(i.inner_position.value_or(0));
      write_legacy_fields(j, i);
      j.key("value");
      write_json_bytes(j, i.value);
      j.end_object();
    }
    j.end_array();
  }
  j.end_object();
  return finish(std::move(doc));
}

std::vector<std::string> decode_record_sets(std::span<const std::uint8_t> data, bool pretty,
                                            std::string& out) {
  std::vector<std::string> problems;
  std::size_t pos = 0;
  bool previous_legacy = false;
  while (pos < data.size()) {
    auto rest = data.subspan(pos);
    record::frame f = record::check_frame(rest, pos);
    if (f.status == record::frame_status::truncated) {
      problems.push_back(describe_cut(rest, pos, f.message, previous_legacy));
      break;
    }
    if (f.status == record::frame_status::corrupt) {
      bool legacy = looks_legacy(rest, previous_legacy);
      problems.push_back(at_offset(legacy ? "message" : "batch", pos) + f.message);
      break;
    }
    auto entry = rest.first(f.size);
    bool go_on = false;
    if (f.magic == 2) {
      go_on = decode_v2(entry, pos, pretty, out, problems);
    } else if (f.magic == 0 || f.magic == 1) {
      go_on = decode_legacy(entry, pos, pretty, out, problems);
    } else {
      problems.push_back(at_offset("batch", pos) + "unknown magic " + std::to_string(f.magic) +
                         " at offset " + std::to_string(pos + record::magic_offset));
    }
    if (!go_on) break;
    previous_legacy = f.magic != 2;
    pos += f.size;
  }
  return problems;
}

}  // namespace kpipe::cli
