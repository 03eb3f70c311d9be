#include "event_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>

#include "exit_codes.hpp"
#include "output.hpp"

namespace kpipe::cli {

namespace {

// Asio's handlers for SIGINT and SIGTERM, which ours call after counting the signal for
// write_stdout (a write to a full pipe that a signal interrupts part-way returns what it wrote;
// without the count, writing on would block again).
struct sigaction asio_handlers[2];

void counting_handler(int signal_number) {
  note_signal();
  const auto& asio = asio_handlers[signal_number == SIGINT ? 0 : 1];
  if (asio.sa_flags & SA_SIGINFO) return;  // not what Asio installs; nothing to chain to
  if (asio.sa_handler != SIG_DFL && asio.sa_handler != SIG_IGN) asio.sa_handler(signal_number);
}

void chain_signal_counter() {
  const int numbers[2] = {SIGINT, SIGTERM};
  for (int i = 0; i < 2; ++i) {
    struct sigaction ours {};
    ours.sa_handler = counting_handler;
    sigemptyset(&ours.sa_mask);
    ours.sa_flags = 0;  // no SA_RESTART, like Asio: a blocked write returns
    ::sigaction(numbers[i], &ours, &asio_handlers[i]);
  }
}

int run(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
        std::function<void(const end_event_loop& end)> on_interrupt) {
  namespace asio = boost::asio;
  asio::io_context io(1);
  std::optional<int> code;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  chain_signal_counter();
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
    if (!code) code = interrupted || write_interrupted() ? exit_interrupted : rc;
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
