// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/bounded_pool.h"

#include "thread_priority.h"

namespace smbtad::web {

BoundedPool::BoundedPool(std::size_t threads, std::size_t max_queued, bool background)
    : max_queued_(max_queued) {
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this, background] {
      if (background) lower_report_thread_priority();
      work();
    });
}

BoundedPool::~BoundedPool() {
  shutdown();
}

BoundedPool::EnqueueResult BoundedPool::enqueue(std::function<void()> fn) {
  {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [&] { return stopping_ || jobs_.size() < max_queued_; });
    if (!stopping_) {
      jobs_.push_back(std::move(fn));
      has_work_.notify_one();
      return taken<EnqueueResult>();
    }
  }
  // Shutting down: the job (which owns an accepted socket) runs here so its socket is closed;
  // it is taken care of either way, so a newer httplib must not close the socket again.
  fn();
  return taken<EnqueueResult>();
}

void BoundedPool::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  has_work_.notify_all();
  has_room_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void BoundedPool::work() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mutex_);
      has_work_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left
      fn = std::move(jobs_.front());
      jobs_.pop_front();
      has_room_.notify_one();
    }
    fn();
  }
}

}  // namespace smbtad::web
