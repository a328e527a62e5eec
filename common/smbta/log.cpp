// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/log.h"

#include <fcntl.h>
#include <paths.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>

#include "smbta/unique_fd.h"

namespace smbta::log {
namespace {

std::mutex g_mutex;
Sink g_sink = Sink::kStderr;
std::string g_ident = "smbta";
std::string g_path;  // Sink::kFile
UniqueFd g_file;
bool g_mirror = false;

int priority(Severity s) {
  switch (s) {
    case Severity::kError:
      return LOG_ERR;
    case Severity::kWarning:
      return LOG_WARNING;
    case Severity::kNotice:
      return LOG_NOTICE;
    case Severity::kDebug:
      return LOG_DEBUG;
  }
  return LOG_DEBUG;
}

std::string_view label(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNotice:
      return "notice";
    case Severity::kDebug:
      return "debug";
  }
  return "debug";
}

UniqueFd open_log_file(const std::string& path) {
  // 0600: log lines name users, shares and files. O_NOFOLLOW: a link planted at the path does
  // not make a root smbtad append to another file.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    const int err = errno;
    std::string dir = path.substr(0, path.find_last_of('/') + 1);
    struct stat st {};
    if (err == ENOENT && !dir.empty() && ::stat(dir.c_str(), &st) != 0)
      throw std::runtime_error("log file " + path + ": the directory " + dir +
                               " does not exist (smbtad does not create it)");
    throw std::runtime_error("log file " + path + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    throw std::runtime_error("log file " + path + ": not a regular file");
  return fd;
}

// "2026-11-27 14:03:01.042 smbtad[notice]: text\n"
std::string format_line(Severity sev, int lvl, std::string_view message) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm t{};
  localtime_r(&tv.tv_sec, &t);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &t);
  if (sev == Severity::kDebug)
    return fmt::format("{}.{:03} {}[{} {}]: {}\n", ts, tv.tv_usec / 1000, g_ident, label(sev), lvl,
                       message);
  return fmt::format("{}.{:03} {}[{}]: {}\n", ts, tv.tv_usec / 1000, g_ident, label(sev), message);
}

void write_fd(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to tell
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void init(Sink sink, int debug_level, std::string_view ident) {
  std::lock_guard lock(g_mutex);
  g_sink = sink;
  g_ident = ident;
  g_level = debug_level;
  if (sink != Sink::kFile) {
    g_file.reset();
    g_path.clear();
  }
  if (sink == Sink::kSyslog) ::openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void init_file(const std::string& path, int debug_level, std::string_view ident) {
  UniqueFd fd = open_log_file(path);
  std::lock_guard lock(g_mutex);
  g_sink = Sink::kFile;
  g_ident = ident;
  g_level = debug_level;
  g_path = path;
  g_file = std::move(fd);
}

void set_level(int lvl) {
  g_level = lvl;
}
int level() {
  return g_level;
}

void set_stderr_mirror(bool on) {
  std::lock_guard lock(g_mutex);
  g_mirror = on;
}

void reopen() {
  std::lock_guard lock(g_mutex);
  if (g_sink == Sink::kSyslog) {
    ::closelog();
    ::openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
  } else if (g_sink == Sink::kFile) {
    try {
      g_file = open_log_file(g_path);
    } catch (const std::runtime_error& e) {
      write_fd(g_file.get(), format_line(Severity::kError, 0,
                                         std::string("cannot reopen the log: ") + e.what() +
                                             "; still writing to the file opened before"));
    }
  }
}

bool syslog_available(std::string& reason) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, _PATH_LOG, sizeof sun.sun_path - 1);
  int err = 0;
  // glibc's syslog tries a datagram socket, then a stream socket.
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
    if (!fd) {
      err = errno;
      continue;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0) return true;
    err = errno;
  }
  reason = std::string(_PATH_LOG) + ": " + std::strerror(err);
  return false;
}

void write(Severity sev, int lvl, std::string_view message) {
  std::lock_guard lock(g_mutex);
  if (g_sink == Sink::kSyslog) {
    ::syslog(priority(sev), "%.*s", static_cast<int>(message.size()), message.data());
    if (g_mirror) write_fd(STDERR_FILENO, format_line(sev, lvl, message));
    return;
  }
  const std::string line = format_line(sev, lvl, message);
  if (g_sink == Sink::kFile) {
    write_fd(g_file.get(), line);
    if (!g_mirror) return;
  }
  write_fd(STDERR_FILENO, line);
}

}  // namespace smbta::log
