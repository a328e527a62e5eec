// SPDX-License-Identifier: GPL-3.0-or-later
#include "daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "cli/home.h"

namespace smbtad {

void daemonize() {
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) ::_exit(0);
  ::setsid();
  pid = ::fork();  // no longer a session leader: can never acquire a terminal again
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) ::_exit(0);
  if (::chdir("/") != 0) throw std::runtime_error("chdir /");
  ::umask(022);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (null > 2) ::close(null);
  }
}

std::string default_pid_file() {
  if (::geteuid() == 0) return "/run/smbtad.pid";
  return smbta::cli::home_dir() + "/.smbtad/smbtad.pid";
}

PidFile::PidFile(std::string path) : path_(std::move(path)) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  fd_.reset(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd_) throw std::runtime_error("pid file " + path_ + ": " + std::strerror(errno));
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("pid file " + path_ + " is locked: another smbtad is running");
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_.get(), 0) != 0 ||
      ::pwrite(fd_.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    throw std::runtime_error("pid file " + path_ + ": " + std::strerror(errno));
}

PidFile::~PidFile() {
  if (fd_) ::unlink(path_.c_str());
}

}  // namespace smbtad
