#include <algorithm>
#include <optional>
#include <span>
#include <string>

#include "fuzz_targets.hpp"
#include "record/internal_topic_records.hpp"
#include "util/json_writer.hpp"

namespace kpipe::fuzz {

// Input layout (internal_records_input in fuzz_targets.hpp): byte 0 picks the topic (bit 0),
// whether the key is null (bit 1) and whether the value is null (bit 2); bytes 1-2 are the key's
// length (big-endian, cut to what is there); the key follows, the value is the rest.
std::size_t decode_internal_records(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> bytes(data, size);
  const std::uint8_t flags = bytes[0];
  bytes = bytes.subspan(1);
  std::size_t key_size = 0;
  if (bytes.size() >= 2) {
    key_size = std::size_t{bytes[0]} << 8 | bytes[1];
    bytes = bytes.subspan(2);
  }
  key_size = std::min(key_size, bytes.size());
  std::optional<std::span<const std::uint8_t>> key = bytes.first(key_size);
  std::optional<std::span<const std::uint8_t>> value = bytes.subspan(key_size);
  if (flags & 2) key.reset();
  if (flags & 4) value.reset();
  std::size_t sum = 0;
  // Both topics' decoders on every input, the flag's one first.
  for (int i = 0; i < 2; ++i) {
    auto topic = ((flags & 1) != 0) == (i == 0) ? record::internal_topic::transaction_state
                                                : record::internal_topic::consumer_offsets;
    std::string out;
    util::json_writer j(out);
    std::string why;
    auto status = record::write_internal_record_json(j, topic, key, value, &why);
    // Every outcome is one whole object, and a failure always says why.
    if (out.empty() || out.front() != '{' || out.back() != '}') __builtin_trap();
    if (status != record::internal_record_status::decoded && why.empty()) __builtin_trap();
    sum += out.size() + static_cast<std::size_t>(status);
  }
  return sum;
}

}  // namespace kpipe::fuzz
