#pragma once
// Options every subcommand accepts, before or after the subcommand's name.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "net/broker_address.hpp"
#include "net/connection.hpp"
#include "util/result.hpp"

namespace CLI {
class App;
}

namespace kpipe::cli {

enum class output_format { text, json };

struct global_options {
  std::string brokers = "localhost:9092";
  std::vector<std::string> property_args;  // -X key=value, as given
  std::string timeout_text = "10s";
  std::string format_text = "text";
  int verbosity = 0;  // -v adds one, -q takes one away

  // Filled by resolve() once the command line is parsed.
  std::vector<net::broker_address> broker_list;
  std::map<std::string, std::string> properties;
  std::chrono::milliseconds timeout{10'000};
  output_format format = output_format::text;

  // Checks and converts the parsed text; a usage error on bad input.
  status resolve();
  net::connection_options connection_options() const;
};

void register_global_options(CLI::App& app, global_options& options);

}  // namespace kpipe::cli
