#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every symbol the module leaves undefined must be defined by smbd or a library smbd (or the
# module itself) loads: smbd resolves them only at tree connect, so a typo would otherwise
# surface as a failed share in production. And the module must not link libcrypto: smbd does not
# load it, so every smbd process would map and relocate it (about 3 ms per SMB session) although
# only shares with a key_file need it; the module dlopen()s it then (libcrypto_dl.cpp).
# Usage: module_symbols.sh MODULE.so
set -euo pipefail
module=${1:?module}
command -v smbd >/dev/null || { echo "SKIP: smbd not installed"; exit 77; }
if ldd "$module" | grep -q 'libcrypto\.so'; then
  echo "FAIL: $module links libcrypto:"
  ldd "$module"
  exit 1
fi
smbd_bin=$(command -v smbd)
libs=$( { echo "$smbd_bin"; ldd "$smbd_bin" "$module" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; } | sort -u)
defined=$(for l in $libs; do { nm -D --defined-only "$l" 2>/dev/null || true; } | awk '{ print $3 }'; done |
  sed 's/@.*//' | sort -u)
missing=$(nm -D --undefined-only "$module" | awk '$1 == "U" { print $2 }' | sed 's/@.*//' | sort -u |
  comm -23 - <(echo "$defined"))
if [ -n "$missing" ]; then
  echo "FAIL: symbols of $module that smbd does not provide:"
  echo "$missing"
  exit 1
fi
echo "PASS: all $(nm -D --undefined-only "$module" | wc -l) undefined symbols resolve in smbd's libraries"
