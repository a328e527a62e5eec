// SPDX-License-Identifier: GPL-3.0-or-later
// The rule the VFS module applies before sending to a Unix socket (smbta/socket_trust.h): owners
// and modes of the socket and of every directory on the way, symbolic links included.
#include "smbta/socket_trust.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "smbta/net.h"
#include "support/files.h"

namespace {

namespace fs = std::filesystem;
using smbta::testing::TempDir;

constexpr long kNoOne = -1;
constexpr uid_t kOther = 1;  // "daemon" on Debian; any uid but root would do

struct Verdict {
  int err;
  std::string reason;
};

Verdict trusted(const fs::path& p, long uid = kNoOne) {
  char err[512];
  const int e = smbta_c_socket_trusted(p.c_str(), uid, err, sizeof err);
  return {e, err};
}

class SocketTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown to other users)";
    dir_ = tmp_.path() / "run";
    fs::create_directory(dir_);
    ::chmod(dir_.c_str(), 0755);
    sock_ = dir_ / "stadsocket";
    listener_ = smbta::net::listen_unix(sock_.string(), 0660, 0);
  }
  TempDir tmp_;
  fs::path dir_, sock_;
  smbta::UniqueFd listener_;
};

TEST_F(SocketTrust, ARootSocketInRootOwnedDirectoriesIsTrusted) {
  const auto v = trusted(sock_);
  EXPECT_EQ(v.err, 0) << v.reason;
}

TEST_F(SocketTrust, ASocketOfAnotherUserIsTrustedOnlyAsItsSocketOwner) {
  ASSERT_EQ(::chown(sock_.c_str(), kOther, kOther), 0);
  const auto v = trusted(sock_);
  EXPECT_EQ(v.err, EPERM);
  EXPECT_EQ(v.reason, sock_.string() + ": a socket owned by uid 1, not root");
  EXPECT_EQ(trusted(sock_, kOther).err, 0);
  EXPECT_EQ(trusted(sock_, 2).err, EPERM);
}

TEST_F(SocketTrust, ADirectoryOfAnotherUserIsTrustedOnlyAsTheSocketOwner) {
  ASSERT_EQ(::chown(dir_.c_str(), kOther, kOther), 0);
  const auto v = trusted(sock_);
  EXPECT_EQ(v.err, EPERM);
  EXPECT_EQ(v.reason, dir_.string() + ": a directory owned by uid 1, not root");
  EXPECT_EQ(trusted(sock_, kOther).err, 0) << "root's socket in smbtad's own directory";
}

TEST_F(SocketTrust, AWritableDirectoryIsTrustedOnlyWithTheStickyBit) {
  ::chmod(dir_.c_str(), 0777);
  auto v = trusted(sock_);
  EXPECT_EQ(v.err, EPERM);
  EXPECT_EQ(v.reason, dir_.string() + ": a directory writable by others without the sticky bit");
  ::chmod(dir_.c_str(), 0775);
  v = trusted(sock_);
  EXPECT_EQ(v.err, EPERM);
  EXPECT_NE(v.reason.find("writable by its group"), std::string::npos) << v.reason;
  // Like /tmp and the 1.2.x /var/tmp: nobody else can remove or rename root's socket there.
  ::chmod(dir_.c_str(), 01777);
  EXPECT_EQ(trusted(sock_).err, 0);
}

TEST_F(SocketTrust, AnUntrustedDirectoryHigherUpIsFound) {
  const fs::path deep = dir_ / "a" / "b";
  fs::create_directories(deep);
  ::chmod((dir_ / "a").c_str(), 0757);
  auto inner = smbta::net::listen_unix((deep / "s").string(), 0660, 0);
  const auto v = trusted(deep / "s");
  EXPECT_EQ(v.err, EPERM);
  EXPECT_EQ(v.reason, (dir_ / "a").string() +
                          ": a directory writable by others without the "
                          "sticky bit");
}

TEST_F(SocketTrust, SymbolicLinksAreFollowedUnderTheSameRule) {
  // A link to the trusted socket, absolute and relative.
  fs::create_symlink(sock_, dir_ / "abs");
  fs::create_symlink("stadsocket", dir_ / "rel");
  EXPECT_EQ(trusted(dir_ / "abs").err, 0);
  EXPECT_EQ(trusted(dir_ / "rel").err, 0);
  // A directory link into a world-writable directory: refused, though the link itself is fine.
  const fs::path open_dir = tmp_.path() / "open";
  fs::create_directory(open_dir);
  ::chmod(open_dir.c_str(), 0777);
  auto squatter = smbta::net::listen_unix((open_dir / "stadsocket").string(), 0660, 0);
  fs::create_directory_symlink("../open", dir_ / "via");
  const auto v = trusted(dir_ / "via" / "stadsocket");
  EXPECT_EQ(v.err, EPERM);
  EXPECT_EQ(v.reason, open_dir.string() +
                          ": a directory writable by others without the sticky "
                          "bit");
  // A link to a file that is no socket.
  smbta::testing::write_file(dir_ / "plain", "x");
  fs::create_symlink("plain", dir_ / "to-plain");
  EXPECT_EQ(trusted(dir_ / "to-plain").err, ENOTSOCK);
  // A loop.
  fs::create_symlink("loop2", dir_ / "loop1");
  fs::create_symlink("loop1", dir_ / "loop2");
  EXPECT_EQ(trusted(dir_ / "loop1").err, ELOOP);
}

TEST_F(SocketTrust, MissingRelativeAndNonSocketPathsAreTold) {
  EXPECT_EQ(trusted(dir_ / "nothing").err, ENOENT) << "smbtad down: reported as unreachable";
  EXPECT_EQ(trusted(fs::path("run/stadsocket")).err, EINVAL);
  smbta::testing::write_file(dir_ / "plain", "x");
  EXPECT_EQ(trusted(dir_ / "plain").err, ENOTSOCK);
  EXPECT_EQ(trusted(dir_).err, ENOTSOCK);
  EXPECT_EQ(trusted(dir_ / "plain" / "x").err, ENOTDIR);
}

}  // namespace
