// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/log.h"

#include <sys/time.h>
#include <syslog.h>

#include <cstdio>
#include <ctime>
#include <mutex>

namespace smbta::log {
namespace {

std::mutex g_mutex;
Sink g_sink = Sink::kStderr;
std::string g_ident = "smbta";

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

}  // namespace

void init(Sink sink, int debug_level, std::string_view ident) {
  std::lock_guard lock(g_mutex);
  g_sink = sink;
  g_ident = ident;
  g_level = debug_level;
  if (sink == Sink::kSyslog) ::openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void set_level(int lvl) {
  g_level = lvl;
}
int level() {
  return g_level;
}

void reopen() {
  std::lock_guard lock(g_mutex);
  if (g_sink == Sink::kSyslog) {
    ::closelog();
    ::openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, LOG_DAEMON);
  }
}

void write(Severity sev, int lvl, std::string_view message) {
  std::lock_guard lock(g_mutex);
  if (g_sink == Sink::kSyslog) {
    ::syslog(priority(sev), "%.*s", static_cast<int>(message.size()), message.data());
    return;
  }
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm t{};
  localtime_r(&tv.tv_sec, &t);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &t);
  if (sev == Severity::kDebug)
    std::fprintf(stderr, "%s.%03ld %s[%s %d]: %.*s\n", ts, static_cast<long>(tv.tv_usec / 1000),
                 g_ident.c_str(), label(sev).data(), lvl, static_cast<int>(message.size()),
                 message.data());
  else
    std::fprintf(stderr, "%s.%03ld %s[%s]: %.*s\n", ts, static_cast<long>(tv.tv_usec / 1000),
                 g_ident.c_str(), label(sev).data(), static_cast<int>(message.size()),
                 message.data());
}

}  // namespace smbta::log
