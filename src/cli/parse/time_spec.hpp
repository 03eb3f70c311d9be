#pragma once
// Points in time as users type them for consume's -o @TIME (and later groups reset --to time:):
// epoch milliseconds, ISO 8601 date-times, or a time relative to now. The result is what Kafka's
// ListOffsets takes as a timestamp: milliseconds since the Unix epoch, UTC.

#include <cstdint>
#include <string_view>

#include "util/result.hpp"

namespace kpipe::cli {

// Accepted forms (nothing else: no locale, no time-zone database, no guessing):
//
//   1763769600000            all digits: epoch milliseconds (never seconds, never YYYYMMDD)
//   2026-11-01               ISO 8601 calendar date, midnight
//   2026-11-01T00:00         with HH:MM; ' ' may replace 'T'; 't' and 'z' are accepted too
//   2026-11-01T00:00:05      with :SS
//   2026-11-01T00:00:05.123  with a fraction of a second (1-9 digits, truncated to ms)
//   ...Z / ...+01:00 / ...-0530 / ...+01
//                            a zone after the time of day. Without one the time is UTC, not
//                            local time: the same command then means the same instant on every
//                            machine, as Kafka's own timestamps do.
//   now                      now_ms
//   -1h  +5m  -30m  -10s  -2d  -500ms  -1.5h
//                            now_ms plus or minus a duration (units as in --timeout: ms, s, m or
//                            min, h, d); the unit is required, so "-5" is an error, not 5 ms ago.
//
// A result before 1970-01-01T00:00Z is an error: ListOffsets reads negative timestamps as named
// positions (-1 latest, -2 earliest, -3 max timestamp per KIP-734, more in KIP-1005), so a
// negative time would silently mean something else. Errors are error_kind::usage and read
// `invalid time "TEXT": REASON`, where REASON says what was expected.
result<std::int64_t> parse_time(std::string_view text, std::int64_t now_ms);

}  // namespace kpipe::cli
