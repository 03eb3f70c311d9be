#include "event_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>

#include "exit_codes.hpp"

namespace kpipe::cli {

namespace {

int run(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
        std::function<void(const end_event_loop& end)> on_interrupt) {
  namespace asio = boost::asio;
  asio::io_context io(1);
  std::optional<int> code;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool interrupted = false;
  end_event_loop end = [&](int c) {
    if (!code) code = c;
    signals.cancel();
    io.stop();
  };
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (on_interrupt && !interrupted) {
          interrupted = true;
          signals.async_wait(on_signal);
          on_interrupt(end);
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

}  // namespace

int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main) {
  return run(std::move(main), nullptr);
}

int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
                   std::function<void()> on_interrupt) {
  std::function<void(const end_event_loop&)> adapted;
  if (on_interrupt) adapted = [on_interrupt](const end_event_loop&) { on_interrupt(); };
  return run(std::move(main), std::move(adapted));
}

int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
                   std::function<void(const end_event_loop& end)> on_interrupt) {
  return run(std::move(main), std::move(on_interrupt));
}

}  // namespace kpipe::cli
