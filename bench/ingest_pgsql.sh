# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by ingest_bench.sh when SMBTA_BENCH_DRIVER=pgsql: a private PostgreSQL cluster on
# loopback (tests/support/pg_cluster.sh, the server's default durability settings unless
# SMBTA_PG_SERVER_OPTIONS says otherwise), a fresh database per run, and the CPU of the server
# processes serving smbtad's connections.
pg_port=$((20000 + RANDOM % 10000))
pg_dir=$work/pg
pid=
# The server runs as user postgres when this runs as root: it must reach its directory.
chmod 711 "$work"
SMBTA_PG_SERVER_OPTIONS=${SMBTA_PG_SERVER_OPTIONS-} \
  bash "$(dirname "$0")/../tests/support/pg_cluster.sh" start "$pg_dir" $pg_port >/dev/null
trap 'kill $pid 2>/dev/null || true; bash "$(dirname "$0")/../tests/support/pg_cluster.sh" stop "$pg_dir" $pg_port; rm -rf "$work"' EXIT
pg_run=0
pg_db=
pg_backends=

psql_smbta() {
  PGPASSWORD=smbta-test psql -X -q -t -A -h 127.0.0.1 -p $pg_port -U smbta -d "${pg_db:-smbta_test}" "$@"
}

# Per run: a new database and smbtad's arguments for it.
db_prepare() {
  pg_run=$((pg_run + 1))
  pg_db=smbta_bench_$pg_run
  PGPASSWORD=smbta-test psql -X -q -h 127.0.0.1 -p $pg_port -U smbta -d smbta_test \
    -c "CREATE DATABASE $pg_db"
  db_args=(-M pgsql -H 127.0.0.1 --dbport $pg_port -S smbta -P smbta-test -N "$pg_db")
}

# Once smbtad is connected: the server processes of its connections.
db_started() {
  for _ in $(seq 200); do
    pg_backends=$(psql_smbta -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE datname = '$pg_db' AND pid <> pg_backend_pid()")
    [ -n "$pg_backends" ] && break; sleep 0.05
  done
}

db_cpu_ticks() {
  local t=0 p
  for p in $pg_backends; do
    [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
  done
  echo $t
}

stored() { psql_smbta -c "SET max_parallel_workers_per_gather = 0; SELECT coalesce(sum(merged), 0) FROM smbta_events" 2>/dev/null | tail -n 1 || echo 0; }
db_rows() { psql_smbta -c "SELECT count(*) FROM smbta_events"; }
db_bytes() {
  psql_smbta -c "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'smbta_events'::regclass"
}
