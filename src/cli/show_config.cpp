// --show-config: the effective settings, where each came from, secrets masked.
#include <nlohmann/json.hpp>

#include "config/known_properties.hpp"
#include "global_options.hpp"
#include "net/sasl/sasl.hpp"

namespace kpipe::cli {

namespace {

const char* origin_name(config::origin o) {
  switch (o) {
    case config::origin::built_in:
      return "default";
    case config::origin::file:
      return "file";
    case config::origin::profile:
      return "profile";
    case config::origin::environment:
      return "environment";
    case config::origin::property:
      return "property";
    case config::origin::flag:
      return "flag";
  }
  return "default";
}

// One line on what the settings amount to: protocol, mechanism, who, trust.
std::string summary(const global_options& options) {
  const auto& s = options.security;
  std::string out = "security: " + s.protocol;
  if (s.sasl) {
    out += ", SASL " + std::string(net::sasl::mechanism_name(s.sasl->mechanism));
    if (!s.sasl->username.empty()) out += " as " + s.sasl->username;
  }
  if (s.tls) {
    if (!s.tls->verify_certificate) {
      out += ", certificates NOT verified";
    } else {
      out += s.tls->ca_location.empty() && s.tls->ca_pem.empty() && s.tls->truststore_p12.empty()
                 ? ", trusting the system's CAs"
                 : ", trusting the given CAs";
      if (!s.tls->verify_hostname) out += ", hostnames not checked";
    }
    if (!s.tls->certificate_location.empty() || !s.tls->certificate_pem.empty() ||
        !s.tls->keystore_p12.empty()) {
      out += ", with a client certificate";
    }
  }
  return out;
}

}  // namespace

std::string render_settings(const global_options& options) {
  if (options.format == output_format::json) {
    nlohmann::ordered_json doc;
    doc["security_protocol"] = options.security.protocol;
    auto& list = doc["settings"] = nlohmann::ordered_json::array();
    for (const auto& [key, s] : options.settings.all()) {
      list.push_back({{"key", key},
                      {"value", config::masked_value(key, s.value)},
                      {"secret", config::is_secret(key)},
                      {"origin", origin_name(s.from.kind)},
                      {"source", s.from.where}});
    }
    return doc.dump(2) + "\n";
  }
  std::string out = "# " + summary(options) + "\n";
  std::size_t width = 0;
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& [key, s] : options.settings.all()) {
    lines.emplace_back(key + "=" + config::masked_value(key, s.value), s.from.where);
    width = std::max(width, lines.back().first.size());
  }
  for (const auto& [text, where] : lines) {
    out += text + std::string(width - text.size() + 2, ' ') + "# " + where + "\n";
  }
  return out;
}

}  // namespace kpipe::cli
