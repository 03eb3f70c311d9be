#pragma once
// Java's sasl.jaas.config: one JAAS login module entry,
//   <LoginModuleClass> <required|requisite|sufficient|optional> [name=value ...] ;
// where a value is a word or a quoted string ("..." or '...', backslash escapes inside). Kafka
// clients take exactly one entry. The final ';' may be left out.
//
// The text holds passwords: errors name positions and option names, never values.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace kpipe::config {

enum class jaas_control_flag { required, requisite, sufficient, optional };

struct jaas_config {
  std::string login_module;  // as written: org.apache.kafka.common.security.plain.PlainLoginModule
  jaas_control_flag flag = jaas_control_flag::required;
  std::vector<std::pair<std::string, std::string>> options;  // in the order written

  // The class name without its package: "PlainLoginModule".
  std::string_view module_class() const;
  // The value of an option (the last one when repeated), or nullptr.
  const std::string* option(std::string_view name) const;
};

// A malformed text is a usage error "sasl.jaas.config: ... at position N" (1-based).
result<jaas_config> parse_jaas_config(std::string_view text);

// Whether the value of a JAAS option of this name must not be shown (password, clientSecret, ...).
bool is_secret_jaas_option(std::string_view name);

// The text as it may be shown: module, flag and options, secret values as "********". A text
// that does not parse shows only its first word when that looks like a class name.
std::string masked_jaas_config(std::string_view text);

}  // namespace kpipe::config
