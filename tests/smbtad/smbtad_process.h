// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a real smbtad process for the integration tests and speaks V2 to it like a module.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "smbta/record.h"
#include "smbta/unique_fd.h"

namespace smbtad::testing {

// A loopback port nobody listens on right now.
int free_port();

// Why: the tests must exercise the daemon users run, with its options, sockets, threads and
// signal handling, not a library call that skips them.
class SmbtadProcess {
 public:
  // Starts `smbtad -o <args>` with HOME set to `home`; waits until `port` (or `unix_path`)
  // accepts connections. Throws std::runtime_error with the log if it does not come up.
  SmbtadProcess(std::vector<std::string> args, std::filesystem::path home, int port,
                std::string unix_path = {});
  ~SmbtadProcess();
  SmbtadProcess(const SmbtadProcess&) = delete;
  SmbtadProcess& operator=(const SmbtadProcess&) = delete;

  // SIGTERM, then waits up to `timeout` for the exit; returns the exit status (or -signal).
  int stop(std::chrono::seconds timeout = std::chrono::seconds(30));
  bool running();
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_path_;
  int status_ = 0;
  bool exited_ = false;
};

// Runs smbtad to completion (option errors, -T) and returns exit status and combined output.
struct RunResult {
  int status;
  std::string output;
};
RunResult run_smbtad(const std::vector<std::string>& args, const std::filesystem::path& home);

smbta::UniqueFd connect_module(int port);
void send_all(int fd, std::string_view bytes);

// Polls `condition` every 50 ms for at most `limit`; true when it held.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::milliseconds(10000));

// A scratch directory removed at destruction (world-traversable so PostgreSQL's user can read
// nothing in it but smbtad's root-owned files stay private).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace smbtad::testing
