// SPDX-License-Identifier: GPL-3.0-or-later
// Runs a real-time tool as a child process with its output captured in files, and tmux sessions.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace smbta::realtime::testing {

// Why: the tests must run the programs users run (options, signals, exit codes), and read their
// output while they are still running.
class ChildProcess {
 public:
  // Starts `argv` with stdout and stderr going to `<dir>/<name>.out` and `.err`, and `env`
  // ("NAME=value") added to the environment.
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& dir,
               const std::string& name, std::vector<std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  std::string out() const;
  std::string err() const;
  void signal(int sig);
  // The exit status (or -signal) once it exited within `limit`.
  std::optional<int> wait(std::chrono::milliseconds limit);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::filesystem::path out_, err_;
  std::optional<int> status_;
};

// Why: the ncurses screen needs a real terminal of a known size that a test can type into and
// read back; a private tmux server (its own socket) gives both and leaves the user's tmux alone.
class Tmux {
 public:
  // Starts a detached session of `cols` x `rows` running `command` in /bin/sh.
  Tmux(const std::string& command, int cols, int rows);
  ~Tmux();
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  std::string capture() const;
  void keys(const std::string& keys) const;
  void resize(int cols, int rows) const;

 private:
  int run(const std::vector<std::string>& args, std::string* output = nullptr) const;
  std::string socket_;
};

// Polls `condition` every 50 ms for at most `limit`.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(10));

std::string read_text(const std::filesystem::path& p);

}  // namespace smbta::realtime::testing

#include <thread>

template <typename F>
bool smbta::realtime::testing::eventually(F condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}
