// SPDX-License-Identifier: GPL-3.0-or-later
// Command lines and config files of smbtamonitor and rrddriver.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "app.h"
#include "cli/usage_error.h"
#include "driver.h"
#include "rrd_file.h"
#include "support/command_line.h"

namespace smbta::realtime {
namespace {

using client::ObjectKind;
using smbta::cli::UsageError;

using smbta::testing::Args;

// A HOME without ~/.smbtatools so that the developer's own config cannot leak into the tests.
class Options : public ::testing::Test {
 protected:
  std::filesystem::path write_config(const std::string& text, const std::string& name) {
    const auto p = home_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  MonitorOptions monitor(std::initializer_list<std::string> words) {
    Args a(words);
    MonitorOptions o;
    EXPECT_EQ(parse_monitor_options(a.argc(), a.argv(), o), ParseOutcome::kRun);
    return o;
  }
  smbta::testing::TempHome home;
  const std::filesystem::path& home_ = home.path();
};

TEST_F(Options, DefaultsAreSmbtadsClientPortOnLocalhost) {
  const auto o = monitor({"-u", "anna"});
  EXPECT_EQ(o.conn.host, "localhost");
  EXPECT_EQ(o.conn.port, 3491) << "not 1.2.6's 3390";
  EXPECT_FALSE(o.conn.unix_socket);
  EXPECT_FALSE(o.conn.identify);
  EXPECT_FALSE(o.batch);
  EXPECT_EQ(o.conn.filter().user, "anna");
  EXPECT_EQ(o.conn.filter().share, "*");
}

TEST_F(Options, ObjectsAndFilters) {
  EXPECT_EQ(monitor({"-s", "data"}).conn.filter().share, "data");
  EXPECT_EQ(monitor({"--file", "a b.txt"}).conn.filter().file, "a b.txt");
  EXPECT_EQ(monitor({"-D", "WG"}).conn.filter().domain, "WG");
  const auto g = monitor({"-g"}).conn.filter();
  EXPECT_EQ(g.user + g.sid + g.share + g.file + g.domain, "*****");
  const auto last = monitor({"-u", "anna", "-s", "data"});
  EXPECT_EQ(last.conn.object, ObjectKind::kShare) << "the last object wins";
  EXPECT_EQ(last.conn.filter().user, "*");
  EXPECT_EQ(last.conn.describe_object(), "share 'data'");
}

TEST_F(Options, ConnectionOptions) {
  const auto o = monitor({"-h", "smbtad.example", "-i", "4000", "-d", "3", "-u", "x"});
  EXPECT_EQ(o.conn.host, "smbtad.example");
  EXPECT_EQ(o.conn.port, 4000);
  EXPECT_EQ(o.conn.debug_level, 3);
  EXPECT_EQ(o.conn.endpoint(), "smbtad.example port 4000");
  const auto n = monitor({"-n", "-u", "x"});
  EXPECT_TRUE(n.conn.unix_socket);
  EXPECT_EQ(n.conn.endpoint(), "unix socket /var/tmp/stadsocket_client");
  const auto p = monitor({"--socket-path", "/run/x.sock", "-u", "x"});
  EXPECT_TRUE(p.conn.unix_socket) << "--socket-path implies -n";
  EXPECT_EQ(p.conn.socket_path, "/run/x.sock");
  EXPECT_TRUE(monitor({"-I", "1", "-u", "x"}).conn.identify);
  EXPECT_FALSE(o.conn.legacy_monitors);
  EXPECT_TRUE(monitor({"--legacy", "-u", "x"}).conn.legacy_monitors);
  EXPECT_EQ(o.conn.transport, client::ClientTransport::kLegacy);
  EXPECT_EQ(monitor({"--transport", "authenticated", "-k", "/k", "-u", "x"}).conn.transport,
            client::ClientTransport::kAuthenticated);
}

TEST_F(Options, BatchMode) {
  const auto o = monitor({"--batch", "--interval", "5", "--count", "3", "-g"});
  EXPECT_TRUE(o.batch);
  EXPECT_EQ(o.interval_s, 5);
  EXPECT_EQ(o.count, 3);
}

TEST_F(Options, Errors) {
  const auto fails = [](std::initializer_list<std::string> words, const std::string& needle) {
    Args a(words);
    MonitorOptions o;
    try {
      parse_monitor_options(a.argc(), a.argv(), o);
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << "no error, expected " << needle;
  };
  fails({}, "please specify an object");
  fails({"-u", "x", "-i", "0"}, "-i/--inet-port");
  fails({"-u", "x", "-i", "70000"}, "-i/--inet-port");
  fails({"-u", "x", "-d", "11"}, "-d/--debug-level");
  fails({"-u", "x", "-I", "2"}, "-I/--identify");
  fails({"-u", "x", "--bogus"}, "unknown option --bogus");
  fails({"-u"}, "needs an argument");
  fails({"-u", ""}, "must not be empty");
  fails({"-u", "x", "--interval", "2"}, "only apply to --batch");
  fails({"-u", "x", "stray"}, "unexpected argument");
  fails({"-u", "x", "-c", "/nonexistent/smbtatools.config"}, "/nonexistent");
  fails({"-u", "x", "--transport", "tls"},
        "--transport: 'tls' is neither legacy nor authenticated");
  fails({"-u", "x", "--transport", "authenticated"}, "--transport authenticated needs the key");
}

TEST_F(Options, HelpAndVersion) {
  Args h({"--help"});
  MonitorOptions o;
  EXPECT_EQ(parse_monitor_options(h.argc(), h.argv(), o), ParseOutcome::kHelp);
  Args q({"-?"});
  EXPECT_EQ(parse_monitor_options(q.argc(), q.argv(), o), ParseOutcome::kHelp);
  Args v({"--version"});
  EXPECT_EQ(parse_monitor_options(v.argc(), v.argv(), o), ParseOutcome::kVersion);
  EXPECT_NE(monitor_help().find("--batch"), std::string::npos);
}

TEST_F(Options, ConfigFileUnderTheCommandLine) {
  const auto cfg = write_config(
      "[general]\ndebug_level = 4\nidentify = 0\n"
      "[network]\nsmbtad_port_number = 4001\nsmbtad_host_name = cfg.example\n",
      "my.conf");
  // -c after -i: the command line still wins, whatever the order.
  const auto o = monitor({"-i", "5000", "-c", cfg.string(), "-u", "x"});
  EXPECT_EQ(o.conn.port, 5000);
  EXPECT_EQ(o.conn.host, "cfg.example");
  EXPECT_EQ(o.conn.debug_level, 4);
  EXPECT_EQ(o.conn.config_file, cfg.string());
  const auto t =
      write_config("[network]\ntransport = authenticated\n[general]\nkeyfile = /k\n", "t.conf");
  EXPECT_EQ(monitor({"-c", t.string(), "-u", "x"}).conn.transport,
            client::ClientTransport::kAuthenticated);
  EXPECT_EQ(monitor({"-c", t.string(), "--transport", "legacy", "-u", "x"}).conn.transport,
            client::ClientTransport::kLegacy);
}

TEST_F(Options, DefaultConfigAndEveryKeySpelling) {
  write_config(
      "[network]\nsmbta_port_number = 4002\nsmbta_host = old.example\n"
      "unix_domain_socket = no\nclient_socket_path = /run/c.sock\n",
      ".smbtatools/smbtatools.config");
  auto o = monitor({"-u", "x"});
  EXPECT_EQ(o.conn.port, 4002);
  EXPECT_EQ(o.conn.host, "old.example");
  EXPECT_FALSE(o.conn.unix_socket) << "'no' means no (1.2.6 enabled it for any value)";
  EXPECT_EQ(o.conn.socket_path, "/run/c.sock");
  write_config("[network]\nsmbta_host_name = gen.example\nunix_domain_socket = yes\n",
               ".smbtatools/smbtatools.config");
  o = monitor({"-u", "x"});
  EXPECT_EQ(o.conn.host, "gen.example");
  EXPECT_TRUE(o.conn.unix_socket);
}

TEST_F(Options, RrddriverDefaultsAndOptions) {
  Args a({"-u", "anna", "-t", "2", "-b", "/tmp/x.rrd"});
  DriverOptions o;
  ASSERT_EQ(parse_driver_options(a.argc(), a.argv(), o), ParseOutcome::kRun);
  EXPECT_EQ(o.timer_s, 2);
  EXPECT_EQ(o.database, "/tmp/x.rrd");
  EXPECT_EQ(o.setup, default_rrd_setup(2));
  EXPECT_EQ(o.title, "Throughput of user 'anna'");

  Args d({"-g"});
  DriverOptions def;
  ASSERT_EQ(parse_driver_options(d.argc(), d.argv(), def), ParseOutcome::kRun);
  EXPECT_EQ(def.timer_s, 10);
  EXPECT_EQ(def.database, "database_rrd");

  Args g({"--graph", "/tmp/g", "-b", "x.rrd"});
  DriverOptions go;
  ASSERT_EQ(parse_driver_options(g.argc(), g.argv(), go), ParseOutcome::kRun)
      << "graphs need no object";

  Args bad({"-u", "x", "-t", "0"});
  DriverOptions bo;
  EXPECT_THROW(parse_driver_options(bad.argc(), bad.argv(), bo), UsageError);
  Args none({"-t", "5"});
  DriverOptions no;
  EXPECT_THROW(parse_driver_options(none.argc(), none.argv(), no), UsageError);
}

TEST(RrdSetup, DefaultIsAbsoluteWithArchivesForHourDayWeek) {
  EXPECT_EQ(default_rrd_setup(10),
            "DS:readwrite:ABSOLUTE:60:0:U DS:read:ABSOLUTE:60:0:U DS:write:ABSOLUTE:60:0:U "
            "RRA:AVERAGE:0.5:1:8641 RRA:AVERAGE:0.5:30:10081 RRA:AVERAGE:0.5:360:17569");
  EXPECT_NE(default_rrd_setup(60).find("DS:read:ABSOLUTE:180:0:U"), std::string::npos);
}

}  // namespace
}  // namespace smbta::realtime
