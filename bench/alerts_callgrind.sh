#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The burst detector's cost on ingest in instructions (independent of the machine's load): smbtad
# under callgrind takes the same smbta_loadgen stream with --alerts 1 and --alerts 0, and the
# instructions of the whole process (every thread, start-up included) are compared. Two streams:
# the load generator's default timestamps (a million records per second of record time) and
# timestamps 25 ms apart (normal traffic). The generator spreads its records over 50 users and 8
# shares, so neither stream makes one user reach the default thresholds: the figures are the
# counting alone. Two setups: -U 0 (no database: the network thread's work only, where the
# detector's share is largest) and sqlite3 at precision 5 (smbtad's default).
# Usage: bash bench/alerts_callgrind.sh [build-dir] [records]  (SMBTA_BENCH_SETUPS="nodb sqlite")
set -euo pipefail
build=${1:-build}
records=${2:-200000}
smbtad=$build/smbtad/smbtad
loadgen=$build/bench/smbta_loadgen
[ -x "$smbtad" ] && [ -x "$loadgen" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
work=$(mktemp -d /tmp/smbta-alerts-bench-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

# Prints the instructions smbtad executed for the stream: run SPACING_US ALERTS DB_ARGS...
run() {
  local spacing=$1 alerts=$2
  shift 2
  local port=$((30000 + RANDOM % 20000))
  rm -rf "$work/home"; mkdir -p "$work/home"
  HOME=$work/home valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$smbtad" "${as_root[@]}" -o -i $port --alerts "$alerts" "$@" 2>"$work/log" &
  pid=$!
  for _ in $(seq 1800); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  "$loadgen" --port $port --connections 1 --records "$records" --record-spacing-us "$spacing" \
    >/dev/null
  # smbtad reads what the sockets still hold only while it runs: wait until it is idle (less
  # than 3 CPU ticks in half a second, twice), so that every record is decoded and stored.
  local quiet=0 last now
  last=$(awk '{print $14 + $15}' /proc/$pid/stat)
  while [ $quiet -lt 2 ]; do
    sleep 0.5
    now=$(awk '{print $14 + $15}' /proc/$pid/stat)
    if [ $((now - last)) -lt 3 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    last=$now
  done
  kill -TERM $pid
  wait $pid || true
  pid=
  local alerts_raised received
  alerts_raised=$(grep -c 'ALERT ' "$work/log" || true)
  received=$(grep -oE 'stopped: [0-9]+ records received' "$work/log" | grep -oE '[0-9]+' || echo 0)
  [ "$received" = "$records" ] ||
    echo "smbtad received $received of $records records: the figures are not comparable" >&2
  local ir
  ir=$(grep -E '^(summary|totals):' "$work/cg.out" | head -1 | awk '{print $2}')
  echo "$ir $alerts_raised"
}

printf '%-34s %16s %16s %8s %8s\n' "setup, stream" "Ir --alerts 0" "Ir --alerts 1" "delta" "alerts"
# SMBTA_BENCH_SETUPS="nodb sqlite" (default both).
setups=()
for s in ${SMBTA_BENCH_SETUPS:-nodb sqlite}; do
  case $s in
    nodb) setups+=("no database:-U 0") ;;
    sqlite) setups+=("sqlite3 -p 5:-p 5") ;;
    *) echo "SMBTA_BENCH_SETUPS: nodb or sqlite, not $s" >&2; exit 2 ;;
  esac
done
for setup in "${setups[@]}"; do
  name=${setup%%:*}
  args=${setup#*:}
  for stream in "burst (1 us apart):1" "normal (25 ms apart):25000"; do
    sname=${stream%%:*}
    spacing=${stream#*:}
    read -r off _ < <(run "$spacing" 0 $args)
    read -r on raised < <(run "$spacing" 1 $args)
    delta=$(awk -v a="$off" -v b="$on" 'BEGIN { printf "%+.2f %%", (b - a) * 100 / a }')
    printf '%-34s %16s %16s %8s %8s\n' "$name, $sname" "$off" "$on" "$delta" "$raised"
  done
done
