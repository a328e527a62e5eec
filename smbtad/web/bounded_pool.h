// SPDX-License-Identifier: GPL-3.0-or-later
// A fixed set of worker threads with a bounded queue: the web listener's cpp-httplib task queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace smbtad::web {

// Why: cpp-httplib 0.11's own ThreadPool queues accepted connections without limit; under a
// flood its list (and the descriptors it holds) would grow with every connection. Here at most
// `max_queued` connections wait: the accepting thread then waits too, and the kernel's listen
// backlog pushes back on the clients. Threads and memory stay bounded whatever the load.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(std::size_t threads, std::size_t max_queued);
  ~BoundedPool() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void work();

  std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable has_work_, has_room_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace smbtad::web
