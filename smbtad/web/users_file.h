// SPDX-License-Identifier: GPL-3.0-or-later
// The web users file: one "user:role:scrypt-hash" line per user, mode 0600 in a 0700 directory.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <iosfwd>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/password_hash.h"

namespace smbtad::web {

enum class Role { kViewer, kAdmin };
std::string_view role_name(Role r);
std::optional<Role> parse_role(std::string_view text);

struct WebUser {
  std::string name;
  Role role = Role::kViewer;
  std::string hash;  // password_hash.h encoding
};

// Why: a change that would leave the dashboard without any admin (deleting or demoting the
// last one) is refused as such, so that the API can answer it as a conflict, not a failure.
class LastAdminError : public std::runtime_error {
 public:
  LastAdminError() : std::runtime_error("the last admin cannot be removed or made a viewer") {}
};

// What a re-read of the users file found (UsersFile::reload).
struct UsersReload {
  bool reread = false;             // the file was read again (it had changed, or was forced)
  std::size_t users = 0;           // users now
  std::vector<std::string> ended;  // users removed, or whose password or role changed
};

// Why: the users and their hashes live in one small file that `smbtad --web-passwd` and the
// admin API both change; every change is written to a temporary file and renamed over the old
// one, so a crash never leaves half a file, and a damaged file is refused with the line at fault
// instead of locking everyone out silently. A running smbtad notices the other writer's
// renames by the file's identity (inode, size, mtime) and re-reads it; whoever holds sessions
// learns which users changed, so only their sessions end.
class UsersFile {
 public:
  // Reads `path`; a missing file is an empty set. Throws std::runtime_error naming the file and
  // line for anything malformed, and for a file readable by group or others.
  explicit UsersFile(std::string path);

  const std::string& path() const { return path_; }
  std::optional<WebUser> find(std::string_view name) const;
  std::vector<WebUser> list() const;
  // Adds or replaces, then writes the file. Throws on a bad name or a failed write; with
  // keep_an_admin, throws LastAdminError (and changes nothing) when this would demote the
  // only admin.
  void put(WebUser user, bool keep_an_admin = false);
  // Removes and writes the file; false when there was no such user. keep_an_admin: as put.
  bool remove(std::string_view name, bool keep_an_admin = false);
  // Re-reads the file when another process replaced it since it was last read or written
  // (always with `force`). A damaged file keeps the users as they were and throws
  // std::runtime_error, once per change of the file. The users that put/remove found changed
  // on disk before writing are reported here too.
  UsersReload reload(bool force = false);

  // A user name the file can hold: 1-64 bytes, printable, no ':' or blanks.
  static bool valid_name(std::string_view name);

  // The identity of the file on disk: a rename by another writer changes the inode, a chmod
  // the ctime.
  struct Stamp {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::timespec mtime{}, ctime{};
    bool operator==(const Stamp& o) const;
  };

 private:
  using Users = std::map<std::string, WebUser, std::less<>>;
  static Stamp stamp_of(const std::string& path);
  // Reads and parses the file (throws as the constructor); the stamp is of what was read.
  std::pair<Users, Stamp> read_file() const;
  void save_locked();
  // Re-reads under the lock when the file changed on disk (or `force`); the users whose entry
  // changed go to ended_. Returns whether it read.
  bool sync_locked(bool force);

  std::string path_;
  mutable std::mutex mutex_;
  Users users_;
  Stamp stamp_;                     // of the file as last read or written
  std::vector<std::string> ended_;  // changed users not yet reported by reload()
};

// `smbtad --web-passwd USER [--web-role R]`: reads the password from `in` (twice, without echo,
// when it is a terminal); an empty password removes the user. Returns the exit status and
// prints what it did to `out`, errors to `err`.
int run_web_passwd(const std::string& users_file, const std::string& user, const std::string& role,
                   bool role_given, std::istream& in, std::ostream& out, std::ostream& err,
                   const ScryptParams& params = {});

}  // namespace smbtad::web
