#include "format/record_format.hpp"

#include <charconv>
#include <limits>

#include "format/envelope.hpp"
#include "util/base64.hpp"

namespace kpipe::cli {
namespace {

constexpr std::string_view known_tokens =
    "known: %t %p %o %k %K %s %v %S %R %T %d %h %{h:NAME} %{k:hex|base64|json} "
    "%{s:hex|base64|json} %%";

// "<what> at offset N (<hint>)"
error format_error(std::string what, std::size_t offset, std::string_view hint = {}) {
  std::string message = std::move(what) + " at offset " + std::to_string(offset);
  if (!hint.empty()) message += " (" + std::string(hint) + ")";
  return error{error_kind::usage, std::move(message)};
}

// How a byte of the format shows in a message: itself when printable ASCII, else its value.
std::string shown_byte(char c) {
  auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7f) return std::string(1, c);
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("\\x") + digits[b >> 4] + digits[b & 15];
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <class Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_bytes(std::string& out, std::span<const std::uint8_t> bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void append_digits(std::string& out, std::int64_t v, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  for (auto n = end - buf; n < width; ++n) out += '0';
  out.append(buf, end);
}

// Milliseconds since the epoch as 2025-11-22T00:00:00.000Z, for any int64.
void append_iso8601(std::string& out, std::int64_t ms) {
  constexpr std::int64_t ms_per_day = 86'400'000;
  std::int64_t days = ms / ms_per_day;
  std::int64_t in_day = ms % ms_per_day;
  if (in_day < 0) {  // floor, so that times before 1970 count back from the epoch
    in_day += ms_per_day;
    --days;
  }
  // The Gregorian calendar repeats every 400 years (146097 days). Counting years from March 1st
  // puts the leap day last, so the day of the year gives the month without a leap-year test.
  const std::int64_t from_march_0000 = days + 719'468;  // 0000-03-01 is 719468 days before 1970
  const std::int64_t era =
      (from_march_0000 >= 0 ? from_march_0000 : from_march_0000 - 146'096) / 146'097;
  const std::int64_t day_of_era = from_march_0000 - era * 146'097;  // 0..146096
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // 0..365
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;           // 0..11
  const std::int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const std::int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);

  if (year < 0) {
    out += '-';
    append_digits(out, -year, 4);
  } else {
    if (year > 9999) out += '+';
    append_digits(out, year, 4);
  }
  out += '-';
  append_digits(out, month, 2);
  out += '-';
  append_digits(out, day, 2);
  out += 'T';
  append_digits(out, in_day / 3'600'000, 2);
  out += ':';
  append_digits(out, in_day / 60'000 % 60, 2);
  out += ':';
  append_digits(out, in_day / 1000 % 60, 2);
  out += '.';
  append_digits(out, in_day % 1000, 3);
  out += 'Z';
}

}  // namespace

result<record_format> record_format::compile(std::string_view fmt) {
  if (fmt.size() > std::numeric_limits<std::uint32_t>::max())
    return error{error_kind::usage, "format string too long"};
  record_format f;
  auto add = [&f](token kind) { f.steps_.push_back(step{kind, 0, 0}); };
  auto add_literal = [&f](char c) {
    // Extend the previous literal when it ends where the text does (no header name since).
    if (!f.steps_.empty() && f.steps_.back().kind == token::literal &&
        f.steps_.back().offset + f.steps_.back().length == f.text_.size()) {
      ++f.steps_.back().length;
    } else {
      f.steps_.push_back(step{token::literal, static_cast<std::uint32_t>(f.text_.size()), 1});
    }
    f.text_ += c;
  };

  for (std::size_t i = 0; i < fmt.size();) {
    const char c = fmt[i];
    if (c == '\\') {
      if (i + 1 == fmt.size()) return format_error("trailing backslash", i);
      char decoded = 0;
      std::size_t used = 2;
      switch (fmt[i + 1]) {
        case 'n':
          decoded = '\n';
          break;
        case 't':
          decoded = '\t';
          break;
        case 'r':
          decoded = '\r';
          break;
        case '0':
          decoded = '\0';
          break;
        case '\\':
          decoded = '\\';
          break;
        case 'x': {
          int high = i + 2 < fmt.size() ? hex_digit(fmt[i + 2]) : -1;
          int low = i + 3 < fmt.size() ? hex_digit(fmt[i + 3]) : -1;
          if (high < 0 || low < 0) return format_error("\\x needs two hex digits", i);
          decoded = static_cast<char>(high << 4 | low);
          used = 4;
          break;
        }
        default:
          return format_error("unknown escape \"\\" + shown_byte(fmt[i + 1]) + "\"", i,
                              "known: \\n \\t \\r \\0 \\\\ \\xNN");
      }
      add_literal(decoded);
      i += used;
      continue;
    }
    if (c != '%') {
      add_literal(c);
      ++i;
      continue;
    }
    if (i + 1 == fmt.size())
      return format_error("'%' at the end of the format", i, "write %% for a percent sign");
    const char t = fmt[i + 1];
    std::size_t used = 2;
    switch (t) {
      case 't':
        add(token::topic);
        break;
      case 'p':
        add(token::partition);
        break;
      case 'o':
        add(token::offset);
        break;
      case 'k':
        add(token::key);
        break;
      case 'K':
        add(token::key_length);
        break;
      case 's':
      case 'v':
        add(token::value);
        break;
      case 'S':
        add(token::value_length);
        break;
      case 'R':
        add(token::value_length_binary);
        break;
      case 'T':
        add(token::timestamp);
        break;
      case 'd':
        add(token::timestamp_iso);
        break;
      case 'h':
        add(token::headers);
        break;
      case '%':
        add_literal('%');
        break;
      case '{': {
        const std::size_t close = fmt.find('}', i + 2);
        if (close == std::string_view::npos) return format_error("\"%{\" without a closing '}'", i);
        const std::string_view inner = fmt.substr(i + 2, close - i - 2);
        used = close + 1 - i;
        const std::string whole = "\"%{" + std::string(inner) + "}\"";
        if (inner.size() < 2 || inner[1] != ':' || inner.find_first_of("hksv") != 0)
          return format_error("unknown token " + whole, i, known_tokens);
        const std::string_view arg = inner.substr(2);
        if (inner[0] == 'h') {
          if (arg.empty()) return format_error(whole + " needs a header name", i);
          f.steps_.push_back(step{token::header_value, static_cast<std::uint32_t>(f.text_.size()),
                                  static_cast<std::uint32_t>(arg.size())});
          f.text_.append(arg);
          break;
        }
        const bool key = inner[0] == 'k';
        if (arg == "hex") {
          add(key ? token::key_hex : token::value_hex);
        } else if (arg == "base64") {
          add(key ? token::key_base64 : token::value_base64);
        } else if (arg == "json") {
          add(key ? token::key_json : token::value_json);
        } else {
          return format_error("unknown encoding in " + whole, i, "known: hex, base64, json");
        }
        break;
      }
      default:
        return format_error("unknown token \"%" + shown_byte(t) + "\"", i, known_tokens);
    }
    i += used;
  }
  return f;
}

void record_format::append(std::string& out, const record_view& r) const {
  for (const step& s : steps_) {
    switch (s.kind) {
      case token::literal:
        out.append(text_, s.offset, s.length);
        break;
      case token::topic:
        out.append(r.topic);
        break;
      case token::partition:
        append_integer(out, r.partition);
        break;
      case token::offset:
        append_integer(out, r.offset);
        break;
      case token::key:
        if (r.key) append_bytes(out, *r.key);
        break;
      case token::key_length:
        append_integer(out, r.key ? static_cast<std::int64_t>(r.key->size()) : std::int64_t{-1});
        break;
      case token::key_hex:
        if (r.key) util::append_hex(out, *r.key);
        break;
      case token::key_base64:
        if (r.key) util::append_base64(out, *r.key);
        break;
      case token::key_json:
        append_json_bytes(out, r.key, byte_encoding::automatic);
        break;
      case token::value:
        if (r.value) append_bytes(out, *r.value);
        break;
      case token::value_length:
        append_integer(out,
                       r.value ? static_cast<std::int64_t>(r.value->size()) : std::int64_t{-1});
        break;
      case token::value_length_binary: {
        // kcat's %R: the length as a big-endian int32, -1 (ff ff ff ff) for null. Kafka caps
        // records well below 2 GiB, so the length fits.
        const auto length = static_cast<std::uint32_t>(
            r.value ? static_cast<std::int32_t>(r.value->size()) : std::int32_t{-1});
        const char be[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                            static_cast<char>(length >> 8), static_cast<char>(length)};
        out.append(be, sizeof be);
        break;
      }
      case token::value_hex:
        if (r.value) util::append_hex(out, *r.value);
        break;
      case token::value_base64:
        if (r.value) util::append_base64(out, *r.value);
        break;
      case token::value_json:
        append_json_bytes(out, r.value, byte_encoding::automatic);
        break;
      case token::timestamp:
        append_integer(out, r.timestamp);
        break;
      case token::timestamp_iso:
        append_iso8601(out, r.timestamp);
        break;
      case token::headers: {
        bool first = true;
        for (const auto& h : r.headers) {
          if (!first) out += ',';
          first = false;
          out.append(h.key);
          out += '=';
          if (h.value) {
            append_bytes(out, *h.value);
          } else {
            out.append("NULL");
          }
        }
        break;
      }
      case token::header_value: {
        const std::string_view name(text_.data() + s.offset, s.length);
        for (const auto& h : r.headers) {
          if (h.key != name) continue;
          if (h.value) append_bytes(out, *h.value);
          break;
        }
        break;
      }
    }
  }
}

}  // namespace kpipe::cli
