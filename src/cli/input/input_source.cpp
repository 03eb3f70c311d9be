#include "input/input_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace kpipe::cli {
namespace {

error io_error(std::string_view what, const std::string& name, int err) {
  return error{error_kind::io, std::string(what) + " " + name + ": " + std::strerror(err)};
}

}  // namespace

input_source::input_source(int fd, std::string name, bool owned)
    : fd_(fd), name_(std::move(name)), owned_(owned) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0) {
    regular_ = S_ISREG(st.st_mode);
    pipe_ = S_ISFIFO(st.st_mode);
    if (regular_ && st.st_size > 0) size_ = static_cast<std::size_t>(st.st_size);
  }
#ifdef F_SETPIPE_SZ
  // A pipe's default 64 KiB makes the writer and kpipe take turns every 64 KiB; 1 MiB lets each
  // read() take a larger bite. Unprivileged users may be refused (pipe-max-size): that is fine.
  if (pipe_) (void)::fcntl(fd_, F_SETPIPE_SZ, 1 << 20);
#endif
}

input_source input_source::standard_input() { return input_source(STDIN_FILENO, "stdin", false); }

result<input_source> input_source::open(std::string_view path) {
  if (path == "-") return standard_input();
  std::string name(path);
  int fd;
  do {
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return io_error("cannot open", name, errno);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return error{error_kind::io, "cannot read " + name + ": it is a directory"};
  }
  return input_source(fd, std::move(name), true);
}

input_source::input_source(input_source&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      owned_(std::exchange(other.owned_, false)),
      regular_(other.regular_),
      pipe_(other.pipe_),
      size_(other.size_) {}

input_source& input_source::operator=(input_source&& other) noexcept {
  if (this != &other) {
    if (owned_ && fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    owned_ = std::exchange(other.owned_, false);
    regular_ = other.regular_;
    pipe_ = other.pipe_;
    size_ = other.size_;
  }
  return *this;
}

input_source::~input_source() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

result<std::size_t> input_source::read_some(std::span<char> into) {
  if (into.empty()) return std::size_t{0};
  for (;;) {
    ssize_t n = ::read(fd_, into.data(), into.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return io_error("cannot read", name_, errno);
  }
}

result<std::string> read_whole(std::string_view path, std::size_t max_bytes) {
  auto source = input_source::open(path);
  if (!source) return source.error();
  auto too_large = [&] {
    return error{error_kind::io, source->name() + " is larger than the limit of " +
                                     std::to_string(max_bytes) + " bytes"};
  };
  if (source->file_size() > max_bytes) return too_large();
  // A regular file's size is known: one allocation and, usually, one read. The extra byte lets
  // the read that returns 0 (EOF) go without growing the string.
  std::size_t want = source->is_regular_file() ? source->file_size() + 1 : std::size_t{64} << 10;
  if (max_bytes < std::numeric_limits<std::size_t>::max()) want = std::min(want, max_bytes + 1);
  std::string data(want, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == data.size()) data.resize(data.size() * 2);
    auto n = source->read_some({data.data() + used, data.size() - used});
    if (!n) return n.error();
    if (*n == 0) break;
    used += *n;
    if (used > max_bytes) return too_large();
  }
  data.resize(used);
  return data;
}

}  // namespace kpipe::cli
