// SPDX-License-Identifier: GPL-3.0-or-later
// Optional rollups of read/write bytes (hourly per user and share; daily per file), kept exact by
// SQL triggers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "store/dbi_connection.h"

namespace smbta::store {

// Why: `total`, `top users|shares|domains`, `list users|shares|domains` and `usage` over the
// whole history would otherwise scan every event row (seconds at 10 million rows on sqlite3),
// and `top files`, `list files` and the file part of `search` would group every event row by
// file (tens of seconds).
// Two rollups, each kept exact by triggers on smbta_events for every insert, accumulate-update
// and purge, whoever writes, so the store's insert path needs no change:
//   smbta_rollup_hourly(user_id, share_id, kind 0=read 1=write, hour = ts / 3600000, bytes,
//     records): a few percent of the events' size; the engine reads it for whole hours and the
//     raw events for partial hours at range edges.
//   smbta_rollup_files(day = ts / 86400000, share_id, file_id (0: none), user_id, kind, bytes,
//     records), indexed by file_id: one row per file, user and day; read for whole days, raw
//     events at the edges.
//   smbta_rollup_file_totals(share_id, file_id, kind 0=read 1=write 2=both, bytes, records),
//     indexed by (kind, bytes) and file_id: all-time sums per file, installed with the file
//     rollup; `top files` over all time reads its top N from the index.
// Primary keys in the column order given.

// The hourly rollup is on by default in smbtad: it costs a few percent of insert speed. The
// file rollup is opt-in (smbtad --file-rollup 1): where every event touches another file it
// adds a rollup row per event (about +14 bytes and twice the CPU per stored row in
// bench/ingest_bench.sh); on a server whose users work on a few files a day it stays small.

// A choice of rollups, or which ones are complete (table and all three triggers).
struct RollupSet {
  bool hourly = false;
  bool files = false;  // chosen: the daily file rollup and the file totals
  // Found complete (installed_rollups only): the file totals. A file rollup installed before
  // they existed lacks them until the next install_rollups (smbtad's start or -T, smbtaquery
  // --install-rollups).
  bool file_totals = false;
  // Installed with the hourly rollup: the latency histogram (store/latency_rollup.h).
  bool latency = false;
};

// Creates the missing tables and triggers of the chosen rollups and fills new tables from the
// events, in one transaction (idempotent; a second call changes nothing). Rollups not chosen are
// left as they are, except that secondary indexes added since they were installed are created.
// sqlite3, pgsql and mysql.
void install_rollups(DbiConnection& db, RollupSet which);

// PostgreSQL, before the events in [lo_ms, hi_ms) leave without their delete triggers firing (a
// dropped day partition): removes their sums from every rollup. lo_ms and hi_ms are multiples
// of a day and no other event lies in the days between them (lo_ms absent: from the first);
// `events` is a relation holding exactly these events (read only without the daily file rollup).
void forget_days(DbiConnection& db, std::optional<std::int64_t> lo_ms, std::int64_t hi_ms,
                 std::string_view events);

// Drops all triggers and tables (for benchmarks and for a database that should not pay the
// per-insert cost).
void drop_rollups(DbiConnection& db);

RollupSet installed_rollups(DbiConnection& db);

}  // namespace smbta::store
