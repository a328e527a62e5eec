// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad with a real PostgreSQL server that goes away, and two smbtad sites sharing one database.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "client/query_client.h"
#include "query/engine.h"
#include "smbta/net.h"
#include "smbtad/db_rows.h"
#include "support/smbtad_process.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Record;

using smbta::testing::random_records;

// A private PostgreSQL cluster this test may stop and start at will.
class OwnCluster {
 public:
  OwnCluster() : port_(free_port()) {
    run("bash " PG_CLUSTER_SCRIPT " start " + dir_.path().string() + " " + std::to_string(port_));
  }
  ~OwnCluster() {
    std::system(("bash " PG_CLUSTER_SCRIPT " stop " + dir_.path().string() + " " +
                 std::to_string(port_) + " >/dev/null 2>&1")
                    .c_str());
  }
  void stop() { pg_ctl("-m fast stop"); }
  void start() {
    pg_ctl("-l " + (dir_.path() / "server.log").string() +
           " -o \"-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " +
           dir_.path().string() + " -c fsync=off\" start");
  }
  int port() const { return port_; }

 private:
  static void run(const std::string& cmd) { ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd; }
  void pg_ctl(const std::string& args) {
    const std::string as_pg = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    // The newest installed server (15 on Debian 12, 17 on Debian 13); std::system uses sh.
    run(as_pg + "\"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pg_ctl\" -w -t 60 -D " +
        (dir_.path() / "data").string() + " " + args + " >/dev/null");
  }
  TempDir dir_;
  int port_;
};

std::vector<std::string> pg_args(int db_port, const std::string& dbname) {
  return {"-M", "pgsql", "-H", "127.0.0.1",  "--dbport", std::to_string(db_port),
          "-S", "smbta", "-P", "smbta-test", "-N",       dbname};
}

smbta::store::DbParams pg_params(int db_port, const std::string& dbname) {
  smbta::store::DbParams p;
  p.driver = "pgsql";
  p.host = "127.0.0.1";
  p.port = std::to_string(db_port);
  p.user = "smbta";
  p.password = "smbta-test";
  p.name = dbname;
  return p;
}

std::uint64_t rows_or_zero(const smbta::store::DbParams& p) {
  try {
    smbta::store::DbiConnection db(p);
    return count_rows(db);
  } catch (const std::exception&) {
    return 0;
  }
}

TEST(PgsqlOutage, RecordsSentWhilePostgresqlIsDownAreStoredWhenItIsBack) {
  OwnCluster pg;
  TempDir home;
  const int port = free_port();
  auto args = pg_args(pg.port(), "smbta_test");
  args.insert(args.end(), {"-i", std::to_string(port), "-p", "0"});
  const auto params = pg_params(pg.port(), "smbta_test");
  std::vector<Record> all = random_records(1000, 1);
  {
    SmbtadProcess smbtad(args, home.path(), port);
    auto fd = connect_module(port);
    send_all(fd.get(), frames(all));
    ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); })) << smbtad.log();

    pg.stop();
    auto during = random_records(1000, 2);
    send_all(fd.get(), frames(during));
    all.insert(all.end(), during.begin(), during.end());
    // The rows go to the spool while the server is down...
    EXPECT_TRUE(eventually([&] { return smbtad.log().find("spool") != std::string::npos; }))
        << smbtad.log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    pg.start();
    // ...and are replayed once it answers again.
    auto after = random_records(500, 3);
    send_all(fd.get(), frames(after));
    all.insert(all.end(), after.begin(), after.end());
    ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); },
                           std::chrono::milliseconds(60000)))
        << smbtad.log();

    // Down again, and smbtad stops before it is back: the spool survives the restart.
    pg.stop();
    auto last = random_records(300, 4);
    send_all(fd.get(), frames(last));
    all.insert(all.end(), last.begin(), last.end());
    ::shutdown(fd.get(), SHUT_WR);
    char c;
    ::recv(fd.get(), &c, 1, 0);
    EXPECT_EQ(smbtad.stop(), 0);
  }
  pg.start();
  SmbtadProcess again(args, home.path(), port);
  ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); },
                         std::chrono::milliseconds(60000)))
      << again.log();
  EXPECT_EQ(again.stop(), 0);
  smbta::store::DbiConnection db(params);
  EXPECT_EQ(actual_rows(db), expected_rows(all, 0));
}

std::int64_t read_write_bytes(const std::vector<Record>& records) {
  std::int64_t sum = 0;
  for (const auto& r : records)
    if (smbta::is_read_write(r.op)) sum += static_cast<std::int64_t>(r.length);
  return sum;
}

// "global, total rw;" over smbtad's client port: the byte total, or the error it answered.
std::int64_t total_over_client_port(int qport) {
  auto client = smbta::net::connect_tcp("127.0.0.1", qport);
  const auto tables = smbta::client::query_over_socket(client.get(), "global, total rw;", 30000);
  return std::get<std::int64_t>(tables.at(0).rows.at(0).at(0));
}

TEST(PgsqlOutage, ClientPortQueriesAnswerAgainAfterAPostgresqlRestart) {
  OwnCluster pg;
  TempDir home;
  const int port = free_port();
  int qport = free_port();
  while (qport == port) qport = free_port();
  auto args = pg_args(pg.port(), "smbta_test");
  args.insert(args.end(), {"-i", std::to_string(port), "-q", std::to_string(qport), "-p", "0"});
  const auto params = pg_params(pg.port(), "smbta_test");
  SmbtadProcess smbtad(args, home.path(), port);
  auto fd = connect_module(port);
  std::vector<Record> all = random_records(500, 31);
  send_all(fd.get(), frames(all));
  ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); })) << smbtad.log();
  // The query thread has its connection before the restart.
  ASSERT_EQ(total_over_client_port(qport), read_write_bytes(all)) << smbtad.log();

  pg.stop();
  auto during = random_records(500, 32);
  send_all(fd.get(), frames(during));
  all.insert(all.end(), during.begin(), during.end());
  ASSERT_TRUE(eventually([&] { return smbtad.log().find("spool") != std::string::npos; }))
      << smbtad.log();
  // A query while the server is down is answered with an error, not left hanging.
  EXPECT_THROW(total_over_client_port(qport), smbta::query::QueryError);
  pg.start();
  auto after = random_records(300, 33);
  send_all(fd.get(), frames(after));
  all.insert(all.end(), after.begin(), after.end());
  ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); },
                         std::chrono::milliseconds(60000)))
      << smbtad.log();
  // The writer is back; the very next query must be answered, and correctly (before the fix
  // every query failed with "no connection to the server" until smbtad restarted).
  std::int64_t total = -1;
  try {
    total = total_over_client_port(qport);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "query after the restart failed: " << e.what() << "\n" << smbtad.log();
  }
  EXPECT_EQ(total, read_write_bytes(all));
  EXPECT_NE(smbtad.log().find("query connection"), std::string::npos) << smbtad.log();
  ::shutdown(fd.get(), SHUT_WR);
  char c;
  ::recv(fd.get(), &c, 1, 0);
  EXPECT_EQ(smbtad.stop(), 0);
  smbta::store::DbiConnection db(params);
  EXPECT_EQ(count_rows(db), all.size());
  EXPECT_EQ(actual_rows(db), expected_rows(all, 0));
}

TEST(PgsqlRejects, ARowPostgresqlRefusesIsSetAsideAndTheRestIsStored) {
  smbta::store::testing::TestDb db("pgsql");
  ASSERT_TRUE(db.available()) << "run through ctest: it provides SMBTA_TEST_PGSQL_*";
  const auto& p = db.params();
  TempDir home;
  const int port = free_port();
  auto args = pg_args(std::stoi(p.port), p.name);
  args.insert(args.end(), {"-i", std::to_string(port), "-p", "0"});
  SmbtadProcess smbtad(args, home.path(), port);
  auto good = random_records(200, 21);
  Record bad = smbta::testing::example_record(smbta::Op::kWrite);
  bad.user = "bad\xff\xfename";  // not UTF-8: PostgreSQL refuses it in a UTF-8 database
  std::vector<Record> sent(good.begin(), good.begin() + 100);
  sent.push_back(bad);
  sent.insert(sent.end(), good.begin() + 100, good.end());
  auto fd = connect_module(port);
  send_all(fd.get(), frames(sent));
  auto conn = db.raw();
  ASSERT_TRUE(eventually([&] { return count_rows(*conn) >= good.size(); },
                         std::chrono::milliseconds(60000)))
      << smbtad.log();
  EXPECT_EQ(actual_rows(*conn), expected_rows(good, 0));
  EXPECT_NE(smbtad.log().find("the database refuses a row"), std::string::npos) << smbtad.log();
  EXPECT_FALSE(std::filesystem::is_empty(home.path() / ".smbtad" / "spool" / "rejected"));
  EXPECT_EQ(smbtad.stop(), 0);
}

TEST(PgsqlTwoSites, TwoSmbtadInstancesShareOneDatabase) {
  smbta::store::testing::TestDb db("pgsql");
  ASSERT_TRUE(db.available()) << "run through ctest: it provides SMBTA_TEST_PGSQL_*";
  const auto& p = db.params();
  TempDir home_a, home_b;
  const int port_a = free_port(), port_b = free_port();
  auto args_a = pg_args(std::stoi(p.port), p.name);
  auto args_b = args_a;
  args_a.insert(args_a.end(), {"-i", std::to_string(port_a), "-p", "0"});
  args_b.insert(args_b.end(), {"-i", std::to_string(port_b), "-p", "0"});
  SmbtadProcess a(args_a, home_a.path(), port_a);
  SmbtadProcess b(args_b, home_b.path(), port_b);
  // Same generator, different seeds: many shared user, share and file names that both sites
  // insert into the dictionaries at the same moment.
  const auto ra = random_records(3000, 10), rb = random_records(3000, 11);
  std::thread ta([&] {
    auto fd = connect_module(port_a);
    send_all(fd.get(), frames(ra));
  });
  std::thread tb([&] {
    auto fd = connect_module(port_b);
    send_all(fd.get(), frames(rb));
  });
  ta.join();
  tb.join();
  auto all = ra;
  all.insert(all.end(), rb.begin(), rb.end());
  auto conn = db.raw();
  ASSERT_TRUE(eventually([&] { return count_rows(*conn) >= all.size(); })) << a.log() << b.log();
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
  EXPECT_EQ(actual_rows(*conn), expected_rows(all, 0));
}

// A server that answers and refuses smbtad (wrong password, no such database) stops it at
// start-up with the server's reason and exit status 2; only an unreachable one is waited for.
TEST(PgsqlRefusal, BadCredentialsStopSmbtadAtStartUp) {
  smbta::store::testing::TestDb db("pgsql");
  ASSERT_TRUE(db.available()) << "run through ctest: it provides SMBTA_TEST_PGSQL_*";
  const auto& p = db.params();
  TempDir home;
  const std::string port = std::to_string(free_port());
  auto wrong_password = pg_args(std::stoi(p.port), p.name);
  wrong_password[9] = "not-the-password";
  auto no_database = pg_args(std::stoi(p.port), "smbta_no_such_database");
  for (const auto& [args, reason] : {std::pair{wrong_password, "authentication failed"},
                                     std::pair{no_database, "does not exist"}}) {
    auto all = args;
    all.insert(all.end(), {"-i", port, "-p", "0", "-o"});
    const auto r = run_smbtad(all, home.path());
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("the database cannot be used"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(reason), std::string::npos) << r.output;
  }
}

// Every start creates what is missing of the schema; on a database that has it, PostgreSQL's
// "already exists, skipping" NOTICEs used to fill smbtad's output (eight lines, twice).
TEST(PgsqlStart, AStartOnAnExistingSchemaPrintsNoNotices) {
  smbta::store::testing::TestDb db("pgsql");
  ASSERT_TRUE(db.available()) << "run through ctest: it provides SMBTA_TEST_PGSQL_*";
  const auto& p = db.params();
  TempDir home;
  for (int start = 0; start < 2; ++start) {
    const int port = free_port();
    auto args = pg_args(std::stoi(p.port), p.name);
    args.insert(args.end(), {"-i", std::to_string(port), "-p", "0"});
    SmbtadProcess smbtad(args, home.path(), port);
    EXPECT_EQ(smbtad.stop(), 0);
    EXPECT_EQ(smbtad.log().find("NOTICE"), std::string::npos) << smbtad.log();
  }
}

}  // namespace
}  // namespace smbtad::testing
