#pragma once
// The property names kpipe knows: those it acts on (with what they mean and whether their values
// are secret) and the librdkafka and Java client names it accepts but ignores, so that kcat
// config files and Java client.properties load as they are. Any other name is a usage error with
// a suggestion, because a misspelt security setting silently ignored is a connection that
// quietly goes out unauthenticated or untrusted.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/client_config.hpp"
#include "util/result.hpp"

namespace kpipe::config {

struct property_info {
  std::string_view name;
  // Acted on: what it does. Ignored: empty, or what to use instead in kpipe.
  std::string_view meaning;
  bool acted_on = false;
  bool secret = false;
  // For an alias kpipe reads as another name ("metadata.broker.list"): that name.
  std::string_view alias_of;
};

// Every property kpipe acts on, aliases included, in the table's order (grouped by topic).
std::span<const property_info> acted_on_properties();
// Every property kpipe accepts but ignores.
std::span<const property_info> ignored_properties();

// The entry for a known name (exact, case-sensitive as in librdkafka and Java), or nullptr.
const property_info* find_property(std::string_view name);

// The known name nearest to `name` by edit distance, when it is near enough to be a likely typo.
std::optional<std::string> closest_property(std::string_view name);

// Whether values of `name` must never be shown. Unknown names that look like they hold a
// secret (password, secret, token, ...) count as secret too.
bool is_secret(std::string_view name);

// The value as it may be shown: "********" for secrets (an empty secret stays empty, which says
// "not given" without saying anything else); sasl.jaas.config keeps its login module and other
// options and masks only the secret ones.
std::string masked_value(std::string_view name, std::string_view value);

// The setting for `name` or any of its aliases, whichever has the highest origin (at an equal
// origin, `name` itself): "sasl.mechanism" also finds "sasl.mechanisms".
const setting* find_setting(const layered_properties& properties, std::string_view name);

// Checks every name: an unknown one is a usage error naming its source and the nearest known
// name; each known but ignored one gives a warning line. Built-in defaults are not checked.
result<std::vector<std::string>> check_properties(const layered_properties& properties);

}  // namespace kpipe::config
