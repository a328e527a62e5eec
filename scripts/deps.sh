#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages smbta needs to build, run and test. Idempotent.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang clang-format
  libssl-dev libfmt-dev libiniparser-dev libcpp-httplib-dev nlohmann-json3-dev
  libdbi-dev libdbd-sqlite3 libdbd-pgsql sqlite3 libsqlite3-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql
  mariadb-server libdbd-mysql
  libncurses-dev librrd-dev rrdtool tmux
  samba smbclient libsmbclient-dev iproute2 debootstrap
  man-db groff-base logrotate systemd lintian
  libcpp-httplib-dev libsystemd-dev prometheus
  dpkg-dev python3 libparse-yapp-perl flex bison libtalloc-dev libtevent-dev libtdb-dev
  libpopt-dev libgnutls28-dev zlib1g-dev libkeyutils-dev libbsd-dev libacl1-dev libcap-dev
  chromium
)
# node and npm bundle the webSMBTA dashboard (websmbta/; the browser tests need node 20 or later
# for playwright-core). A NodeSource nodejs already brings npm; Debian's nodejs needs its npm.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Keep package installs from starting system services (postgresql, mariadb, smbd, prometheus)
  # on this machine: the tests start private servers of their own (tests/support/pg_cluster.sh,
  # mysql_server.sh) on other ports.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
