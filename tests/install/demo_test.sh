#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# scripts/demo.sh as a newcomer runs it: it succeeds, its report has the numbers of the traffic
# it made (per user, share and file), and it leaves nothing behind (no processes, no temporary
# directory, smbd's module file as before).
# Usage: demo_test.sh SOURCE_DIR BUILD_DIR   (ctest; needs root, smbd, smbclient). Exit 77 = skipped.
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v smbd >/dev/null && command -v smbclient >/dev/null || { echo "SKIP: no samba"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

module=$(smbd -b | sed -n 's/^ *MODULESDIR: //p')/vfs/smb_traffic_analyzer.so
before=$(readlink "$module" 2>/dev/null || { [ -e "$module" ] && md5sum <"$module"; } || echo none)
demos_before=$(find /tmp -maxdepth 1 -name 'smbta-demo.*' | sort)
out=$(mktemp /tmp/smbta-demo-test.XXXXXX)
trap 'rm -f "$out"' EXIT
bash "$src/scripts/demo.sh" "$build" </dev/null >"$out" 2>&1 || fail "demo.sh failed: $(tail -n 30 "$out")"
cat "$out"

# has REGEX: a line of the report matches.
has() { grep -Eq -- "$1" "$out" || fail "the report has no line matching '$1'"; }
# Total: 1.75 MiB written + 1 MiB read by daemon, 2 MiB written + 2 MiB read by bin.
has '^ *6\.8 MiB +[0-9]+$'
has '^ *1 +bin +.* 4\.0 MiB$'
has '^ *2 +daemon +.* 2\.8 MiB$'
has '^ *1 +scratch +.* 4\.0 MiB$'
has '^ *2 +projects +.* 2\.8 MiB$'
has '^ *1 +tmp/dump\.bin +scratch +4\.0 MiB$'
has '^ *2 +report\.odt +projects +2\.0 MiB$'
has '^ *3 +budget\.xlsx +projects +512\.0 KiB$'
has '^ *4 +notes\.txt +projects +256\.0 KiB$'
has 'smbtamonitor -i [0-9]+ -s projects'

# Cleaned up after itself.
after=$(readlink "$module" 2>/dev/null || { [ -e "$module" ] && md5sum <"$module"; } || echo none)
[ "$after" = "$before" ] || fail "smbd's module file changed: '$before' -> '$after'"
[ "$(find /tmp -maxdepth 1 -name 'smbta-demo.*' | sort)" = "$demos_before" ] ||
  fail "demo.sh left its temporary directory"
dir=$(sed -n "s/^== smbtad on sqlite (\(.*\)\/db\/staddb).*/\1/p" "$out")
[ -n "$dir" ] || fail "demo.sh did not say where its database is"
! pgrep -f -- "$dir" >/dev/null || fail "processes of the demo are still running: $(pgrep -af -- "$dir")"
echo "PASS: demo"
