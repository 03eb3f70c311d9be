#pragma once
// What a group's offsets amount to, without I/O: lag in records and in time per partition,
// totals, and the plan of an offset reset. Unit-tested on constructed values.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace kpipe::client {

// One partition as the broker described it.
struct partition_position {
  std::string topic;
  std::int32_t partition = 0;
  std::optional<std::int64_t> committed;  // nullopt: the group committed nothing here
  std::int64_t log_start = 0;
  std::int64_t log_end = 0;
  // The timestamp of the first record at or after the committed offset; nullopt when it could
  // not be read (or nothing but control records is left).
  std::optional<std::int64_t> next_record_timestamp;
};

struct partition_lag {
  std::optional<std::int64_t> lag;          // records; nullopt without a commit
  std::optional<std::int64_t> time_lag_ms;  // nullopt without a commit or a timestamp
};

// Lag in records: log end minus committed offset, never negative (a log truncated below the
// commit is caught up). Lag in time: the age of the oldest record not consumed yet, now minus
// its timestamp (never negative, as clocks differ); 0 when caught up.
partition_lag compute_lag(const partition_position& position, std::int64_t now_ms);

// Totals over partitions: the sum of lags, the largest time lag, and how many partitions had no
// commit (and so no lag).
struct lag_total {
  std::int64_t lag = 0;
  std::optional<std::int64_t> time_lag_ms;
  std::int64_t partitions = 0;
  std::int64_t without_commit = 0;
};
void add_to_total(lag_total& total, const partition_lag& lag);

// The lag that `groups wait` compares with --max-lag: a partition without a commit counts all
// of its records (log end minus log start), as its consumer has read none of them yet.
std::int64_t unread_records(const partition_position& position);

// ---- reset plans --------------------------------------------------------------------------

struct reset_target {
  enum class kind {
    earliest,  // the log start
    latest,    // the log end
    current,   // the committed offset (the log end where none: where a new consumer starts)
    offset,    // value: an absolute offset
    shift,     // value: added to the committed offset (to the log end where none)
    time,      // value: ms since the epoch; the first offset at or after it (the log end when
               // no record is that recent), from ListOffsets: partition_reset_input.time_offset
    given,     // each partition's own offset (a plan file): partition_reset_input.given_offset
  };
  kind what = kind::earliest;
  std::int64_t value = 0;
};

struct partition_reset_input {
  partition_position position;
  std::optional<std::int64_t> time_offset;   // ListOffsets' answer for kind::time (-1: none)
  std::optional<std::int64_t> given_offset;  // for kind::given
};

struct reset_step {
  std::string topic;
  std::int32_t partition = 0;
  std::optional<std::int64_t> current;
  std::int64_t target = 0;
  // Set when the target lay outside the log and was moved to its start or end: says so.
  std::optional<std::string> clamped;
};

// One step per input, in input order. A target below the log start goes to the log start, one
// above the log end to the log end, each with a note in `clamped`. Errors (usage): kind::time
// without time_offset, kind::given without given_offset.
result<std::vector<reset_step>> plan_reset(const std::vector<partition_reset_input>& inputs,
                                           const reset_target& target);

}  // namespace kpipe::client
