#include "net/sasl/plain.hpp"

namespace kpipe::net::sasl {

plain_exchange::plain_exchange(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

result<std::string> plain_exchange::initial() {
  // RFC 4616 section 2: a NUL would split the message differently on the server.
  if (username_.find('\0') != std::string::npos || password_.find('\0') != std::string::npos) {
    return error{error_kind::usage, "PLAIN: the username and password must not contain NUL"};
  }
  sent_ = true;
  std::string message;
  message.reserve(username_.size() + password_.size() + 2);
  message += '\0';
  message += username_;
  message += '\0';
  message += password_;
  return message;
}

result<std::optional<std::string>> plain_exchange::respond(std::string_view server_message) {
  if (!sent_)
    return error{error_kind::protocol, "a server message before the client's first message"};
  if (!server_message.empty()) {
    return error{error_kind::auth, "the broker answered with " +
                                       std::to_string(server_message.size()) +
                                       " bytes where it should answer nothing"};
  }
  return std::optional<std::string>();
}

plain_authenticator::plain_authenticator(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

asio::awaitable<result<std::unique_ptr<exchange>>> plain_authenticator::begin(
    asio::any_io_executor, std::chrono::milliseconds) {
  co_return std::unique_ptr<exchange>(std::make_unique<plain_exchange>(username_, password_));
}

}  // namespace kpipe::net::sasl
