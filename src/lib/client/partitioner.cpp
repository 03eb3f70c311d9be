#include "client/partitioner.hpp"

namespace kpipe::client {

std::optional<partitioner_kind> partitioner_from_name(std::string_view name) {
  if (name == "murmur2") return partitioner_kind::murmur2;
  if (name == "random") return partitioner_kind::random;
  if (name == "roundrobin") return partitioner_kind::roundrobin;
  return std::nullopt;
}

std::int32_t murmur2(std::span<const std::uint8_t> data) {
  // Unsigned arithmetic: Java's int multiplication wraps, which signed overflow in C++ must not.
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto length = static_cast<std::uint32_t>(data.size());
  std::uint32_t h = 0x9747b28c ^ length;
  std::size_t i = 0;
  for (; i + 4 <= data.size(); i += 4) {
    std::uint32_t k = std::uint32_t{data[i]} | (std::uint32_t{data[i + 1]} << 8) |
                      (std::uint32_t{data[i + 2]} << 16) | (std::uint32_t{data[i + 3]} << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (data.size() - i) {
    case 3:
      h ^= std::uint32_t{data[i + 2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= std::uint32_t{data[i + 1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= std::uint32_t{data[i]};
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t murmur2_partition(std::span<const std::uint8_t> key, std::int32_t partition_count) {
  // Java's Utils.toPositive: the sign bit dropped, not the absolute value.
  auto positive = static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffu;
  return static_cast<std::int32_t>(positive % static_cast<std::uint32_t>(partition_count));
}

partitioner::partitioner(partitioner_kind kind, std::uint64_t seed) : kind_(kind), random_(seed) {}

std::int32_t partitioner::random_partition(std::int32_t partition_count) {
  return static_cast<std::int32_t>(random_() % static_cast<std::uint64_t>(partition_count));
}

std::int32_t partitioner::partition_for(const std::optional<std::span<const std::uint8_t>>& key,
                                        std::int32_t partition_count) {
  switch (kind_) {
    case partitioner_kind::random:
      return random_partition(partition_count);
    case partitioner_kind::roundrobin:
      return static_cast<std::int32_t>(next_++ % static_cast<std::uint32_t>(partition_count));
    case partitioner_kind::murmur2:
      break;
  }
  if (key) return murmur2_partition(*key, partition_count);
  if (sticky_ < 0 || sticky_ >= partition_count) sticky_ = random_partition(partition_count);
  return sticky_;
}

void partitioner::batch_sealed(std::int32_t partition, std::int32_t partition_count) {
  if (kind_ != partitioner_kind::murmur2 || partition != sticky_) return;
  if (partition_count <= 1) return;
  // Another partition than the one just filled, uniformly among the rest.
  auto next = random_partition(partition_count - 1);
  sticky_ = next >= partition ? next + 1 : next;
}

}  // namespace kpipe::client
