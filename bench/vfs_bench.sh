#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# What the VFS module costs the file service: smbclient against an isolated loopback smbd with
# two shares on the same tmpfs directory tree, [plain] without the module and [data] with it,
# runs interleaved (order alternating per round) and repeated to show the spread.
#
# Workloads: put+get of 1 MB, 100 MB and 1 GB files (one smbclient session each), and
# mput of 10,000 files of 4 KiB.
#
# Usage (root): bash bench/vfs_bench.sh [BUILD_DIR]      (not part of ctest)
# Environment: ROUNDS (default 5), SIZES (default "1 100 1024", MB), SMALL_FILES (10000),
#              RECEIVER=smbtad|test (default smbtad: -p 5, sqlite3 on tmpfs), WORKDIR (/dev/shm)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export SMBTA_VFS_MODULE=${SMBTA_VFS_MODULE:-$PWD/$build/vfs_module/smb_traffic_analyzer.so}
export SMBTA_TEST_RECEIVER=${SMBTA_TEST_RECEIVER:-$PWD/$build/tests/vfs/smbta_test_receiver}
SMBTAD=${SMBTAD:-$PWD/$build/smbtad/smbtad}
ROUNDS=${ROUNDS:-5}
SIZES=${SIZES:-"1 100 1024"}
SMALL_FILES=${SMALL_FILES:-10000}
RECEIVER=${RECEIVER:-smbtad}
[ -f "$SMBTA_VFS_MODULE" ] || { echo "no module at $SMBTA_VFS_MODULE; build first" >&2; exit 1; }

. tests/vfs/vfs_lib.sh
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
    "$SMBTAD" -o -i "$RPORT" -q "$QPORT" -I 127.0.0.1 -M sqlite3 -N "$DATA/stad.db" -p 5 \
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

run() {  # run SHARE COMMANDS -> prints milliseconds
  local t0 t1
  t0=$(date +%s%N)
  smbclient "//127.0.0.1/$1" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -c "$2" >"$T/smbclient.log" 2>&1 ||
    { echo "smbclient failed: $(tail -n 5 "$T/smbclient.log")" >&2; exit 1; }
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 ))
}

results="$T/results.txt"
: >"$results"
for round in $(seq 1 "$ROUNDS"); do
  if ((round % 2)); then order="plain data"; else order="data plain"; fi
  for share in $order; do
    for mb in $SIZES; do
      ms=$(run "$share" "put $DATA/client/f$mb f$mb.bin; get f$mb.bin $DATA/client/f$mb.back")
      echo "copy_${mb}MB $share $ms" >>"$results"
      rm -f "$DATA/share/f$mb.bin" "$DATA/client/f$mb.back"
    done
    ms=$(run "$share" "prompt off; mkdir d; cd d; lcd $DATA/client/small; mput s*")
    echo "small_${SMALL_FILES}x4KiB $share $ms" >>"$results"
    rm -rf "$DATA/share/d"
  done
  echo "round $round done" >&2
done

echo
echo "smbta VFS module benchmark: $ROUNDS interleaved rounds, receiver $RECEIVER, data on ${WORKDIR:-/dev/shm}"
echo "samba $(dpkg-query -W -f='${Version}' samba), $(nproc) CPUs"
printf '%-22s %-7s %10s %10s %10s   %s\n' workload share median_ms min_ms max_ms "module cost (median)"
awk '
  { v[$1 " " $2] = v[$1 " " $2] " " $3; w[$1] = 1 }
  function median(s,   a, n, i, j, t) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (k in w) {
      mp = median(v[k " plain"]); lp = lo; hp = hi
      md = median(v[k " data"]); ld = lo; hd = hi
      printf "%-22s %-7s %10.0f %10d %10d\n", k, "plain", mp, lp, hp
      printf "%-22s %-7s %10.0f %10d %10d   %+.1f %%\n", k, "module", md, ld, hd, (md - mp) * 100 / mp
    }
  }' "$results" | sort
echo
echo "raw results: $results"
cp "$results" "${BENCH_RESULTS:-/tmp/smbta-vfs-bench-results.txt}"
VFS_PASSED=1
