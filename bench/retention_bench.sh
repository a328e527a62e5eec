#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Retention under load on sqlite3, PostgreSQL or MariaDB: a real smbtad fed by smbta_loadgen while
# its maintenance removes OLD_ROWS rows (spread over the 10 days that ended 11 days ago), against
# the same run where those rows are inside the retention and nothing is removed. Prints records/s
# stored and lost, CPU s per 100k records of smbtad, smbtad's maintenance log line and the old rows
# left when the ingest was done.
# Usage: bash bench/retention_bench.sh [build-dir] [records] [old-rows]
# Environment: SMBTA_BENCH_DRIVER=sqlite3 (default) | pgsql | mysql (a private server, as in
# ingest_bench.sh), SMBTA_BENCH_CONNECTIONS (default 4).
set -euo pipefail
build=${1:-build}
records=${2:-2000000}
old_rows=${3:-10000000}
smbtad=$build/smbtad/smbtad
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
loadgen=$build/bench/smbta_loadgen
[ -x "$smbtad" ] && [ -x "$loadgen" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
driver=${SMBTA_BENCH_DRIVER:-sqlite3}

work=$(mktemp -d /tmp/smbta-retention-XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

# sqlite3 by default; ingest_pgsql.sh / ingest_mysql.sh replace db_prepare and the helpers.
db_prepare() { db=$work/home/.smbtad/staddb; db_args=(); }
case $driver in
  sqlite3) ;;
  pgsql) source "$(dirname "$0")/ingest_pgsql.sh" ;;
  mysql) source "$(dirname "$0")/ingest_mysql.sh" ;;
  *) echo "SMBTA_BENCH_DRIVER must be sqlite3, pgsql or mysql" >&2; exit 1 ;;
esac

# SQL on the run's database, one value per line.
sql() {
  case $driver in
    sqlite3) sqlite3 "$db" "$1" ;;
    pgsql) psql_smbta -c "$1" | tail -n 1 ;;
    mysql) mysql_root smbta_bench -e "$1" ;;
  esac
}

# Naive local milliseconds (see smbta::Record) of midnight `days` days ago, in each dialect.
day_ms() {
  case $driver in
    sqlite3) echo "(strftime('%s', date('now', 'localtime', '-$1 days')) * 1000)" ;;
    pgsql) echo "(extract(epoch FROM date_trunc('day', localtimestamp) - interval '$1 days')::bigint * 1000)" ;;
    mysql) echo "(TIMESTAMPDIFF(SECOND, '1970-01-01', CURDATE() - INTERVAL $1 DAY) * 1000)" ;;
  esac
}

# OLD_ROWS rows over the days 11..20 ago (the rollup triggers see them like smbtad's own).
fill_old() {
  local per_day=$((old_rows / 10)) d lo
  for d in $(seq 11 20); do
    lo=$(day_ms $d)
    case $driver in
      sqlite3)
        sqlite3 "$db" "WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i < $per_day - 1)
          INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, length, merged)
          SELECT $lo + i * (86400000 / $per_day), i % 4, 1 + i % 50, 1 + i % 5, 1 + i % 1000, 4096, 1 FROM x" ;;
      pgsql)
        psql_smbta -c "DO \$\$ DECLARE lo bigint := $lo; BEGIN
          EXECUTE format('CREATE TABLE IF NOT EXISTS smbta_events_old$d PARTITION OF smbta_events FOR VALUES FROM (%s) TO (%s)', lo, lo + 86400000);
          INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, length, merged)
            SELECT lo + x * (86400000 / $per_day), x % 4, 1 + x % 50, 1 + x % 5, 1 + x % 1000, 4096, 1
            FROM generate_series(0, $per_day - 1) x;
          END \$\$" ;;
      mysql)
        mysql_root smbta_bench -e "INSERT INTO smbta_events (ts, vfs_id, user_id, share_id, file_id, length, merged)
          SELECT $lo + seq * (86400000 DIV $per_day), seq % 4, 1 + seq % 50, 1 + seq % 5, 1 + seq % 1000, 4096, 1
          FROM seq_0_to_$((per_day - 1))" ;;
    esac
  done
  case $driver in
    sqlite3) sqlite3 "$db" "ANALYZE" ;;
    pgsql) psql_smbta -c "VACUUM ANALYZE smbta_events" ;;
    mysql) mysql_root smbta_bench -e "ANALYZE TABLE smbta_events" >/dev/null ;;
  esac
}

run() {
  local name=$1 retention=$2 port=$((30000 + RANDOM % 20000))
  rm -rf "$work/home"; mkdir -p "$work/home/.smbtad"
  db_prepare
  HOME=$work/home "$smbtad" "${as_root[@]}" "${db_args[@]}" -T >/dev/null
  fill_old
  local recent old_before
  recent=$(day_ms 1)
  old_before=$(sql "SELECT count(*) FROM smbta_events WHERE ts < $recent")
  # Maintenance every 2 s: the first run falls into the ingest.
  HOME=$work/home "$smbtad" "${as_root[@]}" -o -i $port -p 0 -t 00:00:02 -m "$retention" \
    "${db_args[@]}" 2>"$work/log.$name" &
  pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  local t0 t1 c0 c1 n=0 old_after
  c0=$(cpu_ticks $pid)
  t0=$("$loadgen" --port $port --connections "${SMBTA_BENCH_CONNECTIONS:-4}" --records "$records" \
    --hold 0 | awk '{print $8}')
  for _ in $(seq 2400); do
    n=$(sql "SELECT coalesce(sum(merged), 0) FROM smbta_events WHERE ts >= $recent")
    [ "$n" -ge "$records" ] && break; sleep 0.1
  done
  t1=$(date +%s.%N); c1=$(cpu_ticks $pid)
  old_after=$(sql "SELECT count(*) FROM smbta_events WHERE ts < $recent")
  # Let the maintenance finish (it runs back to back once nothing waits) for its log line.
  for _ in $(seq 600); do
    grep -q "maintenance: deleted" "$work/log.$name" && break
    [ "$name" = keep_old_rows ] && break
    sleep 0.5
  done
  kill -TERM $pid; wait $pid || true
  awk -v name="$name" -v n="$n" -v r="$records" -v t="$t1" -v s="$t0" -v cpu=$((c1 - c0)) \
      -v hz="$(getconf CLK_TCK)" -v ob="$old_before" -v oa="$old_after" 'BEGIN {
    printf "%-24s %9.0f records/s stored, %d lost, %.3f CPU s/100k; old rows %d before, %d when the ingest was done\n",
      name, n / (t - s), r - n, (cpu / hz) / (r / 100000), ob, oa }'
  grep -h "maintenance: deleted" "$work/log.$name" || echo "  (no maintenance deletions logged)"
}

echo "driver $driver, $records records, $old_rows old rows; $(uptime)"
run keep_old_rows 30,00:00:00
run purge_${old_rows}_rows 10,00:00:00
