#!/bin/sh
# test/gates/valgrind.sh: the hardening gate "no memory error, no leak"
# under valgrind's memcheck, on the optimised code that ships.
#
# Runs, in the RelWithDebInfo build of test/run.sh (BUILD_DIR, default
# build; configured and built here when missing):
#   1. every cmocka unit test binary (BUILD_DIR/test/test_*), $(nproc) at
#      a time;
#   2. fscert itself on lineages generated here with the openssl command
#      line tool: check (text, --json, --nagios) on a good lineage and on
#      bad inputs, bundle, deploy --no-reload (first run, no change,
#      --force, --dry-run, --json, refused lineage, --move-shadowing),
#      status, vars, reload to a closed port, usage and config errors.
# Every run is under
#   valgrind --error-exitcode=99 --leak-check=full
#            --errors-for-leak-kinds=definite,indirect
#            --show-leak-kinds=definite,indirect
# so any invalid access, use of uninitialised memory, bad free, or
# definitely or indirectly lost block fails the gate.  Reachable blocks at
# exit (lib/pem.c's process-lifetime caches, OpenSSL's) are not leaks.
# A CLI case fails too when fscert's exit status is not the expected one
# (so each case is known to reach the code it is meant to).
#
# Environment: BUILD_DIR (default build); VALGRIND_KEEP=1 keeps the
# scratch directory (fixtures and one valgrind log per run).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
build=${BUILD_DIR:-build}
jobs=$(nproc)
start=$(date +%s)

echo "=== gate: valgrind (memcheck), build dir $build ==="
command -v valgrind >/dev/null 2>&1 || {
	echo "valgrind.sh: valgrind is needed (scripts/deps.sh test)" >&2
	exit 1
}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs"
build=$(cd "$build" && pwd)
FSCERT=$build/fscert

T=$(mktemp -d)
T=$(cd "$T" && pwd -P)
cleanup() {
	if [ "${VALGRIND_KEEP:-}" = 1 ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
mkdir "$T/logs"

VG="valgrind -q --error-exitcode=99 --leak-check=full
 --errors-for-leak-kinds=definite,indirect
 --show-leak-kinds=definite,indirect --num-callers=30"
nfail=0

# ------------------------------------------------------- 1. unit tests

echo "=== valgrind: unit tests ($jobs at a time) ==="
units=$(find "$build/test" -maxdepth 1 -type f -name 'test_*' -perm -u+x |
    LC_ALL=C sort)
# Longest first (ctest's recorded times, when test/run.sh's ctest ran):
# the slow ones must not start last.
cost=$build/Testing/Temporary/CTestCostData.txt
if [ -f "$cost" ]; then
	units=$(for t in $units; do
		c=$(awk -v n="$(basename "$t")" '$1 == n && NF == 3 { print $3; exit }' "$cost")
		echo "${c:-0} $t"
	done | LC_ALL=C sort -rn | cut -d' ' -f2)
fi
[ -n "$units" ] || { echo "valgrind.sh: no unit tests in $build/test" >&2; exit 1; }
# One valgrind per binary; TMPDIR as ctest sets it (test/unit.cmake).
# shellcheck disable=SC2086,SC2016 # $VG: words on purpose; sh -c '...$1'
printf '%s\n' $units | TMPDIR=$build/test xargs -P "$jobs" -I{} sh -c '
	t=$1 logs=$2; shift 2
	n=$(basename "$t")
	s=$(date +%s)
	rc=0
	"$@" --log-file="$logs/$n.vg" "$t" >"$logs/$n.out" 2>&1 || rc=$?
	echo "$rc" >"$logs/$n.rc"
	echo "  $n: exit $rc ($(( $(date +%s) - s ))s)"
' sh {} "$T/logs" $VG
for t in $units; do
	n=$(basename "$t")
	rc=$(cat "$T/logs/$n.rc")
	if [ "$rc" != 0 ] || [ -s "$T/logs/$n.vg" ]; then
		nfail=$((nfail + 1))
		echo "not ok - unit $n (exit $rc)"
		sed 's/^/#   valgrind: /' "$T/logs/$n.vg" | head -n 150
		tail -n 30 "$T/logs/$n.out" | sed 's/^/#   output: /'
	else
		echo "ok - unit $n"
	fi
done

# ------------------------------------------------------- 2. fixtures

echo "=== valgrind: fixtures ==="
HOST=sip.example.test
F=$T/pki
mkdir "$F"
cat >"$F/openssl.cnf" <<'EOF'
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
CNF=$F/openssl.cnf
# RSA: an ECDSA leaf is a warning (older desk phones).
key() {	# OUT
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1" 2>/dev/null
}
# sign CSR-SUBJECT KEY OUT EXT DAYS CA-PREFIX [FAKETIME-OFFSET]
sign() {
	openssl req -new -key "$2" -subj "$1" -config "$CNF" -out "$3.csr"
	faketime -f "${7:-+0}" openssl x509 -req -in "$3.csr" \
	    -CA "$6.pem" -CAkey "$6.key" -set_serial "0x$(openssl rand -hex 8)" \
	    -days "$5" -sha256 -extfile "$CNF" -extensions "$4" \
	    -out "$3" 2>/dev/null
}
key "$F/root.key"
faketime -f -400d openssl req -x509 -new -key "$F/root.key" \
    -subj "/CN=fscert gate root" -days 3650 -sha256 -config "$CNF" \
    -extensions v3_root -out "$F/root.pem"
key "$F/int.key"
sign "/CN=fscert gate intermediate" "$F/int.key" "$F/int.pem" v3_int 3650 \
    "$F/root" -400d
key "$F/leaf.key"
sign "/CN=$HOST" "$F/leaf.key" "$F/leaf.pem" v3_leaf 90 "$F/int"
sign "/CN=$HOST" "$F/leaf.key" "$F/expired.pem" v3_leaf 90 "$F/int" -200d
key "$F/other.key"
ROOT=$F/root.pem

# lineage NAME CERT KEY: a certbot config dir $T/cfg/NAME holding one
# lineage for $HOST, laid out as certbot lays it out.
lineage() {
	a=$T/cfg/$1/archive/$HOST
	l=$T/cfg/$1/live/$HOST
	mkdir -p "$a" "$l"
	cp "$2" "$a/cert1.pem"
	cp "$F/int.pem" "$a/chain1.pem"
	cat "$2" "$F/int.pem" >"$a/fullchain1.pem"
	cp "$3" "$a/privkey1.pem"
	chmod 600 "$a/privkey1.pem"
	for f in cert chain fullchain privkey; do
		ln -s "../../archive/$HOST/${f}1.pem" "$l/$f.pem"
	done
}
lineage good "$F/leaf.pem" "$F/leaf.key"
lineage expired "$F/expired.pem" "$F/leaf.key"
lineage mismatch "$F/leaf.pem" "$F/other.key"
lineage garbage "$F/leaf.pem" "$F/leaf.key"
printf 'not a certificate\n-----BEGIN CERTIFICATE-----\n%%%%%%\n' \
    >"$T/cfg/garbage/archive/$HOST/cert1.pem"
lineage truncated "$F/leaf.pem" "$F/leaf.key"
head -n 4 "$F/leaf.pem" >"$T/cfg/truncated/archive/$HOST/cert1.pem"
lineage empty "$F/leaf.pem" "$F/leaf.key"
: >"$T/cfg/empty/archive/$HOST/cert1.pem"
lineage der "$F/leaf.pem" "$F/leaf.key"
openssl x509 -in "$F/leaf.pem" -outform DER \
    -out "$T/cfg/der/archive/$HOST/cert1.pem"
lineage dangling "$F/leaf.pem" "$F/leaf.key"
rm "$T/cfg/dangling/archive/$HOST/chain1.pem"
GOOD=$T/cfg/good/live/$HOST

# FreeSWITCH's directories and the config file.
mkdir -p "$T/fs/tls" "$T/fs/conf"
cat >"$T/fs/conf/vars.xml" <<'EOF'
<include>
  <X-PRE-PROCESS cmd="set" data="domain=$${local_ip_v4}"/>
</include>
EOF
cat >"$T/fscert.conf" <<EOF
[target sip]
lineage = $GOOD
cert_dir = $T/fs/tls
conf_dir = $T/fs/conf
host = $HOST
ca_file = $ROOT

[target broken]
lineage = $T/cfg/mismatch/live/$HOST
cert_dir = $T/fs/tls-broken

[event_socket]
host = 127.0.0.1
port = 1
password = ClueCon
timeout = 2

[check]
warn_days = 30
crit_days = 7
EOF
chmod 600 "$T/fscert.conf"
mkdir "$T/fs/tls-broken"
printf '[target x]\ncertdir = /nowhere\n' >"$T/bad.conf"
CONF=$T/fscert.conf

# ------------------------------------------------------- 3. the CLI

echo "=== valgrind: fscert command line ==="
ncase=0
# case EXPECTED-STATUS NAME ARG...: fscert ARG... under valgrind.
case_() {
	want=$1 name=$2
	shift 2
	ncase=$((ncase + 1))
	log=$T/logs/cli.$ncase.vg
	rc=0
	# shellcheck disable=SC2086 # $VG: words on purpose
	$VG --log-file="$log" "$FSCERT" "$@" </dev/null \
	    >"$T/logs/cli.$ncase.out" 2>&1 || rc=$?
	if [ "$rc" = "$want" ] && [ ! -s "$log" ]; then
		echo "ok - $name (exit $rc)"
		return
	fi
	nfail=$((nfail + 1))
	if [ "$rc" = 99 ]; then
		echo "not ok - $name: valgrind found errors"
	else
		echo "not ok - $name: exit $rc, expected $want"
	fi
	echo "#   fscert $*"
	sed 's/^/#   valgrind: /' "$log" | head -n 150
	tail -n 30 "$T/logs/cli.$ncase.out" | sed 's/^/#   output: /'
}

case_ 0 "--version" --version
case_ 2 "no command" 
case_ 2 "unknown command" frobnicate
case_ 0 "check: good lineage" check --ca-file "$ROOT" --host "$HOST" "$GOOD"
case_ 0 "check --json: good lineage" check --json --ca-file "$ROOT" "$GOOD"
case_ 0 "check --nagios: good lineage" check --nagios --ca-file "$ROOT" "$GOOD"
case_ 0 "check --cert --key --chain" check --ca-file "$ROOT" \
    --cert "$F/leaf.pem" --key "$F/leaf.key" --chain "$F/int.pem"
case_ 2 "check: several paths, one bad" check --ca-file "$ROOT" "$GOOD" \
    "$T/cfg/mismatch/live/$HOST" "$T/cfg/expired/live/$HOST"
for bad in expired mismatch garbage truncated empty der dangling; do
	case_ 2 "check --json: $bad" check --json --ca-file "$ROOT" \
	    "$T/cfg/$bad/live/$HOST"
	case_ 2 "check --nagios: $bad" check --nagios --ca-file "$ROOT" \
	    "$T/cfg/$bad/live/$HOST"
done
case_ 2 "check --json: missing path" check --json "$T/nonexistent"
case_ 2 "check --nagios: missing path" check --nagios "$T/nonexistent"
case_ 2 "check --json: wrong host" check --json --ca-file "$ROOT" \
    --host other.example.test "$GOOD"
case_ 3 "check: bad --warn-days" check --warn-days x "$GOOD"
mkdir "$T/bundle" "$T/bundle2"
case_ 0 "bundle" bundle --ca-file "$ROOT" "$GOOD" -o "$T/bundle"
case_ 1 "bundle: mismatched key" bundle --ca-file "$ROOT" \
    "$T/cfg/mismatch/live/$HOST" -o "$T/bundle2"
case_ 0 "vars" -c "$CONF" vars --target sip
case_ 0 "deploy --no-reload: first install" -c "$CONF" deploy --target sip \
    --no-reload
case_ 0 "deploy --no-reload: nothing changed" -c "$CONF" deploy \
    --target sip --no-reload
case_ 0 "deploy --no-reload --force --json" -c "$CONF" --json deploy \
    --target sip --no-reload --force
case_ 0 "deploy --dry-run" -c "$CONF" deploy --target sip --dry-run
case_ 0 "deploy --no-reload: --lineage and --cert-dir flags" -c "$CONF" \
    deploy --target sip --lineage "$GOOD" --cert-dir "$T/fs/tls" \
    --no-reload --force
case_ 1 "deploy --no-reload: refused lineage" -c "$CONF" deploy \
    --target broken --no-reload
# Files that FreeSWITCH would read instead of wss.pem and agent.pem.
for f in wss.crt wss.key ca-bundle.crt tls.pem; do
	cp "$F/leaf.pem" "$T/fs/tls/$f"
done
case_ 0 "deploy --no-reload: shadowing files, warned" -c "$CONF" deploy \
    --target sip --no-reload --force
case_ 0 "deploy --no-reload --move-shadowing" -c "$CONF" deploy \
    --target sip --no-reload --force --move-shadowing
case_ 0 "vars --write" -c "$CONF" vars --target sip --write
case_ 0 "status" -c "$CONF" status --target sip
case_ 0 "status --json" -c "$CONF" status --target sip --json
case_ 0 "check: installed cert dir" check --ca-file "$ROOT" "$T/fs/tls"
case_ 1 "reload: event socket refused" -c "$CONF" reload --target sip \
    --max-wait 1
case_ 1 "config error" -c "$T/bad.conf" status
case_ 1 "missing config file" -c "$T/nonexistent.conf" status

secs=$(( $(date +%s) - start ))
if [ "$nfail" -ne 0 ]; then
	echo "=== gate valgrind: FAILED, $nfail failed (${secs}s) ===" >&2
	exit 1
fi
echo "=== gate valgrind: passed, $ncase CLI runs and every unit test clean (${secs}s) ==="
