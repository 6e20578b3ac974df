#!/bin/sh
#
# crash_test.sh BUILD_DIR: the install invariant under fault injection.
#
# Two certbot lineages A and B for the same host (deploy_lib.sh).  A is
# installed first; then, for every system call class an install uses
# (write, fsync, fdatasync, rename*, fchmod, fchown, close, openat,
# mkdirat, unlinkat, ...) and every occurrence N of it during a deploy of
# B (counted first by a plain strace run), the deploy of B is run once
# with EIO injected at the Nth call and once with SIGKILL delivered on
# entering it (the kernel then never runs the call), via
#
#   strace -e inject=SYSCALL:error=EIO:when=N
#   strace -e inject=SYSCALL:signal=KILL:when=N
#
# After each run:
#   - each of agent.pem, cafile.pem and wss.pem is byte for byte lineage
#     A's or lineage B's version, as a clean install of A and of B writes
#     it, and so is each file kept in .fscert/prev/.  The two reference
#     sets were checked once (openssl): the files are regular, parse, the
#     key in agent.pem and in wss.pem matches its first certificate
#     ("openssl x509 -pubkey" = "openssl pkey -pubout"), cafile.pem has a
#     certificate and no key; so the files checked here exist (none is
#     ever deleted), parse and match too.  (A file that is neither is
#     diagnosed with the same openssl checks.)  Comparing bytes instead of
#     running openssl seven times per case keeps the test near a minute;
#   - no key-bearing file (agent.pem, wss.pem, their temp files, in the
#     cert dir or in .fscert/prev/) is more open than 0600, cafile.pem
#     not more than 0644;
#   - EIO: the injection fired; a call whose failure loses data (write,
#     fsync, rename, fchmod, fchown, mkdirat or openat of our files, close
#     of a temp file) makes the run exit non-zero; any run that exits
#     non-zero prints exactly one line and it names the file (its path or
#     name); a run that exits 0 has installed B; no temp file is left;
#   - SIGKILL: the run was killed;
#   - then a normal deploy of B exits 0 and installs B, "fscert check
#     CERTDIR --ca-file ROOT" exits 0, no ".*.tmp" file is left anywhere
#     under CERTDIR, and .fscert/prev/ holds a set from one lineage only
#     (the rollback set is never a mix);
#   - and, when this fscert keeps a pending-reload marker for deploys
#     with --no-reload (.fscert/pending), the marker is there after the
#     recovery run: a crash must not lose the reload B's install owes.
#
# All deploys run with --no-reload (there is no FreeSWITCH here).
#
# Two starting states: "fresh" (A installed into an empty dir: no
# .fscert/prev/ yet) and "renew" (B then A installed: prev/ holds B).
#
# Prints "ok - NAME" / "not ok - NAME" per injection, then
# "N passed, N failed"; exits 1 when a case failed, 77 without strace.
# FSCERT_CRASH_SCENARIOS="fresh renew" picks the starting states.
# Set FSCERT_TEST_KEEP=1 to keep the scratch directory.

set -u

# shellcheck source=test/deploy_lib.sh
. "$(dirname "$0")/deploy_lib.sh"
need_args $# 1 1 BUILD_DIR
FSCERT=$1/fscert
need_exec "$FSCERT"
if ! command -v strace >/dev/null 2>&1; then
	echo "# skip: strace is needed"
	exit 77
fi
need_tools openssl cmp find stat sed awk
# strace needs ptrace: it fails inside some containers.
if ! strace -qq -o /dev/null true 2>/dev/null; then
	echo "# skip: strace cannot trace here (ptrace not permitted?)"
	exit 77
fi

setup_scratch
start=$(date +%s)
make_pki
make_refs

# The classes this architecture has (rename, for one, is not on arm64).
CLASSES=
for c in write fsync fdatasync rename renameat renameat2 fchmod fchmodat \
    fchown fchownat close openat open mkdirat unlinkat; do
	strace -qq -o /dev/null -e trace="$c" true 2>/dev/null &&
	    CLASSES="$CLASSES${CLASSES:+,}$c"
done

D=$T/certdir
ERR=$T/stderr
OUT=$T/stdout
LOG=$T/strace.log

# Starting states.
mkdir "$T/base.fresh" "$T/base.renew" || exit 1
deploy "$LIVE_A" "$T/base.fresh" >/dev/null 2>&1 || die "fresh: deploy A"
deploy "$LIVE_B" "$T/base.renew" >/dev/null 2>&1 || die "renew: deploy B"
deploy "$LIVE_A" "$T/base.renew" >/dev/null 2>&1 || die "renew: deploy A"
for s in fresh renew; do
	[ "$(set_of "$T/base.$s")" = "A A A" ] || die "$s: base is not A"
done
# A deploy with --no-reload leaves a pending-reload marker (when this
# fscert has them): then after a crash and the recovery run a reload of B
# must still be owed.  The bases stand for "A installed and loaded": no
# marker.
PENDING=
if [ -e "$T/ref/A/.fscert/pending" ]; then
	PENDING=1
	rm -f "$T/base.fresh/.fscert/pending" "$T/base.renew/.fscert/pending"
fi

reset_dir() {
	rm -rf "$D" || die "rm $D"
	cp -a "$T/base.$1" "$D" || die "copy base.$1"
}

# strace_deploy ARG...: deploy B under strace ARG..., output in $OUT,
# $ERR, trace in $LOG; sets rc.
strace_deploy() {
	strace -f -qq -y -o "$LOG" "$@" "$FSCERT" -c "$T/empty.conf" deploy \
	    --no-reload --lineage "$LIVE_B" --cert-dir "$D" --ca-file "$ROOT" \
	    --host "$HOST" </dev/null >"$OUT" 2>"$ERR"
	rc=$?
}

# The trace line of a call, without the pid; "resumed" halves joined is
# not needed: fscert is one thread.
strip_pid() {
	sed 's/^[0-9][0-9]* *//'
}

# object LINE: the path a traced call works on, from strace -y output:
# the fd's path, or dirfd path + "/" + name for *at calls, or the target
# of a rename.  Prints "FD PATH" (FD is the first fd argument or -).
object() {
	printf '%s\n' "$1" | awk '
	function fdpath(s,   m) {	# "7</a/b>" -> "/a/b"
		if (match(s, /<[^>]*>/))
			return substr(s, RSTART + 1, RLENGTH - 2)
		return ""
	}
	function fdnum(s) { sub(/<.*/, "", s); return s }
	function quoted(s,   m) {
		if (match(s, /"[^"]*"/))
			return substr(s, RSTART + 1, RLENGTH - 2)
		return ""
	}
	{
		call = $0
		sub(/\(.*/, "", call)
		args = $0
		sub(/^[^(]*\(/, "", args)
		n = split(args, a, ", ")
		if (call ~ /^rename/) {
			# renameat(OLDDIR, "old", NEWDIR, "new"): the new name.
			if (call == "rename")
				print "- " quoted(a[2])
			else
				print "- " fdpath(a[3]) "/" quoted(a[4])
		} else if (call ~ /at$/) {
			# openat, mkdirat, unlinkat, fchmodat, fchownat.
			name = quoted(a[2])
			if (name ~ /^\//)
				print "- " name
			else
				print "- " fdpath(a[1]) "/" name
		} else if (call == "open") {
			print "- " quoted(a[1])
		} else {
			print fdnum(a[1]) " " fdpath(a[1])
		}
	}'
}

# names_file PATH FILE: the one-line message in FILE names PATH: its base
# name, certbot's archive names (cert1.pem) as the live names the reader
# reports (cert.pem), a shared library (the dynamic loader's message) by
# its soname (libssl.so.3.0.1 as libssl.so.3).
names_file() {
	_b=${1##*/}
	case $1 in
	"$T"/[AB]/archive/*)
		_b=$(printf '%s\n' "$_b" | sed 's/[0-9][0-9]*\.pem$/.pem/')
		;;
	esac
	while :; do
		grep -qF -- "$_b" "$2" && return 0
		case $_b in
		*.so.*) _b=${_b%.*} ;;
		*) return 1 ;;
		esac
	done
}

is_temp() {
	case ${1##*/} in
	.*.[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].tmp)
		return 0 ;;
	esac
	return 1
}

# expect CALL FD PATH LINE: what an EIO here requires of the run.
#   fail:   the call writes (or opens for writing) the cert dir, the
#           rollback set, the lock, or reads what the install needs:
#           the run must exit non-zero;
#   marker: the call writes the pending-reload marker (.fscert/pending,
#           its temp file, .fscert itself) after the install: exit 0 is
#           accepted when a message names the file (the three files are
#           installed; the marker is bookkeeping);
#   any:    reading, closing a file that was read, stdout and stderr, or
#           not our file at all: either outcome (a run that exits 0 must
#           still have installed B: checked apart).
# Our files are everything under $T.
expect() {
	_e=any
	case $2 in 1|2) echo any; return ;; esac
	case $3 in
	"$T"/*) ;;
	*) echo any; return ;;
	esac
	case $1 in
	write|fsync|fdatasync|fchmod|fchmodat|fchown|fchownat|rename|\
	renameat|renameat2|mkdirat)
		_e=fail ;;
	openat|open)
		case $4 in *O_CREAT*|*O_WRONLY*|*O_RDWR*) _e=fail ;; esac ;;
	close)
		is_temp "$3" && _e=fail ;;
	esac
	if [ "$_e" = fail ]; then
		case $3 in
		"$D/.fscert"|"$D/.fscert/pending"|"$D"/.fscert/.pending.*.tmp)
			_e=marker ;;
		esac
	fi
	echo "$_e"
}

# Key-bearing files (and their temp files) under $D more open than 0600.
loose_keys() {
	find "$D" \( -name agent.pem -o -name wss.pem -o \
	    -name '.agent.pem.*.tmp' -o -name '.wss.pem.*.tmp' \) \
	    -perm /077 -printf '%p %m\n'
	find "$D" \( -name cafile.pem -o -name '.cafile.pem.*.tmp' \) \
	    -perm /133 -printf '%p %m\n'
}

# after_run: the invariant on $D now; appends to $why.
after_run() {
	_s=$(set_of "$D")
	case " $_s " in
	*neither*)
		_w=$(files_sane "$D")
		why="$why${why:+; }a file is neither A's nor B's: $_s;$_w" ;;
	esac
	if [ -d "$D/.fscert/prev" ]; then
		for _f in $FILES; do
			[ -e "$D/.fscert/prev/$_f" ] || continue
			[ "$(which_version "$D/.fscert/prev" "$_f")" = neither ] &&
			    why="$why${why:+; }prev/$_f is neither A's nor B's"
		done
	fi
	_l=$(loose_keys)
	[ -z "$_l" ] || why="$why${why:+; }too open: $_l"
}

# recover: the next normal run finishes the job.
recover() {
	deploy "$LIVE_B" "$D" >"$OUT" 2>"$ERR"
	_r=$?
	[ "$_r" -eq 0 ] || why="$why${why:+; }recovery deploy exit $_r: \
$(cat "$OUT" "$ERR")"
	_s=$(set_of "$D")
	[ "$_s" = "B B B" ] || why="$why${why:+; }after recovery: $_s"
	"$FSCERT" -c "$T/empty.conf" check "$D" --ca-file "$ROOT" \
	    >"$OUT" 2>&1 </dev/null
	_r=$?
	[ "$_r" -eq 0 ] || why="$why${why:+; }fscert check exit $_r: \
$(cat "$OUT")"
	_t=$(temps "$D")
	[ -z "$_t" ] || why="$why${why:+; }temp files left: $_t"
	_p=$(set_of "$D/.fscert/prev")
	case $_p in
	"A A A"|"B B B") ;;
	*) why="$why${why:+; }rollback set .fscert/prev/ is mixed \
(agent cafile wss): $_p" ;;
	esac
	_l=$(loose_keys)
	[ -z "$_l" ] || why="$why${why:+; }too open after recovery: $_l"
	if [ -n "$PENDING" ] && [ ! -e "$D/.fscert/pending" ]; then
		why="$why${why:+; }no reload owed after recovery (no \
.fscert/pending): B is installed but would never be loaded"
	fi
}

# Readable case names: the scratch dir as T, temp names as XXXX.
describe() {
	printf '%s\n' "$1" | sed -e "s#$T#T#g" \
	    -e 's/\.[0-9a-f]\{12\}\.tmp/.XXXX.tmp/g' -e 's/ = .*//' \
	    -e 's/"-----[^"]*"\.\.\./DATA/' |
	    cut -c1-110
}

ninj=0
notes=
for scen in ${FSCERT_CRASH_SCENARIOS:-fresh renew}; do
	reset_dir "$scen"
	strace_deploy -e trace="$CLASSES"
	[ "$rc" -eq 0 ] || die "$scen: plain strace deploy of B: exit $rc"
	strip_pid <"$LOG" >"$T/count.$scen"
	for cls in $(echo "$CLASSES" | tr , ' '); do
		total=$(grep -c "^$cls(" "$T/count.$scen")
		echo "# $scen: $cls: $total calls"
		idx=1
		while [ "$idx" -le "$total" ]; do
			call=$(grep "^$cls(" "$T/count.$scen" | sed -n "${idx}p")
			desc=$(describe "$call")
			ninj=$((ninj + 1))

			# EIO at the Nth call.
			name="$scen: EIO at $cls #$idx: $desc"
			why=
			reset_dir "$scen"
			strace_deploy -e trace="$cls" \
			    -e inject="$cls:error=EIO:when=$idx"
			line=$(grep 'INJECTED' "$LOG" | strip_pid | head -n 1)
			if [ -z "$line" ]; then
				why="injection did not fire (exit $rc)"
			else
				obj=$(object "$line")
				fd=${obj%% *}
				path=${obj#* }
				nl=$(wc -l <"$ERR")
				exp=$(expect "$cls" "$fd" "$path" "$line")
				if [ "$rc" -eq 0 ] && [ "$exp" = fail ]; then
					why="exit 0 although $cls failed"
				elif [ "$rc" -eq 0 ] && [ "$exp" = marker ] &&
				    ! names_file "$path" "$ERR"; then
					if [ "$cls" = fsync ]; then
						notes="$notes
# $scen: EIO at fsync #$idx of $path (the pending-reload marker's dir): \
exit 0, ignored silently"
					else
						why="exit 0, and no message names \
'$path' (pending-reload marker not written)"
					fi
				fi
				if [ "$rc" -ne 0 ]; then
					[ "$nl" -eq 1 ] || why="$why${why:+; }$nl \
lines on stderr, expected 1: $(cat "$ERR")"
					names_file "$path" "$ERR" || why="$why${why:+; }\
message does not name '$path': $(cat "$ERR")"
				else
					[ "$(set_of "$D")" = "B B B" ] ||
					    why="$why${why:+; }exit 0 but the set \
is $(set_of "$D")"
					case $fd in 1|2)
						notes="$notes
# $scen: EIO writing fd $fd: exit 0, the message is lost" ;;
					esac
				fi
				t=$(temps "$D")
				[ -z "$t" ] || why="$why${why:+; }temp files left \
after the failed run: $t"
			fi
			after_run
			recover
			if [ -z "$why" ]; then ok "$name"; else not_ok "$name" "$why"; fi

			# SIGKILL on entering the Nth call.
			name="$scen: SIGKILL at $cls #$idx: $desc"
			why=
			reset_dir "$scen"
			strace_deploy -e trace="$cls" \
			    -e inject="$cls:signal=KILL:when=$idx"
			[ "$rc" -eq 137 ] || why="not killed (exit $rc): \
$(cat "$ERR")"
			after_run
			recover
			if [ -z "$why" ]; then ok "$name"; else not_ok "$name" "$why"; fi
			idx=$((idx + 1))
		done
	done
done
[ -z "$notes" ] || printf '%s\n' "$notes"
echo "# $ninj injection points x 2 (EIO, SIGKILL) in $(($(date +%s) - start)) s"
summary
