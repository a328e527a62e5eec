#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Soak: SMBTA_SOAK_MINUTES (default 30) of smbtatorture as two users on two shares of a real
# smbd with the module, into a real smbtad on sqlite or PostgreSQL. smbtad's and smbd's RSS and
# open descriptors are sampled every SMBTA_SOAK_SAMPLE_S seconds (default 60) and must stay
# flat; at the end smbtaquery's bytes per user and share equal smbtatorture's to the byte.
# The samples go to standard output and, with SMBTA_SOAK_OUT=FILE, to FILE (tab-separated).
# Usage: soak.sh sqlite|pgsql
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../vfs/vfs_lib.sh
. "$here/../vfs/vfs_lib.sh"
vfs_private_namespace "$@"
# shellcheck source=../torture/torture_lib.sh
. "$here/../torture/torture_lib.sh"

db=${1:?usage: soak.sh sqlite|pgsql}
# In a sanitizer build, AddressSanitizer keeps freed memory in a quarantine of 256 MiB, which
# shows as RSS growing for the first minutes; a small quarantine leaves the program's own use.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
minutes=${SMBTA_SOAK_MINUTES:-30}
sample_s=${SMBTA_SOAK_SAMPLE_S:-60}
vfs_setup "soak_$db"
[ -x "${SMBTATORTURE:-}" ] || skip "smbtatorture not built (libsmbclient-dev missing)"
[ -x "${SMBTAD:-}" ] && [ -x "${SMBTAQUERY:-}" ] || skip "smbtad/smbtaquery not built"
command -v python3 >/dev/null || skip "python3 not installed"

case $db in
sqlite)
  start_smbtad -M sqlite3 -N "$T/stad.db"
  ;;
pgsql)
  : "${SMBTA_TEST_PGSQL_PORT:?needs the environment of the pgsql fixture}"
  command -v psql >/dev/null || skip "psql not installed"
  # A database of its own, so that other tests' rows on the fixture's server do not count.
  dbname="smbta_soak_$$"
  PGPASSWORD=$SMBTA_TEST_PGSQL_PASSWORD psql -q -h "$SMBTA_TEST_PGSQL_HOST" -p "$SMBTA_TEST_PGSQL_PORT" \
    -U "$SMBTA_TEST_PGSQL_USER" -d "$SMBTA_TEST_PGSQL_DBNAME" -c "create database $dbname" ||
    fail "cannot create the database $dbname"
  start_smbtad -M pgsql -H "$SMBTA_TEST_PGSQL_HOST" --dbport "$SMBTA_TEST_PGSQL_PORT" \
    -S "$SMBTA_TEST_PGSQL_USER" -P "$SMBTA_TEST_PGSQL_PASSWORD" -N "$dbname"
  ;;
*)
  fail "unknown database $db"
  ;;
esac
start_torture_smbd

# rss_kib PID... / fds PID...: summed over the processes (smbd: the parent and its children).
rss_kib() { local s=0 p; for p in "$@"; do s=$(( s + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0) )); done; echo "$s"; }
fds() { local s=0 p; for p in "$@"; do s=$(( s + $(ls "/proc/$p/fd" 2>/dev/null | wc -l) )); done; echo "$s"; }
smbd_pids() { echo "$SMBD_PID" $(pgrep -P "$SMBD_PID" 2>/dev/null || true); }

samples="$T/samples.tsv"
printf 'minute\tsmbtad_rss_kib\tsmbtad_fds\tsmbd_processes\tsmbd_rss_kib\tsmbd_fds\tload\n' >"$samples"
sample() {
  local pids
  pids=$(smbd_pids)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$(rss_kib "$SMBTAD_PID")" "$(fds "$SMBTAD_PID")" \
    "$(wc -w <<<"$pids")" "$(rss_kib $pids)" "$(fds $pids)" "$(cut -d' ' -f1 /proc/loadavg)" >>"$samples"
  tail -n 1 "$samples"
}

echo "soak: $minutes minutes on $db, sampling every $sample_s s"
torture -d $(( minutes * 60 )) -t 0.5 -n 20 -s 4M -S 1 -j "$T/soak.json" >"$T/soak.out" 2>&1 &
torture_pid=$!
start=$SECONDS
n=0
while kill -0 "$torture_pid" 2>/dev/null; do
  # The sampling period, not a wait for a condition: the loop ends when smbtatorture does.
  if [ $(( SECONDS - start )) -ge $(( n * sample_s )) ]; then
    sample "$n"
    n=$(( n + 1 ))
  fi
  kill -0 "$SMBTAD_PID" 2>/dev/null || fail "smbtad died: $(tail -n 20 "$T/smbtad.log")"
  [ $(( SECONDS - start )) -lt $(( minutes * 60 + 600 )) ] || fail "smbtatorture did not end"
  sleep 1
done
rc=0
wait "$torture_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "smbtatorture failed ($rc): $(tail -n 5 "$T/soak.out")"
sample end
cat "$T/soak.out"
wait_stored "$T/soak.json"
sample stored
[ -z "${SMBTA_SOAK_OUT:-}" ] || cp "$samples" "$SMBTA_SOAK_OUT"

# Flat: from the second sample (after the set-up) to the end, RSS grows by at most a half plus
# 16 MiB and descriptors by at most 16 (a cache filling up, not a leak per action).
python3 - "$samples" <<'PY' || fail "RSS or descriptors grew during the soak (see the samples above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
base, last = rows[min(1, len(rows) - 1)], rows[-1]
ok = True
for who in ("smbtad", "smbd"):
    r0, r1 = int(base[who + "_rss_kib"]), int(last[who + "_rss_kib"])
    f0, f1 = int(base[who + "_fds"]), int(last[who + "_fds"])
    print(f"{who}: RSS {r0} -> {r1} KiB, fds {f0} -> {f1}")
    if r1 > r0 * 1.5 + 16384 or f1 > f0 + 16:
        ok = False
sys.exit(0 if ok else 1)
PY
stop_smbtad
pass
