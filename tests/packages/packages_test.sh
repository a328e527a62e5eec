#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The Debian packages, end to end: cpack builds them from this build tree (revision 1, then 2),
# lintian finds no error, `apt install ./...deb` installs them, the installed smbtad (run as the
# unit runs it: its user, its ExecStart) stores the records of the installed module in a real smbd
# on loopback, revision 2 upgrades over 1 keeping the administrator's configuration and the
# database, and purge removes the user, the state and the configuration. The machine is left as
# it was (a trap purges and restores smbd's module file, even on failure).
#
# Usage: packages_test.sh BUILD_DIR   (run by ctest, label "packages"; needs root, apt, smbd)
# Exit 77 = skipped.
set -euo pipefail
build=${1:?build dir}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vfs/vfs_lib.sh
. "$here/../vfs/vfs_lib.sh"

PKGS=(smbta samba-vfs-smb-traffic-analyzer)
[ "$(id -u)" -eq 0 ] || skip "needs root (apt install, a system user)"
for tool in apt dpkg-deb cpack lintian smbd smbclient setpriv; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/deps.sh)"
done
for p in "${PKGS[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "installed"; then
    skip "$p is installed on this machine: the test would replace it"
  fi
done
getent passwd smbtad >/dev/null && skip "a user smbtad exists: the test would take it over"
[ -e /etc/smbtad.conf ] && skip "/etc/smbtad.conf exists: the package would not own it"
[ -e /var/lib/smbtad ] && skip "/var/lib/smbtad exists"
[ -f "$build/CPackConfig.cmake" ] || fail "$build has no CPackConfig.cmake"

VFS_DIR=$(smbd -b | sed -n 's/^ *MODULESDIR: //p')/vfs
MODULE="$VFS_DIR/smb_traffic_analyzer.so"
T=$(mktemp -d /tmp/smbta-packages.XXXXXX)
chmod 755 "$T"  # apt's _apt user reads the .debs from here
mkdir -p "$T"/{share,lock,state,cache,pid,private,ncalrpc,saved}
chmod 777 "$T/share"
export DEBIAN_FRONTEND=noninteractive

cleanup() {
  local rc=$?
  set +e
  [ -n "${SMBTAD_PID:-}" ] && kill "$SMBTAD_PID" 2>/dev/null
  [ -n "${SMBD_PID:-}" ] && kill "$SMBD_PID" 2>/dev/null
  wait 2>/dev/null
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    echo "---- smbtad ----"; tail -n 30 "$T/smbtad.log" 2>/dev/null
    echo "---- smbd ----"; grep -h -i 'traffic_analyzer\|error' "$T"/smbd.log "$T"/log.* 2>/dev/null | tail -n 30
  fi
  for p in "${PKGS[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv "not-installed"; then
      apt-get purge -y -qq "$p" >>"$T/apt.log" 2>&1 || echo "cleanup: purging $p failed" >&2
    fi
  done
  # smbd's module file as it was (the vfs tests' symlink to a build tree, or an installed one).
  if [ -e "$T/saved/smb_traffic_analyzer.so" ] || [ -L "$T/saved/smb_traffic_analyzer.so" ]; then
    cp -a "$T/saved/smb_traffic_analyzer.so" "$MODULE"
  fi
  [ -n "${POLICY_RC_D:-}" ] && rm -f /usr/sbin/policy-rc.d
  if [ $rc -eq 0 ]; then rm -rf "$T"; else echo "(kept $T)"; fi
  exit $rc
}
trap cleanup EXIT

# No service of the packages may start on this machine (where systemd runs).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  POLICY_RC_D=1
fi
# The vfs tests put their module there too: none may start while the package owns it.
exec 9>"$VFS_DIR/.smbta-test.lock"
flock -w 600 9 || fail "the vfs tests hold $VFS_DIR/.smbta-test.lock"
if [ -e "$MODULE" ] || [ -L "$MODULE" ]; then cp -a "$MODULE" "$T/saved/"; fi

# ---- build (revision 1 and 2 of the same tree) and lint ----
t0=$SECONDS
build_rev() {
  cpack -G DEB --config "$build/CPackConfig.cmake" -B "$T/build$1" \
    -D CPACK_DEBIAN_PACKAGE_RELEASE="$1" >"$T/cpack$1.log" 2>&1 || return 1
  mkdir -p "$T/rev$1"
  mv "$T/build$1"/*.deb "$T/rev$1/"
  rm -rf "$T/build$1"
}
build_rev 1 || fail "cpack (revision 1): $(tail -n 20 "$T/cpack1.log")"
deb() { echo "$T/rev$2/$1_$(dpkg-deb -f "$T"/rev"$2"/"$1"_*.deb Version)_$(dpkg --print-architecture).deb"; }
echo "built revision 1 in $((SECONDS - t0)) s:"
for p in "${PKGS[@]}"; do
  f=$(deb "$p" 1)
  [ -f "$f" ] || fail "cpack made no $p package: $(ls "$T/rev1")"
  echo "  $(basename "$f"): $(stat -c %s "$f") bytes, installed size $(dpkg-deb -f "$f" Installed-Size) KiB"
done
# Revision 2 while lintian reads revision 1 (both take half a minute).
build_rev 2 &
rev2_pid=$!
lintian_rc=0
lintian --fail-on error "$(deb smbta 1)" "$(deb samba-vfs-smb-traffic-analyzer 1)" \
  >"$T/lintian.log" 2>&1 || lintian_rc=$?
wait "$rev2_pid" || fail "cpack (revision 2): $(tail -n 20 "$T/cpack2.log")"
[ "$lintian_rc" -eq 0 ] ||
  fail "lintian: $(grep '^E:' "$T/lintian.log" || tail -n 20 "$T/lintian.log")"
echo "lintian: $(grep -c '^E:' "$T/lintian.log" || true) errors, $(grep -c '^W:' "$T/lintian.log" || true) warnings"
echo "built and checked in $((SECONDS - t0)) s"

# The control fields an administrator's apt relies on.
module_deps=$(dpkg-deb -f "$(deb samba-vfs-smb-traffic-analyzer 1)" Depends)
samba_version=$(dpkg-query -W -f='${Version}' samba)
[[ "$module_deps" == *"samba (= $samba_version)"* ]] ||
  fail "the module does not depend on samba (= $samba_version): $module_deps"
smbta_deps=$(dpkg-deb -f "$(deb smbta 1)" Depends)
for d in adduser libdbd-sqlite3 libc6 libdbi1 libssl3; do
  [[ "$smbta_deps" == *"$d"* ]] || fail "smbta does not depend on $d: $smbta_deps"
done
dpkg-deb --ctrl-tarfile "$(deb smbta 1)" | tar -xO ./conffiles >"$T/conffiles"
grep -qx /etc/smbtad.conf "$T/conffiles" || fail "/etc/smbtad.conf is no conffile: $(cat "$T/conffiles")"

# ---- install ----
apt_install() {
  apt install -y "$@" </dev/null >>"$T/apt.log" 2>&1 || fail "apt install $*: $(tail -n 20 "$T/apt.log")"
}
t1=$SECONDS
apt_install "$(deb smbta 1)" "$(deb samba-vfs-smb-traffic-analyzer 1)"
echo "installed in $((SECONDS - t1)) s"
expect_eq "$(dpkg-query -W -f='${Version}' smbta)" "$(dpkg-deb -f "$(deb smbta 1)" Version)" "installed version"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd smbtad) || fail "no user smbtad"
[ "$uid" -lt 1000 ] || fail "smbtad is no system user (uid $uid)"
expect_eq "$home" /var/lib/smbtad "smbtad's home"
expect_eq "$shell" /usr/sbin/nologin "smbtad's shell"
expect_eq "$(getent group smbtad | cut -d: -f3)" "$gid" "smbtad's group"
expect_eq "$(stat -c '%U:%G %a' /var/lib/smbtad)" "smbtad:smbtad 700" "/var/lib/smbtad"
expect_eq "$(stat -c '%U:%G %a' /etc/smbtad.conf)" "root:smbtad 640" "/etc/smbtad.conf"
[ -f "$MODULE" ] && [ ! -L "$MODULE" ] || fail "$MODULE is not the package's file"
expect_eq "$(dpkg-query -S "$MODULE" | cut -d: -f1)" samba-vfs-smb-traffic-analyzer "owner of $MODULE"

# ---- the installed smbtad, as its unit runs it, with the installed module in a real smbd ----
unit=/usr/lib/systemd/system/smbtad.service
[ -f "$unit" ] || fail "no $unit"
unit_value() { sed -n "s/^$1=//p" "$unit" | head -n 1; }
expect_eq "$(unit_value User)" smbtad "the unit's user"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit" >"$T/verify.log" 2>&1 ||
    fail "systemd-analyze verify $unit: $(cat "$T/verify.log")"
fi
read -r -a exec_start <<<"$(unit_value ExecStart)"
home_env=$(unit_value Environment)

SPORT=$(free_port)
RPORT=$(free_port)
QPORT=$(free_port)
# The administrator's edits: other ports (the test's), and a comment. They must survive the upgrade.
sed -i "s/^port_number = .*/port_number = $RPORT\nquery_port = $QPORT/" /etc/smbtad.conf
echo "# edited by the administrator (packages_test)" >>/etc/smbtad.conf
cp /etc/smbtad.conf "$T/conf.edited"

start_smbtad() {
  # The tree may be a sanitizer build: its leak report is not what this test is about.
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$home_env" ASAN_OPTIONS=detect_leaks=0 \
    setpriv --reuid smbtad --regid smbtad --init-groups -- "${exec_start[@]}" \
    </dev/null >>"$T/smbtad.log" 2>&1 &
  SMBTAD_PID=$!
  wait_until "$VFS_WAIT_S" listening "$RPORT" || fail "the installed smbtad does not listen on $RPORT"
}
listening() { ss -Htln "sport = :$1" | grep -q .; }
stop_smbtad() {
  kill "$SMBTAD_PID"
  wait "$SMBTAD_PID" || true
  SMBTAD_PID=
}
start_smbtad
SMB_USER=daemon
SMB_PASS=smbta-Test-1
start_smbd ""

# total_rw: the bytes read and written that the installed smbtaquery reports from the database.
total_rw() {
  smbtaquery -N /var/lib/smbtad/staddb -q 'global, total rw;' -o csv 2>/dev/null |
    awk -F, 'NR == 2 { print $1 }'
}
total_is() { [ "$(total_rw)" = "$1" ]; }
head -c 300000 /dev/urandom >"$T/f1"
smbclient_cmds "put $T/f1 f1.bin; get f1.bin $T/f1.back"
cmp -s "$T/f1" "$T/f1.back" || fail "get returned other bytes"
wait_until "$VFS_WAIT_S" total_is 600000 ||
  fail "the installed smbtad did not store the module's records: total rw '$(total_rw)', want 600000"
echo "installed: smbd's module reported 600000 bytes to the installed smbtad"

# ---- upgrade to revision 2 ----
stop_smbtad
t1=$SECONDS
apt_install "$(deb smbta 2)" "$(deb samba-vfs-smb-traffic-analyzer 2)"
echo "upgraded in $((SECONDS - t1)) s"
expect_eq "$(dpkg-query -W -f='${Version}' smbta)" "$(dpkg-deb -f "$(deb smbta 2)" Version)" "upgraded version"
expect_eq "$(dpkg-query -W -f='${Version}' samba-vfs-smb-traffic-analyzer)" \
  "$(dpkg-deb -f "$(deb samba-vfs-smb-traffic-analyzer 2)" Version)" "upgraded module version"
cmp -s /etc/smbtad.conf "$T/conf.edited" || fail "the upgrade changed /etc/smbtad.conf: $(diff "$T/conf.edited" /etc/smbtad.conf)"
expect_eq "$(stat -c '%U:%G %a' /etc/smbtad.conf)" "root:smbtad 640" "/etc/smbtad.conf after the upgrade"
expect_eq "$(stat -c '%U:%G %a' /var/lib/smbtad)" "smbtad:smbtad 700" "/var/lib/smbtad after the upgrade"
expect_eq "$(total_rw)" 600000 "the database after the upgrade"
start_smbtad
head -c 100000 /dev/urandom >"$T/f2"
smbclient_cmds "put $T/f2 f2.bin"
wait_until "$VFS_WAIT_S" total_is 700000 ||
  fail "after the upgrade: total rw '$(total_rw)', want 700000"
echo "upgraded: configuration and database kept, 100000 more bytes stored"
stop_smbtad

# ---- purge ----
t1=$SECONDS
apt-get purge -y -qq "${PKGS[@]}" </dev/null >>"$T/apt.log" 2>&1 || fail "purge: $(tail -n 20 "$T/apt.log")"
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "not-installed" ||
    [ -z "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" ] || fail "$p is still known to dpkg"
done
for f in /etc/smbtad.conf /etc/logrotate.d/smbtad /var/lib/smbtad /usr/sbin/smbtad "$MODULE" \
  /usr/lib/systemd/system/smbtad.service; do
  [ ! -e "$f" ] || fail "$f is left after the purge"
done
getent passwd smbtad >/dev/null && fail "the user smbtad is left after the purge"
getent group smbtad >/dev/null && fail "the group smbtad is left after the purge"
echo "purged in $((SECONDS - t1)) s: files, state, configuration, user and group removed"
echo "PASS: packages"
