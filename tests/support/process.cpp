// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "support/eventually.h"
#include "support/files.h"

extern char** environ;

namespace smbta::testing {
namespace {

int exit_code(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -WTERMSIG(wait_status);
}

// The parent's environment with `extra` ("NAME=value") added or replacing.
std::vector<std::string> environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& x : extra) replaced = replaced || x.starts_with(name);
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (auto& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

}  // namespace

ChildIo output_files(const std::filesystem::path& dir, const std::string& name,
                     std::vector<std::string> env) {
  return {dir / (name + ".out"), dir / (name + ".err"), false, std::move(env)};
}

pid_t spawn(const std::vector<std::string>& argv, const ChildIo& io) {
  // posix_spawn: nothing but exec runs in the child, which is safe in a threaded test process.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const int flags = O_WRONLY | O_CREAT | (io.append ? O_APPEND : O_TRUNC);
  const std::string out = io.out.empty() ? "/dev/null" : io.out.string();
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), flags, 0600);
  if (io.err.empty())
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  else
    posix_spawn_file_actions_addopen(&fa, 2, io.err.c_str(), flags, 0600);
  std::vector<std::string> args = argv, env = environment(io.env);
  auto argp = pointers(args), envp = pointers(env);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argp[0], &fa, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv.at(0) + ": " + std::strerror(rc));
  return pid;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, ChildIo io) : io_(std::move(io)) {
  pid_ = spawn(argv, io_);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::filesystem::path& dir,
                           const std::string& name, std::vector<std::string> env)
    : ChildProcess(std::move(argv), output_files(dir, name, std::move(env))) {}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    reap(0);
  }
}

std::string ChildProcess::out() const {
  return read_file(io_.out);
}

std::string ChildProcess::err() const {
  return read_file(io_.err.empty() ? io_.out : io_.err);
}

bool ChildProcess::reap(int flags) {
  int st = 0;
  if (::waitpid(pid_, &st, flags) != pid_) return false;
  status_ = exit_code(st);
  return true;
}

bool ChildProcess::running() {
  return !status_ && !reap(WNOHANG);
}

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds limit) {
  eventually([&] { return !running(); }, limit);
  return status_;
}

int ChildProcess::wait() {
  if (!status_) reap(0);
  return status_.value_or(-1);
}

RunResult run(const std::vector<std::string>& argv, const ChildIo& io) {
  ChildProcess child(argv, io);
  const int status = child.wait();
  return {status, io.out.empty() ? "" : child.out(), io.out.empty() ? "" : child.err()};
}

}  // namespace smbta::testing
