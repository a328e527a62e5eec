// SPDX-License-Identifier: GPL-3.0-or-later
// Turns termination signals into a readable file descriptor for poll() loops.
#pragma once

#include <csignal>
#include <vector>

#include "smbta/unique_fd.h"

namespace smbta::client {

// Why: a tool that draws with ncurses or owns an RRD must leave through its destructors (endwin,
// a last update) when it is interrupted; the handler only writes a byte, and the loop that polls
// this pipe returns normally. Previous handlers are restored on destruction.
class SignalPipe {
 public:
  explicit SignalPipe(std::vector<int> signals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT});
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const { return read_end_.get(); }
  // The signal that arrived (drains the pipe), 0 if none.
  int take();

 private:
  UniqueFd read_end_;
  std::vector<std::pair<int, struct sigaction>> previous_;
};

}  // namespace smbta::client
