// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbtad/smbtad_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "smbta/net.h"

namespace smbtad::testing {

int free_port() {
  smbta::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Even ports with a free successor: smbtad takes port and port + 1.
    static std::mt19937 rng(static_cast<unsigned>(::getpid()));
    // 45000-59000: away from the ranges the VFS tests (20000-45000) and the PostgreSQL
    // fixture (20000-40000) draw from.
    const int port = 45000 + static_cast<int>(rng() % 7000) * 2;
    bool ok = true;
    for (int p : {port, port + 1}) {
      smbta::UniqueFd probe(::socket(AF_INET, SOCK_STREAM, 0));
      int one = 1;
      ::setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sa.sin_port = htons(static_cast<std::uint16_t>(p));
      if (::bind(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) ok = false;
    }
    if (ok) return port;
  }
  throw std::runtime_error("no free port");
}

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& home,
            const std::filesystem::path& log) {
  std::vector<std::string> argv_s{SMBTAD_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::setenv("HOME", home.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

SmbtadProcess::SmbtadProcess(std::vector<std::string> args, std::filesystem::path home, int port,
                             std::string unix_path)
    : log_path_(home / ("smbtad-" + std::to_string(port) + ".log")) {
  args.insert(args.begin(), "-o");
  pid_ = spawn(args, home, log_path_);
  const bool up = eventually([&] {
    if (!running()) return true;
    try {
      if (!unix_path.empty())
        smbta::net::connect_unix(unix_path);
      else
        smbta::net::connect_tcp("127.0.0.1", port);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  });
  if (!up || !running()) throw std::runtime_error("smbtad did not start:\n" + log());
}

SmbtadProcess::~SmbtadProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

bool SmbtadProcess::running() {
  if (exited_) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

int SmbtadProcess::stop(std::chrono::seconds timeout) {
  if (running()) ::kill(pid_, SIGTERM);
  eventually([&] { return !running(); }, timeout);
  if (running()) return -999;
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
}

std::string SmbtadProcess::log() const {
  return read_file(log_path_);
}

RunResult run_smbtad(const std::vector<std::string>& args, const std::filesystem::path& home) {
  const auto log = home / "run.log";
  std::filesystem::remove(log);
  const pid_t pid = spawn(args, home, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), read_file(log)};
}

smbta::UniqueFd connect_module(int port) {
  return smbta::net::connect_tcp("127.0.0.1", port);
}

void send_all(int fd, std::string_view bytes) {
  smbta::net::write_all(fd, bytes.data(), bytes.size());
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/smbtad-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all |
                                          std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_exec);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace smbtad::testing
