#include "output.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace kpipe::cli {

namespace {
bool interrupted = false;
}

void prepare_output() { std::signal(SIGPIPE, SIG_IGN); }

bool write_stdout(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      // kpipe handles only SIGINT and SIGTERM (without SA_RESTART) and ignores SIGPIPE, so EINTR
      // means Ctrl-C: writing again would block until the reader drains the pipe, and the event
      // loop, where signals are handled, would never run.
      if (errno == EINTR) interrupted = true;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool write_interrupted() { return interrupted; }

}  // namespace kpipe::cli
