#include "client/offset_range.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace kpipe::client {
namespace {

using kind = offset_point::kind;

std::int64_t clamp(std::int64_t value, std::int64_t low, std::int64_t high) {
  return std::min(std::max(value, low), high);
}

// A Kafka "none" (-1) and nullopt mean the same.
std::optional<std::int64_t> present(std::optional<std::int64_t> offset) {
  if (offset && *offset < 0) return std::nullopt;
  return offset;
}

}  // namespace

result<resolved_range> resolve(const offset_spec& spec, const partition_bounds& bounds) {
  if (bounds.earliest < 0 || bounds.latest < 0) {
    return error{error_kind::protocol, "partition bounds earliest " +
                                           std::to_string(bounds.earliest) + ", latest " +
                                           std::to_string(bounds.latest) + " are not offsets"};
  }
  const std::int64_t earliest = bounds.earliest;
  // Two ListOffsets answers are two moments: retention may have moved the beginning past the end
  // we read a moment earlier. The log is then empty as far as we know.
  const std::int64_t latest = std::max(bounds.latest, earliest);
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();

  auto bad_value = [](const offset_point& p) { return p.value < 0 && p.what != kind::time; };
  if (bad_value(spec.start) || (spec.stop && bad_value(*spec.stop))) {
    return error{error_kind::usage, "offset spec with a negative count"};
  }

  // earliest + n without overflow; the caller clamps.
  auto after_beginning = [&](std::int64_t n) { return n > max - earliest ? max : earliest + n; };

  std::int64_t start = latest;
  switch (spec.start.what) {
    case kind::beginning:
      start = earliest;
      break;
    case kind::end:
      start = latest;
      break;
    case kind::stored:
      start = clamp(present(bounds.committed).value_or(latest), earliest, latest);
      break;
    case kind::absolute:
      start = clamp(spec.start.value, earliest, latest);
      break;
    case kind::from_end:  // latest >= 0 and value >= 0: no overflow
      start = std::max(latest - spec.start.value, earliest);
      break;
    case kind::from_start:
      start = std::min(after_beginning(spec.start.value), latest);
      break;
    case kind::time:
      start = clamp(present(bounds.start_time_offset).value_or(latest), earliest, latest);
      break;
  }

  if (!spec.stop) return resolved_range{start, std::nullopt};

  std::int64_t stop = latest;
  switch (spec.stop->what) {
    case kind::beginning:
      stop = earliest;
      break;
    case kind::end:
      stop = latest;
      break;
    case kind::stored:
      return error{error_kind::usage, "stored can only start a range"};
    case kind::absolute:
      stop = spec.stop->value;
      break;
    case kind::from_end:
      stop = std::max(latest - spec.stop->value, earliest);
      break;
    case kind::from_start:
      stop = after_beginning(spec.stop->value);
      break;
    case kind::time:
      stop = clamp(present(bounds.stop_time_offset).value_or(latest), earliest, latest);
      break;
  }
  return resolved_range{start, std::max(stop, start)};
}

}  // namespace kpipe::client
