// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/convert.h"

#include <fmt/format.h>

#include <set>
#include <stdexcept>

#include "store/pg_partitions.h"
#include "store/schema.h"

namespace smbta::store {
namespace {

constexpr const char* kLegacy = "smbta_legacy_data";
// Rows per copy statement on sqlite3 (by rowid), so that progress can be shown.
constexpr std::int64_t kChunk = 250'000;

// "table", "view" or "" for a relation name.
std::string relation_type(DbiConnection& db, std::string_view name) {
  DbiResult r =
      db.is_sqlite()
          ? db.query(fmt::format("SELECT type FROM sqlite_master WHERE name = {}", db.quote(name)))
          : db.query(fmt::format(
                "SELECT CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END FROM "
                "information_schema.tables WHERE table_schema = current_schema() AND table_name "
                "= {}",
                db.quote(name)));
  return r.next() ? r.get_text(1).value_or("") : "";
}

std::int64_t scalar(DbiConnection& db, const std::string& sql) {
  DbiResult r = db.query(sql);
  return r.next() ? r.get_int(1).value_or(0) : 0;
}

// The 1.2.x timestamp column as naive epoch milliseconds (the text/timestamp holds local time).
std::string ts_expr(const DbiConnection& db) {
  if (db.is_sqlite())
    return "CAST(strftime('%s', l.\"timestamp\") AS INTEGER) * 1000 + CASE WHEN "
           "length(l.\"timestamp\") >= 23 THEN CAST(substr(l.\"timestamp\", 21, 3) AS INTEGER) "
           "ELSE 0 END";
  return "CAST(ROUND(EXTRACT(EPOCH FROM l.\"timestamp\") * 1000) AS bigint)";
}

std::string mode_expr(const DbiConnection& db) {
  if (db.is_sqlite()) return "CAST(l.string2 AS INTEGER)";
  return "CASE WHEN l.string2 ~ '^[0-9]{1,18}$' THEN CAST(l.string2 AS bigint) END";
}

void in_transaction(DbiConnection& db, const std::function<void()>& body) {
  db.begin();
  try {
    body();
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

}  // namespace

ConvertReport convert_legacy(DbiConnection& db, bool dry_run,
                             const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (!db.is_sqlite() && !db.is_pgsql() && !db.is_mysql())
    throw StoreError("conversion supports sqlite3, pgsql and mysql databases", false);
  ConvertReport rep;
  if (db.is_mysql()) {
    // SMBTA 1.2.6 could not create its schema on MySQL (varchar without a length), so no 1.2.x
    // database exists there; a `data` table is someone else's.
    if (schema::has_table(db, "data") && !schema::ready(db))
      throw StoreError("a `data` table on MySQL is not an SMBTA 1.2.x database; not converted",
                       false);
    return rep;
  }
  std::string source;
  if (relation_type(db, "data") == "table")
    source = "data";
  else if (relation_type(db, kLegacy) == "table")
    source = kLegacy;  // an interrupted earlier run
  else
    return rep;
  rep.needed = true;
  {
    DbiResult r = db.query(fmt::format(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN vfs_id IN (0, 1, 2, 3) THEN 1 ELSE 0 END), "
        "0) AS bigint), CAST(COALESCE(SUM(CASE WHEN vfs_id IN (0, 1, 2, 3) THEN "
        "COALESCE(length, 0) ELSE 0 END), 0) AS bigint) FROM {} WHERE vfs_id IS NOT NULL",
        source));
    if (r.next()) {
      rep.rows = static_cast<std::uint64_t>(r.get_int(1).value_or(0));
      rep.rw_rows = static_cast<std::uint64_t>(r.get_int(2).value_or(0));
      rep.rw_bytes = r.get_int(3).value_or(0);
    }
    rep.users = static_cast<std::uint64_t>(scalar(
        db, fmt::format("SELECT COUNT(*) FROM (SELECT DISTINCT username, usersid, domain FROM {}) "
                        "x",
                        source)));
    if (relation_type(db, "status") == "table") {
      DbiResult v = db.query(
          "SELECT smbtad_database_version FROM status WHERE smbtad_control_entry = 'SMBTAD'");
      if (v.next()) rep.from_version = v.get_text(1).value_or("");
    }
  }
  if (dry_run) return rep;

  // Step 1: free the name `data` for the compatibility view; mark the status row so that the
  // schema check no longer sees a 1.2.x database.
  if (source == "data") {
    in_transaction(db, [&] {
      db.exec(fmt::format("ALTER TABLE data RENAME TO {}", kLegacy));
      if (relation_type(db, "status") == "table")
        db.exec(fmt::format(
            "UPDATE status SET smbtad_database_version = {} WHERE smbtad_control_entry = "
            "'SMBTAD'",
            db.quote(schema::kSchemaVersion)));
    });
    source = kLegacy;
  }
  // Step 2: the current schema (idempotent).
  schema::create(db);
  // Step 3: copy, verify, drop.
  in_transaction(db, [&] {
    const std::string L = kLegacy;
    const char* nothing =
        db.is_sqlite() ? " WHERE true ON CONFLICT DO NOTHING" : " ON CONFLICT DO NOTHING";
    db.exec(fmt::format(
        "INSERT INTO smbta_strings (value) SELECT v FROM (SELECT COALESCE(share, '') AS v FROM {0} "
        "UNION SELECT string1 FROM {0} WHERE string1 IS NOT NULL UNION SELECT string2 FROM {0} "
        "WHERE vfs_id = 6 AND string2 IS NOT NULL) x{1}",
        L, nothing));
    db.exec(fmt::format(
        "INSERT INTO smbta_users (username, usersid, domain) SELECT DISTINCT COALESCE(username, "
        "''), COALESCE(usersid, ''), COALESCE(domain, '') FROM {}{}",
        L, nothing));
    const std::int64_t before = scalar(
        db, "SELECT CAST(COALESCE(SUM(length), 0) AS bigint) FROM smbta_events WHERE vfs_id <= 3");
    const std::string insert = fmt::format(
        "INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, file2_id, length, "
        "mode, result, merged) SELECT COALESCE({0}, 0), l.vfs_id, u.id, s.id, f.id, f2.id, CASE "
        "WHEN l.vfs_id <= 3 THEN COALESCE(l.length, 0) END, CASE WHEN l.vfs_id IN (4, 8) THEN {1} "
        "END, CASE WHEN l.vfs_id > 3 THEN l.result END, 1 FROM {2} l JOIN smbta_users u ON "
        "u.username = COALESCE(l.username, '') AND u.usersid = COALESCE(l.usersid, '') AND "
        "u.domain = COALESCE(l.domain, '') JOIN smbta_strings s ON s.value = COALESCE(l.share, "
        "'') LEFT JOIN smbta_strings f ON f.value = l.string1 LEFT JOIN smbta_strings f2 ON "
        "l.vfs_id = 6 AND f2.value = l.string2 WHERE l.vfs_id IS NOT NULL",
        ts_expr(db), mode_expr(db), L);
    if (db.is_pgsql()) {
      // smbta_events is partitioned by day: every day the 1.2.x rows cover needs its partition.
      std::set<std::int64_t> days;
      DbiResult d = db.query(fmt::format(
          "SELECT DISTINCT CAST(floor(COALESCE({}, 0) / 86400000.0) AS bigint) FROM {} l WHERE "
          "l.vfs_id IS NOT NULL",
          ts_expr(db), L));
      while (d.next()) days.insert(d.get_int(1).value_or(0));
      pg_partitions::create_days(db, days);
    }
    std::uint64_t copied = 0;
    if (progress) progress(0, rep.rows);
    if (db.is_sqlite()) {
      const std::int64_t max_rowid = scalar(db, "SELECT COALESCE(MAX(rowid), 0) FROM " + L);
      for (std::int64_t lo = 0; lo < max_rowid; lo += kChunk) {
        copied +=
            db.exec(fmt::format("{} AND l.rowid > {} AND l.rowid <= {}", insert, lo, lo + kChunk));
        if (progress) progress(copied, rep.rows);
      }
    } else {
      copied = db.exec(insert);
      if (progress) progress(copied, rep.rows);
    }
    const std::int64_t after = scalar(
        db, "SELECT CAST(COALESCE(SUM(length), 0) AS bigint) FROM smbta_events WHERE vfs_id <= 3");
    if (copied != rep.rows || after - before != rep.rw_bytes)
      throw std::runtime_error(fmt::format(
          "conversion check failed: copied {} of {} rows, {} of {} read/write bytes; the copy "
          "was rolled back, the 1.2.x rows are kept in smbta_legacy_data",
          copied, rep.rows, after - before, rep.rw_bytes));
    db.exec("DROP TABLE " + L);
  });
  return rep;
}

}  // namespace smbta::store
