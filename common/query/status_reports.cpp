// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad-report and self-check, read from the status and modules tables that smbtad writes.
#include "query/status_reports.h"

#include <fmt/format.h>

#include "smbta/defaults.h"
#include "store/schema.h"

namespace smbta::query {
namespace {

using store::DbiResult;

// Why: each row of smbtad-report is one column of the status table under the names the
// original report gave it; one list keeps the SELECT and the rows in the same order.
struct StatusField {
  const char* column;
  const char* key;  // XML element name of the original report
  const char* label;
  const char* meaning;
};
constexpr StatusField kStatus[] = {
    {"smbtad_version", "smbtad_version", "smbtad version",
     "The version of smbtad that last started on this database."},
    {"smbtad_database_version", "database_version", "database version",
     "The schema version of the database."},
    {"smbtad_client_port", "client_port", "client port",
     "TCP port on which smbtad serves clients (smbtaquery, smbtamonitor); 0 = none."},
    {"smbtad_unix_socket_clients", "unix_socket_clients", "unix_socket_clients",
     "1 = clients may also connect through the Unix socket " SMBTA_DEFAULT_CLIENT_SOCKET "."},
    {"smbtad_dbname", "dbname", "database name", "The name of the database."},
    {"smbtad_dbhost", "dbhost", "database host", "The host of the database server."},
    {"smbtad_dbuser", "dbuser", "database user", "The database user smbtad connects as."},
    {"smbtad_dbdriver", "dbdriver", "database driver", "The libdbi driver (sqlite3, pgsql)."},
    {"smbtad_maintenance_timer_str", "maintenance_timer_str", "run maintenance every",
     "Time between maintenance runs (HH:MM:SS, -t)."},
    {"smbtad_maintenance_run_time", "maintenance_run_time", "keep data for",
     "Seconds; each maintenance run deletes data older than this (-m)."},
    {"smbtad_debug_level", "debug_level", "debug level", "smbtad's debug level (0-10)."},
    {"smbtad_precision", "precision", "precision",
     "Seconds during which smbtad sums up R/W records of one user and file into one row."},
    {"smbtad_daemon", "daemon", "daemon", "1 = smbtad runs as a daemon."},
    {"smbtad_use_db", "use_db", "use-db",
     "0 = smbtad stores nothing and serves real-time monitors only."},
    {"smbtad_config_file", "config_file", "config file", "The configuration file smbtad read."},
    {"smbtad_ip", "smbtad_ip", "smbtad_ip", "The address smbtad listens on."},
};

}  // namespace

ResultTable run_function(ExecContext& ctx, const Report& fn, const Resolved&, const std::string&) {
  ResultTable out;
  out.function = "smbtad-report";
  out.title = fn.full ? "smbtad configuration report" : "smbtad configuration";
  out.notes.emplace_back("kind", fn.full ? "full" : "short");
  out.columns = {{"key", "Key", ColumnType::kText},
                 {"setting", "Setting", ColumnType::kText},
                 {"value", "Value", ColumnType::kText}};
  if (fn.full) out.columns.push_back({"meaning", "Meaning", ColumnType::kText});
  std::string cols;
  for (const auto& f : kStatus) cols += (cols.empty() ? "" : ", ") + std::string(f.column);
  DbiResult res =
      ctx.query(fmt::format("SELECT {} FROM status WHERE smbtad_control_entry = 'SMBTAD'", cols));
  if (!res.next())
    throw QueryError(QueryError::Kind::kDatabase, "the status table has no SMBTAD row");
  unsigned i = 1;
  for (const auto& f : kStatus) {
    std::vector<Cell> row{std::string(f.key), std::string(f.label), res.get_text(i++).value_or("")};
    if (fn.full) row.emplace_back(std::string(f.meaning));
    out.rows.push_back(std::move(row));
  }
  return out;
}

ResultTable run_function(ExecContext& ctx, const SelfCheck&, const Resolved&, const std::string&) {
  ResultTable out;
  out.function = "self-check";
  out.title = "Self-check (offline: no update check is made)";
  out.columns = {{"key", "Key", ColumnType::kText},
                 {"component", "Component", ColumnType::kText},
                 {"version", "Version", ColumnType::kText},
                 {"overflow", "Overflow", ColumnType::kCount},
                 {"comment", "Comment", ColumnType::kText}};
  std::string smbtad, dbv;
  {
    DbiResult res = ctx.query(
        "SELECT smbtad_version, smbtad_database_version FROM status WHERE "
        "smbtad_control_entry = 'SMBTAD'");
    if (res.next()) {
      smbtad = res.get_text(1).value_or("");
      dbv = res.get_text(2).value_or("");
    }
  }
  const std::string mine(engine_version());
  out.rows.push_back({"smbtad", "smbtad", smbtad, Cell(),
                      smbtad.empty()   ? "smbtad has not started on this database yet."
                      : smbtad == mine ? "smbtad and smbtaquery are of the same release."
                                       : fmt::format("smbtad is {}, smbtaquery is {}: "
                                                     "install the same release of both.",
                                                     smbtad, mine)});
  out.rows.push_back(
      {"smbtatools", "smbtaquery", mine, Cell(), "No update check is made (offline)."});
  out.rows.push_back({"database", "database", dbv, Cell(),
                      dbv == store::schema::kSchemaVersion
                          ? "Database status is ok: the schema is current."
                          : fmt::format("The schema is {}, this release uses {}.", dbv,
                                        store::schema::kSchemaVersion)});
  DbiResult m = ctx.query(fmt::format(
      "SELECT module_ip_address, module_subrelease_number, module_common_blocks_overflow FROM "
      "modules ORDER BY {}",
      ctx.ordered("module_ip_address")));
  bool any = false;
  while (m.next()) {
    any = true;
    const auto sub = m.get_int(2).value_or(0);
    const auto over = m.get_int(3).value_or(0);
    std::string comment =
        sub > 0
            ? fmt::format("Subrelease {} is newer than smbtad supports (0); update smbtad.", sub)
        : over == 0 ? "OK: the module sends exactly the data smbtad needs."
        : over > 0  ? "OK: the module sends more data than smbtad needs; the rest is ignored."
                    : "The module sends fewer common blocks than required.";
    out.rows.push_back(
        {"module", m.get_text(1).value_or(""), std::to_string(sub), over, std::move(comment)});
  }
  if (!any)
    out.notes.emplace_back("error", "No servers running VFS modules have been seen by smbtad.");
  return out;
}

}  // namespace smbta::query
