#pragma once
// Writes to stdout with write(2), treating a closed pipe (`| head`) as a normal end.

#include <string_view>

namespace kpipe::cli {

// Ignores SIGPIPE so that a closed stdout shows up as EPIPE from write().
void prepare_output();
// Writes all of data; false when stdout is closed or broken (the caller stops quietly), or when
// a signal interrupted a write blocked on a full pipe (`| less`): then write_interrupted() is
// true and the run ends as interrupted.
bool write_stdout(std::string_view data);
bool write_interrupted();

// Called from the SIGINT/SIGTERM handler (async-signal-safe): a write that a signal cut short
// after part of it went out returns that part, not EINTR, so write_stdout needs to know.
void note_signal();

}  // namespace kpipe::cli
