#include "net/broker_address.hpp"

#include <charconv>

namespace kpipe::net {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string broker_address::to_string() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

result<broker_address> parse_broker_address(std::string_view text) {
  text = trim(text);
  const std::string original(text);
  auto bad = [&](const char* why) {
    return error{error_kind::usage, "invalid broker address '" + original + "': " + why};
  };
  if (text.empty()) return bad("empty");
  // kcat and Java clients accept a listener prefix such as PLAINTEXT://
  if (auto scheme = text.find("://"); scheme != std::string_view::npos) {
    text.remove_prefix(scheme + 3);
  }
  if (text.empty()) return bad("no host");
  broker_address out;
  std::string_view port_text;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return bad("no port after ':'");
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return bad("an IPv6 address needs brackets, e.g. [::1]:9092");
    }
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return bad("no port after ':'");
    }
  }
  if (out.host.empty()) return bad("no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return bad("port must be a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

result<std::vector<broker_address>> parse_broker_list(std::string_view text) {
  std::vector<broker_address> out;
  while (true) {
    auto comma = text.find(',');
    auto entry = trim(text.substr(0, comma));
    if (!entry.empty()) {
      auto address = parse_broker_address(entry);
      if (!address) return address.error();
      out.push_back(std::move(address.value()));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (out.empty()) return error{error_kind::usage, "no broker address given"};
  return out;
}

}  // namespace kpipe::net
