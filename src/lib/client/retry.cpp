#include "client/retry.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kpipe::client {

namespace asio = boost::asio;

std::chrono::milliseconds retry_policy::backoff(int retry) const {
  if (retry < 1) return std::chrono::milliseconds(0);
  // Doubling stops once it passes max; 2^20 times any sane initial already does.
  auto doubled = initial * (std::int64_t{1} << std::min(retry - 1, 20));
  return std::min(doubled, max);
}

asio::awaitable<void> retry_policy::pause(int retry) const {
  asio::steady_timer timer(co_await asio::this_coro::executor, backoff(retry));
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace kpipe::client
