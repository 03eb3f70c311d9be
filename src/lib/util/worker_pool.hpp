#pragma once
// A few threads that run jobs handed to them, for CPU work that must not hold up the event loop
// (the producer compresses batches on them). Jobs run in no particular order and must not touch
// state that the event loop owns: they work on what they were given and post their result back.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kpipe::util {

class worker_pool {
 public:
  explicit worker_pool(std::size_t threads);
  // Jobs not yet started are dropped; running ones finish first.
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  void submit(std::function<void()> job);
  std::size_t size() const { return threads_.size(); }

  // Threads for `wanted` (0: one per core, at most `cap`), at least one.
  static std::size_t threads_for(std::size_t wanted, std::size_t cap);

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kpipe::util
