// SPDX-License-Identifier: GPL-3.0-or-later
// Small EventLoop handlers for the daemon's non-socket events: signals, a periodic timer, eventfds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>

#include "event_loop.h"
#include "smbta/unique_fd.h"

namespace smbtad {

// Why: signals must not interrupt the threads or run code in a signal context; a signalfd turns
// them into ordinary events of the loop. Blocks the signals for the calling thread (and the
// threads it starts later), then delivers each one to `on_signal`.
class SignalEvents : public EventHandler {
 public:
  SignalEvents(std::initializer_list<int> signals, std::function<void(int)> on_signal);
  void on_events(std::uint32_t events) override;
  int fd() const { return fd_.get(); }

 private:
  smbta::UniqueFd fd_;
  std::function<void(int)> on_signal_;
};

// Why: the daemon's periodic work (flushing the aggregation cache, per-second monitors, idle
// checks) runs in the loop's thread at a steady rate whatever the traffic; a timerfd does that
// without a second thread or a computed epoll timeout.
class PeriodicTimer : public EventHandler {
 public:
  PeriodicTimer(std::chrono::milliseconds interval, std::function<void()> on_tick);
  void on_events(std::uint32_t events) override;
  int fd() const { return fd_.get(); }

 private:
  smbta::UniqueFd fd_;
  std::function<void()> on_tick_;
};

// Why: the writer and query threads tell the network thread "something is ready" through an
// eventfd they own; this handler calls back when it becomes readable. `drain` reads the counter
// first (leave it false when the callback's owner reads it itself).
class EventFdReady : public EventHandler {
 public:
  EventFdReady(int fd, bool drain, std::function<void()> on_ready);
  void on_events(std::uint32_t events) override;

 private:
  int fd_;
  bool drain_;
  std::function<void()> on_ready_;
};

}  // namespace smbtad
