#pragma once
// One consumed record as the output formatters see it (-f layouts and the -J envelope): plain
// views, so that a fetched batch can be rendered without copying a record first. Everything it
// points to must outlive the call that renders it.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "record/record.hpp"

namespace kpipe::cli {

struct record_view {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp = 0;  // milliseconds since the epoch, UTC; -1 when the record has none
  record::timestamp_type timestamp_type = record::timestamp_type::create_time;
  std::optional<std::span<const std::uint8_t>> key;  // nullopt: null
  std::optional<std::span<const std::uint8_t>> value;
  std::span<const record::record_header> headers;
  std::optional<std::int32_t> leader_epoch;  // nullopt when the fetch did not say (old brokers)
};

}  // namespace kpipe::cli
