// SPDX-License-Identifier: GPL-3.0-or-later
// A fresh, private database per test for every driver (temp sqlite file, or a new database on
// the pgsql or mysql fixture server).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "smbta/record.h"
#include "store/dbi_connection.h"
#include "store/event_store.h"
#include "support/files.h"

namespace smbta::store::testing {

// Why: every store test must run against the real driver, isolated from other tests that
// ctest runs in parallel; pgsql tests get their own database on the fixture cluster.
class TestDb {
 public:
  // driver is "sqlite3", "pgsql" or "mysql". For a server, available() is false when the
  // SMBTA_TEST_PGSQL_* / SMBTA_TEST_MYSQL_* environment is missing.
  explicit TestDb(const std::string& driver);
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;
  ~TestDb();

  bool available() const { return available_; }
  const DbParams& params() const { return params_; }
  std::unique_ptr<EventStore> open() const { return EventStore::open(params_); }
  // A second, independent connection for inspecting or sabotaging the database.
  std::unique_ptr<DbiConnection> raw() const { return std::make_unique<DbiConnection>(params_); }

 private:
  bool available_ = false;
  DbParams params_;
  DbParams admin_;  // pgsql, mysql: the fixture database, used to create and drop ours
  std::unique_ptr<smbta::testing::TempDir> tmpdir_;  // sqlite3: the database file's
};

// Base of the tests parameterized by driver name; skips pgsql when no server is configured.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>(GetParam());
    if (!db_->available())
      GTEST_SKIP() << "SMBTA_TEST_PGSQL_* / SMBTA_TEST_MYSQL_* not set (ctest provides it)";
  }
  std::unique_ptr<TestDb> db_;
};

// Why: most store tests start from smbta's schema with the store and a second, raw connection
// open.
class StoreWithSchemaTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped()) return;
    store_ = db_->open();
    store_->create_schema();
    raw_ = db_->raw();
  }
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<DbiConnection> raw_;
};

// The fixture server's database of `driver` ("pgsql" or "mysql") from SMBTA_TEST_<DRIVER>_*;
// host and name are empty when the environment does not say.
DbParams server_params(const std::string& driver);

// Timestamp text of the `data` view, driver-independent.
std::string data_timestamp_expr(const DbiConnection& db);

// Instantiates a StoreTest-derived suite for every driver.
#define SMBTA_STORE_DRIVERS(suite)                                                         \
  INSTANTIATE_TEST_SUITE_P(Drivers, suite, ::testing::Values("sqlite3", "pgsql", "mysql"), \
                           [](const ::testing::TestParamInfo<std::string>& i) { return i.param; })

}  // namespace smbta::store::testing
