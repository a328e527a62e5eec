// SPDX-License-Identifier: GPL-3.0-or-later
#include "smbta/socket_trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>

namespace {

constexpr int kMaxLinks = 40;  // as the kernel's ELOOP limit

struct Failure {
  int err = 0;
  std::string reason;
};

void split_into(std::string_view path, std::deque<std::string>& out, bool front) {
  std::deque<std::string> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    const std::size_t slash = path.find('/', i);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view part = path.substr(i, end - i);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    i = end + 1;
  }
  if (front)
    out.insert(out.begin(), parts.begin(), parts.end());
  else
    out.insert(out.end(), parts.begin(), parts.end());
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string parent_of(const std::string& dir) {
  const auto slash = dir.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
}

bool trusted_owner(uid_t uid, long trusted_uid) {
  return uid == 0 || (trusted_uid >= 0 && static_cast<long>(uid) == trusted_uid);
}

Failure owner_failure(const std::string& p, const char* what, uid_t uid, long trusted_uid) {
  return {EPERM, p + ": " + what + " owned by uid " + std::to_string(uid) +
                     (trusted_uid >= 0 ? ", neither root nor uid " + std::to_string(trusted_uid)
                                       : ", not root")};
}

Failure check_dir(const std::string& p, const struct stat& st, long trusted_uid) {
  if (!S_ISDIR(st.st_mode)) return {ENOTDIR, p + ": not a directory"};
  if (!trusted_owner(st.st_uid, trusted_uid))
    return owner_failure(p, "a directory", st.st_uid, trusted_uid);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)
    return {EPERM, p + ": a directory writable by " +
                       ((st.st_mode & S_IWOTH) != 0 ? "others" : "its group") +
                       " without the sticky bit"};
  return {};
}

Failure check(const char* path, long trusted_uid) {
  if (path == nullptr || path[0] != '/')
    return {EINVAL, std::string(path != nullptr ? path : "(null)") + ": not an absolute path"};
  struct stat st {};
  if (::lstat("/", &st) != 0) return {errno, std::string("/: ") + std::strerror(errno)};
  if (Failure f = check_dir("/", st, trusted_uid); f.err != 0) return f;
  std::deque<std::string> todo;
  split_into(path, todo, false);
  if (todo.empty()) return {ENOTSOCK, "/: not a socket"};
  std::string cur = "/";  // resolved, every prefix checked
  int links = 0;
  while (!todo.empty()) {
    const std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      cur = parent_of(cur);
      continue;
    }
    const std::string next = join(cur, name);
    if (::lstat(next.c_str(), &st) != 0) return {errno, next + ": " + std::strerror(errno)};
    if (S_ISLNK(st.st_mode)) {
      // The link lives in `cur`, which only trusted users can change; its target is checked
      // on like the rest of the path.
      if (++links > kMaxLinks) return {ELOOP, std::string(path) + ": too many symbolic links"};
      std::string target(PATH_MAX, '\0');
      const ssize_t n = ::readlink(next.c_str(), target.data(), target.size());
      if (n < 0) return {errno, next + ": " + std::strerror(errno)};
      target.resize(static_cast<std::size_t>(n));
      if (!target.empty() && target[0] == '/') cur = "/";
      split_into(target, todo, true);
      continue;
    }
    if (todo.empty()) {
      if (!S_ISSOCK(st.st_mode)) return {ENOTSOCK, next + ": not a socket"};
      if (!trusted_owner(st.st_uid, trusted_uid))
        return owner_failure(next, "a socket", st.st_uid, trusted_uid);
      return {};
    }
    if (Failure f = check_dir(next, st, trusted_uid); f.err != 0) return f;
    cur = next;
  }
  // The path ended in "..": a directory, not a socket.
  return {ENOTSOCK, std::string(path) + ": not a socket"};
}

}  // namespace

extern "C" int smbta_c_socket_trusted(const char* path, long trusted_uid, char* err,
                                      size_t errlen) {
  try {
    const Failure f = check(path, trusted_uid);
    if (errlen > 0) std::snprintf(err, errlen, "%s", f.err != 0 ? f.reason.c_str() : "");
    return f.err;
  } catch (...) {  // std::bad_alloc: nothing may escape into C
    if (errlen > 0) std::snprintf(err, errlen, "%s", "out of memory");
    return ENOMEM;
  }
}
