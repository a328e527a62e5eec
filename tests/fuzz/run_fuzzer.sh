#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one libFuzzer target for a bounded time: first every regression input (each must pass),
# then exploration from a working copy of the seed corpus (new inputs stay in the build tree).
# A crash leaves crash-* in the work directory; copy it to tests/fuzz/regressions/<target>/ once
# it is fixed. Usage: run_fuzzer.sh <binary> <corpus> <regressions> <workdir> <seconds>
set -euo pipefail
bin=$1 corpus=$2 regressions=$3 work=$4 seconds=$5
mkdir -p "$work/corpus"
cp -n "$corpus"/* "$work/corpus/" 2>/dev/null || true
if compgen -G "$regressions/*" >/dev/null; then
  "$bin" -runs=0 "$regressions"
fi
cd "$work"
# -rss_limit_mb: the targets hold one input at a time, so anything near 2 GiB is a leak or a
# length taken from the input; -timeout catches an input that makes a parser loop.
exec "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  "$work/corpus"
