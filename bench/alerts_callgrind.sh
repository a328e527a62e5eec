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

source "$(dirname "$0")/callgrind_run.sh"
# Prints the instructions smbtad executed for the stream: run SPACING_US ALERTS DB_ARGS...
run() {
  local spacing=$1 alerts=$2
  shift 2
  callgrind_smbtad "$smbtad" "$spacing" --alerts "$alerts" "$@"
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
