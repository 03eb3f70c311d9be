#pragma once
// consume --grep: k:RE (key), v:RE (value), h:NAME=RE (a header named NAME whose value matches);
// several filters are ANDed. ECMAScript regular expressions, searched anywhere in the bytes
// (anchor with ^ and $); a null key, value or header value never matches.

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "record/record.hpp"
#include "util/result.hpp"

namespace kpipe::cli {

class record_filter {
 public:
  // Usage errors name the filter: `--grep 'x:1': expected k:RE, v:RE or h:NAME=RE`.
  status add(std::string_view spec);
  bool empty() const { return filters_.empty(); }
  bool matches(const record::record& r) const;

 private:
  enum class field { key, value, header };
  struct filter {
    field what;
    std::string header;
    std::regex pattern;
  };
  std::vector<filter> filters_;
};

}  // namespace kpipe::cli
