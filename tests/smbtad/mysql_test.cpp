// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad with a real MariaDB server: two sites into one database, an outage, refused rows and
// refused credentials.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "smbtad/db_rows.h"
#include "support/smbtad_process.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Record;
using smbta::testing::random_records;

// A private MariaDB server this test may stop and start at will (tests/support/mysql_server.sh).
class OwnServer {
 public:
  OwnServer() : port_(free_port()) { script("start"); }
  ~OwnServer() {
    std::system(("bash " MYSQL_SERVER_SCRIPT " stop " + dir_.path().string() + " " +
                 std::to_string(port_) + " >/dev/null 2>&1")
                    .c_str());
  }
  void stop() { script("halt"); }
  void start() { script("resume"); }
  int port() const { return port_; }

 private:
  void script(const char* what) {
    const std::string cmd = std::string("bash " MYSQL_SERVER_SCRIPT " ") + what + " " +
                            dir_.path().string() + " " + std::to_string(port_) + " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  TempDir dir_;
  int port_;
};

smbta::store::DbParams my_params(int db_port, const std::string& dbname) {
  smbta::store::DbParams p;
  p.driver = "mysql";
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

TEST(MysqlOutage, RecordsSentWhileMariadbIsDownAreStoredWhenItIsBack) {
  OwnServer my;
  TempDir home;
  const int port = free_port();
  const auto params = my_params(my.port(), "smbta_test");
  auto args = database_args(params);
  args.insert(args.end(), {"-i", std::to_string(port), "-p", "0"});
  std::vector<Record> all = random_records(1000, 1);
  {
    SmbtadProcess smbtad(args, home.path(), port);
    auto fd = connect_module(port);
    send_all(fd.get(), frames(all));
    ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); })) << smbtad.log();

    my.stop();
    auto during = random_records(1000, 2);
    send_all(fd.get(), frames(during));
    all.insert(all.end(), during.begin(), during.end());
    // The rows go to the spool while the server is down...
    EXPECT_TRUE(eventually([&] { return smbtad.log().find("spool") != std::string::npos; }))
        << smbtad.log();
    my.start();
    // ...and are replayed once it answers again.
    auto after = random_records(500, 3);
    send_all(fd.get(), frames(after));
    all.insert(all.end(), after.begin(), after.end());
    ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); },
                           std::chrono::milliseconds(60000)))
        << smbtad.log();

    // Down again, and smbtad stops before it is back: the spool survives the restart.
    my.stop();
    auto last = random_records(300, 4);
    send_all(fd.get(), frames(last));
    all.insert(all.end(), last.begin(), last.end());
    ::shutdown(fd.get(), SHUT_WR);
    char c;
    ::recv(fd.get(), &c, 1, 0);
    EXPECT_EQ(smbtad.stop(), 0);
  }
  my.start();
  SmbtadProcess again(args, home.path(), port);
  ASSERT_TRUE(eventually([&] { return rows_or_zero(params) == all.size(); },
                         std::chrono::milliseconds(60000)))
      << again.log();
  EXPECT_EQ(again.stop(), 0);
  smbta::store::DbiConnection db(params);
  EXPECT_EQ(actual_rows(db), expected_rows(all, 0));
}

TEST(MysqlRejects, ARowMariadbRefusesIsSetAsideAndTheRestIsStored) {
  smbta::store::testing::TestDb db("mysql");
  ASSERT_TRUE(db.available()) << "run through ctest: it provides SMBTA_TEST_MYSQL_*";
  TempDir home;
  const int port = free_port();
  auto args = database_args(db.params());
  args.insert(args.end(), {"-i", std::to_string(port), "-p", "0"});
  SmbtadProcess smbtad(args, home.path(), port);
  auto good = random_records(200, 21);
  Record bad = smbta::testing::example_record(smbta::Op::kWrite);
  bad.user = "bad\xff\xfename";  // not UTF-8: utf8mb4 columns refuse it in strict mode
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

// Two sites write the same new user, share and file names at the same moment: no row may be
// lost or stored twice, and the dictionaries must not deadlock the writers for good.
TEST(MysqlTwoSites, TwoSmbtadInstancesShareOneDatabase) {
  smbta::store::testing::TestDb db("mysql");
  ASSERT_TRUE(db.available()) << "run through ctest: it provides SMBTA_TEST_MYSQL_*";
  TempDir home_a, home_b;
  const int port_a = free_port(), port_b = free_port();
  auto args_a = database_args(db.params());
  auto args_b = args_a;
  args_a.insert(args_a.end(), {"-i", std::to_string(port_a), "-p", "0"});
  args_b.insert(args_b.end(), {"-i", std::to_string(port_b), "-p", "0"});
  SmbtadProcess a(args_a, home_a.path(), port_a);
  SmbtadProcess b(args_b, home_b.path(), port_b);
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
  ASSERT_TRUE(
      eventually([&] { return count_rows(*conn) >= all.size(); }, std::chrono::milliseconds(60000)))
      << a.log() << b.log();
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
  EXPECT_EQ(actual_rows(*conn), expected_rows(all, 0));
}

// A server that answers and refuses smbtad stops it at start-up with the server's reason.
TEST(MysqlRefusal, BadCredentialsStopSmbtadAtStartUp) {
  smbta::store::testing::TestDb db("mysql");
  ASSERT_TRUE(db.available()) << "run through ctest: it provides SMBTA_TEST_MYSQL_*";
  TempDir home;
  const std::string port = std::to_string(free_port());
  auto wrong = db.params();
  wrong.password = "not-the-password";
  auto missing = db.params();
  missing.name = "smbta_no_such_database";
  for (const auto& [params, reason] :
       {std::pair{wrong, "Access denied"}, std::pair{missing, "Unknown database"}}) {
    auto all = database_args(params);
    all.insert(all.end(), {"-i", port, "-p", "0", "-o"});
    const auto r = run_smbtad(all, home.path());
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("the database cannot be used"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(reason), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace smbtad::testing
