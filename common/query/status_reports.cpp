// SPDX-License-Identifier: GPL-3.0-or-later
// smbtad-report and self-check, read from the status and modules tables that smbtad writes.
#include "query/status_reports.h"

#include <fmt/format.h>

#include <map>

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
     "1 = clients may also connect through the Unix socket (client socket below)."},
    {"smbtad_dbname", "dbname", "database name",
     "The database smbtad writes (sqlite3: the file, with its directory)."},
    {"smbtad_dbhost", "dbhost", "database host", "The host of the database server."},
    {"smbtad_dbuser", "dbuser", "database user", "The database user smbtad connects as."},
    {"smbtad_dbdriver", "dbdriver", "database driver", "The libdbi driver (sqlite3, pgsql)."},
    {"smbtad_maintenance_timer_str", "maintenance_timer_str", "run maintenance every",
     "Time between maintenance runs (HH:MM:SS, -t)."},
    {"smbtad_maintenance_run_time", "maintenance_run_time", "keep data for",
     "DAYS,HH:MM:SS as -m takes it; each maintenance run deletes data older than this."},
    {"smbtad_debug_level", "debug_level", "debug level", "smbtad's debug level (0-10)."},
    {"smbtad_precision", "precision", "precision",
     "Seconds during which smbtad sums up R/W records of one user and file into one row."},
    {"smbtad_daemon", "daemon", "daemon", "1 = smbtad runs as a daemon."},
    {"smbtad_use_db", "use_db", "use-db",
     "0 = smbtad stores nothing and serves real-time monitors only."},
    {"smbtad_config_file", "config_file", "config file",
     "The configuration file smbtad read, with its directory."},
    {"smbtad_ip", "smbtad_ip", "smbtad_ip", "The address smbtad listens on."},
};

// Why: the settings the 1.2.6 status table has no column for (smbta_settings, written by
// smbtad 2.0.0 and later); shown after the 1.2.6 rows, "(not recorded)" for an older smbtad.
struct Setting {
  const char* name;  // smbta_settings.name, also the XML element
  const char* label;
  const char* meaning;
};
constexpr Setting kSettings[] = {
    {"module_port", "module port",
     "TCP port on which smbtad receives the VFS modules' data (-i); 0 = none (-u)."},
    {"module_socket", "module socket",
     "Unix socket on which smbtad receives the VFS modules' data (-u); empty = none."},
    {"client_socket", "client socket",
     "Unix socket on which smbtad serves clients (-n, smbtaquery -u); empty = none."},
};

// Seconds as DAYS,HH:MM:SS, the form smbtad -m and maintenance_run_time take.
std::string days_hms(std::int64_t s) {
  if (s < 0) return std::to_string(s);
  return fmt::format("{},{:02}:{:02}:{:02}", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
}

// smbta_settings as a map; empty when the table is missing (a database of an older 2.0 smbtad
// that has not restarted since).
std::map<std::string, std::string> settings(ExecContext& ctx) {
  std::map<std::string, std::string> out;
  if (!store::schema::has_table(ctx.db(), "smbta_settings")) return out;
  for (DbiResult r = ctx.query("SELECT name, value FROM smbta_settings"); r.next();)
    out[r.get_text(1).value_or("")] = r.get_text(2).value_or("");
  return out;
}

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
  const auto extra = settings(ctx);
  auto add = [&](const char* key, const char* label, std::string value, const char* meaning) {
    std::vector<Cell> row{std::string(key), std::string(label), std::move(value)};
    if (fn.full) row.emplace_back(std::string(meaning));
    out.rows.push_back(std::move(row));
  };
  std::map<std::string_view, std::string> by_key;
  std::vector<std::string> values;
  for (unsigned i = 1; i <= std::size(kStatus); ++i) {
    values.push_back(res.get_text(i).value_or(""));
    by_key[kStatus[i - 1].key] = values.back();
  }
  for (std::size_t i = 0; i < std::size(kStatus); ++i) {
    const StatusField& f = kStatus[i];
    const std::string_view key = f.key;
    std::string value = values[i];
    if (key == "maintenance_run_time" && !value.empty())
      value = days_hms(res.get_int(static_cast<unsigned>(i + 1)).value_or(0));
    // A sqlite3 file with its directory (the status column holds the name as given, which
    // 1.2.6 readers expect); a server database is named by the name, host and user rows.
    if (auto it = extra.find("database"); key == "dbname" && by_key["dbdriver"] == "sqlite3" &&
                                          it != extra.end() && !it->second.empty())
      value = it->second;
    add(f.key, f.label, std::move(value), f.meaning);
  }
  for (const auto& s : kSettings) {
    auto it = extra.find(s.name);
    add(s.name, s.label, it != extra.end() ? it->second : "(not recorded)", s.meaning);
  }
  return out;
}

ResultTable run_function(ExecContext& ctx, const SelfCheck&, const Resolved&, const std::string&) {
  ResultTable out;
  out.function = "self-check";
  out.title = "Self-check (offline: no update check is made)";
  // The modules table's two numbers are the protocol subrelease the module speaks and how many
  // header (common) blocks its records carry beyond the six smbtad reads; "Version" and
  // "Overflow" read like a release and queue overflows. The drops are the module's own count
  // of records it could not deliver (its drop notices).
  out.columns = {{"key", "Key", ColumnType::kText},
                 {"component", "Component", ColumnType::kText},
                 {"version", "Version", ColumnType::kText},
                 {"subrelease", "Subrelease", ColumnType::kCount},
                 {"overflow", "Extra header blocks", ColumnType::kCount},
                 {"dropped", "Records dropped", ColumnType::kCount},
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
  out.rows.push_back({"smbtad", "smbtad", smbtad, Cell(), Cell(), Cell(),
                      smbtad.empty()   ? "smbtad has not started on this database yet."
                      : smbtad == mine ? "smbtad and smbtaquery are of the same release."
                                       : fmt::format("smbtad is {}, smbtaquery is {}: "
                                                     "install the same release of both.",
                                                     smbtad, mine)});
  out.rows.push_back({"smbtatools", "smbtaquery", mine, Cell(), Cell(), Cell(),
                      "No update check is made (offline)."});
  out.rows.push_back({"database", "database", dbv, Cell(), Cell(), Cell(),
                      dbv == store::schema::kSchemaVersion
                          ? "Database status is ok: the schema is current."
                          : fmt::format("The schema is {}, this release uses {}.", dbv,
                                        store::schema::kSchemaVersion)});
  const bool drops = store::schema::has_table(ctx.db(), "smbta_module_drops");
  DbiResult m = ctx.query(fmt::format(
      "SELECT m.module_ip_address, m.module_subrelease_number, m.module_common_blocks_overflow, "
      "{} FROM modules m{} ORDER BY {}",
      drops ? "d.records, d.bytes" : "NULL, NULL",
      drops ? " LEFT JOIN smbta_module_drops d ON d.module_ip_address = m.module_ip_address" : "",
      ctx.ordered("m.module_ip_address")));
  bool any = false;
  while (m.next()) {
    any = true;
    const auto sub = m.get_int(2).value_or(0);
    const auto over = m.get_int(3).value_or(0);
    const auto dropped = m.get_int(4).value_or(0);
    std::string comment =
        sub > 0 ? fmt::format(
                      "Protocol subrelease {} is newer than smbtad supports (0); update "
                      "smbtad.",
                      sub)
        : over == 0 ? "OK: the module's records carry exactly the header blocks smbtad reads."
        : over > 0  ? fmt::format(
                          "OK: the module's records carry {} header block{} more than smbtad "
                           "reads (a newer module); smbtad ignores {}.",
                          over, over == 1 ? "" : "s", over == 1 ? "it" : "them")
                   : "The module's records carry fewer header blocks than smbtad requires.";
    if (dropped > 0)
      comment += fmt::format(
          " The module reported {} record{} ({} bytes) it could not deliver while smbtad was "
          "unreachable or too slow; they are missing from the database.",
          dropped, dropped == 1 ? "" : "s", m.get_int(5).value_or(0));
    out.rows.push_back({"module", m.get_text(1).value_or(""), Cell(), sub, over,
                        drops ? Cell(dropped) : Cell(), std::move(comment)});
  }
  if (!any)
    out.notes.emplace_back("error", "No servers running VFS modules have been seen by smbtad.");
  return out;
}

}  // namespace smbta::query
