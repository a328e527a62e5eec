#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs dependencies, builds smbta, and runs smbtad in the foreground on its defaults.
# Usage: bash scripts/run.sh [extra smbtad options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
# smbtad refuses to run as root (a container's shell often is): say so explicitly here, where it
# serves the user's own tree on localhost. A service drops to a user instead (--user, smbtad(8)).
as_root=()
[ "$(id -u)" -ne 0 ] || as_root=(--allow-root)
exec ./build/smbtad/smbtad -o -i 3490 "${as_root[@]}" "$@"
