// SPDX-License-Identifier: GPL-3.0-or-later
// Process-wide logging to syslog, stderr or a file with the debug levels 0-10 of the original
// tools.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string>
#include <string_view>

namespace smbta::log {

enum class Sink { kStderr, kSyslog, kFile };

// Why: every program logs the same way: errors always, debug messages up to the configured level
// (-d). Formatting happens only when the message will be written.
void init(Sink sink, int debug_level, std::string_view ident);
// Logs to `path` (Sink::kFile): appended to, created with mode 0600 in a directory that must
// exist. Throws std::runtime_error naming the path when it cannot be opened; the sink is then
// unchanged.
void init_file(const std::string& path, int debug_level, std::string_view ident);
void set_level(int level);
int level();
// Reopens the sink (SIGHUP after log rotation). A log file that cannot be reopened is kept
// open, and the reason is written into it.
void reopen();

// While on, messages written to syslog or a file are also written to stderr: until a daemon has
// started, its messages must reach the terminal that started it as well as its log.
void set_stderr_mirror(bool on);

// Whether syslog(3) can deliver: something listens on /dev/log. Otherwise the reason
// ("/dev/log: No such file or directory"), for the warning that messages would be lost.
bool syslog_available(std::string& reason);

enum class Severity { kError, kWarning, kNotice, kDebug };
void write(Severity sev, int level, std::string_view message);

inline std::atomic<int> g_level{0};

template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Severity::kError, 0, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  write(Severity::kWarning, 0, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void notice(fmt::format_string<Args...> f, Args&&... args) {
  write(Severity::kNotice, 0, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(int lvl, fmt::format_string<Args...> f, Args&&... args) {
  if (lvl <= g_level.load(std::memory_order_relaxed))
    write(Severity::kDebug, lvl, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace smbta::log
