#pragma once
// A consumer's commit-after-write bookkeeping, per partition: the offset after the last record
// its caller wrote out (mark_written), and the offset last committed. Only what was written is
// ever committed, so a consumer whose output breaks commits nothing it did not deliver; a
// partition the group takes away is no longer committed, and one it keeps goes on after what was
// written even when the coordinator holds less (a commit refused during a rebalance). What was
// written of a partition taken away is remembered: if the group gives it back before anyone
// committed further, it goes on after that output too. Pure: no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/fetcher.hpp"
#include "client/group/consumer_protocol.hpp"
#include "client/group_offsets.hpp"

namespace kpipe::client {

class commit_tracker {
 public:
  // Everything of the partition before `next` reached the output.
  void mark_written(const std::string& topic, std::int32_t partition, std::int64_t next);
  // The offset after the last record written, if any was.
  std::optional<std::int64_t> written(const std::string& topic, std::int32_t partition) const;
  // What was written and is not committed yet: the next commit (empty: nothing to commit).
  offsets_by_topic uncommitted() const;
  // `offsets` were committed.
  void mark_committed(const offsets_by_topic& offsets);

  // Whether `assignment` holds a partition this consumer wrote nothing of: one taken over from
  // another member (or new to the group), whose committed offset is the previous owner's.
  bool takes_over(const group::topic_partitions& assignment) const;
  // The committed offsets read for `partitions` of `topic` at a rebalance, raised to what this
  // consumer wrote of them, of those it keeps and of those it owned before and gets back: they
  // continue right after its output, whatever the coordinator has (a commit may have been
  // refused, by one rebalance after another), so nothing is printed twice.
  void raise_to_written(const std::string& topic, const std::vector<std::int32_t>& partitions,
                        std::map<std::int32_t, committed_offset>& committed) const;
  // The consumer reads `positions` from now on: partitions not among them are no longer
  // committed (the group gave them to others; what was written of them is kept aside for
  // raise_to_written), and a new one counts as committed at its start, so that it is committed
  // only once something of it was written. One given back that starts right after what this
  // consumer wrote of it is committed there, unless it was committed there before.
  void reassign(const std::vector<fetch_position>& positions);
  void clear();

 private:
  offsets_by_topic written_;
  offsets_by_topic committed_;
  // What was written of a partition taken away, and what of it was committed.
  struct revoked_output {
    std::int64_t written;
    std::optional<std::int64_t> committed;
  };
  // Removes and returns what is kept of the partition, if anything.
  std::optional<revoked_output> take_revoked(const std::string& topic, std::int32_t partition);

  std::map<std::string, std::map<std::int32_t, revoked_output>> revoked_;
};

}  // namespace kpipe::client
