// SPDX-License-Identifier: GPL-3.0-or-later
// The sqlite3 hot path: prepared multi-row event inserts and dictionary lookups on the native
// handle of a libdbi connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace smbta::store {

// The column values of one smbta_events row, NULL as std::nullopt.
struct EventColumns {
  std::int64_t ts = 0;
  int vfs_id = 0;
  std::int64_t user_id = 0;
  std::int64_t share_id = 0;
  std::int64_t file_id = 0;
  std::optional<std::int64_t> file2_id, length, mode, result;
  std::int64_t merged = 1;
  std::optional<std::int64_t> client_id;
  std::optional<std::int64_t> latency_us;  // sum over the merged records (schema.cpp)
};

// Why: through libdbi every statement is SQL text, and parsing multi-row INSERT text was 40 %
// of the store's CPU time on sqlite3 (bench/store_bench), well over the daemon's budget. The
// same multi-row INSERT prepared once and bound per batch costs a fraction. It runs on the
// handle of the libdbi connection, inside the transactions libdbi begins and commits.
class SqliteWriter {
 public:
  // Rows bound per execution of the multi-row statement.
  static constexpr int kRowsPerStatement = 100;

  explicit SqliteWriter(sqlite3* db) : db_(db) {}
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;
  ~SqliteWriter();

  // The id of a dictionary value, inserting the value if missing. Throws StoreError.
  std::int64_t string_id(std::string_view value);
  std::int64_t user_id(std::string_view user, std::string_view sid, std::string_view domain);

  // Queues one row; executes the statement whenever kRowsPerStatement rows are bound.
  void add(const EventColumns& row);
  // Writes the queued rows. Must be called before commit.
  void flush();
  // Adds length and merged of `row` to one existing row of the same vfs_id, user, share and
  // file whose ts lies in [from, to). Returns false when there is none. Call flush() first.
  bool grow(const EventColumns& row, std::int64_t from, std::int64_t to);

  // Forgets queued rows (after an error).
  void discard() { pending_ = 0; }

 private:
  sqlite3_stmt* prepare(sqlite3_stmt*& slot, const char* sql);
  void bind_row(sqlite3_stmt* st, int first_param, const EventColumns& row);
  void step_done(sqlite3_stmt* st, const char* what);

  sqlite3* db_;
  sqlite3_stmt* insert_many_ = nullptr;
  sqlite3_stmt* insert_one_ = nullptr;
  sqlite3_stmt* string_insert_ = nullptr;
  sqlite3_stmt* string_select_ = nullptr;
  sqlite3_stmt* user_insert_ = nullptr;
  sqlite3_stmt* user_select_ = nullptr;
  sqlite3_stmt* grow_ = nullptr;
  EventColumns queue_[kRowsPerStatement];
  int pending_ = 0;
};

}  // namespace smbta::store
