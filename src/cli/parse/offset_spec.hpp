#pragma once
// consume's -o SPEC: where each partition starts and, for a range, where it stops. Parsing is
// pure and happens once, before any I/O (times are turned into milliseconds against now_ms then,
// so every partition is read against the same instant). Resolving happens per partition in the
// consumer (client/offset_range.hpp), after ListOffsets (and OffsetFetch for `stored`) have
// answered.

#include <cstdint>
#include <string_view>

#include "client/offset_range.hpp"
#include "util/result.hpp"

namespace kpipe::cli {

// The spec is the consumer's own type: the CLI parses it, the library resolves it.
using client::offset_point;
using client::offset_spec;
using client::partition_bounds;
using client::resolve;
using client::resolved_range;

// Forms of a point:
//   beginning (or earliest)   end (or latest)   stored
//   N        absolute offset               -N   N before the end, per partition
//   +N       N after the beginning         @TIME  first record at or after TIME (parse_time)
//   s@TIME   kcat's start-at-time, same as @TIME (kcat takes epoch ms; any TIME works here)
// Forms of the whole spec:
//   POINT                 start there, no stop
//   e@TIME                kcat's stop-at-time: from the beginning up to TIME (exclusive)
//   START:END             a range; END is any point but `stored` and `beginning` and may be
//                         written e@TIME; START may not be e@TIME
//
// Finding the ':' of a range, when ISO times contain ':' themselves: the text is first read as a
// single point; only when that fails is it read as START:END, trying every ':' and keeping the
// split whose both sides parse. At most one split can: of two candidate splits, the shorter one's
// right side contains a ':', so it is a time and starts with '@'; the longer one's left side then
// contains that '@', which no point does after its first two characters.
// Consequence of trying a single point first: `@2026-11-01T10:30:45` is a time with seconds, never
// "10:30 up to offset 45"; write such a range with a zone (`@2026-11-01T10:30Z:45`).
// Ranges whose order is known without the broker (two offsets, two times, two -N, two +N) must
// not end before they start; `5:5` is allowed and empty.
//
// Errors are error_kind::usage and read `invalid offset "TEXT": REASON`.
result<offset_spec> parse_offset_spec(std::string_view text, std::int64_t now_ms);

}  // namespace kpipe::cli
