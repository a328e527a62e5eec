// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/latency_rollup.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "store/schema.h"

namespace smbta::store::latency {
namespace {

constexpr const char* kTrig = "smbta_rollup_latency";
constexpr const char* kKeys = "day, share_id, kind, bucket";

std::string kind_expr(std::string_view p) {
  return fmt::format(
      "CASE WHEN {0}vfs_id IN (0, 1) THEN 0 WHEN {0}vfs_id IN (2, 3) THEN 1 ELSE 2 END", p);
}

// The key values of an event row; `p` is the row prefix (NEW., OLD. or none).
std::string key_exprs(const DbiConnection& db, std::string_view p) {
  const std::string div = db.is_mysql() ? " DIV " : " / ";
  return fmt::format("{0}ts{1}86400000, {0}share_id, {2}, {3}", p, div, kind_expr(p),
                     bucket_sql(db, fmt::format("{0}latency_us{1}{0}merged", p, div)));
}

std::string key_match(const DbiConnection& db, std::string_view p) {
  const std::string div = db.is_mysql() ? " DIV " : " / ";
  return fmt::format(
      "day = {0}ts{1}86400000 AND share_id = {0}share_id AND kind = {2} AND bucket = {3}", p, div,
      kind_expr(p), bucket_sql(db, fmt::format("{0}latency_us{1}{0}merged", p, div)));
}

std::vector<std::string> sqlite_ddl(const DbiConnection& db) {
  const std::string add = fmt::format(
      "INSERT INTO {0} ({1}, ops) SELECT {2}, NEW.merged WHERE NEW.latency_us IS NOT NULL ON "
      "CONFLICT ({1}) DO UPDATE SET ops = ops + excluded.ops;",
      kTable, kKeys, key_exprs(db, "NEW."));
  const std::string sub = fmt::format(
      "UPDATE {0} SET ops = ops - OLD.merged WHERE OLD.latency_us IS NOT NULL AND {1}; DELETE "
      "FROM {0} WHERE OLD.latency_us IS NOT NULL AND {1} AND ops <= 0;",
      kTable, key_match(db, "OLD."));
  return {
      fmt::format("CREATE TABLE IF NOT EXISTS {} (day integer NOT NULL, share_id integer NOT "
                  "NULL, kind integer NOT NULL, bucket integer NOT NULL, ops integer NOT NULL, "
                  "PRIMARY KEY ({})) WITHOUT ROWID",
                  kTable, kKeys),
      fmt::format("CREATE TRIGGER IF NOT EXISTS {}_ins AFTER INSERT ON smbta_events WHEN "
                  "NEW.latency_us IS NOT NULL BEGIN {} END",
                  kTrig, add),
      fmt::format("CREATE TRIGGER IF NOT EXISTS {}_del AFTER DELETE ON smbta_events WHEN "
                  "OLD.latency_us IS NOT NULL BEGIN {} END",
                  kTrig, sub),
      fmt::format("CREATE TRIGGER IF NOT EXISTS {}_upd AFTER UPDATE OF ts, vfs_id, share_id, "
                  "merged, latency_us ON smbta_events WHEN OLD.latency_us IS NOT NULL "
                  "OR NEW.latency_us IS NOT NULL BEGIN {}{} END",
                  kTrig, sub, add),
  };
}

// Statement-level triggers over transition tables, as the byte rollups on PostgreSQL.
std::vector<std::string> pgsql_ddl(const DbiConnection& db) {
  const std::string keys = key_exprs(db, "");
  const std::string add = fmt::format(
      "INSERT INTO {0} AS r ({1}, ops) SELECT {2}, SUM(merged) FROM smbta_new WHERE latency_us "
      "IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 ON CONFLICT ({1}) DO UPDATE SET "
      "ops = r.ops + EXCLUDED.ops;",
      kTable, kKeys, keys);
  // The derived table names its columns after the keys.
  const std::string old_named = fmt::format(
      "(SELECT {}, SUM(merged) FROM smbta_old WHERE latency_us IS NOT NULL GROUP BY 1, 2, 3, 4 "
      "ORDER BY 1, 2, 3, 4) o (day, share_id, kind, bucket, n)",
      keys);
  const std::string match =
      "r.day = o.day AND r.share_id = o.share_id AND r.kind = o.kind AND r.bucket = o.bucket";
  const std::string sub = fmt::format(
      "UPDATE {0} r SET ops = r.ops - o.n FROM {1} WHERE {2}; DELETE FROM {0} r USING {1} WHERE "
      "{2} AND r.ops <= 0;",
      kTable, old_named, match);
  auto fn = [&](const char* suffix, const std::string& body) {
    return fmt::format(
        "CREATE OR REPLACE FUNCTION {}_{}_fn() RETURNS trigger LANGUAGE plpgsql AS $smbta$ "
        "BEGIN {} RETURN NULL; END $smbta$",
        kTrig, suffix, body);
  };
  auto trig = [&](const char* suffix, const char* event, const char* tables) {
    return fmt::format(
        "CREATE OR REPLACE TRIGGER {0}_{1} AFTER {2} ON smbta_events REFERENCING {3} FOR EACH "
        "STATEMENT EXECUTE FUNCTION {0}_{1}_fn()",
        kTrig, suffix, event, tables);
  };
  return {
      fmt::format("CREATE TABLE IF NOT EXISTS {} (day integer NOT NULL, share_id integer NOT "
                  "NULL, kind smallint NOT NULL, bucket smallint NOT NULL, ops bigint NOT NULL, "
                  "PRIMARY KEY ({}))",
                  kTable, kKeys),
      fn("ins", add),
      fn("del", sub),
      fn("upd", sub + add),
      trig("ins", "INSERT", "NEW TABLE AS smbta_new"),
      trig("del", "DELETE", "OLD TABLE AS smbta_old"),
      trig("upd", "UPDATE", "OLD TABLE AS smbta_old NEW TABLE AS smbta_new"),
  };
}

// MySQL/MariaDB: row-level triggers.
std::vector<std::string> mysql_ddl(const DbiConnection& db) {
  const std::string add = fmt::format(
      "IF NEW.latency_us IS NOT NULL THEN INSERT INTO {0} ({1}, ops) VALUES ({2}, NEW.merged) "
      "ON DUPLICATE KEY UPDATE ops = ops + VALUES(ops); END IF;",
      kTable, kKeys, key_exprs(db, "NEW."));
  const std::string sub = fmt::format(
      "IF OLD.latency_us IS NOT NULL THEN UPDATE {0} SET ops = ops - OLD.merged WHERE {1}; "
      "DELETE FROM {0} WHERE {1} AND ops <= 0; END IF;",
      kTable, key_match(db, "OLD."));
  auto trig = [&](const char* suffix, const char* event, const std::string& body) {
    return fmt::format(
        "CREATE TRIGGER IF NOT EXISTS {}_{} AFTER {} ON smbta_events FOR EACH ROW BEGIN {} END",
        kTrig, suffix, event, body);
  };
  return {
      fmt::format("CREATE TABLE IF NOT EXISTS {} (day integer NOT NULL, share_id integer NOT "
                  "NULL, kind smallint NOT NULL, bucket smallint NOT NULL, ops bigint NOT NULL, "
                  "PRIMARY KEY ({})) ENGINE=InnoDB",
                  kTable, kKeys),
      trig("ins", "INSERT", add),
      trig("del", "DELETE", sub),
      trig("upd", "UPDATE", sub + " " + add),
  };
}

std::string trigger_names(DbiConnection& db) {
  return fmt::format("{}, {}, {}", db.quote(std::string(kTrig) + "_ins"),
                     db.quote(std::string(kTrig) + "_del"), db.quote(std::string(kTrig) + "_upd"));
}

}  // namespace

int bucket_of(std::uint64_t x) {
  if (x < 16) return static_cast<int>(x);
  int k = 63;
  while (!(x >> k)) --k;
  if (k > 40) return kMaxBucket;
  return 8 * (k - 3) + static_cast<int>(x >> (k - 3));
}

std::int64_t bucket_value(int bucket) {
  if (bucket < 16) return bucket;
  const int k = bucket / 8 + 2;
  const std::int64_t lo = static_cast<std::int64_t>(bucket % 8 + 8) << (k - 3);
  const std::int64_t width = std::int64_t{1} << (k - 3);
  return lo + (width - 1) / 2;
}

std::string bucket_sql(const DbiConnection& db, std::string_view x) {
  (void)db;  // the shifts and comparisons are spelled alike in the three dialects
  const std::string v = fmt::format("({})", x);
  x = v;
  std::string out = fmt::format("(CASE WHEN {} < 16 THEN {}", x, x);
  for (int k = 4; k <= 40; ++k)
    out += fmt::format(" WHEN {} < {} THEN {} + ({} >> {})", x, std::int64_t{1} << (k + 1),
                       8 * (k - 3), x, k - 3);
  out += fmt::format(" ELSE {} END)", kMaxBucket);
  return out;
}

bool installed(DbiConnection& db) {
  const std::string table = db.quote(kTable);
  DbiResult r =
      db.is_mysql()
          ? db.query(fmt::format(
                "SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                "DATABASE() AND table_name = {}) + (SELECT COUNT(*) FROM "
                "information_schema.triggers WHERE trigger_schema = DATABASE() AND "
                "event_object_table = 'smbta_events' AND trigger_name IN ({}))",
                table, trigger_names(db)))
      : db.is_sqlite()
          ? db.query(fmt::format("SELECT COUNT(*) FROM sqlite_master WHERE (type = 'table' AND "
                                 "name = {}) OR (type = 'trigger' AND name IN ({}))",
                                 table, trigger_names(db)))
          : db.query(fmt::format(
                "SELECT (SELECT COUNT(*) FROM pg_class WHERE oid = to_regclass({})) + (SELECT "
                "COUNT(*) FROM pg_trigger WHERE tgrelid = to_regclass('smbta_events') AND tgname "
                "IN ({}))",
                table, trigger_names(db)));
  return r.next() && r.get_int(1).value_or(0) == 4;
}

void install(DbiConnection& db) {
  const bool had_table = schema::has_table(db, kTable);
  const auto ddl = db.is_sqlite() ? sqlite_ddl(db) : db.is_pgsql() ? pgsql_ddl(db) : mysql_ddl(db);
  for (const auto& stmt : ddl)
    if (!had_table || stmt.find("CREATE TABLE") == std::string::npos) db.exec(stmt);
  if (!had_table)
    db.exec(fmt::format(
        "INSERT INTO {} ({}, ops) SELECT {}, SUM(merged) FROM smbta_events WHERE latency_us IS "
        "NOT NULL GROUP BY 1, 2, 3, 4",
        kTable, kKeys, key_exprs(db, "")));
}

void forget(DbiConnection& db, std::optional<std::int64_t> lo_ms, std::int64_t hi_ms) {
  if (!schema::has_table(db, kTable)) return;
  constexpr std::int64_t kDayMs = 86'400'000;
  db.exec(lo_ms ? fmt::format("DELETE FROM {} WHERE day >= {} AND day < {}", kTable,
                              *lo_ms / kDayMs, hi_ms / kDayMs)
                : fmt::format("DELETE FROM {} WHERE day < {}", kTable, hi_ms / kDayMs));
}

void drop(DbiConnection& db) {
  for (const char* s : {"_ins", "_del", "_upd"}) {
    const std::string t = std::string(kTrig) + s;
    db.exec(db.is_sqlite() || db.is_mysql() ? "DROP TRIGGER IF EXISTS " + t
                                            : "DROP TRIGGER IF EXISTS " + t + " ON smbta_events");
  }
  db.exec(fmt::format("DROP TABLE IF EXISTS {}", kTable));
}

}  // namespace smbta::store::latency
