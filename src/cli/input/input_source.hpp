#pragma once
// Where produce's input comes from: stdin or a file, read with plain read(2) (never iostreams:
// read + memchr is what reaches tens of millions of lines per second). Synchronous on purpose;
// the producer wraps fd() in Asio itself when it wants to read a pipe asynchronously.

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace kpipe::cli {

class input_source {
 public:
  // "-" means stdin. Directories are refused at open.
  static result<input_source> open(std::string_view path);
  static input_source standard_input();

  input_source(input_source&& other) noexcept;
  input_source& operator=(input_source&& other) noexcept;
  input_source(const input_source&) = delete;
  input_source& operator=(const input_source&) = delete;
  ~input_source();  // closes a file it opened; never stdin

  int fd() const { return fd_; }
  // The file's path, or "stdin": what error messages call this input.
  const std::string& name() const { return name_; }
  bool is_regular_file() const { return regular_; }
  bool is_pipe() const { return pipe_; }
  // Size of a regular file at open (0 for anything else).
  std::size_t file_size() const { return size_; }

  // Up to into.size() bytes; 0 means EOF (or an empty span). EINTR is retried.
  result<std::size_t> read_some(std::span<char> into);

 private:
  input_source(int fd, std::string name, bool owned);

  int fd_ = -1;
  std::string name_;
  bool owned_ = false;
  bool regular_ = false;
  bool pipe_ = false;
  std::size_t size_ = 0;
};

// A whole file (or "-" for stdin) as one record, for produce's "one file = one record". Refuses
// more than max_bytes instead of reading an unbounded file into memory.
result<std::string> read_whole(std::string_view path,
                               std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

}  // namespace kpipe::cli
