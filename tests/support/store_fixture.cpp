// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/store_fixture.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

namespace smbta::store::testing {
namespace {

// See keep_drivers_loaded_for_sanitizers().
const bool drivers_pinned = keep_drivers_loaded_for_sanitizers();

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

TestDb::TestDb(const std::string& driver) {
  params_.driver = driver;
  if (driver == "sqlite3") {
    tmpdir_ = std::make_unique<smbta::testing::TempDir>("smbta-store");
    // A missing subdirectory: the store has to create it.
    params_.sqlite_dbdir = (tmpdir_->path() / "sub" / "dir").string();
    params_.name = "test.db";
    available_ = true;
    return;
  }
  admin_.driver = driver;
  admin_.host = env("SMBTA_TEST_PGSQL_HOST");
  admin_.port = env("SMBTA_TEST_PGSQL_PORT");
  admin_.user = env("SMBTA_TEST_PGSQL_USER");
  admin_.password = env("SMBTA_TEST_PGSQL_PASSWORD");
  admin_.name = env("SMBTA_TEST_PGSQL_DBNAME");
  if (admin_.host.empty() || admin_.name.empty()) return;
  static std::atomic<int> counter{0};
  params_ = admin_;
  params_.name = fmt::format("smbta_t{}_{}", getpid(), counter++);
  DbiConnection admin(admin_);
  admin.exec("DROP DATABASE IF EXISTS " + params_.name);
  admin.exec("CREATE DATABASE " + params_.name);
  available_ = true;
}

TestDb::~TestDb() {
  if (available_ && params_.driver == "pgsql") {
    try {
      DbiConnection admin(admin_);
      admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", params_.name));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop test database: " << e.what();
    }
  }
}

std::string data_timestamp_expr(const DbiConnection& db) {
  return db.is_pgsql() ? "to_char(timestamp, 'YYYY-MM-DD HH24:MI:SS.MS')" : "timestamp";
}

}  // namespace smbta::store::testing
