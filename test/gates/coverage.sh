#!/bin/sh
# test/gates/coverage.sh: the hardening gate "lib/ line coverage at
# least COVERAGE_MIN percent" (default 85).
#
# Builds with gcc --coverage (-O0, Debug) in a build dir of its own
# (BUILD_DIR-cov, default build-cov), clears the counters, runs the
# ctest suite, then measures lib/ with
#   gcovr -r . --filter lib/ --print-summary BUILD_DIR-cov
# and prints, last, the per-file table and the total.  Below the
# minimum, the lib files under it and their functions never called are
# listed before the table, and the gate fails; a failed test fails it
# too, after the figures are shown.
#
# Two tests need care:
#   - install is left out: it compiles C programs with plain cc against
#     the installed, here instrumented, libfscert (undefined __gcov_*);
#     it checks install rules and adds no lib/ line;
#   - install_crash runs in a pass of its own, its counters kept apart
#     (GCOV_PREFIX) and merged: it injects EIO and SIGKILL (strace) at
#     the Nth write, rename, close... of a deploy, and with --coverage
#     those include libgcov's own .gcda writes at exit, so it fails here
#     (its status is not counted: test/run.sh's ctest gates it) and the
#     writes it kills leave files that are not gcov data; those are
#     dropped.  It is the only test of the install error paths (fs.c,
#     install.c): without it lib/ loses about 3 points.
# The certbot + pebble tests (e2e_certbot, hook) stay in: they cost no
# more than in test/run.sh's ctest.  libgcov's messages (say, a test run
# as nobody cannot write the root-owned .gcda files) go to a log, not
# into the output the tests check; the main pass's are shown.
#
# Environment: BUILD_DIR (default build), COVERAGE_MIN (default 85).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}-cov
min=${COVERAGE_MIN:-85}
jobs=$(nproc)
start=$(date +%s)

echo "=== gate: coverage (gcc --coverage, lib/ lines >= $min%), build dir $build ==="
command -v gcovr >/dev/null 2>&1 || {
	echo "coverage.sh: gcovr is needed (scripts/deps.sh test)" >&2
	exit 1
}
CC=gcc cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFSCERT_TESTS=ON \
    -DCMAKE_C_FLAGS="--coverage" \
    -DCMAKE_EXE_LINKER_FLAGS="--coverage" \
    -DCMAKE_SHARED_LINKER_FLAGS="--coverage" >/dev/null
cmake --build "$build" -j"$jobs"
build=$(cd "$build" && pwd)
# Counters of this run only.
crash=$build/gcov-crash
rm -rf "$crash"
find "$build" -name '*.gcda' -exec rm -f {} +
rm -f "$build/gcov-errors.log"

echo "=== coverage: ctest, all but install and install_crash ==="
testrc=0
GCOV_ERROR_FILE=$build/gcov-errors.log \
    ctest --test-dir "$build" --output-on-failure -j"$jobs" \
    -E '^(install|install_crash)$' || testrc=$?
if [ -s "$build/gcov-errors.log" ]; then
	echo "=== coverage: libgcov messages (those runs' counters are lost) ==="
	sort "$build/gcov-errors.log" | uniq -c | sort -rn | head -n 20
fi

echo "=== coverage: ctest install_crash, counters in $crash (status not counted) ==="
if GCOV_PREFIX=$crash GCOV_ERROR_FILE=$crash.log \
    ctest --test-dir "$build" -R '^install_crash$' >"$crash.ctest.log" 2>&1; then
	echo "install_crash passed"
else
	echo "install_crash failed, as expected under --coverage (log: $crash.ctest.log)"
fi
# The counters land in $crash$build/...: give them their .gcno, drop the
# files a killed dump left unreadable.
if [ -d "$crash$build" ]; then
	(cd "$build" && find . -path ./gcov-crash -prune -o -name '*.gcno' -print) |
	while read -r f; do
		d=$crash$build/$(dirname "$f")
		if [ -d "$d" ]; then cp "$build/$f" "$d/"; fi
	done
	find "$crash$build" -name '*.gcda' | while read -r f; do
		if gcov-dump -l "$f" 2>&1 | grep -Eq 'not a gcov|read error|record size mismatch'; then
			echo "dropped (not gcov data): ${f#"$crash$build"/}"
			rm -f "$f"
		fi
	done
fi

json=$build/coverage.json
gcovr -r . --filter lib/ --json "$json" "$build"
# Below the minimum: which files, which functions were never called.
python3 - "$json" "$min" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    data = json.load(f)
floor = float(sys.argv[2])
rows = []
total = hit = 0
for fe in data["files"]:
    lines = [l for l in fe["lines"] if not l.get("gcovr/noncode")]
    n = len(lines)
    h = sum(1 for l in lines if l["count"] > 0)
    total += n
    hit += h
    never = sorted({fn["name"] for fn in fe.get("functions", [])
                    if fn.get("execution_count", 0) == 0})
    rows.append((100.0 * h / n if n else 100.0, fe["file"], n - h, never))
if total and 100.0 * hit / total < floor:
    print("=== coverage: lib files below %g%%, and their functions never called ===" % floor)
    for pct, name, miss, never in sorted(rows):
        if pct >= floor:
            continue
        print("%-24s %5.1f%%  %d lines not run" % (name, pct, miss))
        for fn in never:
            print("    %s" % fn)
EOF

echo "=== coverage: lib/ line coverage per file ==="
rc=0
gcovr -r . --filter lib/ --print-summary --fail-under-line "$min" "$build" ||
    rc=$?
secs=$(( $(date +%s) - start ))
if [ "$testrc" -ne 0 ]; then
	echo "=== gate coverage: FAILED, the test suite failed (${secs}s) ===" >&2
	exit 1
fi
if [ "$rc" -ne 0 ]; then
	echo "=== gate coverage: FAILED, lib/ line coverage under $min% (gcovr exit $rc) (${secs}s) ===" >&2
	exit 1
fi
echo "=== gate coverage: passed, lib/ line coverage >= $min% (${secs}s) ==="
