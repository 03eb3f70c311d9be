#pragma once
// Where a consumer starts and stops in a partition, as a spec (consume's -o, parsed by the CLI's
// parse/offset_spec) and as offsets once the brokers have answered. resolve() is pure: the
// consumer (consumer_positions.hpp) asks ListOffsets and OffsetFetch, then resolves per
// partition.

#include <cstdint>
#include <optional>

#include "util/result.hpp"

namespace kpipe::client {

// One end of a range.
struct offset_point {
  enum class kind {
    beginning,   // the earliest offset still in the log
    end,         // the latest offset (the next one to be written)
    stored,      // the group's committed offset (start only)
    absolute,    // value: an offset
    from_end,    // value: N >= 0, N records before the end
    from_start,  // value: N >= 0, N records after the beginning
    time,        // value: ms since the epoch; the first offset whose timestamp is >= it
  };
  kind what = kind::beginning;
  std::int64_t value = 0;

  friend bool operator==(const offset_point&, const offset_point&) = default;
};

// `stop` is EXCLUSIVE, as offsets are everywhere in Kafka: `0:100` reads offsets 0..99, and a
// stop time reads the records before the first one whose timestamp is >= that time (kcat's e@:
// stop at the first record at or after it). No stop: consume on, as without a range.
struct offset_spec {
  offset_point start;
  std::optional<offset_point> stop;

  friend bool operator==(const offset_spec&, const offset_spec&) = default;
};

// What the broker said about one partition. Offsets Kafka reports as -1 ("none") may be passed
// as nullopt or as -1 alike. Under read_committed, `latest` should be the last stable offset,
// which is what ListOffsets returns for that isolation level.
struct partition_bounds {
  std::int64_t earliest = 0;                      // ListOffsets timestamp -2
  std::int64_t latest = 0;                        // ListOffsets timestamp -1
  std::optional<std::int64_t> committed;          // OffsetFetch, for `stored`
  std::optional<std::int64_t> start_time_offset;  // ListOffsets at the start point's time
  std::optional<std::int64_t> stop_time_offset;   // ListOffsets at the stop point's time
};

// First offset to fetch and, for a range, the first offset NOT to deliver (stop >= start; equal
// means nothing to read).
struct resolved_range {
  std::int64_t start = 0;
  std::optional<std::int64_t> stop;

  friend bool operator==(const resolved_range&, const resolved_range&) = default;
};

// Start, always within [earliest, latest]:
//   absolute N outside the log -> the nearest end of it; -N past the beginning -> earliest
//     (kcat#68/#219: asking for more records than exist returns those that do, not nothing);
//   +N past the end -> latest; a time with no record at or after it (Kafka answers -1) -> latest;
//   stored without a committed offset -> latest (Kafka's and librdkafka's default
//     auto.offset.reset); a committed offset outside the log -> clamped like an absolute one.
// Stop (never before the start):
//   end, -N and times come from the ListOffsets snapshot, so they are <= latest; a stop time
//     with no record at or after it -> latest: the range ends at the current end, as a time
//     that has not been reached cannot be turned into an offset;
//   absolute N and +N beyond latest are kept: the range asked for those offsets, so the
//     consumer waits for them (-e caps the stop at the end taken at start).
// A latest below earliest (two answers taken at two moments, retention in between) is read as
// an empty log at earliest.
// Errors: negative earliest/latest (error_kind::protocol: a ListOffsets error was not checked);
// a spec that the parser would refuse (error_kind::usage).
result<resolved_range> resolve(const offset_spec& spec, const partition_bounds& bounds);

}  // namespace kpipe::client
