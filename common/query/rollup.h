// SPDX-License-Identifier: GPL-3.0-or-later
// Optional hourly rollup of read/write bytes per user and share, kept exact by SQL triggers.
#pragma once

#include "store/dbi_connection.h"

namespace smbta::query {

// Why: `total`, `top users|shares|domains`, `list users|shares|domains` and `usage` over the
// whole history would otherwise scan every event row (seconds at 10 million rows on sqlite3).
// The rollup holds one row per (user, share, read|write, hour) with byte and record sums, a
// few percent of the events' size. Triggers on smbta_events keep it exact for every insert,
// accumulate-update and purge, whoever writes, so the store's insert path needs no change; the
// engine reads it for whole hours and the raw events for partial hours at range edges.
//
// Table: smbta_rollup_hourly(user_id, share_id, kind 0=read 1=write, hour = ts / 3600000,
// bytes, records), primary key in that order.

// Creates the table and the triggers if missing and fills the table from the events, in one
// transaction (idempotent; a second call changes nothing). sqlite3 and pgsql.
void install_rollups(store::DbiConnection& db);

// Drops triggers and table (for benchmarks and for a database that should not pay the
// per-insert cost).
void drop_rollups(store::DbiConnection& db);

// True when the rollup table and its triggers exist.
bool rollups_installed(store::DbiConnection& db);

}  // namespace smbta::query
