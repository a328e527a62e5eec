#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Build-time guard: the module is only valid for the samba version it was configured against.
expected=$1
installed=$(dpkg-query -W -f='${Version}' samba 2>/dev/null)
if [ "$installed" != "$expected" ]; then
  echo "smb_traffic_analyzer: configured for samba $expected, but samba ${installed:-(none)} is" \
    "installed; re-run cmake (scripts/prepare-samba-headers.sh prepares the new headers)" >&2
  exit 1
fi
