// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/pg_partitions.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "smbta/timestamp.h"
#include "store/rollup.h"

namespace smbta::store::pg_partitions {
namespace {

// Serialises partition creation and removal between smbtad instances sharing a database.
constexpr std::int64_t kPartitionLock = 7363626176;
// Days created ahead of the current one, so that midnight never waits for a CREATE.
constexpr std::int64_t kDaysAhead = 3;

// Years 1000-9999 give an 8-digit date in the name.
constexpr std::int64_t kFirstDatedMs = -30'610'224'000'000;  // 1000-01-01
constexpr std::int64_t kEndDatedMs = 253'402'300'800'000;    // 10000-01-01

// The bounds of a day, or nullopt where they leave the int64 range (MINVALUE / MAXVALUE).
std::optional<std::int64_t> bound(std::int64_t day) {
  const __int128 v = static_cast<__int128>(day) * kDayMs;
  if (v < std::numeric_limits<std::int64_t>::min() || v > std::numeric_limits<std::int64_t>::max())
    return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::string bound_sql(const std::optional<std::int64_t>& b, const char* open) {
  return b ? std::to_string(*b) : std::string(open);
}

// One bound out of pg_get_expr's "FOR VALUES FROM ('1') TO ('2')" (or MINVALUE / MAXVALUE).
std::optional<std::int64_t> parse_bound(std::string_view expr, std::string_view keyword) {
  const auto at = expr.find(keyword);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = expr.substr(at + keyword.size());
  const auto close = rest.find(')');
  rest = rest.substr(0, close);
  std::string digits;
  for (char c : rest)
    if (c == '-' || (c >= '0' && c <= '9')) digits += c;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size())
    return std::nullopt;  // MINVALUE / MAXVALUE
  return v;
}

bool overlaps(const Partition& p, const std::optional<std::int64_t>& lo,
              const std::optional<std::int64_t>& hi) {
  const bool below = hi && p.lo && *p.lo >= *hi;  // p starts at or after the range's end
  const bool above = lo && p.hi && *p.hi <= *lo;  // p ends at or before the range's start
  return !below && !above;
}

template <typename F>
void in_transaction(DbiConnection& db, F&& body) {
  db.begin();
  try {
    body();
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
}

// Removes one partition lying wholly before the cutoff: its rows leave the rollups (whose keys
// are whole hours and days) and the partition goes with one DROP. Returns its row count.
std::uint64_t drop_partition(DbiConnection& db, const Partition& p) {
  std::uint64_t n = 0;
  in_transaction(db, [&] {
    db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kPartitionLock));
    DbiResult c = db.query(fmt::format("SELECT count(*) FROM {}", p.name));
    if (c.next()) n = static_cast<std::uint64_t>(c.get_int(1).value_or(0));
    // The rollups divide with truncation toward zero; for bounds >= 0 the keys of this
    // partition's rows are exactly [lo / unit, hi / unit) and no other partition's rows have
    // them. A partition reaching below 0 from a finite bound shares key 0 with its neighbour:
    // its rows are deleted one by one instead, which the rollup triggers subtract.
    const bool exact = p.hi && *p.hi >= 0 && (!p.lo || *p.lo >= 0);
    if (!exact) {
      db.exec(fmt::format("DELETE FROM smbta_events WHERE ts >= {} AND ts < {}",
                          bound_sql(p.lo, "-9223372036854775808"), *p.hi));
    } else {
      forget_days(db, p.lo, *p.hi, p.name);
    }
    db.exec("DROP TABLE " + p.name);
  });
  return n;
}

// Days from today beyond which a missing day's partition spans its month, or its year.
constexpr std::int64_t kMonthSpanDays = 31;
constexpr std::int64_t kYearSpanDays = 366;

// The partition of the whole month (or year) holding `day`, for years 1000-9998.
std::optional<Partition> span_of(std::int64_t day, bool month) {
  const auto lo = bound(day);
  if (!lo || *lo < kFirstDatedMs || *lo >= kEndDatedMs) return std::nullopt;
  const std::string t = format_timestamp(*lo);
  const int year = std::stoi(t.substr(0, 4)), mon = std::stoi(t.substr(5, 2));
  const int next_year = month && mon < 12 ? year : year + 1;
  const int next_mon = month ? (mon < 12 ? mon + 1 : 1) : 1;
  const auto from = parse_timestamp(fmt::format("{:04}-{:02}-01 00:00:00", year, month ? mon : 1));
  const auto to = parse_timestamp(fmt::format("{:04}-{:02}-01 00:00:00", next_year, next_mon));
  if (!from || !to) return std::nullopt;
  return Partition{month ? fmt::format("smbta_events_{:04}{:02}", year, mon)
                         : fmt::format("smbta_events_{:04}", year),
                   *from, *to};
}

}  // namespace

std::string partition_name(std::int64_t day) {
  const auto lo = bound(day);
  if (lo && *lo >= kFirstDatedMs && *lo < kEndDatedMs) {
    const std::string t = format_timestamp(*lo);  // YYYY-MM-DD ...
    return fmt::format("smbta_events_{}{}{}", t.substr(0, 4), t.substr(5, 2), t.substr(8, 2));
  }
  // dmN is day -(N + 1): negation cannot overflow.
  return day < 0 ? fmt::format("smbta_events_dm{}", -(day + 1))
                 : fmt::format("smbta_events_d{}", day);
}

std::string partitioned_table_sql(std::string_view columns) {
  return fmt::format("CREATE TABLE IF NOT EXISTS smbta_events ({}) PARTITION BY RANGE (ts)",
                     columns);
}

bool is_partitioned(DbiConnection& db) {
  DbiResult r = db.query(
      "SELECT CAST(relkind AS text) FROM pg_class WHERE oid = to_regclass('smbta_events')");
  return r.next() && r.get_text(1).value_or("") == "p";
}

bool convert_unpartitioned(DbiConnection& db) {
  DbiResult r = db.query(
      "SELECT CAST(relkind AS text) FROM pg_class WHERE oid = to_regclass('smbta_events')");
  if (!r.next() || r.get_text(1).value_or("") != "r") return false;
  DbiResult m = db.query("SELECT max(ts) FROM smbta_events");
  std::optional<std::int64_t> newest;
  if (m.next()) newest = m.get_int(1);
  // The view and the rollup triggers move with a renamed table; they belong to the new one.
  db.exec("DROP VIEW IF EXISTS data");
  for (const char* t : {"smbta_rollup", "smbta_rollup_files", "smbta_rollup_file_totals"})
    for (const char* s : {"_ins", "_del", "_upd"})
      db.exec(fmt::format("DROP TRIGGER IF EXISTS {}{} ON smbta_events", t, s));
  db.exec("ALTER TABLE smbta_events RENAME TO smbta_events_unpartitioned");
  db.exec("ALTER INDEX IF EXISTS smbta_events_ts RENAME TO smbta_events_unpartitioned_ts");
  DbiResult cols = db.query(
      "SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod) || "
      "CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END || COALESCE(' DEFAULT ' || "
      "pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY attnum) FROM pg_attribute a LEFT JOIN "
      "pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = "
      "'smbta_events_unpartitioned'::regclass AND a.attnum > 0 AND NOT a.attisdropped");
  if (!cols.next()) throw StoreError("cannot read the columns of smbta_events", false);
  db.exec(partitioned_table_sql(cols.get_text(1).value_or("")));
  db.exec("CREATE INDEX IF NOT EXISTS smbta_events_ts ON smbta_events (ts)");
  if (!newest) {
    db.exec("DROP TABLE smbta_events_unpartitioned");
    return true;
  }
  // Everything up to the end of the newest day stays where it is: attaching validates the
  // bound with one scan instead of copying every row, and the existing ts index becomes the
  // partition's part of the partitioned index.
  const auto hi = bound(day_of(*newest) + 1);
  db.exec(fmt::format(
      "ALTER TABLE smbta_events ATTACH PARTITION smbta_events_unpartitioned FOR VALUES FROM "
      "(MINVALUE) TO ({})",
      bound_sql(hi, "MAXVALUE")));
  return true;
}

void prepare(DbiConnection& db, std::int64_t now_ms) {
  convert_unpartitioned(db);
  std::set<std::int64_t> days;
  for (std::int64_t d = day_of(now_ms) - 1; d <= day_of(now_ms) + kDaysAhead; ++d) days.insert(d);
  create_days(db, days);
}

std::vector<Partition> list(DbiConnection& db) {
  std::vector<Partition> out;
  DbiResult r = db.query(
      "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c "
      "ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('smbta_events')");
  while (r.next()) {
    const std::string expr = r.get_text(2).value_or("");
    if (expr.find("FROM") == std::string::npos) continue;  // DEFAULT
    out.push_back(
        {r.get_text(1).value_or(""), parse_bound(expr, "FROM ("), parse_bound(expr, "TO (")});
  }
  std::sort(out.begin(), out.end(), [](const Partition& a, const Partition& b) {
    return a.lo.value_or(std::numeric_limits<std::int64_t>::min()) <
           b.lo.value_or(std::numeric_limits<std::int64_t>::min());
  });
  return out;
}

void create_days(DbiConnection& db, const std::set<std::int64_t>& days) {
  if (days.empty()) return;
  db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kPartitionLock));
  db.exec("SET LOCAL client_min_messages = warning");
  auto parts = list(db);
  const std::int64_t today = day_of(local_now_ms());
  for (const std::int64_t day : days) {
    auto free = [&](const Partition& c) {
      return std::none_of(parts.begin(), parts.end(),
                          [&](const Partition& p) { return overlaps(p, c.lo, c.hi); });
    };
    const Partition one{partition_name(day), bound(day), bound(day + 1)};
    if (!free(one)) continue;  // covered already (partitions are whole days, months or years)
    // A day far from today gets the partition of its whole month or year (when nothing else
    // lies there yet): records of a module with a wrong clock, or 1.2.x history converted,
    // would otherwise create a partition for every day they touch.
    const std::int64_t distance = day > today ? day - today : today - day;
    Partition chosen = one;
    for (const auto& wider : {distance > kYearSpanDays ? span_of(day, false) : std::nullopt,
                              distance > kMonthSpanDays ? span_of(day, true) : std::nullopt})
      if (wider && free(*wider)) {
        chosen = *wider;
        break;
      }
    db.exec(fmt::format(
        "CREATE TABLE IF NOT EXISTS {} PARTITION OF smbta_events FOR VALUES FROM ({}) TO ({})",
        chosen.name, bound_sql(chosen.lo, "MINVALUE"), bound_sql(chosen.hi, "MAXVALUE")));
    parts.push_back(chosen);
  }
}

void Cover::reload(DbiConnection& db) {
  parts_ = list(db);
}

bool Cover::covered(std::int64_t day) const {
  const auto lo = bound(day), hi = bound(day + 1);
  for (const auto& p : parts_) {
    const bool from = !p.lo || (lo && *p.lo <= *lo);
    const bool to = !p.hi || (hi && *p.hi >= *hi);
    if (from && to) return true;
  }
  return false;
}

void Cover::ensure(DbiConnection& db, const std::set<std::int64_t>& days) {
  std::set<std::int64_t> missing;
  for (auto d : days)
    if (!covered(d)) missing.insert(d);
  if (missing.empty()) return;
  in_transaction(db, [&] { create_days(db, missing); });
  reload(db);
}

PurgeStep purge_step(DbiConnection& db, std::int64_t cutoff_ms, std::int64_t now_ms,
                     std::uint64_t limit) {
  for (const auto& p : list(db)) {
    if (!p.hi || *p.hi > cutoff_ms) continue;
    // One partition per step: the writer stores the rows waiting meanwhile before the next.
    return {drop_partition(db, p), false};
  }
  // What is left older than the cutoff lies in the partition holding it (and a DEFAULT one):
  // deleted in bounded batches by ctid (a TID scan per partition), the rollup triggers
  // subtracting them. A ctid is unique per partition only, so a batch may also hit a row of the
  // same ctid in another partition; with ts < cutoff that row is due as well.
  std::uint64_t n = 0;
  in_transaction(db, [&] {
    n = db.exec(
        fmt::format("DELETE FROM smbta_events WHERE ts < {0} AND ctid = ANY(ARRAY(SELECT ctid FROM "
                    "smbta_events WHERE ts < {0} LIMIT {1}))",
                    cutoff_ms, limit));
  });
  if (n >= limit) return {n, false};
  // The run is over: the partitions of the next days are made ahead of time.
  std::set<std::int64_t> ahead;
  for (std::int64_t d = day_of(now_ms); d <= day_of(now_ms) + kDaysAhead; ++d) ahead.insert(d);
  in_transaction(db, [&] { create_days(db, ahead); });
  return {n, true};
}

}  // namespace smbta::store::pg_partitions
