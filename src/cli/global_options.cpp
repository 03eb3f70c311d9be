#include "global_options.hpp"

#include <CLI/CLI.hpp>

#include "parse/duration.hpp"

namespace kpipe::cli {

void register_global_options(CLI::App& app, global_options& options) {
  app.add_option("-b,--brokers", options.brokers,
                 "Bootstrap brokers, HOST:PORT[,HOST:PORT...] (default localhost:9092)")
      ->envname("KPIPE_BROKERS")
      ->type_name("LIST");
  app.add_option("-X,--property", options.property_args,
                 "Client property KEY=VALUE, repeatable (librdkafka/Java names, e.g. client.id)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
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
}

status global_options::resolve() {
  auto list = net::parse_broker_list(brokers);
  if (!list) return list.error();
  broker_list = std::move(list.value());
  for (const auto& arg : property_args) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return error{error_kind::usage, "-X expects KEY=VALUE, got '" + arg + "'"};
    }
    properties[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  auto parsed = parse_duration(timeout_text);
  if (!parsed || parsed->count() == 0) {
    return error{error_kind::usage,
                 "--timeout expects a positive duration such as 500ms, 10s or 2m, got '" +
                     timeout_text + "'"};
  }
  timeout = *parsed;
  format = format_text == "json" ? output_format::json : output_format::text;
  return success{};
}

net::connection_options global_options::connection_options() const {
  net::connection_options out;
  out.stage_timeout = timeout;
  out.request_timeout = timeout;
  if (auto it = properties.find("client.id"); it != properties.end()) out.client_id = it->second;
  out.client_software_version = KPIPE_VERSION;
  return out;
}

}  // namespace kpipe::cli
