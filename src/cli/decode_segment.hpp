#pragma once
// kpipe decode --log-segment PATH: a broker's log segment (`.log`), a partition directory (its
// segments in base-offset order) or an index file (`.index`, `.timeindex`, `.txnindex`) to JSON
// lines. The readers are record/log_segment.hpp and record/segment_index.hpp; this file maps
// the files, walks them and prints.

#include <string>

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
};

// Adds --log-segment and its flags to `decode`.
void register_decode_segment(CLI::App& decode, segment_options& options);
// Exit status: 0, or 1 when a batch or an index did not check out (a truncated last batch is
// reported and is not an error).
int run_decode_segment(const segment_options& options, bool pretty);

}  // namespace kpipe::cli
