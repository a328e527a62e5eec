// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "store/schema.h"
#include "support/files.h"
#include "support/legacy_schema.h"
#include "support/store_fixture.h"
#include "support/test_records.h"

namespace smbta::store::testing {
namespace {

class SchemaTest : public StoreTest {};

std::string status_version(DbiConnection& db) {
  DbiResult r = db.query(
      "SELECT smbtad_version, smbtad_database_version FROM status "
      "WHERE smbtad_control_entry = 'SMBTAD'");
  EXPECT_TRUE(r.next());
  EXPECT_EQ(r.get_text(1), r.get_text(2));
  EXPECT_FALSE(r.next()) << "exactly one status row";
  return r.get_text(2).value_or("");
}

TEST_P(SchemaTest, EmptyDatabaseIsNotReady) {
  auto store = db_->open();
  EXPECT_FALSE(store->schema_ready());
}

TEST_P(SchemaTest, CreateIsIdempotent) {
  auto store = db_->open();
  store->create_schema();
  EXPECT_TRUE(store->schema_ready());
  store->create_schema();
  EXPECT_TRUE(store->schema_ready());
  auto raw = db_->raw();
  EXPECT_EQ(status_version(*raw), "2.0.0");
  // The 1.2.6 columns of every compatibility relation, in order.
  DbiResult r = raw->query(
      "SELECT vfs_id, username, usersid, share, domain, timestamp, string1, length, result, "
      "string2 FROM data");
  EXPECT_FALSE(r.next());
  raw->query(
      "SELECT smbtad_control_entry, smbtad_version, smbtad_database_version, "
      "smbtad_client_port, smbtad_unix_socket_clients, smbtad_dbname, smbtad_dbhost, "
      "smbtad_dbuser, smbtad_dbdriver, smbtad_maintenance_timer_str, "
      "smbtad_maintenance_run_time, smbtad_debug_level, smbtad_precision, smbtad_daemon, "
      "smbtad_use_db, smbtad_config_file, smbtad_ip FROM status");
  raw->query(
      "SELECT module_subrelease_number, module_common_blocks_overflow, module_ip_address "
      "FROM modules");
}

TEST_P(SchemaTest, SecondConnectionSeesSchema) {
  db_->open()->create_schema();
  EXPECT_TRUE(db_->open()->schema_ready());
}

void expect_convert_advice(EventStore& store) {
  try {
    store.schema_ready();
    FAIL() << "a 1.2.x database must not be accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("smbtaquery -C"), std::string::npos) << e.what();
    EXPECT_FALSE(e.connection_lost());
  }
}

TEST_P(SchemaTest, Version126DatabaseAsksForConversion) {
  // Left for issue 12: the 1.2.6 fixture's DDL (varchar without a length) is not MySQL's, so a
  // 1.2.x MySQL database is not yet tested here.
  if (GetParam() == "mysql") GTEST_SKIP() << "the 1.2.6 schema fixture has no MySQL DDL yet";
  smbta::testing::create_126_schema(*db_->raw());
  auto store = db_->open();
  expect_convert_advice(*store);
  // create_schema must not mix new tables into the old database either.
  EXPECT_THROW(store->create_schema(), StoreError);
  expect_convert_advice(*store);
}

TEST_P(SchemaTest, OldStatusVersionAsksForConversion) {
  auto store = db_->open();
  store->create_schema();
  db_->raw()->exec("UPDATE status SET smbtad_database_version = '1.2.5'");
  expect_convert_advice(*store);
}

TEST_P(SchemaTest, NewerSchemaIsRefused) {
  auto store = db_->open();
  store->create_schema();
  db_->raw()->exec("UPDATE status SET smbtad_database_version = '3.0.0'");
  try {
    store->schema_ready();
    FAIL() << "a newer schema must not be used";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("3.0.0"), std::string::npos) << e.what();
  }
}

TEST_P(SchemaTest, PartlyCreatedSchemaIsNotReadyAndCompletes) {
  auto store = db_->open();
  store->create_schema();
  auto raw = db_->raw();
  raw->exec("DROP VIEW data");
  EXPECT_FALSE(store->schema_ready());
  store->create_schema();
  EXPECT_TRUE(store->schema_ready());
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(SchemaTestSqlite, DatabaseFilesAndDirectoriesArePrivate) {
  // User names, SIDs and paths: 0600 files in 0700 directories, parents included.
  const smbta::testing::TempDir tmp("smbta-perm");
  const auto dir = tmp.path() / "a" / "b";
  DbParams p;
  p.name = (dir / "staddb").string();
  {
    auto store = EventStore::open(p);
    store->create_schema();
    store->insert(std::vector<Row>{Row{smbta::testing::example_record(Op::kWrite)}});
  }
  EXPECT_EQ(mode_of(dir / "staddb"), 0600u);
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(tmp.path() / "a"), 0700u);
}

TEST(SchemaTestSqlite, MustExistNeitherCreatesNorConnects) {
  const smbta::testing::TempDir tmp("smbta-exist");
  DbParams p;
  p.name = (tmp.path() / "sub" / "staddb").string();
  p.must_exist = true;
  try {
    DbiConnection db(p);
    FAIL() << "a missing database was opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(p.name), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "sub"));
}

// The 1.2.6 query shapes (smbtaquery.md) on the view, quoted and unquoted.
void check_126_shapes(DbiConnection& db, std::int64_t read_bytes, std::int64_t reads) {
  auto one = [&](const std::string& sql) {
    DbiResult r = db.query(sql);
    EXPECT_TRUE(r.next()) << sql;
    return r.get_int(1);
  };
  EXPECT_EQ(one("SELECT SUM(length) FROM data WHERE vfs_id = '0'"), read_bytes);
  EXPECT_EQ(one("SELECT SUM(length) FROM data WHERE vfs_id = 0"), read_bytes);
  EXPECT_EQ(one("SELECT COUNT(*) FROM data WHERE vfs_id = '0'"), reads);
  EXPECT_EQ(one("SELECT CAST(AVG(length) AS integer) FROM data WHERE vfs_id = '0' AND "
                "timestamp >= '2000-01-01 00:00:00' AND timestamp < '2100-01-01 00:00:00'"),
            reads ? std::optional<std::int64_t>(read_bytes / reads) : std::nullopt);
  EXPECT_EQ(one("SELECT COUNT(*) FROM data WHERE username LIKE '%olge%' AND (vfs_id = 0 or "
                "vfs_id = 2)"),
            one("SELECT COUNT(*) FROM data WHERE username = 'holger' AND (vfs_id = '0' or "
                "vfs_id = '2')"));
  // string2 holds the open mode as text: found by the text, and on sqlite3 (whose 1.2.6 varchar
  // column compared numbers as text) by the number too; PostgreSQL refused text = integer in
  // 1.2.6 already.
  if (db.is_sqlite()) {
    EXPECT_EQ(one("SELECT COUNT(*) FROM data WHERE vfs_id = '8' AND string2 = '420'"),
              one("SELECT COUNT(*) FROM data WHERE vfs_id = 8 AND string2 = 420"));
  }
  EXPECT_GE(one("SELECT COUNT(*) FROM data WHERE vfs_id = '8' AND string2 = '420'").value_or(0), 1);
  EXPECT_EQ(one("SELECT COUNT(*) FROM data WHERE result = '0' AND vfs_id = '8'"),
            one("SELECT COUNT(*) FROM data WHERE result = 0 AND vfs_id = 8"));
  // Ordered by time, oldest first.
  std::vector<std::string> times;
  for (DbiResult r = db.query("SELECT timestamp FROM data ORDER BY timestamp"); r.next();)
    times.push_back(r.get_text(1).value_or(""));
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  // The declared 1.2.6 types.
  DbiResult t = db.query(
      db.is_sqlite() ? "SELECT typeof(vfs_id), typeof(length), typeof(string2) FROM data WHERE "
                       "vfs_id = '8' LIMIT 1"
                     : "SELECT pg_typeof(vfs_id)::text, pg_typeof(length)::text, "
                       "pg_typeof(string2)::text FROM data WHERE vfs_id = '8' LIMIT 1");
  ASSERT_TRUE(t.next());
  EXPECT_EQ(t.get_text(1), "integer");
  if (db.is_pgsql()) {
    EXPECT_EQ(t.get_text(2), "integer");  // sqlite: NULL for an open
  }
  EXPECT_EQ(t.get_text(3), "text");
  DbiResult len =
      db.query(db.is_sqlite() ? "SELECT typeof(length) FROM data WHERE vfs_id = '0' LIMIT 1"
                              : "SELECT pg_typeof(length)::text FROM data WHERE vfs_id = '0' "
                                "LIMIT 1");
  ASSERT_TRUE(len.next());
  EXPECT_EQ(len.get_text(1), "integer");
}

TEST_P(SchemaTest, DataViewHasThe126ColumnTypes) {
  // The type check below is written for sqlite's typeof and PostgreSQL's pg_typeof.
  if (GetParam() == "mysql") GTEST_SKIP() << "no MySQL type check yet";
  auto store = db_->open();
  store->create_schema();
  std::vector<Row> rows;
  for (Op op : {Op::kRead, Op::kPread, Op::kWrite, Op::kOpen, Op::kClose}) {
    Row r{smbta::testing::example_record(op)};
    r.rec.length = op == Op::kRead ? 1000 : op == Op::kPread ? 24 : op == Op::kWrite ? 7 : 0;
    r.rec.mode = 420;
    rows.push_back(r);
  }
  store->insert(rows);
  auto raw = db_->raw();
  check_126_shapes(*raw, 1024, 2);

  // A view of the earlier definition (untyped vfs_id) is replaced when the schema is created.
  raw->exec("DROP VIEW data");
  raw->exec(
      "CREATE VIEW data AS SELECT CASE e.vfs_id WHEN 1 THEN 0 ELSE e.vfs_id END AS vfs_id, "
      "e.length AS length FROM smbta_events e");
  store->create_schema();
  check_126_shapes(*raw, 1024, 2);
}

TEST(SchemaTestSqlite, UnsupportedDriverIsAnError) {
  DbParams p;
  p.driver = "no_such_driver";
  EXPECT_THROW(EventStore::open(p), StoreError);
}

SMBTA_STORE_DRIVERS(SchemaTest);

}  // namespace
}  // namespace smbta::store::testing
