#include "global_options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "config/environment.hpp"
#include "config/known_properties.hpp"
#include "config/properties_file.hpp"
#include "parse/duration.hpp"
#include "secret_prompt.hpp"

namespace kpipe::cli {

namespace {

error usage(std::string message) { return error{error_kind::usage, std::move(message)}; }

// The default config file: $KPIPE_CONFIG, else ~/.config/kpipe/config ($XDG_CONFIG_HOME
// honoured). Only an explicitly named file must exist.
struct default_file {
  std::string path;
  bool named;  // by KPIPE_CONFIG
};
std::optional<default_file> default_config_file(const environment_reader& getenv) {
  if (const char* named = getenv("KPIPE_CONFIG"); named && *named) return default_file{named, true};
  std::string base;
  if (const char* xdg = getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = getenv("HOME"); home && *home) {
    base = std::string(home) + "/.config";
  } else {
    return std::nullopt;
  }
  std::string path = base + "/kpipe/config";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return default_file{path, false};
}

config::source flag_source(const std::string& flag) { return {config::origin::flag, flag}; }

}  // namespace

void register_global_options(CLI::App& app, global_options& options) {
  app.add_option("-b,--brokers", options.brokers_flag,
                 "Bootstrap brokers, HOST:PORT[,HOST:PORT...] (env KPIPE_BROKERS; default "
                 "localhost:9092)")
      ->type_name("LIST");
  app.add_option("-X,--property", options.property_args,
                 "Client property KEY=VALUE, repeatable (librdkafka/Java names: "
                 "security.protocol, sasl.mechanism, ssl.ca.location, linger.ms, ...)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  app.add_option("-F,--config", options.config_files,
                 "Properties file (librdkafka/kcat or Java client.properties syntax, [NAME] "
                 "profile sections); default $KPIPE_CONFIG, else ~/.config/kpipe/config")
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--profile", options.profile,
                 "Profile (a [NAME] section of the config file) to use (env KPIPE_PROFILE)")
      ->type_name("NAME");
  app.add_flag("--show-config", options.show_config,
               "Print the effective settings and where each came from (secrets masked), then "
               "exit");
  app.add_option("--timeout", options.timeout_text,
                 "Deadline for each request and each connection stage: 500ms, 10s, 2m "
                 "(default 10s)")
      ->type_name("DURATION");
  app.add_option("--format", options.format_text, "Output of metadata, groups, offsets")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("text|json");
  app.add_flag_function(
      "-v,--verbose", [&options](std::int64_t n) { options.verbosity += static_cast<int>(n); },
      "More detail on stderr (repeatable)");
  app.add_flag_function(
      "-q,--quiet", [&options](std::int64_t n) { options.verbosity -= static_cast<int>(n); },
      "Less on stderr");
  auto* security = "Security";
  app.add_flag("--tls", options.tls, "Speak TLS to the brokers (security.protocol SSL or SASL_SSL)")
      ->group(security);
  app.add_option("--tls-ca", options.tls_ca,
                 "CA certificates (PEM file or directory) to trust instead of the system's; "
                 "implies --tls")
      ->type_name("FILE")
      ->group(security);
  app.add_option("--tls-cert", options.tls_cert, "Client certificate (PEM) for mTLS; implies --tls")
      ->type_name("FILE")
      ->group(security);
  app.add_option("--tls-key", options.tls_key, "Client key (PEM) for mTLS; implies --tls")
      ->type_name("FILE")
      ->group(security);
  app.add_flag("--tls-insecure", options.tls_insecure,
               "Do not verify the brokers' certificates (warns); implies --tls")
      ->group(security);
  app.add_option("--sasl-mechanism", options.sasl_mechanism,
                 "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (env KPIPE_SASL_MECHANISM)")
      ->type_name("NAME")
      ->group(security);
  app.add_option("--sasl-user", options.sasl_user, "SASL user name (env KPIPE_SASL_USER)")
      ->type_name("NAME")
      ->group(security);
  app.add_option("--sasl-password-file", options.sasl_password_file,
                 "File whose first line is the SASL password (else KPIPE_SASL_PASSWORD, "
                 "sasl.password, or a prompt on a terminal)")
      ->type_name("FILE")
      ->group(security);
}

status global_options::resolve(const environment_reader& given_getenv) {
  environment_reader getenv =
      given_getenv ? given_getenv : [](const char* name) { return std::getenv(name); };
  settings = config::layered_properties{};
  warnings.clear();

  // Files: -F (each in turn), else the default file.
  std::vector<std::string> files = config_files;
  std::optional<std::string> chosen_profile = profile;
  if (!chosen_profile) {
    if (const char* p = getenv("KPIPE_PROFILE"); p && *p) chosen_profile = std::string(p);
  }
  if (files.empty()) {
    if (auto found = default_config_file(getenv)) files.push_back(found->path);
  }
  bool profile_found = !chosen_profile;
  std::vector<std::string> profile_errors;
  for (const auto& path : files) {
    auto file = config::read_properties_file(path);
    if (!file) return file.error();
    auto added = config::add_file(settings, *file, chosen_profile);
    if (added) {
      profile_found = true;
    } else if (chosen_profile && files.size() > 1) {
      profile_errors.push_back(added.error().message);  // another file may hold it
      auto without = config::add_file(settings, *file, std::nullopt);
      if (!without) return without.error();
    } else {
      return added.error();
    }
  }
  if (!profile_found) {
    if (files.empty()) {
      return usage("profile '" + *chosen_profile +
                   "' was asked for, but there is no config file (-F FILE, KPIPE_CONFIG or "
                   "~/.config/kpipe/config)");
    }
    return usage(profile_errors.empty() ? "profile '" + *chosen_profile + "' not found"
                                        : profile_errors.front());
  }

  config::add_environment(settings, getenv);

  for (const auto& arg : property_args) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return usage("-X expects KEY=VALUE, got '" + arg + "'");
    }
    settings.set(arg.substr(0, eq), arg.substr(eq + 1),
                 config::source{config::origin::property, "-X"});
  }

  if (brokers_flag) settings.set("bootstrap.servers", *brokers_flag, flag_source("-b"));
  if (tls_ca) settings.set("ssl.ca.location", *tls_ca, flag_source("--tls-ca"));
  if (tls_cert) settings.set("ssl.certificate.location", *tls_cert, flag_source("--tls-cert"));
  if (tls_key) settings.set("ssl.key.location", *tls_key, flag_source("--tls-key"));
  if (tls_insecure) {
    settings.set("enable.ssl.certificate.verification", "false", flag_source("--tls-insecure"));
  }
  if (sasl_mechanism)
    settings.set("sasl.mechanism", *sasl_mechanism, flag_source("--sasl-mechanism"));
  if (sasl_user) settings.set("sasl.username", *sasl_user, flag_source("--sasl-user"));
  if (sasl_password_file) {
    settings.set("sasl.password.file", *sasl_password_file, flag_source("--sasl-password-file"));
  }
  if (!settings.find("bootstrap.servers") && !settings.find("metadata.broker.list")) {
    settings.set("bootstrap.servers", "localhost:9092",
                 config::source{config::origin::built_in, "default"});
  }

  auto checked = config::check_properties(settings);
  if (!checked) return checked.error();
  warnings = std::move(checked.value());

  properties.clear();
  for (const auto& [key, s] : settings.all()) properties[key] = s.value;

  const auto* servers = settings.find("bootstrap.servers");
  if (!servers) servers = settings.find("metadata.broker.list");
  auto list = net::parse_broker_list(servers->value);
  if (!list) {
    return usage(list.error().message + " (bootstrap.servers from " + servers->from.where + ")");
  }
  broker_list = std::move(list.value());

  auto parsed = parse_duration(timeout_text);
  if (!parsed || parsed->count() == 0) {
    return usage("--timeout expects a positive duration such as 500ms, 10s or 2m, got '" +
                 timeout_text + "'");
  }
  timeout = *parsed;
  format = format_text == "json" ? output_format::json : output_format::text;

  bool tls_requested = tls || tls_ca || tls_cert || tls_key || tls_insecure;
  auto secured = config::security_from(settings, tls_requested);
  if (!secured) return secured.error();
  security = std::move(secured.value());
  for (auto& w : security.warnings) warnings.push_back(w);
  return success{};
}

status global_options::resolve_security() {
  if (security.tls) {
    auto context = net::tls_context::make(*security.tls);
    if (!context) return context.error();
    tls_context = context.value();
  }
  if (security.sasl) {
    auto& sasl = *security.sasl;
    bool needs_password = sasl.mechanism != net::sasl::mechanism_kind::oauthbearer;
    if (needs_password && sasl.username.empty()) {
      return usage(std::string(net::sasl::mechanism_name(sasl.mechanism)) +
                   " needs a user name: --sasl-user, KPIPE_SASL_USER or sasl.username");
    }
    if (needs_password && sasl.password.empty()) {
      auto typed = prompt_secret("SASL password for " + sasl.username + ": ");
      if (!typed) {
        return usage(std::string(net::sasl::mechanism_name(sasl.mechanism)) +
                     " needs a password: KPIPE_SASL_PASSWORD, --sasl-password-file, "
                     "sasl.password, or run on a terminal to be asked");
      }
      sasl.password = std::move(*typed);
    }
    // The OIDC token endpoint is verified with the brokers' trust settings, which exist on
    // their own when the brokers are not spoken to in TLS.
    std::shared_ptr<net::tls_context> endpoint_tls = tls_context;
    if (!endpoint_tls && security.token_endpoint_tls) {
      auto context = net::tls_context::make(*security.token_endpoint_tls);
      if (!context) return context.error();
      endpoint_tls = context.value();
    }
    auto made = net::sasl::make_authenticator(sasl, endpoint_tls);
    if (!made) return made.error();
    authenticator = made.value();
  }
  return success{};
}

net::connection_options global_options::connection_options() const {
  net::connection_options out;
  out.stage_timeout = timeout;
  out.request_timeout = timeout;
  if (auto it = properties.find("client.id"); it != properties.end()) out.client_id = it->second;
  out.client_software_version = KPIPE_VERSION;
  out.tls = tls_context;
  out.sasl = authenticator;
  if (verbosity > 0) {
    out.log = [](const std::string& text) { std::cerr << "kpipe: " << text << "\n"; };
  }
  return out;
}

std::string global_options::source_of(const std::string& key) const {
  const auto* s = settings.find(key);
  if (!s) return key;
  if (s->from.kind == config::origin::property) return "-X " + key;
  if (s->from.kind == config::origin::flag) return s->from.where;
  return key + " (" + s->from.where + ")";
}

}  // namespace kpipe::cli
