#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Real-smbd tests of the VFS module: an isolated smbd on a loopback port with the module on a
# share, smbclient working the share, and a receiver whose records are checked.
#
# Usage: vfs_test.sh CASE      (run by ctest, label "vfs"; needs root, smbd and smbclient)
# Environment: SMBTA_VFS_MODULE (the built .so), SMBTA_TEST_RECEIVER, SMBTAD,
#              SMBTA_VFS_MODULE_DIR (smbd's vfs module dir), SMBTA_SMB_OPS (the libsmbclient
#              client of smb_ops_client.c; the cases that need it are skipped without it).
# Cases: ops anonymize_prefix anonymize_total encryption unix_socket socket_owner
#        receiver_down receiver_stopped bad_key smbtad smbtad_both new_ops copychunk
#        operations enable latency smbtad_new_ops allocate chown session anonymize_homes
#        pseudonym pseudonym_refused smbtad_authenticated spool spool_full spool_authenticated
#        spool_spill spool_disk_full
# Exit 77 = skipped.
set -euo pipefail
case_name=${1:?case}
# smbtad refuses to run as root unless told to; this test (and CI) often is root.
SMBTAD_AS_ROOT=()
[ "$(id -u)" -ne 0 ] || SMBTAD_AS_ROOT=(--allow-root)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vfs/vfs_lib.sh
. "$here/vfs_lib.sh"
vfs_private_namespace "$@"

# Cases whose client ignores the port it is given for a second connection (libsmbclient's
# ACL calls) or cannot be given one (smbcacls): in a network namespace of their own (a private
# loopback), where smbd can have port 445.
if { [ "$case_name" = setacl ] || [ "$case_name" = chown ]; } && [ -z "${VFS_NETNS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || skip "needs root (smbd, a network namespace)"
  command -v unshare >/dev/null && command -v ip >/dev/null || skip "unshare or ip not installed"
  exec unshare -n env VFS_NETNS=1 VFS_SPORT=445 bash -c 'ip link set lo up && exec bash "$0" "$1"' "$0" "$case_name"
fi
vfs_setup "$case_name"

# Column numbers of the receiver's lines.
C_OP=1 C_USER=2 C_SID=3 C_SHARE=4 C_DOMAIN=5 C_TS=6 C_IP=7 C_LAT=8 C_PATH=9 C_PATH2=10
C_LEN=11 C_MODE=12 C_RESULT=13 C_BLOCKS=14 C_ENC=15 C_SEQ=16 C_SENDER=17 C_REPLAYED=18

# Sum of the length column of op $1 for path $2.
bytes_of() { awk -F'\t' -v op="$1" -v p="$2" '$1 == op && $9 == p { s += $11 } END { print s + 0 }' "$REC"; }
# Number of records of op $1 (optionally for path $2 and result $3).
count_of() {
  awk -F'\t' -v op="$1" -v p="${2-}" -v r="${3-}" \
    '$1 == op && (p == "" || $9 == p) && (r == "" || $13 == r) { n++ } END { print n + 0 }' "$REC"
}

standard_session() {
  # put, get, mkdir, put into the dir, rename, del, rmdir: every hook the issue names.
  make_file "$T/client/f1" 1048576
  make_file "$T/client/f2" 300000
  smbclient_cmds "put $T/client/f1 f1.bin; get f1.bin $T/client/f1.back; mkdir dir1; \
put $T/client/f2 dir1\\f2.bin; rename f1.bin f1.renamed; del f1.renamed; del dir1\\f2.bin; \
rmdir dir1"
  cmp "$T/client/f1" "$T/client/f1.back" || fail "get returned other bytes"
}

check_standard_records() {
  local user=$1 sid=$2
  wait_for_record rmdir
  expect_eq "$(bytes_of pwrite f1.bin)" 1048576 "bytes written to f1.bin"
  expect_eq "$(bytes_of pread f1.bin)" 1048576 "bytes read from f1.bin"
  expect_eq "$(bytes_of pwrite dir1/f2.bin)" 300000 "bytes written to dir1/f2.bin"
  # One open and one close per client open (put, get): smbd's own handles (pathref and O_PATH
  # descriptors, internal directory scans) are not reported.
  expect_eq "$(count_of open f1.bin)" 2 "opens of f1.bin"
  expect_eq "$(count_of close f1.bin)" 2 "closes of f1.bin"
  expect_eq "$(count_of open dir1/f2.bin)" 1 "opens of dir1/f2.bin"
  expect_eq "$(count_of close dir1/f2.bin)" 1 "closes of dir1/f2.bin"
  [ "$(count_of open dir1)" -le 1 ] ||
    fail "$(count_of open dir1) opens of dir1 reported (the client listed it once for del)"
  expect_eq "$(count_of mkdir dir1 0)" 1 "mkdir dir1"
  expect_eq "$(awk -F'\t' '$1 == "mkdir" && $9 == "dir1" { print $12 }' "$REC")" 493 "mkdir mode (0755 as decimal)"
  expect_eq "$(awk -F'\t' '$1 == "rename" && $13 == 0 { print $9 " -> " $10 }' "$REC")" \
    "f1.bin -> f1.renamed" "rename source and destination"
  expect_eq "$(count_of unlink f1.renamed 0)" 1 "unlink f1.renamed (op 10)"
  expect_eq "$(count_of unlink dir1/f2.bin 0)" 1 "unlink dir1/f2.bin"
  expect_eq "$(count_of rmdir dir1 0)" 1 "rmdir dir1 (op 5, from unlinkat AT_REMOVEDIR)"
  expect_ge "$(count_of chdir)" 1 "chdir records"
  # Common blocks on every record.
  local bad
  bad=$(awk -F'\t' -v u="$user" -v s="$sid" '$1 != "dropped" && ($2 != u || $3 != s || $4 != "data" || \
    $7 != "127.0.0.1" || $14 != 9 || $8 !~ /^[0-9]+$/ || $16 !~ /^[0-9]+$/ || \
    $6 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]$/)' "$REC")
  [ -z "$bad" ] || fail "records with unexpected common blocks (want user $user, sid $sid):"$'\n'"$bad"
  expect_eq "$(awk -F'\t' '$1 == "error" || $1 == "dropped"' "$REC")" "" "errors or drops"
  # Each smbd process numbers its records 1, 2, 3, ... without a gap or a repeat.
  expect_eq "$(awk -F'\t' '$1 != "dropped" { n[$17]++; if ($16 > max[$17]) max[$17] = $16; \
    if (seen[$17, $16]++) dup++ } END { for (s in n) if (n[s] != max[s]) bad++; print bad + dup + 0 }' "$REC")" \
    0 "senders whose sequence numbers have gaps or repeats"
  # The timestamp is local time: within a few minutes of the local clock now.
  local first now
  first=$(awk -F'\t' 'NR == 1 { print $6 }' "$REC")
  now=$(date '+%Y-%m-%d %H:%M')
  [[ "$first" == "${now:0:13}"* ]] || [[ "$(date -d "$first" +%s)" -gt $(( $(date +%s) - 600 )) ]] ||
    fail "timestamp $first is not local time near $now"
}

# smb_ops CMD [ARG] on //127.0.0.1/data/$1 (tests/vfs/smb_ops_client.c).
smb_ops() {
  local path=$1
  shift
  timeout 300 "$SMBTA_SMB_OPS" "$SPORT" "$SMB_USER" "$SMB_PASS" "smb://127.0.0.1/data/$path" "$@" \
    2>"$T/smb_ops.err" || fail "smbta_smb_ops $path $*: $(cat "$T/smb_ops.err")"
}
need_smb_ops() { [ -x "${SMBTA_SMB_OPS:-}" ] || skip "smbta_smb_ops (libsmbclient) not built"; }
# The field $2 of the records of op $1 for path $3, one a line.
field_of() { awk -F'\t' -v op="$1" -v c="$2" -v p="$3" '$1 == op && $9 == p { print $c }' "$REC"; }
# Records of share $1 (column 4).
records_of_share() { awk -F'\t' -v s="$1" '$4 == s' "$REC" | wc -l; }

# Whether the spool under $T/mspool holds at least one segment and no process holds any (a
# segment is flock'ed while its smbd appends to it).
spool_sealed() {
  local f n=0
  for f in "$T"/mspool/*/*.seg; do
    [ -e "$f" ] || continue
    flock -n "$f" true || return 1
    n=$(( n + 1 ))
  done
  [ "$n" -ge 1 ]
}

# The real smbtad on $RPORT with sqlite3 in $T/stad.db, every record stored (-p 0). Ports are
# drawn at random by tests running in parallel: one taken meanwhile is replaced.
start_smbtad() {
  [ -x "${SMBTAD:-}" ] || skip "smbtad not built"
  command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
  for _ in 1 2 3 4 5; do
    QPORT=$(free_port)
    "$SMBTAD" -o -i "$RPORT" -q "$QPORT" -I 127.0.0.1 -M sqlite3 -N "$T/stad.db" -p 0 \
      --spool-dir "$T/spool" "${SMBTAD_AS_ROOT[@]}" "$@" >"$T/smbtad.log" 2>&1 &
    RECV_PID=$!
    wait_port "$RPORT" && break
    grep -q "Address already in use" "$T/smbtad.log" || break
    wait "$RECV_PID" 2>/dev/null || true
    RPORT=$(free_port)
  done
  wait_port "$RPORT" || fail "smbtad did not listen on $RPORT: $(cat "$T/smbtad.log")"
}
q() { sqlite3 "$T/stad.db" "$1"; }

# smbclient to share $1 running commands $2 (the test user).
smbclient_to() {
  timeout 300 smbclient "//127.0.0.1/$1" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E -c "$2" \
    >"$T/smbclient.$1.log" 2>&1 || fail "smbclient to [$1] failed: $(tail -n 20 "$T/smbclient.$1.log")"
}

# A share's lines for SMB_EXTRA_SHARES, reporting to the receiver: share_conf NAME PATH LINES...
share_conf() {
  local name=$1 path=$2 line
  shift 2
  printf '[%s]\n  path = %s\n  read only = no\n  vfs objects = smb_traffic_analyzer\n' "$name" "$path"
  printf '  smb_traffic_analyzer:host = 127.0.0.1\n  smb_traffic_analyzer:port = %s\n' "$RPORT"
  for line in "$@"; do printf '  %s\n' "$line"; done
}

# The test user's home below $T, for a [homes] share with path = $T/home/%U.
make_home() {
  mkdir -p "$T/home/$SMB_USER"
  chown "$SMB_USER" "$T/home/$SMB_USER"
}

# The pseudonym the module sends for KIND (user or sid) VALUE under key file KEY with PREFIX:
# PREFIX and the first 16 hex digits of HMAC-SHA256(key, "KIND\0VALUE"), computed with the
# openssl command line (the recipe of vfs_smb_traffic_analyzer(8)).
pseudonym_of() {
  local hexkey
  hexkey=$(od -An -v -tx1 "$3" | tr -d ' \n')
  printf '%s%s' "$4" "$(printf '%s\0%s' "$1" "$2" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" | sed 's/^.*= *//' | cut -c1-16)"
}

case "$case_name" in
ops)
  start_receiver --port @RPORT@
  start_smbd ""
  standard_session
  check_standard_records "$SMB_USER" "$USER_SID"
  ;;

anonymize_prefix)
  start_receiver --port @RPORT@
  start_smbd "smb_traffic_analyzer:anonymize_prefix = anon"
  standard_session
  check_standard_records "anon$(hash_of "$SMB_USER")" "anon$(hash_of "$USER_SID")"
  ;;

anonymize_total)
  start_receiver --port @RPORT@
  # Any value switches total anonymization on, as in the original (even "no").
  start_smbd "smb_traffic_analyzer:anonymize_prefix = anon
  smb_traffic_analyzer:total_anonymization = no"
  standard_session
  check_standard_records anon anon
  ;;

encryption)
  printf '0123456789abcdef' >"$T/key"
  chmod 600 "$T/key"
  start_receiver --port @RPORT@ --key "$T/key"
  start_smbd "smb_traffic_analyzer:key_file = $T/key"
  standard_session
  check_standard_records "$SMB_USER" "$USER_SID"
  expect_eq "$(awk -F'\t' '$15 != 1' "$REC")" "" "records that were not encrypted"
  ;;

bad_key)
  # A key readable by others is refused: nothing is sent, but the share works normally.
  printf '0123456789abcdef' >"$T/key"
  chmod 644 "$T/key"
  install -m 600 "$T/key" "$T/key.receiver"
  start_receiver --port @RPORT@ --key "$T/key.receiver"
  start_smbd "smb_traffic_analyzer:key_file = $T/key"
  standard_session
  log_has "readable or writable by group or others" ||
    fail "the refused key is not logged"
  # Nothing to wait for when nothing may arrive: a grace period for records a faulty module
  # would still have in flight (it can only let such a fault pass, never fail a correct run).
  sleep 1
  expect_eq "$(wc -l <"$REC")" 0 "records sent with a refused key"
  ;;

unix_socket)
  start_receiver --unix "$T/stadsocket"
  SMBD_LOG_LEVEL="1 vfs:5"
  start_smbd "smb_traffic_analyzer:mode = unix_domain_socket
  smb_traffic_analyzer:socket_path = $T/stadsocket"
  standard_session
  check_standard_records "$SMB_USER" "$USER_SID"
  # The module's release number (smbta/version.h), once per smbd process at level 5 (DBG_INFO).
  log_has "smb_traffic_analyzer: smbta [0-9][0-9.]*, Samba VFS interface" ||
    fail "the module's version is not logged"
  ;;

socket_owner)
  # The module sends only to a socket that root or its socket_owner could have bound, in
  # directories nobody else can change (vfs_smb_traffic_analyzer(8), "socket_owner"). Three
  # shares: [data] to a socket of another user (refused), [trusted] to the same socket with
  # socket_owner naming that user (delivered), [open] to a root socket in a world-writable
  # directory (refused: anyone could have replaced it).
  install -d -o "$SMB_USER" -g "$SMB_USER" -m 0755 "$T/own"
  install -d -m 0777 "$T/open"
  setpriv --reuid="$SMB_USER" --regid="$SMB_USER" --clear-groups \
    "$SMBTA_TEST_RECEIVER" --unix "$T/own/sock" --out "$T/own/records.tsv" \
    --ready "$T/own/ready" </dev/null >"$T/own/recv.log" 2>&1 &
  RECV_PID=$!
  "$SMBTA_TEST_RECEIVER" --unix "$T/open/sock" --out "$T/open.tsv" --ready "$T/open.ready" \
    </dev/null >"$T/open.log" 2>&1 &
  echo $! >"$T/recv.pid"
  ready() { [ -s "$1" ]; }
  wait_until "$VFS_WAIT_S" ready "$T/own/ready" || fail "receiver as $SMB_USER did not start: $(cat "$T/own/recv.log")"
  wait_until "$VFS_WAIT_S" ready "$T/open.ready" || fail "receiver in $T/open did not start: $(cat "$T/open.log")"
  share_lines() {
    printf '[%s]\n  path = %s\n  read only = no\n  vfs objects = smb_traffic_analyzer\n' "$1" "$T/share"
    printf '  smb_traffic_analyzer:mode = unix_domain_socket\n  smb_traffic_analyzer:socket_path = %s\n' "$2"
    [ -z "${3:-}" ] || printf '  smb_traffic_analyzer:socket_owner = %s\n' "$3"
  }
  SMB_EXTRA_SHARES="$(share_lines trusted "$T/own/sock" "$SMB_USER")
$(share_lines open "$T/open/sock")"
  start_smbd "smb_traffic_analyzer:mode = unix_domain_socket
  smb_traffic_analyzer:socket_path = $T/own/sock"
  make_file "$T/client/f" 100000
  put_to() {
    timeout 300 smbclient "//127.0.0.1/$1" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E \
      -c "put $T/client/f $2" >"$T/smbclient.log" 2>&1 || fail "smbclient to $1 failed: $(tail -n 20 "$T/smbclient.log")"
  }
  own_uid=$(id -u "$SMB_USER")
  put_to data refused.bin
  [ "$(stat -c %s "$T/share/refused.bin")" = 100000 ] || fail "the share did not work while its socket was refused"
  wait_until "$VFS_WAIT_S" log_has "refusing to send records to smbtad at unix socket $T/own/sock: $T/own: a directory owned by uid $own_uid, not root" ||
    fail "the refused socket owner is not logged"
  put_to trusted trusted.bin
  REC="$T/own/records.tsv"
  wait_for_record close trusted.bin
  expect_eq "$(bytes_of pwrite trusted.bin)" 100000 "bytes written to trusted.bin (socket_owner = $SMB_USER)"
  expect_eq "$(awk -F'\t' '$4 != "trusted"' "$REC")" "" "records of other shares at the socket of $SMB_USER"
  put_to open open.bin
  wait_until "$VFS_WAIT_S" log_has "refusing to send records to smbtad at unix socket $T/open/sock: $T/open: a directory writable by others without the sticky bit" ||
    fail "the world-writable socket directory is not logged"
  expect_eq "$(wc -l <"$T/open.tsv")" 0 "records sent to the socket in a world-writable directory"
  ;;

receiver_down)
  # No receiver at tree connect: the share works; records wait in the queue, the module
  # reconnects once the receiver is up. Then the receiver is killed mid-session and
  # restarted: records of the gap are delivered after the reconnect.
  # The module retries with a backoff that doubles up to 10 s, so how soon it reconnects
  # depends on how long the receiver was away: every step waits for the records to arrive, and
  # always before the session ends (at the last disconnect a module that is not connected
  # sends nothing).
  make_file "$T/client/a" 5000000
  make_file "$T/client/b" 200000
  make_file "$T/client/c" 300000
  start_smbd ""
  {
    sc "put $T/client/a a.bin"
    start_receiver --port @RPORT@ >&2
    wait_for_record close a.bin
    sc "put $T/client/b b.bin"
    wait_for_record close b.bin
    stop_receiver >&2
    sc "put $T/client/b b2.bin"
    start_receiver --port @RPORT@ >&2
    sc "put $T/client/c c.bin"
    wait_for_record close c.bin
    sc quit
  } | smbclient_stdin
  expect_eq "$(bytes_of pwrite a.bin)" 5000000 "bytes of a.bin (sent before the receiver was up)"
  expect_eq "$(bytes_of pwrite b.bin)" 200000 "bytes of b.bin"
  expect_eq "$(bytes_of pwrite c.bin)" 300000 "bytes of c.bin (after the reconnect)"
  # b2.bin's records are either delivered after the reconnect or counted as dropped (the
  # kernel may have accepted them into the dead connection); never silently both absent.
  b2=$(bytes_of pwrite b2.bin)
  dropped=$(awk -F'\t' '$1 == "dropped" { s += $2 } END { print s + 0 }' "$REC")
  [ "$b2" = 200000 ] || [ "$dropped" -gt 0 ] || log_has "dropped\|could not be delivered" ||
    fail "b2.bin: neither delivered ($b2 bytes) nor reported as dropped"
  log_has "cannot connect to smbtad at 127.0.0.1 port $RPORT" ||
    fail "the unreachable receiver is not logged"
  ;;

receiver_stopped)
  # The receiver is SIGSTOPped while the client copies many files: the copy completes at
  # normal speed, the module's small queue overflows, and once the receiver runs again the
  # drop notice says how many records were lost.
  start_receiver --port @RPORT@ --rcvbuf 4096
  # Without the spool: the queue's bound and the drop notice are what this case tests.
  start_smbd "smb_traffic_analyzer:queue_size = 65536
  smb_traffic_analyzer:send_buffer = 4096
  smb_traffic_analyzer:spool_size = 0"
  mkdir -p "$T/client/many"
  for i in $(seq 1 400); do head -c 4096 /dev/urandom >"$T/client/many/f$i"; done
  make_file "$T/client/last" 12345
  baseline_start=$(date +%s%N)
  smbclient_cmds "prompt off; lcd $T/client/many; mkdir m0; cd m0; mput f*"
  baseline_ms=$(( ($(date +%s%N) - baseline_start) / 1000000 ))
  wait_for_record close m0/f400
  {
    sc prompt  # toggles mput's per-file question off (on by default when reading stdin)
    sc "lcd $T/client/many"
    sc "mkdir m1"
    sc "cd m1"
    kill -STOP "$RECV_PID"
    t0=$(date +%s%N)
    sc "mput f*"
    sc "lcd $T/client"
    sc "put last last.bin"
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >"$T/copy.ms"
    kill -CONT "$RECV_PID"
    # The module appends the drop notice once its queue has drained to half its bound, behind
    # every record of the stopped phase it still holds: when the notice has arrived, the
    # backlog is through (draining it through the 4 KiB receive buffer takes long on a loaded
    # machine). Records after it have room in the queue again.
    wait_for_record dropped
    sc "put last last2.bin"
    # Before the session ends: at the last disconnect the module gives a slow receiver only
    # 50 ms without progress.
    wait_for_record pwrite m1/last2.bin
    sc quit
  } | smbclient_stdin
  copy_ms=$(cat "$T/copy.ms")
  echo "copy of 400 files: ${baseline_ms} ms with the receiver running, ${copy_ms} ms while it was stopped"
  # Promptly: not stalled behind the receiver (generous bound for a loaded CI machine).
  [ "$copy_ms" -lt $(( baseline_ms * 3 + 5000 )) ] || fail "the copy took ${copy_ms} ms while the receiver was stopped"
  [ "$(find "$T/share/m1" -maxdepth 1 -type f -name 'f*' -size 4096c | wc -l)" -eq 400 ] ||
    fail "not all 400 files were copied while the receiver was stopped"
  dropped=$(awk -F'\t' '$1 == "dropped" { s += $2 } END { print s + 0 }' "$REC")
  echo "drop notice: $dropped records"
  expect_ge "$dropped" 1 "records reported as dropped"
  log_has "dropped $dropped records" || fail "the drop count is not logged"
  # What arrived plus what was reported dropped accounts for every record of the stopped phase.
  got=$(awk -F'\t' '$9 ~ /^m1\// || $9 == "m1" || $9 == "m1/last.bin"' "$REC" | wc -l)
  echo "records of the stopped phase received: $got"
  expect_eq "$(bytes_of pwrite m1/last2.bin)" 12345 "bytes of last2.bin (after the receiver resumed)"
  ;;

smbtad)
  # The real daemon, sqlite3, every record stored (-p 0): rows match the files moved.
  start_smbtad
  start_smbd ""
  standard_session
  # rmdir is the session's last record: once it is stored, so is everything before it.
  rmdir_stored() { [ "$(q "select count(*) from data where vfs_id = 5" 2>/dev/null || echo 0)" -ge 1 ]; }
  wait_until "$VFS_WAIT_S" rmdir_stored || fail "smbtad did not store the session's rmdir"
  expect_eq "$(q "select sum(length) from data where vfs_id = 2 and string1 = 'f1.bin'")" 1048576 "stored bytes written to f1.bin"
  expect_eq "$(q "select sum(length) from data where vfs_id = 0 and string1 = 'f1.bin'")" 1048576 "stored bytes read from f1.bin"
  expect_eq "$(q "select sum(length) from data where vfs_id = 2 and string1 = 'dir1/f2.bin'")" 300000 "stored bytes written to dir1/f2.bin"
  expect_eq "$(q "select count(*) from data where vfs_id = 4 and string1 = 'dir1'")" 1 "stored mkdir"
  expect_eq "$(q "select string1 || ' -> ' || string2 from data where vfs_id = 6")" "f1.bin -> f1.renamed" "stored rename"
  expect_eq "$(q "select count(*) from data where vfs_id = 5 and string1 = 'dir1'")" 1 "stored rmdir"
  expect_eq "$(q "select distinct username || '|' || share from data")" "$SMB_USER|data" "stored user and share"
  ;;

smbtad_authenticated)
  # The authenticated transport end to end: the module (transport = authenticated) to a real
  # smbtad that accepts nothing else; every record of the session is stored, nothing refused.
  printf '0123456789abcdef' >"$T/key"
  chmod 600 "$T/key"
  start_smbtad -k "$T/key" --transport authenticated -d 1
  start_smbd "smb_traffic_analyzer:key_file = $T/key
  smb_traffic_analyzer:transport = authenticated"
  standard_session
  rmdir_stored() { [ "$(q "select count(*) from data where vfs_id = 5" 2>/dev/null || echo 0)" -ge 1 ]; }
  wait_until "$VFS_WAIT_S" rmdir_stored ||
    fail "smbtad did not store the session's rmdir: $(cat "$T/smbtad.log")"
  expect_eq "$(q "select sum(length) from data where vfs_id = 2 and string1 = 'f1.bin'")" 1048576 "stored bytes written to f1.bin"
  expect_eq "$(q "select sum(length) from data where vfs_id = 0 and string1 = 'f1.bin'")" 1048576 "stored bytes read from f1.bin"
  expect_eq "$(q "select count(*) from data where vfs_id = 4 and string1 = 'dir1'")" 1 "stored mkdir"
  grep -q "authenticated transport (AES-256-GCM)" "$T/smbtad.log" ||
    fail "smbtad did not log an authenticated module connection: $(cat "$T/smbtad.log")"
  ! grep -q "closed: " "$T/smbtad.log" || fail "smbtad refused a connection: $(cat "$T/smbtad.log")"
  ;;

spool|spool_full|spool_authenticated)
  # Nothing lost when smbtad is away: 50 short sessions end while nothing listens, their
  # records wait in the module's spool, and the first session that reaches the real smbtad
  # replays them. spool_full: the spool's bound is far too small; what it could not keep is
  # reported (drop notices, themselves spooled) and the loss report accounts for every record.
  # spool_authenticated: as spool, over the authenticated transport (the replayed records are
  # sealed for the connection that carries them; smbtad accepts nothing else).
  [ -x "${SMBTAD:-}" ] || skip "smbtad not built"
  command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
  extra=""
  stad_transport=()
  case $case_name in
  spool_full) extra="smb_traffic_analyzer:spool_size = 20000" ;;
  spool_authenticated)
    printf '0123456789abcdef' >"$T/key"
    chmod 600 "$T/key"
    extra="smb_traffic_analyzer:key_file = $T/key
  smb_traffic_analyzer:transport = authenticated"
    stad_transport=(-k "$T/key" --transport authenticated -d 1)
    ;;
  esac
  start_smbd "$extra"
  for i in $(seq 1 50); do
    make_file "$T/client/s$i" $(( 20000 + i * 997 ))
    smbclient_cmds "put $T/client/s$i s$i.bin"
  done
  [ "$(stat -c '%a %U' "$T/mspool")" = "700 root" ] || fail "spool directory: $(stat -c '%a %U' "$T/mspool")"
  segs=$(find "$T/mspool" -name '*.seg' -size +0 | wc -l)
  echo "spool after 50 sessions: $segs segments, $(du -sb "$T/mspool" | cut -f1) bytes"
  expect_ge "$segs" 1 "spooled segments"
  for _ in 1 2 3 4 5; do
    QPORT=$(free_port)
    "$SMBTAD" -o -i "$RPORT" -q "$QPORT" -I 127.0.0.1 -M sqlite3 -N "$T/stad.db" -p 0 \
      --spool-dir "$T/spool" "${stad_transport[@]}" "${SMBTAD_AS_ROOT[@]}" >"$T/smbtad.log" 2>&1 &
    RECV_PID=$!
    wait_port "$RPORT" && break
    grep -q "Address already in use" "$T/smbtad.log" || break
    wait "$RECV_PID" 2>/dev/null || true
    fail "smbtad could not take port $RPORT (the module's port is fixed in smb.conf)"
  done
  wait_port "$RPORT" || fail "smbtad did not listen on $RPORT: $(cat "$T/smbtad.log")"
  spool_empty() { [ -z "$(find "$T/mspool" -name '*.seg' -size +0)" ]; }
  make_file "$T/client/t" 1000
  {
    sc "put $T/client/t trigger.bin"
    wait_until "$VFS_WAIT_S" spool_empty || echo "spool not empty: $(find "$T/mspool" -name '*.seg')" >&2
    sc quit
  } | smbclient_stdin
  spool_empty || fail "the spool was not replayed"
  q() { sqlite3 "$T/stad.db" "$1"; }
  trigger_stored() { [ "$(q "select count(*) from data where string1 = 'trigger.bin' and vfs_id = 9" 2>/dev/null || echo 0)" -ge 1 ]; }
  wait_until "$VFS_WAIT_S" trigger_stored || fail "smbtad did not store the trigger session"
  # The ledger follows the rows: wait until it has every sender of the 50 sessions.
  ledger_has() { [ "$(q "select count(*) from smbta_loss where sender != ''" 2>/dev/null || echo 0)" -ge 51 ]; }
  wait_until "$VFS_WAIT_S" ledger_has || fail "the loss ledger has $(q "select count(*) from smbta_loss") senders"
  sleep_until_settled() { local a b; a=$(q "select sum(received) from smbta_loss"); sleep 1; b=$(q "select sum(received) from smbta_loss"); [ "$a" = "$b" ]; }
  wait_until "$VFS_WAIT_S" sleep_until_settled || true
  expect_eq "$(q "select sum(missing) from smbta_loss")" 0 "records missing"
  expect_eq "$(q "select sum(duplicates) from smbta_loss")" 0 "duplicates"
  # Every number a module gave out is stored, dropped (and reported) or a drop notice.
  numbered=$(q "select sum(highest) from smbta_loss where sender != ''")
  stored=$(q "select sum(stored) from smbta_loss where sender != ''")
  dropped=$(q "select sum(dropped) from smbta_loss where sender != ''")
  notices=$(q "select count(*) from smbta_loss where dropped > 0")
  echo "numbered $numbered, stored $stored, dropped by the module $dropped, drop notices $notices"
  expect_eq "$(( stored + dropped + notices ))" "$numbered" "stored + dropped + notices"
  if [ "$case_name" != spool_full ]; then
    expect_eq "$dropped" 0 "records dropped"
    for i in $(seq 1 50); do
      expect_eq "$(q "select sum(length) from data where vfs_id = 2 and string1 = 's$i.bin'")" \
        $(( 20000 + i * 997 )) "stored bytes of s$i.bin"
    done
    expect_ge "$(q "select sum(replayed) from smbta_loss")" 1 "records marked as replayed"
  else
    expect_ge "$dropped" 1 "records dropped beyond the spool's bound"
    log_has "spool .* is full" || fail "the full spool is not logged"
  fi
  # Never a record stored twice: no file has more bytes stored than were written to it, and
  # no session's tree connect is stored twice.
  for i in $(seq 1 50); do
    got=$(q "select coalesce(sum(length), 0) from data where vfs_id = 2 and string1 = 's$i.bin'")
    [ "$got" -le $(( 20000 + i * 997 )) ] || fail "s$i.bin: $got bytes stored, more than written"
  done
  if [ "$case_name" = spool_authenticated ]; then
    grep -q "authenticated transport (AES-256-GCM)" "$T/smbtad.log" ||
      fail "smbtad did not log an authenticated module connection: $(cat "$T/smbtad.log")"
    ! grep -q "closed: " "$T/smbtad.log" || fail "smbtad refused a connection: $(cat "$T/smbtad.log")"
  fi
  if [ -x "${SMBTAQUERY:-}" ]; then
    HOME="$T" "$SMBTAQUERY" -M sqlite3 -N "$T/stad.db" -q "system, loss;" -o csv >"$T/loss.csv" ||
      fail "smbtaquery loss: $(cat "$T/loss.csv")"
    cat "$T/loss.csv"
    grep -q "yes" "$T/loss.csv" || fail "the loss report lists no sequenced server"
  fi
  ;;

spool_unsafe_dir)
  # A spool directory another user could write into would let that user inject records under
  # any server's name into the next replay: the module refuses one that is not root's with mode
  # 0700, and a target subdirectory that is a symlink. Each time the share still works, the
  # refusal is logged, and the module writes nothing there and changes nothing about it.
  # smbtad is not running throughout, so every session would spool.
  refusals() {
    cat "$T/smbd.log" "$T"/log.* 2>/dev/null | tr -d '\0' |
      grep -c "spool directory .* must be a directory owned by root with mode 0700" || true
  }
  seen=0
  refused() { # WHAT: the case, for the failure message. A new refusal since the last call.
    local now
    now=$(refusals)
    [ "$now" -gt "$seen" ] || fail "$1: the refusal is not logged"
    seen=$now
  }
  mkdir -p "$T/mspool"
  chmod 0777 "$T/mspool"
  start_smbd ""
  make_file "$T/client/u" 5000
  smbclient_cmds "put $T/client/u u1.bin"
  refused "mode 0777"
  [ -z "$(find "$T/mspool" -mindepth 1)" ] || fail "mode 0777: the module wrote $(find "$T/mspool")"
  expect_eq "$(stat -c '%a %U' "$T/mspool")" "777 root" "mode 0777: the directory is left alone"
  chmod 0700 "$T/mspool"
  chown nobody "$T/mspool"
  smbclient_cmds "put $T/client/u u2.bin"
  refused "owned by nobody"
  [ -z "$(find "$T/mspool" -mindepth 1)" ] || fail "owned by nobody: the module wrote $(find "$T/mspool")"
  chown root "$T/mspool"
  # A safe directory: this session spools into its target's subdirectory.
  smbclient_cmds "put $T/client/u u3.bin"
  target_dir=$(find "$T/mspool" -mindepth 1 -maxdepth 1 -type d)
  [ -n "$target_dir" ] || fail "a safe spool directory got no target subdirectory"
  expect_ge "$(find "$target_dir" -name '*.seg' -size +0 | wc -l)" 1 "segments in the safe spool"
  seen=$(refusals)
  # The target subdirectory replaced by a symlink to a directory of another's choosing.
  mv "$target_dir" "$T/moved-target"
  mkdir -m 0700 "$T/elsewhere"
  ln -s "$T/elsewhere" "$target_dir"
  smbclient_cmds "put $T/client/u u4.bin"
  refused "target subdirectory a symlink"
  [ -z "$(find "$T/elsewhere" -mindepth 1)" ] ||
    fail "symlink: the module wrote $(find "$T/elsewhere")"
  ;;

spool_spill)
  # smbtad is stopped (SIGSTOP: the connection stays up, nothing is read) while a session
  # writes many files: the module's queue (2 MiB here) fills, and at the session's end what
  # it holds goes to the spool at once. That spill is larger than a segment (1 MiB): it must
  # be written as several segments, each small enough to be replayed, and every record of it
  # reaches smbtad once smbtad runs again (a segment beyond the size bound would be removed
  # unreplayed: records lost and counted nowhere). The replay is made by a session on a share
  # whose queue is far smaller than a segment (64 KiB): it replays each segment in pieces
  # (a segment it could not take whole held up the whole spool).
  start_smbtad
  echo "$RECV_PID" >"$T/recv.pid" # the cleanup resumes it if the test stops while it is stopped
  SMB_EXTRA_SHARES=$(share_conf small "$T/share" "smb_traffic_analyzer:queue_size = 65536")
  start_smbd "smb_traffic_analyzer:queue_size = 2097152
  smb_traffic_analyzer:send_buffer = 4096"
  # Long paths make large records: 2000 files of 1000 bytes make about 4 MiB of them.
  long=$(printf 'd%.0s' $(seq 1 200))
  mkdir -p "$T/client/many"
  head -c 2000000 /dev/urandom >"$T/client/all"
  (cd "$T/client/many" && split -b 1000 -a 4 "$T/client/all" f)
  make_file "$T/client/t" 1000
  {
    sc prompt
    sc "lcd $T/client/many"
    sc "mkdir $long"
    sc "cd $long"
    kill -STOP "$RECV_PID"
    sc "mput f*"
    sc quit
  } | smbclient_stdin
  # The session's smbd process has ended once no segment is held (it seals the last one
  # after the spill).
  wait_until "$VFS_WAIT_S" spool_sealed || fail "the session's segments were not sealed: $(ls -l "$T"/mspool/*/)"
  spool_bytes=$(find "$T/mspool" -name '*.seg' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  largest=$(find "$T/mspool" -name '*.seg' -printf '%s\n' | sort -n | tail -n 1)
  echo "spool: $(find "$T/mspool" -name '*.seg' | wc -l) segments, $spool_bytes bytes, the largest $largest"
  expect_ge "$spool_bytes" 1200000 "spooled bytes (more than a segment, or this tests nothing)"
  [ "$largest" -le 1048576 ] || fail "a segment of $largest bytes, more than the segment size"
  kill -CONT "$RECV_PID"
  spool_empty() { [ -z "$(find "$T/mspool" -name '*.seg' -size +0)" ]; }
  SC_SHARE=small SC_LOG=smbclient.small.log # a second session: its own prompts
  {
    sc "put $T/client/t trigger.bin"
    wait_until "$VFS_WAIT_S" spool_empty || echo "spool not empty: $(find "$T/mspool" -name '*.seg')" >&2
    sc quit
  } | smbclient_stdin
  spool_empty || fail "the spool was not replayed"
  trigger_stored() { [ "$(q "select count(*) from data where string1 = 'trigger.bin' and vfs_id = 9" 2>/dev/null || echo 0)" -ge 1 ]; }
  wait_until "$VFS_WAIT_S" trigger_stored || fail "smbtad did not store the trigger session"
  ledger_has() { [ "$(q "select count(*) from smbta_loss where sender != ''" 2>/dev/null || echo 0)" -ge 2 ]; }
  wait_until "$VFS_WAIT_S" ledger_has || fail "the loss ledger has $(q "select count(*) from smbta_loss") senders"
  settled() { local a b; a=$(q "select sum(received) from smbta_loss"); sleep 1; b=$(q "select sum(received) from smbta_loss"); [ "$a" = "$b" ]; }
  wait_until "$VFS_WAIT_S" settled || true
  numbered=$(q "select sum(highest) from smbta_loss where sender != ''")
  stored=$(q "select sum(stored) from smbta_loss where sender != ''")
  dropped=$(q "select sum(dropped) from smbta_loss where sender != ''")
  notices=$(q "select count(*) from smbta_loss where dropped > 0")
  echo "numbered $numbered, stored $stored, dropped by the module $dropped, drop notices $notices"
  expect_eq "$(q "select sum(missing) from smbta_loss")" 0 "records missing"
  expect_eq "$(q "select sum(duplicates) from smbta_loss")" 0 "duplicates"
  expect_eq "$(( stored + dropped + notices ))" "$numbered" "stored + dropped + notices"
  # At the end of the session the frame smbtad had in part is counted as dropped (smbtad may
  # or may not have the rest): at most that one.
  [ "$dropped" -le 1 ] || fail "$dropped records dropped"
  expect_ge "$(q "select sum(replayed) from smbta_loss")" 1 "records marked as replayed"
  files=$(find "$T/client/many" -type f | wc -l)
  whole=$(q "select count(*) from (select string1, sum(length) as n from data where vfs_id = 2 \
    and string1 like '$long/f%' group by string1) where n = 1000")
  over=$(q "select count(*) from (select string1, sum(length) as n from data where vfs_id = 2 \
    and string1 like '$long/f%' group by string1) where n > 1000")
  echo "$whole of $files files with every byte stored"
  expect_eq "$over" 0 "files with more bytes stored than written"
  expect_ge "$whole" $(( files - dropped )) "files with every byte stored"
  ;;

spool_disk_full)
  # The spool's disk fills up while smbtad is away (a small tmpfs, filled by the test): an
  # append is cut short, what cannot be written is counted as dropped, and once there is room
  # again the records that follow are kept whole. A short write once moved the segment's
  # file offset beyond its end: the next append left a hole of zeros, at which the replay
  # stopped, and every record after it was lost without a count.
  [ -n "${VFS_MNTNS:-}" ] || skip "needs a private mount namespace (root, unshare)"
  [ -x "${SMBTAD:-}" ] || skip "smbtad not built"
  command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
  mkdir -p "$T/mspool"
  mount -t tmpfs -o size=1m,mode=0700 smbta-test-spool "$T/mspool" || skip "cannot mount a tmpfs"
  start_smbd ""
  make_file "$T/client/a" 100000
  make_file "$T/client/b" 100000
  make_file "$T/client/c" 100000
  make_file "$T/client/t" 1000
  fill() { dd if=/dev/zero of="$T/mspool/filler" bs=4096 >/dev/null 2>&1 || true; }
  {
    sc "put $T/client/a a.bin"
    fill
    # Records for more than the rest of the segment's last page: one append is cut short.
    for i in $(seq 1 10); do sc "put $T/client/b b$i.bin"; done
    rm -f "$T/mspool/filler"
    sc "put $T/client/c c.bin"
    sc quit
  } | smbclient_stdin
  wait_until "$VFS_WAIT_S" spool_sealed || fail "the session's segments were not sealed: $(ls -l "$T"/mspool/*/)"
  log_has "cannot write to spool" || fail "the full disk is not logged"
  start_smbtad
  spool_empty() { [ -z "$(find "$T/mspool" -name '*.seg' -size +0)" ]; }
  {
    sc "put $T/client/t trigger.bin"
    wait_until "$VFS_WAIT_S" spool_empty || echo "spool not empty: $(find "$T/mspool" -name '*.seg')" >&2
    sc quit
  } | smbclient_stdin
  spool_empty || fail "the spool was not replayed"
  trigger_stored() { [ "$(q "select count(*) from data where string1 = 'trigger.bin' and vfs_id = 9" 2>/dev/null || echo 0)" -ge 1 ]; }
  wait_until "$VFS_WAIT_S" trigger_stored || fail "smbtad did not store the trigger session"
  ledger_has() { [ "$(q "select count(*) from smbta_loss where sender != ''" 2>/dev/null || echo 0)" -ge 2 ]; }
  wait_until "$VFS_WAIT_S" ledger_has || fail "the loss ledger has $(q "select count(*) from smbta_loss") senders"
  dropped=$(q "select sum(dropped) from smbta_loss where sender != ''")
  echo "a.bin $(q "select sum(length) from data where vfs_id = 2 and string1 = 'a.bin'"), b.bin" \
    "$(q "select coalesce(sum(length), 0) from data where vfs_id = 2 and string1 like 'b%.bin'"), c.bin" \
    "$(q "select sum(length) from data where vfs_id = 2 and string1 = 'c.bin'") bytes stored; $dropped records dropped"
  expect_ge "$dropped" 1 "records dropped while the disk was full"
  expect_eq "$(q "select sum(length) from data where vfs_id = 2 and string1 = 'a.bin'")" 100000 "stored bytes of a.bin (before the disk was full)"
  expect_eq "$(q "select sum(length) from data where vfs_id = 2 and string1 = 'c.bin'")" 100000 "stored bytes of c.bin (after there was room again)"
  expect_eq "$(q "select count(*) from data where vfs_id = 9 and string1 = 'c.bin'")" 1 "stored close of c.bin"
  expect_eq "$(q "select sum(missing) from smbta_loss")" 0 "records missing"
  umount "$T/mspool" # the cleanup removes $T
  ;;

smbtad_both)
  # One smbtad for a local and a remote Samba server: modules over TCP ([data]) and over the
  # Unix socket ([local]) at the same time, into one database. smbtad creates the socket's
  # directory (the default /run/smbtad/ is one; here a private one).
  SOCK="$T/run/stadsocket"
  start_smbtad --module-listeners tcp,unix --unix-socket-path "$SOCK"
  [ -S "$SOCK" ] || fail "smbtad did not create $SOCK: $(cat "$T/smbtad.log")"
  expect_eq "$(stat -c '%a %U' "$T/run")" "755 root" "the socket directory smbtad created"
  SMB_EXTRA_SHARES="[local]
  path = $T/share
  read only = no
  vfs objects = smb_traffic_analyzer
  smb_traffic_analyzer:mode = unix_domain_socket
  smb_traffic_analyzer:socket_path = $SOCK"
  start_smbd ""
  make_file "$T/client/r" 700000
  make_file "$T/client/l" 300000
  # Both sessions at once (each smbd process keeps its connection to smbtad to the end).
  pids=()
  for share in data local; do
    f=$([ "$share" = data ] && echo r || echo l)
    timeout 300 smbclient "//127.0.0.1/$share" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E \
      -c "put $T/client/$f $share.bin" >"$T/smbclient.$share.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "smbclient failed: $(cat "$T"/smbclient.*.log)"; done
  both_stored() {
    [ "$(q "select count(*) from data where vfs_id = 9" 2>/dev/null || echo 0)" -ge 2 ]
  }
  wait_until "$VFS_WAIT_S" both_stored || fail "smbtad did not store both sessions: $(cat "$T/smbtad.log")"
  expect_eq "$(q "select share || ' ' || sum(length) from data where vfs_id = 2 group by share order by share")" \
    "data 700000"$'\n'"local 300000" "bytes written per share (TCP: data, Unix socket: local)"
  expect_eq "$(q "select group_concat(module_ip_address, ' ') from (select module_ip_address from modules order by 1)")" \
    "127.0.0.1 unix" "the modules smbtad saw"
  ;;

new_ops)
  # The ops smbta added to V2 (docs/protocol.md): truncate, DOS attributes, times, ACLs, failed
  # opens with their NTSTATUS, directory closes, the tree connect with the dialect.
  need_smb_ops
  start_receiver --port @RPORT@
  start_smbd ""
  make_file "$T/client/f" 1000
  smbclient_cmds "put $T/client/f f.bin; mkdir d; put $T/client/f d\\g.bin; ls d\\*"
  smbclient "//127.0.0.1/data" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E -c "get missing.bin $T/client/m" \
    >"$T/smbclient.missing.log" 2>&1 && fail "get of a missing file succeeded"
  smb_ops f.bin truncate 100
  smb_ops f.bin utimes
  smb_ops f.bin readonly
  wait_for_record setattr f.bin
  expect_eq "$(stat -c %s "$T/share/f.bin")" 100 "size of f.bin after the truncate"
  expect_eq "$(field_of truncate $C_LEN f.bin)" 100 "truncate record: new size"
  expect_eq "$(field_of truncate $C_RESULT f.bin)" 0 "truncate record: result"
  expect_ge "$(count_of settimes f.bin 0)" 1 "settimes records of f.bin (the client's utimes)"
  # The write time smbd keeps itself for a written file is not a client's change.
  expect_eq "$(count_of settimes d/g.bin)" 0 "settimes records of d/g.bin (only written)"
  attrs=$(field_of setattr $C_MODE f.bin | tail -n 1)
  [ $(( attrs & 1 )) -eq 1 ] || fail "setattr record: attributes $attrs without FILE_ATTRIBUTE_READONLY"
  # Attributes smbd sets while it creates a file are part of the create.
  expect_eq "$(count_of setattr d/g.bin)" 0 "setattr records of the created d/g.bin"
  # The failed open: result failed, mode NT_STATUS_OBJECT_NAME_NOT_FOUND (0xc0000034).
  expect_eq "$(count_of open missing.bin 4294967295)" 1 "failed open of missing.bin"
  expect_eq "$(field_of open $C_MODE missing.bin)" 3221225524 "failed open: NTSTATUS in mode"
  # The listed directory's handle: one open, one close.
  expect_ge "$(count_of open d)" 1 "opens of the listed directory d"
  expect_eq "$(count_of close d)" "$(count_of open d)" "closes of the listed directory d"
  # One connect record per tree connect: dialect, no encryption asked for.
  dialects=$(awk -F'\t' '$1 == "connect" && $4 == "data" { print $9 }' "$REC" | sort -u)
  expect_eq "$dialects" SMB3_11 "dialect of the tree connects"
  expect_eq "$(awk -F'\t' '$1 == "connect" && $12 % 256 != 0' "$REC")" "" "connects with encryption flags"
  ;;

setacl)
  # A client's ACL change (fset_nt_acl). libsmbclient sets ACLs through a second connection (to
  # IPC$, for the SID lookups) that ignores the port it was given and goes to 445: the case runs
  # in a network namespace of its own (a private loopback), where smbd can have port 445.
  need_smb_ops
  start_receiver --port @RPORT@
  start_smbd ""
  make_file "$T/client/f" 1000
  smbclient_cmds "put $T/client/f f.bin"
  smb_ops f.bin setacl
  wait_for_record setacl f.bin
  expect_eq "$(field_of setacl $C_MODE f.bin)" 4 "setacl record: security_info_sent (DACL)"
  expect_eq "$(field_of setacl $C_RESULT f.bin)" 0 "setacl record: result"
  expect_eq "$(field_of setacl $C_USER f.bin)" "$SMB_USER" "setacl record: who changed the ACL"
  ;;

copychunk)
  # A server-side copy within the share (FSCTL_SRV_COPYCHUNK_WRITE through libsmbclient's
  # splice): copy records with the bytes copied, the source and the destination; no
  # read or write records for the copied bytes.
  need_smb_ops
  start_receiver --port @RPORT@
  start_smbd ""
  make_file "$T/client/src" 3145728
  smbclient_cmds "put $T/client/src src.bin"
  copied=$(smb_ops src.bin copy smb://127.0.0.1/data/dst.bin)
  expect_eq "$copied" 3145728 "bytes the client copied"
  cmp "$T/client/src" "$T/share/dst.bin" || fail "the copy differs from its source"
  copied_sum() { awk -F'\t' '$1 == "copy" && $9 == "src.bin" && $10 == "dst.bin" { s += $11 } END { print s + 0 }' "$REC"; }
  copy_complete() { [ "$(copied_sum)" -ge 3145728 ]; }
  wait_until "$VFS_WAIT_S" copy_complete || fail "copy records: $(copied_sum) bytes of src.bin -> dst.bin"
  expect_eq "$(copied_sum)" 3145728 "bytes of the copy records"
  expect_eq "$(awk -F'\t' '$1 == "copy" && $8 !~ /^[0-9]+$/' "$REC")" "" "copy records without latency"
  expect_eq "$(bytes_of pwrite dst.bin)" 0 "bytes written to dst.bin by the client"
  ;;

operations)
  # smb_traffic_analyzer:operations per share: [data] everything but pread and chdir, [some]
  # only open and close.
  start_receiver --port @RPORT@
  SMB_EXTRA_SHARES="[some]
  path = $T/share
  read only = no
  vfs objects = smb_traffic_analyzer
  smb_traffic_analyzer:host = 127.0.0.1
  smb_traffic_analyzer:port = $RPORT
  smb_traffic_analyzer:operations = open close"
  start_smbd "smb_traffic_analyzer:operations = all !pread !chdir"
  standard_session
  wait_for_record rmdir
  expect_eq "$(awk -F'\t' '$4 == "data" && ($1 == "pread" || $1 == "chdir")' "$REC")" "" "pread/chdir records of [data]"
  expect_eq "$(bytes_of pwrite f1.bin)" 1048576 "bytes written to f1.bin ([data] reports pwrite)"
  make_file "$T/client/s" 5000
  timeout 300 smbclient "//127.0.0.1/some" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E \
    -c "put $T/client/s s.bin; get s.bin $T/client/s.back" >"$T/smbclient.some.log" 2>&1 ||
    fail "smbclient to [some]: $(cat "$T/smbclient.some.log")"
  closes_of_s() { [ "$(awk -F'\t' '$4 == "some" && $1 == "close" && $9 == "s.bin"' "$REC" | wc -l)" -ge 2 ]; }
  wait_until "$VFS_WAIT_S" closes_of_s || fail "no two closes of s.bin from [some]"
  expect_eq "$(awk -F'\t' '$4 == "some" && $1 != "open" && $1 != "close" { print $1 }' "$REC" | sort -u)" "" \
    "ops other than open/close reported for [some]"
  ;;

enable)
  # smb_traffic_analyzer:enable = no: the module is loaded on [data] but reports nothing;
  # [on] (same settings otherwise) reports.
  start_receiver --port @RPORT@
  SMB_EXTRA_SHARES="[on]
  path = $T/share
  read only = no
  vfs objects = smb_traffic_analyzer
  smb_traffic_analyzer:host = 127.0.0.1
  smb_traffic_analyzer:port = $RPORT"
  start_smbd "smb_traffic_analyzer:enable = no"
  standard_session
  make_file "$T/client/o" 4000
  timeout 300 smbclient "//127.0.0.1/on" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E \
    -c "put $T/client/o o.bin" >"$T/smbclient.on.log" 2>&1 || fail "smbclient to [on]: $(cat "$T/smbclient.on.log")"
  wait_for_record close o.bin
  expect_eq "$(bytes_of pwrite o.bin)" 4000 "bytes written to [on]"
  expect_eq "$(records_of_share data)" 0 "records of [data] (enable = no)"
  [ "$(stat -c %s "$T/share/f2.bin" 2>/dev/null || echo gone)" = gone ] || fail "[data] did not work"
  ;;

latency)
  # Every record carries the latency block in microseconds; a plausible value (a loopback
  # session on a loaded machine: below 30 s, and not all zero). latency = no leaves it empty.
  start_receiver --port @RPORT@
  SMB_EXTRA_SHARES="[nolat]
  path = $T/share
  read only = no
  vfs objects = smb_traffic_analyzer
  smb_traffic_analyzer:host = 127.0.0.1
  smb_traffic_analyzer:port = $RPORT
  smb_traffic_analyzer:latency = no"
  start_smbd ""
  standard_session
  check_standard_records "$SMB_USER" "$USER_SID"
  expect_eq "$(awk -F'\t' '$4 == "data" && ($8 !~ /^[0-9]+$/ || $8 > 30000000)' "$REC")" "" \
    "records without a plausible latency"
  max=$(awk -F'\t' '$1 == "pwrite" || $1 == "pread" { if ($8 > m) m = $8 } END { print m + 0 }' "$REC")
  expect_ge "$max" 1 "largest read/write latency (us)"
  echo "largest read/write latency: $max us"
  make_file "$T/client/n" 3000
  timeout 300 smbclient "//127.0.0.1/nolat" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E \
    -c "put $T/client/n n.bin" >"$T/smbclient.nolat.log" 2>&1 || fail "smbclient to [nolat]"
  wait_for_record close n.bin
  expect_eq "$(awk -F'\t' '$4 == "nolat" && $8 != "-"' "$REC")" "" "records of [nolat] with a latency"
  ;;

smbtad_new_ops)
  # The real smbtad stores the new ops; smbtaquery lists them.
  need_smb_ops
  start_smbtad
  start_smbd ""
  make_file "$T/client/src" 2000000
  smbclient_cmds "put $T/client/src src.bin"
  expect_eq "$(smb_ops src.bin copy smb://127.0.0.1/data/dst.bin)" 2000000 "bytes the client copied"
  smb_ops dst.bin truncate 1000
  smb_ops dst.bin readonly
  attr_stored() { [ "$(q "select count(*) from data where vfs_id = 17" 2>/dev/null || echo 0)" -ge 1 ]; }
  wait_until "$VFS_WAIT_S" attr_stored || fail "smbtad did not store the setattr"
  expect_eq "$(q "select sum(length) || ' ' || string1 || ' -> ' || string2 from data where vfs_id = 11 group by string1, string2")" \
    "2000000 src.bin -> dst.bin" "stored server-side copy"
  expect_eq "$(q "select string1 || ' ' || string2 || ' ' || result from data where vfs_id = 12")" \
    "dst.bin 1000 0" "stored truncate (new size in string2)"
  expect_eq "$(q "select count(*) from data where vfs_id = 19 and string1 = 'SMB3_11'")" 4 \
    "stored tree connects (smbclient and three smb_ops sessions)"
  # smbtaquery's last_activity names them.
  if [ -x "${SMBTAQUERY:-}" ]; then
    HOME="$T" "$SMBTAQUERY" -M sqlite3 -N "$T/stad.db" -q "global, last_activity 50;" -o csv \
      >"$T/query.csv" 2>&1 || fail "smbtaquery: $(cat "$T/query.csv")"
    grep -q "copied 1048576 bytes from src.bin to dst.bin" "$T/query.csv" ||
      fail "smbtaquery does not show the copy (one row per 1 MiB chunk): $(cat "$T/query.csv")"
    grep -q "truncated file dst.bin to 1000 bytes" "$T/query.csv" ||
      fail "smbtaquery does not show the truncate: $(cat "$T/query.csv")"
    grep -q "changed the attributes of dst.bin to 0x" "$T/query.csv" ||
      fail "smbtaquery does not show the attribute change: $(cat "$T/query.csv")"
    grep -q "connected with SMB3_11" "$T/query.csv" ||
      fail "smbtaquery does not show the tree connect: $(cat "$T/query.csv")"
  fi
  ;;

allocate)
  # strict allocate = yes: a client's end-of-file beyond the file's size makes smbd reserve the
  # space (vfs_default's ftruncate calls SMB_VFS_FALLOCATE from the top of the stack): an
  # allocate record with the new size, beside the truncate. (A client's set-allocation-size
  # ends in the same fallocate; neither smbclient nor libsmbclient can send one.)
  need_smb_ops
  start_receiver --port @RPORT@
  start_smbd "strict allocate = yes"
  make_file "$T/client/f" 1000
  smbclient_cmds "put $T/client/f f.bin"
  smb_ops f.bin truncate 3000000
  wait_for_record truncate f.bin
  expect_eq "$(stat -c %s "$T/share/f.bin")" 3000000 "size of f.bin after the extension"
  [ $(( $(stat -c '%b * %B' "$T/share/f.bin") )) -ge 3000000 ] ||
    fail "f.bin has $(( $(stat -c '%b * %B' "$T/share/f.bin") )) bytes allocated (strict allocate)"
  expect_eq "$(field_of allocate $C_LEN f.bin)" 3000000 "allocate record: offset + length"
  expect_eq "$(field_of allocate $C_RESULT f.bin)" 0 "allocate record: result"
  expect_eq "$(field_of allocate $C_USER f.bin)" "$SMB_USER" "allocate record: user"
  expect_eq "$(field_of truncate $C_LEN f.bin)" 3000000 "truncate record: new size"
  # A shrink frees space: no allocation.
  smb_ops f.bin truncate 10
  wait_until "$VFS_WAIT_S" eval '[ "$(count_of truncate f.bin)" -ge 2 ]' || fail "no second truncate record"
  expect_eq "$(count_of allocate f.bin)" 1 "allocate records of f.bin after the shrink"
  ;;

chown)
  # A security descriptor with a new owner (smbcacls --chown): smbd changes the owner with
  # fchown inside the set-ACL, as root for an admin user ([adm]: admin users). The record says
  # who did it, the file and the new uid:gid (-1: the group is left as it is).
  command -v smbcacls >/dev/null || skip "smbcacls not installed"
  start_receiver --port @RPORT@
  SMB_EXTRA_SHARES="$(share_conf adm "$T/share" "admin users = $SMB_USER")"
  start_smbd ""
  make_file "$T/client/f" 1000
  smbclient_to adm "put $T/client/f f.bin"
  expect_eq "$(stat -c %U "$T/share/f.bin")" root "owner of f.bin put by an admin user"
  own_uid=$(id -u "$SMB_USER")
  timeout 300 smbcacls "//127.0.0.1/adm" f.bin -U "$SMB_USER%$SMB_PASS" --numeric \
    -C "S-1-22-1-$own_uid" >"$T/smbcacls.log" 2>&1 ||
    fail "smbcacls --chown failed: $(cat "$T/smbcacls.log")"
  wait_for_record chown f.bin
  expect_eq "$(stat -c %u "$T/share/f.bin")" "$own_uid" "owner of f.bin after the chown"
  expect_eq "$(field_of chown $C_PATH2 f.bin)" "$own_uid:-1" "chown record: new owner"
  expect_eq "$(field_of chown $C_RESULT f.bin)" 0 "chown record: result"
  expect_eq "$(field_of chown $C_USER f.bin)" "$SMB_USER" "chown record: who changed the owner"
  expect_eq "$(field_of chown $C_SHARE f.bin)" adm "chown record: share"
  # The set-ACL that carried it: security_info_sent 1 (the owner).
  expect_eq "$(field_of setacl $C_MODE f.bin)" 1 "setacl record: the owner was set"
  ;;

session)
  # The session's state in the connect record (bits 16-30 of the flags, docs/protocol.md): an
  # encrypting session's (smbclient --client-protection=encrypt) tree connect came encrypted
  # with a negotiated cipher; a plain one's did not. Both sign (SMB 3.1.1 with a signing algorithm) and come from 127.0.0.1.
  start_receiver --port @RPORT@
  start_smbd ""
  make_file "$T/client/f" 1000
  timeout 300 smbclient "//127.0.0.1/data" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" \
    --client-protection=encrypt -E -c "put $T/client/f enc.bin" >"$T/smbclient.enc.log" 2>&1 ||
    fail "smbclient --client-protection=encrypt failed: $(cat "$T/smbclient.enc.log")"
  wait_for_record close enc.bin
  smbclient_cmds "put $T/client/f plain.bin"
  wait_for_record close plain.bin
  # The connect record of each session: the one before its first open.
  connect_flags_before() {
    awk -F'\t' -v p="$1" '$1 == "connect" { f = $12 } $1 == "open" && $9 == p { print f; exit }' "$REC"
  }
  enc=$(connect_flags_before enc.bin)
  plain=$(connect_flags_before plain.bin)
  echo "connect flags: encrypting session $enc, plain $plain"
  [ -n "$enc" ] && [ -n "$plain" ] || fail "no connect records before the sessions' opens"
  # The session setup itself always comes unencrypted (0x8); the tree connect came encrypted.
  [ $(( (enc >> 16) & 0xc )) -eq 12 ] ||
    fail "encrypting session: session encryption flags $(( (enc >> 16) & 0xf )), want encrypted and unencrypted requests"
  cipher=$(( (enc >> 24) & 0xf ))
  [ "$cipher" -ge 1 ] && [ "$cipher" -le 4 ] || fail "encrypting session: cipher $cipher"
  [ $(( (plain >> 16) & 0xc )) -eq 8 ] ||
    fail "plain session: encryption flags $(( (plain >> 16) & 0xf )), want an unencrypted request only"
  for f in "$enc" "$plain"; do
    algo=$(( (f >> 28) & 0x7 ))
    [ "$algo" -ge 1 ] && [ "$algo" -le 3 ] || fail "signing algorithm $algo in flags $f"
  done
  expect_eq "$(awk -F'\t' '$1 == "connect" { print $9 " " $7 }' "$REC" | sort -u)" "SMB3_11 127.0.0.1" \
    "dialect and client address of the connects"
  ;;

anonymize_homes)
  # Total anonymization on a [homes] share: the share is named after the user, its path
  # contains the user's name, and chdir sends absolute server paths. No record may name the
  # user or show the server's directory layout.
  make_home
  start_receiver --port @RPORT@
  SMB_EXTRA_SHARES="$(share_conf homes "$T/home/%U" "browseable = no" \
    "smb_traffic_analyzer:anonymize_prefix = anon" "smb_traffic_analyzer:total_anonymization = yes")"
  start_smbd ""
  make_file "$T/client/f" 4000
  smbclient_to "$SMB_USER" "mkdir $SMB_USER-docs; put $T/client/f $SMB_USER-docs\\Notes-${SMB_USER^^}.txt; \
put $T/client/f report.bin; get report.bin $T/client/back; rename report.bin $SMB_USER.bin; \
cd $SMB_USER-docs; ls; cd ..; del $SMB_USER.bin"
  [ -s "$T/home/$SMB_USER/$SMB_USER-docs/Notes-${SMB_USER^^}.txt" ] || fail "the home share did not work"
  wait_for_record unlink anon.bin
  expect_ge "$(wc -l <"$REC")" 8 "records of the session"
  expect_eq "$(grep -ci -- "$SMB_USER" "$REC" || true)" 0 "records naming $SMB_USER"
  expect_eq "$(grep -c -- "$T" "$REC" || true)" 0 "records with the server's path $T"
  expect_eq "$(awk -F'\t' '{ print $2 " " $3 " " $4 }' "$REC" | sort -u)" "anon anon anon" "user, SID and share"
  expect_ge "$(count_of chdir .)" 1 "chdir records of the share root (sent as .)"
  expect_eq "$(awk -F'\t' '$1 == "chdir" && $9 ~ /^\// && $9 != "/"' "$REC")" "" "chdir records with an absolute path"
  expect_eq "$(bytes_of pwrite anon-docs/Notes-anon.txt)" 4000 "bytes written to anon-docs/Notes-anon.txt"
  expect_eq "$(awk -F'\t' '$1 == "rename" { print $9 " -> " $10 }' "$REC")" "report.bin -> anon.bin" "rename record"
  ;;

pseudonym)
  # Keyed pseudonyms (pseudonym_key_file) stored by the real smbtad: the same user has the same
  # pseudonym in every session and share with the same key, another key gives another one,
  # it is the documented HMAC-SHA256, and the user's name is nowhere in the database, also
  # not as the name of the [homes] share.
  make_home
  head -c 32 /dev/urandom >"$T/pkey1"
  head -c 32 /dev/urandom >"$T/pkey2"
  chmod 600 "$T/pkey1" "$T/pkey2"
  start_smbtad
  SMB_GLOBAL_EXTRA="  smb_traffic_analyzer:anonymize_prefix = u-"
  SMB_EXTRA_SHARES="$(share_conf homes "$T/home/%U" "browseable = no" \
    "smb_traffic_analyzer:pseudonym_key_file = $T/pkey1")
$(share_conf other "$T/share" "smb_traffic_analyzer:pseudonym_key_file = $T/pkey2")"
  start_smbd "smb_traffic_analyzer:pseudonym_key_file = $T/pkey1"
  make_file "$T/client/f" 5000
  # Four sessions (four smbd processes): [homes] twice, [data], [other].
  smbclient_to "$SMB_USER" "put $T/client/f a.bin"
  smbclient_to "$SMB_USER" "put $T/client/f $SMB_USER.bin"
  smbclient_cmds "put $T/client/f d.bin"
  smbclient_to other "put $T/client/f o.bin"
  closes_stored() { [ "$(q "select count(*) from data where vfs_id = 9 and string1 like '%.bin'" 2>/dev/null || echo 0)" -ge 4 ]; }
  wait_until "$VFS_WAIT_S" closes_stored || fail "smbtad did not store the four sessions' closes"
  p1=$(pseudonym_of user "$SMB_USER" "$T/pkey1" u-)
  p2=$(pseudonym_of user "$SMB_USER" "$T/pkey2" u-)
  echo "pseudonyms of $SMB_USER: key 1 $p1, key 2 $p2"
  [[ "$p1" =~ ^u-[0-9a-f]{16}$ ]] || fail "pseudonym_of gave '$p1'"
  [ "$p1" != "$p2" ] || fail "two keys gave the same pseudonym $p1"
  expect_eq "$(q "select distinct username from data where share != 'other'")" "$p1" \
    "stored user of the key 1 sessions ([homes] twice, [data])"
  expect_eq "$(q "select count(distinct string1) from data where vfs_id = 9 and share = '$p1'")" 2 \
    "closes of both [homes] sessions, stored under the share name $p1"
  expect_eq "$(q "select distinct username from data where share = 'other'")" "$p2" "stored user with key 2"
  expect_eq "$(q "select distinct usersid from data where share = 'data'")" \
    "$(pseudonym_of sid "$USER_SID" "$T/pkey1" u-)" "stored SID with key 1"
  expect_ge "$(q "select count(*) from data where string1 = '$p1.bin'")" 2 \
    "records of $SMB_USER.bin (open, write, close) under the pseudonym's name"
  # Every stored row of every table (the schema has a column smbtad_daemon).
  rows() { sqlite3 "$T/stad.db" .dump | grep '^INSERT'; }
  expect_ge "$(rows | wc -l)" 10 "stored rows"
  expect_eq "$(rows | grep -ci -- "$SMB_USER" || true)" 0 "rows naming $SMB_USER"
  expect_eq "$(rows | grep -c -- "$USER_SID" || true)" 0 "rows with the user's SID"
  ;;

pseudonym_refused)
  # A pseudonym key that others could read, that root does not own, or that is too short is
  # refused with a log line: the share works but is not reported (never with the raw name).
  printf '%s' "0123456789abcdef0123456789abcdef" >"$T/k.good"
  chmod 600 "$T/k.good"
  install -m 640 "$T/k.good" "$T/k.mode"
  install -m 600 -o "$SMB_USER" "$T/k.good" "$T/k.owner"
  printf 'short' >"$T/k.short"
  chmod 600 "$T/k.short"
  start_receiver --port @RPORT@
  SMB_EXTRA_SHARES="$(share_conf owner "$T/share" "smb_traffic_analyzer:pseudonym_key_file = $T/k.owner")
$(share_conf short "$T/share" "smb_traffic_analyzer:pseudonym_key_file = $T/k.short")
$(share_conf missing "$T/share" "smb_traffic_analyzer:pseudonym_key_file = $T/k.missing")
$(share_conf good "$T/share" "smb_traffic_analyzer:pseudonym_key_file = $T/k.good")"
  start_smbd "smb_traffic_analyzer:pseudonym_key_file = $T/k.mode"
  make_file "$T/client/f" 3000
  for share in data owner short missing good; do smbclient_to "$share" "put $T/client/f $share.bin"; done
  for share in data owner short missing; do
    [ "$(stat -c %s "$T/share/$share.bin")" = 3000 ] || fail "[$share] did not work"
  done
  log_has "pseudonym_key_file $T/k.mode refused: mode 0640: readable or writable by group or others; share data is NOT reported" ||
    fail "the key readable by its group is not logged"
  log_has "pseudonym_key_file $T/k.owner refused: owned by uid $(id -u "$SMB_USER"), not root; share owner is NOT reported" ||
    fail "the key not owned by root is not logged"
  log_has "pseudonym_key_file $T/k.short refused: 5 bytes; a key has 16 to 4096 bytes; share short is NOT reported" ||
    fail "the short key is not logged"
  log_has "pseudonym_key_file $T/k.missing refused: cannot open it: No such file or directory" ||
    fail "the missing key is not logged"
  # [good] was used last: once its records are in, the others' would have been too.
  wait_for_record close good.bin
  expect_eq "$(awk -F'\t' '$4 != "good"' "$REC")" "" "records of shares with a refused key"
  expect_eq "$(grep -ci -- "$SMB_USER" "$REC" || true)" 0 "records naming $SMB_USER"
  ;;

*)
  echo "unknown case $case_name" >&2
  exit 2
  ;;
esac
pass
