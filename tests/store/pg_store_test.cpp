// SPDX-License-Identifier: GPL-3.0-or-later
// PostgreSQL's own store paths: COPY escaping of hostile names, day partitions created ahead and
// on demand, retention by dropping partitions, and the conversion of an unpartitioned database.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "smbta/timestamp.h"
#include "store/pg_copy_writer.h"
#include "store/pg_partitions.h"
#include "store/prepare.h"
#include "store/rollup.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbta::store::testing {
namespace {

namespace pp = smbta::store::pg_partitions;

TEST(PgCopyText, EscapesExactlyTheBytesCopyInterprets) {
  std::string out;
  append_copy_text(out, std::string_view("a\tb\nc\rd\\e\\N\\.f\xff\xc3\xa4", 18));
  EXPECT_EQ(out, std::string_view("a\\tb\\nc\\rd\\\\e\\\\N\\\\.f\xff\xc3\xa4", 24));
  out.clear();
  append_copy_text(out, "\\");
  EXPECT_EQ(out, "\\\\");
}

TEST(PgPartitionDays, DaysAreFloorDivisionsAndNamesAreDates) {
  EXPECT_EQ(pp::day_of(0), 0);
  EXPECT_EQ(pp::day_of(pp::kDayMs - 1), 0);
  EXPECT_EQ(pp::day_of(-1), -1);
  EXPECT_EQ(pp::day_of(-pp::kDayMs), -1);
  EXPECT_EQ(pp::day_of(-pp::kDayMs - 1), -2);
  EXPECT_EQ(pp::partition_name(pp::day_of(*parse_timestamp("2026-12-02 13:00:00"))),
            "smbta_events_20261202");
  EXPECT_EQ(pp::partition_name(-1), "smbta_events_19691231");
  EXPECT_EQ(pp::partition_name(std::numeric_limits<std::int64_t>::min() / pp::kDayMs - 1),
            "smbta_events_dm106751991167");
}

class PgStoreTest : public StoreWithSchemaTest {
 protected:
  std::int64_t scalar(const std::string& sql) {
    DbiResult r = raw_->query(sql);
    EXPECT_TRUE(r.next()) << sql;
    return r.get_int(1).value_or(-1);
  }
  std::string text(const std::string& sql) {
    DbiResult r = raw_->query(sql);
    EXPECT_TRUE(r.next()) << sql;
    return r.get_text(1).value_or("<null>");
  }
  static Row row_at(std::int64_t ts, std::string path = "p", Op op = Op::kWrite) {
    Record r = smbta::testing::example_record(op);
    r.path = std::move(path);
    r.length = 10;
    r.timestamp_ms = ts;
    return Row{r, 1};
  }
  // The rollups agree with the events they sum.
  void expect_rollups_exact() {
    EXPECT_EQ(scalar("SELECT count(*) FROM (SELECT user_id, share_id, vfs_id / 2 AS k, ts / "
                     "3600000 AS h, sum(length) AS b, sum(merged) AS n FROM smbta_events WHERE "
                     "vfs_id <= 3 GROUP BY 1, 2, 3, 4) e FULL JOIN smbta_rollup_hourly r ON "
                     "r.user_id = e.user_id AND r.share_id = e.share_id AND r.kind = e.k AND "
                     "r.hour = e.h WHERE r.bytes IS DISTINCT FROM e.b OR r.records IS DISTINCT "
                     "FROM e.n"),
              0);
    // The all-time file totals (with the file rollup): per kind, and kind 2 for both.
    if (scalar(
            "SELECT count(*) FROM pg_class WHERE oid = to_regclass('smbta_rollup_file_totals')")) {
      EXPECT_EQ(scalar("SELECT count(*) FROM (SELECT share_id, COALESCE(file_id, 0) AS f, vfs_id / "
                       "2 AS k, sum(length) AS b, sum(merged) AS n FROM smbta_events WHERE vfs_id "
                       "<= 3 GROUP BY 1, 2, 3 UNION ALL SELECT share_id, COALESCE(file_id, 0), 2, "
                       "sum(length), sum(merged) FROM smbta_events WHERE vfs_id <= 3 GROUP BY 1, "
                       "2) e FULL JOIN smbta_rollup_file_totals r ON r.share_id = e.share_id AND "
                       "r.file_id = e.f AND r.kind = e.k WHERE r.bytes IS DISTINCT FROM e.b OR "
                       "r.records IS DISTINCT FROM e.n"),
                0);
    }
  }
};

TEST_P(PgStoreTest, HostileNamesAreStoredByteForByte) {
  const std::vector<std::string> names = {
      "tab\there",
      "new\nline",
      "cr\rhere",
      "back\\slash",
      "\\N",
      "\\.",
      "\\.\n\\.",
      "trailing\\",
      "\\\\\\",
      "'quote\"",
      std::string(10000, 'x') + "\t\\",
      "ümlaut ✓ 文件",
      "",
      "a\tb\nc\\d\re",
  };
  std::vector<Row> rows;
  std::int64_t ts = *parse_timestamp("2026-11-30 10:00:00");
  for (const auto& n : names) {
    Row r = row_at(ts++, n);
    r.rec.user = "u\t" + n.substr(0, 20);
    r.rec.share = "s\n" + n.substr(0, 20);
    r.rec.domain = "d\\" + n.substr(0, 20);
    rows.push_back(r);
  }
  store_->insert(rows);
  // A second store (cold cache) finds the same ids instead of adding duplicates.
  auto second = db_->open();
  second->insert(rows);
  for (const auto& n : names) {
    SCOPED_TRACE(n.substr(0, 40));
    EXPECT_EQ(scalar("SELECT count(*) FROM data WHERE string1 = " + raw_->quote(n)), 2);
    EXPECT_EQ(scalar("SELECT count(*) FROM data WHERE username = " +
                     raw_->quote("u\t" + n.substr(0, 20)) +
                     " AND share = " + raw_->quote("s\n" + n.substr(0, 20)) +
                     " AND domain = " + raw_->quote("d\\" + n.substr(0, 20))),
              2);
  }
  EXPECT_EQ(scalar("SELECT count(*) - count(DISTINCT value) FROM smbta_strings"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 2 * static_cast<int>(names.size()));
}

TEST_P(PgStoreTest, ABatchWithInvalidUtf8FailsWholeAndTheNextOneIsStored) {
  std::vector<Row> rows = {row_at(1000, "fine"), row_at(1001, "bad\xff\xfe")};
  try {
    store_->insert(rows);
    FAIL() << "PostgreSQL must refuse bytes that are not UTF-8";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.connection_lost()) << e.what();
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 0);
  rows[1].rec.path = "good";
  store_->insert(rows);
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM data WHERE string1 IN ('fine', 'good')"), 2);
}

TEST_P(PgStoreTest, EventsArePartitionedByDayWithDaysAhead) {
  EXPECT_EQ(text("SELECT CAST(relkind AS text) FROM pg_class WHERE oid = 'smbta_events'::regclass"),
            "p");
  const std::int64_t today = pp::day_of(local_now_ms());
  for (std::int64_t d = today - 1; d <= today + 3; ++d)
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = " +
                     raw_->quote(pp::partition_name(d))),
              1)
        << pp::partition_name(d);
}

// A far day gets the partition of its month or year, so that a wrong clock cannot create a
// partition per day it touches; outside years 1000-9998 every day has its own.
TEST_P(PgStoreTest, RecordsFarInThePastAndFutureGetTheirPartitions) {
  const std::vector<std::pair<std::int64_t, std::string>> cases = {
      {*parse_timestamp("1971-03-01 00:00:00"), "smbta_events_1971"},
      {*parse_timestamp("1971-07-09 10:00:00"), "smbta_events_1971"},
      {*parse_timestamp("0001-01-01 00:00:00"), "smbta_events_dm719161"},
      {*parse_timestamp("9999-12-31 23:59:59.999"), "smbta_events_99991231"},
      {-1, "smbta_events_1969"},
      {0, "smbta_events_1970"},
      {*parse_timestamp("2100-06-01 12:00:00"), "smbta_events_2100"},
      {local_now_ms() + 60 * pp::kDayMs,
       pp::partition_name(pp::day_of(local_now_ms() + 60 * pp::kDayMs)).substr(0, 19)},
      {local_now_ms() + 2 * pp::kDayMs, pp::partition_name(pp::day_of(local_now_ms()) + 2)},
  };
  std::vector<Row> rows;
  for (const auto& c : cases) rows.push_back(row_at(c.first));
  store_->insert(rows);
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), static_cast<int>(cases.size()));
  for (const auto& [t, name] : cases) {
    SCOPED_TRACE(t);
    EXPECT_EQ(text(fmt::format("SELECT CAST(tableoid::regclass AS text) FROM smbta_events WHERE "
                               "ts = {}",
                               t)),
              name);
  }
}

TEST_P(PgStoreTest, PurgeDropsWholeDaysTrimsTheEdgeAndKeepsRollupsExact) {
  install_rollups(*raw_, {true, true});
  // Recent days: each has its own partition.
  const std::int64_t day = pp::day_of(local_now_ms()) - 10;
  std::vector<Row> rows;
  for (int d = 0; d < 4; ++d)
    for (int i = 0; i < 48; ++i)
      rows.push_back(row_at((day + d) * pp::kDayMs + i * 1'800'000, "f" + std::to_string(i % 5),
                            i % 3 ? Op::kWrite : Op::kRead));
  store_->insert(rows);
  expect_rollups_exact();
  // Days 0 and 1 wholly older, day 2 older until 06:00 (12 rows of its 48).
  const std::int64_t cutoff = (day + 2) * pp::kDayMs + 6 * 3'600'000;
  EXPECT_EQ(store_->purge_older_than(cutoff), 48u + 48u + 12u);
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 48 + 36);
  EXPECT_EQ(scalar("SELECT min(ts) FROM smbta_events"), cutoff);
  for (int d : {0, 1})
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = " +
                     raw_->quote(pp::partition_name(day + d))),
              0);
  expect_rollups_exact();
  EXPECT_EQ(
      scalar("SELECT count(*) FROM smbta_rollup_files WHERE day < " + std::to_string(day + 2)), 0);
  EXPECT_EQ(scalar("SELECT sum(records) FROM smbta_rollup_files"), 48 + 36);
  EXPECT_EQ(store_->purge_older_than(cutoff), 0u);
  // A late record for a dropped day gets its partition again.
  store_->insert(std::vector<Row>{row_at(day * pp::kDayMs + 5)});
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 48 + 36 + 1);
  expect_rollups_exact();
}

TEST_P(PgStoreTest, APartitionDroppedByAnotherWriterIsCreatedAgain) {
  const std::int64_t ts = (pp::day_of(local_now_ms()) - 5) * pp::kDayMs + 43'200'000;
  store_->insert(std::vector<Row>{row_at(ts)});  // this store now knows the day's partition
  auto other = db_->open();
  EXPECT_EQ(other->purge_older_than(ts + pp::kDayMs), 1u);
  store_->insert(std::vector<Row>{row_at(ts + 1)});
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 1);
}

// An events table from before partitioning: smbta_events a plain table with its index, the
// data view and the rollup triggers on it.
void make_unpartitioned(DbiConnection& db) {
  DbiResult v = db.query("SELECT pg_get_viewdef('data'::regclass)");
  ASSERT_TRUE(v.next());
  const std::string view = v.get_text(1).value_or("");
  db.begin();
  db.exec("DROP VIEW data");
  db.exec("CREATE TABLE smbta_events_plain (LIKE smbta_events INCLUDING DEFAULTS)");
  db.exec("INSERT INTO smbta_events_plain SELECT * FROM smbta_events");
  db.exec("DROP TABLE smbta_events");
  db.exec("ALTER TABLE smbta_events_plain RENAME TO smbta_events");
  db.exec("CREATE INDEX smbta_events_ts ON smbta_events (ts)");
  db.exec("CREATE VIEW data AS " + view);
  db.commit();
  install_rollups(db, {true, false});  // the triggers, now on the plain table
}

TEST_P(PgStoreTest, PrepareConvertsAnUnpartitionedDatabase) {
  install_rollups(*raw_, {true, false});
  const std::int64_t day = pp::day_of(local_now_ms()) - 8;
  std::vector<Row> rows;
  for (int i = 0; i < 300; ++i)
    rows.push_back(row_at(day * pp::kDayMs + i * 1'000'000, "c" + std::to_string(i % 7)));
  store_->insert(rows);
  store_.reset();
  make_unpartitioned(*raw_);
  ASSERT_EQ(text("SELECT CAST(relkind AS text) FROM pg_class WHERE oid = 'smbta_events'::regclass"),
            "r");
  const std::int64_t bytes = scalar("SELECT sum(length) FROM data");

  // What smbtad -T (and every smbtad start) does.
  store_ = prepare_database(db_->params(), {true, false});
  EXPECT_EQ(text("SELECT CAST(relkind AS text) FROM pg_class WHERE oid = 'smbta_events'::regclass"),
            "p");
  EXPECT_EQ(scalar("SELECT count(*) FROM data"), 300);
  EXPECT_EQ(scalar("SELECT sum(length) FROM data"), bytes);
  EXPECT_TRUE(installed_rollups(*raw_).hourly);
  expect_rollups_exact();
  // The old rows stay in one partition reaching to the end of their newest day.
  const std::int64_t newest_day = pp::day_of(day * pp::kDayMs + 299 * 1'000'000);
  EXPECT_EQ(text("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = "
                 "'smbta_events_unpartitioned'"),
            fmt::format("FOR VALUES FROM (MINVALUE) TO ('{}')", (newest_day + 1) * pp::kDayMs));

  // New rows go to day partitions, the rollups follow, and a second prepare changes nothing.
  store_->insert(std::vector<Row>{row_at((newest_day + 2) * pp::kDayMs + 7)});
  expect_rollups_exact();
  store_ = prepare_database(db_->params(), {true, false});
  EXPECT_EQ(scalar("SELECT count(*) FROM smbta_events"), 301);
  // Retention trims the old partition, then drops it whole.
  const std::int64_t mid = day * pp::kDayMs + 150 * 1'000'000;
  EXPECT_EQ(store_->purge_older_than(mid), 150u);
  expect_rollups_exact();
  EXPECT_EQ(store_->purge_older_than((newest_day + 1) * pp::kDayMs), 150u);
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = 'smbta_events_unpartitioned'"),
            0);
  EXPECT_EQ(scalar("SELECT count(*) FROM data"), 1);
  expect_rollups_exact();
}

TEST_P(PgStoreTest, AnEmptyUnpartitionedTableIsReplaced) {
  store_.reset();
  make_unpartitioned(*raw_);
  store_ = prepare_database(db_->params(), {true, false});
  EXPECT_EQ(text("SELECT CAST(relkind AS text) FROM pg_class WHERE oid = 'smbta_events'::regclass"),
            "p");
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = 'smbta_events_unpartitioned'"),
            0);
  store_->insert(std::vector<Row>{row_at(5)});
  EXPECT_EQ(scalar("SELECT count(*) FROM data"), 1);
}

INSTANTIATE_TEST_SUITE_P(Drivers, PgStoreTest, ::testing::Values("pgsql"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace smbta::store::testing
