#pragma once
// Writes to stdout with write(2), treating a closed pipe (`| head`) as a normal end.

#include <string_view>

namespace kpipe::cli {

// Ignores SIGPIPE so that a closed stdout shows up as EPIPE from write().
void prepare_output();
// Writes all of data; false when stdout is closed or broken (the caller stops quietly).
bool write_stdout(std::string_view data);

}  // namespace kpipe::cli
