// SPDX-License-Identifier: GPL-3.0-or-later
#include "event_loop.h"

#include <cerrno>
#include <cstring>
#include <system_error>

namespace smbtad {

EventLoop::EventLoop() : epfd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epfd_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

void EventLoop::add(int fd, std::uint32_t events, EventHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl ADD");
}

void EventLoop::modify(int fd, std::uint32_t events, EventHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (::epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl MOD");
}

void EventLoop::remove(int fd) {
  ::epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

int EventLoop::run_once(int timeout_ms) {
  const int n =
      ::epoll_wait(epfd_.get(), events_, static_cast<int>(std::size(events_)), timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return 0;  // 1.2.6 exited here
    throw std::system_error(errno, std::generic_category(), "epoll_wait");
  }
  for (int i = 0; i < n; ++i)
    static_cast<EventHandler*>(events_[i].data.ptr)->on_events(events_[i].events);
  return n;
}

}  // namespace smbtad
