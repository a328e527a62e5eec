// SPDX-License-Identifier: GPL-3.0-or-later
// Optional rollups of read/write bytes (hourly per user and share; daily per file), kept exact by
// SQL triggers.
#pragma once

#include "store/dbi_connection.h"

namespace smbta::query {

// Why: `total`, `top users|shares|domains`, `list users|shares|domains` and `usage` over the
// whole history would otherwise scan every event row (seconds at 10 million rows on sqlite3),
// and `top files`, `list files` and the file part of `search` would group every event row by
// file (tens of seconds).
// Two rollups, each kept exact by triggers on smbta_events for every insert, accumulate-update
// and purge, whoever writes, so the store's insert path needs no change:
//   smbta_rollup_hourly(user_id, share_id, kind 0=read 1=write, hour = ts / 3600000, bytes,
//     records): a few percent of the events' size; the engine reads it for whole hours and the
//     raw events for partial hours at range edges.
//   smbta_rollup_files(share_id, file_id (0: none), user_id, kind, day = ts / 86400000, bytes,
//     records): one row per file, user and day; read for whole days, raw events at the edges.
// Primary keys in the column order given.

// Creates missing tables and triggers and fills new tables from the events, in one transaction
// (idempotent; a second call changes nothing; a database with only the hourly rollup gets the
// file rollup). sqlite3 and pgsql.
void install_rollups(store::DbiConnection& db);

// Drops triggers and tables (for benchmarks and for a database that should not pay the
// per-insert cost).
void drop_rollups(store::DbiConnection& db);

// Which rollups are complete (table and all three triggers).
struct RollupSet {
  bool hourly = false;
  bool files = false;
};
RollupSet installed_rollups(store::DbiConnection& db);

// True when every rollup is installed.
bool rollups_installed(store::DbiConnection& db);

}  // namespace smbta::query
