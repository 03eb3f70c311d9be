#include "record/internal_topic_records.hpp"

#include <array>
#include <string>
#include <utility>

#include "client/group/consumer_protocol.hpp"
#include "protocol/generated/consumer_offsets.hpp"
#include "protocol/generated/transaction_state.hpp"
#include "protocol/reader.hpp"
#include "protocol/tagged_fields.hpp"
#include "util/base64.hpp"
#include "util/json_writer.hpp"

namespace kpipe::record {
namespace {

using bytes = std::span<const std::uint8_t>;
namespace co = protocol::consumer_offsets;
namespace ts = protocol::transaction_state;

// The record types of __consumer_offsets (the key's int16 prefix; Kafka's CoordinatorRecordType).
// max_value_version -1: a type kpipe names but has no definition of (share and streams groups).
struct record_kind {
  std::int16_t type;
  std::string_view name;
  std::string_view tombstone;  // what a null value means
  std::int16_t max_value_version;
};

constexpr std::array<record_kind, 22> consumer_offsets_kinds{{
    {0, "offset_commit", "offset deleted", 4},
    {1, "offset_commit", "offset deleted", 4},
    {2, "group_metadata", "group deleted", 4},
    {3, "consumer_group_metadata", "group deleted", 0},
    {4, "consumer_group_partition_metadata", "partition metadata deleted", 0},
    {5, "consumer_group_member_metadata", "member removed", 0},
    {6, "consumer_group_target_assignment_metadata", "target assignment deleted", 0},
    {7, "consumer_group_target_assignment_member", "member's target assignment deleted", 0},
    {8, "consumer_group_current_member_assignment", "member's assignment deleted", 0},
    {10, "share_group_member_metadata", "member removed", -1},
    {11, "share_group_metadata", "group deleted", -1},
    {12, "share_group_target_assignment_metadata", "target assignment deleted", -1},
    {13, "share_group_target_assignment_member", "member's target assignment deleted", -1},
    {14, "share_group_current_member_assignment", "member's assignment deleted", -1},
    {15, "share_group_state_partition_metadata", "deleted", -1},
    {16, "consumer_group_regular_expression", "regular expression removed", 0},
    {17, "streams_group_metadata", "group deleted", -1},
    {18, "streams_group_member_metadata", "member removed", -1},
    {19, "streams_group_target_assignment_metadata", "target assignment deleted", -1},
    {20, "streams_group_target_assignment_member", "member's target assignment deleted", -1},
    {21, "streams_group_current_member_assignment", "member's assignment deleted", -1},
    {22, "streams_group_topology", "topology deleted", -1},
}};

const record_kind* find_kind(std::int16_t type) {
  for (const auto& k : consumer_offsets_kinds) {
    if (k.type == type) return &k;
  }
  return nullptr;
}

// KIP-98's transaction states, by the int8 that __transaction_state stores.
std::string_view transaction_state_name(std::int8_t state) {
  static constexpr std::array<std::string_view, 8> names{
      "Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
      "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence"};
  if (state < 0 || static_cast<std::size_t>(state) >= names.size()) return "unknown";
  return names[static_cast<std::size_t>(state)];
}

// The int16 that starts every key and value (a record type or a version).
std::optional<std::int16_t> prefix_of(bytes data) {
  if (data.size() < 2) return std::nullopt;
  return static_cast<std::int16_t>((data[0] << 8) | data[1]);
}

std::string short_prefix(std::string_view what, bytes data) {
  return std::string(what) + ": need 2 bytes, " + std::to_string(data.size()) + " left at offset 0";
}

// Decodes what follows the 2-byte prefix as T at `version`. Every byte must belong to it: a
// record is exactly one struct, so bytes left over mean the layout is not the one assumed.
template <class T>
std::optional<std::string> decode_all(std::string_view what, bytes data, std::int16_t version,
                                      T& out) {
  protocol::reader r(data.subspan(2), 2);
  if (!out.decode(r, version)) return std::string(what) + ": " + r.error();
  if (!r.at_end()) {
    return std::string(what) + ": " + std::to_string(r.remaining()) +
           " bytes left over after the last field at offset " + std::to_string(r.offset());
  }
  return std::nullopt;
}

// One record's object: its members are written as they are known, and the end says how it went.
class record_writer {
 public:
  record_writer(util::json_writer& j, std::optional<bytes> key, std::optional<bytes> value,
                std::string* why)
      : j_(j), key_(key), value_(value), why_(why) {
    j_.begin_object();
  }

  util::json_writer& json() { return j_; }

  internal_record_status done(internal_record_status status = internal_record_status::decoded) {
    if (!problem_.empty()) status = internal_record_status::malformed;
    if (status == internal_record_status::malformed) {
      j_.key("error");
      j_.value(problem_);
      if (why_ != nullptr) *why_ = problem_;
    }
    if (status != internal_record_status::decoded) {
      j_.key("raw_key");
      raw(key_);
      j_.key("raw_value");
      raw(value_);
    }
    j_.end_object();
    return status;
  }
  internal_record_status error(std::string why) {
    problem_ = std::move(why);
    return done(internal_record_status::malformed);
  }
  internal_record_status undecoded(const std::string& why) {
    j_.key("undecoded");
    j_.value(why);
    if (why_ != nullptr) *why_ = why;
    return done(internal_record_status::undecoded);
  }
  // A problem inside an otherwise decoded value (a member's embedded protocol bytes): the value
  // is still written, and the record counts as malformed.
  void note_problem(std::string why) {
    if (problem_.empty()) problem_ = std::move(why);
  }

 private:
  void raw(const std::optional<bytes>& b) {
    if (!b) {
      j_.null();
    } else {
      j_.value(util::base64(*b));
    }
  }

  util::json_writer& j_;
  std::optional<bytes> key_;
  std::optional<bytes> value_;
  std::string* why_;
  std::string problem_;
};

// ---- the "consumer" embedded protocol inside classic group metadata

void write_nullable_bytes(util::json_writer& j, const std::optional<protocol::byte_buffer>& b) {
  if (b) {
    j.value(util::base64(*b));
  } else {
    j.null();
  }
}

// An undecodable embedded value: the reason and the bytes, in place of the value.
void write_embedded_error(util::json_writer& j, const std::string& why, bytes data) {
  j.begin_object();
  j.key("error");
  j.value(why);
  j.key("raw");
  j.value(util::base64(data));
  j.end_object();
}

// ConsumerProtocolSubscription; fields by the version it carries (v3's layout for newer ones,
// as consumer_protocol reads them).
void write_subscription(util::json_writer& j, bytes data, const std::string& where,
                        record_writer& out) {
  auto decoded = client::group::decode_subscription(data);
  if (!decoded) {
    write_embedded_error(j, decoded.error().message, data);
    out.note_problem(where + ": " + decoded.error().message);
    return;
  }
  const auto& s = decoded.value();
  std::int16_t version = prefix_of(data).value_or(0);
  j.begin_object();
  j.key("version");
  j.value(version);
  j.key("topics");
  j.begin_array();
  for (const auto& t : s.topics) j.value(t);
  j.end_array();
  j.key("user_data");
  write_nullable_bytes(j, s.user_data);
  if (version >= 1) {
    j.key("owned_partitions");
    client::group::write_topic_partitions_json(j, s.owned_partitions);
  }
  if (version >= 2) {
    j.key("generation_id");
    j.value(s.generation_id);
  }
  if (version >= 3) {
    j.key("rack_id");
    if (s.rack_id) {
      j.value(*s.rack_id);
    } else {
      j.null();
    }
  }
  j.end_object();
}

void write_assignment(util::json_writer& j, bytes data, const std::string& where,
                      record_writer& out) {
  auto decoded = client::group::decode_assignment(data);
  if (!decoded) {
    write_embedded_error(j, decoded.error().message, data);
    out.note_problem(where + ": " + decoded.error().message);
    return;
  }
  j.begin_object();
  j.key("version");
  j.value(prefix_of(data).value_or(0));
  j.key("partitions");
  client::group::write_topic_partitions_json(j, decoded.value().partitions);
  j.key("user_data");
  write_nullable_bytes(j, decoded.value().user_data);
  j.end_object();
}

// GroupMetadataValue, written by hand rather than by the generated to_json so that a "consumer"
// group's subscriptions and assignments are decoded instead of shown as base64.
void write_group_metadata_value(util::json_writer& j, const co::group_metadata_value& v,
                                std::int16_t version, record_writer& out) {
  const bool consumer = v.protocol_type == "consumer";
  auto nullable = [&](const std::optional<std::string>& s) {
    if (s) {
      j.value(*s);
    } else {
      j.null();
    }
  };
  j.begin_object();
  j.key("protocol_type");
  j.value(v.protocol_type);
  j.key("generation");
  j.value(v.generation);
  j.key("protocol");
  nullable(v.protocol);
  j.key("leader");
  nullable(v.leader);
  if (version >= 2) {
    j.key("current_state_timestamp");
    j.value(v.current_state_timestamp);
  }
  j.key("members");
  j.begin_array();
  for (std::size_t i = 0; i < v.members.size(); ++i) {
    const auto& m = v.members[i];
    const std::string where = "value: members[" + std::to_string(i) + "]";
    j.begin_object();
    j.key("member_id");
    j.value(m.member_id);
    if (version >= 3) {
      j.key("group_instance_id");
      nullable(m.group_instance_id);
    }
    j.key("client_id");
    j.value(m.client_id);
    j.key("client_host");
    j.value(m.client_host);
    if (version >= 1) {
      j.key("rebalance_timeout");
      j.value(m.rebalance_timeout);
    }
    j.key("session_timeout");
    j.value(m.session_timeout);
    j.key("subscription");
    if (consumer) {
      write_subscription(j, m.subscription, where + ".subscription", out);
    } else {
      j.value(util::base64(m.subscription));
    }
    j.key("assignment");
    if (consumer && m.assignment.empty()) {
      j.null();  // a member that joined but has no assignment yet (before SyncGroup)
    } else if (consumer) {
      write_assignment(j, m.assignment, where + ".assignment", out);
    } else {
      j.value(util::base64(m.assignment));
    }
    if (!m.unknown_tagged_fields.empty())
      protocol::write_unknown_tags_json(j, m.unknown_tagged_fields);
    j.end_object();
  }
  j.end_array();
  if (!v.unknown_tagged_fields.empty())
    protocol::write_unknown_tags_json(j, v.unknown_tagged_fields);
  j.end_object();
}

// ---- __consumer_offsets

// Decodes key and value as Key and Value; write_value(json, value, version) writes the value.
template <class Key, class Value, class WriteValue>
internal_record_status decode_pair(record_writer& out, const record_kind& kind, bytes key,
                                   std::optional<bytes> value, WriteValue&& write_value) {
  auto& j = out.json();
  Key k;
  if (auto e = decode_all("key", key, 0, k)) return out.error(*e);
  j.key("key");
  k.to_json(j, 0);
  if (!value) {
    j.key("value");
    j.null();
    j.key("tombstone");
    j.value(kind.tombstone);
    return out.done();
  }
  auto version = prefix_of(*value);
  if (!version) return out.error(short_prefix("value: version", *value));
  j.key("value_version");
  j.value(*version);
  if (*version < Value::min_version || *version > Value::max_version) {
    return out.undecoded("value version " + std::to_string(*version) + " of " +
                         std::string(kind.name) + " is not in kpipe's definitions (" +
                         std::to_string(Value::min_version) + "-" +
                         std::to_string(Value::max_version) + ")");
  }
  Value v;
  if (auto e = decode_all("value", *value, *version, v)) return out.error(*e);
  j.key("value");
  write_value(j, v, *version);
  return out.done();
}

template <class Key, class Value>
internal_record_status decode_generated(record_writer& out, const record_kind& kind, bytes key,
                                        std::optional<bytes> value) {
  return decode_pair<Key, Value>(
      out, kind, key, value,
      [](util::json_writer& j, const Value& v, std::int16_t version) { v.to_json(j, version); });
}

internal_record_status write_consumer_offsets(util::json_writer& j, std::optional<bytes> key,
                                              std::optional<bytes> value, std::string* why) {
  record_writer out(j, key, value, why);
  if (!key) return out.error("key: null (every record of __consumer_offsets has a key)");
  auto type = prefix_of(*key);
  if (!type) return out.error(short_prefix("key: record type", *key));
  j.key("record_type");
  j.value(*type);
  const record_kind* kind = find_kind(*type);
  if (kind == nullptr) {
    return out.undecoded("record type " + std::to_string(*type) + " is not known to kpipe");
  }
  j.key("record");
  j.value(kind->name);
  if (kind->max_value_version < 0) {
    return out.undecoded("record type " + std::to_string(*type) + " (" + std::string(kind->name) +
                         ") is not in kpipe's definitions");
  }
  switch (*type) {
    case 0:
    case 1:
      return decode_generated<co::offset_commit_key, co::offset_commit_value>(out, *kind, *key,
                                                                              value);
    case 2:
      return decode_pair<co::group_metadata_key, co::group_metadata_value>(
          out, *kind, *key, value,
          [&out](util::json_writer& w, const co::group_metadata_value& v, std::int16_t version) {
            write_group_metadata_value(w, v, version, out);
          });
    case 3:
      return decode_generated<co::consumer_group_key, co::consumer_group_metadata_value>(
          out, *kind, *key, value);
    case 4:
      return decode_generated<co::consumer_group_key, co::consumer_group_partition_metadata_value>(
          out, *kind, *key, value);
    case 5:
      return decode_generated<co::consumer_group_member_key,
                              co::consumer_group_member_metadata_value>(out, *kind, *key, value);
    case 6:
      return decode_generated<co::consumer_group_key,
                              co::consumer_group_target_assignment_metadata_value>(out, *kind, *key,
                                                                                   value);
    case 7:
      return decode_generated<co::consumer_group_member_key,
                              co::consumer_group_target_assignment_member_value>(out, *kind, *key,
                                                                                 value);
    case 8:
      return decode_generated<co::consumer_group_member_key,
                              co::consumer_group_current_member_assignment_value>(out, *kind, *key,
                                                                                  value);
    case 16:
      return decode_generated<co::consumer_group_regular_expression_key,
                              co::consumer_group_regular_expression_value>(out, *kind, *key, value);
    default:
      return out.undecoded("record type " + std::to_string(*type) + " is not known to kpipe");
  }
}

// ---- __transaction_state

// TransactionLogValue by hand: the state as its name, the tagged fields of v1 by name.
void write_transaction_value(util::json_writer& j, const ts::transaction_log_value& v,
                             std::int16_t version) {
  j.begin_object();
  j.key("producer_id");
  j.value(v.producer_id);
  j.key("producer_epoch");
  j.value(v.producer_epoch);
  j.key("transaction_timeout_ms");
  j.value(v.transaction_timeout_ms);
  j.key("state");
  j.value(transaction_state_name(v.transaction_status));
  j.key("state_id");
  j.value(v.transaction_status);
  j.key("partitions");
  if (!v.transaction_partitions) {
    j.null();
  } else {
    j.begin_array();
    for (const auto& p : *v.transaction_partitions) {
      j.begin_object();
      j.key("topic");
      j.value(p.topic);
      j.key("partitions");
      j.begin_array();
      for (auto id : p.partition_ids) j.value(id);
      j.end_array();
      j.end_object();
    }
    j.end_array();
  }
  j.key("last_update_timestamp_ms");
  j.value(v.transaction_last_update_timestamp_ms);
  j.key("start_timestamp_ms");
  j.value(v.transaction_start_timestamp_ms);
  if (version >= 1) {
    // KIP-890 (Kafka 4.0) and KIP-939 (4.1): tagged, -1 / 0 when the broker left them out.
    j.key("previous_producer_id");
    j.value(v.previous_producer_id);
    j.key("next_producer_id");
    j.value(v.next_producer_id);
    j.key("next_producer_epoch");
    j.value(v.next_producer_epoch);
    j.key("client_transaction_version");
    j.value(v.client_transaction_version);
  }
  if (!v.unknown_tagged_fields.empty())
    protocol::write_unknown_tags_json(j, v.unknown_tagged_fields);
  j.end_object();
}

internal_record_status write_transaction_state(util::json_writer& j, std::optional<bytes> key,
                                               std::optional<bytes> value, std::string* why) {
  record_writer out(j, key, value, why);
  if (!key) return out.error("key: null (every record of __transaction_state has a key)");
  auto version = prefix_of(*key);
  if (!version) return out.error(short_prefix("key: version", *key));
  j.key("key_version");
  j.value(*version);
  j.key("record");
  j.value("transaction_metadata");
  if (*version != 0) {
    return out.undecoded("key version " + std::to_string(*version) +
                         " of transaction_metadata is not in kpipe's definitions (0)");
  }
  static constexpr record_kind kind{0, "transaction_metadata", "transactional id expired", 1};
  return decode_pair<ts::transaction_log_key, ts::transaction_log_value>(
      out, kind, *key, value,
      [](util::json_writer& w, const ts::transaction_log_value& v, std::int16_t v_version) {
        write_transaction_value(w, v, v_version);
      });
}

}  // namespace

std::optional<internal_topic> internal_topic_named(std::string_view topic) {
  if (topic == "__consumer_offsets") return internal_topic::consumer_offsets;
  if (topic == "__transaction_state") return internal_topic::transaction_state;
  return std::nullopt;
}

std::optional<internal_topic> internal_topic_of_path(std::string_view path) {
  // The partition directory is the path itself or, for a file, its parent: "TOPIC-N".
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (int level = 0; level < 2 && !path.empty(); ++level) {
    auto slash = path.rfind('/');
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    auto dash = name.rfind('-');
    if (dash != std::string_view::npos && dash + 1 < name.size() &&
        name.find_first_not_of("0123456789", dash + 1) == std::string_view::npos) {
      if (auto t = internal_topic_named(name.substr(0, dash))) return t;
    }
    if (slash == std::string_view::npos) break;
    path = path.substr(0, slash);
  }
  return std::nullopt;
}

std::string_view internal_topic_name(internal_topic topic) {
  return topic == internal_topic::consumer_offsets ? "__consumer_offsets" : "__transaction_state";
}

internal_record_status write_internal_record_json(util::json_writer& j, internal_topic topic,
                                                  std::optional<bytes> key,
                                                  std::optional<bytes> value, std::string* why) {
  if (why != nullptr) why->clear();
  return topic == internal_topic::consumer_offsets ? write_consumer_offsets(j, key, value, why)
                                                   : write_transaction_state(j, key, value, why);
}

}  // namespace kpipe::record
