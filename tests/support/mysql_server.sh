#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Starts or stops a private MariaDB (or MySQL) server for the tests (ctest fixture), listening on
# 127.0.0.1:<port> only (and a socket in <dir>), with database smbta_test and user smbta
# (password smbta-test) that may create and drop databases, so that every test gets a fresh one.
# The system's mariadb service is never used or started.
# halt stops the server and keeps its data; resume starts it again on that data (outage tests).
# Usage: mysql_server.sh start|stop|halt|resume <dir> <port>
set -euo pipefail

cmd=${1:?usage: mysql_server.sh start|stop|halt|resume <dir> <port>}
dir=${2:?missing directory}
port=${3:?missing port}

find_tool() {
  local t
  for t in "$@"; do
    if command -v "$t" >/dev/null 2>&1; then command -v "$t"; return 0; fi
    for d in /usr/sbin /usr/bin /usr/libexec; do
      [ -x "$d/$t" ] && { echo "$d/$t"; return 0; }
    done
  done
  return 1
}
server=$(find_tool mariadbd mysqld) ||
  { echo "mysql_server.sh: no mariadbd/mysqld (apt-get install mariadb-server)" >&2; exit 1; }
install_db=$(find_tool mariadb-install-db mysql_install_db) ||
  { echo "mysql_server.sh: no mariadb-install-db" >&2; exit 1; }
client=$(find_tool mariadb mysql) || { echo "mysql_server.sh: no mariadb client" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data
sock=$dir/mysqld.sock
pidfile=$dir/mysqld.pid

# mariadbd refuses to run as root unless told which user to be: run it as mysql then.
user_opt=()
if [ "$(id -u)" -eq 0 ]; then
  id mysql >/dev/null 2>&1 || { echo "mysql_server.sh: no user mysql" >&2; exit 1; }
  user_opt=(--user=mysql)
  chown mysql: "$dir"
fi

stop() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  rm -f "$pidfile"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

launch() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "mysql_server.sh: port $port is in use" >&2
    exit 1
  fi
  # --no-defaults: nothing from /etc/mysql (the system server's port, socket or datadir).
  # Durability off: the server is thrown away after the run.
  "$server" --no-defaults "${user_opt[@]}" --datadir="$data" --socket="$sock" \
    --pid-file="$pidfile" --bind-address=127.0.0.1 --port="$port" --skip-name-resolve \
    --log-error="$dir/server.log" --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --sync-binlog=0 --skip-log-bin --innodb-buffer-pool-size=256M \
    --innodb-log-file-size=256M --max-connections=300 --max-allowed-packet=64M \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin >/dev/null 2>&1 &
  for _ in $(seq 1 600); do
    if "$client" --no-defaults -S "$sock" -u root -e "SELECT 1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "mysql_server.sh: the server did not start" >&2
  cat "$dir/server.log" >&2
  exit 1
}

case $cmd in
  start)
    stop  # a server left over from an interrupted run
    rm -rf "$data"
    "$install_db" --no-defaults "${user_opt[@]}" --datadir="$data" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
    launch
    "$client" --no-defaults -S "$sock" -u root <<'SQL'
CREATE USER 'smbta'@'127.0.0.1' IDENTIFIED BY 'smbta-test';
CREATE USER 'smbta'@'localhost' IDENTIFIED BY 'smbta-test';
GRANT ALL PRIVILEGES ON *.* TO 'smbta'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'smbta'@'localhost';
CREATE DATABASE smbta_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
SQL
    echo "mysql_server.sh: MariaDB on 127.0.0.1:$port, data in $data"
    ;;
  stop)
    stop
    rm -rf "$data"
    ;;
  halt)
    stop
    ;;
  resume)
    launch
    ;;
  *)
    echo "usage: mysql_server.sh start|stop|halt|resume <dir> <port>" >&2
    exit 2
    ;;
esac
