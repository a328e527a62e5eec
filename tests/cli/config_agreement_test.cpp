// SPDX-License-Identifier: GPL-3.0-or-later
// One smbtatools.config, several programs: they must agree on where smbtad is.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "cli/usage_error.h"
#include "smbtamonitor/options.h"
#include "smbtaquery/options.h"
#include "support/command_line.h"

namespace {

using smbta::testing::Args;

// Why: 1.2.x setups carry several spellings of the same key; smbtaquery and smbtamonitor read
// them in opposite orders and went to different hosts from one file.
TEST(ConfigAgreement, BothAliasSpellingsGiveTheSameHostAndPort) {
  const smbta::testing::TempHome home;
  const auto cfg = home.path() / "my.config";
  std::ofstream(cfg) << "[network]\n"
                        "smbta_host_name = old.example\nsmbta_port_number = 4001\n"
                        "smbtad_host_name = new.example\nsmbtad_port_number = 4002\n";

  // -u: network mode, so that smbtaquery takes smbtad's address from the file.
  Args q({"-c", cfg.string(), "-u", "-q", "global, total rw;"});
  const smbtaquery::Options query = smbtaquery::parse_options(q.argc(), q.argv());

  Args m({"-c", cfg.string(), "-g"});
  smbta::realtime::MonitorOptions monitor;
  ASSERT_EQ(smbta::realtime::parse_monitor_options(m.argc(), m.argv(), monitor),
            smbta::realtime::ParseOutcome::kRun);

  EXPECT_EQ(query.smbtad.host, monitor.conn.host);
  EXPECT_EQ(query.smbtad.port, monitor.conn.port);
  EXPECT_EQ(monitor.conn.host, "new.example") << "the documented order: smbtad_* first";
  EXPECT_EQ(monitor.conn.port, 4002);
}

// One [network] transport key for every client, under each one's command line.
TEST(ConfigAgreement, TheTransportKeyMeansTheSameToEveryClient) {
  const smbta::testing::TempHome home;
  const auto cfg = home.path() / "my.config";
  std::ofstream(cfg) << "[general]\nkeyfile = /etc/smbta/client.key\n"
                        "[network]\ntransport = authenticated\n";
  Args q({"-c", cfg.string(), "-u", "-q", "global, total rw;"});
  EXPECT_EQ(smbtaquery::parse_options(q.argc(), q.argv()).smbtad.transport,
            smbta::client::ClientTransport::kAuthenticated);
  Args q2({"-c", cfg.string(), "--transport", "legacy", "-u", "-q", "global, total rw;"});
  EXPECT_EQ(smbtaquery::parse_options(q2.argc(), q2.argv()).smbtad.transport,
            smbta::client::ClientTransport::kLegacy);
  Args m({"-c", cfg.string(), "-g"});
  smbta::realtime::MonitorOptions monitor;
  ASSERT_EQ(smbta::realtime::parse_monitor_options(m.argc(), m.argv(), monitor),
            smbta::realtime::ParseOutcome::kRun);
  EXPECT_EQ(monitor.conn.transport, smbta::client::ClientTransport::kAuthenticated);
  // Without a key it is refused, by smbtaquery as by the real-time tools.
  Args bad({"--transport", "authenticated", "-u", "-q", "global, total rw;"});
  EXPECT_THROW(smbtaquery::parse_options(bad.argc(), bad.argv()), smbta::cli::UsageError);
  Args bogus({"--transport", "tls", "-u", "-q", "global, total rw;"});
  EXPECT_THROW(smbtaquery::parse_options(bogus.argc(), bogus.argv()), smbta::cli::UsageError);
}

}  // namespace
