#pragma once
// The records of Kafka's internal topics as JSON: __consumer_offsets (committed offsets, classic
// group metadata, KIP-848 consumer-group records) and __transaction_state (transaction metadata).
// What `kpipe decode` adds to a record of those topics, from a log segment or from `consume -J`
// lines.
//
// The layouts are kpipe's own definitions (src/lib/protocol/defs/internal/), decoded by the
// generated code. A classic group's member subscriptions and assignments, when the group's
// protocol type is "consumer", are read with client/group/consumer_protocol (pure, no I/O).
//
// Bytes come from a broker's files or from the network and are not trusted: every length is
// checked, nothing throws, and a key or value that does not decode gives an "error" member with
// the raw bytes (base64) rather than a partial object.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kpipe::util {
class json_writer;
}

namespace kpipe::record {

enum class internal_topic { consumer_offsets, transaction_state };

// "__consumer_offsets" and "__transaction_state"; nothing for any other name.
std::optional<internal_topic> internal_topic_named(std::string_view topic);
// The topic of a partition directory ("/data/__consumer_offsets-12") or of a file inside one
// ("/data/__transaction_state-3/00000000000000000000.log"); nothing for any other path.
std::optional<internal_topic> internal_topic_of_path(std::string_view path);
std::string_view internal_topic_name(internal_topic topic);

enum class internal_record_status {
  decoded,    // key and value (or a tombstone) decoded
  undecoded,  // a record type or version kpipe has no definition of: raw bytes, "undecoded"
  malformed,  // bytes that do not parse: raw bytes, "error"
};

// Writes one JSON object for a record of `topic`:
//   __consumer_offsets:  {"record_type":1,"record":"offset_commit","key":{...},
//                         "value_version":3,"value":{...}}
//   __transaction_state: {"key_version":0,"record":"transaction_metadata","key":{...},
//                         "value_version":1,"value":{...,"state":"CompleteCommit",...}}
// A null value is a tombstone: "value":null and "tombstone" says what it means ("offset
// deleted", "group deleted", "transactional id expired", ...). Unknown types and versions add
// "undecoded" (why) and the raw bytes ("raw_key", "raw_value": base64 or null); bytes that do
// not decode add "error" (the field path and byte offset) and the raw bytes. `why`, when given,
// receives the "undecoded" or "error" text (empty when decoded).
internal_record_status write_internal_record_json(
    util::json_writer& j, internal_topic topic, std::optional<std::span<const std::uint8_t>> key,
    std::optional<std::span<const std::uint8_t>> value, std::string* why = nullptr);

}  // namespace kpipe::record
