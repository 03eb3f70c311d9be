#include "record/legacy_message_set.hpp"

#include <zlib.h>

#include <utility>

#include "protocol/reader.hpp"
#include "record/frame.hpp"
#include "record/reader_support.hpp"

namespace kpipe::record {
namespace {

using protocol::reader;

using detail::concat;
using detail::hex32;
using detail::str;
using detail::ustr;
using detail::wrapping_add;

// Where the CRC'd part starts (the magic), and the smallest length a magic 1 message can state
// (magic 0's plus the timestamp).
constexpr std::size_t crc_start = magic_offset;
constexpr std::int32_t min_length_v1 = min_entry_length + 8;

// Bytes with an int32 length, -1 for null, as a view.
std::optional<bytes_view> int32_bytes(reader& r) {
  std::int32_t length = r.i32();
  if (!r.ok() || length == -1) return std::nullopt;
  if (length < -1) {
    r.fail(concat("invalid length ", str(length)));
    return std::nullopt;
  }
  auto bytes = r.raw(static_cast<std::size_t>(length));
  if (!r.ok()) return std::nullopt;
  return bytes;
}

std::string message_prefix(std::size_t at) { return concat("message at offset ", ustr(at), ": "); }

// Decodes the message that exactly fills `data`; the reason (without prefix) when it does not.
std::optional<std::string> decode_message(std::span<const std::uint8_t> data, std::size_t at,
                                          const read_options& options, legacy_message& m) {
  m.position = at;
  reader r(data, at);
  m.offset = r.i64();
  r.i32();  // the size, which check_frame has read
  m.crc = r.u32();
  auto covered = data.subspan(crc_start);
  m.computed_crc = static_cast<std::uint32_t>(crc32_z(0, covered.data(), covered.size()));
  if (!m.crc_ok() && options.fail_on_crc_mismatch) {
    return concat("CRC mismatch: stored ", hex32(m.crc), ", computed ", hex32(m.computed_crc),
                  " at offset ", ustr(at + 12));
  }
  m.magic = r.i8();
  m.attributes = r.i8();
  if (m.magic >= 1) m.timestamp = r.i64();
  m.key = int32_bytes(r);
  if (!r.ok()) {
    r.add_path("key");
    return r.error();
  }
  m.value = int32_bytes(r);
  if (!r.ok()) {
    r.add_path("value");
    return r.error();
  }
  if (!r.at_end()) {
    r.fail(concat(ustr(r.remaining()), " bytes left over after the message's fields"));
    return r.error();
  }
  return std::nullopt;
}

struct set_outcome {
  std::size_t bytes_read = 0;
  std::optional<std::string> truncated;
  std::optional<std::string> error;  // with the failing message's prefix
};

set_outcome read_set(std::span<const std::uint8_t> data, std::size_t base,
                     const read_options& options, int depth, std::vector<legacy_message>& messages,
                     read_message_set_result& out);

// Replaces a compressed wrapper by its inner messages; the reason when it cannot.
std::optional<std::string> unwrap(const legacy_message& wrapper, const read_options& options,
                                  std::vector<legacy_message>& messages,
                                  read_message_set_result& out) {
  codec c = wrapper.compression();
  if (c == codec::zstd || static_cast<int>(c) > static_cast<int>(codec::zstd)) {
    // zstd came with magic 2 (KIP-110); codecs 5-7 never existed.
    return concat("codec ", str(static_cast<int>(c)), " is not valid for magic ",
                  str(wrapper.magic), " at offset ", ustr(wrapper.position + 17));
  }
  if (!wrapper.value) return std::string("a compressed message has a null value");
  auto inflated = decompress(c, *wrapper.value, options.max_decompressed_bytes);
  if (!inflated) return concat("value: ", inflated.error().message);
  auto owned = std::make_shared<const std::vector<std::uint8_t>>(std::move(inflated).value());
  std::vector<legacy_message> inner;
  set_outcome inner_outcome = read_set(*owned, 0, options, 1, inner, out);
  std::string where = concat("value after ", codec_name(c), " decompression: ");
  if (inner_outcome.error) return where + *inner_outcome.error;
  if (inner_outcome.truncated) return where + *inner_outcome.truncated;
  if (inner.empty()) return where + "no messages";
  // KIP-31: a magic 1 wrapper's offset is its last inner message's; inner offsets are relative.
  std::int64_t shift = 0;
  if (wrapper.magic >= 1) {
    shift = static_cast<std::int64_t>(static_cast<std::uint64_t>(wrapper.offset) -
                                      static_cast<std::uint64_t>(inner.back().offset));
  }
  bool log_append = wrapper.timestamps() == timestamp_type::log_append_time;
  for (auto& m : inner) {
    m.offset = wrapping_add(m.offset, shift);
    m.inner_position = m.position;
    m.position = wrapper.position;
    if (log_append && m.magic >= 1) {
      // The broker stamps only the wrapper (KIP-32); inner messages report its time and type.
      m.timestamp = wrapper.timestamp;
      m.attributes = static_cast<std::int8_t>(m.attributes | message_attributes::log_append_time);
    }
    messages.push_back(m);
  }
  out.buffers.push_back(std::move(owned));
  return std::nullopt;
}

set_outcome read_set(std::span<const std::uint8_t> data, std::size_t base,
                     const read_options& options, int depth, std::vector<legacy_message>& messages,
                     read_message_set_result& out) {
  set_outcome outcome;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t at = base + pos;
    std::string prefix = message_prefix(at);
    frame f = check_frame(data.subspan(pos), at);
    if (f.status == frame_status::truncated) {
      outcome.truncated = prefix + f.message;
      break;
    }
    if (f.status == frame_status::corrupt) {
      outcome.error = prefix + f.message;
      break;
    }
    if (f.magic != 0 && f.magic != 1) {
      outcome.error = prefix +
                      (f.magic == 2 ? std::string("magic 2: a record batch, not a legacy "
                                                  "message")
                                    : concat("unknown magic ", str(f.magic))) +
                      concat(" at offset ", ustr(at + magic_offset));
      break;
    }
    if (f.magic == 1 && f.size < log_overhead + min_length_v1) {
      outcome.error =
          concat(prefix, "length ", ustr(f.size - log_overhead), " is below the minimum of ",
                 str(min_length_v1), " for magic 1", " at offset ", ustr(at + 8));
      break;
    }
    legacy_message m;
    if (auto reason = decode_message(data.subspan(pos, f.size), at, options, m)) {
      outcome.error = prefix + *reason;
      break;
    }
    if (m.compression() != codec::none && options.decode_records) {
      if (depth > 0) {
        // Kafka allows one level of compression; deeper ones would let a small input multiply.
        outcome.error = prefix + "a compressed message inside a compressed message";
        break;
      }
      if (auto reason = unwrap(m, options, messages, out)) {
        outcome.error = prefix + *reason;
        break;
      }
    } else {
      messages.push_back(m);
    }
    pos += f.size;
    outcome.bytes_read = pos;
  }
  return outcome;
}

}  // namespace

read_message_set_result read_message_set(std::span<const std::uint8_t> data,
                                         const read_options& options, std::size_t base_offset) {
  read_message_set_result out;
  set_outcome outcome = read_set(data, base_offset, options, 0, out.messages, out);
  out.bytes_read = outcome.bytes_read;
  out.truncated = std::move(outcome.truncated);
  if (outcome.error) out.error = kpipe::error{error_kind::protocol, std::move(*outcome.error)};
  return out;
}

}  // namespace kpipe::record
