#pragma once
// The encoding of one record inside a v2 batch (KIP-98), shared by batch_writer and the
// producer's batch_builder:
//
//   length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//   key varint-length bytes (-1 null), value (same), header count varint,
//   headers: key varint-length string, value varint-length bytes (-1 null).
//
// Written through a raw pointer into space the caller reserved (encoded_size() first): this is
// the producer's hot path, where a bounds-checked append per field costs more than the data.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "record/record.hpp"

namespace kpipe::record::encoding {

inline std::size_t uvarint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::size_t varlong_size(std::int64_t v) { return uvarint_size(zigzag(v)); }

inline std::uint8_t* put_uvarint(std::uint8_t* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(v);
  return p;
}
inline std::uint8_t* put_varlong(std::uint8_t* p, std::int64_t v) {
  return put_uvarint(p, zigzag(v));
}
inline std::size_t nullable_size(const std::optional<bytes_view>& v) {
  return v ? varlong_size(static_cast<std::int64_t>(v->size())) + v->size() : 1;
}
inline std::uint8_t* put_nullable(std::uint8_t* p, const std::optional<bytes_view>& v) {
  if (!v) return put_varlong(p, -1);
  p = put_varlong(p, static_cast<std::int64_t>(v->size()));
  if (!v->empty()) std::memcpy(p, v->data(), v->size());
  return p + v->size();
}

// What one record needs, given its deltas.
struct record_fields {
  std::optional<bytes_view> key;
  std::optional<bytes_view> value;
  std::span<const record_header> headers;
  std::int64_t timestamp_delta = 0;
  std::int32_t offset_delta = 0;
};

// The size of the record after its length field.
inline std::size_t body_size(const record_fields& r) {
  std::size_t n = 1 + varlong_size(r.timestamp_delta) + varlong_size(r.offset_delta) +
                  nullable_size(r.key) + nullable_size(r.value) +
                  varlong_size(static_cast<std::int64_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    n += varlong_size(static_cast<std::int64_t>(h.key.size())) + h.key.size() +
         nullable_size(h.value);
  }
  return n;
}

// The whole record, length included.
inline std::size_t encoded_size(std::size_t body) {
  return varlong_size(static_cast<std::int64_t>(body)) + body;
}

// Writes the record (length first) at p, which has encoded_size(body) bytes; returns the end.
inline std::uint8_t* put_record(std::uint8_t* p, const record_fields& r, std::size_t body) {
  p = put_varlong(p, static_cast<std::int64_t>(body));
  *p++ = 0;  // attributes: none defined for records
  p = put_varlong(p, r.timestamp_delta);
  p = put_varlong(p, r.offset_delta);
  p = put_nullable(p, r.key);
  p = put_nullable(p, r.value);
  p = put_varlong(p, static_cast<std::int64_t>(r.headers.size()));
  for (const auto& h : r.headers) {
    p = put_varlong(p, static_cast<std::int64_t>(h.key.size()));
    if (!h.key.empty()) std::memcpy(p, h.key.data(), h.key.size());
    p += h.key.size();
    p = put_nullable(p, h.value);
  }
  return p;
}

}  // namespace kpipe::record::encoding
