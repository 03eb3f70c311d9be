#pragma once
// One direction of one TCP connection, put back in order: segments arrive reordered,
// duplicated, overlapping or not at all, and the reader gets the bytes once each, in order,
// with every hole reported as a gap of a known length.
//
// Memory is bounded: bytes ahead of a hole are held up to `max_buffered`; past that the hole is
// given up as lost (a capture that dropped a packet never delivers it later) and delivery goes
// on after it. `flush()` does the same at the end of the connection or of the capture.

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

namespace kpipe::capture {

class tcp_reassembler {
 public:
  struct sink {
    std::function<void(std::span<const std::uint8_t>)> data;
    std::function<void(std::uint64_t)> gap;  // that many bytes will never arrive
  };

  explicit tcp_reassembler(sink out, std::size_t max_buffered = std::size_t{8} << 20)
      : out_(std::move(out)), max_buffered_(max_buffered) {}

  // One segment as captured. The first segment fixes the start of the stream: a SYN's sequence
  // number + 1, else its own sequence number (a capture that began mid-connection).
  // missing: bytes of the segment after `payload` that the capture did not keep (cut at its
  // snap length): a gap, reported as soon as the bytes before it are delivered.
  void add(std::uint32_t sequence, bool syn, std::span<const std::uint8_t> payload,
           std::uint32_t missing = 0);

  // The peer acknowledged everything before `acknowledgment`: a hole below it was received by
  // the peer, so the capture dropped it and it will never be seen. Given up at once (as a
  // gap), instead of holding the bytes after it until the buffer fills.
  void acknowledged(std::uint32_t acknowledgment);

  // Delivers what is held past any holes, each hole as a gap.
  void flush();

  // Bytes delivered or skipped so far (the stream position).
  std::uint64_t position() const { return next_; }
  std::size_t buffered() const { return buffered_; }

 private:
  // The stream offset of a sequence number: 32-bit numbers wrap, so they are taken relative to
  // the next expected byte, as the nearest offset either side.
  std::int64_t offset_of(std::uint32_t sequence) const;
  void deliver_held();
  void skip_to_first_held();
  // Bytes [next_, next_ + length) are known lost: a gap, up to where held bytes begin.
  void lose(std::uint64_t length);

  struct held_segment {
    std::vector<std::uint8_t> bytes;
    std::uint64_t lost_after = 0;  // known lost (snapped) bytes after them
  };

  sink out_;
  std::size_t max_buffered_;
  bool started_ = false;
  std::uint32_t initial_ = 0;                   // the sequence number of stream offset 0
  std::uint64_t next_ = 0;                      // the next offset to deliver
  std::map<std::uint64_t, held_segment> held_;  // out-of-order bytes by offset
  std::size_t buffered_ = 0;
};

}  // namespace kpipe::capture
