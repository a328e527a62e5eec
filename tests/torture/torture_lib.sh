# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for the smbtatorture tests (integration, soak and faults): on top of
# tests/vfs/vfs_lib.sh, a real smbtad, an smbd with two shares carrying the module, a second
# test user, and the comparison of smbtatorture's report with what smbtaquery reports.
# Sourced after vfs_lib.sh; expects `set -euo pipefail`.

SMBTAD_AS_ROOT=()
[ "$(id -u)" -ne 0 ] || SMBTAD_AS_ROOT=(--allow-root)
# The second user: another existing system account, in the test's private passdb only.
SMB_USER2=bin

# start_smbtad ARGS...: smbtad on $RPORT (modules) and $QPORT (clients), foreground, logging to
# $T/smbtad.log; its pid in RECV_PID (vfs_cleanup stops it) and SMBTAD_PID. Before smbd runs,
# a port another test took meanwhile is replaced by a new one.
start_smbtad() {
  local attempt
  : "${SMBTAD:?}"
  for attempt in 1 2 3 4 5; do
    QPORT=${QPORT:-$(free_port)}
    "$SMBTAD" -o -i "$RPORT" -q "$QPORT" -I 127.0.0.1 --spool-dir "$T/spool" \
      "${SMBTAD_AS_ROOT[@]}" "$@" </dev/null >>"$T/smbtad.log" 2>&1 &
    SMBTAD_PID=$!
    RECV_PID=$SMBTAD_PID
    wait_port "$RPORT" && wait_port "$QPORT" && return 0
    if [ -z "${SMBD_PID:-}" ] && grep -q "Address already in use" "$T/smbtad.log"; then
      kill "$SMBTAD_PID" 2>/dev/null || true
      wait "$SMBTAD_PID" 2>/dev/null || true
      RPORT=$(free_port)
      QPORT=$(free_port)
      continue
    fi
    break
  done
  fail "smbtad did not listen on $RPORT and $QPORT: $(tail -n 20 "$T/smbtad.log")"
}

# stop_smbtad: SIGTERM (smbtad stores what it holds) and waits for the exit.
stop_smbtad() {
  kill "$SMBTAD_PID" 2>/dev/null || true
  wait_until "$VFS_WAIT_S" not_running "$SMBTAD_PID" || fail "smbtad (pid $SMBTAD_PID) did not exit"
  wait "$SMBTAD_PID" 2>/dev/null || true
}

# start_torture_smbd: shares [data] and [data2], both with the module, and the two users.
start_torture_smbd() {
  mkdir -p "$T/share2"
  chmod 777 "$T/share2"
  SMB_EXTRA_SHARES="[data2]
  path = $T/share2
  read only = no
  vfs objects = smb_traffic_analyzer
  smb_traffic_analyzer:host = 127.0.0.1
  smb_traffic_analyzer:port = $RPORT
  ${SMB_SHARE2_EXTRA:-}"
  start_smbd "${1:-}"
  printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" |
    smbpasswd -c "$T/smb.conf" -a -s "$SMB_USER2" >>"$T/smbpasswd.log" 2>&1 ||
    fail "smbpasswd $SMB_USER2: $(cat "$T/smbpasswd.log")"
}

# torture ARGS...: smbtatorture as both users on both shares of this smbd.
torture() {
  : "${SMBTATORTURE:?}"
  "$SMBTATORTURE" -u "$SMB_USER%$SMB_PASS" -u "$SMB_USER2%$SMB_PASS" \
    -1 "smb://127.0.0.1/data" -2 "smb://127.0.0.1/data2" --smb-port "$SPORT" "$@"
}

# json_bytes FILE USER SHARE read|written: a byte count of smbtatorture's JSON report.
json_bytes() {
  python3 - "$@" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(sum(r[sys.argv[4]] for r in report["bytes"] if r["user"] == sys.argv[2] and r["share"] == sys.argv[3]))
PY
}

# json_sum FILE... USER SHARE FIELD: the sum over several reports.
json_sum() {
  local user=$1 share=$2 field=$3 sum=0 f
  shift 3
  for f in "$@"; do sum=$(( sum + $(json_bytes "$f" "$user" "$share" "$field") )); done
  echo "$sum"
}

# stored_equals_reports FILE...: every user and share of the reports has, in smbtad's
# database, exactly the bytes read and written the reports add up to, and nothing else is
# stored (the global totals agree too). One smbtaquery run through smbtad's client port (as an
# administrator queries a running smbtad) answers all the queries. The first difference goes
# to $T/mismatch for the failure message.
stored_equals_reports() {
  python3 - "$SMBTAQUERY" "$QPORT" "$T/mismatch" "$SMB_USER" "$SMB_USER2" "$@" <<'PY'
import json, subprocess, sys
query, port, mismatch, users, reports = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:6], sys.argv[6:]
want = {}
for f in reports:
    r = json.load(open(f))
    for row in r["bytes"]:
        for field, mode in (("read", "r"), ("written", "w")):
            key = (f"user {row['user']}, share {row['share']}", mode)
            want[key] = want.get(key, 0) + row[field]
    for field, mode in (("read", "r"), ("written", "w")):
        want[("global", mode)] = want.get(("global", mode), 0) + r["total"][field]
for u in users:
    for s in ("data", "data2"):
        for mode in ("r", "w"):
            want.setdefault((f"user {u}, share {s}", mode), 0)
keys = sorted(want)
args = [query, "-h", "127.0.0.1", "-i", port, "-o", "json"]
for obj, mode in keys:
    args += ["-q", f"{obj}, total {mode};"]
p = subprocess.run(args, capture_output=True, text=True)
if p.returncode != 0:
    open(mismatch, "w").write("smbtaquery failed: " + p.stderr[-500:])
    sys.exit(1)
dec, text, pos, results = json.JSONDecoder(), p.stdout, 0, []
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    doc, pos = dec.raw_decode(text, pos)
    results += doc["results"]
got = [t["rows"][0]["bytes"] for t in results]
if len(got) != len(keys):
    open(mismatch, "w").write(f"{len(got)} answers to {len(keys)} queries")
    sys.exit(1)
for (obj, mode), g in zip(keys, got):
    if g != want[(obj, mode)]:
        open(mismatch, "w").write(f"{obj}, total {mode}: stored {g}, smbtatorture {want[(obj, mode)]}")
        sys.exit(1)
PY
}

# wait_stored FILE...: until the database holds exactly the reports' bytes (smbtad stores
# within seconds; the bound only ends a wait that would never succeed).
wait_stored() {
  wait_until "${TORTURE_STORE_WAIT_S:-120}" stored_equals_reports "$@" ||
    fail "smbtaquery's report differs from smbtatorture's: $(cat "$T/mismatch" 2>/dev/null)"
}
