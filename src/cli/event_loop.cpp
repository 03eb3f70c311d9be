#include "event_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>

#include "exit_codes.hpp"

namespace kpipe::cli {

int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main) {
  return run_event_loop(std::move(main), nullptr);
}

int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
                   std::function<void()> on_interrupt) {
  namespace asio = boost::asio;
  asio::io_context io(1);
  std::optional<int> code;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool interrupted = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (on_interrupt && !interrupted) {
          interrupted = true;
          on_interrupt();
          signals.async_wait(on_signal);
          return;
        }
        code = exit_interrupted;
        io.stop();
      };
  signals.async_wait(on_signal);
  asio::co_spawn(io, main(io), [&](std::exception_ptr e, int rc) {
    if (e) std::rethrow_exception(e);
    if (!code) code = interrupted ? exit_interrupted : rc;
    signals.cancel();
    io.stop();
  });
  io.run();
  return code.value_or(exit_failure);
}

}  // namespace kpipe::cli
