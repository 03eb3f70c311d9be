// produce's input: files and pipes read with read(2), whole-file records, and
// errors naming the input.
#include "input/input_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace kpipe::cli {
namespace {

std::string temp_file(const std::string& content) {
  char path[] = "/tmp/kpipe_input_XXXXXX";
  int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

TEST(InputSource, ReadsARegularFileToEof) {
  std::string path = temp_file("hello\nworld\n");
  auto source = input_source::open(path);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_TRUE(source->is_regular_file());
  EXPECT_FALSE(source->is_pipe());
  EXPECT_EQ(source->file_size(), 12u);
  EXPECT_EQ(source->name(), path);
  char buffer[5];
  std::string got;
  for (;;) {
    auto n = source->read_some(buffer);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    got.append(buffer, *n);
  }
  EXPECT_EQ(got, "hello\nworld\n");
  std::remove(path.c_str());
}

TEST(InputSource, ErrorsNameTheFile) {
  auto missing = input_source::open("/nonexistent/kpipe-input");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, error_kind::io);
  EXPECT_EQ(missing.error().message,
            "cannot open /nonexistent/kpipe-input: No such file or directory");
  auto directory = input_source::open("/tmp");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().message, "cannot read /tmp: it is a directory");
}

TEST(InputSource, DashIsStdinAndAPipeIsEnlarged) {
  EXPECT_EQ(input_source::standard_input().name(), "stdin");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    auto source = input_source::open("/proc/self/fd/" + std::to_string(fds[0]));
    ASSERT_TRUE(source.ok()) << source.error().message;
    EXPECT_TRUE(source->is_pipe());
    EXPECT_FALSE(source->is_regular_file());
    // 1 MiB is the default pipe-max-size, so an unprivileged process gets it.
    EXPECT_EQ(::fcntl(source->fd(), F_GETPIPE_SZ), 1 << 20);
    ASSERT_EQ(::write(fds[1], "abc", 3), 3);
    ::close(fds[1]);
    char buffer[16];
    auto n = source->read_some(buffer);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::string(buffer, *n), "abc");
    auto eof = source->read_some(buffer);
    ASSERT_TRUE(eof.ok());
    EXPECT_EQ(*eof, 0u);
  }
  ::close(fds[0]);
}

TEST(ReadWhole, ReturnsTheWholeFile) {
  std::string content(300'000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  std::string path = temp_file(content);
  auto whole = read_whole(path);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole.value(), content);
  auto capped = read_whole(path, 299'999);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().message, path + " is larger than the limit of 299999 bytes");
  EXPECT_TRUE(read_whole(path, 300'000).ok());
  std::remove(path.c_str());

  std::string empty = temp_file("");
  auto nothing = read_whole(empty);
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(nothing.value(), "");
  std::remove(empty.c_str());
}

TEST(ReadWhole, ReadsAFileWhoseSizeIsUnknown) {
  // /proc files report size 0 but have content: the size is a hint, not a
  // limit.
  auto whole = read_whole("/proc/self/status");
  ASSERT_TRUE(whole.ok());
  EXPECT_NE(whole.value().find("Name:"), std::string::npos);
  auto capped = read_whole("/proc/self/status", 10);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().message, "/proc/self/status is larger than the limit of 10 bytes");
}

}  // namespace
}  // namespace kpipe::cli
