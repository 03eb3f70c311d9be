#pragma once
// Runs a command's main coroutine on a single-threaded event loop.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>

namespace kpipe::cli {

// Runs main() to completion and returns its exit code; SIGINT or SIGTERM end the run with 130.
int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main);

// The same, for commands that end cleanly on Ctrl-C (produce flushes what it has read, or aborts
// its transaction): the first SIGINT or SIGTERM calls on_interrupt and lets main() finish, which
// then exits with 130; a second one stops at once.
int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
                   std::function<void()> on_interrupt);

}  // namespace kpipe::cli
