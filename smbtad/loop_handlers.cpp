// SPDX-License-Identifier: GPL-3.0-or-later
#include "loop_handlers.h"

#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace smbtad {

SignalEvents::SignalEvents(std::initializer_list<int> signals, std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  fd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd_) throw std::system_error(errno, std::generic_category(), "signalfd");
}

void SignalEvents::on_events(std::uint32_t) {
  signalfd_siginfo si{};
  while (::read(fd_.get(), &si, sizeof si) == sizeof si) on_signal_(static_cast<int>(si.ssi_signo));
}

PeriodicTimer::PeriodicTimer(std::chrono::milliseconds interval, std::function<void()> on_tick)
    : on_tick_(std::move(on_tick)) {
  fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd_) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  itimerspec its{};
  its.it_interval.tv_sec = interval.count() / 1000;
  its.it_interval.tv_nsec = (interval.count() % 1000) * 1'000'000;
  its.it_value = its.it_interval;
  if (::timerfd_settime(fd_.get(), 0, &its, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(), "timerfd_settime");
}

void PeriodicTimer::on_events(std::uint32_t) {
  // Missed expirations are not made up: one tick does all that is due.
  std::uint64_t expirations;
  [[maybe_unused]] auto n = ::read(fd_.get(), &expirations, sizeof expirations);
  on_tick_();
}

EventFdReady::EventFdReady(int fd, bool drain, std::function<void()> on_ready)
    : fd_(fd), drain_(drain), on_ready_(std::move(on_ready)) {}

void EventFdReady::on_events(std::uint32_t) {
  if (drain_) {
    std::uint64_t v;
    [[maybe_unused]] auto n = ::read(fd_, &v, sizeof v);
  }
  on_ready_();
}

}  // namespace smbtad
