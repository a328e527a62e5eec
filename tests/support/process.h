// SPDX-License-Identifier: GPL-3.0-or-later
// Starting programs under test as child processes with their output captured in files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace smbta::testing {

// Why: one description of a child's standard streams and environment serves the daemons (one
// appended log for both streams), the one-shot programs (stdout and stderr apart) and tmux.
struct ChildIo {
  std::filesystem::path out;     // stdout; empty: /dev/null
  std::filesystem::path err;     // stderr; empty: the same file as stdout
  bool append = false;           // append to the files instead of truncating them
  std::vector<std::string> env;  // "NAME=value", added to (or replacing in) the environment
};
// stdin is always /dev/null: no child may wait for the test's terminal.

// `<dir>/<name>.out` and `<dir>/<name>.err`, with `env`.
ChildIo output_files(const std::filesystem::path& dir, const std::string& name,
                     std::vector<std::string> env = {});

// Starts argv[0] (searched in PATH when it has no slash); throws std::runtime_error when it
// cannot be started.
pid_t spawn(const std::vector<std::string>& argv, const ChildIo& io);

// Why: the tests must run the programs users run (options, signals, exit codes) and read their
// output while they are still running; a child is never left behind (killed at destruction).
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, ChildIo io);
  // Output in `<dir>/<name>.out` and `.err`.
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& dir,
               const std::string& name, std::vector<std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // What it wrote so far to stdout and stderr (both the same text when they share a file).
  std::string out() const;
  std::string err() const;
  bool running();
  void signal(int sig);
  // The exit status (or -signal) once it exited within `limit`.
  std::optional<int> wait(std::chrono::milliseconds limit);
  // The exit status (or -signal), however long it takes.
  int wait();
  pid_t pid() const { return pid_; }

 private:
  bool reap(int flags);
  ChildIo io_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// What a program run to completion did.
struct RunResult {
  int status = -1;  // exit status, or -signal
  std::string out, err;
};

// Runs `argv` to its end with `io` (files must be given for what is to be read back).
RunResult run(const std::vector<std::string>& argv, const ChildIo& io);

}  // namespace smbta::testing
