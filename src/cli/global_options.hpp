#pragma once
// Options every subcommand accepts, before or after the subcommand's name, and the client
// settings they resolve to: config file and profile, environment, -X, flags (kpipe(1),
// "CONFIGURATION").

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/client_config.hpp"
#include "config/security.hpp"
#include "net/broker_address.hpp"
#include "net/connection.hpp"
#include "util/result.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

enum class output_format { text, json };

// Reads an environment variable; injectable so that tests do not see the developer's.
using environment_reader = std::function<const char*(const char*)>;

struct global_options {
  // As given on the command line.
  std::optional<std::string> brokers_flag;
  std::vector<std::string> property_args;  // -X key=value
  std::vector<std::string> config_files;   // -F
  std::optional<std::string> profile;      // --profile (else KPIPE_PROFILE)
  bool show_config = false;
  std::string timeout_text = "10s";
  std::string format_text = "text";
  int verbosity = 0;  // -v adds one, -q takes one away
  bool tls = false;
  std::optional<std::string> tls_ca, tls_cert, tls_key;
  bool tls_insecure = false;
  std::optional<std::string> sasl_mechanism, sasl_user, sasl_password_file;

  // Filled by resolve() once the command line is parsed.
  config::layered_properties settings;
  std::vector<std::string> warnings;  // printed once by the caller
  std::vector<net::broker_address> broker_list;
  std::map<std::string, std::string> properties;  // every setting's effective value
  std::chrono::milliseconds timeout{10'000};
  output_format format = output_format::text;

  // Filled by resolve_security(): what every connection uses.
  config::security_settings security;
  std::shared_ptr<net::tls_context> tls_context;
  std::shared_ptr<net::sasl::authenticator> authenticator;

  // Layers the settings (file < profile < environment < -X < flags), checks every name and
  // converts the text; a usage error on bad input. Contacts nobody and asks nothing.
  status resolve(const environment_reader& getenv = nullptr);
  // Builds TLS and SASL from the settings; asks for a missing SASL password on the terminal
  // (never echoed) when there is one, else a usage error says where to put it.
  status resolve_security();
  net::connection_options connection_options() const;
  // Where a setting came from, for messages: "-X linger.ms", "/etc/kpipe.conf:3".
  std::string source_of(const std::string& key) const;
};

void register_global_options(CLI::App& app, global_options& options);

// --show-config: every effective setting as `key=value  # source`, secrets masked; or JSON.
std::string render_settings(const global_options& options);

}  // namespace kpipe::cli
