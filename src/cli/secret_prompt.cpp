#include "secret_prompt.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace kpipe::cli {

std::optional<std::string> prompt_secret(const std::string& prompt) {
  int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) return std::nullopt;
  if (!::isatty(tty)) {
    ::close(tty);
    return std::nullopt;
  }
  termios saved{};
  bool restore = ::tcgetattr(tty, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  [[maybe_unused]] auto w = ::write(tty, prompt.data(), prompt.size());
  std::string line;
  bool ended = false;
  char c = 0;
  while (true) {
    auto n = ::read(tty, &c, 1);
    if (n <= 0) {
      ended = line.empty();
      break;
    }
    if (c == '\n' || c == '\r') break;
    line.push_back(c);
  }
  if (restore) ::tcsetattr(tty, TCSAFLUSH, &saved);
  ::close(tty);
  if (ended) return std::nullopt;
  return line;
}

}  // namespace kpipe::cli
