// SPDX-License-Identifier: GPL-3.0-or-later
#include "query/rollup.h"

#include <string>
#include <vector>

namespace smbta::query {
namespace {

// kind = vfs_id / 2 folds read/pread (0, 1) into 0 and write/pwrite (2, 3) into 1; hour uses
// the same integer division as the engine's queries, so the edges agree to the millisecond.
constexpr const char* kSqliteTable =
    "CREATE TABLE IF NOT EXISTS smbta_rollup_hourly (user_id integer NOT NULL, share_id integer "
    "NOT NULL, kind integer NOT NULL, hour integer NOT NULL, bytes integer NOT NULL, records "
    "integer NOT NULL, PRIMARY KEY (user_id, share_id, kind, hour)) WITHOUT ROWID";

constexpr const char* kSqliteKeyOld =
    "user_id = OLD.user_id AND share_id = OLD.share_id AND kind = OLD.vfs_id / 2 AND hour = "
    "OLD.ts / 3600000";

std::vector<std::string> sqlite_ddl() {
  const std::string add_new =
      "INSERT INTO smbta_rollup_hourly (user_id, share_id, kind, hour, bytes, records) SELECT "
      "NEW.user_id, NEW.share_id, NEW.vfs_id / 2, NEW.ts / 3600000, COALESCE(NEW.length, 0), "
      "NEW.merged WHERE NEW.vfs_id <= 3 ON CONFLICT (user_id, share_id, kind, hour) DO UPDATE "
      "SET bytes = bytes + excluded.bytes, records = records + excluded.records;";
  const std::string sub_old = std::string(
                                  "UPDATE smbta_rollup_hourly SET bytes = bytes - "
                                  "COALESCE(OLD.length, 0), records = records - OLD.merged "
                                  "WHERE OLD.vfs_id <= 3 AND ") +
                              kSqliteKeyOld + ";";
  const std::string drop_empty =
      std::string("DELETE FROM smbta_rollup_hourly WHERE OLD.vfs_id <= 3 AND ") + kSqliteKeyOld +
      " AND records <= 0;";
  return {
      kSqliteTable,
      "CREATE TRIGGER IF NOT EXISTS smbta_rollup_ins AFTER INSERT ON smbta_events WHEN "
      "NEW.vfs_id <= 3 BEGIN " +
          add_new + " END",
      "CREATE TRIGGER IF NOT EXISTS smbta_rollup_del AFTER DELETE ON smbta_events WHEN "
      "OLD.vfs_id <= 3 BEGIN " +
          sub_old + drop_empty + " END",
      "CREATE TRIGGER IF NOT EXISTS smbta_rollup_upd AFTER UPDATE OF ts, vfs_id, user_id, "
      "share_id, length, merged ON smbta_events WHEN OLD.vfs_id <= 3 OR NEW.vfs_id <= 3 BEGIN " +
          sub_old + add_new + drop_empty + " END",
  };
}

// PostgreSQL: statement-level triggers over transition tables, so one INSERT of 100 rows costs
// one aggregated upsert instead of 100. ORDER BY gives concurrent writers one lock order.
constexpr const char* kPgAdd =
    "INSERT INTO smbta_rollup_hourly AS r (user_id, share_id, kind, hour, bytes, records) "
    "SELECT user_id, share_id, vfs_id / 2, ts / 3600000, SUM(COALESCE(length, 0)), SUM(merged) "
    "FROM smbta_new WHERE vfs_id <= 3 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
    "ON CONFLICT (user_id, share_id, kind, hour) DO UPDATE SET bytes = r.bytes + "
    "EXCLUDED.bytes, records = r.records + EXCLUDED.records;";
constexpr const char* kPgSub =
    "UPDATE smbta_rollup_hourly r SET bytes = r.bytes - o.b, records = r.records - o.n FROM "
    "(SELECT user_id, share_id, vfs_id / 2 AS kind, ts / 3600000 AS hour, "
    "SUM(COALESCE(length, 0)) AS b, SUM(merged) AS n FROM smbta_old WHERE vfs_id <= 3 "
    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) o WHERE r.user_id = o.user_id AND r.share_id = "
    "o.share_id AND r.kind = o.kind AND r.hour = o.hour;"
    "DELETE FROM smbta_rollup_hourly r WHERE r.records <= 0;";

std::vector<std::string> pgsql_ddl() {
  auto fn = [](const char* name, const std::string& body) {
    return std::string("CREATE OR REPLACE FUNCTION ") + name +
           "() RETURNS trigger LANGUAGE plpgsql AS $smbta$ BEGIN " + body +
           " RETURN NULL; END $smbta$";
  };
  return {
      "SELECT pg_advisory_xact_lock(7363626175)",
      "CREATE TABLE IF NOT EXISTS smbta_rollup_hourly (user_id integer NOT NULL, share_id "
      "integer NOT NULL, kind smallint NOT NULL, hour bigint NOT NULL, bytes bigint NOT NULL, "
      "records bigint NOT NULL, PRIMARY KEY (user_id, share_id, kind, hour))",
      fn("smbta_rollup_ins_fn", kPgAdd),
      fn("smbta_rollup_del_fn", kPgSub),
      fn("smbta_rollup_upd_fn", std::string(kPgSub) + kPgAdd),
      "CREATE OR REPLACE TRIGGER smbta_rollup_ins AFTER INSERT ON smbta_events REFERENCING NEW "
      "TABLE AS smbta_new FOR EACH STATEMENT EXECUTE FUNCTION smbta_rollup_ins_fn()",
      "CREATE OR REPLACE TRIGGER smbta_rollup_del AFTER DELETE ON smbta_events REFERENCING OLD "
      "TABLE AS smbta_old FOR EACH STATEMENT EXECUTE FUNCTION smbta_rollup_del_fn()",
      "CREATE OR REPLACE TRIGGER smbta_rollup_upd AFTER UPDATE ON smbta_events REFERENCING OLD "
      "TABLE AS smbta_old NEW TABLE AS smbta_new FOR EACH STATEMENT EXECUTE FUNCTION "
      "smbta_rollup_upd_fn()",
  };
}

constexpr const char* kBackfill =
    "INSERT INTO smbta_rollup_hourly (user_id, share_id, kind, hour, bytes, records) SELECT "
    "user_id, share_id, vfs_id / 2, ts / 3600000, SUM(COALESCE(length, 0)), SUM(merged) FROM "
    "smbta_events WHERE vfs_id <= 3 GROUP BY user_id, share_id, vfs_id / 2, ts / 3600000";

}  // namespace

bool rollups_installed(store::DbiConnection& db) {
  store::DbiResult r =
      db.is_sqlite()
          ? db.query(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('smbta_rollup_hourly', "
                "'smbta_rollup_ins', 'smbta_rollup_del', 'smbta_rollup_upd')")
          : db.query(
                "SELECT (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_name = 'smbta_rollup_hourly') + (SELECT COUNT(*) "
                "FROM pg_trigger WHERE tgrelid = to_regclass('smbta_events') AND tgname IN "
                "('smbta_rollup_ins', 'smbta_rollup_del', 'smbta_rollup_upd'))");
  return r.next() && r.get_int(1).value_or(0) == 4;
}

void install_rollups(store::DbiConnection& db) {
  if (!db.is_sqlite() && !db.is_pgsql())
    throw store::StoreError("rollups need sqlite3 or pgsql", false);
  db.begin();
  try {
    // Inside the transaction (sqlite: write lock held; pgsql: advisory lock) so that two
    // installers cannot both backfill.
    const bool had_table = [&] {
      store::DbiResult r =
          db.is_sqlite()
              ? db.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'smbta_rollup_hourly'")
              : db.query(
                    "SELECT COUNT(*) FROM pg_class WHERE oid = "
                    "to_regclass('smbta_rollup_hourly')");
      return r.next() && r.get_int(1).value_or(0) > 0;
    }();
    for (const auto& stmt : db.is_sqlite() ? sqlite_ddl() : pgsql_ddl()) {
      if (!had_table || stmt.find("CREATE TABLE") == std::string::npos) db.exec(stmt);
    }
    // The triggers exist from here on within this transaction; rows committed before are
    // counted by the backfill, rows after by the triggers. A table that was already there
    // was filled when it was created.
    if (!had_table) db.exec(kBackfill);
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

void drop_rollups(store::DbiConnection& db) {
  db.begin();
  try {
    for (const char* t : {"smbta_rollup_ins", "smbta_rollup_del", "smbta_rollup_upd"})
      db.exec(db.is_sqlite() ? std::string("DROP TRIGGER IF EXISTS ") + t
                             : std::string("DROP TRIGGER IF EXISTS ") + t + " ON smbta_events");
    db.exec("DROP TABLE IF EXISTS smbta_rollup_hourly");
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

}  // namespace smbta::query
