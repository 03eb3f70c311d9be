#pragma once
// Where a record goes when the user did not name a partition.
//
// - murmur2 (default): keyed records by murmur2 of the key, exactly as the Java client's default
//   partitioner (so kpipe and Java producers agree on where a key lives); records without a key
//   stick to one partition until its batch is sealed, then move on (KIP-480).
// - random: every record to a random partition, key or not.
// - roundrobin: record after record to the next partition, key or not.

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string_view>

namespace kpipe::client {

enum class partitioner_kind { murmur2, random, roundrobin };

std::optional<partitioner_kind> partitioner_from_name(std::string_view name);

// The Java client's Utils.murmur2 (seed 0x9747b28c), as a signed 32-bit value.
std::int32_t murmur2(std::span<const std::uint8_t> data);

// The partition the Java client picks for a key: the hash made positive, modulo the count.
std::int32_t murmur2_partition(std::span<const std::uint8_t> key, std::int32_t partition_count);

class partitioner {
 public:
  explicit partitioner(partitioner_kind kind, std::uint64_t seed = std::random_device{}());

  // The partition for a record with this key (nullopt: null key), of partition_count > 0.
  std::int32_t partition_for(const std::optional<std::span<const std::uint8_t>>& key,
                             std::int32_t partition_count);
  // The sticky partition's batch was sealed: unkeyed records move to another partition.
  void batch_sealed(std::int32_t partition, std::int32_t partition_count);

 private:
  std::int32_t random_partition(std::int32_t partition_count);

  partitioner_kind kind_;
  std::mt19937_64 random_;
  std::int32_t sticky_ = -1;
  std::uint32_t next_ = 0;
};

}  // namespace kpipe::client
