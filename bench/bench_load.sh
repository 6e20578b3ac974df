#!/bin/sh
# bench_load.sh BUILD_DIR: load and leaks over time (a benchmark, not a
# test: it prints figures and judges them, but is not run by CI).
#
#  1. `fscert check` over 1,000 / 2,000 / 5,000 / 10,000 lineages in one
#     process: wall time (linear?), peak RSS (<= 8 MB?).  The 10,000
#     live directories are 1,000 distinct lineages (distinct leaves,
#     one intermediate, one key, as bench_check.sh makes them) each
#     reached through ten live dirs; the certificate cache holds 32, so
#     every lineage is parsed anew each time it comes round.
#  2. 200 back-to-back `fscert deploy` runs with reload against
#     test/fsmock (FreeSWITCH 1.11 mode, reloadcert + TLS verification),
#     alternating two lineages: peak RSS of each run, time per run over
#     the first and last 50 (flat?), temp files left, file descriptors
#     of fsmock before and after, and one run under valgrind
#     --track-fds=yes for descriptors fscert leaves open.
# Needs openssl, python3, /usr/bin/time (package time), valgrind.
set -eu
[ $# -eq 1 ] || { echo "usage: bench/bench_load.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
fscert=$build/fscert
mock=$build/test/fsmock
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fscert-bench-load.XXXXXX")
cleanup() {
	[ -f "$work/state/pid" ] && kill "$(cat "$work/state/pid")" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
[ -x "$mock" ] || { echo "bench_load: no $mock (build with tests on)" >&2; exit 2; }

echo "bench_load: making 1,000 lineages"
BENCH_N=1000 BENCH_RUNS=1 BENCH_BATCH_RUNS=1 BENCH_PIPE_SAMPLE=1 \
    BENCH_KEEP=1 BENCH_DIR=$work/lin "$here/bench_check.sh" "$build" \
    >/dev/null 2>&1 || true
[ -d lin/live ] || { echo "bench_load: lineage generation failed" >&2; exit 1; }
root=$work/lin/pki/root.pem
i=0
mkdir -p many
for d in lin/live/*; do
	for k in 0 1 2 3 4 5 6 7 8 9; do
		ln -s "$work/$d" "many/$k-$(basename "$d")"
	done
done
ls -d many/* | sort -t- -k1,1n >all.txt

echo
echo "| fscert check, one process | lineages | wall s | ms / lineage | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|"
for n in 1000 2000 5000 10000; do
	head -n "$n" all.txt >paths.txt
	# shellcheck disable=SC2046
	/usr/bin/time -f "%e %M" -o t.txt "$fscert" -q check --ca-file "$root" \
	    $(cat paths.txt) >/dev/null 2>&1 || true
	read -r s kb <t.txt
	python3 -c "import sys; n,s,kb=int(sys.argv[1]),float(sys.argv[2]),int(sys.argv[3]); print('| | %d | %.2f | %.3f | %.1f |' % (n, s, s*1000/n, kb/1024))" "$n" "$s" "$kb"
done

echo
echo "bench_load: 200 deploys with reload against fsmock (1.11 mode)"
mkdir -p tls state
cp lin/pki/root.pem ca.pem
a=$(ls -d lin/live/* | sed -n 1p)
b=$(ls -d lin/live/* | sed -n 2p)
name=$(basename "$a")
"$fscert" -q deploy --no-reload --lineage "$a" --cert-dir tls --ca-file ca.pem
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
esl=$(port) tlsp=$(port) wssp=$(port)
"$mock" --esl-port "$esl" --tls-port "$tlsp" --wss-port "$wssp" --cert-dir tls \
    --state-dir state --mode 1.11 >mock.out 2>mock.err &
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -q ready mock.out 2>/dev/null && break; sleep 0.3; done
mpid=$(cat state/pid)
fds_before=$(ls /proc/"$mpid"/fd | wc -l)
: >runs.txt
i=0
while [ $i -lt 200 ]; do
	if [ $((i % 2)) = 0 ]; then l=$b; else l=$a; fi
	/usr/bin/time -f "%e %M" -o t.txt "$fscert" -q deploy --lineage "$l" \
	    --cert-dir tls --ca-file ca.pem \
	    --esl "127.0.0.1:$esl" >/dev/null 2>err.txt || {
		echo "bench_load: deploy $i failed:"; cat err.txt; exit 1; }
	cat t.txt >>runs.txt
	i=$((i + 1))
done
fds_after=$(ls /proc/"$mpid"/fd | wc -l)
temps=$(find tls -name '*.tmp' | wc -l)
valgrind --track-fds=yes --log-file=vg.txt "$fscert" -q deploy --force \
    --lineage "$a" --cert-dir tls --ca-file ca.pem \
    --esl "127.0.0.1:$esl" >/dev/null 2>&1 || true
# At exit: stdin, stdout, stderr, and valgrind's own log file.
open_fds=$(sed -n 's/.*FILE DESCRIPTORS: \([0-9]*\) open.*/\1/p' vg.txt | head -1)
python3 - runs.txt "$fds_before" "$fds_after" "$temps" "$open_fds" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
secs = [r[0] * 1000 for r in rows]
rss = [r[1] / 1024 for r in rows]
first, last = statistics.mean(secs[:50]), statistics.mean(secs[-50:])
print()
print("| 200 deploys with reload + verify | value |")
print("|---|---:|")
print("| mean wall per run, first 50 / last 50 | %.1f / %.1f ms |" % (first, last))
print("| peak RSS, max over runs | %.1f MiB |" % max(rss))
print("| temp files left in the cert dir | %s |" % sys.argv[4])
print("| fsmock descriptors before / after | %s / %s |" % (sys.argv[2], sys.argv[3]))
print("| descriptors open at fscert's exit (valgrind; 3 std + its log) | %s |" % sys.argv[5])
print()
print("Peak RSS <= 8 MB: %s; time per run flat (last/first %.2f): %s; no temp file: %s."
      % ("met" if max(rss) <= 8 * 1.048576 else "MISSED", last / first,
         "yes" if last / first < 1.25 else "NO", "yes" if sys.argv[4] == "0" else "NO"))
PY
