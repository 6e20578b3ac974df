#!/bin/sh
# test/gates/sanitize.sh: the hardening gate "no sanitizer error, no leak".
#
# Builds fscert, its unit tests and test tools with AddressSanitizer
# (LeakSanitizer included) and UndefinedBehaviorSanitizer in a Debug
# build of its own (BUILD_DIR-asan, default build-asan), then runs the
# ctest suite under it, with
#   ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
#   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# (plus abort_on_error=1 for UBSan: its default exit status, 1, is one a
# test may expect; SIGABRT is not).  Any report fails the gate: the test
# sees the abort, ASan and LSan reports are also written to
# BUILD_DIR-asan/sanitizer-logs/, which must stay empty (so a report from
# a run whose status or stderr a test does not check still counts), and
# the tests' output is searched for reports (gcc's libubsan ignores
# log_path: its reports only go to stderr).
#
# Passes:
#   1. all tests but those below, with LeakSanitizer;
#   2. install_modes and install_crash, without LeakSanitizer: they run
#      fscert under strace, and LSan cannot work under ptrace.
#      install_crash's status is not counted, only sanitizer reports: it
#      injects EIO or SIGKILL at every open, write, close... of a deploy,
#      sanitizer runtime's own included (ASan reads /proc/self/environ
#      and /proc/self/maps at start), which fails a few of its cases for
#      that reason alone; test/run.sh's ctest gates it.
# Left out: install.  It compiles C programs with plain cc against the
# installed, here instrumented, libfscert, which cannot link without the
# sanitizer runtimes; it checks install rules, not memory.
# The certbot + pebble tests (e2e_certbot, hook) stay in: they take about
# as long as in a plain build (pebble and certbot dominate).
#
# Environment: BUILD_DIR (default build).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}-asan
jobs=$(nproc)
start=$(date +%s)

echo "=== gate: sanitize (ASan + LSan + UBSan), build dir $build ==="
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFSCERT_TESTS=ON \
    -DCMAKE_C_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="$san" \
    -DCMAKE_SHARED_LINKER_FLAGS="$san" >/dev/null
cmake --build "$build" -j"$jobs"
build=$(cd "$build" && pwd)
logs=$build/sanitizer-logs
rm -rf "$logs"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
fail=0
# Reports that reached a test's output (UBSan's always go there).
pat='runtime error:|ERROR: (Address|Leak)Sanitizer|SUMMARY: (Address|Undefined)'

# reports DIR: print the sanitizer logs in DIR and the reports in the
# last ctest output; fail when there is one.  LSan's refusal to run under
# ptrace (pass 2's injected faults can keep ASan from reading its
# options) is no report.
reports() {
	find "$1" -type f | LC_ALL=C sort >"$1.list"
	while read -r f; do
		grep -q 'LeakSanitizer does not work under ptrace' "$f" && continue
		echo "--- sanitizer report $f"
		cat "$f"
		fail=1
	done <"$1.list"
	if grep -Eq "$pat" "$build/Testing/Temporary/LastTest.log" 2>/dev/null; then
		echo "--- sanitizer reports in the test output"
		grep -En "$pat" "$build/Testing/Temporary/LastTest.log"
		fail=1
	fi
}

echo "=== sanitize: pass 1, ctest with LeakSanitizer (all but install, install_modes, install_crash) ==="
mkdir -p "$logs/1"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/1/asan" \
    ctest --test-dir "$build" --output-on-failure -j"$jobs" \
    -E '^(install|install_modes|install_crash)$' || fail=1
reports "$logs/1"

echo "=== sanitize: pass 2, under strace, no LeakSanitizer: install_modes ==="
mkdir -p "$logs/2"
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$logs/2/asan" \
    ctest --test-dir "$build" --output-on-failure -R '^install_modes$' ||
    fail=1
reports "$logs/2"
echo "=== sanitize: pass 2, under strace, no LeakSanitizer: install_crash (reports only) ==="
mkdir -p "$logs/3"
if ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$logs/3/asan" \
    ctest --test-dir "$build" --output-on-failure -R '^install_crash$' \
    >"$build/install_crash.log" 2>&1; then
	echo "install_crash passed"
else
	echo "install_crash failed, not counted (faults injected into the sanitizer runtime; log: $build/install_crash.log):"
	grep -E '^(not ok|#   )' "$build/install_crash.log" | sed 's/^/  /' | head -n 40
fi
reports "$logs/3"

secs=$(( $(date +%s) - start ))
if [ "$fail" -ne 0 ]; then
	echo "=== gate sanitize: FAILED (${secs}s) ===" >&2
	exit 1
fi
echo "=== gate sanitize: passed, no sanitizer report (${secs}s) ==="
