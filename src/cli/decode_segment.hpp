#pragma once
// kpipe decode --log-segment PATH: a broker's log segment (`.log`), a partition directory (its
// segments in base-offset order) or an index file (`.index`, `.timeindex`, `.txnindex`) to JSON
// lines. The readers are record/log_segment.hpp and record/segment_index.hpp; this file maps
// the files, walks them and prints.

#include <optional>
#include <string>

#include "record/internal_topic_records.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

struct segment_options {
  std::string path;      // --log-segment
  bool records = false;  // --records: each batch's records too
  bool summary = false;  // --summary: one line per file
  bool verify_index = false;
  bool keep_going = false;
  // --internal: "consumer-offsets", "transaction-state", "none", or "auto"/empty (by the
  // partition directory's name). With --records, an internal topic's records get their key and
  // value decoded (record/internal_topic_records.hpp).
  std::string internal;
};

// Which internal topic a segment's records belong to under an --internal value: forced, none, or
// (auto) by the path's partition directory, `__consumer_offsets-N` or `__transaction_state-N`.
std::optional<record::internal_topic> internal_topic_for(const std::string& internal,
                                                         const std::string& path);

// Adds --log-segment and its flags to `decode`.
void register_decode_segment(CLI::App& decode, segment_options& options);
// Exit status: 0, or 1 when a batch or an index did not check out (a truncated last batch is
// reported and is not an error).
int run_decode_segment(const segment_options& options, bool pretty);

}  // namespace kpipe::cli
