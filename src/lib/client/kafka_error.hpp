#pragma once
// The error for a Kafka error code found in an answer: its kind follows the code's category
// (refused credentials or operations: auth, exit 3; a topic, partition or group that does not
// exist: not_found, exit 4; anything else: kafka), so every caller maps codes the same way.

#include <cstdint>
#include <string>

#include "protocol/generated/error_table.hpp"
#include "util/result.hpp"

namespace kpipe::client {

inline error_kind kind_of_code(std::int16_t code) {
  if (protocol::is_auth_code(code)) return error_kind::auth;
  if (protocol::is_not_found_code(code)) return error_kind::not_found;
  return error_kind::kafka;
}

// "WHAT: NAME", e.g. "FindCoordinator for group g: GROUP_AUTHORIZATION_FAILED".
inline error kafka_error(const std::string& what, std::int16_t code) {
  return error{kind_of_code(code), what + ": " + std::string(protocol::error_name(code))};
}

}  // namespace kpipe::client
