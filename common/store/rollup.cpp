// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/rollup.h"

#include <fmt/format.h>

#include "store/latency_rollup.h"
#include "store/sql_dialect.h"

#include <string>
#include <vector>

namespace smbta::store {
namespace {

// One rollup: a table of byte and record sums of the R/W events (vfs_id <= 3) grouped by key
// columns computed from event columns, and the triggers that keep it exact.
struct KeyColumn {
  const char* name;
  const char* expr;  // over an event row; "$" stands for the row prefix (NEW., OLD. or none)
  const char* pg_type;
};

struct RollupDef {
  const char* table;
  const char* triggers;  // trigger name prefix: <prefix>_ins, _del, _upd (and _fn on pgsql)
  std::vector<KeyColumn> keys;
  // Also adds every R/W event under kind 2 (read and write together), so that a ranking of
  // read+write traffic reads one row per key from an index instead of summing two.
  bool rw_row = false;
  // Secondary indexes: "name (columns)".
  std::vector<const char*> indexes = {};
};

// kind = vfs_id / 2 folds read/pread (0, 1) into 0 and write/pwrite (2, 3) into 1; hour and day
// use the same integer division as the engine's queries, so the edges agree to the millisecond.
// The hourly rollup's object names predate the file rollup and stay as they were.
const RollupDef kHourly{"smbta_rollup_hourly",
                        "smbta_rollup",
                        {{"user_id", "$user_id", "integer"},
                         {"share_id", "$share_id", "integer"},
                         {"kind", "$vfs_id / 2", "smallint"},
                         {"hour", "$ts / 3600000", "bigint"}}};
// The day leads the key: a range of days is one range of the table (`top files since
// yesterday` reads two days, not the whole history), and the triggers of one day's events write
// into one region of the table instead of all over it. An event without a file name counts
// under file id 0. file_id's index serves `search` and a file's shares over a range of days:
// they look up the few files whose names match, and without it read every row of the range
// (79.8 million at 100 million events on PostgreSQL, 4.95 s for a search).
const RollupDef kFiles{"smbta_rollup_files",
                       "smbta_rollup_files",
                       {{"day", "$ts / 86400000", "integer"},
                        {"share_id", "$share_id", "integer"},
                        {"file_id", "COALESCE($file_id, 0)", "integer"},
                        {"user_id", "$user_id", "integer"},
                        {"kind", "$vfs_id / 2", "smallint"}},
                       false,
                       {"smbta_rollup_files_file (file_id)"}};
// All-time sums per file (kind 0 read, 1 write, 2 both), installed with the file rollup. Where
// every event touches another file and user the daily rollup holds nearly a row per event, so an
// all-time `top files` would still sum millions of rows; this table has a row per file and kind,
// and its (kind, bytes) index yields the top N in rank order. file_id's index serves a file's
// shares (identification) without a scan.
const RollupDef kFileTotals{
    "smbta_rollup_file_totals",
    "smbta_rollup_file_totals",
    {{"share_id", "$share_id", "integer"},
     {"file_id", "COALESCE($file_id, 0)", "integer"},
     {"kind", "$vfs_id / 2", "smallint"}},
    true,
    {"smbta_rollup_file_totals_bytes (kind, bytes)", "smbta_rollup_file_totals_file (file_id)"}};

const RollupDef* const kRollups[] = {&kHourly, &kFiles, &kFileTotals};

using Keys = std::vector<KeyColumn>;

// The key sets an event is added under: its own kind, and kind 2 for a rollup with rw_row.
std::vector<Keys> variants(const RollupDef& d) {
  if (!d.rw_row) return {d.keys};
  Keys rw = d.keys;
  for (auto& k : rw)
    if (std::string_view(k.name) == "kind") k.expr = "2";
  return {d.keys, rw};
}

bool constant(const KeyColumn& k) {
  return std::string_view(k.expr).find('$') == std::string_view::npos;
}

std::string with_prefix(std::string_view expr, std::string_view prefix) {
  std::string out;
  for (char c : expr) {
    if (c == '$')
      out += prefix;
    else
      out += c;
  }
  return out;
}

// "a, b, c" of the key column names, or of their expressions over `prefix`.
std::string names(const Keys& keys, std::string_view alias = "") {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + std::string(alias) + k.name;
  return out;
}
std::string exprs(const Keys& keys, std::string_view prefix, bool as_names = false) {
  std::string out;
  for (const auto& k : keys) {
    out += (out.empty() ? "" : ", ") + with_prefix(k.expr, prefix);
    if (as_names) out += std::string(" AS ") + k.name;
  }
  return out;
}
// The GROUP BY list of the non-constant keys, by their expressions (a constant's ordinal would
// be read as a column position).
std::string group_exprs(const Keys& keys) {
  std::string out;
  for (const auto& k : keys)
    if (!constant(k)) out += (out.empty() ? "" : ", ") + with_prefix(k.expr, "");
  return out;
}
// "r.a = o.a AND ..." or "a = OLD.expr AND ...".
std::string key_match(const Keys& keys, std::string_view left, std::string_view right,
                      bool right_is_expr) {
  std::string out;
  for (const auto& k : keys) {
    out += (out.empty() ? "" : " AND ") + std::string(left) + k.name + " = " +
           (right_is_expr ? with_prefix(k.expr, right) : std::string(right) + k.name);
  }
  return out;
}

// CREATE INDEX statements of d's secondary indexes (all three engines spell them alike).
std::vector<std::string> index_ddl(const RollupDef& d) {
  std::vector<std::string> out;
  for (const char* ix : d.indexes)
    out.push_back(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} {}",
                              std::string_view(ix).substr(0, std::string_view(ix).find(' ')),
                              d.table,
                              std::string_view(ix).substr(std::string_view(ix).find(' '))));
  return out;
}

std::vector<std::string> sqlite_ddl(const RollupDef& d) {
  std::string cols;
  for (const auto& k : d.keys) cols += std::string(k.name) + " integer NOT NULL, ";
  std::string add_new, sub_old, drop_empty;
  for (const Keys& keys : variants(d)) {
    add_new += fmt::format(
        "INSERT INTO {0} ({1}, bytes, records) SELECT {2}, COALESCE(NEW.length, 0), NEW.merged "
        "WHERE NEW.vfs_id <= 3 ON CONFLICT ({1}) DO UPDATE SET bytes = bytes + excluded.bytes, "
        "records = records + excluded.records;",
        d.table, names(keys), exprs(keys, "NEW."));
    const std::string old_key = key_match(keys, "", "OLD.", true);
    sub_old += fmt::format(
        "UPDATE {} SET bytes = bytes - COALESCE(OLD.length, 0), records = records - OLD.merged "
        "WHERE OLD.vfs_id <= 3 AND {};",
        d.table, old_key);
    drop_empty += fmt::format("DELETE FROM {} WHERE OLD.vfs_id <= 3 AND {} AND records <= 0;",
                              d.table, old_key);
  }
  return {
      fmt::format("CREATE TABLE IF NOT EXISTS {} ({}bytes integer NOT NULL, records integer NOT "
                  "NULL, PRIMARY KEY ({})) WITHOUT ROWID",
                  d.table, cols, names(d.keys)),
      fmt::format("CREATE TRIGGER IF NOT EXISTS {}_ins AFTER INSERT ON smbta_events WHEN "
                  "NEW.vfs_id <= 3 BEGIN {} END",
                  d.triggers, add_new),
      fmt::format("CREATE TRIGGER IF NOT EXISTS {}_del AFTER DELETE ON smbta_events WHEN "
                  "OLD.vfs_id <= 3 BEGIN {}{} END",
                  d.triggers, sub_old, drop_empty),
      fmt::format("CREATE TRIGGER IF NOT EXISTS {}_upd AFTER UPDATE OF ts, vfs_id, user_id, "
                  "share_id, file_id, length, merged ON smbta_events WHEN OLD.vfs_id <= 3 OR "
                  "NEW.vfs_id <= 3 BEGIN {}{}{} END",
                  d.triggers, sub_old, add_new, drop_empty),
  };
}

// PostgreSQL: statement-level triggers over transition tables, so one INSERT of 100 rows costs
// one aggregated upsert instead of 100. ORDER BY gives concurrent writers one lock order. Empty
// rows are looked for only under the keys the statement touched, not in the whole table.
std::vector<std::string> pgsql_ddl(const RollupDef& d) {
  std::string cols;
  for (const auto& k : d.keys) cols += fmt::format("{} {} NOT NULL, ", k.name, k.pg_type);
  std::string add, sub, drop_empty;
  for (const Keys& keys : variants(d)) {
    const std::string group = group_exprs(keys);
    add += fmt::format(
        "INSERT INTO {0} AS r ({1}, bytes, records) SELECT {2}, SUM(COALESCE(length, 0)), "
        "SUM(merged) FROM smbta_new WHERE vfs_id <= 3 GROUP BY {3} ORDER BY {3} ON CONFLICT "
        "({1}) DO UPDATE SET bytes = r.bytes + EXCLUDED.bytes, records = r.records + "
        "EXCLUDED.records;",
        d.table, names(keys), exprs(keys, ""), group);
    const std::string old_keys = fmt::format(
        "(SELECT {}, SUM(COALESCE(length, 0)) AS b, SUM(merged) AS n FROM smbta_old WHERE vfs_id "
        "<= 3 GROUP BY {} ORDER BY {})",
        exprs(keys, "", true), group, group);
    sub += fmt::format(
        "UPDATE {} r SET bytes = r.bytes - o.b, records = r.records - o.n FROM {} o WHERE {};",
        d.table, old_keys, key_match(keys, "r.", "o.", false));
    drop_empty += fmt::format("DELETE FROM {} r USING {} o WHERE {} AND r.records <= 0;", d.table,
                              old_keys, key_match(keys, "r.", "o.", false));
  }
  auto fn = [&](const char* suffix, const std::string& body) {
    return fmt::format(
        "CREATE OR REPLACE FUNCTION {}_{}_fn() RETURNS trigger LANGUAGE plpgsql AS $smbta$ "
        "BEGIN {} RETURN NULL; END $smbta$",
        d.triggers, suffix, body);
  };
  auto trig = [&](const char* suffix, const char* event, const char* tables) {
    return fmt::format(
        "CREATE OR REPLACE TRIGGER {0}_{1} AFTER {2} ON smbta_events REFERENCING {3} FOR EACH "
        "STATEMENT EXECUTE FUNCTION {0}_{1}_fn()",
        d.triggers, suffix, event, tables);
  };
  return {
      fmt::format("CREATE TABLE IF NOT EXISTS {} ({}bytes bigint NOT NULL, records bigint NOT "
                  "NULL, PRIMARY KEY ({}))",
                  d.table, cols, names(d.keys)),
      fn("ins", add),
      fn("del", sub + drop_empty),
      fn("upd", sub + add + drop_empty),
      trig("ins", "INSERT", "NEW TABLE AS smbta_new"),
      trig("del", "DELETE", "OLD TABLE AS smbta_old"),
      trig("upd", "UPDATE", "OLD TABLE AS smbta_old NEW TABLE AS smbta_new"),
  };
}

// MySQL's `/` divides into a decimal; the key expressions divide integers.
std::string mysql_expr(std::string expr) {
  for (auto p = expr.find(" / "); p != std::string::npos; p = expr.find(" / ", p))
    expr.replace(p, 3, " DIV ");
  return expr;
}

// MySQL/MariaDB: row-level triggers only (no transition tables), one statement each.
std::vector<std::string> mysql_ddl(const RollupDef& d) {
  std::string cols;
  for (const auto& k : d.keys) cols += fmt::format("{} {} NOT NULL, ", k.name, k.pg_type);
  std::string add_new, sub_old, drop_empty;
  for (const Keys& keys : variants(d)) {
    std::string new_keys, old_key;
    for (const auto& k : keys) {
      new_keys += (new_keys.empty() ? "" : ", ") + mysql_expr(with_prefix(k.expr, "NEW."));
      old_key += fmt::format("{}{} = {}", old_key.empty() ? "" : " AND ", k.name,
                             mysql_expr(with_prefix(k.expr, "OLD.")));
    }
    add_new += fmt::format(
        "INSERT INTO {0} ({1}, bytes, records) VALUES ({2}, COALESCE(NEW.length, 0), "
        "NEW.merged) ON DUPLICATE KEY UPDATE bytes = bytes + VALUES(bytes), records = records + "
        "VALUES(records);",
        d.table, names(keys), new_keys);
    sub_old += fmt::format(
        "UPDATE {} SET bytes = bytes - COALESCE(OLD.length, 0), records = records - OLD.merged "
        "WHERE {};",
        d.table, old_key);
    drop_empty += fmt::format("DELETE FROM {} WHERE {} AND records <= 0;", d.table, old_key);
  }
  add_new = "IF NEW.vfs_id <= 3 THEN " + add_new + " END IF;";
  sub_old = "IF OLD.vfs_id <= 3 THEN " + sub_old + " END IF;";
  drop_empty = "IF OLD.vfs_id <= 3 THEN " + drop_empty + " END IF;";
  auto trig = [&](const char* suffix, const char* event, const std::string& body) {
    return fmt::format(
        "CREATE TRIGGER IF NOT EXISTS {}_{} AFTER {} ON smbta_events FOR EACH ROW BEGIN {} END",
        d.triggers, suffix, event, body);
  };
  return {
      fmt::format("CREATE TABLE IF NOT EXISTS {} ({}bytes bigint NOT NULL, records bigint NOT "
                  "NULL, PRIMARY KEY ({})) ENGINE=InnoDB",
                  d.table, cols, names(d.keys)),
      trig("ins", "INSERT", add_new),
      trig("del", "DELETE", sub_old + " " + drop_empty),
      trig("upd", "UPDATE", sub_old + " " + add_new + " " + drop_empty),
  };
}

bool table_exists(DbiConnection& db, const char* table) {
  DbiResult r =
      db.is_mysql() ? db.query(fmt::format("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                           "table_schema = DATABASE() AND table_name = {}",
                                           db.quote(table)))
      : db.is_sqlite()
          ? db.query(fmt::format("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                 "name = {}",
                                 db.quote(table)))
          : db.query(fmt::format("SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass({})",
                                 db.quote(table)));
  return r.next() && r.get_int(1).value_or(0) > 0;
}

bool installed(DbiConnection& db, const RollupDef& d) {
  const std::string trigs = fmt::format("{0}, {1}, {2}", db.quote(std::string(d.triggers) + "_ins"),
                                        db.quote(std::string(d.triggers) + "_del"),
                                        db.quote(std::string(d.triggers) + "_upd"));
  DbiResult r =
      db.is_mysql()
          ? db.query(fmt::format(
                "SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                "DATABASE() AND table_name = {}) + (SELECT COUNT(*) FROM "
                "information_schema.triggers WHERE trigger_schema = DATABASE() AND "
                "event_object_table = 'smbta_events' AND trigger_name IN ({}))",
                db.quote(d.table), trigs))
      : db.is_sqlite()
          ? db.query(fmt::format("SELECT COUNT(*) FROM sqlite_master WHERE (type = 'table' AND "
                                 "name = {}) OR (type = 'trigger' AND name IN ({}))",
                                 db.quote(d.table), trigs))
          : db.query(fmt::format(
                "SELECT (SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass({})) + (SELECT "
                "COUNT(*) FROM pg_trigger WHERE tgrelid = to_regclass('smbta_events') AND tgname "
                "IN ({}))",
                db.quote(d.table), trigs));
  return r.next() && r.get_int(1).value_or(0) == 4;
}

// Statements that fill a new rollup table from the events (the file totals from the daily file
// rollup when it is there: the same sums from fewer rows).
std::vector<std::string> backfill(DbiConnection& db, const RollupDef& d) {
  std::vector<std::string> out;
  const bool from_days = &d == &kFileTotals && table_exists(db, kFiles.table);
  for (const Keys& keys : variants(d)) {
    if (from_days) {
      std::string cols;
      for (const auto& k : keys)
        cols += (cols.empty() ? "" : ", ") + std::string(constant(k) ? k.expr : k.name);
      std::string group;
      for (const auto& k : keys)
        if (!constant(k)) group += (group.empty() ? "" : ", ") + std::string(k.name);
      out.push_back(
          fmt::format("INSERT INTO {} ({}, bytes, records) SELECT {}, SUM(bytes), "
                      "SUM(records) FROM {} GROUP BY {}",
                      d.table, names(keys), cols, kFiles.table, group));
    } else {
      out.push_back(fmt::format(
          "INSERT INTO {} ({}, bytes, records) SELECT {}, SUM(COALESCE(length, 0)), SUM(merged) "
          "FROM smbta_events WHERE vfs_id <= 3 GROUP BY {}",
          d.table, names(keys), exprs(keys, ""), group_exprs(keys)));
    }
    if (db.is_mysql()) out.back() = mysql_expr(out.back());
  }
  return out;
}

}  // namespace

RollupSet installed_rollups(DbiConnection& db) {
  RollupSet out{installed(db, kHourly), installed(db, kFiles)};
  out.file_totals = out.files && installed(db, kFileTotals);
  out.latency = out.hourly && latency::installed(db);
  return out;
}

void install_rollups(DbiConnection& db, RollupSet which) {
  if (!db.is_sqlite() && !db.is_pgsql() && !db.is_mysql())
    throw StoreError("rollups need sqlite3, pgsql or mysql", false);
  // MySQL: DDL commits by itself; the named lock keeps two installers from both backfilling.
  const dialect::NamedLock lock(db, "smbta_rollups");
  db.begin();
  try {
    // Serializes installers on pgsql (sqlite: the write lock taken by the first DDL does).
    if (db.is_pgsql()) {
      db.exec("SELECT pg_advisory_xact_lock(7363626175)");
      // "already exists, skipping" NOTICEs at every start are noise in smbtad's output.
      db.exec("SET LOCAL client_min_messages = warning");
    }
    for (const RollupDef* d : kRollups) {
      // The file totals come with the file rollup (an existing one gets them at the next start).
      if (!(d == &kHourly ? which.hourly : which.files)) {
        // Not chosen but there (its triggers keep running): an index added since it was
        // installed is still made, so that existing databases get it at the next start.
        if (table_exists(db, d->table))
          for (const auto& stmt : index_ddl(*d)) db.exec(stmt);
        continue;
      }
      // Inside the transaction, so that two installers cannot both backfill.
      const bool had_table = table_exists(db, d->table);
      const auto ddl = db.is_sqlite()  ? sqlite_ddl(*d)
                       : db.is_pgsql() ? pgsql_ddl(*d)
                                       : mysql_ddl(*d);
      for (const auto& stmt : ddl) {
        if (!had_table || stmt.find("CREATE TABLE") == std::string::npos) db.exec(stmt);
      }
      // The triggers exist from here on within this transaction; rows committed before are
      // counted by the backfill, rows after by the triggers. A table that was already there
      // was filled when it was created. (MySQL: rows committed between its trigger's creation
      // and the backfill's snapshot would count twice; smbtad installs before it writes.)
      if (!had_table)
        for (const auto& stmt : backfill(db, *d)) db.exec(stmt);
      // After the backfill: an index is built faster over a full table than row by row.
      for (const auto& stmt : index_ddl(*d)) db.exec(stmt);
    }
    if (which.hourly) latency::install(db);
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

void forget_days(DbiConnection& db, std::optional<std::int64_t> lo_ms, std::int64_t hi_ms,
                 std::string_view events) {
  constexpr std::int64_t kHourMs = 3'600'000, kDayMs = 86'400'000;
  auto range = [&](const char* key, std::int64_t unit) {
    return lo_ms ? fmt::format("{0} >= {1} AND {0} < {2}", key, *lo_ms / unit, hi_ms / unit)
                 : fmt::format("{} < {}", key, hi_ms / unit);
  };
  const bool days = table_exists(db, kFiles.table);
  if (table_exists(db, kFileTotals.table)) {
    // Per (share, file, kind) and per (share, file) for kind 2: what these days added.
    const std::string sums =
        days ? fmt::format(
                   "SELECT share_id, file_id, kind, SUM(bytes) AS b, SUM(records) AS n FROM {0} "
                   "WHERE {1} GROUP BY share_id, file_id, kind UNION ALL SELECT share_id, "
                   "file_id, 2, SUM(bytes), SUM(records) FROM {0} WHERE {1} GROUP BY share_id, "
                   "file_id",
                   kFiles.table, range("day", kDayMs))
             : fmt::format(
                   "SELECT share_id, COALESCE(file_id, 0) AS file_id, vfs_id / 2 AS kind, "
                   "SUM(COALESCE(length, 0)) AS b, SUM(merged) AS n FROM {0} WHERE vfs_id <= 3 "
                   "GROUP BY 1, 2, 3 UNION ALL SELECT share_id, COALESCE(file_id, 0), 2, "
                   "SUM(COALESCE(length, 0)), SUM(merged) FROM {0} WHERE vfs_id <= 3 GROUP BY 1, 2",
                   events);
    const std::string match =
        "t.share_id = o.share_id AND t.file_id = o.file_id AND t.kind = o.kind";
    db.exec(
        fmt::format("UPDATE {0} t SET bytes = t.bytes - o.b, records = t.records - o.n FROM "
                    "({1} ORDER BY 1, 2, 3) o WHERE {2}",
                    kFileTotals.table, sums, match));
    db.exec(fmt::format("DELETE FROM {} t USING ({}) o WHERE {} AND t.records <= 0",
                        kFileTotals.table, sums, match));
  }
  if (days) db.exec(fmt::format("DELETE FROM {} WHERE {}", kFiles.table, range("day", kDayMs)));
  if (table_exists(db, kHourly.table))
    db.exec(fmt::format("DELETE FROM {} WHERE {}", kHourly.table, range("hour", kHourMs)));
  latency::forget(db, lo_ms, hi_ms);
}

void drop_rollups(DbiConnection& db) {
  db.begin();
  try {
    for (const RollupDef* d : kRollups) {
      for (const char* s : {"_ins", "_del", "_upd"}) {
        const std::string t = std::string(d->triggers) + s;
        db.exec(db.is_sqlite() || db.is_mysql()
                    ? "DROP TRIGGER IF EXISTS " + t
                    : "DROP TRIGGER IF EXISTS " + t + " ON smbta_events");
      }
      db.exec(std::string("DROP TABLE IF EXISTS ") + d->table);
    }
    latency::drop(db);
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

}  // namespace smbta::store
