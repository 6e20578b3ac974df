# shellcheck shell=sh
# deploy_lib.sh: sourced by crash_test.sh, concurrency_test.sh and
# modes_test.sh.  Scratch dir, two certbot lineages A and B for the same
# host made with the openssl command line tool, the reference bundles a
# clean install of each produces, checks of an installed cert dir, and
# the "ok / not ok" harness.
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

HOST=sip.example.test
NAME=$HOST
FILES="agent.pem cafile.pem wss.pem"

npass=0
nfail=0

die() {
	echo "Bail out! $*" >&2
	exit 1
}

need_tools() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
		    die "'$tool' is needed"
	done
}

# ok NAME / not_ok NAME WHY...: one result line.
ok() {
	npass=$((npass + 1))
	printf 'ok - %s\n' "$1"
}
not_ok() {
	nfail=$((nfail + 1))
	printf 'not ok - %s\n' "$1"
	shift
	for _w in "$@"; do
		printf '%s\n' "$_w" | sed 's/^/#   /'
	done
}
summary() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}

# setup_scratch: $T, removed at exit; a copy of $FSCERT in it, so that a
# rebuild of the build dir during the test does not change the binary
# under test (or make it briefly unexecutable).
setup_scratch() {
	umask 022
	T=$(mktemp -d) || exit 1
	T=$(cd "$T" && pwd -P) || exit 1
	trap scratch_cleanup EXIT
	trap 'exit 1' HUP INT TERM
	cp "$FSCERT" "$T/fscert" || die "copy $FSCERT"
	FSCERT=$T/fscert
}
scratch_cleanup() {
	if [ "${FSCERT_TEST_KEEP:-}" = 1 ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
}

# ---------------------------------------------------------------- fixtures

make_pki() {
	P=$T/pki
	mkdir -p "$P" || exit 1
	cat >"$P/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:sip.example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	_cnf=$P/openssl.cnf
	genkey "$P/root.key"
	openssl req -x509 -new -key "$P/root.key" -subj "/CN=fscert deploy root" \
	    -days 3650 -sha256 -config "$_cnf" -extensions v3_root \
	    -set_serial "0x$(openssl rand -hex 8)" -out "$P/root.pem" ||
	    die "root"
	ROOT=$P/root.pem
	for _l in A B; do
		genkey "$P/int$_l.key"
		openssl req -new -key "$P/int$_l.key" \
		    -subj "/CN=fscert deploy intermediate $_l" -config "$_cnf" \
		    -out "$P/int$_l.csr" || die "int$_l csr"
		openssl x509 -req -in "$P/int$_l.csr" -CA "$P/root.pem" \
		    -CAkey "$P/root.key" -set_serial "0x$(openssl rand -hex 8)" \
		    -days 3000 -sha256 -extfile "$_cnf" -extensions v3_int \
		    -out "$P/int$_l.pem" 2>/dev/null || die "int$_l"
		genkey "$P/leaf$_l.key"
		openssl req -new -key "$P/leaf$_l.key" -subj "/CN=$HOST" \
		    -config "$_cnf" -out "$P/leaf$_l.csr" || die "leaf$_l csr"
		openssl x509 -req -in "$P/leaf$_l.csr" -CA "$P/int$_l.pem" \
		    -CAkey "$P/int$_l.key" -set_serial "0x$(openssl rand -hex 8)" \
		    -days 90 -sha256 -extfile "$_cnf" -extensions v3_leaf \
		    -out "$P/leaf$_l.pem" 2>/dev/null || die "leaf$_l"
		lineage "$T/$_l" "$P/leaf$_l.pem" "$P/int$_l.pem" "$P/leaf$_l.key"
	done
	# shellcheck disable=SC2034 # used by the scripts that source this
	LIVE_A=$T/A/live/$NAME
	# shellcheck disable=SC2034
	LIVE_B=$T/B/live/$NAME
}

genkey() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1" 2>/dev/null || die "genpkey $1"
}

# lineage CFG CERT CHAIN KEY: certbot's layout of lineage $NAME in CFG.
lineage() {
	_a=$1/archive/$NAME
	_l=$1/live/$NAME
	mkdir -p "$_a" "$_l" || die "mkdir $1"
	chmod 700 "$1/archive"
	cp "$2" "$_a/cert1.pem"
	cp "$3" "$_a/chain1.pem"
	cat "$2" "$3" >"$_a/fullchain1.pem"
	cp "$4" "$_a/privkey1.pem"
	chmod 600 "$_a/privkey1.pem"
	for _f in cert chain fullchain privkey; do
		ln -s "../../archive/$NAME/${_f}1.pem" "$_l/$_f.pem" || die "ln"
	done
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
