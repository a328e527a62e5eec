# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the callgrind benchmarks: smbtad under callgrind fed by smbta_loadgen.
# The caller sets: work (a scratch directory), loadgen, records, as_root (array), pid.
# CALLGRIND_KEEP=DIR keeps each run's callgrind output there (callgrind_annotate DIR/FILE).

# Prints "INSTRUCTIONS ALERTS" for one run: callgrind_smbtad SMBTAD SPACING_US SMBTAD_ARGS...
# (instructions of the whole process, every thread and start-up included; ALERTS: the alert
# lines smbtad logged).
callgrind_smbtad() {
  local binary=$1 spacing=$2
  shift 2
  local port=$((30000 + RANDOM % 20000))
  rm -rf "$work/home"; mkdir -p "$work/home"
  HOME=$work/home valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$binary" "${as_root[@]}" -o -i $port "$@" 2>"$work/log" &
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
  if [ -n "${CALLGRIND_KEEP:-}" ]; then
    mkdir -p "$CALLGRIND_KEEP"
    cp "$work/cg.out" "$CALLGRIND_KEEP/callgrind.$(basename "$binary").$(date +%s%N)"
  fi
  local ir
  ir=$(grep -E '^(summary|totals):' "$work/cg.out" | head -1 | awk '{print $2}')
  echo "$ir $alerts_raised"
}
