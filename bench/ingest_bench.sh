#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Ingest benchmark: a real smbtad (sqlite3) fed by smbta_loadgen; prints records/s stored and
# lost, CPU seconds and peak RSS per 100k records and bytes per row, for precision 0 and 5 over
# 1, 4 and 16 connections, then RSS with 1,000 connections.
# Usage: bash bench/ingest_bench.sh [build-dir] [records]
# Environment: SMBTA_BENCH_PRECISIONS="0 5" (default), SMBTA_BENCH_SMBTAD_ARGS (added to smbtad's
# command line, e.g. "--file-rollup 1"), SMBTA_BENCH_CONNECTIONS="1 4 16" (default).
# SMBTA_BENCH_DRIVER=mysql: into a private MariaDB server on loopback that the script starts
# (tests/support/mysql_server.sh) instead of sqlite3; the server's CPU per 100k records is
# printed too, and bytes/row is InnoDB's data + index length of the tables.
set -euo pipefail
build=${1:-build}
records=${2:-1000000}
smbtad=$build/smbtad/smbtad
loadgen=$build/bench/smbta_loadgen
[ -x "$smbtad" ] && [ -x "$loadgen" ] || { echo "build first: cmake --build $build" >&2; exit 1; }

work=$(mktemp -d /tmp/smbta-bench-XXXXXX)
driver=${SMBTA_BENCH_DRIVER:-sqlite3}
here=$(cd "$(dirname "$0")" && pwd)
cleanup() {
  kill $pid 2>/dev/null || true
  [ "$driver" != mysql ] || bash "$here/../tests/support/mysql_server.sh" stop "$work/my" "$myport" || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$((30000 + RANDOM % 20000))
pid=

cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

if [ "$driver" = mysql ]; then
  # A free port below the loadgen's range; the server is private to this run.
  myport=$((20000 + RANDOM % 9000))
  mkdir -p "$work/my"; chmod 755 "$work"
  bash "$here/../tests/support/mysql_server.sh" start "$work/my" "$myport" >/dev/null
  mysql() { mariadb --no-defaults -N -B -S "$work/my/mysqld.sock" -u root "$@"; }
  server_pid() { cat "$work/my/mysqld.pid"; }
  db_args=(-M mysql -H 127.0.0.1 --dbport "$myport" -S smbta -P smbta-test -N smbta_bench)
  fresh_db() { mysql -e "DROP DATABASE IF EXISTS smbta_bench; CREATE DATABASE smbta_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"; }
  stored() { mysql smbta_bench -e "SELECT coalesce(sum(merged),0) FROM smbta_events" 2>/dev/null || echo 0; }
  row_count() { mysql smbta_bench -e "SELECT count(*) FROM smbta_events"; }
  db_bytes() {
    mysql -e "ANALYZE TABLE smbta_bench.smbta_events" >/dev/null
    mysql -e "SELECT sum(data_length + index_length) FROM information_schema.tables WHERE table_schema = 'smbta_bench'"
  }
else
  db_args=()
  server_pid() { :; }
  fresh_db() { :; }
  stored() { sqlite3 "$work/home/.smbtad/staddb" "SELECT coalesce(sum(merged),0) FROM smbta_events" 2>/dev/null || echo 0; }
  row_count() { sqlite3 "$work/home/.smbtad/staddb" "SELECT count(*) FROM smbta_events"; }
  db_bytes() {
    sqlite3 "$work/home/.smbtad/staddb" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    stat -c %s "$work/home/.smbtad/staddb"
  }
fi

run() {
  local precision=$1 conns=$2 idle=${3:-0}
  rm -rf "$work/home"; mkdir -p "$work/home"
  fresh_db
  HOME=$work/home "$smbtad" -o -i $port -p "$precision" "${db_args[@]}" ${SMBTA_BENCH_SMBTAD_ARGS:-} 2>"$work/log" &
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  local t0 c0 spid sc0=0 sc1=0
  t0=$(date +%s.%N); c0=$(cpu_ticks $pid)
  spid=$(server_pid); [ -z "$spid" ] || sc0=$(cpu_ticks "$spid")
  # Timing starts when the generator starts sending (it pre-encodes its streams first); CPU is
  # smbtad's own over the whole run.
  t0=$("$loadgen" --port $port --connections "$conns" --records "$records" --idle "$idle" \
    --hold 0 | awk '{print $8}')
  local n=0
  for _ in $(seq 1200); do
    n=$(stored); [ "$n" -ge "$records" ] && break; sleep 0.05
  done
  local t1 c1 rss rows bytes
  t1=$(date +%s.%N); c1=$(cpu_ticks $pid)
  [ -z "$spid" ] || sc1=$(cpu_ticks "$spid")
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  n=$(stored)
  rows=$(row_count)
  bytes=$(db_bytes)
  awk -v p="$precision" -v c="$conns" -v i="$idle" -v n="$n" -v r="$records" -v t="$t1" -v s="$t0" \
      -v cpu=$((c1 - c0)) -v scpu=$((sc1 - sc0)) -v server="$spid" -v hz="$(getconf CLK_TCK)" \
      -v rss="$rss" -v rows="$rows" -v b="$bytes" 'BEGIN {
    el = t - s;
    extra = server == "" ? "" : sprintf(", server %.3f CPU s/100k", (scpu / hz) / (r / 100000));
    printf "precision %d connections %3d idle %4d: %9.0f records/s stored, %d lost, %.3f CPU s/100k%s, peak RSS %.1f MB, %d rows, %.1f bytes/row\n",
      p, c, i, n / el, r - n, (cpu / hz) / (r / 100000), extra, rss / 1024, rows, (rows ? b / rows : 0) }'
}

for p in ${SMBTA_BENCH_PRECISIONS:-0 5}; do
  for c in ${SMBTA_BENCH_CONNECTIONS:-1 4 16}; do run $p $c; done
done
for p in ${SMBTA_BENCH_PRECISIONS:-0 5}; do run $p 16 1000; done
