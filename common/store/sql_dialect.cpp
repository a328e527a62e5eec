// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/sql_dialect.h"

#include <fmt/format.h>

#include <array>

namespace smbta::store::dialect {

std::string on_conflict_update(const DbiConnection& db, std::string_view key,
                               std::string_view assignments) {
  if (db.is_mysql()) return fmt::format("ON DUPLICATE KEY UPDATE {}", assignments);
  return fmt::format("ON CONFLICT ({}) DO UPDATE SET {}", key, assignments);
}

std::string new_value(const DbiConnection& db, std::string_view column) {
  return db.is_mysql() ? fmt::format("VALUES({})", column) : fmt::format("excluded.{}", column);
}

std::string on_conflict_ignore(const DbiConnection& db, std::string_view column) {
  if (db.is_mysql()) return fmt::format("ON DUPLICATE KEY UPDATE {0} = {0}", column);
  return "ON CONFLICT DO NOTHING";
}

std::string int_div(const DbiConnection& db, std::string_view a, std::string_view b) {
  if (db.is_mysql()) return fmt::format("{} DIV {}", a, b);
  return fmt::format("{} / {}", a, b);
}

std::string as_int64(const DbiConnection& db, std::string_view expr) {
  if (db.is_mysql()) return fmt::format("CAST({} AS SIGNED)", expr);
  return fmt::format("CAST({} AS bigint)", expr);
}

std::string current_schema(const DbiConnection& db) {
  return db.is_mysql() ? "DATABASE()" : "current_schema()";
}

std::string string_match(const DbiConnection& db, std::string_view alias, std::string_view quoted) {
  const std::string a = alias.empty() ? std::string() : std::string(alias) + ".";
  if (db.is_pgsql()) return fmt::format("md5({0}value) = md5({1}) AND {0}value = {1}", a, quoted);
  if (db.is_mysql())
    return fmt::format("{0}digest = UNHEX(MD5({1})) AND {0}value = {1}", a, quoted);
  return fmt::format("{}value = {}", a, quoted);
}

NamedLock::NamedLock(DbiConnection& db, std::string_view name) : name_(name) {
  if (!db.is_mysql()) return;
  DbiResult r = db.query(fmt::format("SELECT GET_LOCK({}, 120)", db.quote(name_)));
  if (!r.next() || r.get_int(1).value_or(0) != 1)
    throw StoreError(
        fmt::format("could not take the lock {} within 120 s on {}", name_, db.location()), true);
  db_ = &db;
}

NamedLock::~NamedLock() {
  if (!db_) return;
  try {
    db_->exec(fmt::format("DO RELEASE_LOCK({})", db_->quote(name_)));
  } catch (const StoreError&) {
    // The connection is gone, and the server released the lock with it.
  }
}

namespace mysql {

std::vector<std::string> session_setup() {
  return {
      // libdbi's "UTF-8" is MySQL's 3-byte utf8: a path with an emoji would be refused.
      "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
      // ANSI_QUOTES: "name" is an identifier, as in the other dialects. NO_BACKSLASH_ESCAPES:
      // a backslash in a literal is a backslash, as in standard SQL ('\' in LIKE ... ESCAPE
      // '\'); libdbi's quoting (mysql_real_escape_string) follows the server's mode and then
      // doubles quotes only. STRICT_ALL_TABLES: a value that does not fit is an error, never
      // silently truncated.
      "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ANSI_QUOTES,NO_BACKSLASH_ESCAPES,"
      "NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'",
      // Two writers inserting the same new dictionary values wait for each other instead of
      // taking gap locks that deadlock; each statement sees the rows committed before it.
      "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
  };
}

std::string user_digest(std::string_view user, std::string_view sid, std::string_view domain) {
  // Length-prefixed, so that no two (user, sid, domain) give the same text.
  return fmt::format("UNHEX(MD5(CONCAT(LENGTH({0}), ':', {0}, LENGTH({1}), ':', {1}, {2})))", user,
                     sid, domain);
}

namespace {

// Text columns compare byte for byte (utf8mb4_bin): "File" and "file" are two names, as on the
// other engines, and ORDER BY is code point order, which is UTF-8 byte order.
constexpr std::string_view kText = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
constexpr std::string_view kTable = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

}  // namespace

std::vector<std::string> schema_ddl() {
  // InnoDB keys are at most 3072 bytes (768 utf8mb4 characters) and paths reach 4 kB and more:
  // the dictionaries are unique on an MD5 digest column instead of the values, as the digest
  // indexes do on PostgreSQL. The 1.2.6 tables keep their column names and order; MySQL needs a
  // length for varchar, which 1.2.6 did not give (one reason its -T failed on MySQL), so its
  // varchar columns are text here and its key columns varchar(255).
  return {
      fmt::format("CREATE TABLE IF NOT EXISTS smbta_strings (id integer NOT NULL AUTO_INCREMENT "
                  "PRIMARY KEY, value mediumtext {0} NOT NULL, digest binary(16) AS "
                  "(UNHEX(MD5(value))) STORED, UNIQUE KEY smbta_strings_md5 (digest)) {1}",
                  kText, kTable),
      fmt::format("CREATE TABLE IF NOT EXISTS smbta_users (id integer NOT NULL AUTO_INCREMENT "
                  "PRIMARY KEY, username text {0} NOT NULL, usersid text {0} NOT NULL, domain "
                  "text {0} NOT NULL, digest binary(16) AS ({2}) STORED, UNIQUE KEY "
                  "smbta_users_md5 (digest)) {1}",
                  kText, kTable, user_digest("username", "usersid", "domain")),
      // No primary key: InnoDB's hidden row id is 6 bytes, and nothing refers to events.
      fmt::format(
          "CREATE TABLE IF NOT EXISTS smbta_events (ts bigint NOT NULL, vfs_id smallint NOT "
          "NULL, user_id integer NOT NULL, share_id integer NOT NULL, file_id integer, file2_id "
          "integer, length bigint, mode bigint, result bigint, merged integer NOT NULL DEFAULT "
          "1, client_id integer, latency_us bigint, KEY smbta_events_ts (ts)) {}",
          kTable),
      fmt::format("CREATE TABLE IF NOT EXISTS status (smbtad_control_entry varchar(255) {0}, "
                  "smbtad_version text {0}, smbtad_database_version text {0}, "
                  "smbtad_client_port integer, smbtad_unix_socket_clients integer, smbtad_dbname "
                  "text {0}, smbtad_dbhost text {0}, smbtad_dbuser text {0}, smbtad_dbdriver "
                  "text {0}, smbtad_maintenance_timer_str text {0}, smbtad_maintenance_run_time "
                  "integer, smbtad_debug_level integer, smbtad_precision integer, smbtad_daemon "
                  "integer, smbtad_use_db integer, smbtad_config_file text {0}, smbtad_ip text "
                  "{0}) {1}",
                  kText, kTable),
      fmt::format("CREATE TABLE IF NOT EXISTS modules (module_subrelease_number integer, "
                  "module_common_blocks_overflow integer, module_ip_address varchar(255) {0} "
                  "UNIQUE) {1}",
                  kText, kTable),
      fmt::format("CREATE TABLE IF NOT EXISTS smbta_spool_replay (generation varchar(255) {0} "
                  "PRIMARY KEY, segment bigint NOT NULL, segment_rows bigint NOT NULL) {1}",
                  kText, kTable),
      fmt::format("CREATE TABLE IF NOT EXISTS smbta_settings (name varchar(255) {0} PRIMARY KEY, "
                  "value text {0}) {1}",
                  kText, kTable),
      fmt::format("CREATE TABLE IF NOT EXISTS smbta_module_drops (module_ip_address varchar(255) "
                  "{0} PRIMARY KEY, records bigint NOT NULL, bytes bigint NOT NULL) {1}",
                  kText, kTable),
  };
}

std::string data_view() {
  // As the other dialects' view (schema.cpp view_sql says why each column has its type, and
  // which ops carry a second path or a mode: keep the two lists equal). The timestamp
  // is DATETIME(3) computed from the naive epoch without the session time zone; SIGNED is
  // MySQL's 64-bit integer and CHAR its text cast.
  //
  // The join order is fixed, events first: smbta_events has no index on its ids, so every
  // other order scans it once per row of the tables before it. MariaDB chose such an order from
  // a new database's stale statistics (dictionaries believed near empty, a count over LIKE
  // filters ran for more than 500 s on 10,000 events). STRAIGHT_JOIN fixes the inner joins; a
  // SELECT STRAIGHT_JOIN would not survive the view's merge into the outer query. string1 is a
  // CASE so that a filter on it does not turn its LEFT JOIN into a reorderable inner join.
  return R"(SELECT
  CAST(CASE e.vfs_id WHEN 1 THEN 0 WHEN 3 THEN 2 ELSE e.vfs_id END AS SIGNED) AS vfs_id,
  u.username AS username,
  u.usersid AS usersid,
  sh.value AS share,
  u.domain AS domain,
  CAST(TIMESTAMPADD(MICROSECOND, e.ts * 1000, TIMESTAMP '1970-01-01 00:00:00') AS DATETIME(3)) AS timestamp,
  CASE WHEN e.file_id IS NULL THEN NULL ELSE f.value END AS string1,
  CAST(CASE WHEN e.length > 2147483647 THEN 2147483647 ELSE e.length END AS SIGNED) AS length,
  e.result AS result,
  CASE WHEN e.vfs_id IN (6, 11, 15) THEN f2.value
       WHEN e.vfs_id IN (4, 8, 12, 13, 14, 16, 17, 19) THEN CAST(e.mode AS CHAR) END AS string2
FROM smbta_events e
  STRAIGHT_JOIN smbta_users u ON u.id = e.user_id
  STRAIGHT_JOIN smbta_strings sh ON sh.id = e.share_id
  LEFT JOIN smbta_strings f ON f.id = e.file_id
  LEFT JOIN smbta_strings f2 ON f2.id = e.file2_id)";
}

bool looks_transient(std::string_view msg) {
  // MySQL client and server wording (libmysqlclient / MariaDB Connector/C).
  static constexpr std::array<std::string_view, 8> kMarkers = {
      "server has gone away",
      "Lost connection to",
      "Can't connect to",
      "Deadlock found",
      "Lock wait timeout",
      "Too many connections",
      "Server shutdown in progress",
      "The table is full",
  };
  for (auto m : kMarkers)
    if (msg.find(m) != std::string_view::npos) return true;
  return false;
}

bool is_deadlock(std::string_view msg) {
  return msg.find("Deadlock found") != std::string_view::npos;
}

}  // namespace mysql
}  // namespace smbta::store::dialect
