// SPDX-License-Identifier: GPL-3.0-or-later
// Store throughput and size: 1M realistic rows in batches of 1000 into sqlite3 (and pgsql).
//
// Reports rows/s, process CPU seconds per 100k rows and on-disk bytes per row (table plus
// indexes) for the schema as shipped (arg 0) and with the extra indexes a query engine might
// want (arg 1: + (share_id, ts); arg 2: + (share_id, ts) and (user_id, ts)).
// PostgreSQL runs when SMBTA_BENCH_PGSQL holds "host=... port=... user=... password=...
// dbname=..."; its CPU figure covers this process only, not the server.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "store/dbi_connection.h"
#include "store/event_store.h"
#include "support/pg_conninfo.h"
#include "support/test_records.h"

namespace {

using smbta::store::DbiConnection;
using smbta::store::DbParams;
using smbta::store::EventStore;
using smbta::store::Row;

constexpr std::size_t kRows = 1'000'000;
constexpr std::size_t kBatch = 1000;

const std::vector<Row>& rows() {
  static const std::vector<Row> r = [] {
    std::vector<Row> out;
    for (auto& rec : smbta::testing::realistic_mix(kRows, 2012)) out.push_back(Row{rec, 1});
    return out;
  }();
  return r;
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void add_indexes(DbiConnection& db, int variant) {
  if (variant >= 1)
    db.exec("CREATE INDEX IF NOT EXISTS smbta_events_share_ts ON smbta_events (share_id, ts)");
  if (variant >= 2)
    db.exec("CREATE INDEX IF NOT EXISTS smbta_events_user_ts ON smbta_events (user_id, ts)");
}

// Inserts all rows in batches; returns {wall s, cpu s}.
std::pair<double, double> run_inserts(EventStore& store) {
  const auto& all = rows();
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  for (std::size_t i = 0; i < all.size(); i += kBatch)
    store.insert(std::span(all).subspan(i, std::min(kBatch, all.size() - i)));
  const double cpu = cpu_seconds() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {wall, cpu};
}

void report(benchmark::State& state, double wall, double cpu, double bytes) {
  state.SetIterationTime(wall);
  state.counters["rows_per_s"] = static_cast<double>(kRows) / wall;
  state.counters["cpu_s_per_100k"] = cpu / (static_cast<double>(kRows) / 100'000);
  state.counters["bytes_per_row"] = bytes / static_cast<double>(kRows);
}

// Size of every table and index, from sqlite's dbstat table (after a WAL checkpoint).
double sqlite_bytes(const std::string& path, benchmark::State& state) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 0;
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  double total = 0;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name", -1, &st,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      const double size = sqlite3_column_double(st, 1);
      if (name.starts_with("smbta_events") || name.starts_with("sqlite_autoindex_smbta_events"))
        state.counters["B/row " + name] = size / static_cast<double>(kRows);
      if (name.find("events") != std::string::npos) total += size;
    }
  }
  sqlite3_finalize(st);
  // Whole file, dictionaries included, for the record.
  sqlite3_stmt* pc = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT page_count * page_size FROM pragma_page_count(), "
                         "pragma_page_size()",
                         -1, &pc, nullptr) == SQLITE_OK &&
      sqlite3_step(pc) == SQLITE_ROW)
    state.counters["file_bytes_per_row"] =
        sqlite3_column_double(pc, 0) / static_cast<double>(kRows);
  sqlite3_finalize(pc);
  sqlite3_close(db);
  return total;
}

void BM_StoreSqlite(benchmark::State& state) {
  rows();
  for (auto _ : state) {
    std::string dir = (std::filesystem::temp_directory_path() / "smbta-bench-XXXXXX").string();
    if (!mkdtemp(dir.data())) {
      state.SkipWithError("mkdtemp failed");
      return;
    }
    DbParams p;
    p.sqlite_dbdir = dir;
    p.name = "bench.db";
    auto store = EventStore::open(p);
    store->create_schema();
    add_indexes(*std::make_unique<DbiConnection>(p), static_cast<int>(state.range(0)));
    auto [wall, cpu] = run_inserts(*store);
    store.reset();
    report(state, wall, cpu, sqlite_bytes(dir + "/bench.db", state));
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_StoreSqlite)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

void BM_StorePgsql(benchmark::State& state) {
  const char* conninfo = std::getenv("SMBTA_BENCH_PGSQL");
  if (!conninfo) {
    state.SkipWithError("SMBTA_BENCH_PGSQL not set");
    for (auto _ : state) {
    }
    return;
  }
  rows();
  const DbParams p = smbta::testing::pgsql_params_from_conninfo(conninfo);
  for (auto _ : state) {
    {
      DbiConnection db(p);
      db.exec("DROP VIEW IF EXISTS data");
      db.exec("DROP TABLE IF EXISTS smbta_events, smbta_strings, smbta_users, status, modules");
    }
    auto store = EventStore::open(p);
    store->create_schema();
    DbiConnection db(p);
    add_indexes(db, static_cast<int>(state.range(0)));
    auto [wall, cpu] = run_inserts(*store);
    db.exec("VACUUM ANALYZE smbta_events");
    smbta::store::DbiResult r = db.query("SELECT pg_total_relation_size('smbta_events')");
    r.next();
    report(state, wall, cpu, static_cast<double>(r.get_int(1).value_or(0)));
  }
}
BENCHMARK(BM_StorePgsql)->Arg(0)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
