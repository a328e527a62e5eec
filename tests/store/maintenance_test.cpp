// SPDX-License-Identifier: GPL-3.0-or-later
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "smbta/timestamp.h"
#include "store/loss_ledger.h"
#include "store/rollup.h"
#include "store/sql_dialect.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbta::store::testing {
namespace {

class MaintenanceTest : public StoreWithSchemaTest {
 protected:
  std::int64_t scalar(const std::string& sql) {
    DbiResult r = raw_->query(sql);
    EXPECT_TRUE(r.next()) << sql;
    return r.get_int(1).value_or(-1);
  }
};

TEST_P(MaintenanceTest, PurgeDeletesExactlyTheOlderRows) {
  const std::int64_t base = *parse_timestamp("2012-05-11 00:00:00.000");
  std::vector<Row> rows;
  for (int i = 0; i < 1000; ++i) {
    Record r = smbta::testing::example_record(i % 2 ? Op::kRead : Op::kChdir);
    r.length = 1;
    r.timestamp_ms = base + i * 60'000;
    rows.push_back(Row{r, 1});
  }
  store_->insert(rows);
  const std::int64_t cutoff = base + 400 * 60'000;  // rows 0..399 are older
  EXPECT_EQ(store_->purge_older_than(cutoff), 400u);
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 600);
  EXPECT_EQ(scalar("SELECT min(ts) FROM smbta_events"), cutoff);
  EXPECT_EQ(store_->purge_older_than(cutoff), 0u);
  // Inserting after a purge still works (dictionaries were kept).
  store_->insert(std::span(rows).first(10));
  EXPECT_EQ(scalar("SELECT count(*) FROM data"), 610);
}

// smbtad's writer purges in bounded steps between ingest batches: the steps together delete
// exactly the older rows, never a newer one, each step at most its limit (or one whole day
// partition on PostgreSQL), and the hourly rollup agrees with the events after every step.
TEST_P(MaintenanceTest, PurgeInBoundedStepsKeepsNewerRowsAndRollupsExact) {
  install_rollups(*raw_, {true, false});
  const std::int64_t base = *parse_timestamp("2012-05-11 00:00:00.000");
  std::vector<Row> rows;
  std::int64_t newer_bytes = 0;
  const std::int64_t cutoff = base + 700 * 180'000;  // rows 0..699 are older (35 hours)
  for (int i = 0; i < 1000; ++i) {
    static constexpr Op kOps[] = {Op::kRead, Op::kWrite, Op::kPread, Op::kChdir, Op::kPwrite};
    Record r = smbta::testing::example_record(kOps[i % 5]);
    r.user = "user" + std::to_string(i % 7);
    r.share = "share" + std::to_string(i % 3);
    r.length = 100 + i;
    r.timestamp_ms = base + i * 180'000;  // every 3 minutes: 50 hours over three days
    if (r.timestamp_ms >= cutoff && is_read_write(r.op)) newer_bytes += r.length;
    rows.push_back(Row{r, 1});
  }
  store_->insert(rows);
  auto rollup_mismatches = [&] {
    // Integer division as the rollup keys use it (MySQL's / is not).
    const std::string k = dialect::int_div(*raw_, "vfs_id", "2");
    const std::string h = dialect::int_div(*raw_, "ts", "3600000");
    const std::int64_t groups = scalar(
        fmt::format("SELECT count(*) FROM (SELECT user_id, share_id, {0} AS k, {1} AS h FROM "
                    "smbta_events WHERE vfs_id <= 3 GROUP BY user_id, share_id, {0}, {1}) g",
                    k, h));
    const std::int64_t wrong = scalar(fmt::format(
        "SELECT count(*) FROM (SELECT user_id, share_id, {0} AS k, {1} AS h, sum(length) AS b, "
        "sum(merged) AS n FROM smbta_events WHERE vfs_id <= 3 GROUP BY user_id, share_id, {0}, "
        "{1}) e LEFT JOIN smbta_rollup_hourly r ON r.user_id = e.user_id AND r.share_id = "
        "e.share_id AND r.kind = e.k AND r.hour = e.h WHERE r.bytes IS NULL OR r.bytes <> e.b OR "
        "r.records <> e.n",
        k, h));
    return wrong + std::abs(groups - scalar("SELECT count(*) FROM smbta_rollup_hourly"));
  };
  ASSERT_EQ(rollup_mismatches(), 0);
  constexpr std::uint64_t kLimit = 37;
  const bool partitioned = GetParam() == "pgsql";
  std::uint64_t deleted = 0;
  int steps = 0;
  for (;;) {
    ASSERT_LT(steps, 100) << "the steps do not end";
    const PurgeStep s = store_->purge_step(cutoff, kLimit);
    ++steps;
    if (!partitioned) {
      EXPECT_LE(s.rows, kLimit);
    }
    deleted += s.rows;
    EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events WHERE ts >= " + std::to_string(cutoff)),
              300);
    EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 1000 - static_cast<int>(deleted));
    EXPECT_EQ(rollup_mismatches(), 0) << "after step " << steps;
    if (s.done) break;
  }
  EXPECT_EQ(deleted, 700u);
  EXPECT_GT(steps, partitioned ? 2 : 700 / static_cast<int>(kLimit));
  EXPECT_EQ(scalar("SELECT min(ts) FROM smbta_events"), cutoff);
  EXPECT_EQ(scalar("SELECT sum(length) FROM smbta_events WHERE vfs_id <= 3"), newer_bytes);
  EXPECT_EQ(scalar("SELECT sum(bytes) FROM smbta_rollup_hourly"), newer_bytes);
  const PurgeStep again = store_->purge_step(cutoff, kLimit);
  EXPECT_EQ(again.rows, 0u);
  EXPECT_TRUE(again.done);
}

TEST_P(MaintenanceTest, TheLossLedgerIsPurgedOncePerRunAtItsLastStep) {
  const std::int64_t base = *parse_timestamp("2012-05-11 00:00:00.000");
  std::vector<Row> rows;
  for (int i = 0; i < 3; ++i) {
    Record r = smbta::testing::example_record(Op::kChdir);
    r.timestamp_ms = base + i * 60'000;
    rows.push_back(Row{r, 1});
  }
  store_->insert(rows);
  SenderLoss old;
  old.server = "fs1";
  old.sender = "fs1:1:aa";
  old.last_seen_ms = base;
  loss_ledger::Bases bases;
  store_->save_loss({old}, bases);
  const std::int64_t cutoff = base + 10 * 60'000;
  if (GetParam() != "pgsql") {  // pgsql drops whole partitions: one step
    const PurgeStep first = store_->purge_step(cutoff, 1);
    ASSERT_FALSE(first.done);
    EXPECT_EQ(scalar("SELECT count(*) FROM smbta_loss"), 1) << "not with every step";
  }
  for (int i = 0; i < 10 && !store_->purge_step(cutoff, 1).done; ++i) {
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_loss"), 0) << "forgotten at the run's end";
}

TEST_P(MaintenanceTest, ModulesAreUpserted) {
  store_->note_module({"192.168.1.23", 0, 1});
  store_->note_module({"unix", 0, 0});
  store_->note_module({"192.168.1.23", 2, 2});
  store_->note_module({"x'); DROP TABLE modules; --", 1, 1});
  EXPECT_EQ(scalar("SELECT count(*) FROM modules"), 3);
  DbiResult r = raw_->query(
      "SELECT module_subrelease_number, module_common_blocks_overflow FROM modules "
      "WHERE module_ip_address = '192.168.1.23'");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.get_int(1), 2);
  EXPECT_EQ(r.get_int(2), 2);
}

TEST_P(MaintenanceTest, StatusTakesHostileStrings) {
  StatusInfo s;
  s.version = "2.0.0";
  s.client_port = 3491;
  s.unix_socket_clients = true;
  s.dbname = "it's; DROP TABLE status; --";
  s.dbhost = "back\\slash\\";
  s.dbuser = "Ünïcødé ☃";
  s.dbdriver = "sqlite3";
  s.maintenance_timer = "01:00:00";
  s.maintenance_run_time_s = 86400 * 3;
  s.debug_level = 10;
  s.precision = 0;
  s.daemon = false;
  s.use_db = true;
  s.config_file = "/etc/smbtad'.conf";
  s.bind_ip = "%";
  store_->write_status(s);
  DbiResult r = raw_->query(
      "SELECT smbtad_control_entry, smbtad_version, smbtad_database_version, "
      "smbtad_client_port, smbtad_unix_socket_clients, smbtad_dbname, smbtad_dbhost, "
      "smbtad_dbuser, smbtad_dbdriver, smbtad_maintenance_timer_str, "
      "smbtad_maintenance_run_time, smbtad_debug_level, smbtad_precision, smbtad_daemon, "
      "smbtad_use_db, smbtad_config_file, smbtad_ip FROM status");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.get_text(1), "SMBTAD");
  EXPECT_EQ(r.get_text(2), "2.0.0");
  EXPECT_EQ(r.get_text(3), "2.0.0");
  EXPECT_EQ(r.get_int(4), 3491);
  EXPECT_EQ(r.get_int(5), 1);
  EXPECT_EQ(r.get_text(6), s.dbname);
  EXPECT_EQ(r.get_text(7), s.dbhost);
  EXPECT_EQ(r.get_text(8), s.dbuser);
  EXPECT_EQ(r.get_text(9), s.dbdriver);
  EXPECT_EQ(r.get_text(10), s.maintenance_timer);
  EXPECT_EQ(r.get_int(11), 86400 * 3);
  EXPECT_EQ(r.get_int(12), 10);
  EXPECT_EQ(r.get_int(13), 0);
  EXPECT_EQ(r.get_int(14), 0);
  EXPECT_EQ(r.get_int(15), 1);
  EXPECT_EQ(r.get_text(16), s.config_file);
  EXPECT_EQ(r.get_text(17), s.bind_ip);
  EXPECT_FALSE(r.next());
  EXPECT_TRUE(store_->schema_ready());
}

TEST_P(MaintenanceTest, PingOnLiveConnection) {
  EXPECT_TRUE(store_->ping());
}

// Two writers (two smbtad instances) on one database, creating the same new dictionary
// strings in different orders at the same time: every row must arrive, each string once.
TEST_P(MaintenanceTest, ConcurrentWritersKeepEveryRow) {
  constexpr int kBatches = 20, kBatchRows = 250;
  auto writer = [&](int seed, std::exception_ptr* err) {
    try {
      auto store = db_->open();
      std::mt19937_64 rng(seed);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Row> rows;
        for (int i = 0; i < kBatchRows; ++i) {
          Record r = smbta::testing::example_record(Op::kRename);
          const auto k = rng() % 2000;
          r.path = "shared/file" + std::to_string(k);
          r.path2 = "shared/file" + std::to_string((k * 7) % 2000);
          r.user = "user" + std::to_string(rng() % 40);
          r.share = "share" + std::to_string(rng() % 10);
          r.timestamp_ms = seed * 1'000'000'000LL + b * kBatchRows + i;
          rows.push_back(Row{r, 1});
        }
        store->insert(rows);
      }
    } catch (...) {
      *err = std::current_exception();
    }
  };
  std::exception_ptr e1, e2;
  std::thread t1(writer, 1, &e1), t2(writer, 2, &e2);
  t1.join();
  t2.join();
  for (auto e : {e1, e2}) {
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      FAIL() << x.what();
    }
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 2 * kBatches * kBatchRows);
  EXPECT_EQ(scalar("SELECT count(*) FROM data WHERE string1 LIKE 'shared/file%' AND string2 "
                   "LIKE 'shared/file%' AND share LIKE 'share%' AND username LIKE 'user%'"),
            2 * kBatches * kBatchRows);
  EXPECT_EQ(scalar("SELECT count(*) - count(DISTINCT value) FROM smbta_strings"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_users"), 40);
}

// MySQL: the `data` view is read events first however wrong the server's statistics are. A new
// database's dictionaries look empty to the optimizer for a while; the view once let it start
// from them, and a count over LIKE filters on 10,000 events ran past the test's 600 s.
TEST_P(MaintenanceTest, DataViewReadsEventsFirstOnStaleStatistics) {
  if (GetParam() != "mysql") GTEST_SKIP() << "a MariaDB/MySQL optimizer question";
  // MariaDB's own (engine-independent) statistics, taken now on the empty dictionaries: the
  // optimizer prefers them to InnoDB's row counts and believes the dictionaries empty.
  raw_->exec("SET SESSION use_stat_tables = PREFERABLY");
  raw_->exec("ANALYZE TABLE smbta_strings, smbta_users PERSISTENT FOR ALL");
  std::vector<Row> rows;
  for (int i = 0; i < 5000; ++i) {
    Record r = smbta::testing::example_record(Op::kRename);
    r.path = "shared/file" + std::to_string(i % 2000);
    r.path2 = "shared/file" + std::to_string((i * 7) % 2000);
    r.user = "user" + std::to_string(i % 40);
    r.share = "share" + std::to_string(i % 10);
    r.timestamp_ms += i;
    rows.push_back(Row{r, 1});
  }
  store_->insert(rows);
  raw_->exec("ANALYZE TABLE smbta_events PERSISTENT FOR ALL");
  const std::string where =
      "FROM data WHERE string1 LIKE 'shared/file%' AND string2 LIKE 'shared/file%' AND share "
      "LIKE 'share%' AND username LIKE 'user%'";
  DbiResult plan = raw_->query("EXPLAIN SELECT count(*) " + where);
  std::vector<std::string> order;
  while (plan.next()) order.push_back(plan.get_text(3).value_or("?"));
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.front(), "e") << fmt::format("join order {}", fmt::join(order, ", "));
  EXPECT_EQ(scalar("SELECT count(*) " + where), 5000);
}

SMBTA_STORE_DRIVERS(MaintenanceTest);

// Only pgsql can lose its connection under a running process: terminate our backend.
class PgsqlConnectionTest : public StoreTest {};

TEST_P(PgsqlConnectionTest, LostConnectionIsReportedAndRecovered) {
  auto store = db_->open();
  store->create_schema();
  auto raw = db_->raw();
  std::vector<Row> rows;
  for (int i = 0; i < 10; ++i) {
    Record r = smbta::testing::example_record(Op::kWrite);
    r.path = "lost" + std::to_string(i);
    r.timestamp_ms += i;
    rows.push_back(Row{r, 1});
  }
  store->insert(std::span(rows).first(5));
  raw->exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  try {
    store->insert(std::span(rows).subspan(5));
    FAIL() << "insert on a terminated connection must fail";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.connection_lost()) << e.what();
  }
  // The driver reconnects on ping; the batch can then be retried.
  EXPECT_TRUE(store->ping());
  store->insert(std::span(rows).subspan(5));
  DbiResult r = raw->query("SELECT count(*) FROM smbta_events");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.get_int(1), 10);
}

// A server connection that can be lost exists only for PostgreSQL.
INSTANTIATE_TEST_SUITE_P(Drivers, PgsqlConnectionTest, ::testing::Values("pgsql"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace smbta::store::testing
