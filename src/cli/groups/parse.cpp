// The values of `kpipe groups` options: topic selections, reset targets, plan files.
#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "groups/groups.hpp"
#include "parse/duration.hpp"
#include "parse/time_spec.hpp"

namespace kpipe::cli::groups {

namespace {

template <class Int>
std::optional<Int> parse_int(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

constexpr const char* reset_forms =
    "earliest, latest, current, offset:N, shift:+N, shift:-N, time:TIME, ago:DURATION or "
    "file:PATH";

error bad_to(std::string_view text, const std::string& why) {
  return error{error_kind::usage, "invalid --to \"" + std::string(text) + "\": " + why +
                                      " (accepted: " + reset_forms + ")"};
}

}  // namespace

result<topic_selection> parse_topic_selection(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return error{error_kind::usage, "invalid topic \"" + std::string(text) + "\": " + why +
                                        " (expected TOPIC or TOPIC:PARTITIONS, as orders:0,2-4)"};
  };
  topic_selection out;
  // Topic names cannot contain ':' (legal characters are [a-zA-Z0-9._-]).
  auto colon = text.find(':');
  out.topic = std::string(text.substr(0, colon));
  if (out.topic.empty()) return bad("no topic name");
  if (colon == std::string_view::npos) return out;
  std::set<std::int32_t> partitions;
  for (auto item : split(text.substr(colon + 1), ',')) {
    auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto p = parse_int<std::int32_t>(item);
      if (!p || *p < 0) return bad("\"" + std::string(item) + "\" is not a partition");
      partitions.insert(*p);
      continue;
    }
    auto first = parse_int<std::int32_t>(item.substr(0, dash));
    auto last = parse_int<std::int32_t>(item.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first) {
      return bad("\"" + std::string(item) + "\" is not a range of partitions");
    }
    if (*last - *first > 100000) return bad("range \"" + std::string(item) + "\" is too large");
    for (auto p = *first; p <= *last; ++p) partitions.insert(p);
  }
  out.partitions.assign(partitions.begin(), partitions.end());
  return out;
}

result<reset_to> parse_reset_to(std::string_view text, std::int64_t now_ms) {
  using kind = client::reset_target::kind;
  reset_to out;
  if (text == "earliest" || text == "beginning") {
    out.target.what = kind::earliest;
    return out;
  }
  if (text == "latest" || text == "end") {
    out.target.what = kind::latest;
    return out;
  }
  if (text == "current") {
    out.target.what = kind::current;
    return out;
  }
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return bad_to(text, "unknown form");
  auto form = text.substr(0, colon);
  auto rest = text.substr(colon + 1);
  if (form == "offset") {
    auto n = parse_int<std::int64_t>(rest);
    if (!n || *n < 0 || rest.front() == '+') return bad_to(text, "offset: needs an offset >= 0");
    out.target = {kind::offset, *n};
    return out;
  }
  if (form == "shift") {
    auto n = parse_int<std::int64_t>(rest);
    if (!n) return bad_to(text, "shift: needs a whole number of records, as +10 or -10");
    out.target = {kind::shift, *n};
    return out;
  }
  if (form == "time") {
    auto ms = parse_time(rest, now_ms);
    if (!ms) return bad_to(text, ms.error().message);
    out.target = {kind::time, ms.value()};
    return out;
  }
  if (form == "ago") {
    auto duration = parse_duration(rest);
    if (!duration) return bad_to(text, "ago: needs a duration, as 30m, 2h or 1d");
    auto at = now_ms - duration->count();
    if (at < 0) return bad_to(text, "ago: the time would be before 1970");
    out.target = {kind::time, at};
    return out;
  }
  if (form == "file") {
    if (rest.empty()) return bad_to(text, "file: needs a path");
    out.target.what = kind::given;
    out.file = std::string(rest);
    return out;
  }
  return bad_to(text, "unknown form \"" + std::string(form) + ":\"");
}

result<planned_offsets> parse_plan_file(std::string_view text, const std::string& group) {
  planned_offsets out;
  auto start = text.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && (text[start] == '{' || text[start] == '[')) {
    auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (json.is_discarded()) return error{error_kind::usage, "plan file: not valid JSON"};
    const nlohmann::json* entries = &json;
    if (json.is_object()) {
      if (!json.contains("partitions") || !json["partitions"].is_array()) {
        return error{error_kind::usage, "plan file: no \"partitions\" array"};
      }
      entries = &json["partitions"];
    }
    std::size_t index = 0;
    for (const auto& e : *entries) {
      auto where = "plan file: partitions[" + std::to_string(index++) + "]";
      if (!e.is_object() || !e.contains("topic") || !e["topic"].is_string() ||
          !e.contains("partition") || !e["partition"].is_number_integer() ||
          !e.contains("offset") || !e["offset"].is_number_integer()) {
        return error{error_kind::usage,
                     where + ": needs \"topic\", \"partition\" and \"offset\" (integers)"};
      }
      auto partition = e["partition"].get<std::int64_t>();
      auto offset = e["offset"].get<std::int64_t>();
      if (partition < 0 || partition > INT32_MAX || offset < 0) {
        return error{error_kind::usage, where + ": partition or offset out of range"};
      }
      out[e["topic"].get<std::string>()][static_cast<std::int32_t>(partition)] = offset;
    }
    if (out.empty()) return error{error_kind::usage, "plan file: no partitions"};
    return out;
  }
  std::size_t line_number = 0;
  bool other_groups = false;
  for (auto line : split(text, '\n')) {
    ++line_number;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto where = "plan file line " + std::to_string(line_number);
    auto fields = split(line, ',');
    for (auto& f : fields) f = trim(f);
    // A header line, as spreadsheets add (kafka-consumer-groups writes none).
    if (line_number == 1 && fields.size() >= 3 && fields[fields.size() - 3] == "topic" &&
        fields[fields.size() - 2] == "partition" && fields.back() == "offset") {
      continue;
    }
    if (fields.size() == 4) {
      // kafka-consumer-groups exports GROUP,TOPIC,PARTITION,OFFSET for several groups.
      if (fields[0] != group) {
        other_groups = true;
        continue;
      }
      fields.erase(fields.begin());
    }
    if (fields.size() != 3) {
      return error{error_kind::usage, where + ": expected TOPIC,PARTITION,OFFSET"};
    }
    auto partition = parse_int<std::int32_t>(fields[1]);
    auto offset = parse_int<std::int64_t>(fields[2]);
    if (fields[0].empty() || !partition || *partition < 0 || !offset || *offset < 0) {
      return error{error_kind::usage, where + ": expected TOPIC,PARTITION,OFFSET with numbers"};
    }
    out[std::string(fields[0])][*partition] = *offset;
  }
  if (out.empty()) {
    return error{error_kind::usage, other_groups ? "plan file: no line for group " + group
                                                 : std::string("plan file: no partitions")};
  }
  return out;
}

}  // namespace kpipe::cli::groups
