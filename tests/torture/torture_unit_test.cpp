// SPDX-License-Identifier: GPL-3.0-or-later
// smbtatorture's parts without a server: options, sizes, the seeded script, record and replay.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include "cli/usage_error.h"
#include "options.h"
#include "random_script.h"
#include "run_file.h"
#include "torture.h"

namespace smbta::torture {
namespace {

RandomScript::Params params(std::uint64_t seed) {
  RandomScript::Params p;
  p.users = {"anna", "bob"};
  p.shares = 2;
  p.files = 5;
  p.total_size = 1000000;
  p.max_pause_s = 0.5;
  p.prefix = "t";
  p.seed = seed;
  return p;
}

std::vector<Action> draw(std::uint64_t seed, std::size_t n) {
  RandomScript s(params(seed));
  std::vector<Action> out;
  while (out.size() < n) out.push_back(*s.next());
  return out;
}

bool same(const Action& a, const Action& b) {
  return a.kind == b.kind && a.user == b.user && a.share == b.share && a.path == b.path &&
         a.to_share == b.to_share && a.to_path == b.to_path && a.size == b.size &&
         a.pause_ms == b.pause_ms;
}

ParseOutcome parse(std::vector<std::string> args, Options& o) {
  args.insert(args.begin(), "smbtatorture");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data(), o);
}

TEST(TortureOptions, SizesAreBinaryUnitsIn64Bits) {
  EXPECT_EQ(parse_size("900000", "-s"), 900000u);
  EXPECT_EQ(parse_size("64K", "-s"), 65536u);
  EXPECT_EQ(parse_size("40MB", "-s"), 40u * 1024 * 1024);
  EXPECT_EQ(parse_size("1.5G", "-s"), 3u * 512 * 1024 * 1024);  // 1.2.x made this 1 GiB
  EXPECT_EQ(parse_size("3G", "-s"), 3ULL << 30);                // 1.2.x overflowed an int
  for (const char* bad : {"", "-1", "2X", "1.5GG", "2T", "nan", "K"})
    EXPECT_THROW(parse_size(bad, "-s"), cli::UsageError) << bad;
}

TEST(TortureOptions, BadCombinationsAreUsageErrors) {
  Options o;
  EXPECT_EQ(parse({}, o), ParseOutcome::kHelp);
  const std::vector<std::vector<std::string>> bad = {
      {"-1", "smb://h/s"},                                   // no user
      {"-u", "a"},                                           // no share
      {"-u", "a", "-1", "h/s"},                              // not a URL
      {"-u", "a", "-1", "smb://h/"},                         // no share name
      {"-u", "a", "-u", "a", "-1", "smb://h/s"},             // a user twice
      {"-u", "a", "-1", "smb://h/s", "-2", "smb://h/s"},     // the same share twice
      {"-u", "a", "-1", "smb://h/s", "-r", "x", "-e", "y"},  // record and replay
      {"-u", "a", "-1", "smb://h/s", "-e", "y", "-S", "1"},  // a seed for a replay
      {"-u", "a", "-1", "smb://h/s", "-n", "0"},
      {"-u", "a", "-1", "smb://h/s", "-t", "-1"},
      {"-u", "a", "-1", "smb://h/s", "--prefix", "x/y"},
      {"-u", "a", "-1", "smb://h/s", "--smb-port", "70000"},
      {"-u", "a", "-1", "smb://h/s", "extra"},
      {"-u", "a", "-1", "smb://h/s", "--bogus"},
      {"-u", "a", "-1", "smb://h/s", "-c"},
  };
  for (const auto& args : bad) {
    Options fresh;
    EXPECT_THROW(parse(args, fresh), cli::UsageError) << args.back();
  }
}

TEST(TortureOptions, UsersCarryTheirOwnOrTheDefaultPassword) {
  Options o;
  ASSERT_EQ(parse({"-u", "anna%s3cr%t", "-u", "bob", "-p", "pw", "-1", "smb://h/data/sub"}, o),
            ParseOutcome::kRun);
  ASSERT_EQ(o.users.size(), 2u);
  EXPECT_EQ(o.users[0].password, "s3cr%t");
  EXPECT_EQ(o.users[1].password, "pw");
  EXPECT_EQ(share_name(o.shares[0]), "data");
}

TEST(TortureScript, TheSameSeedMakesTheSameRunAndAnotherSeedAnother) {
  const auto a = draw(7, 2000), b = draw(7, 2000), c = draw(8, 2000);
  bool all_same = true, differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    all_same = all_same && same(a[i], b[i]);
    differs = differs || !same(a[i], c[i]);
  }
  EXPECT_TRUE(all_same);
  EXPECT_TRUE(differs);
}

// The script only names files its model says exist: a read, copy, rename or delete of a path
// that was never written (or was renamed or deleted) would be an SMB error, not traffic.
TEST(TortureScript, ActionsOnlyNameFilesThatExist) {
  RandomScript s(params(99));
  std::map<std::pair<std::size_t, std::size_t>, std::set<std::string>> files;  // (user, share)
  std::uint64_t set_up_bytes = 0;
  std::set<ActionKind> kinds;
  for (int i = 0; i < 5000; ++i) {
    const auto a = *s.next();
    auto& here = files[{a.user, a.share}];
    if (!s.in_stage2() && a.kind == ActionKind::kWrite) set_up_bytes += a.size;
    if (s.in_stage2()) kinds.insert(a.kind);
    switch (a.kind) {
      case ActionKind::kMkdir:
        break;
      case ActionKind::kWrite:
        here.insert(a.path);
        break;
      case ActionKind::kRead:
        EXPECT_TRUE(here.count(a.path)) << i << " " << a.path;
        break;
      case ActionKind::kCopy:
        EXPECT_TRUE(here.count(a.path)) << i << " " << a.path;
        files[{a.user, a.to_share}].insert(a.to_path);
        break;
      case ActionKind::kRename:
        EXPECT_TRUE(here.erase(a.path)) << i << " " << a.path;
        here.insert(a.to_path);
        break;
      case ActionKind::kDelete:
        EXPECT_TRUE(here.erase(a.path)) << i << " " << a.path;
        break;
    }
    EXPECT_LE(a.pause_ms, 500u);
    EXPECT_TRUE(a.path.rfind("t-anna", 0) == 0 || a.path.rfind("t-bob", 0) == 0) << a.path;
  }
  EXPECT_EQ(set_up_bytes, 2u * 1000000);  // -s per user, split exactly among the files
  EXPECT_EQ(kinds.size(), 5u);            // all but mkdir in the torture stage
}

class TortureRunFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("smbtatorture-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& text) {
    const auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(TortureRunFile, ARecordedRunReplaysActionForAction) {
  const auto path = (dir_ / "run").string();
  RandomScript s(params(5));
  std::vector<Action> recorded;
  std::vector<bool> stage2;
  {
    RunRecorder rec(path, 2, 2, 5);
    bool marked = false;
    for (int i = 0; i < 500; ++i) {
      auto a = *s.next();
      if (s.in_stage2() && !marked) {
        rec.mark_stage2();
        marked = true;
      }
      rec.write(a);
      recorded.push_back(a);
      stage2.push_back(s.in_stage2());
    }
    rec.finish();
  }
  RunReplayer r(path, 2, 2);
  EXPECT_EQ(r.seed(), 5u);
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    const auto a = r.next();
    ASSERT_TRUE(a) << i;
    EXPECT_TRUE(same(*a, recorded[i])) << i;
    EXPECT_EQ(r.in_stage2(), stage2[i]) << i;
  }
  EXPECT_FALSE(r.next());
}

TEST_F(TortureRunFile, AFileThatCannotBeReplayedNamesItsLine) {
  const std::string head = "smbtatorture-run 1\nusers 1\nshares 1\nseed 3\n";
  const auto message = [&](const std::string& text, std::size_t users = 1) -> std::string {
    try {
      RunReplayer r(file("bad", text), users, 1);
      while (r.next()) {
      }
    } catch (const RunFileError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("not a run\n").find("bad:1: is not a smbtatorture record file"),
            std::string::npos);
  EXPECT_NE(message(head, 2).find("bad:2: was recorded with 1 users"), std::string::npos);
  EXPECT_NE(message(head + "read 0 0 a/b\n").find("bad:5: expected 5 fields"), std::string::npos);
  EXPECT_NE(message(head + "read 1 0 a/b 0\n").find("bad:5: '1' is not a number from 0 to 0"),
            std::string::npos);
  EXPECT_NE(message(head + "read 0 0 ../etc 0\n").find("bad:5: '../etc' is not a relative path"),
            std::string::npos);
  EXPECT_NE(message(head + "chmod 0 0 a 0\n").find("bad:5: unknown action"), std::string::npos);
  EXPECT_EQ(message(head + "read 0 0 a/b 0\n"), "");  // no "end": replays up to there
}

}  // namespace
}  // namespace smbta::torture
