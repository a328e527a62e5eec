// SPDX-License-Identifier: GPL-3.0-or-later
// PostgreSQL: smbta_events partitioned by day, partitions created ahead and on demand, retention
// by dropping whole partitions, and the conversion of an unpartitioned events table.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "store/dbi_connection.h"
#include "store/event_store.h"

namespace smbta::store::pg_partitions {

inline constexpr std::int64_t kDayMs = 86'400'000;

// The day (floor of ts / one day) a naive local timestamp belongs to.
constexpr std::int64_t day_of(std::int64_t ts_ms) {
  return ts_ms / kDayMs - (ts_ms % kDayMs < 0 ? 1 : 0);
}

// The partition name for a day: smbta_events_YYYYMMDD, or smbta_events_dN outside years
// 1000-9999.
std::string partition_name(std::int64_t day);

// The column definitions and partitioning clause of the events table (schema.cpp's DDL).
std::string partitioned_table_sql(std::string_view columns);

// When smbta_events is a plain table (created before partitioning): renames it, creates the
// partitioned table and attaches the old table as the one partition for everything up to the
// end of its newest day (retention trims it, then drops it whole). Runs inside the caller's
// transaction, before the rest of the schema DDL. The `data` view and the rollup triggers
// belong to the old table then: both are dropped here and created again by the caller (schema
// and rollup set-up). Returns true when it converted.
bool convert_unpartitioned(DbiConnection& db);

// schema::create's part on pgsql, inside its transaction: converts a plain events table and
// creates the partitions of yesterday, today and the next days.
void prepare(DbiConnection& db, std::int64_t now_ms);

// One partition of smbta_events: [lo, hi) in ms, std::nullopt for MINVALUE / MAXVALUE.
struct Partition {
  std::string name;
  std::optional<std::int64_t> lo, hi;
  bool covers(std::int64_t ts) const { return (!lo || ts >= *lo) && (!hi || ts < *hi); }
};

// Every partition of smbta_events, ordered by lower bound (a DEFAULT partition is left out).
std::vector<Partition> list(DbiConnection& db);

// Creates the partitions of `days` that no existing partition covers, inside the caller's
// transaction (serialised against other smbtad instances by an advisory lock). A day more than
// a month (a year) from today gets a partition for its whole month (year) where that range is
// still free.
void create_days(DbiConnection& db, const std::set<std::int64_t>& days);

// Why: a row for which no partition exists is refused by PostgreSQL, and creating a partition
// inside the ingest transaction would hold a lock on the whole table until its commit (and
// deadlock two writers). This cache says which days exist; the store calls ensure() for a
// batch's days before its transaction begins, and only a day not seen before costs a query.
class Cover {
 public:
  // Remembers the partitions of `db` (nothing when the table is not partitioned).
  void reload(DbiConnection& db);
  // Creates, in its own transaction, the partitions missing for `days`.
  void ensure(DbiConnection& db, const std::set<std::int64_t>& days);
  // Whether a known partition covers the whole day.
  bool covered(std::int64_t day) const;
  void forget() { parts_.clear(); }

 private:
  std::vector<Partition> parts_;
};

// One step of retention (EventStore::purge_step): drops the oldest partition lying wholly
// before cutoff_ms (after subtracting it from the rollup tables, whose keys are whole hours and
// days); when none is left, deletes up to `limit` older rows of the partition holding cutoff_ms,
// and once those are gone creates the partitions of the next days ahead of time. Runs its own
// transactions.
PurgeStep purge_step(DbiConnection& db, std::int64_t cutoff_ms, std::int64_t now_ms,
                     std::uint64_t limit);

// Whether smbta_events is a partitioned table.
bool is_partitioned(DbiConnection& db);

}  // namespace smbta::store::pg_partitions
