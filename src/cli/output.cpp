#include "output.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace kpipe::cli {

void prepare_output() { std::signal(SIGPIPE, SIG_IGN); }

bool write_stdout(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace kpipe::cli
