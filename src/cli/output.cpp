#include "output.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace kpipe::cli {

namespace {
bool interrupted = false;
volatile std::sig_atomic_t signals_seen = 0;
}  // namespace

void note_signal() { signals_seen = signals_seen + 1; }

void prepare_output() { std::signal(SIGPIPE, SIG_IGN); }

bool write_stdout(std::string_view data) {
  const std::sig_atomic_t seen = signals_seen;
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
    if (!data.empty() && signals_seen != seen) {
      interrupted = true;  // a signal cut the write short: writing on could block again
      return false;
    }
  }
  return true;
}

bool write_interrupted() { return interrupted; }

}  // namespace kpipe::cli
