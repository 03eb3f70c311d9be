#pragma once
// Broker addresses as users write them: "host:port", "[::1]:9092", lists separated by commas.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace kpipe::net {

struct broker_address {
  std::string host;
  std::uint16_t port = 9092;

  // "host:port", with brackets around an IPv6 host.
  std::string to_string() const;
  bool operator==(const broker_address&) const = default;
};

// A missing port means Kafka's default, 9092. Spaces around entries are ignored.
result<broker_address> parse_broker_address(std::string_view text);
result<std::vector<broker_address>> parse_broker_list(std::string_view text);

}  // namespace kpipe::net
