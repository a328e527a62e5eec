#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# smbtatorture against a real smbd with the module on two shares and a real smbtad on sqlite:
# what smbtaquery reports per user and share equals, to the byte, what smbtatorture says it
# read and wrote; a recorded run replays to the same bytes.
# Usage: torture_test.sh CASE   (count)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../vfs/vfs_lib.sh
. "$here/../vfs/vfs_lib.sh"
vfs_private_namespace "$@"
# shellcheck source=torture_lib.sh
. "$here/torture_lib.sh"

case_name=${1:?usage: torture_test.sh CASE}
vfs_setup "torture_$case_name"
[ -x "${SMBTATORTURE:-}" ] || skip "smbtatorture not built (libsmbclient-dev missing)"
[ -x "${SMBTAD:-}" ] && [ -x "${SMBTAQUERY:-}" ] || skip "smbtad/smbtaquery not built"
command -v python3 >/dev/null || skip "python3 not installed"

case $case_name in
count)
  start_smbtad -M sqlite3 -N "$T/stad.db"
  start_torture_smbd
  # A wrong password is an error that says so, not a guest session.
  rc=0
  "$SMBTATORTURE" -u "$SMB_USER%wrong-password" -1 smb://127.0.0.1/data --smb-port "$SPORT" \
    -c 1 -t 0 >"$T/badpw.out" 2>&1 || rc=$?
  expect_eq "$rc" 1 "exit status with a wrong password"
  grep -q "smbtatorture: .*smb://127.0.0.1/data" "$T/badpw.out" ||
    fail "no error naming the share: $(cat "$T/badpw.out")"

  torture -c 300 -t 0 -n 6 -s 3M -S 42 -r "$T/run.rec" -j "$T/run1.json" >"$T/run1.out" 2>&1 ||
    fail "smbtatorture failed: $(tail -n 5 "$T/run1.out")"
  expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["actions"])' "$T/run1.json")" 300 "actions after the set-up"
  ops=$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["operations"]; print(" ".join(str(o[k]) for k in ("read","copy","rename","delete")))' "$T/run1.json")
  for n in $ops; do expect_ge "$n" 1 "actions of each kind ($ops)"; done
  expect_ge "$(json_bytes "$T/run1.json" "$SMB_USER2" data2 written)" 1 "bytes the second user wrote to the second share"
  wait_stored "$T/run1.json"

  # The recorded run replays to the same bytes per user and share (the first run's files are
  # removed, so that the replay starts from the same empty directories).
  rm -rf "$T/share/smbtatorture-"* "$T/share2/smbtatorture-"*
  torture -e "$T/run.rec" -t 0 -j "$T/run2.json" >"$T/run2.out" 2>&1 ||
    fail "the replay failed: $(tail -n 5 "$T/run2.out")"
  expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$T/run2.json")" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$T/run1.json")" \
    "bytes per user and share of the replay"
  wait_stored "$T/run1.json" "$T/run2.json"

  # A time limit ends a run without a count limit.
  torture -d 2 -t 0.05 -n 3 -s 64K -j "$T/run3.json" >"$T/run3.out" 2>&1 ||
    fail "the timed run failed: $(tail -n 5 "$T/run3.out")"
  expect_ge "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["actions"])' "$T/run3.json")" 1 "actions of the timed run"
  wait_stored "$T/run1.json" "$T/run2.json" "$T/run3.json"
  pass
  ;;
*)
  fail "unknown case $case_name"
  ;;
esac
