#!/bin/sh
# run.sh BUILD_DIR SECONDS [TARGET...]: fuzz each parser for SECONDS.
#
# TARGET is pem, config, vars, esl, jsonstatus or fsconf (default: all).  Runs
# BUILD_DIR/fuzz/fuzz_TARGET (a -DFSCERT_FUZZ=ON build, see
# fuzz/CMakeLists.txt) on a copy of fuzz/corpus/TARGET, so the committed
# corpus is never modified.  Prints the executed-units count of each.
# Exits 0 when no crash, leak, timeout or OOM was found, else
# libFuzzer's status; the reproducer is kept in BUILD_DIR/fuzz/artifacts/
# and the log in BUILD_DIR/fuzz/TARGET.log.  A crash found becomes a
# seed in fuzz/corpus/TARGET/ (a regression test: the seeds are replayed
# by ctest).
#
# Environment: FUZZ_KEEP_CORPUS=1 keeps the grown corpus copies;
# FUZZ_ARGS adds libFuzzer flags (e.g. "-jobs=2 -workers=2", or
# "-runs=10000000" for the documented long run).
set -u

usage() {
	echo "usage: fuzz/run.sh BUILD_DIR SECONDS [pem|config|vars|esl|jsonstatus|fsconf]..." >&2
	exit 2
}
[ $# -ge 2 ] || usage
build=$1
secs=$2
shift 2
case $secs in ''|*[!0-9]*) usage ;; esac
targets=${*:-pem config vars esl jsonstatus fsconf}

here=$(cd "$(dirname "$0")" && pwd)
[ -d "$build" ] || usage
build=$(cd "$build" && pwd)
art=$build/fuzz/artifacts
mkdir -p "$art"
work=$(mktemp -d "${TMPDIR:-/tmp}/fscert-fuzz.XXXXXX") || exit 2
cleanup() {
	if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
		echo "fuzz/run.sh: grown corpora kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status=0
for t in $targets; do
	bin=$build/fuzz/fuzz_$t
	log=$build/fuzz/$t.log
	if [ ! -x "$bin" ]; then
		echo "fuzz/run.sh: no $bin: configure with CC=clang" \
		    "cmake -DFSCERT_FUZZ=ON" >&2
		exit 2
	fi
	mkdir -p "$work/$t"
	cp "$here/corpus/$t"/* "$work/$t/"
	dict=
	[ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
	echo "fuzz/run.sh: fuzz_$t for ${secs}s on" \
	    "$(ls "$here/corpus/$t" | wc -l) seeds"
	# UBSan is built with -fno-sanitize-recover; ask for its stacks.
	# shellcheck disable=SC2086
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	"$bin" -max_len=65536 -max_total_time="$secs" -timeout=10 \
	    -print_final_stats=1 $dict -artifact_prefix="$art/$t-" \
	    ${FUZZ_ARGS:-} "$work/$t" >"$log" 2>&1
	rc=$?
	grep -E 'stat::number_of_executed_units' "$log" |
	    sed "s/^/fuzz_$t: /"
	if [ $rc -ne 0 ]; then
		echo "fuzz/run.sh: fuzz_$t failed (status $rc):" >&2
		sed -n '/ERROR: \|runtime error: \|deadly signal/,$p' "$log" |
		    head -n 80 >&2
		echo "fuzz/run.sh: reproducers in $art; replay: $bin FILE" >&2
		status=$rc
	fi
done
[ $status -eq 0 ] && echo "fuzz/run.sh: no crash ($targets; ${secs}s each)"
exit $status
