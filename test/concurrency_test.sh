#!/bin/sh
#
# concurrency_test.sh BUILD_DIR: parallel deploys into one cert dir.
#
# Two certbot lineages A and B for the same host (deploy_lib.sh).  Each
# round starts 8 "fscert deploy" runs at once (released together by a
# start flag), alternating lineages A and B, into the same cert dir; the
# first round starts from an empty dir (every run races to create
# .fscert/ and the lock), later rounds from the set the round before
# left.  Their private lock (CERT_DIR/.fscert/lock) must serialise them.
# After each round:
#   - every run exited 0 and printed one line, "installed ..." or
#     "already current";
#   - the set is consistent: agent.pem, cafile.pem and wss.pem are all
#     lineage A's or all lineage B's version, byte for byte, as a clean
#     install writes them; so is the rollback set in .fscert/prev/;
#   - "fscert check CERTDIR --ca-file ROOT" exits 0 (and, with
#     --host, the set is checked for the host);
#   - agent.pem and wss.pem are 0600, cafile.pem 0644;
#   - no ".*.tmp" file is left anywhere under CERTDIR.
#
# Prints "ok - NAME" / "not ok - NAME" per round, then "N passed, N
# failed"; exits 1 when a round failed.  FSCERT_CONC_ROUNDS (default 10)
# and FSCERT_CONC_RUNS (default 8) change the sizes.
# Set FSCERT_TEST_KEEP=1 to keep the scratch directory.

set -u

# shellcheck source=test/deploy_lib.sh
. "$(dirname "$0")/deploy_lib.sh"
need_args $# 1 1 BUILD_DIR
FSCERT=$1/fscert
need_exec "$FSCERT"
need_tools openssl cmp find stat sleep

ROUNDS=${FSCERT_CONC_ROUNDS:-10}
RUNS=${FSCERT_CONC_RUNS:-8}

setup_scratch
start=$(date +%s)
make_pki
make_refs
D=$T/certdir
mkdir "$D" || exit 1

# one I LIVE: run I, started when $T/go appears.
one() {
	while [ ! -e "$T/go" ]; do
		sleep 0.01
	done
	deploy "$2" "$D" >"$T/out.$1" 2>"$T/err.$1"
	echo $? >"$T/rc.$1"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	why=
	rm -f "$T/go" "$T"/out.* "$T"/err.* "$T"/rc.*
	pids=
	i=1
	while [ "$i" -le "$RUNS" ]; do
		# Odd rounds start with A, even ones with B.
		if [ $(((i + r) % 2)) -eq 0 ]; then
			live=$LIVE_A
		else
			live=$LIVE_B
		fi
		one "$i" "$live" &
		pids="$pids $!"
		i=$((i + 1))
	done
	: >"$T/go"
	for p in $pids; do
		wait "$p"
	done
	i=1
	ninst=0
	while [ "$i" -le "$RUNS" ]; do
		rc=$(cat "$T/rc.$i" 2>/dev/null)
		[ "$rc" = 0 ] || why="$why${why:+; }run $i: exit ${rc:-none}: \
$(cat "$T/out.$i" "$T/err.$i")"
		[ -s "$T/err.$i" ] && why="$why${why:+; }run $i: stderr: \
$(cat "$T/err.$i")"
		if grep -q ': installed [0-9a-f]* in ' "$T/out.$i"; then
			ninst=$((ninst + 1))
		elif ! grep -q ': already current$' "$T/out.$i"; then
			why="$why${why:+; }run $i: output: $(cat "$T/out.$i")"
		fi
		[ "$(wc -l <"$T/out.$i")" -eq 1 ] ||
		    why="$why${why:+; }run $i: not one line of output"
		i=$((i + 1))
	done
	s=$(set_of "$D")
	case $s in
	"A A A"|"B B B") ;;
	*) why="$why${why:+; }set is mixed (agent cafile wss): $s" ;;
	esac
	p=$(set_of "$D/.fscert/prev")
	case $p in
	"A A A"|"B B B") ;;
	*) why="$why${why:+; }rollback set .fscert/prev/ is mixed: $p" ;;
	esac
	"$FSCERT" -c "$T/empty.conf" check --host "$HOST" --ca-file "$ROOT" \
	    "$D" >"$T/check" 2>&1 </dev/null
	rc=$?
	[ "$rc" -eq 0 ] || why="$why${why:+; }fscert check exit $rc: \
$(cat "$T/check")"
	w=$(modes_ok "$D" 600) || why="$why${why:+; }$w"
	for f in agent.pem wss.pem; do
		m=$(stat -c %a "$D/$f" 2>/dev/null)
		[ "$m" = 600 ] || why="$why${why:+; }$f: mode $m, not 600"
	done
	m=$(stat -c %a "$D/cafile.pem" 2>/dev/null)
	[ "$m" = 644 ] || why="$why${why:+; }cafile.pem: mode $m, not 644"
	t=$(temps "$D")
	[ -z "$t" ] || why="$why${why:+; }temp files left: $t"
	name="round $r: $RUNS parallel deploys (A/B alternating), \
$ninst installed, set $s"
	if [ -z "$why" ]; then ok "$name"; else not_ok "$name" "$why"; fi
	r=$((r + 1))
done
echo "# $((ROUNDS * RUNS)) deploys in $(($(date +%s) - start)) s"
summary
