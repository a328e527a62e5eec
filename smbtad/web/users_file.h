// SPDX-License-Identifier: GPL-3.0-or-later
// The web users file: one "user:role:scrypt-hash" line per user, mode 0600 in a 0700 directory.
#pragma once

#include <iosfwd>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
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

// Why: the users and their hashes live in one small file that `smbtad --web-passwd` and the
// admin API both change; every change is written to a temporary file and renamed over the old
// one, so a crash never leaves half a file, and a damaged file is refused with the line at fault
// instead of locking everyone out silently.
class UsersFile {
 public:
  // Reads `path`; a missing file is an empty set. Throws std::runtime_error naming the file and
  // line for anything malformed, and for a file readable by group or others.
  explicit UsersFile(std::string path);

  const std::string& path() const { return path_; }
  std::optional<WebUser> find(std::string_view name) const;
  std::vector<WebUser> list() const;
  // Adds or replaces, then writes the file. Throws on a bad name or a failed write.
  void put(WebUser user);
  // Removes and writes the file; false when there was no such user.
  bool remove(std::string_view name);

  // A user name the file can hold: 1-64 bytes, printable, no ':' or blanks.
  static bool valid_name(std::string_view name);

 private:
  void save_locked() const;

  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, WebUser, std::less<>> users_;
};

// `smbtad --web-passwd USER [--web-role R]`: reads the password from `in` (twice, without echo,
// when it is a terminal); an empty password removes the user. Returns the exit status and
// prints what it did to `out`, errors to `err`.
int run_web_passwd(const std::string& users_file, const std::string& user, const std::string& role,
                   bool role_given, std::istream& in, std::ostream& out, std::ostream& err,
                   const ScryptParams& params = {});

}  // namespace smbtad::web
