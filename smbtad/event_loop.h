// SPDX-License-Identifier: GPL-3.0-or-later
// A small RAII wrapper around epoll: fds register a handler object and get their events.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

#include "smbta/unique_fd.h"

namespace smbtad {

// Why: smbtad serves thousands of connections from one thread; epoll scales with the ready
// fds, not the watched ones (the original's select() broke past FD_SETSIZE). Chosen over Asio
// because smbtad needs only readiness, a timer and signals, and direct epoll keeps every buffer
// and allocation visible.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_events(std::uint32_t events) = 0;
};

class EventLoop {
 public:
  EventLoop();
  void add(int fd, std::uint32_t events, EventHandler* handler);
  void modify(int fd, std::uint32_t events, EventHandler* handler);
  void remove(int fd);
  // Waits up to timeout_ms and dispatches; returns the number of events handled.
  int run_once(int timeout_ms);

 private:
  smbta::UniqueFd epfd_;
  epoll_event events_[256];
};

}  // namespace smbtad
