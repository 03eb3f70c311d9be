#pragma once
// The exit codes scripts can rely on (kpipe(1), EXIT STATUS).

#include "util/result.hpp"

namespace kpipe::cli {

enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,       // runtime or Kafka error, including partial failure
  exit_usage = 2,         // bad command line
  exit_auth = 3,          // authentication or authorization failure
  exit_not_found = 4,     // topic, partition or group not found
  exit_timeout = 5,       // a deadline passed
  exit_interrupted = 130  // SIGINT or SIGTERM
};

inline exit_code exit_code_for(const error& e) {
  switch (e.kind) {
    case error_kind::timeout:
      return exit_timeout;
    case error_kind::not_found:
      return exit_not_found;
    case error_kind::auth:
      return exit_auth;
    case error_kind::usage:
      return exit_usage;
    default:
      return exit_failure;
  }
}

}  // namespace kpipe::cli
