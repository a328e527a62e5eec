// SPDX-License-Identifier: GPL-3.0-or-later
// The web users file and password hashes: round trip, modes, damaged files, --web-passwd.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sstream>

#include "support/files.h"
#include "web/password_hash.h"
#include "web/users_file.h"

namespace smbtad::web {
namespace {

using smbta::testing::read_file;
using smbta::testing::TempDir;
using smbta::testing::write_file;

// Cheap parameters: the tests check the format and logic, not the cost.
constexpr ScryptParams kFast{1 << 10, 8, 1};

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string error_of(const std::string& path) {
  try {
    UsersFile f(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

TEST(WebPasswordHash, VerifiesTheRightPasswordOnlyAndSaltsEachHash) {
  const std::string h = hash_password("correct horse", kFast);
  EXPECT_TRUE(h.starts_with("scrypt$1024$8$1$")) << h;
  EXPECT_TRUE(verify_password("correct horse", h));
  EXPECT_FALSE(verify_password("correct hors", h));
  EXPECT_FALSE(verify_password("", h));
  EXPECT_NE(hash_password("correct horse", kFast), h);  // fresh salt
}

TEST(WebPasswordHash, DefaultCostIsTheDocumentedOneAndStoredInTheHash) {
  const std::string h = hash_password("pw");
  EXPECT_TRUE(h.starts_with("scrypt$32768$8$1$")) << h;
  EXPECT_TRUE(verify_password("pw", h));
}

TEST(WebPasswordHash, MalformedHashesAreErrorsNotMismatches) {
  for (const char* bad :
       {"", "scrypt", "md5$1$2$3$00$00", "scrypt$1000$8$1$00$00", "scrypt$1024$8$1$zz$00",
        "scrypt$1024$8$1$0011$0011", "scrypt$4294967296$8$1$00$" /* huge N */}) {
    EXPECT_THROW(verify_password("x", bad), std::runtime_error) << bad;
  }
}

TEST(WebUsersFile, RoundTripWithModes0600And0700) {
  TempDir tmp;
  const auto path = tmp.path() / "state" / "web-users";
  {
    UsersFile f(path.string());
    EXPECT_TRUE(f.list().empty());  // a missing file is an empty set
    f.put({"holger", Role::kAdmin, hash_password("pw1", kFast)});
    f.put({"tom", Role::kViewer, hash_password("pw2", kFast)});
  }
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(mode_of(path.parent_path()), 0700u);
  UsersFile f(path.string());
  ASSERT_EQ(f.list().size(), 2u);
  const auto h = f.find("holger");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->role, Role::kAdmin);
  EXPECT_TRUE(verify_password("pw1", h->hash));
  EXPECT_TRUE(f.remove("tom"));
  EXPECT_FALSE(f.remove("tom"));
  EXPECT_EQ(UsersFile(path.string()).list().size(), 1u);
}

TEST(WebUsersFile, TruncatedFileIsAClearErrorNamingTheFile) {
  TempDir tmp;
  const auto path = (tmp.path() / "web-users").string();
  {
    UsersFile f(path);
    f.put({"holger", Role::kAdmin, hash_password("pw1", kFast)});
  }
  const std::string text = read_file(path);
  write_file(path, text.substr(0, text.size() - 20));  // cut in the middle of the hash
  ::chmod(path.c_str(), 0600);
  const std::string e = error_of(path);
  EXPECT_NE(e.find(path), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST(WebUsersFile, GarbageLinesAreErrorsNamingTheLine) {
  TempDir tmp;
  const auto path = (tmp.path() / "web-users").string();
  const std::string good = "holger:admin:" + hash_password("pw", kFast) + "\n";
  const std::pair<std::string, std::string> cases[] = {
      {"# comment\n\x01\x02garbage\n", "line 2"},
      {good + "tom:viewer\n", "line 2: not of the form"},
      {good + "tom:root:" + hash_password("x", kFast) + "\n", "neither admin nor viewer"},
      {good + good, "appears twice"},
      {"holger:admin:scrypt$1024$8$1$abcd$00\n", "line 1: password hash"},
      {":admin:" + hash_password("x", kFast) + "\n", "not a valid user name"},
  };
  for (const auto& [text, expected] : cases) {
    write_file(path, text);
    ::chmod(path.c_str(), 0600);
    const std::string e = error_of(path);
    EXPECT_NE(e.find(expected), std::string::npos) << "file: " << text << "\nerror: " << e;
  }
}

TEST(WebUsersFile, FileReadableByOthersIsRefused) {
  TempDir tmp;
  const auto path = (tmp.path() / "web-users").string();
  write_file(path, "holger:admin:" + hash_password("pw", kFast) + "\n");
  ::chmod(path.c_str(), 0644);
  EXPECT_NE(error_of(path).find("chmod 600"), std::string::npos) << error_of(path);
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(error_of(path), "");
}

TEST(WebUsersFile, WebPasswdAddsChangesAndRemovesUsers) {
  TempDir tmp;
  const auto path = (tmp.path() / "dir" / "web-users").string();
  std::ostringstream out, err;
  {
    std::istringstream in("first-pw\n");
    EXPECT_EQ(run_web_passwd(path, "holger", "admin", true, in, out, err, kFast), 0) << err.str();
  }
  EXPECT_NE(out.str().find("added"), std::string::npos);
  {
    // A new password keeps the role when none is given.
    std::istringstream in("second-pw\n");
    EXPECT_EQ(run_web_passwd(path, "holger", "viewer", false, in, out, err, kFast), 0);
  }
  auto u = UsersFile(path).find("holger");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->role, Role::kAdmin);
  EXPECT_TRUE(verify_password("second-pw", u->hash));
  EXPECT_FALSE(verify_password("first-pw", u->hash));
  {
    std::istringstream in("\n");
    EXPECT_EQ(run_web_passwd(path, "holger", "viewer", false, in, out, err, kFast), 0);
  }
  EXPECT_FALSE(UsersFile(path).find("holger"));
  {
    std::istringstream in("pw\n");
    EXPECT_EQ(run_web_passwd(path, "bad:name", "viewer", false, in, out, err, kFast), 2);
  }
}

TEST(WebUsersFile, ReloadReportsTheUsersAnotherWriterChangedAndPutKeepsTheirChange) {
  TempDir tmp;
  const std::string path = (tmp.path() / "users").string();
  UsersFile mine(path);
  mine.put({"ann", Role::kAdmin, hash_password("a", kFast)});
  mine.put({"bob", Role::kViewer, hash_password("b", kFast)});
  mine.put({"cid", Role::kViewer, hash_password("c", kFast)});
  // Its own writes are nothing to re-read.
  EXPECT_FALSE(mine.reload().reread);
  {
    UsersFile other(path);  // `smbtad --web-passwd` in another process
    other.put({"bob", Role::kViewer, hash_password("b2", kFast)});
    other.put({"cid", Role::kAdmin, other.find("cid")->hash});  // the role only
    other.put({"dan", Role::kViewer, hash_password("d", kFast)});
  }
  // A write of this object sees the other's changes first instead of undoing them.
  mine.put({"eve", Role::kViewer, hash_password("e", kFast)});
  EXPECT_TRUE(verify_password("b2", UsersFile(path).find("bob")->hash));
  EXPECT_TRUE(UsersFile(path).find("dan"));
  const UsersReload r = mine.reload();
  EXPECT_FALSE(r.reread);  // read already by put
  EXPECT_EQ(r.ended, (std::vector<std::string>{"bob", "cid"}));
  EXPECT_EQ(r.users, 5u);
  EXPECT_TRUE(mine.reload(true).reread);
  EXPECT_TRUE(mine.reload(true).ended.empty());
}

TEST(WebUsersFile, KeepAnAdminRefusesToRemoveOrDemoteTheLastOne) {
  TempDir tmp;
  UsersFile f((tmp.path() / "users").string());
  f.put({"ann", Role::kAdmin, hash_password("a", kFast)});
  f.put({"bob", Role::kViewer, hash_password("b", kFast)});
  EXPECT_THROW(f.remove("ann", true), LastAdminError);
  EXPECT_THROW(f.put({"ann", Role::kViewer, hash_password("a", kFast)}, true), LastAdminError);
  EXPECT_EQ(UsersFile(f.path()).find("ann")->role, Role::kAdmin);
  EXPECT_TRUE(f.remove("bob", true));
  // --web-passwd (no guard) may: it is the way back in from the shell.
  f.put({"ann", Role::kViewer, hash_password("a", kFast)});
  EXPECT_EQ(f.find("ann")->role, Role::kViewer);
}

}  // namespace
}  // namespace smbtad::web
