// SPDX-License-Identifier: GPL-3.0-or-later
#include "privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "options.h"
#include "smbta/log.h"

namespace smbtad {

namespace {

struct Account {
  uid_t uid;
  gid_t gid;
};

Account look_up(const std::string& name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found == nullptr)
    throw ConfigError(fmt::format("--user {}: no such user{}", name,
                                  rc != 0 ? std::string(" (") + std::strerror(rc) + ")" : ""));
  return {pw.pw_uid, pw.pw_gid};
}

std::string os_error(const char* call) {
  return fmt::format("{}: {}", call, std::strerror(errno));
}

}  // namespace

void check_root_policy(const Options& o) {
  if (!o.run_as_user.empty()) {
    const Account a = look_up(o.run_as_user);
    if (::geteuid() != 0 && ::geteuid() != a.uid)
      throw ConfigError(fmt::format("--user {}: only root can switch users (smbtad runs as uid {})",
                                    o.run_as_user, ::geteuid()));
    if (a.uid == 0 && !o.allow_root)
      throw ConfigError(
          fmt::format("--user {}: that is root; give an unprivileged user", o.run_as_user));
    return;
  }
  if (::geteuid() == 0 && !o.allow_root)
    throw ConfigError(
        "smbtad refuses to run as root: give --user NAME (it drops to NAME once its ports are "
        "open) or --allow-root");
}

void drop_privileges(const Options& o) {
  if (o.run_as_user.empty()) return;
  const Account a = look_up(o.run_as_user);
  if (::geteuid() == a.uid && ::getegid() == a.gid) return;
  // The log is reopened on SIGHUP (logrotate): it must stay the user's to reopen.
  if (!o.log_file.empty() && ::chown(o.log_file.c_str(), a.uid, a.gid) != 0)
    throw ConfigError(fmt::format("--user {}: cannot give the log file {} to it: {}", o.run_as_user,
                                  o.log_file, std::strerror(errno)));
  if (::initgroups(o.run_as_user.c_str(), a.gid) != 0)
    throw ConfigError(fmt::format("--user {}: {}", o.run_as_user, os_error("initgroups")));
  if (::setgid(a.gid) != 0)
    throw ConfigError(fmt::format("--user {}: {}", o.run_as_user, os_error("setgid")));
  if (::setuid(a.uid) != 0)
    throw ConfigError(fmt::format("--user {}: {}", o.run_as_user, os_error("setuid")));
  // Checked, not assumed: a setuid that half worked must not leave a way back to root.
  if (a.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0))
    throw ConfigError(fmt::format("--user {}: root could be regained; stopping", o.run_as_user));
  if (::getuid() != a.uid || ::geteuid() != a.uid || ::getgid() != a.gid || ::getegid() != a.gid)
    throw ConfigError(fmt::format("--user {}: the switch did not take effect", o.run_as_user));
  smbta::log::notice("running as user {} (uid {}, gid {})", o.run_as_user, a.uid, a.gid);
}

}  // namespace smbtad
