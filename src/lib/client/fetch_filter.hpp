#pragma once
// What a consumer hands on from the batches of one partition in one Fetch answer: records at or
// after its position and before its stop, without aborted transactions under read_committed,
// without control batches unless asked for; and where its position moves to (past everything
// read, transaction markers included, so that a stop at the log end is always reached).
//
// Aborted transactions (KIP-98): the answer lists, per producer, the first offset of each aborted
// transaction. A producer is "aborting" from its first aborted offset until its ABORT marker;
// its transactional batches in between are dropped.
//
// Pure: no I/O, tested on constructed answers.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "record/record_batch.hpp"

namespace kpipe::client {

struct aborted_transaction {
  std::int64_t producer_id = 0;
  std::int64_t first_offset = 0;
};

struct filter_options {
  bool read_committed = true;
  bool control_records = false;
};

struct filtered_batches {
  std::vector<record::record_batch> batches;  // those with records left to hand on
  std::int64_t next_offset = 0;               // the new position
};

filtered_batches filter_batches(std::vector<record::record_batch> batches, std::int64_t position,
                                std::optional<std::int64_t> stop,
                                std::vector<aborted_transaction> aborted,
                                const filter_options& options);

}  // namespace kpipe::client
