#include "config/environment.hpp"

#include <array>
#include <string>

namespace kpipe::config {

namespace {

// Names are null-terminated literals, so that .data() can be handed to getenv.
constexpr auto variables = std::to_array<environment_variable>({
    {"KPIPE_BROKERS", "bootstrap.servers"},
    {"KPIPE_SASL_MECHANISM", "sasl.mechanism"},
    {"KPIPE_SASL_USER", "sasl.username"},
    {"KPIPE_SASL_PASSWORD", "sasl.password"},
    {"KPIPE_SASL_OAUTHBEARER_CLIENT_SECRET", "sasl.oauthbearer.client.secret"},
});

}  // namespace

std::span<const environment_variable> environment_variables() { return variables; }

void add_environment(layered_properties& properties,
                     const std::function<const char*(const char*)>& getenv) {
  for (const auto& variable : variables) {
    const char* value = getenv(variable.name.data());
    // An empty variable is how shells unset one for a single command (VAR= kpipe ...).
    if (!value || !*value) continue;
    properties.set(std::string(variable.property), value,
                   source{origin::environment, std::string(variable.name)});
  }
}

}  // namespace kpipe::config
