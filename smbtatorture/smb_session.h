// SPDX-License-Identifier: GPL-3.0-or-later
// One user's libsmbclient context and its open files, each closed by its owner.
#pragma once

#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include <libsmbclient.h>

namespace smbta::torture {

// Why: an SMB call that fails names the call, the URL and the reason, so that a run against a
// misconfigured server says what to fix rather than a bare errno.
class SmbError : public std::runtime_error {
 public:
  SmbError(const std::string& what, int err) : std::runtime_error(what), errno_(err) {}
  int error_number() const { return errno_; }

 private:
  int errno_;
};

class SmbSession;

// Why: an open remote file that is closed (through its context) on every path out, also when
// a read or write in the middle throws.
class SmbFile {
 public:
  SmbFile(SmbSession& session, SMBCFILE* file, std::string url)
      : session_(&session), file_(file), url_(std::move(url)) {}
  SmbFile(SmbFile&& o) noexcept
      : session_(o.session_), file_(std::exchange(o.file_, nullptr)), url_(std::move(o.url_)) {}
  SmbFile(const SmbFile&) = delete;
  SmbFile& operator=(const SmbFile&) = delete;
  SmbFile& operator=(SmbFile&&) = delete;
  ~SmbFile();

  std::size_t read(std::span<char> buf);  // 0 at the end of the file
  void write_all(std::span<const char> buf);
  // Closes now and reports an error (a write the server refuses at close); the destructor
  // closes quietly.
  void close();

 private:
  SmbSession* session_;
  SMBCFILE* file_;
  std::string url_;
};

// Why: libsmbclient keeps connections, credentials and its own state in a context; one per
// user lets several users work in one process, and the context is freed (its connections
// shut) however the run ends.
class SmbSession {
 public:
  SmbSession(std::string user, std::string password, std::string workgroup, int port);
  SmbSession(const SmbSession&) = delete;
  SmbSession& operator=(const SmbSession&) = delete;
  ~SmbSession();

  const std::string& user() const { return user_; }
  SmbFile open(const std::string& url, int flags);
  // Returns false if the directory exists already.
  bool mkdir(const std::string& url);
  void rename(const std::string& from, const std::string& to);
  void unlink(const std::string& url);

 private:
  friend class SmbFile;
  static void auth(SMBCCTX* ctx, const char* server, const char* share, char* workgroup, int wglen,
                   char* user, int userlen, char* password, int pwlen);
  SMBCCTX* ctx_ = nullptr;
  std::string user_, password_, workgroup_;
};

}  // namespace smbta::torture
