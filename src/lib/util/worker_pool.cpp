#include "util/worker_pool.hpp"

#include <algorithm>

namespace kpipe::util {

worker_pool::worker_pool(std::size_t threads) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

worker_pool::~worker_pool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void worker_pool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

std::size_t worker_pool::threads_for(std::size_t wanted, std::size_t cap) {
  if (wanted > 0) return wanted;
  std::size_t cores = std::thread::hardware_concurrency();
  return std::clamp<std::size_t>(cores, 1, std::max<std::size_t>(cap, 1));
}

void worker_pool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace kpipe::util
