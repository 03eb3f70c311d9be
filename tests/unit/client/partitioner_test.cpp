// The partitioner: murmur2 agrees with the Java client (its own test vectors, Kafka's
// UtilsTest), keyed records by hash, unkeyed ones sticky until their batch is sealed.

#include "client/partitioner.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kpipe::client {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Murmur2, MatchesTheJavaClient) {
  EXPECT_EQ(murmur2(bytes_of("21")), -973932308);
  EXPECT_EQ(murmur2(bytes_of("foobar")), -790332482);
  EXPECT_EQ(murmur2(bytes_of("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(murmur2(bytes_of("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(murmur2(bytes_of("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  EXPECT_EQ(murmur2(bytes_of("abc")), 479470107);
}

TEST(Murmur2, PartitionDropsTheSignBit) {
  // toPositive(-973932308) = 1173551340, not the absolute value.
  EXPECT_EQ(murmur2_partition(bytes_of("21"), 1000), 1173551340 % 1000);
  EXPECT_EQ(murmur2_partition(bytes_of("abc"), 7), 479470107 % 7);
}

TEST(Partitioner, KeyedRecordsGoByHash) {
  partitioner p(partitioner_kind::murmur2, 1);
  std::string key = "foobar";
  std::optional<std::span<const std::uint8_t>> k = bytes_of(key);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(p.partition_for(k, 12), murmur2_partition(*k, 12));
}

TEST(Partitioner, UnkeyedRecordsStickUntilTheBatchIsSealed) {
  partitioner p(partitioner_kind::murmur2, 7);
  auto first = p.partition_for(std::nullopt, 8);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p.partition_for(std::nullopt, 8), first);
  p.batch_sealed(first, 8);
  auto second = p.partition_for(std::nullopt, 8);
  EXPECT_NE(second, first);
  // Sealing another partition's batch does not move the sticky one.
  p.batch_sealed((second + 1) % 8, 8);
  EXPECT_EQ(p.partition_for(std::nullopt, 8), second);
}

TEST(Partitioner, RoundRobinCyclesWhateverTheKey) {
  partitioner p(partitioner_kind::roundrobin);
  std::string key = "same";
  std::optional<std::span<const std::uint8_t>> k = bytes_of(key);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(p.partition_for(k, 5), i % 5);
}

TEST(Partitioner, RandomCoversEveryPartition) {
  partitioner p(partitioner_kind::random, 3);
  std::set<std::int32_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(p.partition_for(std::nullopt, 4));
  EXPECT_EQ(seen.size(), 4u);
}

TEST(Partitioner, NamesParse) {
  EXPECT_EQ(partitioner_from_name("murmur2"), partitioner_kind::murmur2);
  EXPECT_EQ(partitioner_from_name("roundrobin"), partitioner_kind::roundrobin);
  EXPECT_EQ(partitioner_from_name("random"), partitioner_kind::random);
  EXPECT_FALSE(partitioner_from_name("fnv"));
}

}  // namespace
}  // namespace kpipe::client
