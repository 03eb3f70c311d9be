#pragma once
// Errors as values: library functions return result<T>; only the CLI turns an error into a
// message and an exit code.

#include <string>
#include <utility>
#include <variant>

namespace kpipe {

enum class error_kind {
  io,         // connection refused, reset, closed
  timeout,    // a deadline passed
  protocol,   // bytes that do not parse, a correlation mismatch, a version nobody supports
  kafka,      // a Kafka error code returned by a broker
  not_found,  // topic, partition or group does not exist
  auth,       // authentication or authorization failure
  usage,      // the caller asked for something impossible
};

struct error {
  error_kind kind = error_kind::io;
  std::string message;
};

// Credentials or certificates that a broker refused: trying again cannot help (the same
// secret is refused again), so retry loops end on these instead of spinning.
inline bool is_auth_failure(const error& e) { return e.kind == error_kind::auth; }

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(kpipe::error e) : state_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const kpipe::error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, kpipe::error> state_;
};

// For operations that produce nothing but may fail.
struct success {};
using status = result<success>;

}  // namespace kpipe
