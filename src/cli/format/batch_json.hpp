#pragma once
// Record batches (magic 2) and legacy messages (magic 0/1) as JSON: what
// `kpipe decode --record-batch` prints, one document per batch or top-level message.
//
// Bytes (keys, values, header keys and values) follow the JSON envelope of consume -J
// (kpipe(1), "The JSON envelope"): a JSON string when the bytes are valid UTF-8, null for null, and
// {"base64":"..."} otherwise, so that any value survives the trip through JSON.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "record/legacy_message_set.hpp"
#include "record/record_batch.hpp"
#include "util/utf8.hpp"

namespace kpipe::util {
class json_writer;
}

namespace kpipe::cli {

using util::is_valid_utf8;  // strict UTF-8 (RFC 3629), in util/utf8.hpp

// One value in the envelope's convention (see above).
void write_json_bytes(util::json_writer& j, const std::optional<record::bytes_view>& bytes);

// One record of a v2 batch as a JSON object (offset, timestamp, key, value, headers, control),
// as render_batch_json writes it; also what `decode --log-segment --records` prints.
void write_record_json(util::json_writer& j, const record::record& r);
// The same, with `more` writing further members before the object closes (decode adds the
// decoded key and value of an internal topic's record).
void write_record_json(util::json_writer& j, const record::record& r,
                       const std::function<void(util::json_writer&)>& more);

// A batch's "attributes" key and object (raw bits, codec, timestamp type, transactional,
// control, delete horizon), as decode --record-batch and --log-segment print them.
void write_batch_attributes_json(util::json_writer& j, const record::record_batch& b);
// One v2 batch, every header field and its records; ends in a newline. pretty: indented.
std::string render_batch_json(const record::record_batch& batch, bool pretty);

// One top-level legacy message. message_size: its size field. A compressed wrapper lists its
// inner messages (`inner`, as read_message_set returns them) instead of its value; `inner` is
// ignored for an uncompressed message. Ends in a newline.
std::string render_legacy_message_json(const record::legacy_message& message,
                                       std::int32_t message_size,
                                       std::span<const record::legacy_message> inner, bool pretty);

// Decodes a sequence of record batches and/or legacy message sets, as they sit in a Fetch
// response or a log segment: each entry's magic byte (offset 16) picks its reader. Appends one
// document per entry to `out` and returns what stderr should show:
// - a CRC mismatch: "batch at offset N: CRC mismatch: stored 0x..., computed 0x..." (the batch
//   is decoded and printed all the same, with crc_ok false);
// - the first entry that does not decode, or an entry cut short by the end of the input, with
//   the byte offset and the field: decoding stops there, the entries before it are printed.
// Decoding succeeded when nothing is returned.
std::vector<std::string> decode_record_sets(std::span<const std::uint8_t> data, bool pretty,
                                            std::string& out);

}  // namespace kpipe::cli
