// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/schema.h"

#include <fmt/format.h>

#include "smbta/timestamp.h"
#include "store/alert_store.h"
#include "store/pg_partitions.h"
#include "store/sql_dialect.h"

#include <map>
#include <string>
#include <vector>

namespace smbta::store::schema {
namespace {

// Tables shared by both drivers, column for column as SMBTA 1.2.6 created them (smbtad.md §5),
// so smbtaquery 1.2.6, webSMBTA and smbtad-report keep reading them positionally.
constexpr std::string_view kStatusTable = R"(CREATE TABLE IF NOT EXISTS status (
  smbtad_control_entry varchar,
  smbtad_version varchar,
  smbtad_database_version varchar,
  smbtad_client_port integer,
  smbtad_unix_socket_clients integer,
  smbtad_dbname varchar,
  smbtad_dbhost varchar,
  smbtad_dbuser varchar,
  smbtad_dbdriver varchar,
  smbtad_maintenance_timer_str varchar,
  smbtad_maintenance_run_time integer,
  smbtad_debug_level integer,
  smbtad_precision integer,
  smbtad_daemon integer,
  smbtad_use_db integer,
  smbtad_config_file varchar,
  smbtad_ip varchar))";

constexpr std::string_view kModulesTable = R"(CREATE TABLE IF NOT EXISTS modules (
  module_subrelease_number integer,
  module_common_blocks_overflow integer,
  module_ip_address varchar UNIQUE))";

// How far smbtad's replay of each spool generation got, written in the transaction that stores
// the rows: a segment whose file cannot be removed after its commit is not stored twice.
constexpr std::string_view kSpoolReplayTable = R"(CREATE TABLE IF NOT EXISTS smbta_spool_replay (
  generation varchar PRIMARY KEY,
  segment bigint NOT NULL,
  segment_rows bigint NOT NULL))";

// What smbtad-report shows beyond the 1.2.6 status columns (module port and sockets, the
// database's full location), by name, so that a new setting needs no new column.
constexpr std::string_view kSettingsTable = R"(CREATE TABLE IF NOT EXISTS smbta_settings (
  name varchar PRIMARY KEY,
  value varchar))";

// The records each module reported it could not deliver (drop notices), for self-check.
constexpr std::string_view kModuleDropsTable = R"(CREATE TABLE IF NOT EXISTS smbta_module_drops (
  module_ip_address varchar PRIMARY KEY,
  records bigint NOT NULL,
  bytes bigint NOT NULL))";

// Event columns: ids instead of strings keep a row near 30 bytes. length/mode/result are NULL
// where the op has no such field, so the `data` view can pass them through unchanged.
constexpr std::string_view kEventColumns = R"(
  ts bigint NOT NULL,
  vfs_id smallint NOT NULL,
  user_id integer NOT NULL,
  share_id integer NOT NULL,
  file_id integer,
  file2_id integer,
  length bigint,
  mode bigint,
  result bigint,
  merged integer NOT NULL DEFAULT 1,
  client_id integer,
  latency_us bigint)";

// latency_us (the module's timing, common block 8) holds the sum over the `merged` records of
// a row (NULL: none was timed), so that growing a row stays one addition; its mean is
// latency_us / merged. Databases created before it get the column at smbtad's next start.
// One index only: the time index serves every query (all smbtaquery functions are time-bounded
// or global), retention and last_activity. Each extra (share_id, ts)-style index costs about
// 20 bytes per row, which would break the 60-bytes-per-row budget (see bench/store_bench.cpp).
constexpr std::string_view kEventIndex =
    "CREATE INDEX IF NOT EXISTS smbta_events_ts ON smbta_events (ts)";

// Shared body of the compatibility view. pread/pwrite are folded into read/write as 1.2.6
// stored them; string2 carries the destination (rename, copy) or the mode as decimal text
// (mkdir, open), as in smbtad.md §5.1. sql_dialect.cpp's MySQL view repeats the op lists.
//
// Every column has the type 1.2.6 declared (vfs_id integer, length integer, result bigint, the
// names varchar, string2 varchar), because 1.2.x tools compare with quoted numbers
// (`vfs_id = '0'`) and read sums as integers. In SQLite a bare CASE or function has no type
// affinity, so '0' never equalled it: the CASTs give the affinity. In PostgreSQL sum(bigint) is
// numeric, which libdbi does not read as an integer: length is integer as in 1.2.6. A stored
// row above 2 GiB - 1 (only smbtad's summing within its precision makes one) cannot be shown in
// that type and is shown as 2147483647; smbtaquery's own queries read the events exactly.
std::string view_sql(std::string_view timestamp_expr, std::string_view length_expr) {
  return fmt::format(
      R"(SELECT
  CAST(CASE e.vfs_id WHEN 1 THEN 0 WHEN 3 THEN 2 ELSE e.vfs_id END AS integer) AS vfs_id,
  u.username AS username,
  u.usersid AS usersid,
  sh.value AS share,
  u.domain AS domain,
  {} AS timestamp,
  f.value AS string1,
  {} AS length,
  CAST(e.result AS bigint) AS result,
  CAST(CASE WHEN e.vfs_id IN (6, 11, 15) THEN f2.value
            WHEN e.vfs_id IN (4, 8, 12, 13, 14, 16, 17, 19) THEN CAST(e.mode AS text)
       END AS text) AS string2
FROM smbta_events e
  JOIN smbta_users u ON u.id = e.user_id
  JOIN smbta_strings sh ON sh.id = e.share_id
  LEFT JOIN smbta_strings f ON f.id = e.file_id
  LEFT JOIN smbta_strings f2 ON f2.id = e.file2_id)",
      timestamp_expr, length_expr);
}

// The view's SQL per driver (without CREATE VIEW).
std::string sqlite_view() {
  // The 1.2.6 sqlite timestamp column held text; strftime's %f gives SS.SSS and the
  // unixepoch modifier rounds to whole milliseconds, so the text is exact (tested).
  return view_sql("CAST(strftime('%Y-%m-%d %H:%M:%f', e.ts / 1000.0, 'unixepoch') AS text)",
                  "e.length");
}
std::string pgsql_view() {
  // Integer arithmetic on the naive epoch keeps the value exact to the millisecond and
  // free of the session time zone (the stored time already is local wall-clock time).
  return view_sql(
      "timestamp '1970-01-01 00:00:00' + e.ts * interval '1 millisecond'",
      "CAST(CASE WHEN e.length > 2147483647 THEN 2147483647 ELSE e.length END AS integer)");
}

std::vector<std::string> sqlite_ddl() {
  return {
      // UNIQUE(value) doubles the dictionary's size, but dictionaries hold distinct names only.
      "CREATE TABLE IF NOT EXISTS smbta_strings (id INTEGER PRIMARY KEY, value text NOT NULL, "
      "UNIQUE (value))",
      "CREATE TABLE IF NOT EXISTS smbta_users (id INTEGER PRIMARY KEY, username text NOT NULL, "
      "usersid text NOT NULL, domain text NOT NULL, UNIQUE (username, usersid, domain))",
      // No INTEGER PRIMARY KEY: the implicit rowid is free and nothing refers to events.
      fmt::format("CREATE TABLE IF NOT EXISTS smbta_events ({})", kEventColumns),
      std::string(kEventIndex),
      std::string(kStatusTable),
      std::string(kModulesTable),
      std::string(kSpoolReplayTable),
      std::string(kSettingsTable),
      std::string(kModuleDropsTable),
  };
}

std::vector<std::string> pgsql_ddl() {
  return {
      // Two smbtad instances may create the schema into one database at the same time;
      // CREATE ... IF NOT EXISTS is not safe against that race, the advisory lock is.
      "SELECT pg_advisory_xact_lock(7363626174)",
      // Every start runs these; "relation ... already exists, skipping" NOTICEs are noise.
      "SET LOCAL client_min_messages = warning",
      "CREATE TABLE IF NOT EXISTS smbta_strings (id integer GENERATED BY DEFAULT AS IDENTITY "
      "PRIMARY KEY, value text NOT NULL)",
      // btree entries over ~2.7 kB fail, and paths can be 10 kB: index the digest instead.
      "CREATE UNIQUE INDEX IF NOT EXISTS smbta_strings_md5 ON smbta_strings (md5(value))",
      "CREATE TABLE IF NOT EXISTS smbta_users (id integer GENERATED BY DEFAULT AS IDENTITY "
      "PRIMARY KEY, username text NOT NULL, usersid text NOT NULL, domain text NOT NULL)",
      "CREATE UNIQUE INDEX IF NOT EXISTS smbta_users_md5 ON smbta_users "
      "(md5(username), md5(usersid), md5(domain))",
      // Partitioned by day: retention drops whole days (pg_partitions.h).
      pg_partitions::partitioned_table_sql(kEventColumns),
      std::string(kEventIndex),
      std::string(kStatusTable),
      std::string(kModulesTable),
      std::string(kSpoolReplayTable),
      std::string(kSettingsTable),
      std::string(kModuleDropsTable),
  };
}

// Relation name -> "table" or "view", for the relations the version check cares about.
std::map<std::string, std::string> relations(DbiConnection& db) {
  std::map<std::string, std::string> out;
  DbiResult r = db.is_sqlite()
                    ? db.query(
                          "SELECT name, type FROM sqlite_master WHERE name IN "
                          "('data', 'status', 'smbta_events')")
                    : db.query(fmt::format(
                          "SELECT table_name, CASE table_type WHEN 'VIEW' THEN 'view' "
                          "ELSE 'table' END FROM information_schema.tables WHERE "
                          "table_schema = {} AND table_name IN ('data', 'status', 'smbta_events')",
                          dialect::current_schema(db)));
  while (r.next()) out[r.get_text(1).value_or("")] = r.get_text(2).value_or("");
  return out;
}

// Creates the `data` view, or replaces one of an earlier definition (before 2.0.0's typed
// columns). An unchanged view is left alone: dropping it would fail while a site's own views
// depend on it.
void create_view(DbiConnection& db) {
  if (db.is_mysql()) {
    // MySQL views do not block changes to what they read: replace it every time.
    db.exec("CREATE OR REPLACE VIEW data AS " + dialect::mysql::data_view());
    return;
  }
  const std::string body = db.is_sqlite() ? sqlite_view() : pgsql_view();
  const std::string create = "CREATE VIEW data AS " + body;
  bool current = false, exists = false;
  if (db.is_sqlite()) {
    DbiResult r = db.query("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'data'");
    if (r.next()) {
      exists = true;
      current = r.get_text(1).value_or("") == create;
    }
  } else {
    DbiResult r = db.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = 'data' AND column_name IN ('vfs_id', 'length')");
    int typed = 0;
    while (r.next()) {
      exists = true;
      typed += r.get_text(2).value_or("") == "integer";
    }
    current = typed == 2;
  }
  if (exists && current) {
    if (db.is_pgsql()) db.exec("CREATE OR REPLACE VIEW data AS " + body);
    return;
  }
  if (exists) db.exec("DROP VIEW data");
  db.exec(create);
}

// A database from before the latency column gets it (NULL in the old rows: not timed). On
// PostgreSQL the partitions inherit it.
void add_latency_column(DbiConnection& db) {
  DbiResult r = db.is_sqlite()
                    ? db.query(
                          "SELECT COUNT(*) FROM pragma_table_info('smbta_events') WHERE name = "
                          "'latency_us'")
                    : db.query(fmt::format("SELECT COUNT(*) FROM information_schema.columns WHERE "
                                           "table_schema = {} AND table_name = 'smbta_events' AND "
                                           "column_name = 'latency_us'",
                                           dialect::current_schema(db)));
  if (r.next() && r.get_int(1).value_or(0) > 0) return;
  db.exec("ALTER TABLE smbta_events ADD COLUMN latency_us bigint");
}

void require_supported(const DbiConnection& db) {
  if (!db.is_sqlite() && !db.is_pgsql() && !db.is_mysql())
    throw StoreError(
        fmt::format("database driver '{}' is not supported (use sqlite3, pgsql or mysql)",
                    db.driver()),
        false);
}

}  // namespace

void create(DbiConnection& db) {
  require_supported(db);
  // A 1.2.x database must be converted, not mixed with the new tables.
  ready(db);
  // MySQL commits each DDL statement by itself, so the transaction does not keep two smbtads
  // from creating the status row twice: a named lock does (the pg_advisory_xact_lock of pgsql).
  const dialect::NamedLock lock(db, "smbta_schema");
  db.begin();
  try {
    const auto ddl = db.is_sqlite()  ? sqlite_ddl()
                     : db.is_pgsql() ? pgsql_ddl()
                                     : dialect::mysql::schema_ddl();
    for (const auto& stmt : ddl) db.exec(stmt);
    db.exec(alerts::create_sql(db));
    add_latency_column(db);
    if (db.is_pgsql()) pg_partitions::prepare(db, local_now_ms());
    create_view(db);
    const std::string v = db.quote(kSchemaVersion);
    db.exec(fmt::format(
        "INSERT INTO status (smbtad_control_entry, smbtad_version, smbtad_database_version) "
        "SELECT 'SMBTAD', {0}, {0}{1} WHERE NOT EXISTS "
        "(SELECT 1 FROM status WHERE smbtad_control_entry = 'SMBTAD')",
        v, db.is_mysql() ? " FROM DUAL" : ""));
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

bool has_table(DbiConnection& db, std::string_view name) {
  const std::string n = db.quote(name);
  DbiResult r = db.query(
      db.is_sqlite() ? fmt::format("SELECT 1 FROM sqlite_master WHERE name = {}", n)
                     : fmt::format("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                                   "{} AND table_name = {}",
                                   dialect::current_schema(db), n));
  return r.next();
}

bool ready(DbiConnection& db) {
  require_supported(db);
  const auto rel = relations(db);
  auto it = rel.find("data");
  if (it != rel.end() && it->second == "table")
    throw StoreError(std::string(kConvertAdvice), false);
  if (!rel.contains("status")) return false;

  DbiResult r =
      db.query("SELECT smbtad_database_version FROM status WHERE smbtad_control_entry = 'SMBTAD'");
  if (!r.next()) return false;
  const std::string version = r.get_text(1).value_or("");
  if (version.starts_with("1.")) throw StoreError(std::string(kConvertAdvice), false);
  if (version != kSchemaVersion)
    throw StoreError(fmt::format("the database schema version is {}, this smbta uses {}; use the "
                                 "smbta release that created it or a newer one",
                                 version, kSchemaVersion),
                     false);
  return rel.contains("smbta_events") && rel.contains("data");
}

}  // namespace smbta::store::schema
