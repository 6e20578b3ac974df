#!/bin/sh
# static.sh: the static gates on lib/ and cli/ — clang-tidy (.clang-tidy),
# cppcheck, and clang-format (.clang-format) — each must be clean.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}-static
src="lib/*.c cli/*.c"
hdr="lib/*.h cli/*.h include/fscert/*.h"

echo "== static: clang-format (check only)"
# shellcheck disable=SC2086
clang-format --dry-run --Werror $src $hdr

echo "== static: cppcheck"
# shellcheck disable=SC2086
cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
    --enable=warning,performance,portability \
    --suppress=missingIncludeSystem -D_POSIX_C_SOURCE=200809L \
    -I include -I lib lib cli

echo "== static: clang-tidy"
cmake -S . -B "$build" -DFSCERT_TESTS=OFF \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# shellcheck disable=SC2086
clang-tidy -p "$build" --quiet $src
echo "== static: clean"
