#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Prepares the Samba source tree the VFS module is compiled against: the exact Debian source of
# the installed samba package, configured, with its generated headers built (no Samba C code is
# compiled). The result is cached outside the clone, keyed by the samba version, so that later
# builds take a second:
#
#   ${SMBTA_SAMBA_CACHE:-/var/cache/smbta}/samba-<version>/      (the source tree)
#   .../samba-<version>/.smbta-prepared                           (stamp: the version string)
#
# Usage: bash scripts/prepare-samba-headers.sh [--print-dir] [--source DIR]
#   --print-dir   print only the prepared directory on stdout (for CMake); progress goes to stderr
#   --source DIR  prepare the Samba source tree DIR in place instead (a release tarball or a
#                 checkout of samba-team/samba at the installed smbd's release, for when Debian's
#                 source of the installed samba cannot be fetched); then configure smbta with
#                 -DSMBTA_SAMBA_SOURCE=DIR. Its stamp holds the tree's own version (VERSION).
# Needs root (apt) unless the cache is already prepared. Idempotent.
# Exit status 3: the Debian source of the installed samba cannot be fetched (e.g. the archive has
# no source package for that version); the message says so and how to use --source.
set -euo pipefail

print_dir=0
source_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
  --print-dir) print_dir=1 ;;
  --source)
    [ $# -ge 2 ] || { echo "prepare-samba-headers: --source needs a directory" >&2; exit 2; }
    source_dir=$2
    shift
    ;;
  *) echo "prepare-samba-headers: unknown argument '$1' (--print-dir, --source DIR)" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "prepare-samba-headers: $*" >&2; }

# tree_version DIR: the release a Samba source tree declares in its VERSION file (4.24.5,
# 4.25.0pre1-git).
tree_version() {
  local major minor release pre git
  major=$(sed -n 's/^SAMBA_VERSION_MAJOR=//p' "$1/VERSION")
  minor=$(sed -n 's/^SAMBA_VERSION_MINOR=//p' "$1/VERSION")
  release=$(sed -n 's/^SAMBA_VERSION_RELEASE=//p' "$1/VERSION")
  pre=$(sed -n 's/^SAMBA_VERSION_PRE_RELEASE=//p' "$1/VERSION")
  git=$(sed -n 's/^SAMBA_VERSION_IS_GIT_SNAPSHOT=//p' "$1/VERSION")
  printf '%s.%s.%s%s%s' "$major" "$minor" "$release" "${pre:+pre$pre}" \
    "$([ "$git" = yes ] && echo -git)"
}

if [ -n "$source_dir" ]; then
  [ -f "$source_dir/VERSION" ] && [ -f "$source_dir/source3/include/vfs.h" ] ||
    { say "$source_dir is not a Samba source tree (no VERSION, source3/include/vfs.h)"; exit 1; }
  dir=$(cd "$source_dir" && pwd)
  version=$(tree_version "$dir")
  stamp="$dir/.smbta-prepared"
else
  version=$(dpkg-query -W -f='${Version}' samba 2>/dev/null || true)
  status=$(dpkg-query -W -f='${Status}' samba 2>/dev/null || true)
  if [ -z "$version" ] || [ "$status" != "install ok installed" ]; then
    say "the Debian package 'samba' is not installed; install it first (scripts/deps.sh)"
    exit 1
  fi
fi

cache_root=${SMBTA_SAMBA_CACHE:-/var/cache/smbta}
if [ -z "$source_dir" ]; then
  dir="$cache_root/samba-${version//[:\/]/_}"
  stamp="$dir/.smbta-prepared"
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
  [ $print_dir = 1 ] && echo "$dir" || say "already prepared: $dir"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if [ -n "$source_dir" ]; then
  # The given tree, in place; one preparation of it at a time.
  exec 9>"$dir/.smbta-prepare.lock"
  flock 9
  work=$(mktemp -d "${TMPDIR:-/tmp}/smbta-prepare.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  src=$dir
  say "preparing the Samba $version tree $dir"
else
  # 1. A deb-src entry for every Debian deb entry (idempotent: our own file, rewritten each time).
  if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding deb-src entries (/etc/apt/sources.list.d/smbta-deb-src.sources / .list)"
    src_stanzas=""
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      # Every stanza whose Types include "deb", again with Types: deb-src.
      src_stanzas+=$(awk 'BEGIN{RS=""} {
        n = split($0, L, "\n"); out = ""; keep = 0
        for (i = 1; i <= n; i++) {
          if (L[i] ~ /^Types:/) {
            if ((" " substr(L[i], 7) " ") ~ /[ \t]deb[ \t]/) keep = 1
            L[i] = "Types: deb-src"
          }
          out = out L[i] "\n"
        }
        if (keep) printf "%s\n", out }' "$f")
      src_stanzas+=$'\n\n'
    done
    if [ -n "${src_stanzas//[$'\n ']/}" ]; then
      printf '%s\n' "$src_stanzas" | $SUDO tee /etc/apt/sources.list.d/smbta-deb-src.sources >/dev/null
    fi
    src_lines=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -n 's/^deb \(.*\)/deb-src \1/p' || true)
    if [ -n "$src_lines" ]; then
      printf '%s\n' "$src_lines" | $SUDO tee /etc/apt/sources.list.d/smbta-deb-src.list >/dev/null
    fi
    $SUDO apt-get update -qq
  fi

  # 2. The exact source of the installed package.
  # The upstream release inside the Debian version (2:4.25.1+dfsg-1 -> 4.25.1), for the messages.
  upstream=${version#*:}
  upstream=${upstream%%[+~-]*}
  $SUDO mkdir -p "$cache_root"
  # One preparation at a time (parallel CMake configures); re-check the stamp once we hold the lock.
  exec 9>"$cache_root/.lock"
  flock 9
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
    [ $print_dir = 1 ] && echo "$dir" || say "already prepared: $dir"
    exit 0
  fi
  work=$(mktemp -d "$cache_root/.work.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  say "fetching source samba=$version"
  if ! (cd "$work" && apt-get source -qq --only-source "samba=$version") >"$work/source.log" 2>&1
  then
    # One line that says what is missing and what to do (CMake repeats it): the rest of smbta does
    # not need this source.
    reason=$(grep -m1 -oE '[0-9]{3} +[A-Z][A-Za-z ]*[a-z]|Unable to find a source package.*|E: .*' \
      "$work/source.log" || true)
    say "the Debian source of samba $version cannot be fetched (apt-get source: ${reason:-failed," \
      "see below}); to build the module give a Samba $upstream source tree:" \
      "bash scripts/prepare-samba-headers.sh --source DIR, then cmake -DSMBTA_SAMBA_SOURCE=DIR"
    [ -n "$reason" ] || tail -n 20 "$work/source.log" >&2
    exit 3
  fi
  src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'samba-*' | head -n1)
  [ -n "$src" ] || { say "apt-get source produced no samba-* directory"; exit 1; }

fi

# 3. configure with optional features off, but with the HAVE_* macros replace.h sees matching
#    Debian's build (libbsd, acl, cap are installed as build deps) and with profiling data on.
say "configuring (about a minute)"
# Samba 4.24 and later stop at configure without a system libquic and ngtcp2 (QUIC transport; no
# Debian package has libquic): the tree's own copies are allowed instead where it has them (only
# their configure checks run here).
quic=""
[ -d "$src/third_party/quic" ] && quic+=",libquic"
[ -d "$src/third_party/ngtcp2" ] && quic+=",libngtcp2,libngtcp2_crypto_gnutls"
(
  cd "$src"
  # Debian's own flags where they shape the headers (debian/rules); features that need extra
  # libraries or only produce binaries are off. acl, quota and profiling stay on as in Debian.
  ./configure \
    --prefix=/usr --sysconfdir=/etc --localstatedir=/var --enable-fhs \
    --with-modulesdir=/usr/lib/x86_64-linux-gnu/samba \
    --with-privatedir=/var/lib/samba/private --with-piddir=/run/samba \
    --with-lockdir=/run/samba --with-sockets-dir=/run/samba --with-statedir=/var/lib/samba \
    --with-cachedir=/var/cache/samba \
    --bundled-libraries="NONE,ldb,pytalloc-util,pyldb-util,cmocka$quic" \
    --with-profiling-data --with-quota --with-syslog --with-utmp \
    --without-ad-dc --without-ads --without-ldap --without-pam --without-winbind \
    --without-json --without-libarchive --without-gpgme --without-systemd --without-ldb-lmdb \
    --disable-cups --disable-iprint --disable-python --disable-spotlight --without-regedit \
    '--with-shared-modules=!vfs_snapper' \
    >"$work/configure.log" 2>&1
) || { tail -n 40 "$work/configure.log" >&2; say "configure failed (log above)"; exit 1; }
# The module must not depend on valgrind client requests smbd's build does not use.
sed -i '/HAVE_VALGRIND/d' "$src/bin/default/include/config.h"

# 4. Only the header generators.
say "building generated headers (about 30 s)"
pidl=""
for t in MISC SECURITY SERVER_ID FILE_ID OPEN_FILES LEASES_DB SMB2_LEASE_STRUCT SMBXSRV \
         MESSAGING NOTIFY XATTR IOCTL AUTH KRB5PAC LSA SAMR NETLOGON DCERPC SMB_ACL \
         SECRETS IDMAP NBT DRSBLOBS; do
  pidl+="PIDL_$t,"
done
targets="${pidl}ntstatus_generated,werror_generated,param_local.h,param_global.h"
targets+=",param_functions.h,lib/param/param_proto.h,s3_param_proto_h"
(
  cd "$src"
  PYTHONHASHSEED=1 buildtools/bin/waf build -j "$(nproc)" --targets="$targets" >"$work/waf.log" 2>&1
) || { tail -n 40 "$work/waf.log" >&2; say "waf build failed (log above)"; exit 1; }

# 5. Into the cache, atomically (a tree given with --source stays where it is).
if [ "$src" != "$dir" ]; then
  rm -rf "$dir"
  mv "$src" "$dir"
fi
printf '%s' "$version" >"$stamp"
say "prepared $dir"
[ $print_dir = 1 ] && echo "$dir"
exit 0
