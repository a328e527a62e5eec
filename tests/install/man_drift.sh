#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The options a program's --help lists and the options its man page describes are the same set,
# so that neither can drift from the other. Usage: man_drift.sh PROGRAM MANPAGE
# Options in --help: the option words at the start of each column of a line ("-S, --dbuser USER",
# "--help, -?"); a man page's option also counts as listed when --help names it inside a
# description ("(--unix-socket-path, default ...)"). Options in the man page: those in the tag
# lines (.TP/.TQ) of its OPTIONS section.
set -uo pipefail
prog=$1
page=$2
name=$(basename "$prog")

help_options() {
  "$prog" --help 2>&1 | grep -vi '^usage:' | grep -v '^       [a-z]' |
    sed -E 's/   +/\n/g' | sed -E 's/^ +//' | grep -E '^-' |
    while IFS= read -r column; do
      # "-S, --dbuser USER" -> -S and --dbuser
      tr ',' '\n' <<<"$column" | sed -E 's/^ +//' | grep -E '^-' | cut -d' ' -f1
    done | sort -u
}

help_mentions() {
  "$prog" --help 2>&1 | grep -oE '(^|[ (,])-{1,2}[A-Za-z?][A-Za-z0-9-]*' | sed -E 's/^[ (,]//' |
    sort -u
}

man_options() {
  sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$page" |
    awk '/^\.(TP|TQ)/ { tag = 1; next } tag { print; tag = 0 }' |
    sed -E 's/\\-/-/g; s/\\f[BIRP]//g; s/\\\(..//g' |
    grep -oE '(^|[ ",])-{1,2}[A-Za-z?][A-Za-z0-9-]*' | sed -E 's/^[ ",]//' | sort -u
}

help=$(help_options)
man=$(man_options)
if [ -z "$help" ]; then
  echo "$name --help lists no options (did it fail?)"
  exit 1
fi
only_help=$(comm -23 <(echo "$help") <(echo "$man"))
only_man=$(comm -13 <(help_mentions) <(echo "$man"))
fail=0
if [ -n "$only_help" ]; then
  echo "$name --help lists options that $(basename "$page") does not describe:" $only_help
  fail=1
fi
if [ -n "$only_man" ]; then
  echo "$(basename "$page") describes options that $name --help does not list:" $only_man
  fail=1
fi
[ $fail -eq 0 ] && echo "$name: $(wc -l <<<"$help") options, --help and $(basename "$page") agree"
exit $fail
