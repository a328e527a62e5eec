#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Many Samba servers, one database: SERVERS simulated Samba servers (smbta_loadgen --modules,
# each with its own module address and share names srvK-...) report into two smbtad instances
# (half the servers each, as two sites or two cluster nodes would) that store into one private
# PostgreSQL (tests/support/pg_cluster.sh on loopback). Then the report queries run across all
# servers through smbtaquery's direct mode, timed.
# Prints: records/s stored by both together, lost records, CPU s per 100k records of each smbtad
# and of the PostgreSQL backends, the module and share counts seen, and each query's seconds.
# Usage: bash bench/many_servers_bench.sh BUILD [RECORDS_PER_SERVER]
#   SERVERS (default 50), SMBTA_PG_SERVER_OPTIONS (server settings, as for ingest_bench.sh),
#   SMBTA_BENCH_SMBTAD_ARGS (more smbtad options, e.g. "--file-rollup 1").
set -euo pipefail
build=${1:?usage: many_servers_bench.sh BUILD [RECORDS_PER_SERVER]}
per_server=${2:-20000}
servers=${SERVERS:-50}
smbtad=$build/smbtad/smbtad
smbtaquery=$build/smbtaquery/smbtaquery
loadgen=$build/bench/smbta_loadgen
for b in "$smbtad" "$smbtaquery" "$loadgen"; do
  [ -x "$b" ] || { echo "build first: cmake --build $build (missing $b)" >&2; exit 1; }
done
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d /var/tmp/smbta-many-XXXXXX)
chmod 711 "$work"  # the server runs as user postgres when this runs as root
pg_port=$((20000 + RANDOM % 10000))
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  bash "$here/../tests/support/pg_cluster.sh" stop "$work/pg" $pg_port >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
SMBTA_PG_SERVER_OPTIONS=${SMBTA_PG_SERVER_OPTIONS-} \
  bash "$here/../tests/support/pg_cluster.sh" start "$work/pg" $pg_port >/dev/null
psql_smbta() {
  PGPASSWORD=smbta-test psql -X -q -t -A -h 127.0.0.1 -p $pg_port -U smbta -d smbta_test "$@"
}
db_args=(-M pgsql -H 127.0.0.1 --dbport $pg_port -S smbta -P smbta-test -N smbta_test)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
backend_ticks() {
  local t=0 p
  for p in $(psql_smbta -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = 'smbta_test' AND pid <> pg_backend_pid()"); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(cpu_ticks "$p")))
  done
  echo $t
}

# Two smbtad instances, both creating the schema at once (their -T path is safe against that).
half=$((servers / 2))
ports=()
for i in 1 2; do
  port=$((30000 + RANDOM % 20000))
  mkdir -p "$work/home$i"
  HOME=$work/home$i "$smbtad" "${as_root[@]}" -o -i $port "${db_args[@]}" \
    ${SMBTA_BENCH_SMBTAD_ARGS:-} 2>"$work/log$i" &
  pids+=($!)
  ports+=($port)
done
for port in "${ports[@]}"; do
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
done
# The backends exist once both writers have connected.
for _ in $(seq 200); do
  [ "$(psql_smbta -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'smbta_test' AND pid <> pg_backend_pid()")" -ge 2 ] && break
  sleep 0.05
done

total=$((servers * per_server))
c1=$(cpu_ticks "${pids[0]}"); c2=$(cpu_ticks "${pids[1]}"); d0=$(backend_ticks)
t0=$(date +%s.%N)
"$loadgen" --port "${ports[0]}" --modules $half --first-module 1 --records $((half * per_server)) \
  --seed 1 >"$work/gen1" &
g1=$!
"$loadgen" --port "${ports[1]}" --modules $((servers - half)) --first-module $((half + 1)) \
  --records $(((servers - half) * per_server)) --seed 2 >"$work/gen2" &
g2=$!
wait $g1 $g2
stored() { psql_smbta -c "SELECT coalesce(sum(merged), 0) FROM smbta_events" 2>/dev/null || echo 0; }
n=0
for _ in $(seq 6000); do
  n=$(stored); [ "$n" -ge "$total" ] && break; sleep 0.1
done
t1=$(date +%s.%N)
e1=$(cpu_ticks "${pids[0]}"); e2=$(cpu_ticks "${pids[1]}"); d1=$(backend_ticks)
hz=$(getconf CLK_TCK)
awk -v n="$n" -v r="$total" -v s="$t0" -v t="$t1" -v a=$((e1 - c1)) -v b=$((e2 - c2)) \
    -v d=$((d1 - d0)) -v hz="$hz" -v sv="$servers" 'BEGIN {
  per = r / 100000;
  printf "%d servers into 2 smbtad into 1 PostgreSQL: %.0f records/s stored, %d lost; CPU s/100k: smbtad %.3f + %.3f, PostgreSQL backends %.3f\n",
    sv, n / (t - s), r - n, a / hz / per, b / hz / per, d / hz / per }'
echo "modules seen: $(psql_smbta -c "SELECT count(*) FROM modules WHERE module_ip_address LIKE '127.0.%'"), servers in the share names: $(psql_smbta -c "SELECT count(DISTINCT split_part(value, '-', 1)) FROM smbta_strings WHERE value LIKE 'srv%-%'")"
echo "rows $(psql_smbta -c "SELECT count(*) FROM smbta_events"), uptime: $(uptime)"

q=("${db_args[@]}")
for query in "global, total rw;" "global, top 10 shares rw;" "global, top 10 users rw;" \
    "global, usage rw;" "global, top 10 files rw;" "global, list shares;" \
    "global, search srv7-;" "system, self-check offline;"; do
  s=$(date +%s.%N)
  "$smbtaquery" "${q[@]}" -q "$query" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  e=$(date +%s.%N)
  awk -v q="$query" -v s="$s" -v e="$e" -v l="$(wc -l <"$work/out")" \
    'BEGIN { printf "%-32s %6.3f s (%d lines)\n", q, e - s, l }'
done
for p in "${pids[@]}"; do kill -TERM "$p"; wait "$p" || true; done
pids=()
