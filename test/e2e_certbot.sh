#!/bin/bash
#
# e2e_certbot.sh BUILD_DIR - end-to-end test of fscert against real certbot
# lineages issued and force-renewed by a local pebble (Let's Encrypt's ACME
# test server) on 127.0.0.1. Needs Debian's pebble, certbot, openssl, python3.
#
# BUILD_DIR is the directory holding the fscert binary (CTest passes
# $<TARGET_FILE_DIR:fscert>). Prints one "ok N - ..." / "not ok N - ..." line
# per assertion and "N passed, N failed" last; exits 1 on any failure, 77 when
# pebble or certbot are not installed (CTest SKIP_RETURN_CODE).
# FSCERT_E2E_KEEP=1 keeps the scratch directory. Ports: see scripts/pebble-env.sh.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/pebble-env.sh
. "$here/../scripts/pebble-env.sh"
# shellcheck source=test/lib.sh
. "$here/lib.sh"

need_args $# 1 1 BUILD_DIR
build=$(cd "$1" 2>/dev/null && pwd) || build=$1
FSCERT=$build/fscert

skip_without e2e_certbot "Debian: apt-get install pebble certbot openssl python3" \
	pebble pebble-challtestsrv certbot openssl python3

# The scratch dir; at exit pebble stops first.
scratch_init FSCERT_E2E_KEEP e2e pebble_stop
scratch=$T
harness numbered

# finish - the summary line, and the exit status.
finish() {
	if summary; then exit 0; fi
	exit 1
}

# expect DESC EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected: %s\n#   got:      %s\n' "$2" "$3"
	fi
}

# setup DESC CMD... - a step everything after depends on: stop on failure.
setup() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		finish
	fi
}

# run NAME CMD... - run CMD, keep its exit status in $rc and its stdout and
# stderr in $scratch/NAME.out and $scratch/NAME.err.
rc=0
run() {
	local name=$1
	shift
	rc=0
	"$@" >"$scratch/$name.out" 2>"$scratch/$name.err" || rc=$?
}

# show NAME - the output of a `run`, as TAP comments (after a failure).
show() {
	echo "#   \$ ${last_cmd:-}"
	sed 's/^/#   stdout: /' "$scratch/$1.out"
	sed 's/^/#   stderr: /' "$scratch/$1.err"
}

# fscert_run NAME ARGS... - run fscert; NAME.out/NAME.err, $rc.
fscert_run() {
	local name=$1
	shift
	last_cmd="$FSCERT $*"
	run "$name" "$FSCERT" "$@"
}

# expect_rc DESC WANT NAME - exit status of the last run NAME.
expect_rc() {
	if [ "$rc" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   expected exit $2, got $rc"
		show "$3"
	fi
}

# json FILE PYEXPR - evaluate PYEXPR with d = the parsed JSON in FILE, print
# the result as compact JSON ("<invalid json: ...>" when it does not parse).
json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        d = json.load(f)
    r = eval(sys.argv[2], {"d": d})
except Exception as e:  # report, the caller compares strings
    r = "<invalid json: %s: %s>" % (type(e).__name__, e)
print(json.dumps(r, sort_keys=True, separators=(",", ":")))
EOF
}

# fps FILE - SHA-256 fingerprints of every certificate in FILE, in order, one a line.
fps() {
	awk -v cmd="openssl x509 -noout -fingerprint -sha256" '
		/^-----BEGIN CERTIFICATE-----/ { c = 1 }
		c { print | cmd }
		/^-----END CERTIFICATE-----/ { if (c) close(cmd); c = 0 }' "$1"
}

# fp_hex FILE - the first certificate's SHA-256 as lowercase hex without colons.
fp_hex() {
	openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# pubkey FILE - the public half of the (first) private key in FILE.
pubkey() {
	openssl pkey -in "$1" -pubout 2>&1
}

# mode FILE - octal permission bits.
mode() {
	stat -c %a "$1" 2>/dev/null || echo "missing"
}

t0=$(date +%s)
echo "# scratch: $scratch, fscert: $FSCERT"

# --- pebble + certbot: issue, then force-renew once ----------------------------
setup "pebble and mock DNS start on 127.0.0.1" pebble_start "$scratch"
setup "pebble root and intermediate fetched" pebble_roots "$scratch"
ROOT=$PEBBLE_ROOT_PEM

ECDSA=sip.example.test
RSA=pbx.example.test
setup "certbot issues $ECDSA (ECDSA P-256)" certbot_issue "$scratch" "$ECDSA" "$ECDSA"
setup "certbot issues $RSA (RSA 2048)" certbot_issue "$scratch" "$RSA" "$RSA" --key-type rsa

for name in "$ECDSA" "$RSA"; do
	live=$(certbot_live "$scratch" "$name")
	expect "$name: live cert.pem -> cert1.pem after issuance" \
		"../../archive/$name/cert1.pem" "$(readlink "$live/cert.pem")"
	setup "certbot force-renews $name" certbot_renew "$scratch" "$name"
	for kind in cert chain fullchain privkey; do
		expect "$name: live $kind.pem -> ../../archive/$name/${kind}2.pem after renewal" \
			"../../archive/$name/${kind}2.pem" "$(readlink "$live/$kind.pem")"
	done
	arch=$scratch/certbot/config/archive/$name
	if [ "$(fp_hex "$arch/cert1.pem")" != "$(fp_hex "$arch/cert2.pem")" ]; then
		ok "$name: cert2.pem is a new certificate"
	else
		not_ok "$name: cert2.pem is a new certificate"
	fi
	expect "$name: chain2.pem is pebble's intermediates/0" \
		"$(fps "$PEBBLE_INTERMEDIATE_PEM")" "$(fps "$arch/chain2.pem")"
done
expect "$RSA: certbot made an RSA 2048 key" "rsaEncryption 2048" \
	"$(openssl x509 -noout -text -in "$scratch/certbot/config/archive/$RSA/cert2.pem" |
		sed -n 's/.*Public Key Algorithm: //p; s/.*Public-Key: (\([0-9]*\) bit).*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
expect "$ECDSA: certbot made an ECDSA P-256 key" "id-ecPublicKey prime256v1" \
	"$(openssl x509 -noout -text -in "$scratch/certbot/config/archive/$ECDSA/cert2.pem" |
		sed -n 's/.*Public Key Algorithm: //p; s/.*ASN1 OID: //p' | tr '\n' ' ' | sed 's/ $//')"
echo "# pebble + certbot: $(($(date +%s) - t0))s"

# --- fscert ------------------------------------------------------------------
if [ ! -x "$FSCERT" ]; then
	not_ok "fscert binary exists: $FSCERT"
	finish
fi

for name in "$ECDSA" "$RSA"; do
	live=$(certbot_live "$scratch" "$name")
	arch=$scratch/certbot/config/archive/$name
	if [ "$name" = "$RSA" ]; then
		want_rc=0 want_status=OK want_rules='[]' want_key='["RSA",2048]'
	else
		# certbot's default: a note that leaves the status OK
		want_rc=0 want_status=OK want_rules='["ecdsa-key"]' want_key='["EC",256]'
	fi

	# check, text
	fscert_run "check-$name" check --ca-file "$ROOT" --host "$name" "$live"
	expect_rc "$name: fscert check --ca-file ROOT --host $name LIVE exits $want_rc" "$want_rc" "check-$name"

	# check, JSON
	fscert_run "json-$name" check --json --ca-file "$ROOT" --host "$name" "$live"
	j=$scratch/json-$name.out
	expect_rc "$name: fscert check --json exits $want_rc" "$want_rc" "json-$name"
	if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$j" 2>/dev/null; then
		ok "$name: fscert check --json prints valid JSON"
	else
		not_ok "$name: fscert check --json prints valid JSON"
		show "json-$name"
	fi
	expect "$name: --json finding rules are exactly $want_rules" "$want_rules" \
		"$(json "$j" '[f["rule"] for p in d["paths"] for f in p["findings"]]')"
	expect "$name: --json status" "[\"$want_status\",$want_rc]" "$(json "$j" '[d["status"], d["exit"]]')"
	expect "$name: --json path kind/status" "[\"live\",\"$want_status\"]" \
		"$(json "$j" '[d["paths"][0]["kind"], d["paths"][0]["status"]]')"
	expect "$name: --json key type/bits" "$want_key" \
		"$(json "$j" '[d["paths"][0]["key_type"], d["paths"][0]["key_bits"]]')"
	expect "$name: --json sha256 is cert2.pem's" "\"$(fp_hex "$arch/cert2.pem")\"" \
		"$(json "$j" 'd["paths"][0]["sha256"].replace(":", "").lower()')"
	expect "$name: --json names" "[\"$name\"]" "$(json "$j" 'd["paths"][0]["names"]')"

	# wrong host: CRITICAL
	fscert_run "wrong-$name" check --ca-file "$ROOT" --host wrong.example.test "$live"
	expect_rc "$name: fscert check --host wrong.example.test exits 2" 2 "wrong-$name"
	fscert_run "wrongj-$name" check --json --ca-file "$ROOT" --host wrong.example.test "$live"
	expect "$name: --host wrong.example.test gives a CRITICAL host-mismatch" '[["CRITICAL"]]' \
		"$(json "$scratch/wrongj-$name.out" '[[f["severity"] for f in p["findings"] if f["rule"] == "host-mismatch"] for p in d["paths"]]')"

	# bundle
	out=$scratch/freeswitch-$name
	mkdir "$out"
	fscert_run "bundle-$name" bundle --ca-file "$ROOT" --host "$name" "$live" -o "$out"
	expect_rc "$name: fscert bundle --ca-file ROOT --host $name LIVE -o OUT exits 0" 0 "bundle-$name"
	expect "$name: OUT holds exactly agent.pem cafile.pem wss.pem" "agent.pem cafile.pem wss.pem" \
		"$(cd "$out" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
	expect "$name: agent.pem mode 600" 600 "$(mode "$out/agent.pem")"
	expect "$name: cafile.pem mode 644" 644 "$(mode "$out/cafile.pem")"
	expect "$name: wss.pem mode 600" 600 "$(mode "$out/wss.pem")"
	expect "$name: agent.pem's certificate is live cert2.pem" \
		"$(fps "$arch/cert2.pem")" "$(fps "$out/agent.pem")"
	expect "$name: agent.pem's key is privkey2.pem" "$(pubkey "$arch/privkey2.pem")" "$(pubkey "$out/agent.pem")"
	expect "$name: cafile.pem's certificates are chain2.pem's" \
		"$(fps "$arch/chain2.pem")" "$(fps "$out/cafile.pem")"
	expect "$name: wss.pem's certificates are fullchain2.pem's" \
		"$(fps "$arch/fullchain2.pem")" "$(fps "$out/wss.pem")"
	expect "$name: wss.pem's key is privkey2.pem" "$(pubkey "$arch/privkey2.pem")" "$(pubkey "$out/wss.pem")"
	if [ "$name" = "$ECDSA" ]; then
		if grep -q '^fscert: note: .*ECDSA' "$scratch/bundle-$name.err"; then
			ok "$name: bundle prints the ECDSA note as 'fscert: note: ...' on stderr"
		else
			not_ok "$name: bundle prints the ECDSA note as 'fscert: note: ...' on stderr"
			show "bundle-$name"
		fi
		# a fleet of RSA-only phones: key_types = rsa refuses it
		fscert_run "rsaonly-$name" check --json --key-types rsa --ca-file "$ROOT" --host "$name" "$live"
		expect_rc "$name: fscert check --key-types rsa exits 2" 2 "rsaonly-$name"
		expect "$name: --key-types rsa: a refusing ecdsa-key finding" '[[true,"CRITICAL"]]' \
			"$(json "$scratch/rsaonly-$name.out" '[[f["refuse"], f["severity"]] for p in d["paths"] for f in p["findings"] if f["rule"] == "ecdsa-key"]')"
	fi

	# the installed directory checks like the live one
	fscert_run "inst-$name" check --json --ca-file "$ROOT" --host "$name" "$out"
	expect_rc "$name: fscert check on the bundled dir exits $want_rc" "$want_rc" "inst-$name"
	expect "$name: bundled dir is kind 'installed' with rules $want_rules" "[\"installed\",$want_rules]" \
		"$(json "$scratch/inst-$name.out" '[d["paths"][0]["kind"], [f["rule"] for f in d["paths"][0]["findings"]]]')"

	# a refused bundle leaves DIR untouched
	refused=$scratch/refused-$name
	mkdir "$refused"
	fscert_run "refuse-$name" bundle --ca-file "$ROOT" --host wrong.example.test "$live" -o "$refused"
	expect_rc "$name: fscert bundle --host wrong.example.test is refused (exit 1)" 1 "refuse-$name"
	expect "$name: refused bundle leaves DIR empty" "" "$(ls -A "$refused")"
done

# without --ca-file pebble's root is not in the system store: WARNING only
fscert_run "notrust" check --json --host "$RSA" "$(certbot_live "$scratch" "$RSA")"
expect_rc "$RSA: fscert check without --ca-file exits 1 (untrusted is a warning)" 1 "notrust"
expect "$RSA: without --ca-file the only rule is untrusted" '["untrusted"]' \
	"$(json "$scratch/notrust.out" '[f["rule"] for p in d["paths"] for f in p["findings"]]')"

echo "# total: $(($(date +%s) - t0))s"
finish
