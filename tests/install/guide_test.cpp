// SPDX-License-Identifier: GPL-3.0-or-later
// docs/guide.md as an administrator follows it: its install commands, the service it starts and
// its report examples, run as written below a staging root (issue 17: the guide and the install
// did not fit together; a guide whose commands are run cannot drift again).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "install/guide_blocks.h"
#include "install/guide_traffic.h"
#include "install/staging.h"
#include "smbta/net.h"
#include "smbta/v2_codec.h"
#include "support/eventually.h"
#include "support/files.h"
#include "support/ports.h"
#include "support/process.h"

namespace smbta::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = SMBTA_SOURCE_DIR;
const fs::path kBuild = SMBTA_BUILD_DIR;

// What one of the guide's report lines must print (to stdout, or to the file it redirects to).
struct ReportCheck {
  std::string line_contains;  // picks the guide's line
  std::string output_file;    // "" for stdout
  std::vector<std::string> expect;
  std::vector<std::string> absent;
};

const std::vector<ReportCheck> kReportChecks = {
    {"global, total rw, top 10 users rw, usage rw", "", {"6.5 MiB", "holger", "anna", "bert"}, {}},
    {"share data since yesterday, top 10 files rw, last_activity 20",
     "",
     {"projects/plan.odt", "reports/q4.ods", "holger"},
     {"tmp/build.log"}},
    {"user holger since yesterday, list files",
     "files.csv",
     {"projects/plan.odt"},
     {"reports/q4.ods", "tmp/build.log"}},
    {"domain EXAMPLE, top 5 shares w", "report.html", {"<html", "data", "3.0 MiB"}, {}},
    {"-h localhost", "", {"6.5 MiB"}, {}},
    {"smbtaquery -p", "", {"last_activity", "top"}, {}},
};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class Guide : public ::testing::Test {
 protected:
  void SetUp() override {
    blocks_ = read_guide_blocks(kSource / "docs" / "guide.md");
    for (const char* name : {"install", "start", "reports"})
      ASSERT_FALSE(blocks_[name].empty()) << "docs/guide.md has no guide-test block " << name;
    // The guide's commands run in the source tree, with the build in ./build.
    fs::create_directory_symlink(kBuild, work_.path() / "build");
    for (const char* dir : {"docs", "init.d", "scripts"})
      fs::create_directory_symlink(kSource / dir, work_.path() / dir);
  }

  // The staged programs first in PATH, as /usr/local/bin is for the administrator.
  std::vector<std::string> env() const {
    const char* path = std::getenv("PATH");
    return {"DESTDIR=" + stage_.root().string(), "HOME=" + home_.path().string(),
            "PATH=" + (stage_ / "/usr/local/sbin").string() + ":" +
                (stage_ / "/usr/local/bin").string() + ":" + (path ? path : "/usr/bin:/bin")};
  }

  RunResult shell(const std::string& line, const std::string& name) {
    return run_shell(line, work_.path(), env(), out_.path(), name);
  }

  GuideBlocks blocks_;
  TempDir work_{"smbta-guide-work"};
  TempDir out_{"smbta-guide-out"};
  TempDir root_{"smbta-guide-stage"};
  TempDir home_{"smbta-guide-home"};  // the administrator's: nothing may land in the real one
  StagingRoot stage_{root_.path(), free_port()};
};

TEST_F(Guide, InstallStartAndReportsAsWritten) {
  // 1. Install, as written, into the staging root (DESTDIR).
  int n = 0;
  for (const auto& line : blocks_["install"]) {
    const auto r = shell(line, "install-" + std::to_string(n++));
    ASSERT_EQ(r.status, 0) << line << "\n" << r.out << r.err;
  }
  for (const char* p :
       {"/usr/local/sbin/smbtad", "/usr/local/bin/smbtaquery", "/usr/local/bin/smbtamonitor",
        "/usr/local/bin/rrddriver", "/usr/local/share/man/man8/smbtad.8",
        "/usr/local/share/man/man5/smbtad.conf.5", "/etc/logrotate.d/smbtad",
        "/usr/local/share/doc/smbta/smbtad.conf.example"})
    EXPECT_TRUE(fs::exists(stage_ / p)) << p << " was not installed";
#if SMBTA_VFS_MODULE_BUILT
  EXPECT_TRUE(fs::exists(stage_ / SMBTA_SMBD_VFS_DIR / "smb_traffic_analyzer.so"))
      << "the module is not in smbd's vfs directory " << SMBTA_SMBD_VFS_DIR;
#endif
  // The configuration holds the database password: 0600 (smbtad.conf(5)).
  const fs::path conf = stage_ / "/etc/smbtad.conf";
  ASSERT_TRUE(fs::exists(conf));
  EXPECT_EQ(mode_of(conf), 0600u);

  // 2. Start the service. systemctl would run the unit's ExecStart with its Environment; the
  // test runs exactly that, moved into the staging root.
  for (const auto& line : blocks_["start"])
    ASSERT_TRUE(line.starts_with("systemctl ") && line.find("smbtad") != std::string::npos)
        << "the start block runs more than systemctl on smbtad: " << line;
  const fs::path unit_path = stage_ / "/usr/local/lib/systemd/system/smbtad.service";
  const std::string unit = read_file(unit_path);
  ASSERT_FALSE(unit.empty()) << unit_path << " was not installed";
  const auto exec_start = split_words(unit_value(unit, "ExecStart"));
  ASSERT_FALSE(exec_start.empty());
  // Issue 17 item 1: the unit runs the smbtad that was installed, not /usr/sbin/smbtad.
  ASSERT_EQ(exec_start[0], "/usr/local/sbin/smbtad");
  const std::string home_setting = unit_value(unit, "Environment");
  ASSERT_TRUE(home_setting.starts_with("HOME=")) << home_setting;
  // StateDirectory= makes the state directory; the test does it for systemd.
  const fs::path state = stage_.rewrite(home_setting.substr(5));
  fs::create_directories(state);
  fs::permissions(state, fs::perms::owner_all);
  // The installed configuration, with the test's ports and paths.
  write_file(conf, stage_.rewrite(read_file(conf)));

  std::vector<std::string> argv = split_words(stage_.rewrite(unit_value(unit, "ExecStart")));
  // systemd runs it as User=smbtad; the test, often root, says that root is meant.
  if (::geteuid() == 0) argv.emplace_back("--allow-root");
  ChildProcess smbtad(argv, out_.path(), "smbtad", {"HOME=" + state.string()});
  ASSERT_TRUE(eventually([&] {
    if (!smbtad.running()) return true;
    try {
      smbta::net::connect_tcp("127.0.0.1", stage_.module_port());
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }));
  ASSERT_TRUE(smbtad.running()) << smbtad.out();

  // 3. A Samba server's module sends its records.
  {
    auto fd = smbta::net::connect_tcp("127.0.0.1", stage_.module_port());
    std::string bytes;
    for (const auto& r : guide_traffic()) bytes += smbta::encode_frame(r);
    smbta::net::write_all(fd.get(), bytes.data(), bytes.size());
  }
  const std::string db = (state / "staddb").string();
  RunResult total;
  ASSERT_TRUE(eventually(
      [&] {
        total = shell("smbtaquery -N " + db + " -q 'global, total rw;' -o csv", "wait");
        return total.status == 0 &&
               total.out.find(std::to_string(kGuideTrafficBytes)) != std::string::npos;
      },
      std::chrono::seconds(30)))
      << "smbtad did not store the records; smbtaquery said (" << total.status << "):\n"
      << total.out << total.err << "\nsmbtad:\n"
      << smbtad.out();

  // 4. The report examples, as written, each checked.
  std::vector<bool> used(kReportChecks.size());
  n = 0;
  for (const auto& line : blocks_["reports"]) {
    const std::string staged = stage_.rewrite(line);
    const auto r = shell(staged, "report-" + std::to_string(n++));
    EXPECT_EQ(r.status, 0) << staged << "\n" << r.out << r.err;
    for (std::size_t i = 0; i < kReportChecks.size(); ++i) {
      const auto& c = kReportChecks[i];
      if (line.find(c.line_contains) == std::string::npos) continue;
      used[i] = true;
      const std::string out =
          c.output_file.empty() ? r.out : read_file(work_.path() / c.output_file);
      for (const auto& e : c.expect)
        EXPECT_NE(out.find(e), std::string::npos) << staged << " does not print " << e << ":\n"
                                                  << out;
      for (const auto& a : c.absent)
        EXPECT_EQ(out.find(a), std::string::npos) << staged << " prints " << a << ":\n" << out;
    }
  }
  for (std::size_t i = 0; i < kReportChecks.size(); ++i)
    EXPECT_TRUE(used[i]) << "the guide's reports block has no line with \""
                         << kReportChecks[i].line_contains << "\" (update the test with the guide)";

  smbtad.signal(SIGTERM);
  EXPECT_EQ(smbtad.wait(std::chrono::seconds(30)), 0) << smbtad.out();
}

}  // namespace
}  // namespace smbta::testing
