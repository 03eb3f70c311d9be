#pragma once
// Splits a byte stream into records at a delimiter of any length (produce's -D, default "\n").
//
// The caller owns the reading: prepare() hands out free buffer space, the caller read()s into it
// and commit()s the count, then drains next() until it returns nullopt. At EOF, finish() returns
// what is left. Records are views into the reader's buffer, so splitting copies nothing; the
// buffer is reused (the unread tail moved to the front) and grows only when one record does not
// fit, keeping memory bounded by the largest record plus the read size.
//
//   delimited_reader reader("\n");
//   for (;;) {
//     auto n = source.read_some(reader.prepare());   // 0 = EOF (also once the reader failed)
//     if (!n.ok() || *n == 0) break;
//     reader.commit(*n);
//     while (auto record = reader.next()) send(*record);
//     if (reader.error()) ...;                        // a record over the cap
//   }
//   while (auto record = reader.finish()) send(*record);

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace kpipe::cli {

class delimited_reader {
 public:
  // The delimiter is matched as raw bytes (it may contain NUL). An empty delimiter never
  // matches: the whole input is one record, returned by finish() (the CLI rejects an empty -D;
  // this only keeps the reader well-defined).
  explicit delimited_reader(std::string delimiter, std::size_t initial_capacity = 1 << 20);

  // Records longer than n bytes (delimiter excluded) are refused instead of buffered: next() or
  // finish() then returns nullopt and error() names the record. Default: no limit.
  void set_max_record_bytes(std::size_t n) { max_record_bytes_ = n; }

  // Free space to read into: at least min_free bytes (at least 1), often more. Invalidates the
  // views returned so far. Once the reader has failed it returns an empty span, so a read loop
  // that forgets to check error() sees a read of 0 (EOF) instead of looping.
  std::span<char> prepare(std::size_t min_free = 64 << 10);

  // n bytes were read into the span prepare() returned (clamped to its size).
  void commit(std::size_t n);

  // The next complete record, without its delimiter; nullopt when more input is needed or the
  // reader failed (see error()). Two delimiters in a row make an empty record.
  std::optional<std::string_view> next();

  // At EOF: the complete records still buffered one per call (so `while (finish())` drains
  // everything), then the unterminated rest if it is not empty, then nullopt. Input that ends
  // with a delimiter therefore has no extra empty record.
  std::optional<std::string_view> finish();

  // 1-based number of the record last returned (or skipped); 0 before the first.
  std::uint64_t record_number() const { return record_number_; }

  // Set (sticky) when a record exceeded the cap; names its 1-based record number.
  const std::optional<kpipe::error>& error() const { return error_; }

  // After an over-cap error, for --on-error skip: drops that record (including its bytes still
  // to be read, without buffering them), counts it, clears the error and goes on with the next.
  void skip_record();

 private:
  // Position of the first complete delimiter in [scan_, end_), or npos; advances scan_ past the
  // positions where no delimiter can start any more.
  std::size_t find_delimiter();
  void fail(std::uint64_t record);

  std::string delimiter_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t scan_ = 0;   // no delimiter starts in [begin_, scan_)
  std::size_t end_ = 0;    // end of the bytes read
  std::size_t max_record_bytes_ = std::numeric_limits<std::size_t>::max();
  std::uint64_t record_number_ = 0;
  bool discarding_ = false;  // inside a skipped record: drop bytes up to its delimiter
  bool finished_ = false;    // finish() returned the rest
  std::optional<kpipe::error> error_;
};

}  // namespace kpipe::cli
