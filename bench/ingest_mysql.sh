# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by ingest_bench.sh when SMBTA_BENCH_DRIVER=mysql: a private MariaDB server on loopback
# (tests/support/mysql_server.sh), a fresh database per run, the server's CPU, and bytes/row as
# InnoDB's data + index length of the tables.
my_port=$((20000 + RANDOM % 9000))
my_dir=$work/my
pid=
mkdir -p "$my_dir"
chmod 755 "$work"
bash "$(dirname "$0")/../tests/support/mysql_server.sh" start "$my_dir" $my_port >/dev/null
trap 'kill $pid 2>/dev/null || true; bash "$(dirname "$0")/../tests/support/mysql_server.sh" stop "$my_dir" $my_port || true; rm -rf "$work"' EXIT

mysql_root() { mariadb --no-defaults -N -B -S "$my_dir/mysqld.sock" -u root "$@"; }

db_prepare() {
  mysql_root -e "DROP DATABASE IF EXISTS smbta_bench; CREATE DATABASE smbta_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  db_args=(-M mysql -H 127.0.0.1 --dbport $my_port -S smbta -P smbta-test -N smbta_bench)
}
db_started() { :; }
db_cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$my_dir/mysqld.pid")/stat"; }
stored() { mysql_root smbta_bench -e "SELECT coalesce(sum(merged),0) FROM smbta_events" 2>/dev/null || echo 0; }
db_rows() { mysql_root smbta_bench -e "SELECT count(*) FROM smbta_events"; }
db_bytes() {
  mysql_root -e "ANALYZE TABLE smbta_bench.smbta_events" >/dev/null
  mysql_root -e "SELECT sum(data_length + index_length) FROM information_schema.tables WHERE table_schema = 'smbta_bench'"
}
