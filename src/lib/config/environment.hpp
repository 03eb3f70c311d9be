#pragma once
// The environment variables that set client properties, at origin::environment: above the config
// file, below -X and flags. (KPIPE_CONFIG and KPIPE_PROFILE choose the file and profile; the CLI
// reads those itself.)

#include <functional>
#include <span>
#include <string_view>

#include "config/client_config.hpp"

namespace kpipe::config {

struct environment_variable {
  std::string_view name;      // KPIPE_BROKERS
  std::string_view property;  // bootstrap.servers
};

std::span<const environment_variable> environment_variables();

// Sets the property of each variable that is set and not empty; the setting's `where` is the
// variable's name. `getenv` is injectable so that tests do not see the developer's environment.
void add_environment(layered_properties& properties,
                     const std::function<const char*(const char*)>& getenv);

}  // namespace kpipe::config
