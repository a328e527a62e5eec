#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every program prints the one generated release number (smbta/version.h) in --version, and a
# --help that names a release names that one. Usage: version_check.sh VERSION PROGRAM...
set -uo pipefail
want=$1
shift
fail=0
for prog in "$@"; do
  name=$(basename "$prog")
  v=$("$prog" --version 2>&1 | head -n 1)
  # smbtaquery prints the bare number, as 1.2.x did; the others "name (smbta) number".
  case " $v " in
    *" $want "*) ;;
    *) echo "$name --version says '$v', expected $want"; fail=1 ;;
  esac
  # A release-like number (2.0, 1.2.6) in --help that is not ours is a hand-typed copy.
  if "$prog" --help 2>&1 | grep -Eo "$name [0-9]+\.[0-9]+(\.[0-9]+)?" | grep -vx "$name $want"; then
    echo "$name --help names another release than $want"
    fail=1
  fi
done
exit $fail
