#include "capture/frame_splitter.hpp"

#include <algorithm>

namespace kpipe::capture {
namespace {

std::int64_t frame_size_at(std::span<const std::uint8_t> b) {
  return static_cast<std::int32_t>(std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
                                   std::uint32_t{b[2]} << 8 | b[3]);
}

}  // namespace

void frame_splitter::data(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    if (skip_in_frame_ > 0) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_in_frame_, bytes.size()));
      skip_in_frame_ -= n;
      bytes = bytes.subspan(n);
      continue;
    }
    // In sync, with a frame under way whose size is known, only up to its end at first: the
    // frame is then handed on, and its room reused, before the next one's bytes are appended
    // (appending them to a buffer sized for the frame would double it and copy the frame).
    std::size_t take = bytes.size();
    std::size_t held = buffer_.size() - start_;
    if (in_sync_ && held >= 4) {
      std::int64_t size = frame_size_at({buffer_.data() + start_, held});
      if (size >= 0 && static_cast<std::uint64_t>(size) <= max_frame_ &&
          4 + static_cast<std::uint64_t>(size) > held) {
        take = static_cast<std::size_t>(
            std::min<std::uint64_t>(take, 4 + static_cast<std::uint64_t>(size) - held));
      }
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    process();
  }
}

void frame_splitter::process() {
  while (true) {
    if (!in_sync_) {
      resync();
      if (!in_sync_) break;
    }
    std::span<const std::uint8_t> rest(buffer_.data() + start_, buffer_.size() - start_);
    if (rest.size() < 4) break;
    std::int64_t size = frame_size_at(rest);
    if (size < 0 || static_cast<std::uint64_t>(size) > max_frame_) {
      in_sync_ = false;  // not a size: the bytes before were not what they seemed
      continue;
    }
    if (static_cast<std::uint64_t>(size) > max_held_) {
      // Too large to hold: reported once its header is there, then passed over as it comes.
      if (rest.size() < 12) break;
      out_.oversized(rest.subspan(4, std::min<std::size_t>(rest.size() - 4, 64)),
                     static_cast<std::uint64_t>(size));
      std::uint64_t frame_end = 4 + static_cast<std::uint64_t>(size);
      if (rest.size() >= frame_end) {
        start_ += static_cast<std::size_t>(frame_end);
        continue;
      }
      skip_in_frame_ = frame_end - rest.size();
      start_ = buffer_.size();
      break;
    }
    if (rest.size() - 4 < static_cast<std::uint64_t>(size)) {
      // The frame is not whole yet: room for all of it at once, so that it is not copied
      // again each time the buffer doubles (Fetch responses are many MB).
      if (start_ > 0) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
      }
      buffer_.reserve(4 + static_cast<std::size_t>(size));
      break;
    }
    out_.frame(rest.subspan(4, static_cast<std::size_t>(size)));
    start_ += 4 + static_cast<std::size_t>(size);
  }
  // Compact once the consumed part dominates, so that appends stay amortised O(1).
  if (start_ > 0 && start_ * 2 >= buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
}

void frame_splitter::resync() {
  auto candidate_at = [this](std::size_t at) {
    std::span<const std::uint8_t> rest(buffer_.data() + at, buffer_.size() - at);
    if (rest.size() < 4) return boundary_verdict::need_more;
    std::int64_t size = frame_size_at(rest);
    if (size < 0 || static_cast<std::uint64_t>(size) > max_frame_) return boundary_verdict::no;
    auto verdict = check_(rest, at_end_);
    return verdict == boundary_verdict::need_more && at_end_ ? boundary_verdict::no : verdict;
  };
  auto resume_at = [this](std::size_t at) {
    skipped_ += at - start_;
    start_ = at;
    in_sync_ = true;
    if (skipped_ > 0) out_.skipped(skipped_);
    skipped_ = 0;
  };
  for (; start_ < buffer_.size(); ++start_, ++skipped_) {
    auto verdict = candidate_at(start_);
    if (verdict == boundary_verdict::yes) return resume_at(start_);
    if (verdict == boundary_verdict::no) continue;
    // This candidate is not certain (its frame is not whole yet, or too large to wait for). A
    // later position whose frame is whole and checks out is stronger evidence than a header
    // alone: resume there instead of holding the stream up.
    for (std::size_t later = start_ + 1; later + 4 <= buffer_.size(); ++later) {
      if (candidate_at(later) == boundary_verdict::yes) return resume_at(later);
    }
    if (verdict == boundary_verdict::likely && (at_end_ || buffer_.size() - start_ >= lookahead)) {
      return resume_at(start_);
    }
    return;
  }
}

std::span<const std::uint8_t> frame_splitter::head_of_frame() const {
  std::size_t held = buffer_.size() - start_;
  if (held < 4) return {};
  // Enough for any request header kpipe checks (a client id is at most 1 KiB there).
  return {buffer_.data() + start_ + 4, std::min<std::size_t>(held - 4, 2048)};
}

void frame_splitter::gap(std::uint64_t missing) {
  std::size_t held = buffer_.size() - start_;
  if (in_sync_ && skip_in_frame_ > 0) {
    // Already passing over a lost frame: the gap eats into what was left of it.
    if (missing < skip_in_frame_) {
      skip_in_frame_ -= missing;
      return;
    }
    missing -= skip_in_frame_;
    skip_in_frame_ = 0;
    if (missing == 0) return;
    out_.lost(missing, {});  // the next frame began inside the gap
    in_sync_ = false;
    return;
  }
  if (in_sync_ && held >= 4) {
    std::int64_t size = frame_size_at({buffer_.data() + start_, held});
    std::uint64_t frame_end = 4 + static_cast<std::uint64_t>(size);
    out_.lost(missing, head_of_frame());
    buffer_.clear();
    start_ = 0;
    if (held + missing <= frame_end) {
      // The gap ends inside this frame, whose end is known: stay in sync.
      skip_in_frame_ = frame_end - held - missing;
      return;
    }
    in_sync_ = false;
    return;
  }
  if (in_sync_) out_.lost(missing, {});  // the gap took (part of) a size prefix
  // Out of sync, the bytes before the gap cannot start a frame that is whole: passed over.
  skipped_ += held;
  buffer_.clear();
  start_ = 0;
  in_sync_ = false;
}

void frame_splitter::finish() {
  if (!in_sync_) {
    // Candidates that waited for more bytes are decided now, on what there is.
    at_end_ = true;
    process();
  }
  std::size_t held = buffer_.size() - start_;
  if (in_sync_ && held > 0) {
    // A frame cut short by the end of the capture: missing is what its size still promised.
    std::uint64_t missing = 0;
    if (held >= 4) {
      auto size = static_cast<std::uint64_t>(frame_size_at({buffer_.data() + start_, held}));
      missing = 4 + size - held;
    }
    out_.lost(missing, held >= 4 ? head_of_frame() : std::span<const std::uint8_t>());
  } else if (!in_sync_) {
    skipped_ += held;
  }
  if (skipped_ > 0) out_.skipped(skipped_);
  skipped_ = 0;
  buffer_.clear();
  start_ = 0;
}

}  // namespace kpipe::capture
