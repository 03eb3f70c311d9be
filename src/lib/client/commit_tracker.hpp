#pragma once
// A consumer's commit-after-write bookkeeping, per partition: the offset after the last record
// its caller wrote out (mark_written), and the offset last committed. Only what was written is
// ever committed, so a consumer whose output breaks commits nothing it did not deliver; a
// partition the group takes away is forgotten, and one it keeps goes on after what was written
// even when the coordinator holds less (a commit refused during a rebalance). Pure: no I/O.

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
  // consumer wrote of the partitions it keeps: they continue right after its output, whatever
  // the coordinator has (a commit may have been refused), so nothing is printed twice.
  void raise_to_written(const std::string& topic, const std::vector<std::int32_t>& partitions,
                        std::map<std::int32_t, committed_offset>& committed) const;
  // The consumer reads `positions` from now on: partitions not among them are forgotten (the
  // group gave them to others), and a new one counts as committed at its start, so that it is
  // committed only once something of it was written.
  void reassign(const std::vector<fetch_position>& positions);
  void clear();

 private:
  offsets_by_topic written_;
  offsets_by_topic committed_;
};

}  // namespace kpipe::client
