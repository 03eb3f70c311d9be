#include "client/group_lag.hpp"

#include <algorithm>

namespace kpipe::client {

partition_lag compute_lag(const partition_position& position, std::int64_t now_ms) {
  partition_lag out;
  if (!position.committed) return out;
  out.lag = std::max<std::int64_t>(0, position.log_end - *position.committed);
  if (*out.lag == 0) {
    out.time_lag_ms = 0;
  } else if (position.next_record_timestamp) {
    out.time_lag_ms = std::max<std::int64_t>(0, now_ms - *position.next_record_timestamp);
  }
  return out;
}

void add_to_total(lag_total& total, const partition_lag& lag) {
  ++total.partitions;
  if (!lag.lag) {
    ++total.without_commit;
    return;
  }
  total.lag += *lag.lag;
  if (lag.time_lag_ms) {
    total.time_lag_ms = std::max(total.time_lag_ms.value_or(0), *lag.time_lag_ms);
  }
}

std::int64_t unread_records(const partition_position& position) {
  auto from = position.committed ? *position.committed : position.log_start;
  return std::max<std::int64_t>(0, position.log_end - from);
}

result<std::vector<reset_step>> plan_reset(const std::vector<partition_reset_input>& inputs,
                                           const reset_target& target) {
  using kind = reset_target::kind;
  std::vector<reset_step> plan;
  for (const auto& input : inputs) {
    const auto& pos = input.position;
    // Where the group stands, or where a new consumer would start (auto.offset.reset=latest,
    // the default of Kafka's clients and kpipe's).
    auto base = pos.committed.value_or(pos.log_end);
    std::int64_t wanted = 0;
    switch (target.what) {
      case kind::earliest:
        wanted = pos.log_start;
        break;
      case kind::latest:
        wanted = pos.log_end;
        break;
      case kind::current:
        wanted = base;
        break;
      case kind::offset:
        wanted = target.value;
        break;
      case kind::shift:
        wanted = base + target.value;
        break;
      case kind::time:
        if (!input.time_offset) {
          return error{error_kind::usage, "no offset for the time in " + pos.topic + "/" +
                                              std::to_string(pos.partition)};
        }
        // No record at or after the time: the group has nothing left to read.
        wanted = *input.time_offset < 0 ? pos.log_end : *input.time_offset;
        break;
      case kind::given:
        if (!input.given_offset) {
          return error{error_kind::usage,
                       "no offset given for " + pos.topic + "/" + std::to_string(pos.partition)};
        }
        wanted = *input.given_offset;
        break;
    }
    reset_step step;
    step.topic = pos.topic;
    step.partition = pos.partition;
    step.current = pos.committed;
    step.target = wanted;
    auto where = pos.topic + "/" + std::to_string(pos.partition);
    if (wanted < pos.log_start) {
      step.target = pos.log_start;
      step.clamped = where + ": offset " + std::to_string(wanted) + " is before the log start " +
                     std::to_string(pos.log_start) + "; using " + std::to_string(pos.log_start);
    } else if (wanted > pos.log_end) {
      step.target = pos.log_end;
      step.clamped = where + ": offset " + std::to_string(wanted) + " is past the log end " +
                     std::to_string(pos.log_end) + "; using " + std::to_string(pos.log_end);
    }
    plan.push_back(std::move(step));
  }
  return plan;
}

}  // namespace kpipe::client
