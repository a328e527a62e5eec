# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for vfs_test.sh and bench/vfs_bench.sh: an isolated smbd on loopback with the module,
# a test user, a receiver, smbclient. Sourced; expects `set -euo pipefail`.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; VFS_FAILED=1; exit 1; }
pass() { echo "PASS: $VFS_CASE"; VFS_PASSED=1; }
expect_eq() { [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"; }
expect_ge() { [ "$1" -ge "$2" ] || fail "$3: got $1, want at least $2"; }

# wait_until SECONDS CMD...: polls CMD every 50 ms until it succeeds; returns 1 after SECONDS.
# Tests wait for conditions, never for a fixed time: on a loaded machine anything can take
# longer, so the bound is generous and only ends a wait that would never succeed.
VFS_WAIT_S=${VFS_WAIT_S:-90}
wait_until() {
  local limit=$1 deadline
  shift
  deadline=$(( SECONDS + limit ))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# A free TCP port on loopback (random, so that parallel tests do not collide).
free_port() {
  local p low
  # Below the kernel's ephemeral range (as tests/support/ports.cpp): there a client
  # connection's source port can take it before the receiver binds, or the module reconnecting
  # to it can connect to itself.
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  for _ in $(seq 1 100); do
    p=$(( 16384 + RANDOM % (low - 16384) ))
    if ! ss -Htln "sport = :$p" | grep -q . && ! ss -Htn "sport = :$p" | grep -q .; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# Waits for a listener on 127.0.0.1 itself: smbd binds ::1 and 127.0.0.1 one after the other,
# and smbclient connects to the IPv4 address.
wait_port() {
  for _ in $(seq 1 200); do
    ss -Htln "sport = :$1" | grep -qF "127.0.0.1:$1" && return 0
    sleep 0.05
  done
  return 1
}

# Gives this run smbd's module directory to itself: re-executes the calling script (pass it
# "$@") in a private mount namespace, where install_module_link mounts a copy of the directory
# holding this build's module over the real one. Without it every clone on the machine shares one
# symlink there, and parallel runs from two trees test each other's module. smbd takes no module
# path of its own for a share (4.17 refuses absolute ones), hence the mount. Without root or
# unshare it does nothing, and the shared symlink is used. VFS_SCRIPT: the script, if $0 no
# longer names it (after a cd).
vfs_private_namespace() {
  [ -z "${VFS_MNTNS:-}" ] && [ "$(id -u)" -eq 0 ] || return 0
  unshare --mount --propagation private true 2>/dev/null || return 0
  exec unshare --mount --propagation private env VFS_MNTNS=1 bash "${VFS_SCRIPT:-$0}" "$@"
}

# Installs the built module where smbd looks for it: in a private namespace (above), a private
# copy of the directory mounted over it; otherwise a symlink to the build tree. An installed
# module (a regular file) is only accepted if it is the same build.
install_module_link() {
  local dir=${SMBTA_VFS_MODULE_DIR:-$(smbd -b | sed -n 's/^ *MODULESDIR: //p')/vfs}
  local dst="$dir/smb_traffic_analyzer.so"
  mkdir -p "$dir"
  if [ -n "${VFS_MNTNS:-}" ] && [ -n "${T:-}" ]; then
    # Copies, not links into $dir: the mount hides $dir itself. rm -rf "$T" then removes only them.
    mkdir "$T/vfs-modules"
    find "$dir" -mindepth 1 -maxdepth 1 ! -name smb_traffic_analyzer.so ! -name '.smbta-test.lock' \
      -exec cp -a {} "$T/vfs-modules/" \;
    ln -s "$SMBTA_VFS_MODULE" "$T/vfs-modules/smb_traffic_analyzer.so"
    mount --bind "$T/vfs-modules" "$dir" || fail "cannot mount a private module directory on $dir"
    return 0
  fi
  (
    flock 9
    if [ -e "$dst" ] && [ ! -L "$dst" ]; then
      cmp -s "$dst" "$SMBTA_VFS_MODULE" ||
        fail "$dst is an installed module other than this build; run 'cmake --install' or remove it"
    else
      ln -sfn "$SMBTA_VFS_MODULE" "$dst"
    fi
  ) 9>"$dir/.smbta-test.lock"
}

vfs_cleanup() {
  local rc=$?
  if [ -f "$T/recv.pid" ]; then
    kill -CONT "$(cat "$T/recv.pid")" 2>/dev/null || true
    kill "$(cat "$T/recv.pid")" 2>/dev/null || true
  fi
  if [ -n "${RECV_PID:-}" ]; then kill "$RECV_PID" 2>/dev/null || true; fi
  if [ -n "${SMBD_PID:-}" ]; then
    kill "$SMBD_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SMBD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SMBD_PID" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  if [ -z "${VFS_PASSED:-}" ]; then
    if [ $rc -ne 77 ]; then
      echo "---- records ($REC) ----"; head -n 60 "$REC" 2>/dev/null || true
      echo "---- smbd log ----"; grep -h -i -B2 -A3 'traffic_analyzer\|error\|panic' \
        "$T"/smbd.log "$T"/log.* 2>/dev/null | tail -n 80 || true
      echo "---- receiver log ----"; tail -n 20 "$T/recv.log" 2>/dev/null || true
      echo "(kept $T)"
    fi
  else
    rm -rf "$T"
  fi
  exit $rc
}

vfs_setup() {
  VFS_CASE=$1
  [ "$(id -u)" -eq 0 ] || skip "needs root (smbd, a test user in a private passdb)"
  command -v smbd >/dev/null && command -v smbclient >/dev/null || skip "samba/smbclient not installed"
  : "${SMBTA_VFS_MODULE:?}" "${SMBTA_TEST_RECEIVER:?}"
  T=$(mktemp -d "/tmp/smbta-vfs-$VFS_CASE.XXXXXX")
  chmod 755 "$T"
  trap vfs_cleanup EXIT
  mkdir -p "$T"/{share,client,lock,state,cache,pid,private,ncalrpc}
  chmod 777 "$T/share"
  REC="$T/records.tsv"
  : >"$REC"
  # VFS_SPORT: smbd's port chosen by the caller (445 in a private network namespace).
  SPORT=${VFS_SPORT:-$(free_port)}
  RPORT=$(free_port)
  install_module_link
  # A real user (an existing system account, in the test's private passdb only).
  SMB_USER=daemon
  SMB_PASS=smbta-Test-1
}

write_smb_conf() {
  cat >"$T/smb.conf" <<EOF
[global]
  smb ports = $SPORT
  interfaces = lo
  bind interfaces only = yes
  server role = standalone server
  disable netbios = yes
  lock directory = $T/lock
  state directory = $T/state
  cache directory = $T/cache
  pid directory = $T/pid
  private dir = $T/private
  ncalrpc dir = $T/ncalrpc
  log file = $T/log.%m
  log level = ${SMBD_LOG_LEVEL:-1}
  load printers = no
  printcap name = /dev/null
  disable spoolss = yes
  passdb backend = tdbsam
  smb_traffic_analyzer:spool_dir = $T/mspool
${SMB_GLOBAL_EXTRA:-}
[data]
  path = ${SMB_SHARE_PATH:-$T/share}
  read only = no
  ${SMB_VFS_LINE-vfs objects = smb_traffic_analyzer}
  smb_traffic_analyzer:host = 127.0.0.1
  smb_traffic_analyzer:port = $RPORT
  $1
${SMB_EXTRA_SHARES:-}
EOF
}

# start_smbd "extra share lines"
start_smbd() {
  write_smb_conf "$1"
  printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" |
    smbpasswd -c "$T/smb.conf" -a -s "$SMB_USER" >"$T/smbpasswd.log" 2>&1 ||
    fail "smbpasswd: $(cat "$T/smbpasswd.log")"
  USER_SID=$(pdbedit -s "$T/smb.conf" -L -v "$SMB_USER" 2>/dev/null | sed -n 's/^User SID: *//p')
  [ -n "$USER_SID" ] || fail "no SID for $SMB_USER"
  # Tests run in parallel and pick ports at random: a port taken between free_port and smbd's
  # bind is replaced by a new one (smbd says "Address already in use").
  local attempt
  for attempt in 1 2 3 4 5; do
    smbd --foreground --debug-stdout -s "$T/smb.conf" </dev/null >"$T/smbd.log" 2>&1 &
    SMBD_PID=$!
    wait_port "$SPORT" && return 0
    grep -q "Address already in use" "$T/smbd.log" || break
    kill "$SMBD_PID" 2>/dev/null || true
    wait "$SMBD_PID" 2>/dev/null || true
    SPORT=$(free_port)
    write_smb_conf "$1"
  done
  fail "smbd did not listen on $SPORT: $(tail -n 20 "$T/smbd.log")"
}

# start_receiver ARGS... (pid in $T/recv.pid; safe to call from a subshell). Before smbd runs,
# a port another process grabbed since free_port chose it is replaced by a new one.
start_receiver() {
  local attempt args
  for attempt in 1 2 3 4 5; do
    args=()
    for a in "$@"; do [ "$a" = "@RPORT@" ] && args+=("$RPORT") || args+=("$a"); done
    rm -f "$T/recv.ready"
    "$SMBTA_TEST_RECEIVER" --out "$REC" --ready "$T/recv.ready" "${args[@]}" </dev/null >>"$T/recv.log" 2>&1 &
    RECV_PID=$!
    echo "$RECV_PID" >"$T/recv.pid"
    for _ in $(seq 1 100); do
      [ -s "$T/recv.ready" ] && return 0
      kill -0 "$RECV_PID" 2>/dev/null || break
      sleep 0.05
    done
    if [ -z "${SMBD_PID:-}" ] && grep -q "Address already in use" "$T/recv.log"; then
      RPORT=$(free_port)
      continue
    fi
    break
  done
  fail "receiver did not start: $(tail -n 3 "$T/recv.log")"
}

stop_receiver() {
  local pid
  pid=$(cat "$T/recv.pid")
  kill "$pid" 2>/dev/null || true
  wait_until "$VFS_WAIT_S" not_running "$pid" || fail "the receiver (pid $pid) did not exit"
  rm -f "$T/recv.pid"
}
not_running() { ! kill -0 "$1" 2>/dev/null; }

make_file() { head -c "$2" /dev/urandom >"$1"; }

smbclient_cmds() {
  timeout 300 smbclient "//127.0.0.1/data" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" -E -c "$1" \
    >"$T/smbclient.log" 2>&1 || fail "smbclient failed: $(tail -n 20 "$T/smbclient.log")"
}

# One smbclient session whose commands the test writes one at a time with sc, on stdin:
#   { sc "put a a.bin"; ...; sc quit; } | smbclient_stdin
# smbclient polls stdin, then reads it through stdio, so lines that arrive together wait in its
# buffer until EOF. It therefore runs as if interactive (CLI_FORCE_INTERACTIVE) but without
# readline (CLI_NO_READLINE): then it prints and flushes its prompt "smb: \dir\> " each time it
# is ready for the next command, and sc waits for that prompt instead of for a fixed time. One
# such session per test (the prompts are counted in $SC_LOG). SC_SHARE: another share than data.
SC_LOG=smbclient.stdin.log
smbclient_stdin() {
  CLI_FORCE_INTERACTIVE=yes CLI_NO_READLINE=yes \
    timeout 300 smbclient "//127.0.0.1/${SC_SHARE:-data}" -p "$SPORT" -U "$SMB_USER%$SMB_PASS" \
    >>"$T/$SC_LOG" 2>&1 || fail "smbclient failed: $(tail -n 20 "$T/$SC_LOG")"
}

prompts_at_least() { [ "$(grep -o 'smb: [^>]*> ' "$T/$SC_LOG" 2>/dev/null | wc -l)" -ge "$1" ]; }

# sc CMD: waits until smbclient is ready, writes CMD, and (except for quit) waits until smbclient
# has carried it out and is ready again. Runs in the pipeline's left side (SC_SENT counts there).
SC_SENT=0
sc() {
  wait_until "$VFS_WAIT_S" prompts_at_least $(( SC_SENT + 1 )) ||
    fail "smbclient is not ready for '$1': $(tail -n 5 "$T/$SC_LOG")"
  echo "$1"
  SC_SENT=$(( SC_SENT + 1 ))
  [ "$1" = quit ] && return 0
  wait_until "$VFS_WAIT_S" prompts_at_least $(( SC_SENT + 1 )) ||
    fail "smbclient did not finish '$1': $(tail -n 5 "$T/$SC_LOG")"
}

has_record() {
  awk -F'\t' -v op="$1" -v p="${2-}" '$1 == op && (p == "" || $9 == p) { f = 1 } END { exit !f }' \
    "$REC"
}

# wait_for_record OP [PATH]: until the receiver has a record of OP (for PATH).
wait_for_record() {
  wait_until "$VFS_WAIT_S" has_record "$@" || fail "no $1 record${2:+ for $2} arrived"
}

# log_has REGEX: in any smbd log of this test.
log_has() { grep -qs -- "$1" "$T/smbd.log" "$T"/log.*; }

hash_of() { "$SMBTA_TEST_RECEIVER" --hash "$1"; }
