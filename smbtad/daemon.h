// SPDX-License-Identifier: GPL-3.0-or-later
// Detaching from the terminal and owning a pid file.
#pragma once

#include <string>

#include "smbta/unique_fd.h"

namespace smbtad {

// Double fork, setsid, chdir /, stdio to /dev/null. Must run before any thread starts.
void daemonize();

// Why: init scripts and administrators find the daemon by its pid file; the lock held on it
// tells a stale file (crashed daemon) from a running one.
class PidFile {
 public:
  // Throws std::runtime_error when another smbtad holds the file.
  explicit PidFile(std::string path);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  std::string path_;
  smbta::UniqueFd fd_;
};

std::string default_pid_file();

}  // namespace smbtad
