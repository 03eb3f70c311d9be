#pragma once
// The one retry policy of the client layer: after a transient answer (a coordinator that moved
// or is loading, a leader being elected, a group in a rebalance) a request is sent again up to
// `attempts` times in all, with a pause that doubles from `initial` up to `max` in between: the
// shape of Kafka's retry.backoff.ms and retry.backoff.max.ms (KIP-580). The producer's batches
// use the same doubling with the user's retry.backoff settings.

#include <boost/asio/awaitable.hpp>
#include <chrono>

namespace kpipe::client {

struct retry_policy {
  int attempts = 10;
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{1'000};

  // The pause before retry number `retry` (1: the first retry): initial * 2^(retry - 1), at most
  // max; zero for retry < 1.
  std::chrono::milliseconds backoff(int retry) const;
  // Waits backoff(retry) on the calling coroutine's executor.
  boost::asio::awaitable<void> pause(int retry) const;
};

// Requests to a coordinator or a broker that will be there in a moment: about 6 s in all.
inline constexpr retry_policy default_retry{};
// Joining a group, where the coordinator may take a while to load a large group log or to
// finish a rebalance: about 45 s in all.
inline constexpr retry_policy join_retry{50, std::chrono::milliseconds(100),
                                         std::chrono::milliseconds(1'000)};

}  // namespace kpipe::client
