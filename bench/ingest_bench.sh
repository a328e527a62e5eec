#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Ingest benchmark: a real smbtad (sqlite3) fed by smbta_loadgen; prints records/s stored and
# lost, CPU seconds and peak RSS per 100k records and bytes per row, for precision 0 and 5 over
# 1, 4 and 16 connections, then RSS with 1,000 connections.
# Usage: bash bench/ingest_bench.sh [build-dir] [records]
# Environment: SMBTA_BENCH_PRECISIONS="0 5" (default), SMBTA_BENCH_SMBTAD_ARGS (added to smbtad's
# command line, e.g. "--file-rollup 1"), SMBTA_BENCH_DRIVER=pgsql (a private PostgreSQL cluster
# instead of sqlite3, bench/ingest_pgsql.sh; the CPU of its server processes is printed too),
# SMBTA_BENCH_DRIVER=mysql (a private MariaDB server, bench/ingest_mysql.sh; bytes/row is InnoDB's
# data + index length), SMBTA_BENCH_CONNECTIONS="1 4 16" (default).
set -euo pipefail
build=${1:-build}
records=${2:-1000000}
smbtad=$build/smbtad/smbtad
# smbtad refuses to run as root unless told (benchmarks often run as root on a test machine).
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
loadgen=$build/bench/smbta_loadgen
[ -x "$smbtad" ] && [ -x "$loadgen" ] || { echo "build first: cmake --build $build" >&2; exit 1; }

work=$(mktemp -d /tmp/smbta-bench-XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((30000 + RANDOM % 20000))
pid=

cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

# The database under test; ingest_pgsql.sh and ingest_mysql.sh replace these.
db=
db_args=()
db_prepare() { db=$work/home/.smbtad/staddb; db_args=(); }
db_started() { :; }
db_cpu_ticks() { echo 0; }
stored() { sqlite3 "$db" "SELECT coalesce(sum(merged),0) FROM smbta_events" 2>/dev/null || echo 0; }
db_rows() { sqlite3 "$db" "SELECT count(*) FROM smbta_events"; }
db_bytes() { sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; stat -c %s "$db"; }
case ${SMBTA_BENCH_DRIVER:-sqlite3} in
  sqlite3) ;;
  pgsql) source "$(dirname "$0")/ingest_pgsql.sh" ;;
  mysql) source "$(dirname "$0")/ingest_mysql.sh" ;;
  *) echo "SMBTA_BENCH_DRIVER must be sqlite3, pgsql or mysql" >&2; exit 1 ;;
esac

run() {
  local precision=$1 conns=$2 idle=${3:-0}
  rm -rf "$work/home"; mkdir -p "$work/home"
  db_prepare
  HOME=$work/home "$smbtad" "${as_root[@]}" -o -i $port -p "$precision" "${db_args[@]}" \
    ${SMBTA_BENCH_SMBTAD_ARGS:-} 2>"$work/log" &
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  db_started
  local t0 c0 d0
  t0=$(date +%s.%N); c0=$(cpu_ticks $pid); d0=$(db_cpu_ticks)
  # Timing starts when the generator starts sending (it pre-encodes its streams first); CPU is
  # smbtad's own over the whole run.
  t0=$("$loadgen" --port $port --connections "$conns" --records "$records" --idle "$idle" \
    --hold 0 | awk '{print $8}')
  local n=0
  for _ in $(seq 1200); do
    n=$(stored); [ "$n" -ge "$records" ] && break; sleep 0.05
  done
  local t1 c1 d1 rss rows bytes
  t1=$(date +%s.%N); c1=$(cpu_ticks $pid); d1=$(db_cpu_ticks)
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  n=$(stored)
  rows=$(db_rows)
  bytes=$(db_bytes)
  awk -v p="$precision" -v c="$conns" -v i="$idle" -v n="$n" -v r="$records" -v t="$t1" -v s="$t0" \
      -v cpu=$((c1 - c0)) -v dcpu=$((d1 - d0)) -v hz="$(getconf CLK_TCK)" -v rss="$rss" \
      -v rows="$rows" -v b="$bytes" -v drv="${SMBTA_BENCH_DRIVER:-sqlite3}" 'BEGIN {
    el = t - s;
    printf "precision %d connections %3d idle %4d: %9.0f records/s stored, %d lost, %.3f CPU s/100k, peak RSS %.1f MB, %d rows, %.1f bytes/row",
      p, c, i, n / el, r - n, (cpu / hz) / (r / 100000), rss / 1024, rows, (rows ? b / rows : 0);
    if (drv != "sqlite3") printf ", server %.3f CPU s/100k", (dcpu / hz) / (r / 100000);
    printf "\n" }'
}

for p in ${SMBTA_BENCH_PRECISIONS:-0 5}; do
  for c in ${SMBTA_BENCH_CONNECTIONS:-1 4 16}; do run $p $c; done
done
for p in ${SMBTA_BENCH_PRECISIONS:-0 5}; do run $p 16 1000; done
