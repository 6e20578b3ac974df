#!/bin/sh
#
# modes_test.sh BUILD_DIR [MODES_WATCH]: what a reader of the cert dir
# can see while fscert installs, watched by modes_watch (inotify; see
# modes_watch.c): no key-bearing file (agent.pem, wss.pem, their temp
# files, in CERTDIR and CERTDIR/.fscert/prev) is ever observed more open
# than configured, none of the three files is ever missing, deleted or
# anything but lineage A's or B's complete version.
#
# Two certbot lineages A and B for the same host (deploy_lib.sh).  Phases:
#   0600:  deploys alternating A and B, no --group: key files 0600;
#   0640:  the same with --group nogroup (not root: the user's own
#          group): key files 0640, that group (the first run turns 0600
#          into 0640);
# each phase runs half its deploys plainly and, when strace is there,
# half under strace with a delay after every fchown, fchmod, write,
# fsync and rename, so that the watcher's lstat() surely sees each step
# (created, chowned, chmodded, written, renamed).  Then a plain deploy
# turns the files back to 0600.
#
# MODES_WATCH is the watcher binary (default: BUILD_DIR/modes_watch,
# BUILD_DIR/test/modes_watch, else compiled here with cc).
# Prints "ok - NAME" / "not ok - NAME" per phase with the watcher's
# counts, then "N passed, N failed"; exits 1 when a phase failed.
# FSCERT_MODES_DEPLOYS (default 12) deploys per phase.
# Set FSCERT_TEST_KEEP=1 to keep the scratch directory.

set -u

SRC=$(cd "$(dirname "$0")" && pwd) || exit 1
# shellcheck source=test/deploy_lib.sh
. "$SRC/deploy_lib.sh"
need_args $# 1 2 "BUILD_DIR [MODES_WATCH]"
FSCERT=$1/fscert
need_exec "$FSCERT"
need_tools openssl cmp find stat getent

WATCH=${2:-}
if [ -z "$WATCH" ]; then
	for w in "$1/modes_watch" "$1/test/modes_watch"; do
		[ -x "$w" ] && WATCH=$w && break
	done
fi
NDEP=${FSCERT_MODES_DEPLOYS:-12}

setup_scratch
start=$(date +%s)
if [ -z "$WATCH" ]; then
	need_tools cc
	WATCH=$T/modes_watch
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -o "$WATCH" \
	    "$SRC/modes_watch.c" || die "cannot build modes_watch"
fi
[ -x "$WATCH" ] || die "no watcher '$WATCH'"
make_pki
make_refs

# The delayed variant: strace, with the call names this architecture has.
SLOW=
if command -v strace >/dev/null 2>&1 &&
    strace -qq -o /dev/null true 2>/dev/null; then
	for c in fchown fchmod write fsync rename renameat renameat2; do
		strace -qq -o /dev/null -e trace="$c" true 2>/dev/null &&
		    SLOW="$SLOW${SLOW:+,}$c"
	done
else
	echo "# strace unusable: plain deploys only"
fi

D=$T/certdir
mkdir "$D" || exit 1
# prev/ must exist to be watched: two installs make it.
deploy "$LIVE_A" "$D" >/dev/null 2>&1 || die "first deploy of A"
deploy "$LIVE_B" "$D" >/dev/null 2>&1 || die "first deploy of B"
[ -d "$D/.fscert/prev" ] || die "no $D/.fscert/prev after two deploys"

# A group fscert may give the files: any as root, else one of ours.
if [ "$(id -u)" -eq 0 ]; then
	GROUP=nogroup
else
	GROUP=$(id -gn)
fi
GID=$(getent group "$GROUP" | cut -d: -f3)

# phase NAME MODE [--group G]: one watched phase.
phase() {
	pname=$1
	pmode=$2
	shift 2
	gopt=
	[ $# -gt 0 ] && gopt="-g $GID"
	why=
	: >"$T/watch.out"
	# shellcheck disable=SC2086
	"$WATCH" -m "$pmode" $gopt -a "$T/ref/A" -b "$T/ref/B" "$D" \
	    >"$T/watch.out" 2>&1 &
	wpid=$!
	i=0
	while ! grep -q '^ready$' "$T/watch.out"; do
		i=$((i + 1))
		if [ "$i" -gt 500 ] || ! kill -0 "$wpid" 2>/dev/null; then
			not_ok "$pname: watcher did not start" \
			    "$(cat "$T/watch.out")"
			kill "$wpid" 2>/dev/null
			wait "$wpid" 2>/dev/null
			return
		fi
		sleep 0.01
	done
	n=1
	nslow=0
	while [ "$n" -le "$NDEP" ]; do
		if [ $((n % 2)) -eq 1 ]; then live=$LIVE_A; else live=$LIVE_B; fi
		if [ -n "$SLOW" ] && [ $(((n - 1) / 2 % 2)) -eq 1 ]; then
			nslow=$((nslow + 1))
			strace -f -qq -o /dev/null -e trace="$SLOW" \
			    -e inject="$SLOW:delay_exit=3000" \
			    "$FSCERT" -c "$T/empty.conf" deploy --no-reload \
			    --lineage "$live" --cert-dir "$D" --ca-file "$ROOT" \
			    --host "$HOST" "$@" </dev/null >"$T/dep.out" 2>&1
		else
			deploy "$live" "$D" "$@" >"$T/dep.out" 2>&1
		fi
		rc=$?
		[ "$rc" -eq 0 ] || why="$why${why:+; }deploy $n exit $rc: \
$(cat "$T/dep.out")"
		grep -q ': installed ' "$T/dep.out" ||
		    why="$why${why:+; }deploy $n installed nothing: \
$(cat "$T/dep.out")"
		n=$((n + 1))
	done
	kill -TERM "$wpid"
	wait "$wpid"
	wrc=$?
	summ=$(grep '^observations ' "$T/watch.out")
	[ "$wrc" -eq 0 ] || why="$why${why:+; }watcher exit $wrc: \
$(grep -v '^ready$' "$T/watch.out")"
	[ -n "$summ" ] || why="$why${why:+; }no watcher summary"
	nobs=$(printf '%s\n' "$summ" | sed -n 's/^observations \([0-9]*\).*/\1/p')
	[ "${nobs:-0}" -gt 0 ] || why="$why${why:+; }nothing observed"
	name="$pname: $NDEP deploys ($nslow slowed by strace), $summ"
	if [ -z "$why" ]; then ok "$name"; else not_ok "$name" "$why"; fi
}

# control: the watcher itself catches a loose key file and a file that
# is not a complete version (a truncated agent.pem renamed into place).
control() {
	why=
	"$WATCH" -m 600 -a "$T/ref/A" -b "$T/ref/B" "$D" >"$T/watch.out" 2>&1 &
	wpid=$!
	i=0
	while ! grep -q '^ready$' "$T/watch.out" && [ "$i" -lt 500 ]; do
		i=$((i + 1))
		sleep 0.01
	done
	chmod 644 "$D/wss.pem"
	head -c 1000 "$D/agent.pem" >"$D/.agent.pem.0123456789ab.tmp"
	chmod 600 "$D/.agent.pem.0123456789ab.tmp"
	mv "$D/.agent.pem.0123456789ab.tmp" "$D/agent.pem"
	# Until the watcher has seen the rename (a fixed 50 ms was not
	# always enough on a loaded machine), at most 5 s.
	i=0
	while ! grep -q "violation: $D/agent.pem: 1000 bytes" "$T/watch.out" &&
	    [ "$i" -lt 500 ]; do
		i=$((i + 1))
		sleep 0.01
	done
	kill -TERM "$wpid"
	wait "$wpid"
	wrc=$?
	[ "$wrc" -eq 1 ] || why="watcher exit $wrc, expected 1"
	grep -q "violation: $D/wss.pem: mode 0644, more open than 0600" \
	    "$T/watch.out" || why="$why${why:+; }loose wss.pem not reported"
	grep -q "violation: $D/agent.pem: 1000 bytes, neither" \
	    "$T/watch.out" || why="$why${why:+; }truncated agent.pem not \
reported"
	if [ -z "$why" ]; then ok "control: the watcher reports a 0644 key \
file and a truncated agent.pem"
	else not_ok "control: the watcher reports a 0644 key file and a \
truncated agent.pem" "$why" "$(cat "$T/watch.out")"; fi
	# Repair by hand (fscert would too, but not in a watched phase).
	cp -p "$T/ref/B/agent.pem" "$D/agent.pem"
	chmod 600 "$D/wss.pem"
	[ "$(set_of "$D")" = "B B B" ] || die "control: repair failed"
}
control

phase "key mode 0600" 600
if [ -n "$GID" ]; then
	phase "key mode 0640, --group $GROUP" 640 --group "$GROUP"
else
	echo "# no group '$GROUP': 0640 phase skipped"
fi

# Back to the default: 0600 again, owner and group of the cert dir.
why=
deploy "$LIVE_A" "$D" >"$T/dep.out" 2>&1 ||
    why="deploy exit $?: $(cat "$T/dep.out")"
for f in agent.pem wss.pem; do
	m=$(stat -c '%a %g' "$D/$f")
	[ "$m" = "600 $(stat -c %g "$D")" ] ||
	    why="$why${why:+; }$f: mode and group $m"
done
t=$(temps "$D")
[ -z "$t" ] || why="$why${why:+; }temp files left: $t"
if [ -z "$why" ]; then ok "without --group again: key files 0600"
else not_ok "without --group again: key files 0600" "$why"; fi

echo "# $(($(date +%s) - start)) s"
summary
