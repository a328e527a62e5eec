// SPDX-License-Identifier: GPL-3.0-or-later
// The spellings that differ between the SQL dialects smbta speaks (sqlite3, PostgreSQL, MySQL).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/dbi_connection.h"

// Why: sqlite3 and PostgreSQL agree on nearly all of smbta's SQL (ON CONFLICT, excluded.*,
// integer division, CAST AS bigint); MySQL/MariaDB spells each of these differently. The
// differences are named here once, so that the statements elsewhere stay one string each and
// every MySQL spelling sits in one place (mysql_schema.cpp holds MySQL's DDL).
namespace smbta::store::dialect {

// "ON CONFLICT (key) DO UPDATE SET <assignments>" or MySQL's "ON DUPLICATE KEY UPDATE
// <assignments>". Assignments take the proposed row's values through new_value().
std::string on_conflict_update(const DbiConnection& db, std::string_view key,
                               std::string_view assignments);
// The value the conflicting INSERT proposed for `column`: excluded.c, or VALUES(c) on MySQL.
std::string new_value(const DbiConnection& db, std::string_view column);
// Keeps the existing row on a key conflict. MySQL has no DO NOTHING; INSERT IGNORE would also
// turn real errors (a truncated value) into warnings, so a no-op update of `column` it is.
std::string on_conflict_ignore(const DbiConnection& db, std::string_view column);

// Integer division truncating toward zero, as C, sqlite3 and PostgreSQL divide integers
// (MySQL's `/` gives a decimal).
std::string int_div(const DbiConnection& db, std::string_view a, std::string_view b);
// `expr` as a 64-bit integer (sums of bigint are numeric on PostgreSQL, decimal on MySQL).
std::string as_int64(const DbiConnection& db, std::string_view expr);
// The current schema (PostgreSQL) or database (MySQL), for information_schema lookups.
std::string current_schema(const DbiConnection& db);

// A condition finding the dictionary row of the quoted literal `quoted` through the digest
// index (PostgreSQL, MySQL) or the value's own unique index (sqlite3).
std::string string_match(const DbiConnection& db, std::string_view alias, std::string_view quoted);

// Why: MySQL commits each DDL statement by itself, so a transaction cannot serialize two
// smbtads creating the schema or the rollups at once; a named server lock (GET_LOCK) held for
// the scope does, as pg_advisory_xact_lock does on PostgreSQL. Does nothing on other drivers.
class NamedLock {
 public:
  NamedLock(DbiConnection& db, std::string_view name);
  NamedLock(const NamedLock&) = delete;
  NamedLock& operator=(const NamedLock&) = delete;
  ~NamedLock();

 private:
  DbiConnection* db_ = nullptr;  // set while the lock is held
  std::string name_;
};

namespace mysql {

// Statements run once per new MySQL connection: the character set (4-byte UTF-8, byte-wise
// comparison) and the SQL mode the shared statements rely on.
std::vector<std::string> session_setup();
// Every table, index and status row of the smbta schema (CREATE ... IF NOT EXISTS).
std::vector<std::string> schema_ddl();
// The body of the 1.2.6-compatible `data` view.
std::string data_view();
// The digest expression of a users row over three SQL expressions (columns or literals).
std::string user_digest(std::string_view user, std::string_view sid, std::string_view domain);
// Whether `msg` (a MySQL error text) means "try again later": server gone, deadlock victim.
bool looks_transient(std::string_view msg);
// Whether `msg` says the transaction was chosen as a deadlock victim (and rolled back).
bool is_deadlock(std::string_view msg);

}  // namespace mysql
}  // namespace smbta::store::dialect
