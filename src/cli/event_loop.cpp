#include "event_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>

#include "exit_codes.hpp"

namespace kpipe::cli {

int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main) {
  namespace asio = boost::asio;
  asio::io_context io(1);
  std::optional<int> code;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    code = exit_interrupted;
    io.stop();
  });
  asio::co_spawn(io, main(io), [&](std::exception_ptr e, int rc) {
    if (e) std::rethrow_exception(e);
    if (!code) code = rc;
    signals.cancel();
    io.stop();
  });
  io.run();
  return code.value_or(exit_failure);
}

}  // namespace kpipe::cli
