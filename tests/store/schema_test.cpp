// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <string>

#include "store/schema.h"
#include "support/legacy_schema.h"
#include "support/store_fixture.h"

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

TEST(SchemaTestSqlite, UnsupportedDriverIsAnError) {
  DbParams p;
  p.driver = "no_such_driver";
  EXPECT_THROW(EventStore::open(p), StoreError);
}

SMBTA_STORE_DRIVERS(SchemaTest);

}  // namespace
}  // namespace smbta::store::testing
