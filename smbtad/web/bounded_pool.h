// SPDX-License-Identifier: GPL-3.0-or-later
// A fixed set of worker threads with a bounded queue: the web listener's cpp-httplib task queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <httplib.h>

namespace smbtad::web {

// Why: cpp-httplib 0.11's own ThreadPool queues accepted connections without limit; under a
// flood its list (and the descriptors it holds) would grow with every connection. Here at most
// `max_queued` connections wait: the accepting thread then waits too, and the kernel's listen
// backlog pushes back on the clients. Threads and memory stay bounded whatever the load.
class BoundedPool : public httplib::TaskQueue {
 public:
  // cpp-httplib 0.11 (Debian 12) declares enqueue void; newer releases (Debian 13's) return
  // whether the job was taken. The override follows whichever the installed header declares.
  using EnqueueResult =
      decltype(std::declval<httplib::TaskQueue&>().enqueue(std::function<void()>{}));

  // `background`: the workers run at the report threads' lower priority (thread_priority.h).
  BoundedPool(std::size_t threads, std::size_t max_queued, bool background = false);
  ~BoundedPool() override;
  EnqueueResult enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  // "The job is taken care of" in the return type the header declares (nothing, or true).
  template <class R>
  static R taken() {
    if constexpr (std::is_void_v<R>)
      return;
    else
      return true;
  }
  void work();

  std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable has_work_, has_room_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace smbtad::web
