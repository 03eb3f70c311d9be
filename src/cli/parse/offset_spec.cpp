#include "parse/offset_spec.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <variant>

#include "parse/time_spec.hpp"

namespace kpipe::cli {
namespace {

using kind = offset_point::kind;

constexpr std::string_view k_forms =
    "expected beginning, end, stored, N, -N, +N, @TIME, s@TIME, e@TIME or START:END";

constexpr std::size_t k_max_length = 200;

enum class role { start, stop };

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool starts_with_time_marker(std::string_view text) {
  return text.starts_with('@') || text.starts_with("s@") || text.starts_with("e@");
}

// A reason, without the `invalid offset "TEXT": ` that only parse_offset_spec knows.
struct reason {
  std::string text;
};

template <class T>
using parsed = std::variant<T, reason>;

parsed<std::int64_t> parse_count(std::string_view digits) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return reason{"offset " + std::string(digits) + " is out of range"};
  }
  return value;
}

parsed<offset_point> parse_time_point(std::string_view time_text, std::int64_t now_ms) {
  auto ms = parse_time(time_text, now_ms);
  if (!ms) return reason{ms.error().message};
  return offset_point{kind::time, ms.value()};
}

parsed<offset_point> parse_point(std::string_view text, std::int64_t now_ms, role where) {
  if (text.empty()) return reason{where == role::stop ? "nothing after ':'" : std::string(k_forms)};
  if (text == "beginning" || text == "earliest") {
    if (where == role::stop) return reason{"a range cannot end at the beginning"};
    return offset_point{kind::beginning, 0};
  }
  if (text == "end" || text == "latest") return offset_point{kind::end, 0};
  if (text == "stored") {
    if (where == role::stop) return reason{"stored can only start a range"};
    return offset_point{kind::stored, 0};
  }
  if (all_digits(text)) {
    auto n = parse_count(text);
    if (auto* r = std::get_if<reason>(&n)) return *r;
    return offset_point{kind::absolute, std::get<std::int64_t>(n)};
  }
  if ((text[0] == '-' || text[0] == '+') && all_digits(text.substr(1))) {
    auto n = parse_count(text.substr(1));
    if (auto* r = std::get_if<reason>(&n)) return *r;
    return offset_point{text[0] == '-' ? kind::from_end : kind::from_start,
                        std::get<std::int64_t>(n)};
  }
  if (text[0] == '@') return parse_time_point(text.substr(1), now_ms);
  if (text.starts_with("s@")) {
    if (where == role::stop) return reason{"s@ starts a range; end it with @TIME or e@TIME"};
    return parse_time_point(text.substr(2), now_ms);
  }
  if (text.starts_with("e@")) {
    if (where == role::start) return reason{"e@ ends a range; start it with @TIME or s@TIME"};
    return parse_time_point(text.substr(2), now_ms);
  }
  // `-1h` or `2026-11-01` alone are times without their '@': say so rather than list the forms.
  if (parse_time(text, now_ms).ok()) {
    return reason{"a time needs '@' (@" + std::string(text) + ")"};
  }
  return reason{std::string(k_forms)};
}

// Order checks that need no broker: both ends of the same kind compare directly.
std::optional<reason> check_order(const offset_point& start, const offset_point& stop) {
  if (start.what != stop.what) return std::nullopt;
  switch (start.what) {
    case kind::absolute:
    case kind::from_start:
    case kind::time:
      if (stop.value < start.value) return reason{"the range ends before it starts"};
      return std::nullopt;
    case kind::from_end:  // -100:-200 starts 100 before the end and stops 200 before it
      if (stop.value > start.value) return reason{"the range ends before it starts"};
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

result<offset_spec> parse_offset_spec(std::string_view text, std::int64_t now_ms) {
  auto fail = [&](const std::string& why) {
    return error{error_kind::usage, "invalid offset \"" + std::string(text) + "\": " + why};
  };

  // Every ':' is a candidate separator and each candidate parses both sides: quadratic, so the
  // length is bounded far above any real spec (two ISO times with zones are under 70).
  if (text.size() > k_max_length) {
    return error{error_kind::usage, "invalid offset: " + std::to_string(text.size()) +
                                        " characters, more than any offset spec (at most " +
                                        std::to_string(k_max_length) + ")"};
  }

  // kcat's e@: the whole spec, from the beginning up to the time.
  if (text.starts_with("e@")) {
    auto stop = parse_time_point(text.substr(2), now_ms);
    if (auto* r = std::get_if<reason>(&stop)) return fail(r->text);
    return offset_spec{offset_point{kind::beginning, 0}, std::get<offset_point>(stop)};
  }

  auto single = parse_point(text, now_ms, role::start);
  if (auto* point = std::get_if<offset_point>(&single)) return offset_spec{*point, std::nullopt};
  const reason& single_reason = std::get<reason>(single);

  std::optional<offset_spec> found;
  std::optional<std::string> last_stop_reason;    // of the last split whose start parsed
  std::optional<std::string> first_start_reason;  // of the first split whose start failed
  std::size_t valid_splits = 0;
  for (std::size_t colon = text.find(':'); colon != std::string_view::npos;
       colon = text.find(':', colon + 1)) {
    std::string_view left = text.substr(0, colon);
    std::string_view right = text.substr(colon + 1);
    auto start = parse_point(left, now_ms, role::start);
    if (auto* r = std::get_if<reason>(&start)) {
      if (!first_start_reason) {
        first_start_reason = "range start \"" + std::string(left) + "\": " + r->text;
      }
      continue;
    }
    auto stop = parse_point(right, now_ms, role::stop);
    if (auto* r = std::get_if<reason>(&stop)) {
      last_stop_reason = "range end \"" + std::string(right) + "\": " + r->text;
      continue;
    }
    ++valid_splits;
    found = offset_spec{std::get<offset_point>(start), std::get<offset_point>(stop)};
  }

  if (valid_splits > 1) {
    // Unreachable by the argument in the header; refused rather than guessed if it ever is not.
    return fail("ambiguous range: more than one ':' splits it into two offsets");
  }
  if (found) {
    if (auto r = check_order(found->start, *found->stop)) return fail(r->text);
    return *found;
  }
  if (last_stop_reason) return fail(*last_stop_reason);
  // No left side parsed. A text that starts like a time is most likely one time with a mistake
  // in it: its own reason points at the mistake (time fields are checked as they are read).
  if (first_start_reason && !starts_with_time_marker(text)) return fail(*first_start_reason);
  return fail(single_reason.text);
}

}  // namespace kpipe::cli
