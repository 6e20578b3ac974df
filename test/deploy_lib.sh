# shellcheck shell=sh
# deploy_lib.sh: sourced by crash_test.sh, concurrency_test.sh and
# modes_test.sh, after lib.sh (sourced here: die, need_tools, the "ok /
# not ok" harness, the PKI).  Scratch dir, two certbot lineages A and B
# for the same host made with the openssl command line tool, the
# reference bundles a clean install of each produces, checks of an
# installed cert dir.
#
#   $T/pki/root.pem                       one root (the --ca-file)
#   $T/pki/{intA,intB}.pem                one intermediate per lineage
#   $T/{A,B}/archive/$NAME/*1.pem         lineage files
#   $T/{A,B}/live/$NAME/*.pem             -> ../../archive/$NAME/*1.pem
#   $T/ref/{A,B}/{agent,cafile,wss}.pem   what a clean install writes
#
# The two lineages differ in every file: leaf, key and intermediate, so
# any mix of A and B files across the three is detected.
#
# The caller sets FSCERT (the binary) before calling setup_scratch.
# Set FSCERT_TEST_KEEP=1 to keep the scratch directory.

# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"

HOST=sip.example.test
NAME=$HOST
FILES="agent.pem cafile.pem wss.pem"

# setup_scratch: $T, removed at exit; a copy of $FSCERT in it, so that a
# rebuild of the build dir during the test does not change the binary
# under test (or make it briefly unexecutable).
setup_scratch() {
	umask 022
	scratch_init FSCERT_TEST_KEEP deploy
	cp "$FSCERT" "$T/fscert" || die "copy $FSCERT"
	FSCERT=$T/fscert
}

# ---------------------------------------------------------------- fixtures

# make_pki: one root, and per lineage (A, B) an intermediate, a leaf for
# $HOST and the lineage in $T/A, $T/B.
make_pki() {
	P=$T/pki
	mkdir -p "$P" || exit 1
	pki_cnf "$P/openssl.cnf" "$HOST" || die "openssl.cnf"
	pki_root "$P" "/CN=fscert deploy root" || die "root"
	ROOT=$P/root.pem
	for _l in A B; do
		pki_int "$P" "int$_l" "/CN=fscert deploy intermediate $_l" 3000 ||
		    die "int$_l"
		pki_leaf "$P" "$P/leaf$_l.key" "$P/leaf$_l.pem" "/CN=$HOST" \
		    "int$_l" || die "leaf$_l"
		lineage_make "$T/$_l" "$NAME" "$P/leaf$_l.pem" "$P/leaf$_l.key" \
		    "$P/int$_l.pem" || die "lineage $_l"
	done
	# shellcheck disable=SC2034 # used by the scripts that source this
	LIVE_A=$T/A/live/$NAME
	# shellcheck disable=SC2034
	LIVE_B=$T/B/live/$NAME
}

# deploy LIVE CERTDIR [ARG...]: the deploy under test, with an empty
# config file and no FreeSWITCH to reload (--no-reload).
deploy() {
	_dl=$1
	_dd=$2
	shift 2
	"$FSCERT" -c "$T/empty.conf" deploy --no-reload --lineage "$_dl" \
	    --cert-dir "$_dd" --ca-file "$ROOT" --host "$HOST" "$@" </dev/null
}

# make_refs: $T/ref/A and $T/ref/B, each a clean install into an empty
# dir, checked once here to be self-consistent.
make_refs() {
	: >"$T/empty.conf"
	for _l in A B; do
		mkdir -p "$T/ref/$_l" || exit 1
		deploy "$T/$_l/live/$NAME" "$T/ref/$_l" >"$T/ref/$_l.out" \
		    2>"$T/ref/$_l.err" || die "clean deploy of $_l: \
$(cat "$T/ref/$_l.out" "$T/ref/$_l.err")"
		why=$(files_sane "$T/ref/$_l") || die "reference $_l: $why"
	done
	for _f in $FILES; do
		cmp -s "$T/ref/A/$_f" "$T/ref/B/$_f" &&
		    die "lineages A and B give the same $_f"
	done
	:
}

# ------------------------------------------------------------- checks

# pubkey_match FILE: the key in FILE matches its first certificate.
pubkey_match() {
	_c=$(openssl x509 -noout -pubkey -in "$1" 2>/dev/null) || return 1
	_k=$(openssl pkey -pubout -in "$1" 2>/dev/null) || return 1
	[ -n "$_c" ] && [ "$_c" = "$_k" ]
}

# files_sane DIR: the three files exist, are regular, parse, agent.pem
# and wss.pem hold a key matching their first certificate, cafile.pem has
# at least one certificate and no key.  Prints what is wrong.
files_sane() {
	_w=
	for _f in $FILES; do
		if [ ! -f "$1/$_f" ] || [ -L "$1/$_f" ]; then
			_w="$_w $_f: missing or not a regular file;"
			continue
		fi
		openssl x509 -noout -in "$1/$_f" 2>/dev/null ||
		    _w="$_w $_f: no certificate parses;"
	done
	for _f in agent.pem wss.pem; do
		[ -f "$1/$_f" ] || continue
		pubkey_match "$1/$_f" ||
		    _w="$_w $_f: key missing or does not match its leaf;"
	done
	if [ -f "$1/cafile.pem" ]; then
		_n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$1/cafile.pem")
		[ "$_n" -ge 1 ] || _w="$_w cafile.pem: no certificate;"
		grep -q -- 'PRIVATE KEY-----' "$1/cafile.pem" &&
		    _w="$_w cafile.pem: holds a key;"
	fi
	[ -z "$_w" ] && return 0
	echo "$_w"
	return 1
}

# which_version DIR FILE: prints A, B, or "neither".
which_version() {
	if cmp -s "$1/$2" "$T/ref/A/$2"; then
		echo A
	elif cmp -s "$1/$2" "$T/ref/B/$2"; then
		echo B
	else
		echo neither
	fi
}

# set_of DIR: "A A A" style versions of agent, cafile, wss.
set_of() {
	_s=
	for _f in $FILES; do
		_s="$_s${_s:+ }$(which_version "$1" "$_f")"
	done
	echo "$_s"
}

# modes_ok DIR KEYMODE: key-bearing files no more open than KEYMODE
# (octal, e.g. 600), cafile.pem no more open than 644.  Prints what is
# wrong.
modes_ok() {
	_w=
	for _f in agent.pem wss.pem cafile.pem; do
		[ -e "$1/$_f" ] || continue
		_m=$(stat -c %a "$1/$_f")
		_lim=$2
		[ "$_f" = cafile.pem ] && _lim=644
		[ $((0$_m & ~0$_lim)) -eq 0 ] ||
		    _w="$_w $_f: mode $_m, more open than $_lim;"
	done
	[ -z "$_w" ] && return 0
	echo "$_w"
	return 1
}

# temps DIR: the temp files (".NAME.<12 hex>.tmp") anywhere under DIR.
temps() {
	find "$1" -name '.*.tmp'
}
