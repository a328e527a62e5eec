// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/sqlite_writer.h"

#include <fmt/format.h>

#include <string>

#include "store/event_store.h"

namespace smbta::store {
namespace {

constexpr int kColumns = 12;
constexpr const char* kInsertHead =
    "INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, file2_id, length, mode, "
    "result, merged, client_id, latency_us) VALUES ";

std::string insert_sql(int rows) {
  std::string sql = kInsertHead;
  for (int i = 0; i < rows; ++i)
    sql += i ? ",(?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?)";
  return sql;
}

void bind_opt(sqlite3_stmt* st, int i, const std::optional<std::int64_t>& v) {
  if (v)
    sqlite3_bind_int64(st, i, *v);
  else
    sqlite3_bind_null(st, i);
}

void bind_text(sqlite3_stmt* st, int i, std::string_view v) {
  // SQLITE_STATIC: the caller's string outlives the step that uses it.
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

}  // namespace

SqliteWriter::~SqliteWriter() {
  for (auto* st : {insert_many_, insert_one_, string_insert_, string_select_, user_insert_,
                   user_select_, grow_})
    sqlite3_finalize(st);
}

sqlite3_stmt* SqliteWriter::prepare(sqlite3_stmt*& slot, const char* sql) {
  if (!slot && sqlite3_prepare_v2(db_, sql, -1, &slot, nullptr) != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(slot);
    slot = nullptr;
    throw StoreError(fmt::format("cannot prepare statement: {}", msg), false);
  }
  return slot;
}

void SqliteWriter::step_done(sqlite3_stmt* st, const char* what) {
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    // A lock held past the busy timeout, a full disk, an I/O error or exhausted memory are the
    // file's state, not the row's: the row waits for them to pass instead of being set aside.
    const int primary = rc & 0xff;
    throw StoreError(fmt::format("{} failed: {}", what, sqlite3_errmsg(db_)),
                     primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL ||
                         primary == SQLITE_IOERR || primary == SQLITE_NOMEM);
  }
}

bool SqliteWriter::grow(const EventColumns& row, std::int64_t from, std::int64_t to) {
  // One row at most, even if two ever matched: a sum must not be added twice.
  sqlite3_stmt* st = prepare(
      grow_,
      "UPDATE smbta_events SET length = length + ?1, merged = merged + ?2, latency_us = "
      "CASE WHEN ?9 IS NULL THEN latency_us ELSE COALESCE(latency_us, 0) + ?9 END WHERE "
      "rowid = (SELECT rowid FROM smbta_events WHERE ts >= ?3 AND ts < ?4 AND vfs_id = ?5 AND "
      "user_id = ?6 AND share_id = ?7 AND file_id = ?8 LIMIT 1)");
  sqlite3_bind_int64(st, 1, row.length.value_or(0));
  sqlite3_bind_int64(st, 2, row.merged);
  sqlite3_bind_int64(st, 3, from);
  sqlite3_bind_int64(st, 4, to);
  sqlite3_bind_int(st, 5, row.vfs_id);
  sqlite3_bind_int64(st, 6, row.user_id);
  sqlite3_bind_int64(st, 7, row.share_id);
  sqlite3_bind_int64(st, 8, row.file_id);
  bind_opt(st, 9, row.latency_us);
  step_done(st, "growing an aggregated row");
  return sqlite3_changes(db_) > 0;
}

std::int64_t SqliteWriter::string_id(std::string_view value) {
  sqlite3_stmt* ins = prepare(
      string_insert_, "INSERT INTO smbta_strings (value) VALUES (?) ON CONFLICT DO NOTHING");
  bind_text(ins, 1, value);
  step_done(ins, "dictionary insert");
  if (sqlite3_changes(db_) == 1) return sqlite3_last_insert_rowid(db_);
  sqlite3_stmt* sel = prepare(string_select_, "SELECT id FROM smbta_strings WHERE value = ?");
  bind_text(sel, 1, value);
  const int rc = sqlite3_step(sel);
  const std::int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(sel, 0) : -1;
  sqlite3_reset(sel);
  if (id < 0)
    throw StoreError(fmt::format("dictionary lookup failed: {}", sqlite3_errmsg(db_)), false);
  return id;
}

std::int64_t SqliteWriter::user_id(std::string_view user, std::string_view sid,
                                   std::string_view domain) {
  sqlite3_stmt* ins =
      prepare(user_insert_,
              "INSERT INTO smbta_users (username, usersid, domain) VALUES (?, ?, ?) "
              "ON CONFLICT DO NOTHING");
  bind_text(ins, 1, user);
  bind_text(ins, 2, sid);
  bind_text(ins, 3, domain);
  step_done(ins, "user insert");
  if (sqlite3_changes(db_) == 1) return sqlite3_last_insert_rowid(db_);
  sqlite3_stmt* sel = prepare(
      user_select_, "SELECT id FROM smbta_users WHERE username = ? AND usersid = ? AND domain = ?");
  bind_text(sel, 1, user);
  bind_text(sel, 2, sid);
  bind_text(sel, 3, domain);
  const int rc = sqlite3_step(sel);
  const std::int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(sel, 0) : -1;
  sqlite3_reset(sel);
  if (id < 0) throw StoreError(fmt::format("user lookup failed: {}", sqlite3_errmsg(db_)), false);
  return id;
}

void SqliteWriter::bind_row(sqlite3_stmt* st, int p, const EventColumns& r) {
  sqlite3_bind_int64(st, p + 1, r.ts);
  sqlite3_bind_int(st, p + 2, r.vfs_id);
  sqlite3_bind_int64(st, p + 3, r.user_id);
  sqlite3_bind_int64(st, p + 4, r.share_id);
  sqlite3_bind_int64(st, p + 5, r.file_id);
  bind_opt(st, p + 6, r.file2_id);
  bind_opt(st, p + 7, r.length);
  bind_opt(st, p + 8, r.mode);
  bind_opt(st, p + 9, r.result);
  sqlite3_bind_int64(st, p + 10, r.merged);
  bind_opt(st, p + 11, r.client_id);
  bind_opt(st, p + 12, r.latency_us);
}

void SqliteWriter::add(const EventColumns& row) {
  queue_[pending_++] = row;
  if (pending_ < kRowsPerStatement) return;
  static const std::string many = insert_sql(kRowsPerStatement);
  sqlite3_stmt* st = prepare(insert_many_, many.c_str());
  for (int i = 0; i < kRowsPerStatement; ++i) bind_row(st, i * kColumns, queue_[i]);
  pending_ = 0;
  step_done(st, "event insert");
}

void SqliteWriter::flush() {
  static const std::string one = insert_sql(1);
  const int n = pending_;
  pending_ = 0;
  for (int i = 0; i < n; ++i) {
    sqlite3_stmt* st = prepare(insert_one_, one.c_str());
    bind_row(st, 0, queue_[i]);
    step_done(st, "event insert");
  }
}

}  // namespace smbta::store
