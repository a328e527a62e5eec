// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad under bad input: every rejection rule, floods, idle peers, bad options, -T, maintenance.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <fstream>
#include <regex>
#include <thread>

#include "smbta/key_file.h"
#include "smbta/legacy_cipher.h"
#include "smbta/net.h"
#include "smbta/timestamp.h"
#include "smbta/v2_codec.h"
#include "smbta/version.h"
#include "smbtad/db_rows.h"
#include "store/dbi_connection.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Record;

// True when the peer closed the connection (recv returns 0 or an error) within 5 s.
bool closed_by_peer(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char c;
  return ::recv(fd, &c, 1, 0) <= 0;
}

std::string frame_with_body(std::string_view body) {
  std::string s;
  smbta::append_header(s, body.size(), false);
  return s + std::string(body);
}

class Daemon : public ::testing::Test {
 protected:
  TempDir home_;
};

TEST_F(Daemon, BadOptionsNameTheOptionAndExitNonZero) {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  const Case cases[] = {
      {{"-i", "70000"}, "-i/--inet-port"},
      {{"-i", "abc"}, "-i/--inet-port"},
      {{"--precision", "-1"}, "-p/--precision"},
      {{"-U", "2"}, "-U/--use-db"},
      {{"-t", "1:99:00"}, "-t/--maintenance-timer"},
      {{"-m", "0,00:00:00"}, "-m/--maintenance-timer-config"},
      {{"-m", "yesterday"}, "-m/--maintenance-timer-config"},
      {{"-d", "11"}, "-d/--debug-level"},
      {{"-M", "oracle"}, "-M/--dbdriver"},
      {{"--bogus"}, "--bogus"},
      {{"-x"}, "-x"},
      {{"-i"}, "-i/--inet-port"},
      {{"-c", "/nonexistent.conf"}, "/nonexistent.conf"},
  };
  for (const auto& c : cases) {
    const auto r = run_smbtad(c.args, home_.path());
    EXPECT_EQ(r.status, 2) << c.args[0];
    EXPECT_NE(r.output.find(c.mentions), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Try 'smbtad --help'."), std::string::npos) << r.output;
  }
  const auto help = run_smbtad({"--help"}, home_.path());
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("--maintenance-timer-config"), std::string::npos);
  const auto version = run_smbtad({"--version"}, home_.path());
  EXPECT_EQ(version.status, 0);
  EXPECT_NE(version.output.find(SMBTA_VERSION), std::string::npos);
}

TEST_F(Daemon, ConfigFileIsReadAndLaterOptionsWin) {
  const auto conf = home_.path() / "smbtad.conf";
  std::ofstream(conf) << "[general]\nprecision = 0\n[network]\nport_number = 1\n";
  const int port = free_port();
  // -i after -c overrides the file's port_number.
  SmbtadProcess smbtad({"-c", conf.string(), "-i", std::to_string(port)}, home_.path(), port);
  auto fd = connect_module(port);
  Record r = smbta::testing::example_record(smbta::Op::kRead);
  r.length = 7;
  send_all(fd.get(), smbta::encode_frame(r) + smbta::encode_frame(r));
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  // Precision 0 from the file: two rows, not one merged row.
  EXPECT_TRUE(eventually([&] { return count_rows(db) == 2; })) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
}

TEST_F(Daemon, SetupCreatesTheSchemaOnAnEmptyDatabaseAndIsIdempotent) {
  const auto db_file = home_.path() / "new" / "dir" / "smbta.db";
  for (int i = 0; i < 2; ++i) {
    const auto r = run_smbtad({"-T", "-M", "sqlite3", "-N", db_file.string()}, home_.path());
    EXPECT_EQ(r.status, 0) << r.output;
  }
  smbta::store::DbParams p;
  p.sqlite_dbdir = db_file.parent_path().string();
  p.name = db_file.filename().string();
  smbta::store::DbiConnection db(p);
  EXPECT_EQ(count_rows(db), 0u);
  auto res =
      db.query("SELECT smbtad_database_version FROM status WHERE smbtad_control_entry = 'SMBTAD'");
  ASSERT_TRUE(res.next());
  EXPECT_EQ(res.get_text(1), SMBTA_VERSION);
  const auto bad = run_smbtad({"-T", "-M", "pgsql", "-H", "127.0.0.1", "--dbport", "1", "-N", "x"},
                              home_.path());
  EXPECT_NE(bad.status, 0) << "-T must fail when the database is unreachable";
}

TEST_F(Daemon, EveryRejectionRuleClosesOnlyThatConnection) {
  const int port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-p", "0"}, home_.path(), port);
  std::string good_body;
  smbta::encode_body(smbta::testing::example_record(smbta::Op::kClose), good_body);
  const std::string fatal_streams[] = {
      "GET / HTTP/1.0\r\n\r\n",
      "V1,4096,\"holger\",\"WORKGROUP\",\"R\",\"/srv\",\"a\",\"2012-05-11 16:01:47.042\"\n",
      "V2.00000000000000000000000",
      "V2.000000000000000000000-1",
      "V2.00000099999999999999999",  // a huge length: refused, not allocated
      "V2.00E00000000000000000160",  // encrypted without -k
      "V2.00E00000000000000000161",
      "V2.00X00000000000000000010",
  };
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  std::uint64_t stored = 0;
  for (const auto& bad : fatal_streams) {
    auto fd = connect_module(port);
    send_all(fd.get(), bad);
    EXPECT_TRUE(closed_by_peer(fd.get())) << bad;
    // Others are still served.
    auto ok = connect_module(port);
    send_all(ok.get(), frame_with_body(good_body));
    ++stored;
    EXPECT_TRUE(eventually([&] { return count_rows(db) == stored; })) << bad << "\n"
                                                                      << smbtad.log();
  }
  // Record-level rules drop the record and keep the connection.
  std::string unknown_op = good_body, few_blocks = good_body, past_body = good_body;
  unknown_op.replace(5, 5, "000299");
  few_blocks[4] = '5';
  past_body.replace(past_body.find("0015docs"), 4, "0999");
  auto fd = connect_module(port);
  send_all(fd.get(), frame_with_body(unknown_op) + frame_with_body(few_blocks) +
                         frame_with_body(past_body) + frame_with_body(good_body));
  ++stored;
  EXPECT_TRUE(eventually([&] { return count_rows(db) == stored; })) << smbtad.log();
  // A truncated stream: half a record, then the peer closes.
  {
    auto half = connect_module(port);
    send_all(half.get(), frame_with_body(good_body).substr(0, 40));
  }
  EXPECT_TRUE(eventually([&] { return smbtad.log().find("stream ended") != std::string::npos; }));
  EXPECT_TRUE(smbtad.running());
  EXPECT_EQ(smbtad.stop(), 0);
  const std::string log = smbtad.log();
  for (std::string_view reason :
       {"protocol V1 is not supported", "length field is zero", "exceeds the maximum body size",
        "no key is configured", "unknown operation id", "fewer than 6 common blocks",
        "stream ended in the middle of a record"})
    EXPECT_NE(log.find(reason), std::string::npos) << reason << "\n" << log;
  EXPECT_NE(log.find("127.0.0.1"), std::string::npos) << "log lines name the peer";
  EXPECT_EQ(count_rows(db), stored);
}

TEST_F(Daemon, TwoThousandSocketFloodLeavesSmbtadServing) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 8192);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
  ASSERT_GE(rl.rlim_cur, 2100u) << "the test needs 2,100 descriptors";
  const int port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-p", "0"}, home_.path(), port);
  std::vector<smbta::UniqueFd> flood;
  for (int i = 0; i < 2000; ++i) {
    flood.push_back(connect_module(port));
    send_all(flood.back().get(), "V2.0000000000");  // half a header, then silence
  }
  auto fd = connect_module(port);
  Record r = smbta::testing::example_record(smbta::Op::kMkdir);
  send_all(fd.get(), smbta::encode_frame(r));
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  EXPECT_TRUE(eventually([&] { return count_rows(db) == 1; })) << smbtad.log();
  flood.clear();
  EXPECT_TRUE(smbtad.running());
  EXPECT_EQ(smbtad.stop(), 0);
}

TEST_F(Daemon, PeerSilentInsideARecordTimesOut) {
  const int port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "--idle-timeout", "1"}, home_.path(), port);
  auto fd = connect_module(port);
  send_all(fd.get(), "V2.000000000000000000001");
  EXPECT_TRUE(closed_by_peer(fd.get()));
  EXPECT_NE(smbtad.log().find("was not complete 1 s after its first byte"), std::string::npos);
  EXPECT_EQ(smbtad.stop(), 0);
}

TEST_F(Daemon, PlaintextRecordsOnAKeyedSmbtadAreSaidOnceOrRefused) {
  const std::string key_path = (home_.path() / "key").string();
  smbta::LegacyCipher cipher(smbta::create_key_file(key_path));
  const auto plain = smbta::testing::random_records(20, 61);
  const auto sealed = smbta::testing::random_records(20, 62);
  {
    // Accepted, and said once per connection.
    const int port = free_port();
    SmbtadProcess smbtad({"-i", std::to_string(port), "-p", "0", "-k", key_path}, home_.path(),
                         port);
    auto fd = connect_module(port);
    send_all(fd.get(), frames(plain));
    smbta::store::DbiConnection db(sqlite_at(home_.path()));
    ASSERT_TRUE(eventually([&] { return count_rows(db) == plain.size(); })) << smbtad.log();
    EXPECT_EQ(smbtad.stop(), 0);
    const std::string log = smbtad.log();
    const std::string line = "records arrive in clear text although smbtad has a key";
    ASSERT_NE(log.find(line), std::string::npos) << log;
    EXPECT_EQ(log.find(line), log.rfind(line)) << "logged more than once:\n" << log;
  }
  // --require-module-key: the clear-text connection is closed, the encrypted one stored.
  const int port = free_port();
  SmbtadProcess smbtad(
      {"-i", std::to_string(port), "-p", "0", "-k", key_path, "--require-module-key"}, home_.path(),
      port);
  auto bad = connect_module(port);
  send_all(bad.get(), frames(plain));
  EXPECT_TRUE(closed_by_peer(bad.get()));
  auto good = connect_module(port);
  send_all(good.get(), frames(sealed, &cipher));
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  EXPECT_TRUE(eventually([&] { return count_rows(db) == plain.size() + sealed.size(); }))
      << smbtad.log();
  EXPECT_NE(smbtad.log().find("requires encrypted records (--require-module-key)"),
            std::string::npos)
      << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
  // Without a key the option is a usage error.
  const auto r = run_smbtad({"--require-module-key", "-o"}, home_.path());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--require-module-key: needs a key (-k)"), std::string::npos) << r.output;
}

TEST_F(Daemon, UnixSocketModulesAreStored) {
  const int port = free_port();
  const auto sock = (home_.path() / "stadsocket").string();
  SmbtadProcess smbtad({"-u", "--unix-socket-path", sock, "-i", std::to_string(port), "-p", "0"},
                       home_.path(), port, sock);
  auto fd = smbta::net::connect_unix(sock);
  std::vector<Record> sent;
  for (auto op : {smbta::Op::kRead, smbta::Op::kRmdir, smbta::Op::kUnlink, smbta::Op::kCopy}) {
    sent.push_back(smbta::testing::example_record(op));
    send_all(fd.get(), smbta::encode_frame(sent.back()));
  }
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  EXPECT_TRUE(eventually([&] { return count_rows(db) == sent.size(); })) << smbtad.log();
  EXPECT_EQ(actual_rows(db), expected_rows(sent, 0));
  auto res = db.query("SELECT module_ip_address FROM modules");
  ASSERT_TRUE(res.next());
  EXPECT_EQ(res.get_text(1), "unix");
  EXPECT_EQ(smbtad.stop(), 0);
}

// A site with local Samba servers (Unix socket) and remote ones (TCP) needs one smbtad and one
// database, not two: both listeners at once, each with an open module connection.
TEST_F(Daemon, TcpAndUnixModulesAreServedAtOnce) {
  const int port = free_port();
  const auto sock = (home_.path() / "stadsocket").string();
  const auto client_sock = (home_.path() / "stadsocket_client").string();
  const auto conf = home_.path() / "smbtad.conf";
  std::ofstream(conf) << "[network]\nclient_listeners = tcp,unix\nclient_socket_path = "
                      << client_sock << "\n";
  SmbtadProcess smbtad({"--module-listeners", "tcp,unix", "--unix-socket-path", sock, "-i",
                        std::to_string(port), "-p", "0", "-c", conf.string()},
                       home_.path(), port);
  auto over_tcp = connect_module(port);
  auto over_unix = smbta::net::connect_unix(sock);
  Record local = smbta::testing::example_record(smbta::Op::kWrite);
  local.path = "local.bin";
  local.length = 1111;
  Record remote = smbta::testing::example_record(smbta::Op::kRead);
  remote.path = "remote.bin";
  remote.length = 2222;
  send_all(over_unix.get(), smbta::encode_frame(local));
  send_all(over_tcp.get(), smbta::encode_frame(remote));
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  EXPECT_TRUE(eventually([&] { return count_rows(db) == 2; })) << smbtad.log();
  EXPECT_EQ(actual_rows(db), expected_rows({local, remote}, 0));
  std::vector<std::string> modules;
  auto res = db.query("SELECT module_ip_address FROM modules ORDER BY module_ip_address");
  while (res.next()) modules.push_back(res.get_text(1).value_or(""));
  EXPECT_EQ(modules, (std::vector<std::string>{"127.0.0.1", "unix"}));
  // Clients too, by the config file's list: both endpoints accept.
  EXPECT_NO_THROW(smbta::net::connect_unix(client_sock));
  EXPECT_NO_THROW(smbta::net::connect_tcp("127.0.0.1", port + 1));
  for (const std::string& what : std::vector<std::string>{
           "modules on " + sock, "modules on localhost port " + std::to_string(port),
           "clients on " + client_sock})
    EXPECT_NE(smbtad.log().find("listening for " + what), std::string::npos) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
}

// 1.2.x compatibility: -u alone still means the Unix socket instead of TCP.
TEST_F(Daemon, UnixSocketAloneStillReplacesTcp) {
  const int port = free_port();
  const auto sock = (home_.path() / "stadsocket").string();
  SmbtadProcess smbtad({"-u", "--unix-socket-path", sock, "-i", std::to_string(port)}, home_.path(),
                       port, sock);
  EXPECT_THROW(smbta::net::connect_tcp("127.0.0.1", port), std::runtime_error);
  EXPECT_NO_THROW(smbta::net::connect_tcp("127.0.0.1", port + 1)) << "clients stay on TCP";
  EXPECT_EQ(smbtad.stop(), 0);
}

TEST_F(Daemon, ModuleDropNoticesAreLoggedNotStored) {
  const int port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-p", "0"}, home_.path(), port);
  Record notice = smbta::testing::example_record(smbta::Op::kDropNotice);
  notice.path.clear();
  notice.result = 1964;
  notice.length = 311012;
  Record read = smbta::testing::example_record(smbta::Op::kRead);
  auto fd = connect_module(port);
  send_all(fd.get(), smbta::encode_frame(notice) + smbta::encode_frame(read));
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  EXPECT_TRUE(eventually([&] { return count_rows(db) == 1; })) << smbtad.log();
  EXPECT_TRUE(eventually([&] {
    return smbtad.log().find("reports 1964 records (311012 bytes)") != std::string::npos;
  })) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
  EXPECT_EQ(count_rows(db), 1u);
}

// Issue 13 item 7: a peer's drop notices cannot flood the log, and the share name it sends is
// escaped, so it can neither forge a log line nor send terminal escapes.
TEST_F(Daemon, DropNoticesAreLoggedWithinABudgetAndEscaped) {
  const int port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(port), "-p", "0"}, home_.path(), port);
  Record notice = smbta::testing::example_record(smbta::Op::kDropNotice);
  notice.path.clear();
  notice.share = "data\nsmbtad[error]: forged\x1b[2J";
  notice.result = 7;
  notice.length = 70;
  std::string stream;
  for (int i = 0; i < 2000; ++i) stream += smbta::encode_frame(notice);
  Record read = smbta::testing::example_record(smbta::Op::kRead);
  stream += smbta::encode_frame(read);
  auto fd = connect_module(port);
  send_all(fd.get(), stream);
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  // The read after the notices is stored: every notice was read and handled before it.
  ASSERT_TRUE(eventually([&] { return count_rows(db) == 1; })) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
  const std::string log = smbtad.log();
  std::size_t lines = 0;
  for (auto at = log.find("reports 7 records"); at != std::string::npos;
       at = log.find("reports 7 records", at + 1))
    ++lines;
  EXPECT_GE(lines, 1u) << log;
  EXPECT_LE(lines, 3u) << "2000 notices within seconds must not give a line each";
  EXPECT_EQ(log.find("\x1b"), std::string::npos) << "a raw escape reached the log";
  EXPECT_EQ(log.find("\nsmbtad[error]: forged"), std::string::npos) << log;
  EXPECT_NE(log.find("(share \"data\\x0asmbtad[error]: forged\\x1b[2J\")"), std::string::npos)
      << log;
}

TEST_F(Daemon, MaintenanceDeletesExactlyTheOldRows) {
  const int port = free_port();
  SmbtadProcess smbtad(
      {"-i", std::to_string(port), "-p", "0", "-t", "00:00:01", "-m", "0,00:10:00"}, home_.path(),
      port);
  const std::int64_t now = smbta::local_now_ms();
  std::vector<Record> fresh;
  std::string stream;
  for (int i = 0; i < 50; ++i) {
    Record r = smbta::testing::example_record(smbta::Op::kWrite);
    r.length = static_cast<std::uint64_t>(i);
    r.timestamp_ms = now - (i % 2 == 0 ? 11 : 9) * 60 * 1000;  // 11 min old: purged; 9 min: kept
    if (i % 2 != 0) fresh.push_back(r);
    stream += smbta::encode_frame(r);
  }
  auto fd = connect_module(port);
  send_all(fd.get(), stream);
  smbta::store::DbiConnection db(sqlite_at(home_.path()));
  EXPECT_TRUE(eventually([&] { return actual_rows(db) == expected_rows(fresh, 0); }))
      << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
  // At the default level the log says how many rows went, and by which rule (runs may split
  // the 25 between them).
  const std::string log = smbtad.log();
  EXPECT_NE(log.find("maintenance: every 00:00:01, deletes rows older than 0,00:10:00"),
            std::string::npos)
      << log;
  std::uint64_t deleted = 0;
  const std::regex line(
      R"(notice\]: maintenance: deleted (\d+) rows older than \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(retention 0,00:10:00\) in \d+ ms \(\d+ ms of it deleting\); next run at )");
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it)
    deleted += std::stoull((*it)[1]);
  EXPECT_EQ(deleted, 25u) << log;
}

// A database that can never take smbtad's rows stops smbtad at start-up (exit 2, the reason on
// the terminal) instead of a daemon that spools forever; an unreachable server is waited for.
TEST_F(Daemon, ADatabaseThatCanNeverWorkStopsSmbtadAtStartUp) {
  const std::string port = std::to_string(free_port());
  const auto r =
      run_smbtad({"-o", "-i", port, "-M", "sqlite3", "-N", "/proc/smbta/staddb"}, home_.path());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("the database cannot be used"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/proc/smbta"), std::string::npos) << r.output;

  // Nothing listens on this port: smbtad starts, says so, and spools.
  const int module_port = free_port();
  SmbtadProcess smbtad({"-i", std::to_string(module_port), "-M", "pgsql", "-H", "127.0.0.1",
                        "--dbport", std::to_string(free_port()), "-N", "x"},
                       home_.path(), module_port);
  EXPECT_TRUE(smbtad.running());
  EXPECT_NE(smbtad.log().find("not reachable yet"), std::string::npos) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0);
}

}  // namespace
}  // namespace smbtad::testing
