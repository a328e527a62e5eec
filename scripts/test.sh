#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs dependencies, builds smbta with -Werror and ASan+UBSan, and runs the whole test suite
# (ctest starts its own PostgreSQL cluster and smbd on loopback). Then two more builds that only CI
# would otherwise miss: everything (benchmarks included) at -O2 -Werror, whose warnings only the
# optimiser finds, and smbtad under ThreadSanitizer with the tests that drive its three threads;
# last, every fuzz target for a short bounded run under clang's libFuzzer.
# Usage: bash scripts/test.sh        SMBTA_TEST_QUICK=1 skips the -O2, TSan and fuzz builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
stamp() { printf '== %s: %s (%d s so far)\n' "$(date +%T)" "$1" "$SECONDS"; }

build=${SMBTA_TEST_BUILD_DIR:-build-test}
stamp "ASan+UBSan build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSMBTA_WERROR=ON -DSMBTA_SANITIZE=ON \
  -DSMBTA_BUILD_BENCH=OFF
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
# Only known driver leaks are suppressed (see the file); leak detection stays on.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/support/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
stamp "test suite"
ctest --test-dir "$build" --output-on-failure -j 2 -LE "bench|soak" --timeout 600

if [ -n "${SMBTA_TEST_QUICK:-}" ]; then
  stamp "done (quick: no -O2 and TSan builds)"
  exit 0
fi

stamp "-O2 -Werror build of everything, benchmarks included (build-o2)"
cmake -S . -B build-o2 -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBTA_WERROR=ON \
  -DSMBTA_BUILD_BENCH=ON
cmake --build build-o2 -j "$jobs"

stamp "ThreadSanitizer build of smbtad and its tests (build-tsan)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBTA_WERROR=ON \
  -DSMBTA_TSAN=ON -DSMBTA_BUILD_BENCH=OFF
cmake --build build-tsan -j "$jobs" --target smbtad smbtad_unit_tests smbtad_tests query_tests \
  web_unit_tests web_integration_tests
# halt_on_error: a race report ends that smbtad with an error status, which its test sees.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
stamp "smbtad under ThreadSanitizer"
build-tsan/tests/smbtad/smbtad_unit_tests --gtest_brief=1
# The sqlite3 suites that start smbtad: ingest, monitors, robustness, the spool, queries over the
# client port (the query thread) and the golden streams in both modes. Not the RSS test: TSan's
# allocator keeps what is freed for a while, which reads as growth; nor the full-disk tests, whose
# bound on smbtad's CPU while it waits does not hold with TSan's 5-15x overhead; nor the socket
# directory test, whose -U 0 smbtad ends with TSan failing to map 541 TB at exit (errno 12), a
# TSan runtime failure, not a race report, still to be understood. The PostgreSQL and MariaDB
# tests need their servers (ctest fixtures); the Operations tests (Prometheus, privilege drop)
# are not yet tried under TSan.
build-tsan/tests/smbtad/smbtad_tests --gtest_brief=1 \
  --gtest_filter='-*pgsql*:Pgsql*:*mysql*:Mysql*:Operations.*:FullDisk.*:Startup.TheModuleSocketsDirectory*'
build-tsan/tests/query/query_tests --gtest_brief=1 \
  --gtest_filter='SmbtadQuery.*:*SmbtadGolden*sqlite3*:-SmbtadQuery.ClosedClientSessionsAreFreed'
# webSMBTA: the web threads, their database pool, the live feed from the network thread, the
# users file re-read on SIGHUP and by requests; in-process (unit) and against a real smbtad.
build-tsan/tests/web/web_unit_tests --gtest_brief=1
build-tsan/tests/web/web_integration_tests --gtest_brief=1

# The fuzz targets under clang's libFuzzer, each for a bounded time (tests/fuzz/README.md).
stamp "fuzz targets under libFuzzer (build-fuzz)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSMBTA_WERROR=ON -DSMBTA_FUZZ=ON -DSMBTA_BUILD_BENCH=OFF
cmake --build build-fuzz -j "$jobs" --target fuzz_targets
ctest --test-dir build-fuzz --output-on-failure -j 2 -L fuzz
stamp "done"
