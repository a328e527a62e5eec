// SPDX-License-Identifier: GPL-3.0-or-later
// Query engine timings over a large generated database (10 million events by default).
//
// usage: query_bench [ROWS] [SQLITE_FILE]     (ROWS 0: only the insert-cost measurement)
// Fills SQLITE_FILE (default /var/tmp/smbta-query-bench.db; reused when it already holds ROWS
// events of the same layout) and times every function of the language without and with the
// rollups. SMBTA_BENCH_LAYOUT=clustered: realistic file locality (see clustered()), default file
// /var/tmp/smbta-query-bench-clustered.db.
// With SMBTA_BENCH_PGSQL="host=... port=... user=... password=... dbname=..." the same runs on
// PostgreSQL, with SMBTA_BENCH_MYSQL (same form) on MySQL/MariaDB (the database is emptied and
// refilled when its event count differs). SMBTA_BENCH_ONLY_PGSQL=1 skips the sqlite3 runs,
// SMBTA_BENCH_SKIP_RAW=1 the timings without rollups (minutes each at 100 million rows),
// SMBTA_BENCH_FILL_ONLY=1 everything after the fill, SMBTA_BENCH_NO_INSERT_COST=1 the insert-cost
// runs. Rollups already complete are kept (only missing ones are installed and backfilled).
// Rows are generated inside the database (recursive CTE / generate_series / MariaDB's sequence
// engine) from a fixed integer hash of the row number, so every driver holds identical data: 200
// users in 3 domains, 20 shares, 50000 files, 30 days; 45% read, 25% write, 10% pread/pwrite,
// 20% open/close; every event carries a latency (skewed: most below 2 ms, a tail to 20 ms).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "query/engine.h"
#include "smbta/timestamp.h"
#include "store/dbi_connection.h"
#include "store/event_store.h"
#include "store/pg_partitions.h"
#include "store/rollup.h"
#include "store/sql_dialect.h"
#include "support/pg_conninfo.h"
#include "support/test_records.h"

namespace {

using smbta::store::DbiConnection;
using smbta::store::DbParams;

constexpr std::int64_t kSpanMs = 30LL * 86'400'000;
const std::int64_t kBase = *smbta::parse_timestamp("2012-06-01 00:00:00");

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::int64_t scalar(DbiConnection& db, const std::string& sql) {
  auto r = db.query(sql);
  return r.next() ? r.get_int(1).value_or(0) : 0;
}

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

// The rows x = 0..n-1 as a relation named c(x).
std::string series(const DbiConnection& db, std::int64_t n) {
  if (db.is_sqlite())
    return fmt::format(
        "WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x + 1 < {}) ", n);
  if (db.is_mysql()) return fmt::format("WITH c(x) AS (SELECT seq FROM seq_0_to_{}) ", n - 1);
  return fmt::format("WITH c(x) AS (SELECT generate_series(CAST(0 AS bigint), {})) ", n - 1);
}

// 'prefix' followed by the decimal text of the integer expression `x`.
std::string text_of(const DbiConnection& db, std::string_view prefix, std::string_view x) {
  if (db.is_mysql()) return fmt::format("CONCAT('{}', {})", prefix, x);
  return fmt::format("'{}' || CAST({} AS text)", prefix, x);
}

// Uniform: every row picks its file, share and user independently, the worst case for any rollup
// by file. Clustered (SMBTA_BENCH_LAYOUT=clustered): each user works on 25 neighbouring files a
// day, and a share holds 2,500 neighbouring files, so a user touches one or two shares a day, as
// on a real file server.
bool clustered() {
  const char* l = std::getenv("SMBTA_BENCH_LAYOUT");
  return l != nullptr && std::string_view(l) == "clustered";
}

void fill(DbiConnection& db, std::int64_t n) {
  const auto t0 = std::chrono::steady_clock::now();
  auto idiv = [&](std::string_view a, std::string_view b) {
    return smbta::store::dialect::int_div(db, a, b);
  };
  if (db.is_pgsql()) db.exec("DROP TABLE IF EXISTS smbta_rollup_hourly CASCADE");
  for (const char* t : {"smbta_events", "smbta_strings", "smbta_users"})
    db.exec(fmt::format("DELETE FROM {}", t));
  db.begin();
  // MySQL: INSERT ... WITH is spelled INSERT ... (WITH ... SELECT), and || is OR.
  auto insert = [&](std::string_view into, std::int64_t rows, const std::string& select) {
    db.exec(db.is_mysql() ? fmt::format("INSERT INTO {} {}{}", into, series(db, rows), select)
                          : fmt::format("{}INSERT INTO {} {}", series(db, rows), into, select));
  };
  insert("smbta_strings (id, value)", 20,
         fmt::format("SELECT x + 1, {} FROM c", text_of(db, "share", "x")));
  const std::string file_name =
      db.is_mysql() ? "CONCAT('projects/dir', x % 100, '/file', x, '.dat')"
                    : "'projects/dir' || CAST(x % 100 AS text) || '/file' || CAST(x AS text) || "
                      "'.dat'";
  insert("smbta_strings (id, value)", 50000, fmt::format("SELECT x + 1001, {} FROM c", file_name));
  const std::string sid =
      db.is_mysql() ? "CONCAT('S-1-5-21-', x % 3, '-', 1000 + x)"
                    : "'S-1-5-21-' || CAST(x % 3 AS text) || '-' || CAST(1000 + x AS text)";
  insert("smbta_users (id, username, usersid, domain)", 200,
         fmt::format("SELECT x + 1, {}, {}, {} FROM c", text_of(db, "user", "x"), sid,
                     text_of(db, "DOM", "x % 3")));
  if (db.is_pgsql()) {
    // smbta_events is partitioned by day: the generated span needs its partitions.
    std::set<std::int64_t> days;
    for (std::int64_t d = smbta::store::pg_partitions::day_of(kBase);
         d <= smbta::store::pg_partitions::day_of(kBase + kSpanMs + 1000); ++d)
      days.insert(d);
    smbta::store::pg_partitions::create_days(db, days);
  }
  // r1..r5: integer hashes of x (the same on both drivers).
  const std::string events = fmt::format(
      "SELECT {1} + {6} + r5 % 1000, v, u, {5}, "
      "1001 + f, NULL, CASE WHEN v <= 3 THEN 1 + r5 % 65536 END, NULL, CASE WHEN v > 3 THEN 0 "
      "END, 1, NULL, {7} FROM (SELECT x, r3, r4, r5, 1 + r2 % 200 AS u, {4} AS f, CASE WHEN r1 % "
      "20 < 9 "
      "THEN 0 WHEN r1 % 20 < 14 THEN 2 WHEN r1 "
      "% 20 = 14 THEN 1 WHEN r1 % 20 = 15 THEN 3 WHEN r1 % 20 < 18 THEN 8 ELSE 9 END AS v FROM "
      "(SELECT x, (x * 2654435761) % 1000003 AS r1, (x * 40503 + 7) % 999983 AS r2, (x * 69069 "
      "+ 1) % 1000033 AS r3, (x * 1103515245 + 12345) % 2147483647 AS r4, (x * 22695477 + 1) % "
      "4294967291 AS r5 FROM c) h) g",
      "", kBase, kSpanMs, n,
      clustered() ? fmt::format("(r2 % 200 * 211 + {} * 997 + r4 % 25) % 50000",
                                idiv("x * 30", std::to_string(n)))
                  : "r4 % 50000",
      clustered() ? "1 + " + idiv("f", "2500")
                  : "CASE WHEN r3 % 4 = 0 THEN 1 + u % 20 ELSE 1 + r3 % 3 END",
      idiv(fmt::format("x * {}", kSpanMs), std::to_string(n)),
      fmt::format("20 + {} + r5 % 97", idiv("(r3 % 1000) * (r3 % 1000)", "50")));
  insert(
      "smbta_events (ts, vfs_id, user_id, share_id, file_id, file2_id, length, mode, result, "
      "merged, client_id, latency_us)",
      n, events);
  db.commit();
  if (db.is_pgsql()) {
    // The rows above took explicit ids; move the identity sequences past them.
    for (const char* t : {"smbta_strings", "smbta_users"})
      db.exec(
          fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT MAX(id) "
                      "FROM {0}))",
                      t));
    db.exec("ANALYZE smbta_events");
  }
  if (db.is_mysql()) db.exec("ANALYZE TABLE smbta_events, smbta_strings, smbta_users");
  std::cout << fmt::format("filled {} rows in {:.1f} s\n", n, seconds_since(t0));
}

struct Case {
  const char* name;
  std::string query;
};

std::vector<Case> cases() {
  auto days_back = [](int d) {
    return smbta::format_timestamp(kBase + kSpanMs - d * 86'400'000LL).substr(0, 10);
  };
  const std::string week = days_back(7), two_weeks = days_back(14), two_days = days_back(2);
  return {
      {"total rw", "global, total rw;"},
      {"top 10 users rw", "global, top 10 users rw;"},
      {"usage rw", "global, usage rw;"},
      {"top 10 shares rw", "global, top 10 shares rw;"},
      {"top 10 domains rw", "global, top 10 domains rw;"},
      {"list users", "global, list users;"},
      {"list shares", "global, list shares;"},
      {"total rw since (7 days)", "global since " + week + ", total rw;"},
      {"share X, top 10 users r", "share share3, top 10 users r;"},
      {"domain X, total w", "domain DOM1, total w;"},
      {"top 10 files rw", "global, top 10 files rw;"},
      {"list files (limit 100000)", "share share7, list files;"},
      {"last_activity 20", "global, last_activity 20;"},
      {"throughput 60 minutes rw", "global, throughput 60 minutes rw;"},
      {"search file4242", "global, search file4242;"},
      {"share X, top 10 files rw", "share share3, top 10 files rw;"},
      {"user X, top 10 files rw", "user user17, top 10 files rw;"},
      {"top 10 files rw (14 days)", "global since " + two_weeks + ", top 10 files rw;"},
      {"top 10 files rw (2 days)", "global since " + two_days + ", top 10 files rw;"},
      {"latency", "global, latency;"},
      {"latency p99 w (7 days)", "global since " + week + ", latency p99 w;"},
      {"share X, latency ops", "share share3, latency ops;"},
      {"user X, latency", "user user17, latency;"},
      {"domain X, latency p95", "domain DOM1, latency p95;"},
      {"top 10 users slowest", "global, top 10 users slowest;"},
      {"top 10 shares slowest p99", "global, top 10 shares slowest p99;"},
      {"file X, latency", "file projects/dir42/file4242.dat, latency;"},
      {"share X, top 10 files slowest", "share share3, top 10 files slowest;"},
      {"top 10 files slowest (2 days)", "global since " + two_days + ", top 10 files slowest;"},
      {"trend (30 days)", "global, trend;"},
      {"share X, trend 30 days", "share share3, trend 30 days;"},
  };
}

// Median of three runs (the first also warms the cache).
double time_query(DbiConnection& db, const std::string& q, bool rollups) {
  smbta::query::QueryOptions o;
  o.now_ms = kBase + kSpanMs;
  o.use_rollups = rollups;
  o.identify = false;
  std::vector<double> t;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    smbta::query::run(q, db, o);
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[1];
}

void bench(const DbParams& p, std::int64_t n) {
  {
    auto store = smbta::store::EventStore::open(p);
    store->create_schema();
  }
  DbiConnection db(p);
  if (db.is_sqlite()) db.sqlite_exec_native("PRAGMA journal_mode=WAL; PRAGMA cache_size=-262144");
  // The layout of the rows in the database is remembered next to them, so that switching
  // SMBTA_BENCH_LAYOUT refills it.
  db.exec("CREATE TABLE IF NOT EXISTS smbta_bench_layout (layout integer NOT NULL)");
  // (5 and 7: the layouts with latencies.)
  const std::int64_t layout = clustered() ? 7 : 5;
  if (scalar(db, "SELECT COUNT(*) FROM smbta_events") != n ||
      scalar(db, "SELECT MAX(layout) FROM smbta_bench_layout") != layout) {
    smbta::store::drop_rollups(db);
    fill(db, n);
    db.exec("DELETE FROM smbta_bench_layout");
    db.exec(fmt::format("INSERT INTO smbta_bench_layout (layout) VALUES ({})", layout));
  }
  if (env_set("SMBTA_BENCH_FILL_ONLY")) return;
  const bool skip_raw = env_set("SMBTA_BENCH_SKIP_RAW");
  if (!skip_raw) smbta::store::drop_rollups(db);
  std::vector<double> raw;
  for (const auto& c : cases()) raw.push_back(skip_raw ? -1 : time_query(db, c.query, false));
  auto t0 = std::chrono::steady_clock::now();
  smbta::store::install_rollups(db, {true, true});
  const double install = seconds_since(t0);
  std::cout << fmt::format(
      "{}: {} events ({} layout), rollups: hourly {} rows, files {} rows, installed in {:.1f} s\n",
      p.driver, n, clustered() ? "clustered" : "uniform",
      scalar(db, "SELECT COUNT(*) FROM smbta_rollup_hourly"),
      scalar(db, "SELECT COUNT(*) FROM smbta_rollup_files"), install);
  if (db.is_sqlite()) {
    try {
      std::cout << fmt::format(
          "sqlite bytes per event: events+index {}, hourly rollup {:.1f}, file rollup {:.1f}\n",
          scalar(db,
                 "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('smbta_events', "
                 "'smbta_events_ts')") /
              n,
          static_cast<double>(
              scalar(db, "SELECT SUM(pgsize) FROM dbstat WHERE name = 'smbta_rollup_hourly'")) /
              static_cast<double>(n),
          static_cast<double>(
              scalar(db, "SELECT SUM(pgsize) FROM dbstat WHERE name = 'smbta_rollup_files'")) /
              static_cast<double>(n));
    } catch (const std::exception& e) {
      std::cout << "(no dbstat: " << e.what() << ")\n";
    }
  }
  std::cout << fmt::format("{:<28} {:>10} {:>10}\n", "function", "raw s", "rollup s");
  std::size_t i = 0;
  for (const auto& c : cases()) {
    const std::string r = raw[i] < 0 ? std::string("-") : fmt::format("{:.3f}", raw[i]);
    ++i;
    std::cout << fmt::format("{:<28} {:>10} {:>10.3f}\n", c.name, r, time_query(db, c.query, true))
              << std::flush;
  }
  std::cout << std::flush;
}

// What the rollup triggers cost the store's insert path: 200k realistic rows in batches of
// 1000 through EventStore, into a fresh database without and with the rollup.
void insert_cost(const DbParams& base) {
  constexpr std::size_t kRows = 200'000, kBatch = 1000;
  std::vector<smbta::store::Row> rows;
  // Timed as the current module times every operation (the latency rollup's triggers fire).
  for (auto& r : smbta::testing::realistic_mix(kRows, 2012)) {
    r.latency_us = 50 + rows.size() * 7919 % 20000;
    rows.push_back({r, 1});
  }
  const std::pair<const char*, smbta::store::RollupSet> kinds[] = {
      {"no rollup", {false, false}},
      {"hourly rollup", {true, false}},
      {"hourly and file rollups", {true, true}}};
  for (const auto& [label, rollups] : kinds) {
    DbParams p = base;
    if (p.driver == "sqlite3") {
      p.name = "/var/tmp/smbta-query-insert.db";
      for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(p.name + ext);
    }
    auto store = smbta::store::EventStore::open(p);
    store->create_schema();
    DbiConnection db(p);
    // A server database is the benchmark's own: emptied (SMBTA_BENCH_NO_INSERT_COST keeps a
    // filled one).
    if (p.driver != "sqlite3") {
      smbta::store::drop_rollups(db);
      for (const char* t : {"smbta_events", "smbta_strings", "smbta_users"})
        db.exec(fmt::format("DELETE FROM {}", t));
    }
    smbta::store::install_rollups(db, rollups);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < rows.size(); i += kBatch)
      store->insert(std::span(rows).subspan(i, std::min(kBatch, rows.size() - i)));
    std::cout << fmt::format("{} insert {} rows, {}: {:.0f} rows/s\n", p.driver, kRows, label,
                             static_cast<double>(kRows) / seconds_since(t0));
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::int64_t n = argc > 1 ? std::stoll(argv[1]) : 10'000'000;
    DbParams p;
    p.name = argc > 2      ? argv[2]
             : clustered() ? "/var/tmp/smbta-query-bench-clustered.db"
                           : "/var/tmp/smbta-query-bench.db";
    // SMBTA_BENCH_ONLY_PGSQL: skip the sqlite3 runs.
    if (!std::getenv("SMBTA_BENCH_ONLY_PGSQL")) {
      if (n > 0) bench(p, n);
      if (!env_set("SMBTA_BENCH_NO_INSERT_COST")) insert_cost(p);
    }
    const bool cost = !env_set("SMBTA_BENCH_NO_INSERT_COST");
    if (const char* pg = std::getenv("SMBTA_BENCH_PGSQL")) {
      if (n > 0) bench(smbta::testing::pgsql_params_from_conninfo(pg), n);
      if (cost) insert_cost(smbta::testing::pgsql_params_from_conninfo(pg));
    }
    if (const char* my = std::getenv("SMBTA_BENCH_MYSQL")) {
      DbParams mp = smbta::testing::pgsql_params_from_conninfo(my);
      mp.driver = "mysql";
      if (n > 0) bench(mp, n);
      if (cost) insert_cost(mp);
    }
  } catch (const std::exception& e) {
    std::cerr << "query_bench: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
