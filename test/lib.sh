# shellcheck shell=sh
# lib.sh: sourced by the shell tests in test/ (and bench/bench_reload.sh);
# POSIX sh, usable from bash too.  What they all did alike:
#
#   need_args, die, need_tools, need_exec,      preconditions
#     skip_without
#   scratch_init                                 the scratch dir $T
#   harness, ok, not_ok, check, summary          "ok - NAME" lines
#   pki_cnf, pki_key, pki_root, pki_int,         an openssl-CLI PKI:
#     pki_leaf, pki_make                           root -> int -> leaf
#   lineage_make                                 certbot's lineage layout
#   free_port, mock_start                        loopback ports, fsmock
#
# Names the library keeps for itself start with "_lib_"; the counters are
# npass and nfail.

# need_args N MIN MAX SYNOPSIS: exit 2 with "usage: $0 SYNOPSIS" on
# stderr unless MIN <= N <= MAX (N: the script's $#).
need_args() {
	if [ "$1" -lt "$2" ] || [ "$1" -gt "$3" ]; then
		echo "usage: $0 $4" >&2
		exit 2
	fi
}

# die MSG...: "Bail out! MSG" on stderr, exit 1.
die() {
	echo "Bail out! $*" >&2
	exit 1
}

# need_tools TOOL...: bail out unless every TOOL is in PATH.
need_tools() {
	for _lib_t in "$@"; do
		command -v "$_lib_t" >/dev/null 2>&1 ||
		    die "'$_lib_t' is needed"
	done
}

# need_exec FILE...: bail out unless every FILE is executable.
need_exec() {
	for _lib_t in "$@"; do
		[ -x "$_lib_t" ] || die "no executable '$_lib_t'"
	done
}

# skip_without WHO HINT TOOL...: exit 77 (CTest: skipped) with "WHO: SKIP:
# 'TOOL' not installed (HINT)" on stderr unless every TOOL is in PATH.
skip_without() {
	_lib_who=$1
	_lib_hint=$2
	shift 2
	for _lib_t in "$@"; do
		if ! command -v "$_lib_t" >/dev/null 2>&1; then
			echo "$_lib_who: SKIP: '$_lib_t' not installed ($_lib_hint)" >&2
			exit 77
		fi
	done
}

# ------------------------------------------------------------ scratch dir

# scratch_init KEEPVAR [NAME [HOOK]]: a new scratch dir in $T (under
# $TMPDIR, named fscert-NAME.XXXXXX, symlinks resolved), removed at exit;
# kept (and named on stderr) when the variable KEEPVAR is 1.  HOOK, a
# function or command, runs first at exit (to stop servers).  HUP, INT
# and TERM exit 129, 130 and 143; otherwise the exit status is the
# script's.
scratch_init() {
	_lib_keep=$1
	_lib_hook=${3:-}
	T=$(mktemp -d "${TMPDIR:-/tmp}/fscert-${2:-test}.XXXXXX") ||
	    die "mktemp"
	T=$(cd "$T" && pwd -P) || die "scratch dir $T"
	trap _lib_scratch_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
_lib_scratch_exit() {
	_lib_rc=$?
	trap - EXIT HUP INT TERM
	if [ -n "$_lib_hook" ]; then
		"$_lib_hook" || :
	fi
	_lib_k=
	eval "_lib_k=\${$_lib_keep:-}"
	if [ "$_lib_k" = 1 ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$_lib_rc"
}

# ---------------------------------------------------------------- harness

# harness plain|numbered: zero the counters; "numbered" makes the lines
# "ok N - ..." / "not ok N - ...".  Sourcing the library calls "harness
# plain".
harness() {
	npass=0
	nfail=0
	_lib_numbered=$1
}
harness plain

_lib_line() {	# ok|"not ok" TEXT
	if [ "$_lib_numbered" = numbered ]; then
		printf '%s %d - %s\n' "$1" $((npass + nfail)) "$2"
	else
		printf '%s - %s\n' "$1" "$2"
	fi
}

# ok NAME... / not_ok NAME [WHY...]: one result line; each WHY (lines of
# them) follows as "#   " comments.
ok() {
	npass=$((npass + 1))
	_lib_line ok "$*"
}
not_ok() {
	nfail=$((nfail + 1))
	_lib_line "not ok" "$1"
	shift
	for _lib_w in "$@"; do
		printf '%s\n' "$_lib_w" | sed 's/^/#   /'
	done
}

# check NAME CMD...: ok when CMD succeeds, not ok otherwise.
check() {
	_lib_c=$1
	shift
	if "$@"; then ok "$_lib_c"; else not_ok "$_lib_c"; fi
}

# summary: "N passed, N failed"; false when a case failed.
summary() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}

# -------------------------------------------------------------------- PKI
#
# A PKI in a directory DIR made with the openssl command line tool:
# DIR/openssl.cnf, DIR/root.{key,pem}, intermediates and leaves.  A key
# file already there (and not empty) is used as it is, so that a caller
# may make the keys beforehand (in parallel).  Serials are random.  Set
# PKI_FAKETIME to an offset (faketime -f) to make the certificates then.
# Each function returns non-zero on failure.

# pki_cnf FILE HOST [EKU]: the openssl config: extensions v3_root, v3_int
# (path length 0) and v3_leaf (for DNS:HOST; extendedKeyUsage EKU,
# default serverAuth,clientAuth).
pki_cnf() {
	cat >"$1" <<EOF
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
extendedKeyUsage = ${3:-serverAuth,clientAuth}
subjectAltName = DNS:$2
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

# pki_key OUT [rsa [BITS] | ec]: a new private key, RSA (2048 bits by
# default) or EC P-256, unless OUT is there already.
pki_key() {
	[ -s "$1" ] && return 0
	case ${2:-rsa} in
	rsa)
		openssl genpkey -algorithm RSA \
		    -pkeyopt "rsa_keygen_bits:${3:-2048}" -out "$1" 2>/dev/null
		;;
	ec)
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		    -out "$1" 2>/dev/null
		;;
	*)
		return 1
		;;
	esac
}

_lib_openssl() {	# openssl, at $PKI_FAKETIME when set
	if [ -n "${PKI_FAKETIME:-}" ]; then
		faketime -f "$PKI_FAKETIME" openssl "$@"
	else
		openssl "$@"
	fi
}
_lib_serial() {
	echo "0x$(openssl rand -hex 8)"
}

# pki_root DIR SUBJECT [DAYS]: DIR/root.key (RSA) and the self-signed
# DIR/root.pem, for DAYS (3650) days.
pki_root() {
	pki_key "$1/root.key" &&
	_lib_openssl req -x509 -new -key "$1/root.key" -subj "$2" \
	    -days "${3:-3650}" -sha256 -config "$1/openssl.cnf" \
	    -extensions v3_root -set_serial "$(_lib_serial)" \
	    -out "$1/root.pem"
}

# pki_int DIR NAME SUBJECT [DAYS]: DIR/NAME.key (RSA) and DIR/NAME.pem, an
# intermediate CA under DIR/root.pem, for DAYS (3650) days.
pki_int() {
	pki_key "$1/$2.key" &&
	_lib_openssl req -new -key "$1/$2.key" -subj "$3" \
	    -config "$1/openssl.cnf" -out "$1/$2.csr" &&
	_lib_openssl x509 -req -in "$1/$2.csr" -CA "$1/root.pem" \
	    -CAkey "$1/root.key" -set_serial "$(_lib_serial)" \
	    -days "${4:-3650}" -sha256 -extfile "$1/openssl.cnf" \
	    -extensions v3_int -out "$1/$2.pem" 2>/dev/null
}

# pki_leaf DIR KEY OUT SUBJECT [CA [DAYS [DIGEST]]]: OUT, a leaf for KEY
# (made, RSA, when missing) issued by DIR/CA.pem (CA: int) for DAYS (90)
# days, signed with DIGEST (sha256).
pki_leaf() {
	pki_key "$2" &&
	_lib_openssl req -new -key "$2" -subj "$4" -config "$1/openssl.cnf" \
	    -out "$3.csr" &&
	_lib_openssl x509 -req -in "$3.csr" -CA "$1/${5:-int}.pem" \
	    -CAkey "$1/${5:-int}.key" -set_serial "$(_lib_serial)" \
	    -days "${6:-90}" "-${7:-sha256}" -extfile "$1/openssl.cnf" \
	    -extensions v3_leaf -out "$3" 2>/dev/null
}

# pki_make DIR NAME HOST [EKU]: DIR (made) with its openssl.cnf (pki_cnf
# HOST EKU), a root "/CN=NAME root" and under it the intermediate DIR/int
# "/CN=NAME intermediate".
pki_make() {
	mkdir -p "$1" &&
	pki_cnf "$1/openssl.cnf" "$3" "${4:-}" &&
	pki_root "$1" "/CN=$2 root" &&
	pki_int "$1" int "/CN=$2 intermediate"
}

# lineage_make CFG NAME CERT KEY CHAIN: certbot's layout of lineage NAME in
# the config dir CFG: CFG/archive/NAME/{cert,chain,fullchain,privkey}1.pem
# (archive/ 0700, the key 0600) and CFG/live/NAME/*.pem, relative symlinks
# to them.
lineage_make() {
	_lib_a=$1/archive/$2
	_lib_l=$1/live/$2
	mkdir -p "$_lib_a" "$_lib_l" && chmod 700 "$1/archive" &&
	cp "$3" "$_lib_a/cert1.pem" &&
	cp "$5" "$_lib_a/chain1.pem" &&
	cat "$3" "$5" >"$_lib_a/fullchain1.pem" &&
	cp "$4" "$_lib_a/privkey1.pem" &&
	chmod 600 "$_lib_a/privkey1.pem" || return 1
	for _lib_f in cert chain fullchain privkey; do
		ln -s "../../archive/$2/${_lib_f}1.pem" "$_lib_l/$_lib_f.pem" ||
		    return 1
	done
}

# ------------------------------------------------------------------ ports

# free_port: a free loopback TCP port nobody listens on.
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# mock_start DIR MODE [fsmock options]: $FSMOCK in MODE on three random
# free high loopback ports (drawn again while one is taken), serving the
# cert dir $CERTS, steered by the state dir $STATE, its output in
# DIR/mock.out and DIR/mock.err; waits until it says it is ready.  Sets
# ESL TLS WSS and MOCK (its pid), and VERTO (mod_verto's secure port) when
# MOCK_VERTO=1; returns 1, the reason in MOCK_WHY, when
# it does not start.
# shellcheck disable=SC2034 # MOCK_WHY: for the caller
mock_start() {
	_lib_d=$1
	_lib_m=$2
	shift 2
	_lib_tries=0
	while :; do
		_lib_tries=$((_lib_tries + 1))
		if [ $_lib_tries -gt 30 ]; then
			MOCK_WHY="no free ports for fsmock"
			return 1
		fi
		read -r ESL TLS WSS <<EOF
$(python3 -c 'import random; print(*random.sample(range(20001, 60000, 2), 3))')
EOF
		# With MOCK_VERTO=1, mod_verto's secure port too: WSS + 1
		# (even, so never one of another fsmock's sampled ports).
		_lib_v=
		if [ "${MOCK_VERTO:-}" = 1 ]; then
			VERTO=$((WSS + 1))
			_lib_v=$VERTO
		fi
		"$FSMOCK" --esl-port "$ESL" --tls-port "$TLS" --wss-port "$WSS" \
		    --cert-dir "$CERTS" --state-dir "$STATE" --mode "$_lib_m" \
		    ${_lib_v:+--verto-port "$_lib_v"} \
		    "$@" >"$_lib_d/mock.out" 2>"$_lib_d/mock.err" &
		MOCK=$!
		_lib_i=0
		while [ $_lib_i -lt 100 ]; do
			grep -q '^fsmock: ready$' "$_lib_d/mock.out" 2>/dev/null && break
			kill -0 "$MOCK" 2>/dev/null || break
			sleep 0.05
			_lib_i=$((_lib_i + 1))
		done
		grep -q '^fsmock: ready$' "$_lib_d/mock.out" && return 0
		kill "$MOCK" 2>/dev/null
		wait "$MOCK" 2>/dev/null
		if ! grep -q 'Address already in use' "$_lib_d/mock.err"; then
			MOCK_WHY="fsmock did not start: $(cat "$_lib_d/mock.err")"
			return 1
		fi
	done
}
