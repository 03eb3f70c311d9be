#pragma once
// Cuts one direction of a Kafka connection into size-prefixed frames, as the reassembled bytes
// arrive, and finds its way back to frame boundaries after bytes went missing.
//
// In sync, each frame is its 4-byte size and that many bytes. A gap (bytes the capture lost)
// inside a frame whose size is known costs that frame only: the splitter skips to its end and
// stays in sync. A gap that swallowed a size prefix, a stream seen from its middle, or a size
// that cannot be a Kafka frame leaves it out of sync: it then tries each byte position in turn
// and resumes at the first one that `check` accepts (for requests, a size followed by a valid
// request header; for responses, a correlation id that is pending).
//
// Memory is bounded: a frame is held whole only up to `max_held` bytes. A larger one, in sync,
// is reported (with its first bytes, enough for its header) and passed over as it arrives.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace kpipe::capture {

// yes: the whole frame is there and decodes; likely: its header checks out but the frame is
// too large to wait for; need_more: the frame is not whole yet.
enum class boundary_verdict { no, yes, likely, need_more };

class frame_splitter {
 public:
  // head: the bytes from a candidate size prefix on, as many as are buffered. at_end: no more
  // bytes will come, so need_more is taken as no.
  using boundary_check =
      std::function<boundary_verdict(std::span<const std::uint8_t> head, bool at_end)>;
  struct sink {
    std::function<void(std::span<const std::uint8_t> frame)> frame;  // without the size prefix
    // A frame that lost bytes to a gap; missing: the gap's length; head: its first bytes
    // (without the size prefix) as far as they came before the gap, when its start is known
    // (empty when not), so that its header can still be read.
    std::function<void(std::uint64_t missing, std::span<const std::uint8_t> head)> lost;
    // Bytes passed over while looking for a frame boundary (reported once in sync again, or
    // at finish()).
    std::function<void(std::uint64_t skipped)> skipped;
    // A frame larger than max_held, passed over; head: its first bytes (8 at least, without
    // the size prefix), size: its size.
    std::function<void(std::span<const std::uint8_t> head, std::uint64_t size)> oversized;
  };

  // in_sync: the stream starts at a frame boundary (its SYN was captured). max_frame: the
  // largest size taken for a frame size at all (a larger one means the bytes were not a
  // frame boundary); max_held: the largest frame held to be handed on whole.
  frame_splitter(bool in_sync, boundary_check check, sink out,
                 std::size_t max_held = std::size_t{16} << 20,
                 std::size_t max_frame = std::size_t{100} << 20)
      : in_sync_(in_sync),
        check_(std::move(check)),
        out_(std::move(out)),
        max_held_(max_held),
        max_frame_(std::max(max_frame, max_held)) {}

  void data(std::span<const std::uint8_t> bytes);
  void gap(std::uint64_t missing);
  // The end of the stream: reports bytes still being skipped, and a frame cut short.
  void finish();

  bool in_sync() const { return in_sync_; }

 private:
  // A likely boundary is taken once this many bytes after it hold no certain one.
  static constexpr std::size_t lookahead = 64 * 1024;
  void process();
  void resync();
  // The held bytes of the frame being assembled, after its size prefix (at most 2 KiB).
  std::span<const std::uint8_t> head_of_frame() const;
  bool at_end_ = false;

  bool in_sync_;
  boundary_check check_;
  sink out_;
  std::size_t max_held_;
  std::size_t max_frame_;
  std::vector<std::uint8_t> buffer_;
  std::size_t start_ = 0;            // the first unconsumed byte of buffer_
  std::uint64_t skip_in_frame_ = 0;  // bytes of a lost frame still to pass over, in sync
  std::uint64_t skipped_ = 0;        // bytes passed over out of sync, not yet reported
};

}  // namespace kpipe::capture
