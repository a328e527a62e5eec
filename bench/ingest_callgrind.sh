#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Ingest cost in instructions per record (independent of the machine's load, unlike
# ingest_bench.sh's records/s): smbtad under callgrind stores one smbta_loadgen stream into a
# fresh sqlite3 database at precision 0 and 5. With a second binary (BASE), both are run on the
# same stream and the change is printed: the way to judge an optimisation on a busy machine.
# Instructions do not show cache misses: confirm a gain in memory access with ingest_bench.sh on
# an idle machine.
# Usage: bash bench/ingest_callgrind.sh [build-dir] [records] [BASE-smbtad]
set -euo pipefail
build=${1:-build}
records=${2:-200000}
base=${3:-}
smbtad=$build/smbtad/smbtad
loadgen=$build/bench/smbta_loadgen
[ -x "$smbtad" ] && [ -x "$loadgen" ] || { echo "build first: cmake --build $build" >&2; exit 1; }
[ -z "$base" ] || [ -x "$base" ] || { echo "$base is not an executable" >&2; exit 1; }
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
work=$(mktemp -d /tmp/smbta-ingest-cg-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/callgrind_run.sh"

printf '%-14s %16s %14s %16s %14s %8s\n' "precision" "Ir" "Ir/record" "Ir BASE" "Ir/record" "change"
for p in 0 5; do
  read -r ir _ < <(callgrind_smbtad "$smbtad" 1 -p "$p")
  if [ -n "$base" ]; then
    read -r ir_base _ < <(callgrind_smbtad "$base" 1 -p "$p")
  else
    ir_base=
  fi
  awk -v p="$p" -v a="$ir" -v b="$ir_base" -v n="$records" 'BEGIN {
    if (b == "") printf "%-14s %16d %14.0f\n", p, a, a / n;
    else printf "%-14s %16d %14.0f %16d %14.0f %+7.2f%%\n", p, a, a / n, b, b / n, (a - b) * 100 / b }'
done
