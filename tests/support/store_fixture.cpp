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
  admin_ = server_params(driver);
  if (admin_.host.empty() || admin_.name.empty()) return;
  static std::atomic<int> counter{0};
  params_ = admin_;
  params_.name = fmt::format("smbta_t{}_{}", getpid(), counter++);
  DbiConnection admin(admin_);
  admin.exec("DROP DATABASE IF EXISTS " + params_.name);
  admin.exec("CREATE DATABASE " + params_.name +
             (driver == "mysql" ? " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" : ""));
  available_ = true;
}

TestDb::~TestDb() {
  if (available_ && params_.driver != "sqlite3") {
    try {
      DbiConnection admin(admin_);
      admin.exec(fmt::format("DROP DATABASE IF EXISTS {}{}", params_.name,
                             params_.driver == "pgsql" ? " WITH (FORCE)" : ""));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop test database: " << e.what();
    }
  }
}

DbParams server_params(const std::string& driver) {
  // SMBTA_TEST_PGSQL_* or SMBTA_TEST_MYSQL_* (ctest's fixtures set them).
  const std::string prefix = driver == "mysql" ? "SMBTA_TEST_MYSQL_" : "SMBTA_TEST_PGSQL_";
  DbParams p;
  p.driver = driver;
  p.host = env((prefix + "HOST").c_str());
  p.port = env((prefix + "PORT").c_str());
  p.user = env((prefix + "USER").c_str());
  p.password = env((prefix + "PASSWORD").c_str());
  p.name = env((prefix + "DBNAME").c_str());
  return p;
}

std::string data_timestamp_expr(const DbiConnection& db) {
  if (db.is_mysql()) return "LEFT(DATE_FORMAT(timestamp, '%Y-%m-%d %H:%i:%s.%f'), 23)";
  return db.is_pgsql() ? "to_char(timestamp, 'YYYY-MM-DD HH24:MI:SS.MS')" : "timestamp";
}

}  // namespace smbta::store::testing
