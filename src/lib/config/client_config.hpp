#pragma once
// The client's settings, layered: built-in defaults < config file < profile < environment < -X
// < command-line flags. Keys are librdkafka/Java property names (bootstrap.servers, ssl.*,
// sasl.*, linger.ms, ...); every setting remembers where it came from, for --show-config and for
// error messages.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/sasl/sasl.hpp"
#include "net/tls.hpp"
#include "util/result.hpp"

namespace kpipe::config {

// Lowest to highest precedence.
enum class origin { built_in, file, profile, environment, property, flag };

struct source {
  origin kind = origin::built_in;
  // Where exactly, for messages: "/home/u/.config/kpipe/config:12", "profile prod
  // (/home/u/.config/kpipe/config:7)", "KPIPE_SASL_PASSWORD", "-X", "--tls-ca".
  std::string where;
};

struct setting {
  std::string value;
  source from;
};

class layered_properties {
 public:
  // Keeps the value of the highest origin; at an equal origin the later call wins.
  void set(const std::string& key, std::string value, source from);
  const setting* find(std::string_view key) const;
  std::optional<std::string> value(std::string_view key) const;
  const std::map<std::string, setting, std::less<>>& all() const { return settings_; }

 private:
  std::map<std::string, setting, std::less<>> settings_;
};

}  // namespace kpipe::config
