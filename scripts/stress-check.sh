#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the README's test command N times in a row (default 5) while two CPU hogs run beside it:
# the suite must pass on a busy machine, because CI machines are busy. Stops at the first failure.
# Usage: bash scripts/stress-check.sh [N]     (SMBTA_TEST_QUICK=1 is set: the test suite only)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
hogs=()
cleanup() { ((${#hogs[@]})) && kill "${hogs[@]}" 2>/dev/null; }
trap cleanup EXIT
for _ in 1 2; do
  bash -c 'while :; do :; done' &
  hogs+=($!)
done
for ((i = 1; i <= runs; i++)); do
  start=$SECONDS
  if ! SMBTA_TEST_QUICK=1 bash scripts/test.sh >"stress-run-$i.log" 2>&1; then
    echo "stress run $i of $runs FAILED after $((SECONDS - start)) s (log: stress-run-$i.log)"
    exit 1
  fi
  echo "stress run $i of $runs passed in $((SECONDS - start)) s ($(date +%T))"
  rm -f "stress-run-$i.log"
done
echo "all $runs runs passed beside two CPU hogs"
