#include "filter/record_filter.hpp"

namespace kpipe::cli {

namespace {

bool search(const std::regex& pattern, const std::optional<record::bytes_view>& bytes) {
  if (!bytes) return false;
  const char* begin = reinterpret_cast<const char*>(bytes->data());
  return std::regex_search(begin, begin + bytes->size(), pattern);
}

}  // namespace

status record_filter::add(std::string_view spec) {
  auto usage = [&](const std::string& why) {
    return error{error_kind::usage, "--grep '" + std::string(spec) + "': " + why};
  };
  if (spec.size() < 2 || spec[1] != ':') return usage("expected k:RE, v:RE or h:NAME=RE");
  filter f;
  std::string_view pattern = spec.substr(2);
  switch (spec[0]) {
    case 'k':
      f.what = field::key;
      break;
    case 'v':
      f.what = field::value;
      break;
    case 'h': {
      f.what = field::header;
      auto eq = pattern.find('=');
      if (eq == std::string_view::npos || eq == 0) return usage("expected h:NAME=RE");
      f.header = std::string(pattern.substr(0, eq));
      pattern = pattern.substr(eq + 1);
      break;
    }
    default:
      return usage("expected k:RE, v:RE or h:NAME=RE");
  }
  try {
    f.pattern = std::regex(std::string(pattern), std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return usage(std::string("bad regular expression: ") + e.what());
  }
  filters_.push_back(std::move(f));
  return success{};
}

bool record_filter::matches(const record::record& r) const {
  for (const auto& f : filters_) {
    bool ok = false;
    switch (f.what) {
      case field::key:
        ok = search(f.pattern, r.key);
        break;
      case field::value:
        ok = search(f.pattern, r.value);
        break;
      case field::header:
        for (const auto& h : r.headers) {
          if (h.key == f.header && search(f.pattern, h.value)) {
            ok = true;
            break;
          }
        }
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace kpipe::cli
