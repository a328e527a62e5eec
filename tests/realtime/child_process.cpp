// SPDX-License-Identifier: GPL-3.0-or-later
#include "realtime/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace smbta::realtime::testing {
namespace {

// fork + exec with stdin from /dev/null and the two outputs in files (or /dev/null).
pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err,
            const std::vector<std::string>& env = {}) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    for (const auto& var : env) {
      const auto eq = var.find('=');
      ::setenv(var.substr(0, eq).c_str(), var.substr(eq + 1).c_str(), 1);
    }
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

}  // namespace

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::filesystem::path& dir,
                           const std::string& name, std::vector<std::string> env)
    : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
  pid_ = spawn(argv, out_.string(), err_.string(), env);
}

ChildProcess::~ChildProcess() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string ChildProcess::out() const {
  return read_text(out_);
}
std::string ChildProcess::err() const {
  return read_text(err_);
}

void ChildProcess::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds limit) {
  if (status_) return status_;
  eventually(
      [&] {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        return true;
      },
      limit);
  return status_;
}

Tmux::Tmux(const std::string& command, int cols, int rows)
    : socket_("smbta-rt-" + std::to_string(::getpid())) {
  if (run({"-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", std::to_string(cols), "-y",
           std::to_string(rows), command}) != 0)
    throw std::runtime_error("tmux new-session failed");
}

Tmux::~Tmux() {
  run({"kill-server"});
}

int Tmux::run(const std::vector<std::string>& args, std::string* output) const {
  std::vector<std::string> argv{"tmux", "-L", socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  char tmpl[] = "/tmp/smbta-rt-tmux-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ::close(fd);
  const int st = wait_status(spawn(argv, tmpl, "/dev/null"));
  if (output) *output = read_text(tmpl);
  ::unlink(tmpl);
  return st;
}

std::string Tmux::capture() const {
  std::string s;
  run({"capture-pane", "-p", "-t", "t"}, &s);
  return s;
}

void Tmux::keys(const std::string& keys) const {
  run({"send-keys", "-t", "t", keys});
}

void Tmux::resize(int cols, int rows) const {
  run({"resize-window", "-t", "t", "-x", std::to_string(cols), "-y", std::to_string(rows)});
}

}  // namespace smbta::realtime::testing
