#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# See smbta work in one command: a private smbd on a loopback port with the module on two shares,
# smbtad storing into sqlite, a short burst of real SMB traffic from two users (smbclient), then
# an smbtaquery report. Everything lives in a temporary directory and is stopped and removed at
# the end; smbd's module file is put back as it was.
#
# Usage (as root, after building): bash scripts/demo.sh [--live] [BUILD_DIR]
#   BUILD_DIR  the build tree (default: build, as scripts/run.sh makes it)
#   --live     keep smbd and smbtad running after the report, for smbtamonitor, until Enter
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
live=0
build=
for arg in "$@"; do
  case $arg in
    --live) live=1 ;;
    -h | --help) sed -n '3,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "demo.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) build=$arg ;;
  esac
done
build=${build:-$repo/build}
if ! build_abs=$(cd "$build" 2>/dev/null && pwd); then
  echo "demo.sh: no build tree $build; build first: bash scripts/run.sh (or cmake -S . -B build" \
    "&& cmake --build build)" >&2
  exit 2
fi
build=$build_abs

# An isolated smbd, ports, waiting (shared with the vfs tests).
# shellcheck source=tests/vfs/vfs_lib.sh
. "$repo/tests/vfs/vfs_lib.sh"
skip() { echo "demo.sh: $*" >&2; exit 2; }
fail() { echo "demo.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "run it as root (smbd, and the demo users in smbd's private passdb)"
command -v smbd >/dev/null && command -v smbclient >/dev/null ||
  skip "samba and smbclient are not installed (bash scripts/deps.sh)"
SMBTAD=$build/smbtad/smbtad
SMBTAQUERY=$build/smbtaquery/smbtaquery
SMBTAMONITOR=$build/smbtamonitor/smbtamonitor
SMBTA_VFS_MODULE=$build/vfs_module/smb_traffic_analyzer.so
for f in "$SMBTAD" "$SMBTAQUERY" "$SMBTAMONITOR" "$SMBTA_VFS_MODULE"; do
  [ -x "$f" ] || [ -f "$f" ] || skip "$f is missing: build the tree first (cmake --build $build)"
done

T=$(mktemp -d /tmp/smbta-demo.XXXXXX)
chmod 755 "$T"
mkdir -p "$T"/{projects,scratch,client,lock,state,cache,pid,private,ncalrpc,saved}
chmod 777 "$T/projects" "$T/scratch"
MODULE_DIR=${SMBTA_VFS_MODULE_DIR:-$(smbd -b | sed -n 's/^ *MODULESDIR: //p')/vfs}
MODULE=$MODULE_DIR/smb_traffic_analyzer.so

cleanup() {
  local rc=$?
  set +e
  trap '' PIPE  # a reader that went away (demo.sh | head) must not stop the cleanup
  [ -n "${SMBTAD_PID:-}" ] && kill "$SMBTAD_PID" 2>/dev/null
  [ -n "${SMBD_PID:-}" ] && kill "$SMBD_PID" 2>/dev/null
  wait 2>/dev/null
  # smbd's module directory as it was before the demo.
  if [ -e "$T/saved/smb_traffic_analyzer.so" ] || [ -L "$T/saved/smb_traffic_analyzer.so" ]; then
    cp -a "$T/saved/smb_traffic_analyzer.so" "$MODULE"
  elif [ -n "${LINKED:-}" ]; then
    rm -f "$MODULE"
  fi
  if [ $rc -ne 0 ]; then
    echo "demo.sh failed; smbtad said:" >&2
    tail -n 20 "$T/smbtad.log" >&2 2>/dev/null
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
trap 'exit 141' PIPE

if [ -e "$MODULE" ] || [ -L "$MODULE" ]; then cp -a "$MODULE" "$T/saved/"; fi
install_module_link
LINKED=1

echo "== smbtad on sqlite ($T/db/staddb), smbd with the module on the shares projects and scratch"
SPORT=$(free_port)
RPORT=$(free_port)
QPORT=$(free_port)
# smbtad needs no privileges: it runs as nobody, in a directory of its own.
mkdir -p "$T/db"
chown nobody "$T/db"
chmod 700 "$T/db"
env HOME="$T/db" setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups -- \
  "$SMBTAD" -o -i "$RPORT" -q "$QPORT" -M sqlite3 -N "$T/db/staddb" -p 0 \
  </dev/null >"$T/smbtad.log" 2>&1 &
SMBTAD_PID=$!
wait_until 30 wait_port "$RPORT" || fail "smbtad did not listen on $RPORT: $(tail -n 5 "$T/smbtad.log")"

# Two users in the private smbd's own passdb (existing system accounts, passwords only there).
USERS=(daemon bin)
PASS=smbta-Demo-1
SMB_USER=${USERS[0]}
SMB_PASS=$PASS
SMB_SHARE_PATH=$T/projects
SMB_EXTRA_SHARES="[scratch]
  path = $T/scratch
  read only = no
  vfs objects = smb_traffic_analyzer
  smb_traffic_analyzer:host = 127.0.0.1
  smb_traffic_analyzer:port = $RPORT"
# vfs_lib's smbd has one share called data; the demo's first share is "projects".
write_smb_conf() {
  cat >"$T/smb.conf" <<CONF
[global]
  smb ports = $SPORT
  interfaces = lo
  bind interfaces only = yes
  server role = standalone server
  disable netbios = yes
  lock directory = $T/lock
  state directory = $T/state
  cache directory = $T/cache
  pid directory = $T/pid
  private dir = $T/private
  ncalrpc dir = $T/ncalrpc
  log file = $T/log.%m
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
  passdb backend = tdbsam
[projects]
  path = $SMB_SHARE_PATH
  read only = no
  vfs objects = smb_traffic_analyzer
  smb_traffic_analyzer:host = 127.0.0.1
  smb_traffic_analyzer:port = $RPORT
$SMB_EXTRA_SHARES
CONF
}
start_smbd ""
printf '%s\n%s\n' "$PASS" "$PASS" | smbpasswd -c "$T/smb.conf" -a -s "${USERS[1]}" >/dev/null ||
  fail "smbpasswd ${USERS[1]} failed"

# as USER SHARE COMMANDS: one smbclient session.
as() {
  timeout 120 smbclient "//127.0.0.1/$2" -p "$SPORT" -U "$1%$PASS" -E -c "$3" \
    >>"$T/smbclient.log" 2>&1 || fail "smbclient ($1 on $2) failed: $(tail -n 5 "$T/smbclient.log")"
}
c=$T/client
head -c 1048576 /dev/urandom >"$c/report.odt"
head -c 524288 /dev/urandom >"$c/budget.xlsx"
head -c 262144 /dev/urandom >"$c/notes.txt"
head -c 2097152 /dev/urandom >"$c/dump.bin"
echo "== traffic: ${USERS[0]} works on projects, ${USERS[1]} on scratch"
as "${USERS[0]}" projects "put $c/report.odt report.odt; put $c/budget.xlsx budget.xlsx; \
put $c/notes.txt notes.txt; get report.odt $c/report.back"
as "${USERS[1]}" scratch "mkdir tmp; put $c/dump.bin tmp\\dump.bin; get tmp\\dump.bin $c/dump.back; \
rename tmp\\dump.bin tmp\\old.bin; del tmp\\old.bin; rmdir tmp"
# Written and read: 1835008 + 1048576 bytes by the first user, 2097152 + 2097152 by the second.
EXPECTED=$((1835008 + 1048576 + 2097152 + 2097152))
total_is() {
  [ "$("$SMBTAQUERY" -N "$T/db/staddb" -q 'global, total rw;' -o csv 2>/dev/null |
    awk -F, 'NR == 2 { print $1 }')" = "$EXPECTED" ]
}
wait_until 60 total_is || fail "smbtad did not store the $EXPECTED bytes of the traffic"

echo "== smbtaquery -N $T/db/staddb -q 'global, total rw, top 5 users rw, top 5 shares rw, top 5 files rw;'"
"$SMBTAQUERY" -N "$T/db/staddb" -q 'global, total rw, top 5 users rw, top 5 shares rw, top 5 files rw;'

monitor="$SMBTAMONITOR -i $QPORT -s projects"
if [ "$live" -eq 1 ]; then
  echo "== live: smbd (port $SPORT) and smbtad (client port $QPORT) keep running"
  echo "  live view:     $monitor"
  echo "  more traffic:  smbclient //127.0.0.1/projects -p $SPORT -U ${USERS[0]}%$PASS"
  read -r -p "Press Enter to stop and clean up. " _ || true
else
  echo "== live view: 'bash scripts/demo.sh --live' keeps smbd and smbtad running after the report"
  echo "   and prints the command for a second terminal, e.g.: $monitor"
fi
