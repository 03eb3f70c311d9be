#pragma once
// Runs a command's main coroutine on a single-threaded event loop.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>

namespace kpipe::cli {

// Runs main() to completion and returns its exit code; SIGINT or SIGTERM end the run with 130.
int run_event_loop(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> main);

}  // namespace kpipe::cli
