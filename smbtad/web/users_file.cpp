// SPDX-License-Identifier: GPL-3.0-or-later
#include "web/users_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "smbta/unique_fd.h"

namespace smbtad::web {

std::string_view role_name(Role r) {
  return r == Role::kAdmin ? "admin" : "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "viewer") return Role::kViewer;
  return std::nullopt;
}

bool UsersFile::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ':') return false;
  }
  return true;
}

namespace {

[[noreturn]] void fail(const std::string& path, std::string_view why) {
  throw std::runtime_error(fmt::format("web users file {}: {}", path, why));
}

}  // namespace

bool UsersFile::Stamp::operator==(const Stamp& o) const {
  return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
         mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
         ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
}

namespace {

UsersFile::Stamp make_stamp(const struct stat& st) {
  UsersFile::Stamp s;
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  return s;
}

}  // namespace

UsersFile::Stamp UsersFile::stamp_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    // Gone: an empty set. Unreadable for another reason: something changed, read to find out.
    if (errno == ENOENT) return {};
    Stamp s;
    s.exists = true;
    s.size = -1;
    return s;
  }
  return make_stamp(st);
}

UsersFile::UsersFile(std::string path) : path_(std::move(path)) {
  std::tie(users_, stamp_) = read_file();
}

std::pair<UsersFile::Users, UsersFile::Stamp> UsersFile::read_file() const {
  Users users;
  smbta::UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return {std::move(users), Stamp{}};
    fail(path_, std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path_, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path_, "not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    fail(path_, "readable or writable by group or others; run chmod 600 on it");
  if (st.st_size > 1024 * 1024) fail(path_, "larger than 1 MiB: not a users file");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0) fail(path_, std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  if (!text.empty() && text.back() != '\n')
    fail(path_, "the last line is not complete (a truncated file?); fix it or remove the line");
  std::size_t line_no = 0, start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const auto where = [&](std::string_view why) {
      fail(path_, fmt::format("line {}: {}", line_no, why));
    };
    const auto c1 = line.find(':');
    const auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) where("not of the form user:role:hash");
    WebUser u;
    u.name.assign(line.substr(0, c1));
    if (!valid_name(u.name)) where("not a valid user name");
    const auto role = parse_role(line.substr(c1 + 1, c2 - c1 - 1));
    if (!role) where("the role is neither admin nor viewer");
    u.role = *role;
    u.hash.assign(line.substr(c2 + 1));
    try {
      check_hash_format(u.hash);
    } catch (const std::runtime_error& e) {
      where(e.what());
    }
    if (users.contains(u.name)) where("user " + u.name + " appears twice");
    users.emplace(u.name, std::move(u));
  }
  return {std::move(users), make_stamp(st)};
}

bool UsersFile::sync_locked(bool force) {
  const Stamp now = stamp_of(path_);
  if (!force && now == stamp_) return false;
  // Whatever comes of it, this version of the file has been seen: a damaged file is reported
  // once, not on every request, and read again when it changes.
  stamp_ = now;
  auto [fresh, stamp] = read_file();
  for (const auto& [name, u] : users_) {
    const auto it = fresh.find(name);
    if (it == fresh.end() || it->second.role != u.role || it->second.hash != u.hash)
      ended_.push_back(name);
  }
  users_ = std::move(fresh);
  stamp_ = stamp;
  return true;
}

UsersReload UsersFile::reload(bool force) {
  std::lock_guard lock(mutex_);
  UsersReload r;
  // A throw leaves ended_ for the next call: what put/remove found is still reported.
  r.reread = sync_locked(force);
  r.users = users_.size();
  r.ended = std::move(ended_);
  ended_.clear();
  return r;
}

std::optional<WebUser> UsersFile::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const auto it = users_.find(name);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::vector<WebUser> UsersFile::list() const {
  std::lock_guard lock(mutex_);
  std::vector<WebUser> out;
  for (const auto& [name, u] : users_) out.push_back(u);
  return out;
}

namespace {

bool has_other_admin(const std::map<std::string, WebUser, std::less<>>& users,
                     std::string_view name) {
  return std::any_of(users.begin(), users.end(), [&](const auto& kv) {
    return kv.first != name && kv.second.role == Role::kAdmin;
  });
}

}  // namespace

void UsersFile::put(WebUser user, bool keep_an_admin) {
  if (!valid_name(user.name)) throw std::invalid_argument("not a valid user name");
  check_hash_format(user.hash);
  std::lock_guard lock(mutex_);
  // Another writer's change is the base of this one, not lost under it.
  sync_locked(false);
  auto old = users_.find(user.name);
  if (keep_an_admin && old != users_.end() && old->second.role == Role::kAdmin &&
      user.role != Role::kAdmin && !has_other_admin(users_, user.name))
    throw LastAdminError();
  std::optional<WebUser> before;
  if (old != users_.end()) before = old->second;
  const std::string name = user.name;
  users_.insert_or_assign(name, std::move(user));
  try {
    save_locked();
  } catch (...) {
    if (before)
      users_.insert_or_assign(name, *before);
    else
      users_.erase(name);
    throw;
  }
}

bool UsersFile::remove(std::string_view name, bool keep_an_admin) {
  std::lock_guard lock(mutex_);
  sync_locked(false);
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  if (keep_an_admin && it->second.role == Role::kAdmin && !has_other_admin(users_, name))
    throw LastAdminError();
  WebUser before = it->second;
  users_.erase(it);
  try {
    save_locked();
  } catch (...) {
    users_.emplace(before.name, before);
    throw;
  }
  return true;
}

void UsersFile::save_locked() {
  namespace fs = std::filesystem;
  const fs::path target(path_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::exists(dir)) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  }
  std::string text = "# smbtad web users: user:role:scrypt$N$r$p$salt$hash (smbtad --web-passwd)\n";
  for (const auto& [name, u] : users_)
    text += fmt::format("{}:{}:{}\n", u.name, role_name(u.role), u.hash);
  const std::string tmp = path_ + ".tmp";
  ::unlink(tmp.c_str());
  smbta::UniqueFd fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) fail(tmp, std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      fail(tmp, std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  struct stat st {};
  if (::fsync(fd.get()) != 0 || ::fstat(fd.get(), &st) != 0 ||
      ::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail(path_, std::strerror(e));
  }
  // The renamed file is this one: not a change of another writer's to read back. (The rename
  // itself changed its ctime; if another writer's file is there already, it is read next.)
  stamp_ = make_stamp(st);
  const Stamp after = stamp_of(path_);
  if (after.exists && after.dev == st.st_dev && after.ino == st.st_ino) stamp_ = after;
}

namespace {

// Why: a password typed at a terminal must not be echoed; restored whatever happens.
class NoEcho {
 public:
  NoEcho() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios t = saved_;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
  }
  ~NoEcho() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

bool read_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace

int run_web_passwd(const std::string& users_file, const std::string& user, const std::string& role,
                   bool role_given, std::istream& in, std::ostream& out, std::ostream& err,
                   const ScryptParams& params) {
  try {
    UsersFile file(users_file);
    if (!UsersFile::valid_name(user)) {
      err << "smbtad: --web-passwd: \"" << user << "\" is not a valid user name\n";
      return 2;
    }
    const bool tty = &in == &std::cin && ::isatty(STDIN_FILENO) == 1;
    std::string password;
    {
      std::optional<NoEcho> no_echo;
      if (tty) {
        no_echo.emplace();
        err << "Password for " << user << " (empty removes the user): " << std::flush;
      }
      if (!read_line(in, password)) password.clear();
      if (tty && !password.empty()) {
        err << "\nAgain: " << std::flush;
        std::string again;
        read_line(in, again);
        err << "\n";
        if (again != password) {
          err << "smbtad: --web-passwd: the passwords differ; nothing changed\n";
          return 1;
        }
      } else if (tty) {
        err << "\n";
      }
    }
    if (password.empty()) {
      if (file.remove(user)) {
        out << "smbtad: web user " << user << " removed from " << users_file << "\n";
        return 0;
      }
      err << "smbtad: --web-passwd: empty password and no user " << user << " in " << users_file
          << "; nothing changed\n";
      return 1;
    }
    const auto existing = file.find(user);
    Role r = existing ? existing->role : Role::kViewer;
    if (role_given) r = *parse_role(role);
    file.put({user, r, hash_password(password, params)});
    out << "smbtad: web user " << user << " (" << role_name(r) << ") "
        << (existing ? "updated in " : "added to ") << users_file << "\n";
    return 0;
  } catch (const std::exception& e) {
    err << "smbtad: --web-passwd: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace smbtad::web
