// SPDX-License-Identifier: GPL-3.0-or-later
// Faults under load: the database locked or stopped for a minute while a module sends, and
// floods of idle and slow peers on both ports while real modules and clients are served. Each
// ends with every record stored exactly once, a clear log line and no crash.
#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "client/query_client.h"
#include "query/result_codec.h"
#include "smbta/net.h"
#include "smbta/v2_codec.h"
#include "smbtad/db_rows.h"
#include "store/dbi_connection.h"
#include "support/smbtad_process.h"
#include "support/test_records.h"

namespace smbtad::testing {
namespace {

using smbta::Record;
using Clock = std::chrono::steady_clock;

// How long each fault lasts: a minute, as issue 13 asks. SMBTA_FAULT_SECONDS shortens it for a
// local run only (CI does not set it).
std::chrono::seconds fault_duration() {
  if (const char* s = std::getenv("SMBTA_FAULT_SECONDS")) return std::chrono::seconds(std::atoi(s));
  return std::chrono::seconds(60);
}

std::uint64_t rows_or_zero(const smbta::store::DbParams& p) {
  try {
    smbta::store::DbiConnection db(p);
    return count_rows(db);
  } catch (const std::exception&) {
    return 0;
  }
}

// Why: "under load" means records keep arriving during the whole fault, as from a busy Samba
// server, not one batch before and one after. Sends a batch every 100 ms on one module
// connection and keeps every record it sent, to compare with the database at the end.
class Load {
 public:
  explicit Load(int port) : fd_(connect_module(port)), thread_([this] { loop(); }) {}
  ~Load() { finish(); }
  // Stops sending and closes the connection the way a module does at the end of a session:
  // smbtad reads everything sent before it closes its side.
  std::vector<Record> finish() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
      ::shutdown(fd_.get(), SHUT_WR);
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 60000) > 0) {
        char c;
        (void)::recv(fd_.get(), &c, 1, 0);
      }
    }
    std::lock_guard lock(mutex_);
    return sent_;
  }
  std::size_t sent() {
    std::lock_guard lock(mutex_);
    return sent_.size();
  }

 private:
  void loop() {
    std::uint64_t seed = 1000;
    while (!stop_) {
      auto batch = smbta::testing::random_records(50, seed++);
      send_all(fd_.get(), frames(batch));
      {
        std::lock_guard lock(mutex_);
        sent_.insert(sent_.end(), batch.begin(), batch.end());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  smbta::UniqueFd fd_;
  std::mutex mutex_;
  std::vector<Record> sent_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The common end of every database fault: all rows, each once, and smbtad still runs.
void expect_all_stored_once(SmbtadProcess& smbtad, const smbta::store::DbParams& db_params,
                            const std::vector<Record>& all) {
  ASSERT_TRUE(
      eventually([&] { return rows_or_zero(db_params) >= all.size(); }, std::chrono::seconds(180)))
      << rows_or_zero(db_params) << " of " << all.size() << " rows\n"
      << smbtad.log();
  ASSERT_TRUE(smbtad.running()) << smbtad.log();
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
  smbta::store::DbiConnection db(db_params);
  EXPECT_EQ(actual_rows(db), expected_rows(all, 0)) << "a row is missing or stored twice";
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

class Faults : public ::testing::Test {
 protected:
  TempDir home_;
};

TEST_F(Faults, SqliteLockedByAnotherWriterForAMinuteUnderLoad) {
  const int port = free_port();
  const auto params = sqlite_at(home_.path());
  auto args = database_args(params);
  args.insert(args.end(), {"-i", std::to_string(port), "-p", "0"});
  SmbtadProcess smbtad(args, home_.path(), port);
  Load load(port);
  ASSERT_TRUE(eventually([&] { return rows_or_zero(params) > 0; })) << smbtad.log();

  // Another writer takes the database's write lock and keeps it.
  sqlite3* other = nullptr;
  const auto path = params.sqlite_dbdir + "/" + params.name;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  sqlite3_busy_timeout(other, 60000);  // smbtad writes all the time: wait for a gap
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(other);
  const auto locked_at = Clock::now();
  const std::size_t sent_before = load.sent();
  std::this_thread::sleep_until(locked_at + fault_duration());
  EXPECT_GT(load.sent(), sent_before) << "the load stopped during the fault";
  EXPECT_TRUE(smbtad.running()) << smbtad.log();
  // What waits in the spool names users and files: a 0700 directory of 0600 segments.
  const auto spool = home_.path() / ".smbtad" / "spool";
  EXPECT_EQ(mode_of(spool), 0700u);
  for (const auto& e : std::filesystem::directory_iterator(spool))
    if (e.is_regular_file()) {
      EXPECT_EQ(mode_of(e.path()), 0600u) << e.path();
    }
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  std::this_thread::sleep_for(std::chrono::seconds(1));  // some load after the lock, too
  const auto all = load.finish();
  expect_all_stored_once(smbtad, params, all);
  EXPECT_NE(smbtad.log().find("locked"), std::string::npos) << smbtad.log();
}

// A private database server this test may stop and start (tests/support/*.sh).
class OwnServer {
 public:
  OwnServer(std::string script, bool pg) : script_(std::move(script)), pg_(pg), port_(free_port()) {
    run("start");
  }
  ~OwnServer() { std::system((cmd("stop") + " >/dev/null 2>&1").c_str()); }
  void stop() { pg_ ? pg_ctl("-m fast stop") : run("halt"); }
  void start() {
    if (!pg_) return run("resume");
    pg_ctl("-l " + (dir_.path() / "server.log").string() +
           " -o \"-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " +
           dir_.path().string() + " -c fsync=off\" start");
  }
  smbta::store::DbParams params() const {
    smbta::store::DbParams p;
    p.driver = pg_ ? "pgsql" : "mysql";
    p.host = "127.0.0.1";
    p.port = std::to_string(port_);
    p.user = "smbta";
    p.password = "smbta-test";
    p.name = "smbta_test";
    return p;
  }

 private:
  std::string cmd(const std::string& what) const {
    return "bash " + script_ + " " + what + " " + dir_.path().string() + " " +
           std::to_string(port_);
  }
  void run(const std::string& what) {
    const auto c = cmd(what) + " >/dev/null";
    ASSERT_EQ(std::system(c.c_str()), 0) << c;
  }
  void pg_ctl(const std::string& args) {
    const std::string as_pg = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    const auto c =
        as_pg + "\"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pg_ctl\" -w -t 60 -D " +
        (dir_.path() / "data").string() + " " + args + " >/dev/null";
    ASSERT_EQ(std::system(c.c_str()), 0) << c;
  }
  TempDir dir_;
  std::string script_;
  bool pg_;
  int port_;
};

void database_stopped_for_a_minute_under_load(OwnServer& server, const TempDir& home,
                                              std::string_view down_log) {
  const int port = free_port();
  int qport = free_port();
  while (qport == port) qport = free_port();
  const auto params = server.params();
  auto args = database_args(params);
  args.insert(args.end(), {"-i", std::to_string(port), "-q", std::to_string(qport), "-p", "0"});
  SmbtadProcess smbtad(args, home.path(), port);
  Load load(port);
  ASSERT_TRUE(eventually([&] { return rows_or_zero(params) > 0; })) << smbtad.log();

  server.stop();
  const auto stopped_at = Clock::now();
  const std::size_t sent_before = load.sent();
  std::this_thread::sleep_until(stopped_at + fault_duration());
  EXPECT_GT(load.sent(), sent_before) << "the load stopped during the fault";
  EXPECT_TRUE(smbtad.running()) << smbtad.log();
  server.start();
  // The client port answers again within seconds (the query thread reconnects too).
  EXPECT_TRUE(eventually(
      [&] {
        try {
          auto c = smbta::net::connect_tcp("127.0.0.1", qport);
          smbta::client::query_over_socket(c.get(), "global, total rw;", 10000);
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(60)))
      << smbtad.log();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto all = load.finish();
  expect_all_stored_once(smbtad, params, all);
  EXPECT_NE(smbtad.log().find(down_log), std::string::npos) << smbtad.log();
}

bool have(const char* glob_cmd) {
  return std::system(glob_cmd) == 0;
}

TEST_F(Faults, PostgresqlStoppedForAMinuteUnderLoad) {
  if (!have("ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1"))
    GTEST_SKIP() << "no PostgreSQL server installed";
  OwnServer pg(PG_CLUSTER_SCRIPT, true);
  database_stopped_for_a_minute_under_load(pg, home_, "retry in");
}

TEST_F(Faults, MariadbStoppedForAMinuteUnderLoad) {
  if (!have("command -v mariadbd >/dev/null 2>&1 || test -x /usr/sbin/mariadbd"))
    GTEST_SKIP() << "no MariaDB server installed";
  OwnServer my(MYSQL_SERVER_SCRIPT, false);
  database_stopped_for_a_minute_under_load(my, home_, "retry in");
}

std::uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

bool raise_own_fd_limit(rlim_t wanted) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  rl.rlim_cur = std::min(rl.rlim_max, std::max(rl.rlim_cur, wanted));
  return ::setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= wanted;
}

// Why: a peer that sends a byte now and then keeps its slot longest; with thousands of idle
// sockets beside them, smbtad must still serve modules and clients in bounded memory.
TEST_F(Faults, TenThousandIdleSocketsAndSlowLorisPeersOnBothPortsLeaveServiceAndMemoryBounded) {
  if (!raise_own_fd_limit(10500)) GTEST_SKIP() << "needs 10,500 descriptors";
  const int port = free_port();
  int qport = free_port();
  while (qport == port) qport = free_port();
  const auto params = sqlite_at(home_.path());
  SmbtadProcess smbtad({"-i", std::to_string(port), "-q", std::to_string(qport), "-p", "0",
                        "--idle-timeout", "5", "--client-idle-timeout", "5"},
                       home_.path(), port);
  const auto rss_before = rss_kib(smbtad.pid());

  // Slow-loris peers first (a module frame and a query, a byte every 200 ms, never complete),
  // then the idle sockets: more clients than --max-client-connections, so that the last ones
  // are refused at once.
  const std::string record = smbta::encode_frame(smbta::testing::example_record(smbta::Op::kMkdir));
  const std::string request =
      smbta::frame_body(smbta::query::query_request_body("global, total rw;"));
  std::vector<smbta::UniqueFd> slow;
  for (int i = 0; i < 50; ++i)
    slow.push_back(smbta::net::connect_tcp("127.0.0.1", i % 2 == 0 ? port : qport));
  std::atomic<bool> stop{false};
  std::thread loris([&] {
    // Each stops a byte short of its end: never complete, however long the test takes.
    for (std::size_t b = 0; !stop && b + 1 < std::max(record.size(), request.size()); ++b) {
      for (std::size_t i = 0; i < slow.size(); ++i) {
        const std::string& what = i % 2 == 0 ? record : request;
        if (b + 1 < what.size())
          (void)::send(slow[i].get(), what.data() + b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  std::vector<smbta::UniqueFd> idle;
  idle.reserve(10000);
  for (int i = 0; i < 10000; ++i)
    idle.push_back(smbta::net::connect_tcp("127.0.0.1", i % 2 == 0 ? port : qport));

  // Meanwhile a module's records are stored and a client's query is answered, more than once.
  std::vector<Record> all;
  std::uint64_t peak = 0;
  for (int round = 0; round < 3; ++round) {
    auto module = connect_module(port);
    auto batch = smbta::testing::random_records(200, 500 + round);
    send_all(module.get(), frames(batch));
    all.insert(all.end(), batch.begin(), batch.end());
    ASSERT_TRUE(
        eventually([&] { return rows_or_zero(params) == all.size(); }, std::chrono::seconds(120)))
        << rows_or_zero(params) << " of " << all.size() << "\n"
        << smbtad.log();
    // A client is answered once the idle ones have timed out (--client-idle-timeout 5).
    EXPECT_TRUE(eventually(
        [&] {
          try {
            auto client = smbta::net::connect_tcp("127.0.0.1", qport);
            return !smbta::client::query_over_socket(client.get(), "global, total rw;", 10000)
                        .empty();
          } catch (const std::exception&) {
            return false;
          }
        },
        std::chrono::seconds(60)))
        << smbtad.log();
    peak = std::max(peak, rss_kib(smbtad.pid()));
  }
  // The slow peers on both ports are closed by the timeout (5 s for a whole record or request).
  EXPECT_TRUE(eventually(
      [&] {
        const auto log = smbtad.log();
        return log.find("a record was not complete 5 s after its first byte") !=
                   std::string::npos &&
               log.find("a request was not complete 5 s after its first byte") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << smbtad.log();
  stop = true;
  loris.join();
  // 10,050 connections cost at most 16 KiB each (ASan's allocator included).
  EXPECT_LT(peak - std::min(peak, rss_before), 10050u * 16)
      << "RSS before " << rss_before << " KiB, peak " << peak << " KiB";
  RecordProperty("rss_before_kib", std::to_string(rss_before));
  RecordProperty("rss_peak_kib", std::to_string(peak));
  std::printf("smbtad RSS: %llu KiB before, %llu KiB peak with 10,050 peers\n",
              static_cast<unsigned long long>(rss_before), static_cast<unsigned long long>(peak));
  idle.clear();
  slow.clear();
  EXPECT_TRUE(smbtad.running());
  EXPECT_EQ(smbtad.stop(), 0) << smbtad.log();
  smbta::store::DbiConnection db(params);
  EXPECT_EQ(actual_rows(db), expected_rows(all, 0));
}

}  // namespace
}  // namespace smbtad::testing
