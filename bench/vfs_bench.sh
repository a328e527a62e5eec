#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What the VFS module costs the file service: smbclient against an isolated loopback smbd with
# two shares on the same tmpfs directory tree, [plain] without the module and [data] with it,
# runs interleaved (order alternating per round) and repeated to show the spread.
#
# Workloads: put+get of 1 MB, 100 MB and 1 GB files (one smbclient session each), mput of
# 10,000 files of 4 KiB, and 100 smbclient sessions that only list the share (the per-session
# cost: loading the module, connecting to the receiver, the last flush).
#
# Besides the wall time of each workload it reports the CPU time of the smbd processes that
# served it (the smbd parent's reaped-children time, clock-tick resolution) and of the
# receiver: on a machine shared with other work, CPU time is far less noisy than wall time.
# The load average before and after is printed; repeat runs on a loaded machine.
#
# Usage (root): bash bench/vfs_bench.sh [BUILD_DIR]      (not part of ctest)
# Environment: ROUNDS (default 5), SIZES (default "1 100 1024", MB), SMALL_FILES (10000),
#              SESSIONS (100; 0 skips), RECEIVER=smbtad|test (default smbtad: -p 5, sqlite3 on
#              tmpfs), WORKDIR (/dev/shm), SMBTA_VFS_MODULE (another build of the module),
#              KEEP_RESULTS (copy the per-run figures to this file)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export SMBTA_VFS_MODULE=${SMBTA_VFS_MODULE:-$PWD/$build/vfs_module/smb_traffic_analyzer.so}
export SMBTA_TEST_RECEIVER=${SMBTA_TEST_RECEIVER:-$PWD/$build/tests/vfs/smbta_test_receiver}
SMBTAD=${SMBTAD:-$PWD/$build/smbtad/smbtad}
# smbtad refuses to run as root unless told (benchmarks often run as root on a test machine).
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
ROUNDS=${ROUNDS:-5}
SIZES=${SIZES:-"1 100 1024"}
SMALL_FILES=${SMALL_FILES:-10000}
SESSIONS=${SESSIONS:-100}
RECEIVER=${RECEIVER:-smbtad}
[ -f "$SMBTA_VFS_MODULE" ] || { echo "no module at $SMBTA_VFS_MODULE; build first" >&2; exit 1; }

. tests/vfs/vfs_lib.sh
VFS_SCRIPT=$PWD/bench/vfs_bench.sh vfs_private_namespace "$@"
vfs_setup bench
# The shares and client files live on tmpfs so that disk noise does not hide the module.
DATA=$(mktemp -d "${WORKDIR:-/dev/shm}/smbta-bench.XXXXXX")
chmod 777 "$DATA"
trap 'rm -rf "$DATA"; vfs_cleanup' EXIT
mkdir -p "$DATA/share" "$DATA/client"
chmod 777 "$DATA/share"

case "$RECEIVER" in
  smbtad)
    QPORT=$(free_port)
    "$SMBTAD" "${as_root[@]}" -o -i "$RPORT" -q "$QPORT" -I 127.0.0.1 -M sqlite3 -N "$DATA/stad.db" -p 5 \
      --spool-dir "$DATA/spool" </dev/null >"$T/smbtad.log" 2>&1 &
    RECV_PID=$!
    wait_port "$RPORT" || { echo "smbtad did not start" >&2; exit 1; }
    ;;
  test)
    REC=/dev/null
    start_receiver --port @RPORT@
    ;;
esac

SMB_SHARE_PATH="$DATA/share" SMB_EXTRA_SHARES="[plain]
  path = $DATA/share
  read only = no" start_smbd ""

for mb in $SIZES; do head -c $((mb * 1048576)) /dev/urandom >"$DATA/client/f$mb"; done
mkdir -p "$DATA/client/small"
for i in $(seq 1 "$SMALL_FILES"); do head -c 4096 /dev/zero >"$DATA/client/small/s$i"; done

TCK=$(getconf CLK_TCK)
# CPU ticks of the smbd processes the parent has reaped, and of the receiver.
smbd_ticks() { awk '{ print $16 + $17 }' "/proc/$SMBD_PID/stat"; }
recv_ticks() { awk '{ print $14 + $15 }' "/proc/$RECV_PID/stat"; }
smbd_children() { ps --ppid "$SMBD_PID" -o pid= | wc -l; }
# Until the session processes have exited and been reaped (their CPU is then counted).
wait_reaped() {
  for _ in $(seq 1 100); do
    [ "$(smbd_children)" -le "$1" ] && return 0
    sleep 0.05
  done
}

run() {  # run SHARE COUNT COMMANDS -> "wall_ms smbd_cpu_ms receiver_cpu_ms" for COUNT sessions
  local t0 t1 c0 c1 r0 r1 n
  n=$(smbd_children)
  c0=$(smbd_ticks)
  r0=$(recv_ticks)
  t0=$(date +%s%N)
  for _ in $(seq 1 "$2"); do
    smbclient "//127.0.0.1/$1" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -c "$3" >"$T/smbclient.log" 2>&1 ||
      { echo "smbclient failed: $(tail -n 5 "$T/smbclient.log")" >&2; exit 1; }
  done
  t1=$(date +%s%N)
  wait_reaped "$n"
  # The receiver takes the last records up to flush_interval after the session ended.
  sleep 0.1
  c1=$(smbd_ticks)
  r1=$(recv_ticks)
  echo "$(( (t1 - t0) / 1000000 )) $(( (c1 - c0) * 1000 / TCK )) $(( (r1 - r0) * 1000 / TCK ))"
}

results="$T/results.txt"
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then order="plain data"; else order="data plain"; fi
  for share in $order; do
    for mb in $SIZES; do
      r=$(run "$share" 1 "put $DATA/client/f$mb f$mb.bin; get f$mb.bin $DATA/client/f$mb.back")
      echo "copy_${mb}MB $share $r" >>"$results"
      rm -f "$DATA/share/f$mb.bin" "$DATA/client/f$mb.back"
    done
    r=$(run "$share" 1 "prompt off; mkdir d; cd d; lcd $DATA/client/small; mput s*")
    echo "small_${SMALL_FILES}x4KiB $share $r" >>"$results"
    rm -rf "$DATA/share/d"
    if [ "$SESSIONS" -gt 0 ]; then
      r=$(run "$share" "$SESSIONS" "ls")
      echo "sessions_${SESSIONS}xls $share $r" >>"$results"
    fi
  done
  echo "round $round done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done

echo
echo "smbta VFS module benchmark: $ROUNDS interleaved rounds, receiver $RECEIVER, data on ${WORKDIR:-/dev/shm}"
echo "samba $(dpkg-query -W -f='${Version}' samba), $(nproc) CPUs, load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "module: $SMBTA_VFS_MODULE"
echo "wall: elapsed ms (median, min, max); smbd_cpu: CPU ms of the smbd processes serving it;"
echo "recv_cpu: CPU ms of the receiver; cost: median with the module against without"
printf '%-22s %-7s %8s %8s %8s %8s %9s %8s %9s\n' workload share wall min max cost smbd_cpu cost recv_cpu
awk '
  { k = $1 " " $2; v[k] = v[k] " " $3; c[k] = c[k] " " $4; r[k] = r[k] " " $5; w[$1] = 1 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function pct(a, b) { return b > 0 ? sprintf("%+.1f%%", (a - b) * 100 / b) : "-" }
  END {
    for (k in w) {
      mp = median(v[k " plain"]); lp = lo; hp = hi; cp = median(c[k " plain"]); rp = median(r[k " plain"])
      md = median(v[k " data"]); ld = lo; hd = hi; cd = median(c[k " data"]); rd = median(r[k " data"])
      printf "%-22s %-7s %8.0f %8d %8d %8s %9.0f %8s %9.0f\n", k, "plain", mp, lp, hp, "", cp, "", rp
      printf "%-22s %-7s %8.0f %8d %8d %8s %9.0f %8s %9.0f\n", k, "module", md, ld, hd, pct(md, mp), cd, pct(cd, cp), rd
    }
  }' "$results" | sort
echo
if [ -n "${KEEP_RESULTS:-}" ]; then
  cp "$results" "$KEEP_RESULTS"
  echo "raw results (one line per run: workload share wall_ms smbd_cpu_ms recv_cpu_ms): $KEEP_RESULTS"
fi
cp "$results" "${BENCH_RESULTS:-/tmp/smbta-vfs-bench-results.txt}"
VFS_PASSED=1
