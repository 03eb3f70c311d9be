#pragma once
// Runs a command's main coroutine on a single-threaded event loop.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>

namespace kpipe::cli {

// Ends the event loop at once with an exit code: main()'s coroutine and everything it started
// are dropped where they wait (their sockets close with the loop). Valid while the loop runs.
using end_event_loop = std::function<void(int code)>;

// Runs main() to completion and returns its exit code; SIGINT or SIGTERM end the run with 130.
int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main);

// The same, for commands that end cleanly on Ctrl-C (produce flushes what it has read, or aborts
// its transaction): the first SIGINT or SIGTERM calls on_interrupt and lets main() finish, which
// then exits with 130; a second one stops at once.
int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
                   std::function<void()> on_interrupt);

// The same, but on_interrupt is also given a way to end the loop at once (now, or later from a
// handler of its own, such as a deadline), for a command that may be waiting on a silent broker
// with nothing left to finish.
int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main,
                   std::function<void(const end_event_loop& end)> on_interrupt);

}  // namespace kpipe::cli
