#include "parse/time_spec.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <variant>

#include "parse/duration.hpp"

namespace kpipe::cli {
namespace {

constexpr std::int64_t k_ms_per_minute = 60'000;
constexpr std::int64_t k_ms_per_day = 86'400'000;

constexpr std::string_view k_expected =
    "expected epoch milliseconds (1763769600000), an ISO 8601 date-time (2026-11-01T00:00Z), "
    "now, or a time relative to now (-1h, +5m)";

// Plain ASCII tests: std::isdigit depends on the locale.
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// Reasons travel as plain strings until parse_time wraps them with the text.
struct reason {
  std::string text;
};

template <class T>
using parsed = std::variant<T, reason>;

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  constexpr int k_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) return 29;
  return k_days[month - 1];
}

// Leap years in [1, year]: every fourth, minus centuries, plus every fourth century.
std::int64_t leap_years_through(std::int64_t year) { return year / 4 - year / 100 + year / 400; }

// Days from 1970-01-01 to the given proleptic Gregorian date (negative before it). Counted as
// whole years since 1970, the leap days among them, then the months of the last year. Valid for
// years >= 1, which the parser guarantees except for year 0, whose result is far enough before
// the epoch to be refused anyway.
std::int64_t days_since_epoch(int year, int month, int day) {
  constexpr int k_days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  std::int64_t days =
      std::int64_t{365} * (year - 1970) + (leap_years_through(year - 1) - leap_years_through(1969));
  days += k_days_before_month[month - 1];
  if (month > 2 && is_leap_year(year)) days += 1;
  return days + (day - 1);
}

// Reads exactly `count` ASCII digits at `pos`; nullopt (pos unchanged) when they are not there.
std::optional<int> read_fixed_digits(std::string_view text, std::size_t& pos, std::size_t count) {
  if (text.size() - pos < count) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += count;
  return value;
}

std::string two_digits(int value) {
  std::string out = std::to_string(value);
  return out.size() < 2 ? "0" + out : out;
}

reason unexpected_after(std::string_view text, std::size_t pos, std::string_view what) {
  return reason{"unexpected \"" + std::string(text.substr(pos)) + "\" after the " +
                std::string(what)};
}

// The zone designator after the time of day: Z, +HH, +HHMM or +HH:MM (or '-'). Returns the
// offset east of UTC in minutes.
parsed<std::int64_t> parse_zone(std::string_view text, std::size_t& pos) {
  if (pos == text.size()) return std::int64_t{0};  // no zone: UTC, as documented
  char c = text[pos];
  if (c == 'Z' || c == 'z') {
    ++pos;
    return std::int64_t{0};
  }
  if (c != '+' && c != '-') return unexpected_after(text, pos, "time");
  const std::int64_t sign = c == '-' ? -1 : 1;
  ++pos;
  const reason bad_zone{"expected a zone like Z, +01:00 or -0530 after the time"};
  auto hours = read_fixed_digits(text, pos, 2);
  if (!hours) return bad_zone;
  if (*hours > 23) return reason{"zone hour " + two_digits(*hours) + " is not 00-23"};
  int minutes = 0;
  if (pos < text.size()) {
    bool colon = text[pos] == ':';
    if (colon) ++pos;
    auto read = read_fixed_digits(text, pos, 2);
    if (!read) {
      if (colon) return bad_zone;
    } else {
      minutes = *read;
      if (minutes > 59) return reason{"zone minute " + two_digits(minutes) + " is not 00-59"};
    }
  }
  return sign * (*hours * 60 + minutes);
}

// Each field is range-checked as soon as it is read, so that a prefix of a date-time fails with
// the same reason as the whole text: offset_spec relies on that when it reports range errors.
parsed<std::int64_t> parse_iso(std::string_view text) {
  std::size_t pos = 0;
  const reason bad_date{"expected YYYY-MM-DD"};
  auto year = read_fixed_digits(text, pos, 4);
  if (!year || pos == text.size() || text[pos] != '-') return bad_date;
  ++pos;
  auto month = read_fixed_digits(text, pos, 2);
  if (!month) return bad_date;
  if (*month < 1 || *month > 12) return reason{"month " + two_digits(*month) + " is not 01-12"};
  if (pos == text.size() || text[pos] != '-') return bad_date;
  ++pos;
  auto day = read_fixed_digits(text, pos, 2);
  if (!day) return bad_date;
  if (*day < 1 || *day > days_in_month(*year, *month)) {
    return reason{"day " + two_digits(*day) + " does not exist in " + std::to_string(*year) + "-" +
                  two_digits(*month)};
  }
  std::int64_t ms = days_since_epoch(*year, *month, *day) * k_ms_per_day;
  if (pos == text.size()) return ms;

  char separator = text[pos];
  if (separator != 'T' && separator != 't' && separator != ' ') {
    return unexpected_after(text, pos, "date");
  }
  ++pos;
  const reason bad_time{"expected HH:MM after the date"};
  auto hour = read_fixed_digits(text, pos, 2);
  if (!hour) return bad_time;
  if (*hour > 23) return reason{"hour " + two_digits(*hour) + " is not 00-23"};
  if (pos == text.size() || text[pos] != ':') return bad_time;
  ++pos;
  auto minute = read_fixed_digits(text, pos, 2);
  if (!minute) return bad_time;
  if (*minute > 59) return reason{"minute " + two_digits(*minute) + " is not 00-59"};
  ms += (*hour * 60 + *minute) * k_ms_per_minute;

  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    auto second = read_fixed_digits(text, pos, 2);
    if (!second) return reason{"expected two digits of seconds after HH:MM:"};
    // Leap seconds (60) are refused: Kafka's clocks are POSIX time, which has none.
    if (*second > 59) return reason{"second " + two_digits(*second) + " is not 00-59"};
    ms += *second * 1000;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      std::size_t digits = 0;
      int fraction_ms = 0;
      while (pos < text.size() && is_digit(text[pos]) && digits < 9) {
        if (digits < 3) fraction_ms = fraction_ms * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return reason{"expected digits after '.'"};
      for (std::size_t i = digits; i < 3; ++i) fraction_ms *= 10;
      ms += fraction_ms;
    }
  }

  auto zone = parse_zone(text, pos);
  if (auto* r = std::get_if<reason>(&zone)) return *r;
  if (pos != text.size()) return unexpected_after(text, pos, "time");
  // Local time minus the zone's offset east of UTC is UTC.
  return ms - std::get<std::int64_t>(zone) * k_ms_per_minute;
}

parsed<std::int64_t> parse_relative(std::string_view text, std::int64_t now_ms) {
  const std::int64_t sign = text[0] == '-' ? -1 : 1;
  std::string_view amount = text.substr(1);
  if (all_digits(amount)) {
    return reason{"missing unit after " + std::string(amount) + " (ms, s, m, h or d)"};
  }
  // '+' and '-' are ours: a second sign would be taken by the duration parser's number.
  if (amount.empty() || amount[0] == '+' || amount[0] == '-') {
    return reason{"expected a duration after '" + std::string(1, text[0]) +
                  "' (500ms, 10s, 30m, 1h, 2d)"};
  }
  auto duration = parse_duration(amount);
  if (!duration) {
    return reason{"expected a duration after '" + std::string(1, text[0]) +
                  "' (500ms, 10s, 30m, 1h, 2d), got \"" + std::string(amount) + "\""};
  }
  std::int64_t ms = 0;
  if (__builtin_add_overflow(now_ms, sign * duration->count(), &ms)) {
    return reason{"\"" + std::string(text) + "\" is too far from now"};
  }
  return ms;
}

parsed<std::int64_t> parse_any(std::string_view text, std::int64_t now_ms) {
  if (text.empty()) return reason{std::string(k_expected)};
  if (text == "now") return now_ms;
  if (text[0] == '-' || text[0] == '+') return parse_relative(text, now_ms);
  if (all_digits(text)) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return reason{"epoch milliseconds out of range"};
    }
    return value;
  }
  // A date starts with four digits and a dash; anything else gets the list of forms.
  if (text.size() >= 5 && all_digits(text.substr(0, 4)) && text[4] == '-') return parse_iso(text);
  return reason{std::string(k_expected)};
}

}  // namespace

result<std::int64_t> parse_time(std::string_view text, std::int64_t now_ms) {
  auto prefix = [&] { return "invalid time \"" + std::string(text) + "\": "; };
  auto value = parse_any(text, now_ms);
  if (auto* r = std::get_if<reason>(&value)) return error{error_kind::usage, prefix() + r->text};
  std::int64_t ms = std::get<std::int64_t>(value);
  if (ms < 0) {
    return error{error_kind::usage,
                 prefix() + "before 1970-01-01T00:00Z (Kafka timestamps cannot be negative)"};
  }
  return ms;
}

}  // namespace kpipe::cli
