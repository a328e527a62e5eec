#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs smbta's build and tests against another Debian release's Samba without touching this
# machine's own: a debootstrap chroot of that release, kept in a cache directory outside the clone,
# with smbta's dependencies (scripts/deps.sh) and the exact Debian source of its samba prepared for
# the module's headers (scripts/prepare-samba-headers.sh), both run inside the chroot.
#
# Usage: bash scripts/samba-chroot.sh SUITE [ACTION]
#   SUITE   a Debian suite debootstrap knows (trixie = Debian 13 with Samba 4.22, ...)
#   ACTION  setup  (default) make or update the chroot: debootstrap, deps, Samba headers
#           vfs    setup, copy this clone in, build the module and what its tests need, run the
#                  ctest labels unit-for-the-module and vfs (the real smbd of SUITE loads it)
#           test   setup, copy this clone in, run the README's test command inside
#                  (SMBTA_TEST_QUICK=1 bash scripts/test.sh: the whole suite, ASan+UBSan build)
#           shell  an interactive shell in the chroot (with /proc, /dev, the copy of the clone)
#
# Environment:
#   SMBTA_CHROOT_CACHE   where chroots live (default /var/cache/smbta): <cache>/chroot-<suite>/
#   SMBTA_DEBIAN_MIRROR  the Debian archive (default http://deb.debian.org/debian)
#   SMBTA_TEST_QUICK     passed to scripts/test.sh for ACTION test (default 1)
#   SMBTA_SAMBA_TREE     a Samba source tree (on this machine) of the chroot's samba release, for
#                        when Debian's source of it cannot be fetched (sid today): copied into the
#                        chroot's /var/cache/smbta/tree-<name>, prepared there once
#                        (prepare-samba-headers.sh --source) and the module built against it
#
# Idempotent and cached: the debootstrap happens once (a stamp file marks a complete one; a
# half-made chroot is removed and made again), deps.sh and the header preparation are no-ops when
# done. The mounts (/proc, /dev, /dev/pts, /dev/shm, /sys) are made in a private mount namespace
# (unshare), so none outlives the command, whatever way it ends. Needs root.
set -euo pipefail
# The whole script is one compound command, read before any of it runs: editing this file while
# a long run (ACTION test) is under way must not change what that run executes next.
{

say() { echo "samba-chroot: $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

suite=${1:-}
action=${2:-setup}
[ -n "$suite" ] || die "usage: bash scripts/samba-chroot.sh SUITE [setup|vfs|test|shell]"
case "$action" in setup | vfs | test | shell) ;; *) die "unknown action '$action' (setup, vfs, test or shell)" ;; esac
[[ "$suite" =~ ^[a-z][a-z0-9-]*$ ]] || die "'$suite' is not a Debian suite name"
if [ -n "${SMBTA_CHROOT_SUITE:-}" ]; then
  # The suite run inside a chroot (scripts/test.sh there) must not make chroots of its own.
  say "skipped: already inside the $SMBTA_CHROOT_SUITE chroot"
  exit 77
fi
[ "$(id -u)" -eq 0 ] || { say "skipped: needs root (debootstrap, chroot, mounts)"; exit 77; }
for tool in debootstrap unshare chroot flock; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install debootstrap util-linux)"
done

clone=$(cd "$(dirname "$0")/.." && pwd)
cache=${SMBTA_CHROOT_CACHE:-/var/cache/smbta}
mirror=${SMBTA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
root="$cache/chroot-$suite"
stamp="$root/.smbta-debootstrap"
mkdir -p "$cache"
exec 8>"$cache/.chroot-$suite.lock"
flock 8 || die "cannot lock $cache/.chroot-$suite.lock"

stamp_time() { printf '== %s: %s (%d s so far)\n' "$(date +%T)" "$1" "$SECONDS" >&2; }

# in_chroot CMD...: runs CMD (bash -c) inside the chroot, in a private mount namespace whose
# mounts vanish with it. stdin is passed on (for ACTION shell).
in_chroot() {
  SMBTA_CHROOT_SUITE_CHILD=$suite unshare --mount --propagation private -- bash -c '
    set -e
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t sysfs sysfs "$root/sys"
    mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive SMBTA_TEST_QUICK="${SMBTA_TEST_QUICK-1}" \
      CCACHE_DIR=/var/cache/smbta/ccache \
      SMBTA_CHROOT_SUITE="$SMBTA_CHROOT_SUITE_CHILD" \
      /bin/bash -c "$@"
  ' in_chroot "$root" "$@"
}

# 1. The chroot itself (once).
if [ ! -f "$stamp" ]; then
  if [ -e "$root" ]; then
    say "removing the incomplete chroot $root (no $stamp)"
    rm -rf --one-file-system "$root"
  fi
  work="$cache/.chroot-$suite.work"
  rm -rf --one-file-system "$work"
  stamp_time "debootstrap --variant=minbase $suite $work $mirror (a few minutes)"
  debootstrap --variant=minbase "$suite" "$work" "$mirror" >"$cache/debootstrap-$suite.log" 2>&1 ||
    {
      tail -n 20 "$cache/debootstrap-$suite.log" >&2
      die "debootstrap of $suite failed (log: $cache/debootstrap-$suite.log)"
    }
  # Package installs inside must not start services (smbd, postgresql) in the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$work/usr/sbin/policy-rc.d"
  chmod 755 "$work/usr/sbin/policy-rc.d"
  mv "$work" "$root"
  date -u +%FT%TZ >"$stamp"
  say "made $root"
else
  say "chroot $root exists (made $(cat "$stamp"))"
fi

# Debian unstable's Release file may carry a Valid-Until date already past on the mirror (a
# snapshot): apt then refuses the suite. A test chroot of a moving suite does not need that replay
# protection; stable suites keep it.
case "$suite" in
sid | unstable | experimental)
  printf 'Acquire::Check-Valid-Until "false";\n' >"$root/etc/apt/apt.conf.d/99smbta-valid-until"
  ;;
esac

# 2. smbta's dependencies (samba among them) and the Samba headers, inside. Both are no-ops when
#    done; the headers are keyed by the chroot's samba version and cached in its /var/cache/smbta.
stamp_time "dependencies (scripts/deps.sh inside the chroot)"
rm -rf "$root/root/smbta-setup"
mkdir -p "$root/root/smbta-setup"
cp "$clone/scripts/deps.sh" "$clone/scripts/prepare-samba-headers.sh" "$root/root/smbta-setup/"
in_chroot 'bash /root/smbta-setup/deps.sh'
# ccache inside (the build trees below use it): each copy of a clone has new mtimes, so without it
# every run would compile everything again (kept in the chroot's /var/cache/smbta/ccache).
in_chroot 'command -v ccache >/dev/null || apt-get install -y -qq --no-install-recommends ccache'
stamp_time "Samba headers (scripts/prepare-samba-headers.sh inside the chroot)"
# Status 3: the archive has no source for this samba (unstable's today). Then the module is built
# only from a tree given with SMBTA_SAMBA_TREE; everything else is built and tested regardless.
rc=0
in_chroot 'bash /root/smbta-setup/prepare-samba-headers.sh' || rc=$?
[ $rc -eq 0 ] || [ $rc -eq 3 ] || die "preparing the Samba headers in the $suite chroot failed"
tree_in=""
if [ -n "${SMBTA_SAMBA_TREE:-}" ]; then
  [ -f "$SMBTA_SAMBA_TREE/VERSION" ] || die "SMBTA_SAMBA_TREE=$SMBTA_SAMBA_TREE is not a Samba tree"
  tree_in="/var/cache/smbta/tree-$(basename "$(cd "$SMBTA_SAMBA_TREE" && pwd)")"
  if [ ! -f "$root$tree_in/.smbta-prepared" ]; then
    stamp_time "copying $SMBTA_SAMBA_TREE to $tree_in and preparing it inside the chroot"
    rm -rf "$root$tree_in"
    mkdir -p "$root$tree_in"
    tar -C "$SMBTA_SAMBA_TREE" --exclude=./.git --exclude=./bin -cf - . | tar -C "$root$tree_in" -xf -
  fi
  in_chroot "bash /root/smbta-setup/prepare-samba-headers.sh --source $tree_in"
elif [ $rc -eq 3 ]; then
  say "$suite: the VFS module is not built (no source of its samba); SMBTA_SAMBA_TREE=DIR gives" \
    "a Samba source tree of the same release to build it from"
fi
smbd_version=$(in_chroot 'smbd --version')
say "$suite: $smbd_version, gcc $(in_chroot 'gcc -dumpfullversion')"

[ "$action" = setup ] && exit 0
if [ "$action" = vfs ] && [ -z "$tree_in" ] && [ $rc -eq 3 ]; then
  say "skipped: no Samba source for the module in $suite (give SMBTA_SAMBA_TREE=DIR)"
  exit 77
fi

# 3. A copy of this clone (tracked and untracked files, not ignored ones such as build trees) in
#    /root/smbta. Its build directories from earlier runs stay only while the copied source is the
#    same: the chroot outlives clones, and tar keeps each clone's mtimes, so a clone whose files
#    are older than the objects built from another clone's would leave ninja believing those
#    objects current (a run once tested such stale objects). The stamp is a hash of the content
#    of every copied file; when it differs, every build-* directory is removed and built again
#    (ccache makes that cheap for what did not change).
dst="$root/root/smbta"
mkdir -p "$dst"
# The PostgreSQL tests run the server as user postgres on a cluster in the build tree: it must
# be able to pass through /root (only that: 0711).
chmod 0711 "$root/root"
# list_files: NUL-separated paths (relative to the clone) of what is copied.
list_files() {
  if git -C "$clone" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$clone" && git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [ -f "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done)
  else
    (cd "$clone" && find . \( -name '.git' -o -name 'build*' \) -prune -o \( -type f -o -type l \) \
      -printf '%P\0')
  fi
}
source_id=$(cd "$clone" && list_files | LC_ALL=C sort -z | xargs -0 sha256sum -- | sha256sum |
  cut -c1-32)
id_file="$dst/.smbta-source-id"
old_id=$(cat "$id_file" 2>/dev/null || true)
if [ "$old_id" != "$source_id" ] && compgen -G "$dst/build-*" >/dev/null; then
  say "the source differs from the one the build trees in $dst were made from: removing them"
  rm -rf --one-file-system "$dst"/build-*
fi
find "$dst" -mindepth 1 -maxdepth 1 ! -name 'build-*' -exec rm -rf {} +
(cd "$clone" && list_files | tar --null -T - -cf -) | tar -C "$dst" -xf -
printf '%s\n' "$source_id" >"$id_file"
say "copied $clone into $dst (source $source_id)"

case "$action" in
shell)
  in_chroot 'cd /root/smbta && exec bash -i'
  ;;
vfs)
  stamp_time "module build and vfs tests inside the $suite chroot ($smbd_version)"
  in_chroot '
    set -euo pipefail
    cd /root/smbta
    # ccache only for a new build tree: another launcher would recompile an existing one entirely.
    launcher="-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
    [ ! -f build-vfs/CMakeCache.txt ] || launcher=""
    cmake -S . -B build-vfs -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSMBTA_WERROR=ON \
      -DSMBTA_SANITIZE=ON -DSMBTA_BUILD_BENCH=OFF -DSMBTA_SAMBA_SOURCE='"$tree_in"' \
      $launcher >build-vfs.configure.log ||
      { cat build-vfs.configure.log; exit 1; }
    grep "smb_traffic_analyzer:" build-vfs.configure.log || true
    cmake --build build-vfs -j "$(nproc)" --target smb_traffic_analyzer smbta_test_receiver \
      smbtad smbtaquery vfs_c_api_tests -- -k 0
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      LSAN_OPTIONS=suppressions=$PWD/tests/support/lsan.supp \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --test-dir build-vfs --output-on-failure -j 2 -R "^vfs_|^VfsCApi|^SocketTrust" \
      --timeout 600
  '
  ;;
test)
  stamp_time "the README test command inside the $suite chroot ($smbd_version)"
  # The same build directory as ACTION vfs (same options), so each reuses the other's objects.
  # The Samba tree (SMBTA_SAMBA_TREE, or none) goes into the build tree's cache first: test.sh's
  # own configure keeps it.
  # ccache only for a new build tree: another launcher would recompile an existing one entirely.
  in_chroot 'cd /root/smbta && launcher="-DCMAKE_C_COMPILER_LAUNCHER=ccache
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache" &&
    { [ ! -f build-vfs/CMakeCache.txt ] || launcher=""; } &&
    cmake -S . -B build-vfs -G Ninja -DSMBTA_SAMBA_SOURCE='"$tree_in"' $launcher >/dev/null &&
    SMBTA_TEST_BUILD_DIR=build-vfs bash scripts/test.sh'
  ;;
esac
stamp_time "done ($suite)"
exit 0
}
