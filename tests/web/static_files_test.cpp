// SPDX-License-Identifier: GPL-3.0-or-later
// Static dashboard files: only regular files below the root, with fixed content types.
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/files.h"
#include "web/static_files.h"

namespace smbtad::web {
namespace {

using smbta::testing::TempDir;
using smbta::testing::write_file;

TEST(WebStaticFiles, ServesFilesBelowTheRootWithTheirTypes) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "root" / "assets");
  write_file(tmp.path() / "root" / "index.html", "<p>index</p>");
  write_file(tmp.path() / "root" / "assets" / "app-1234.js", "let x = 1;");
  write_file(tmp.path() / "root" / "assets" / "app.css", "p {}");
  StaticFiles files((tmp.path() / "root").string());
  auto index = files.load("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<p>index</p>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->cache_control, "no-cache");
  auto js = files.load("/assets/app-1234.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js->cache_control.find("max-age"), std::string::npos);
  EXPECT_EQ(files.load("/assets/app.css")->content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(files.load("/missing.html"));
  EXPECT_FALSE(files.load("/assets"));  // a directory
}

TEST(WebStaticFiles, NoPathLeadsOutOfTheRoot) {
  TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "root" / "sub");
  write_file(tmp.path() / "secret.txt", "secret");
  write_file(tmp.path() / "root" / ".hidden", "hidden");
  write_file(tmp.path() / "root" / "sub" / "ok.txt", "ok");
  ASSERT_EQ(
      ::symlink((tmp.path() / "secret.txt").c_str(), (tmp.path() / "root" / "link.txt").c_str()),
      0);
  StaticFiles files((tmp.path() / "root").string());
  for (const char* bad :
       {"/../secret.txt", "/sub/../../secret.txt", "/./sub/ok.txt", "//etc/passwd", "/sub//ok.txt",
        "/link.txt", "/.hidden", "/sub\\..\\..\\secret.txt", "relative.txt", ""}) {
    EXPECT_FALSE(files.load(bad)) << bad;
  }
  EXPECT_FALSE(files.load(std::string_view("/sub/ok.txt\0.html", 18)));
  EXPECT_TRUE(files.load("/sub/ok.txt"));
}

}  // namespace
}  // namespace smbtad::web
