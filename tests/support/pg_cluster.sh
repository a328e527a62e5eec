#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Starts or stops a private PostgreSQL cluster for the store tests (ctest fixture), listening on
# 127.0.0.1:<port> only, with database smbta_test owned by user smbta (password smbta-test; the
# user may create databases, so that every test gets a fresh one).
# Usage: pg_cluster.sh start|stop <dir> <port>
set -euo pipefail

cmd=${1:?usage: pg_cluster.sh start|stop <dir> <port>}
dir=${2:?missing directory}
port=${3:?missing port}
# The newest installed server (15 on Debian 12, 17 on Debian 13).
bindir=${SMBTA_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bindir/initdb" ] || { echo "pg_cluster.sh: no PostgreSQL server in /usr/lib/postgresql" >&2; exit 1; }
data=$dir/data

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)
  chown postgres: "$dir"
  if ! "${as_pg[@]}" test -w "$dir"; then
    echo "pg_cluster.sh: user postgres cannot write $dir (check the parent directories)" >&2
    exit 1
  fi
fi
pg() { "${as_pg[@]}" "$@"; }

stop() {
  if [ -f "$data/postmaster.pid" ]; then
    pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}

case $cmd in
  start)
    stop  # a cluster left over from an interrupted run
    rm -rf "$data"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "pg_cluster.sh: port $port is in use" >&2
      exit 1
    fi
    pwfile=$dir/pwfile
    printf 'smbta-test\n' >"$pwfile"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$pwfile"
    pg "$bindir/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: the cluster is thrown away after the run. SMBTA_PG_SERVER_OPTIONS replaces
    # these settings (bench/ingest_bench.sh measures with the server's defaults).
    server_opts=${SMBTA_PG_SERVER_OPTIONS--c fsync=off -c full_page_writes=off}
    pg "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir $server_opts" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    psql=("$bindir/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
    pg "${psql[@]}" -c "CREATE USER smbta CREATEDB PASSWORD 'smbta-test'"
    pg "${psql[@]}" -c "CREATE DATABASE smbta_test OWNER smbta"
    echo "pg_cluster.sh: PostgreSQL on 127.0.0.1:$port, data in $data"
    ;;
  stop)
    stop
    rm -rf "$data"
    ;;
  *)
    echo "usage: pg_cluster.sh start|stop <dir> <port>" >&2
    exit 2
    ;;
esac
