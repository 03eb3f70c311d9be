#pragma once
// kpipe decode --internal [WHICH] [FILE]: `consume -J` lines in (a file or stdin), the same lines
// out, each record of an internal topic (__consumer_offsets, __transaction_state) with an
// "internal" member added: its key and value decoded (record/internal_topic_records.hpp). Which
// topic a line belongs to comes from its "topic" member, unless WHICH forces one; lines of other
// topics pass through unchanged.

#include <string>
#include <string_view>

namespace kpipe::cli {

// One line (without its '\n') with the internal member added, or the line itself when its topic
// is not internal. which: "auto" (or empty), "consumer-offsets", "transaction-state" or "none".
// Errors name what is wrong in the line (its envelope, or its key or value); `out` then holds
// the line as it could be written (unchanged for an unreadable envelope).
struct internal_line_result {
  std::string out;
  std::string error;  // empty: fine
};
internal_line_result add_internal_to_line(std::string_view line, std::string_view which);

// Exit status: 0, 1 when a line did not parse or a key or value did not decode (each named by
// its line number on stderr; the other lines are still written), 4 for a missing file.
int run_decode_internal(const std::string& file, const std::string& which);

}  // namespace kpipe::cli
