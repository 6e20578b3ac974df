#!/bin/sh
# test/run.sh: install what the tests need, build, and run the whole
# suite: unit tests (cmocka), CLI and man page tests, the TLS serving
# tests, certbot + pebble end to end, a short fuzz run of every parser,
# the static gates and the hardening gates (test/gates/).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh test
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFSCERT_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"

# libFuzzer needs clang: a build of its own.
fuzzsecs=${FUZZ_SECONDS:-60}
CC=clang cmake -S . -B "$build-fuzz" -DFSCERT_FUZZ=ON -DFSCERT_TESTS=OFF \
    >/dev/null
cmake --build "$build-fuzz" -j"$(nproc)"
fuzz/run.sh "$build-fuzz" "$fuzzsecs"

# Static analysis and format: clang-tidy, cppcheck, clang-format.
BUILD_DIR=$build test/gates/static.sh

# Hardening gates, each in a build of its own ($build-asan, $build-cov;
# valgrind uses $build): the suite under ASan+LSan+UBSan, the unit tests
# and the CLI under valgrind, and lib/ line coverage >= 85%.
BUILD_DIR=$build test/gates/sanitize.sh
BUILD_DIR=$build test/gates/valgrind.sh
BUILD_DIR=$build test/gates/coverage.sh
echo "test/run.sh: all passed"
