#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The man pages in docs/ format without a warning at 80 columns (man --warnings), all name the
# one release in their footer, and smbtad.conf(5) describes exactly the keys smbtad reads (the
# keys of smbtad/options.cpp), each with an option that smbtad --help lists.
# Usage: man_pages.sh VERSION SOURCE_DIR SMBTAD
set -uo pipefail
version=$1
src=$2
smbtad=$3
fail=0

# Footers: .TH NAME SECTION "DATE" "smbta VERSION" "SMB Traffic Analyzer", one date for all.
dates=""
for page in "$src"/docs/*.[158]; do
  th=$(grep -m1 '^\.TH ' "$page")
  if ! grep -qE "^\.TH [^ ]+ [158] \"[0-9]{4}-[0-9]{2}-[0-9]{2}\" \"smbta $version\" \"SMB Traffic Analyzer\"$" <<<"$th"; then
    echo "$(basename "$page"): footer '$th' is not '.TH NAME S \"YYYY-MM-DD\" \"smbta $version\" \"SMB Traffic Analyzer\"'"
    fail=1
  fi
  dates+=$(cut -d'"' -f2 <<<"$th")$'\n'
done
if [ "$(sort -u <<<"$dates" | grep -c .)" -ne 1 ]; then
  echo "the man pages name different dates:" $(sort -u <<<"$dates")
  fail=1
fi

# Formatting warnings (tables wider than the line, unknown macros, bad escapes).
if command -v man >/dev/null; then
  for page in "$src"/docs/*.[158]; do
    warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null)
    if [ -n "$warnings" ]; then
      echo "$(basename "$page"): man --warnings says:"
      echo "$warnings"
      fail=1
    fi
  done
else
  echo "man is not installed (scripts/deps.sh installs man-db): formatting not checked"
  fail=1
fi

# smbtad.conf(5): the keys under each ".SS [section]", as "section:key".
conf_page="$src/docs/smbtad.conf.5"
page_keys=$(sed -n '/^\.SH KEYS/,/^\.SH [^K]/p' "$conf_page" |
  awk '/^\.SS \[/ { sec = $2; gsub(/[][]/, "", sec); next }
       /^\.TP/ { tag = 1; next }
       tag { sub(/^\.B +/, ""); print sec ":" $0; tag = 0 }' | sort -u)
# The keys are the rows of smbtad's key table ({"section", "key", option}).
code_keys=$(grep -oE '\{"(network|database|general|maintenance|metrics|web|alerts)", "[a-z_]+"' \
  "$src/smbtad/options.cpp" | sed -E 's/^\{"([a-z]+)", "([a-z_]+)"/\1:\2/' | sort -u)
if [ -z "$code_keys" ]; then
  echo "found no configuration keys in smbtad/options.cpp: this test needs updating"
  fail=1
fi
missing=$(comm -13 <(echo "$page_keys") <(echo "$code_keys"))
extra=$(comm -23 <(echo "$page_keys") <(echo "$code_keys"))
[ -n "$missing" ] && { echo "smbtad reads keys that smbtad.conf(5) does not describe:" $missing; fail=1; }
[ -n "$extra" ] && { echo "smbtad.conf(5) describes keys that smbtad does not read:" $extra; fail=1; }
# The option each key's description starts with ("\fB\-i\fR: ...") is one smbtad --help lists.
help=$("$smbtad" --help 2>&1)
while IFS= read -r opt; do
  grep -qE "(^|[ ,(])$opt([ ,)]|$)" <<<"$help" ||
    { echo "smbtad.conf(5) names option $opt, which smbtad --help does not list"; fail=1; }
done < <(sed -n '/^\.SH KEYS/,/^\.SH [^K]/p' "$conf_page" |
  grep -oE '^\\fB[^\\]*(\\-[^\\]*)*\\fR:' | sed -E 's/\\fB|\\fR:|\\//g')

[ $fail -eq 0 ] && echo "man pages: no warnings, one footer ($version), smbtad.conf(5) has" \
  "$(grep -c . <<<"$code_keys") keys, as smbtad reads"
exit $fail
