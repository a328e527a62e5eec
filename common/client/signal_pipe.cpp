// SPDX-License-Identifier: GPL-3.0-or-later
#include "client/signal_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace smbta::client {
namespace {

// One pipe per process: signal handlers cannot carry context.
std::atomic<int> g_write_end{-1};

extern "C" void on_signal(int sig) {
  const int saved = errno;
  const int fd = g_write_end.load();
  if (fd >= 0) {
    const unsigned char b = static_cast<unsigned char>(sig);
    [[maybe_unused]] const ssize_t n = ::write(fd, &b, 1);
  }
  errno = saved;
}

}  // namespace

SignalPipe::SignalPipe(std::vector<int> signals) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  read_end_.reset(fds[0]);
  g_write_end.store(fds[1]);
  for (int s : signals) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old {};
    ::sigaction(s, &sa, &old);
    previous_.emplace_back(s, old);
  }
}

SignalPipe::~SignalPipe() {
  for (auto& [s, old] : previous_) ::sigaction(s, &old, nullptr);
  const int w = g_write_end.exchange(-1);
  if (w >= 0) ::close(w);
}

int SignalPipe::take() {
  unsigned char b = 0;
  int got = 0;
  while (::read(read_end_.get(), &b, 1) == 1) got = b;
  return got;
}

}  // namespace smbta::client
