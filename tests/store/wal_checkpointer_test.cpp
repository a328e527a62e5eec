// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "support/files.h"

namespace smbta::store {
namespace {

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& file) {
    EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
  }
  ~Db() { sqlite3_close(db); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  }
  long long count() {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, nullptr);
    sqlite3_step(st);
    const long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  }
};

// Commits `batches` transactions of 2,000 rows of 500 bytes (about 250 pages of 4 KiB each).
void write(Db& d, int batches) {
  for (int b = 0; b < batches; ++b)
    d.exec(
        "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
        "INSERT INTO t (v) SELECT randomblob(500) FROM n; COMMIT");
}

template <typename Cond>
bool wait_for(Cond cond) {
  for (int i = 0; i < 3000; ++i) {  // 30 s: a busy machine
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

TEST(WalCheckpointer, CopiesTheWalIntoTheDatabaseWhileTheWriterGoesOn) {
  smbta::testing::TempDir dir;
  const auto file = dir.path() / "db";
  Db writer(file.string());
  writer.exec("CREATE TABLE t (v blob)");
  const auto empty = std::filesystem::file_size(file);
  WalCheckpointer cp(writer.db);
  write(writer, 20);  // about 5,000 pages, several times the threshold
  // The rows reach the database file itself, without a commit or close of the writer waiting.
  ASSERT_TRUE(wait_for([&] { return cp.checkpoints() > 0; }));
  ASSERT_TRUE(wait_for([&] { return std::filesystem::file_size(file) > empty + 4'000'000; }))
      << std::filesystem::file_size(file);
  EXPECT_EQ(writer.count(), 40'000);
  // A reader of its own sees every row.
  Db reader(file.string());
  EXPECT_EQ(reader.count(), 40'000);
}

TEST(WalCheckpointer, TheWalStaysBoundedWhileAReaderHoldsAnOldSnapshot) {
  smbta::testing::TempDir dir;
  const auto file = dir.path() / "db";
  Db writer(file.string());
  writer.exec("CREATE TABLE t (v blob)");
  write(writer, 1);
  Db reader(file.string());
  reader.exec("BEGIN");
  EXPECT_EQ(reader.count(), 2000);  // the snapshot pins the WAL's frames from here on
  {
    WalCheckpointer cp(writer.db);
    write(writer, 80);  // about 20,000 pages: past the writer's own threshold
  }
  reader.exec("COMMIT");
  // Once the reader is gone the writer's next commits may reuse the WAL; the rows are all there.
  EXPECT_EQ(reader.count(), 162'000);
  write(writer, 1);
  EXPECT_EQ(writer.count(), 164'000);
}

TEST(WalCheckpointer, LeavesAnInMemoryDatabaseToSqlite) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  {
    WalCheckpointer cp(db);
    EXPECT_EQ(cp.checkpoints(), 0u);
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace smbta::store
