#include "client/group/consumer_protocol.hpp"

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

namespace kpipe::client::group {
namespace {

// Neither message is flexible in any version: int16-length strings, int32-length bytes and
// int32 array counts.
constexpr bool compact = false;

error usage_error(std::string message) { return error{error_kind::usage, std::move(message)}; }

// The writer does not check lengths; a string longer than an int16 length can describe would
// be written with a wrapped length, so it is refused here.
bool fits_string(std::string_view s) {
  return s.size() <= static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max());
}

template <class Container>
bool fits_array(const Container& c) {
  return c.size() <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
}

bool fits_bytes(const std::optional<protocol::byte_buffer>& b) {
  return !b || b->size() <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
}

// Returns the first problem, or an empty string.
std::string check_topic_partitions(const topic_partitions& tps, std::string_view field) {
  if (!fits_array(tps)) return std::string(field) + ": too many topics";
  for (const auto& [topic, partitions] : tps) {
    if (!fits_string(topic)) return std::string(field) + ": topic name longer than 32767 bytes";
    if (!fits_array(partitions)) return std::string(field) + ": too many partitions";
  }
  return {};
}

void write_topic_partitions(protocol::writer& w, const topic_partitions& tps) {
  w.array_length(static_cast<std::int32_t>(tps.size()), compact);
  for (const auto& [topic, partitions] : tps) {
    w.string(topic, compact);
    w.array_length(static_cast<std::int32_t>(partitions.size()), compact);
    for (std::int32_t p : partitions) w.i32(p);
  }
}

// A non-nullable array: Kafka's generated readers reject a null (-1) count.
std::int32_t read_array_length(protocol::reader& r) {
  std::int32_t n = r.array_length(compact);
  if (r.ok() && n < 0) r.fail("null where an array is required");
  return r.ok() ? n : 0;
}

// Reads [topic, [partition]] entries, merging repeated topics. On failure the reader holds
// the path inside the array; the caller adds the field name.
void read_topic_partitions(protocol::reader& r, topic_partitions& out) {
  std::int32_t count = read_array_length(r);
  for (std::int32_t i = 0; i < count && r.ok(); ++i) {
    std::string topic = r.string(compact);
    if (!r.ok()) {
      r.add_path("topic");
      r.add_path_index(static_cast<std::size_t>(i));
      return;
    }
    // Counts are checked against the bytes left, so this reserve is bounded by the input.
    std::int32_t partition_count = read_array_length(r);
    if (!r.ok()) {
      r.add_path("partitions");
      r.add_path_index(static_cast<std::size_t>(i));
      return;
    }
    auto& partitions = out[std::move(topic)];
    partitions.reserve(partitions.size() + static_cast<std::size_t>(partition_count));
    for (std::int32_t j = 0; j < partition_count; ++j) {
      std::int32_t p = r.i32();
      if (!r.ok()) {
        r.add_path_index(static_cast<std::size_t>(j));
        r.add_path("partitions");
        r.add_path_index(static_cast<std::size_t>(i));
        return;
      }
      partitions.push_back(p);
    }
  }
}

error decode_error(std::string_view what, const protocol::reader& r) {
  return error{error_kind::protocol, std::string(what) + ": " + r.error()};
}

// Reads the version prefix. Versions above the newest known are read with the newest layout,
// as the Java client's ConsumerProtocol does: later versions only append fields. Only a
// negative version is refused.
std::optional<error> read_version(protocol::reader& r, std::string_view what,
                                  std::int16_t& version) {
  version = r.i16();
  if (!r.ok()) {
    r.add_path("version");
    return decode_error(what, r);
  }
  if (version < 0) {
    return error{error_kind::protocol, std::string(what) + ": version: unsupported version " +
                                           std::to_string(version) + " at offset 0"};
  }
  return std::nullopt;
}

}  // namespace

result<protocol::byte_buffer> encode(const subscription& value, std::int16_t version) {
  if (version < 0 || version > consumer_protocol_max_version) {
    return usage_error("consumer subscription: no version " + std::to_string(version));
  }
  if (!fits_array(value.topics)) return usage_error("consumer subscription: too many topics");
  for (const auto& topic : value.topics) {
    if (!fits_string(topic)) {
      return usage_error("consumer subscription: topic name longer than 32767 bytes");
    }
  }
  if (!fits_bytes(value.user_data)) return usage_error("consumer subscription: user data too big");
  if (version >= 1) {
    auto problem = check_topic_partitions(value.owned_partitions, "owned_partitions");
    if (!problem.empty()) return usage_error("consumer subscription: " + problem);
  }
  if (version >= 3 && value.rack_id && !fits_string(*value.rack_id)) {
    return usage_error("consumer subscription: rack id longer than 32767 bytes");
  }

  protocol::writer w;
  w.i16(version);
  w.array_length(static_cast<std::int32_t>(value.topics.size()), compact);
  for (const auto& topic : value.topics) w.string(topic, compact);
  w.nullable_bytes(value.user_data, compact);
  if (version >= 1) write_topic_partitions(w, value.owned_partitions);
  if (version >= 2) w.i32(value.generation_id);
  if (version >= 3) w.nullable_string(value.rack_id, compact);
  return w.take();
}

result<protocol::byte_buffer> encode(const assignment& value, std::int16_t version) {
  if (version < 0 || version > consumer_protocol_max_version) {
    return usage_error("consumer assignment: no version " + std::to_string(version));
  }
  auto problem = check_topic_partitions(value.partitions, "partitions");
  if (!problem.empty()) return usage_error("consumer assignment: " + problem);
  if (!fits_bytes(value.user_data)) return usage_error("consumer assignment: user data too big");

  protocol::writer w;
  w.i16(version);
  write_topic_partitions(w, value.partitions);
  w.nullable_bytes(value.user_data, compact);
  return w.take();
}

result<subscription> decode_subscription(std::span<const std::uint8_t> data) {
  constexpr std::string_view what = "consumer subscription";
  protocol::reader r(data);
  std::int16_t version = 0;
  if (auto e = read_version(r, what, version)) return *e;

  subscription out;
  std::int32_t topic_count = read_array_length(r);
  if (!r.ok()) r.add_path("topics");
  out.topics.reserve(static_cast<std::size_t>(topic_count));
  for (std::int32_t i = 0; i < topic_count && r.ok(); ++i) {
    out.topics.push_back(r.string(compact));
    if (!r.ok()) {
      r.add_path_index(static_cast<std::size_t>(i));
      r.add_path("topics");
    }
  }
  if (!r.ok()) return decode_error(what, r);

  out.user_data = r.nullable_bytes(compact);
  if (!r.ok()) {
    r.add_path("user_data");
    return decode_error(what, r);
  }
  if (version >= 1) {
    read_topic_partitions(r, out.owned_partitions);
    if (!r.ok()) {
      r.add_path("owned_partitions");
      return decode_error(what, r);
    }
  }
  if (version >= 2) {
    out.generation_id = r.i32();
    if (!r.ok()) {
      r.add_path("generation_id");
      return decode_error(what, r);
    }
  }
  if (version >= 3) {
    out.rack_id = r.nullable_string(compact);
    if (!r.ok()) {
      r.add_path("rack_id");
      return decode_error(what, r);
    }
  }
  // Anything left belongs to fields of a newer version (or is padding): ignored, as in Java.
  return out;
}

result<assignment> decode_assignment(std::span<const std::uint8_t> data) {
  constexpr std::string_view what = "consumer assignment";
  protocol::reader r(data);
  std::int16_t version = 0;
  if (auto e = read_version(r, what, version)) return *e;

  assignment out;
  read_topic_partitions(r, out.partitions);
  if (!r.ok()) {
    r.add_path("partitions");
    return decode_error(what, r);
  }
  out.user_data = r.nullable_bytes(compact);
  if (!r.ok()) {
    r.add_path("user_data");
    return decode_error(what, r);
  }
  return out;
}

void write_topic_partitions_json(util::json_writer& j, const topic_partitions& tps) {
  j.begin_array();
  for (const auto& [topic, partitions] : tps) {
    j.begin_object();
    j.key("topic");
    j.value(topic);
    j.key("partitions");
    j.begin_array();
    for (auto p : partitions) j.value(p);
    j.end_array();
    j.end_object();
  }
  j.end_array();
}

}  // namespace kpipe::client::group
