#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# webSMBTA over a large sqlite database: the overview's time to first chart (cold: the first load
# after smbtad starts; warm: the loads after it), /api/query's `top 10 users` under N concurrent
# clients (requests/s, p50, p99, smbtad's CPU), and smbtad's ingest rate into that database
# without and with that API load.
# Usage: bash bench/web_bench.sh [build-dir] [db-file]
#   build-dir: an -O2 build with benchmarks and the dashboard (smbtad, smbta_loadgen, query_bench,
#   websmbta/dist, websmbta/node_modules; default build-o2).
#   db-file: default /var/tmp/smbta-web-bench.db. Made when missing: 10 million events of
#   query_bench's clustered layout (30 days of 2012, 200 users, 20 shares, 50,000 files), with
#   the hourly rollup (smbtad's defaults: the file rollup is opt-in, so `top 10 files` over
#   all of it reads the events). The first line printed names the rollups the file has: one
#   that also has the file rollups (as a site with --file-rollup 1) ingests several times
#   slower, since every event updates a row at a random place in the per-file tables.
#   The ingest part adds records to a copy of it (the other parts read it as it is).
# Environment: CLIENTS (20), SECONDS_LOAD (30), RUNS (first-chart loads, 5), INGEST (records per
# ingest run, 2000000), CONNECTIONS (loadgen connections, 4), COLD_CACHE=1 (drop the kernel's
# page cache before the cold load: needs root and disturbs everything else on the machine).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-o2}
# Absolute: node resolves the dashboard's modules from it (createRequire refuses relative paths).
[ -d "$build" ] && build=$(cd "$build" && pwd)
db=${2:-/var/tmp/smbta-web-bench.db}
clients=${CLIENTS:-20}
seconds=${SECONDS_LOAD:-30}
runs=${RUNS:-5}
ingest=${INGEST:-2000000}
connections=${CONNECTIONS:-4}
smbtad=$build/smbtad/smbtad
loadgen=$build/bench/smbta_loadgen
qbench=$build/bench/query_bench
dist=$build/websmbta/dist
modules=$build/websmbta/node_modules
for f in "$smbtad" "$loadgen" "$qbench" "$dist/index.html"; do
  [ -e "$f" ] || { echo "missing $f: cmake --build $build (with -DSMBTA_BUILD_BENCH=ON)" >&2; exit 1; }
done
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)

if [ ! -s "$db" ]; then
  echo "== making $db: 10 million events (query_bench's fill, clustered layout; minutes)"
  # Only query_bench's fill is wanted: it is stopped when it goes on to time its queries. The
  # hourly rollup (smbtad's default; the file rollup is opt-in) is then built by smbtad itself
  # when it first opens the database.
  SMBTA_BENCH_LAYOUT=clustered "$qbench" 10000000 "$db" >"$db.fill.txt" 2>&1 &
  qpid=$!
  while kill -0 "$qpid" 2>/dev/null && ! grep -q '^filled' "$db.fill.txt"; do sleep 1; done
  kill "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  grep '^filled' "$db.fill.txt" || { cat "$db.fill.txt" >&2; exit 1; }
fi
work=$(mktemp -d /tmp/smbta-webbench-XXXXXX)
chmod 700 "$work"
pid=
load_pid=
cleanup() {
  [ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null || true
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
password='bench password 1'
printf '%s\n' "$password" | "$smbtad" --web-users "$work/users" --web-passwd bench --web-role viewer >/dev/null

# start_smbtad [DB-FILE] (default $db). The retention is 100 years: the events are of 2012, and
# smbtad's default (a day) would have the maintenance delete them under the benchmark.
start_smbtad() {
  local file=${1:-$db}
  port=$(free_port); qport=$(free_port); wport=$(free_port)
  HOME=$work "$smbtad" "${as_root[@]}" -o -p 0 -i "$port" -q "$qport" -M sqlite3 -N "$file" \
    -m 36500,00:00:00 \
    --web-listen "127.0.0.1:$wport" --web-root "$dist" --web-users "$work/users" \
    2>>"$work/smbtad.log" &
  pid=$!
  for _ in $(seq 3000); do  # the first start over a fresh database builds the rollup
    curl -s -o /dev/null "http://127.0.0.1:$wport/login.html" && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/smbtad.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "smbtad did not start" >&2; exit 1
}
stop_smbtad() { kill -TERM "$pid"; wait "$pid" || true; pid=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# smbtad builds its hourly rollup when it first opens the database: before anything is timed.
start_smbtad
for _ in $(seq 6000); do
  [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'smbta_rollup_hourly'")" = 1 ] && break
  sleep 0.2
done
stop_smbtad
echo "== $db: $(sqlite3 "$db" 'SELECT max(rowid) FROM smbta_events') events, rollup tables:" \
  "$(sqlite3 "$db" "SELECT group_concat(name, ' ') FROM sqlite_master WHERE type = 'table' AND name LIKE 'smbta_rollup%'")"

# --- time to first chart (first_chart_bench starts its own smbtad on the database) ---
echo "== time to first chart, overview over everything (range=all), $runs loads; uptime: $(uptime)"
[ "${COLD_CACHE:-0}" != 1 ] || { sync; echo 3 >/proc/sys/vm/drop_caches; }
node "$here/../tests/browser/first_chart_bench.mjs" --smbtad "$smbtad" --web-root "$dist" \
  --node-modules "$modules" --db "$db" --runs "$runs" --range all
echo "   (run 1 is cold: smbtad just started; the others warm)"

# --- API load ---
start_smbtad
echo "== /api/query 'global, top 10 users rw;', $clients clients, $seconds s; uptime: $(uptime)"
python3 "$here/web_api_load.py" "127.0.0.1:$wport" bench "$password" "$clients" "$seconds" \
  "global, top 10 users rw;" "$pid"

# --- ingest without and with the API load ---
# Into a copy: the records added would otherwise change what the next run's other parts read.
stop_smbtad
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
ingest_db=$work/ingest.db
cp "$db" "$ingest_db"
start_smbtad "$ingest_db"
ingest_run() {
  local label=$1 base t0 t1 c0 c1 n=0
  base=$(sqlite3 "$ingest_db" 'SELECT max(rowid) FROM smbta_events')
  c0=$(cpu_ticks "$pid")
  t0=$("$loadgen" --port "$port" --connections "$connections" --records "$ingest" --hold 0 |
    awk '{print $8}')
  for _ in $(seq 6000); do
    n=$(( $(sqlite3 "$ingest_db" 'SELECT max(rowid) FROM smbta_events' 2>/dev/null || echo "$base") - base ))
    [ "$n" -ge "$ingest" ] && break
    sleep 0.1
  done
  t1=$(date +%s.%N); c1=$(cpu_ticks "$pid")
  awk -v l="$label" -v n="$n" -v r="$ingest" -v s="$t0" -v t="$t1" -v cpu=$((c1 - c0)) \
      -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "ingest %s: %.0f records/s stored (%d of %d), smbtad %.3f CPU s per 100k records (API threads included)\n",
      l, n / (t - s), n, r, (cpu / hz) / (r / 100000) }'
}
echo "== ingest of $ingest records over $connections connections (precision 0); uptime: $(uptime)"
ingest_run "without API load"
python3 "$here/web_api_load.py" "127.0.0.1:$wport" bench "$password" "$clients" 600 \
  "global, top 10 users rw;" "$pid" >"$work/load.txt" &
load_pid=$!
sleep 2  # the clients log in and start asking before the records come
ingest_run "with $clients API clients"
kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; load_pid=
echo "   the API meanwhile: $(cat "$work/load.txt")"
stop_smbtad
echo "== done; uptime: $(uptime)"
