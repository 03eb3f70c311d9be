#include "client/produce_request.hpp"

#include <algorithm>

#include "protocol/writer.hpp"

namespace kpipe::client {

std::int16_t produce_version_for(std::int16_t negotiated, const protocol::uuid& topic_id) {
  std::int16_t version = std::min(negotiated, produce_max_version);
  bool has_id = std::any_of(topic_id.begin(), topic_id.end(), [](std::uint8_t b) { return b; });
  if (!has_id) version = std::min(version, produce_max_version_by_name);
  return version;
}

std::size_t produce_request_body::size() const {
  std::size_t n = 0;
  for (const auto& p : parts) n += p.size();
  return n;
}

protocol::byte_buffer produce_request_body::flatten() const {
  protocol::byte_buffer out;
  out.reserve(size());
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

produce_request_body write_produce_request(std::int16_t version,
                                           const std::optional<std::string>& transactional_id,
                                           std::int16_t acks, std::int32_t timeout_ms,
                                           std::string_view topic, const protocol::uuid& topic_id,
                                           std::span<const produce_partition> partitions) {
  const bool flexible = version >= 9;
  const bool by_id = version >= 13;  // KIP-516
  protocol::writer w;
  w.reserve(64 + topic.size() + (transactional_id ? transactional_id->size() : 0) +
            16 * partitions.size());
  // Where each batch goes: after framing byte `at`.
  std::vector<std::size_t> batch_at;
  batch_at.reserve(partitions.size());
  w.nullable_string(transactional_id, flexible);
  w.i16(acks);
  w.i32(timeout_ms);
  w.array_length(1, flexible);
  if (by_id) {
    w.uuid_value(topic_id);
  } else {
    w.string(topic, flexible);
  }
  w.array_length(static_cast<std::int32_t>(partitions.size()), flexible);
  for (const auto& p : partitions) {
    w.i32(p.partition);
    // The records field's length, then (in the gathered write) the batch itself.
    if (flexible) {
      w.uvarint(static_cast<std::uint32_t>(p.records.size() + 1));
    } else {
      w.i32(static_cast<std::int32_t>(p.records.size()));
    }
    batch_at.push_back(w.size());
    if (flexible) w.uvarint(0);  // partition's tagged fields
  }
  if (flexible) {
    w.uvarint(0);  // topic's tagged fields
    w.uvarint(0);  // request's tagged fields
  }
  produce_request_body body;
  body.framing = w.take();
  std::span<const std::uint8_t> framing(body.framing);
  std::size_t from = 0;
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    body.parts.push_back(framing.subspan(from, batch_at[i] - from));
    body.parts.push_back(partitions[i].records);
    from = batch_at[i];
  }
  body.parts.push_back(framing.subspan(from));
  return body;
}

}  // namespace kpipe::client
