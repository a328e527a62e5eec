#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Retention under load on PostgreSQL: a real smbtad fed by smbta_loadgen while its maintenance
# removes OLD_ROWS rows (10 days of old partitions), against the same run where the old rows are
# inside the retention and nothing is removed. Prints records/s stored and lost, and smbtad's
# maintenance log line.
# Usage: bash bench/pg_retention_bench.sh [build-dir] [records] [old-rows]
set -euo pipefail
build=${1:-build}
records=${2:-2000000}
old_rows=${3:-10000000}
smbtad=$build/smbtad/smbtad
# smbtad refuses to run as root unless told (benchmarks often run as root on a test machine).
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
loadgen=$build/bench/smbta_loadgen
[ -x "$smbtad" ] && [ -x "$loadgen" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d /tmp/smbta-retention-XXXXXX)
pg_port=$((20000 + RANDOM % 10000))
pid=
chmod 711 "$work"  # the server runs as user postgres when this runs as root
trap 'kill $pid 2>/dev/null || true; bash "$here/../tests/support/pg_cluster.sh" stop "$work/pg" $pg_port; rm -rf "$work"' EXIT
SMBTA_PG_SERVER_OPTIONS=${SMBTA_PG_SERVER_OPTIONS-} \
  bash "$here/../tests/support/pg_cluster.sh" start "$work/pg" $pg_port >/dev/null
psql_db() { PGPASSWORD=smbta-test psql -X -q -t -A -h 127.0.0.1 -p $pg_port -U smbta -d "$1" "${@:2}"; }

run() {
  local name=$1 retention=$2
  local db=smbta_ret_$name port=$((30000 + RANDOM % 20000))
  psql_db smbta_test -c "CREATE DATABASE $db"
  local args=(-M pgsql -H 127.0.0.1 --dbport $pg_port -S smbta -P smbta-test -N $db)
  rm -rf "$work/home"; mkdir -p "$work/home"
  HOME=$work/home "$smbtad" "${as_root[@]}" "${args[@]}" -T >/dev/null
  # OLD_ROWS rows over the 10 days that ended 11 days ago, one partition per day.
  local per_day=$((old_rows / 10))
  for d in $(seq 11 20); do
    psql_db $db -c "DO \$\$ DECLARE lo bigint := extract(epoch FROM date_trunc('day', localtimestamp) - interval '$d days')::bigint * 1000; BEGIN
      EXECUTE format('CREATE TABLE IF NOT EXISTS smbta_events_old$d PARTITION OF smbta_events FOR VALUES FROM (%s) TO (%s)', lo, lo + 86400000);
      INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, length, merged)
        SELECT lo + x * (86400000 / $per_day), x % 4, 1 + x % 50, 1 + x % 5, 1 + x % 1000, 4096, 1
        FROM generate_series(0, $per_day - 1) x;
    END \$\$"
  done
  psql_db $db -c "VACUUM ANALYZE smbta_events"
  # Maintenance every 2 s: the first run falls into the ingest.
  HOME=$work/home "$smbtad" "${as_root[@]}" -o -i $port -p 0 -t 00:00:02 -m "$retention" "${args[@]}" \
    2>"$work/log.$name" &
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  local t0 t1 n=0 base
  base=$(psql_db $db -c "SELECT count(*) FROM smbta_events WHERE ts > extract(epoch FROM localtimestamp - interval '1 day')::bigint * 1000")
  t0=$("$loadgen" --port $port --connections 4 --records "$records" --hold 0 | awk '{print $8}')
  for _ in $(seq 2400); do
    n=$(psql_db $db -c "SET max_parallel_workers_per_gather = 0; SELECT count(*) - $base FROM smbta_events WHERE ts > extract(epoch FROM localtimestamp - interval '1 day')::bigint * 1000")
    [ "$n" -ge "$records" ] && break; sleep 0.1
  done
  t1=$(date +%s.%N)
  sleep 3  # let the maintenance finish if it is still running, for its log line
  kill -TERM $pid; wait $pid || true
  awk -v name="$name" -v n="$n" -v r="$records" -v t="$t1" -v s="$t0" 'BEGIN {
    printf "%-28s %9.0f records/s stored, %d lost\n", name, n / (t - s), r - n }'
  grep -h "maintenance: deleted" "$work/log.$name" || echo "  (no maintenance deletions logged)"
}

uptime
run keep_old_rows 30,00:00:00
run purge_${old_rows}_rows 10,00:00:00
