// SPDX-License-Identifier: GPL-3.0-or-later
// smbtamonitor and rrddriver against a real smbtad fed by a module-like test client.
#include <gtest/gtest.h>
#include <rrd.h>
#include <signal.h>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "support/process.h"
#include "support/smbtad_process.h"
#include "support/terminal.h"
#include "support/test_records.h"

namespace smbta::realtime::testing {
namespace {

using smbta::Op;
using smbta::Record;
using smbta::testing::ChildProcess;
using smbta::testing::eventually;
using smbta::testing::example_record;
using smbta::testing::read_file;
using smbta::testing::TempDir;
using smbta::testing::Tmux;
using smbtad::testing::SmbtadProcess;
using namespace std::chrono_literals;

// Traffic of three users on two shares; every filter below sees a different subset.
std::vector<Record> mixed_traffic() {
  return {
      example_record(Op::kRead, "anna", "data", "a.odt", 1000000),
      example_record(Op::kWrite, "anna", "data", "a.odt", 4096),
      example_record(Op::kPread, "anna", "home", "notes.txt", 777),
      example_record(Op::kRead, "bert", "data", "a.odt", 65536),
      example_record(Op::kPwrite, "bert", "data", "b.bin", 123456),
      example_record(Op::kMkdir, "anna", "data", "newdir", 0),
      example_record(Op::kOpen, "anna", "data", "a.odt", 0),
      example_record(Op::kWrite, "carl", "home", "c.txt", 5),
      example_record(Op::kRead, "carl", "home", "a.odt", 1),
  };
}

struct Expected {
  std::uint64_t read = 0, write = 0;
};

template <typename Pred>
Expected expected(const std::vector<Record>& rs, Pred keep) {
  Expected e;
  for (const auto& r : rs) {
    if (!keep(r)) continue;
    if (smbta::is_read(r.op)) e.read += r.length;
    if (smbta::is_write(r.op)) e.write += r.length;
  }
  return e;
}

// The totals of the last --batch line, or nullopt when there is none yet. Lines of an interval
// without smbtad have "-" for the rates and end with "(not connected)".
std::optional<Expected> last_totals(const std::string& out) {
  static const std::regex line(
      R"((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) read (\d+) write (\d+) rw (\d+) read/s (\d+|-) write/s (\d+|-) rw/s (\d+|-)( \(not connected\))?)");
  std::optional<Expected> last;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_match(l, m, line)) {
      ADD_FAILURE() << "not a batch line: " << l;
      continue;
    }
    Expected e{std::stoull(m[2]), std::stoull(m[3])};
    EXPECT_EQ(std::stoull(m[4]), e.read + e.write) << l;
    last = e;
  }
  return last;
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// A shell command for tmux: runs the monitor (its pid in `pid_file`), then prints its exit status
// and whether the terminal is back in cooked mode with echo, then "checked".
std::string screen_command(const std::vector<std::string>& args, const std::string& pid_file) {
  std::string cmd = "sh -c 'echo $$ > " + pid_file + "; exec";
  for (const auto& a : args) cmd += " \"" + a + "\"";
  cmd +=
      "'; echo \"exit=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo; echo checked; "
      "sleep 60";
  return cmd;
}

class Realtime : public ::testing::Test {
 protected:
  void SetUp() override { port_ = smbtad::testing::free_port(); }
  void start_smbtad() {
    smbtad_ = std::make_unique<SmbtadProcess>(
        std::vector<std::string>{"-i", std::to_string(port_), "-U", "0", "-p", "0"}, home_.path(),
        port_ + 1);
  }
  void send(const std::vector<Record>& records) {
    // A fresh module connection each time: smbtad may have been restarted in between.
    module_ = smbtad::testing::connect_module(port_);
    smbtad::testing::send_all(module_.get(), smbtad::testing::frames(records));
  }
  std::vector<std::string> monitor_args(std::vector<std::string> extra) {
    std::vector<std::string> a{SMBTAMONITOR_BINARY, "-h", "127.0.0.1", "-i",
                               std::to_string(port_ + 1)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  TempDir home_;
  int port_ = 0;
  std::unique_ptr<SmbtadProcess> smbtad_;
  smbta::UniqueFd module_;
};

TEST_F(Realtime, BatchPrintsExactTotalsOfTheSelectedObjectOnly) {
  start_smbtad();
  const auto traffic = mixed_traffic();
  struct Case {
    std::string name;
    std::vector<std::string> object;
    Expected want;
  };
  std::vector<Case> cases = {
      {"user", {"-u", "anna"}, expected(traffic, [](auto& r) { return r.user == "anna"; })},
      {"share", {"-s", "home"}, expected(traffic, [](auto& r) { return r.share == "home"; })},
      {"file", {"-f", "a.odt"}, expected(traffic, [](auto& r) { return r.path == "a.odt"; })},
      {"global", {"-g"}, expected(traffic, [](auto&) { return true; })},
  };
  ASSERT_EQ(cases[0].want.read, 1000777u);
  // --legacy: the READ/WRITE monitors of smbtad 1.2.x, summed by the monitor, must give the same
  // totals as the THROUGHPUT monitor.
  for (std::size_t i = 0, n = cases.size(); i < n; ++i) {
    Case legacy = cases[i];
    legacy.name += " --legacy";
    legacy.object.push_back("--legacy");
    cases.push_back(legacy);
  }
  std::vector<std::unique_ptr<ChildProcess>> procs;
  for (const auto& c : cases) {
    auto args = monitor_args(c.object);
    args.insert(args.end(), {"--batch", "--interval", "1", "--count", "5"});
    procs.push_back(std::make_unique<ChildProcess>(args, home_.path(), c.name));
  }
  for (auto& p : procs)
    ASSERT_TRUE(eventually([&] {
      return p->err().find("connected to smbtad") != std::string::npos;
    })) << p->err();
  send(traffic);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(procs[i]->wait(15s), 0) << cases[i].name << ": " << procs[i]->err();
    const std::string out = procs[i]->out();
    EXPECT_EQ(count(out, "\n"), 5u) << out;
    const auto got = last_totals(out);
    ASSERT_TRUE(got) << out;
    EXPECT_EQ(got->read, cases[i].want.read) << cases[i].name << "\n" << out;
    EXPECT_EQ(got->write, cases[i].want.write) << cases[i].name << "\n" << out;
    if (::testing::Test::HasFailure()) std::cerr << smbtad_->log();
  }
}

TEST_F(Realtime, BatchRetriesUntilSmbtadStartsAndReconnectsAfterARestart) {
  auto args = monitor_args({"-u", "anna", "--batch"});
  ChildProcess mon(args, home_.path(), "retry");
  ASSERT_TRUE(eventually([&] {
    return mon.err().find("smbtad not reachable") != std::string::npos;
  })) << mon.err();
  EXPECT_NE(mon.err().find("retrying in 1 s"), std::string::npos) << mon.err();
  // Without smbtad the lines say so instead of showing rates of zero.
  ASSERT_TRUE(eventually([&] {
    return mon.out().find("read/s - write/s - rw/s - (not connected)") != std::string::npos;
  })) << mon.out();
  EXPECT_EQ(mon.out().find("read/s 0"), std::string::npos) << mon.out();
  start_smbtad();
  ASSERT_TRUE(eventually([&] { return count(mon.err(), "connected to smbtad") == 1; }, 15s))
      << mon.err();
  send({example_record(Op::kRead, "anna", "data", "a", 1000)});
  ASSERT_TRUE(eventually([&] {
    auto t = last_totals(mon.out());
    return t && t->read == 1000;
  })) << mon.out();

  // smbtad goes away and comes back on the same port.
  ASSERT_EQ(smbtad_->stop(), 0);
  ASSERT_TRUE(eventually([&] {
    return mon.err().find("lost the connection") != std::string::npos;
  })) << mon.err();
  start_smbtad();
  ASSERT_TRUE(eventually([&] { return count(mon.err(), "connected to smbtad") == 2; }, 20s))
      << mon.err();
  send({example_record(Op::kWrite, "anna", "data", "a", 500)});
  ASSERT_TRUE(eventually([&] {
    auto t = last_totals(mon.out());
    return t && t->read == 1000 && t->write == 500;
  })) << mon.out();
  mon.signal(SIGTERM);
  EXPECT_EQ(mon.wait(5s), 0);
}

TEST_F(Realtime, ScreenInTmuxShowsTotalsAndLogResizesPausesAndQuits) {
  // The screen comes up before smbtad: it must say so and keep trying.
  Tmux tmux(screen_command(monitor_args({"-u", "anna"}), (home_.path() / "pid").string()), 100, 30);
  ASSERT_TRUE(eventually([&] {
    return tmux.capture().find("smbtad not reachable") != std::string::npos;
  })) << tmux.capture();
  start_smbtad();
  ASSERT_TRUE(eventually(
      [&] { return tmux.capture().find("connected to 127.0.0.1") != std::string::npos; }, 15s))
      << tmux.capture();
  EXPECT_NE(tmux.capture().find("Empty Log."), std::string::npos);

  send(mixed_traffic());
  // anna: 1000000 + 777 read, 4096 written; the 100-column screen shows exact byte counts.
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("1004873 B") != std::string::npos; }))
      << tmux.capture();
  std::string screen = tmux.capture();
  EXPECT_NE(screen.find("smbtamonitor"), std::string::npos);
  EXPECT_NE(screen.find("user 'anna'"), std::string::npos);
  EXPECT_NE(screen.find("(1000777 B)"), std::string::npos) << screen;
  EXPECT_NE(screen.find("(4096 B)"), std::string::npos) << screen;
  // Log lines carry the bytes of each read and write.
  EXPECT_NE(screen.find("User anna read 976.6 KiB (1000000 B) from file a.odt on share data"),
            std::string::npos)
      << screen;
  EXPECT_NE(
      screen.find("User anna wrote 4.0 KiB (4096 B) to file a.odt on share data (WORKGROUP)."),
      std::string::npos)
      << screen;
  EXPECT_NE(screen.find("User anna read 777 B from file notes.txt on share home"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("User anna created a directory on share data"), std::string::npos);
  EXPECT_NE(screen.find("User anna opened file a.odt"), std::string::npos);
  EXPECT_EQ(screen.find("bert"), std::string::npos) << "other users stay out";
  EXPECT_NE(screen.find('#'), std::string::npos) << "the graph shows the read second\n" << screen;

  // Smaller terminal: the layout follows, without the exact byte counts that no longer fit.
  tmux.resize(60, 16);
  ASSERT_TRUE(eventually([&] {
    const auto s = tmux.capture();
    return s.find("(1000777 B)") == std::string::npos && s.find("981.3 KiB") != std::string::npos;
  })) << tmux.capture();
  tmux.resize(100, 30);
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("(1000777 B)") != std::string::npos; }))
      << tmux.capture();

  // Paused: the display keeps the old numbers while traffic goes on; resuming shows it.
  tmux.keys("p");
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("PAUSED") != std::string::npos; }));
  send({example_record(Op::kRead, "anna", "data", "a.odt", 1000)});
  std::this_thread::sleep_for(2s);
  screen = tmux.capture();
  EXPECT_NE(screen.find("(1000777 B)"), std::string::npos) << screen;
  tmux.keys("p");
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("(1001777 B)") != std::string::npos; }))
      << tmux.capture();
  EXPECT_EQ(tmux.capture().find("PAUSED"), std::string::npos);

  tmux.keys("q");
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("checked") != std::string::npos; }))
      << tmux.capture();
  screen = tmux.capture();
  EXPECT_NE(screen.find("exit=0"), std::string::npos) << screen;
  // The terminal is back in cooked mode with echo.
  EXPECT_NE(screen.find("\nicanon\n"), std::string::npos) << screen;
  EXPECT_NE(screen.find("\necho\n"), std::string::npos) << screen;
}

TEST_F(Realtime, ScreenRestoresTheTerminalOnSigterm) {
  start_smbtad();
  const auto pid_file = home_.path() / "pid";
  Tmux tmux(screen_command(monitor_args({"-g"}), pid_file.string()), 80, 24);
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("connected to") != std::string::npos; }))
      << tmux.capture();
  const pid_t pid = static_cast<pid_t>(std::stol(read_file(pid_file)));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("checked") != std::string::npos; }))
      << tmux.capture();
  const auto screen = tmux.capture();
  EXPECT_NE(screen.find("exit=0"), std::string::npos) << screen;
  EXPECT_NE(screen.find("\nicanon\n"), std::string::npos) << screen;
  EXPECT_NE(screen.find("\necho\n"), std::string::npos) << screen;
}

// The time in "connected to ... since <time>" of a screen, or "" when it is not connected.
std::string connected_since(const std::string& screen) {
  static const std::regex since(
      R"(connected to \S+ port \d+ since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))");
  std::smatch m;
  return std::regex_search(screen, m, since) ? m[1].str() : std::string();
}

TEST_F(Realtime, ScreenHeaderShowsTheTimeOfTheCurrentConnectionAfterAReconnect) {
  start_smbtad();
  Tmux tmux(screen_command(monitor_args({"-g"}), (home_.path() / "pid").string()), 120, 30);
  std::string first;
  ASSERT_TRUE(eventually([&] { return !(first = connected_since(tmux.capture())).empty(); }))
      << tmux.capture();
  EXPECT_EQ(tmux.capture().find("totals since"), std::string::npos) << tmux.capture();
  ASSERT_EQ(smbtad_->stop(), 0);
  ASSERT_TRUE(eventually([&] {
    return tmux.capture().find("smbtad not reachable") != std::string::npos;
  })) << tmux.capture();
  start_smbtad();
  // The retry comes at least a second after the loss, so the time differs.
  std::string second;
  ASSERT_TRUE(eventually([&] { return !(second = connected_since(tmux.capture())).empty(); }, 20s))
      << tmux.capture();
  EXPECT_NE(second, first) << tmux.capture();
  EXPECT_NE(tmux.capture().find("totals since " + first), std::string::npos) << tmux.capture();
  tmux.keys("q");
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("checked") != std::string::npos; }));
}

TEST_F(Realtime, ScreenWithoutATerminalExitsOneAndWritesNothing) {
  // Neither standard input nor output a terminal, TERM set: ncurses would paint into the file.
  ChildProcess piped(monitor_args({"-g"}), home_.path(), "piped", {"TERM=xterm"});
  ASSERT_EQ(piped.wait(10s), 1) << piped.err();
  EXPECT_EQ(piped.out(), "") << "no escape sequences in the output";
  EXPECT_NE(piped.err().find("needs a terminal"), std::string::npos) << piped.err();
  EXPECT_NE(piped.err().find("--batch"), std::string::npos) << piped.err();

  // A terminal for the keys, but standard output redirected to a file.
  const auto out = home_.path() / "screen.out";
  std::string cmd;
  for (const auto& a : monitor_args({"-g"})) cmd += "\"" + a + "\" ";
  Tmux tmux(cmd + "> " + out.string() + "; echo \"exit=$?\"; sleep 60", 80, 24);
  ASSERT_TRUE(eventually([&] { return tmux.capture().find("exit=") != std::string::npos; }))
      << tmux.capture();
  EXPECT_NE(tmux.capture().find("exit=1"), std::string::npos) << tmux.capture();
  EXPECT_EQ(read_file(out), "");
}

// Sums value x step of one data source over [start, end] of the AVERAGE archives.
std::map<std::string, double> rrd_sums(const std::string& file, time_t start, time_t end) {
  unsigned long step = 0, ds_cnt = 0;
  char** names = nullptr;
  rrd_value_t* data = nullptr;
  rrd_clear_error();
  if (rrd_fetch_r(file.c_str(), "AVERAGE", &start, &end, &step, &ds_cnt, &names, &data) != 0) {
    ADD_FAILURE() << "rrd_fetch_r: " << rrd_get_error();
    return {};
  }
  std::map<std::string, double> sums;
  const unsigned long rows = (static_cast<unsigned long>(end - start)) / step;
  for (unsigned long d = 0; d < ds_cnt; ++d) {
    double s = 0;
    for (unsigned long r = 0; r < rows; ++r) {
      const double v = data[r * ds_cnt + d];
      if (!std::isnan(v)) s += v * static_cast<double>(step);
    }
    sums[names[d]] = s;
    rrd_freemem(names[d]);
  }
  rrd_freemem(names);
  rrd_freemem(data);
  return sums;
}

TEST_F(Realtime, RrddriverStoresTheBytesOfTheObjectAndGraphsThem) {
  start_smbtad();
  const std::string db = (home_.path() / "traffic:anna.rrd").string();  // a colon on purpose
  const time_t begin = std::time(nullptr);
  ChildProcess drv({RRDDRIVER_BINARY, "-h", "127.0.0.1", "-i", std::to_string(port_ + 1), "-u",
                    "anna", "-t", "1", "-b", db},
                   home_.path(), "rrddriver");
  ASSERT_TRUE(eventually([&] {
    return drv.err().find("connected to smbtad") != std::string::npos;
  })) << drv.err();
  const auto traffic = mixed_traffic();
  send(traffic);
  std::this_thread::sleep_for(1500ms);
  send({example_record(Op::kWrite, "anna", "data", "x", 3000),
        example_record(Op::kRead, "bert", "data", "x", 9)});
  // Let the seconds with traffic become complete data points: RRD keeps the current, unfinished
  // step out of fetch results.
  std::this_thread::sleep_for(3500ms);
  drv.signal(SIGTERM);
  ASSERT_EQ(drv.wait(5s), 0) << drv.err();

  const auto sums = rrd_sums(db, begin - 2, std::time(nullptr));
  const Expected want = expected(traffic, [](auto& r) { return r.user == "anna"; });
  EXPECT_NEAR(sums.at("read"), static_cast<double>(want.read), 0.01);
  EXPECT_NEAR(sums.at("write"), static_cast<double>(want.write + 3000), 0.01);
  EXPECT_NEAR(sums.at("readwrite"), static_cast<double>(want.read + want.write + 3000), 0.01);

  const std::string prefix = (home_.path() / "anna").string();
  // Under ASan: full stacks, so that the suppression of librrd's own leaks can match.
  const char* asan = std::getenv("ASAN_OPTIONS");
  ChildProcess graph(
      {RRDDRIVER_BINARY, "--graph", prefix, "-b", db}, home_.path(), "graph",
      {std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":fast_unwind_on_malloc=0"});
  ASSERT_EQ(graph.wait(30s), 0) << graph.err();
  for (const char* span : {"hour", "day", "week"}) {
    const auto png = read_file(prefix + "-" + span + ".png");
    ASSERT_GT(png.size(), 1000u) << span;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << span;
  }
  // The legends count in binary units like every other smbta output (librrd's own "%s" prefix
  // printed "MB/s" for mebibytes): anna's peak second is about 1 MB, i.e. under 1024 KiB.
  // -d 1 logs each graph's legend lines.
  ChildProcess legends(
      {RRDDRIVER_BINARY, "--graph", prefix + "-units", "-b", db, "-d", "1"}, home_.path(),
      "legends",
      {std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":fast_unwind_on_malloc=0"});
  ASSERT_EQ(legends.wait(30s), 0) << legends.err();
  for (const char* span : {"hour", "day", "week"}) {
    std::string all;
    std::istringstream in(legends.err());
    for (std::string l; std::getline(in, l);)
      if (l.find(std::string("-units-") + span + ".png: legend") != std::string::npos)
        all += l + "\n";
    // The longer spans average the one busy second over minutes (or have no complete
    // consolidated row yet): smaller units there.
    const bool binary =
        all.find(" B/s") != std::string::npos || all.find(" KiB/s") != std::string::npos;
    EXPECT_TRUE(binary) << span << "\n" << legends.err();
    if (std::string_view(span) == "hour") {
      EXPECT_NE(all.find(" KiB/s"), std::string::npos) << all;
    }
    for (const char* decimal : {"kB/s", "KB/s", " MB/s", " GB/s"})
      EXPECT_EQ(all.find(decimal), std::string::npos) << span << "\n" << all;
  }
}

TEST_F(Realtime, RrddriverKeepsAnExistingFileAndRetriesWithoutSmbtad) {
  const std::string db = (home_.path() / "keep.rrd").string();
  ChildProcess drv({RRDDRIVER_BINARY, "-h", "127.0.0.1", "-i", std::to_string(port_ + 1), "-g",
                    "-t", "1", "-b", db},
                   home_.path(), "rrddriver");
  ASSERT_TRUE(eventually([&] {
    return drv.err().find("smbtad not reachable") != std::string::npos;
  })) << drv.err();
  start_smbtad();
  ASSERT_TRUE(
      eventually([&] { return drv.err().find("connected to smbtad") != std::string::npos; }, 15s))
      << drv.err();
  drv.signal(SIGTERM);
  ASSERT_EQ(drv.wait(5s), 0) << drv.err();
  ASSERT_TRUE(std::filesystem::exists(db));
  const auto size = std::filesystem::file_size(db);
  ChildProcess again({RRDDRIVER_BINARY, "-h", "127.0.0.1", "-i", std::to_string(port_ + 1), "-g",
                      "-t", "1", "-b", db},
                     home_.path(), "again");
  ASSERT_TRUE(eventually([&] {
    return again.err().find("connected to smbtad") != std::string::npos;
  })) << again.err();
  EXPECT_EQ(again.err().find("created"), std::string::npos) << "an existing RRD is kept";
  again.signal(SIGTERM);
  ASSERT_EQ(again.wait(5s), 0) << again.err();
  EXPECT_EQ(std::filesystem::file_size(db), size);
}

TEST_F(Realtime, UsageErrorsExitWithStatusTwo) {
  ChildProcess none({SMBTAMONITOR_BINARY, "--batch"}, home_.path(), "none");
  EXPECT_EQ(none.wait(10s), 2);
  EXPECT_NE(none.err().find("please specify an object"), std::string::npos) << none.err();
  ChildProcess timer({RRDDRIVER_BINARY, "-u", "x", "-t", "0"}, home_.path(), "timer");
  EXPECT_EQ(timer.wait(10s), 2);
  EXPECT_NE(timer.err().find("-t/--timer"), std::string::npos) << timer.err();
}

}  // namespace
}  // namespace smbta::realtime::testing
