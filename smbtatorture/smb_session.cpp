// SPDX-License-Identifier: GPL-3.0-or-later
#include "smb_session.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace smbta::torture {

namespace {

[[noreturn]] void fail(std::string_view call, const std::string& url) {
  const int err = errno;
  throw SmbError(fmt::format("{} {}: {}", call, url, std::strerror(err)), err);
}

void copy_out(const std::string& s, char* buf, int len) {
  if (len > 0) std::snprintf(buf, static_cast<std::size_t>(len), "%s", s.c_str());
}

}  // namespace

SmbSession::SmbSession(std::string user, std::string password, std::string workgroup, int port)
    : user_(std::move(user)), password_(std::move(password)), workgroup_(std::move(workgroup)) {
  ctx_ = smbc_new_context();
  if (ctx_ == nullptr) fail("smbc_new_context for", user_);
  smbc_setOptionUserData(ctx_, this);
  smbc_setFunctionAuthDataWithContext(ctx_, &SmbSession::auth);
  // A wrong password must be an error, not a silent guest session whose traffic is counted
  // for another user.
  smbc_setOptionNoAutoAnonymousLogin(ctx_, 1);
  smbc_setUser(ctx_, user_.c_str());
  smbc_setWorkgroup(ctx_, workgroup_.c_str());
  if (port != 0) smbc_setPort(ctx_, static_cast<uint16_t>(port));
  if (smbc_init_context(ctx_) == nullptr) {
    const int err = errno;
    smbc_free_context(ctx_, 1);
    ctx_ = nullptr;
    errno = err;
    fail("smbc_init_context for", user_);
  }
}

SmbSession::~SmbSession() {
  if (ctx_ != nullptr) smbc_free_context(ctx_, 1);  // 1: also close what is still open
}

void SmbSession::auth(SMBCCTX* ctx, const char* /*server*/, const char* /*share*/, char* workgroup,
                      int wglen, char* user, int userlen, char* password, int pwlen) {
  const auto* self = static_cast<const SmbSession*>(smbc_getOptionUserData(ctx));
  copy_out(self->workgroup_, workgroup, wglen);
  copy_out(self->user_, user, userlen);
  copy_out(self->password_, password, pwlen);
}

SmbFile SmbSession::open(const std::string& url, int flags) {
  SMBCFILE* f = smbc_getFunctionOpen(ctx_)(ctx_, url.c_str(), flags, 0644);
  if (f == nullptr) fail("open", url);
  return SmbFile(*this, f, url);
}

bool SmbSession::mkdir(const std::string& url) {
  if (smbc_getFunctionMkdir(ctx_)(ctx_, url.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  fail("mkdir", url);
}

void SmbSession::rename(const std::string& from, const std::string& to) {
  if (smbc_getFunctionRename(ctx_)(ctx_, from.c_str(), ctx_, to.c_str()) != 0)
    fail(fmt::format("rename to {}:", to), from);
}

void SmbSession::unlink(const std::string& url) {
  if (smbc_getFunctionUnlink(ctx_)(ctx_, url.c_str()) != 0) fail("unlink", url);
}

SmbFile::~SmbFile() {
  if (file_ != nullptr) smbc_getFunctionClose(session_->ctx_)(session_->ctx_, file_);
}

void SmbFile::close() {
  SMBCFILE* f = std::exchange(file_, nullptr);
  if (f != nullptr && smbc_getFunctionClose(session_->ctx_)(session_->ctx_, f) != 0)
    fail("close", url_);
}

std::size_t SmbFile::read(std::span<char> buf) {
  const ssize_t n =
      smbc_getFunctionRead(session_->ctx_)(session_->ctx_, file_, buf.data(), buf.size());
  if (n < 0) fail("read", url_);
  return static_cast<std::size_t>(n);
}

void SmbFile::write_all(std::span<const char> buf) {
  while (!buf.empty()) {
    const ssize_t n =
        smbc_getFunctionWrite(session_->ctx_)(session_->ctx_, file_, buf.data(), buf.size());
    if (n < 0) fail("write", url_);
    if (n == 0) {
      errno = EIO;
      fail("write (no progress)", url_);
    }
    buf = buf.subspan(static_cast<std::size_t>(n));
  }
}

}  // namespace smbta::torture
