#!/bin/sh
#
# cli_test.sh BUILD_DIR: exit statuses and messages of "fscert check" and
# "fscert bundle", run as a user would run them, against certificate
# lineages generated here with the openssl command line tool and laid out
# as certbot lays them out:
#
#   CFG/archive/NAME/{cert1,chain1,fullchain1,privkey1}.pem
#   CFG/live/NAME/cert.pem -> ../../archive/NAME/cert1.pem  (and so on)
#
# Prints "ok - NAME" or "not ok - NAME" (with the output as "#" lines) per
# case, then "N passed, N failed"; exits 1 when a case failed.
# Set FSCERT_TEST_KEEP=1 to keep the scratch directory.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"
need_args $# 1 1 BUILD_DIR
FSCERT=$1/fscert
need_exec "$FSCERT"
need_tools openssl faketime python3 timeout sha256sum stat

umask 022
# Messages carry resolved paths: so is the scratch dir $T.
scratch_init FSCERT_TEST_KEEP cli

HOST=sip.example.test
NAME=$HOST
OUT=$T/stdout
ERR=$T/stderr

# ---------------------------------------------------------------- fixtures

F=$T/fixtures
mkdir "$F" || exit 1

rsakey() {	# OUT [BITS]
	pki_key "$1" rsa "${2:-2048}" || die "genpkey RSA $1"
}
eckey() {	# OUT
	pki_key "$1" ec || die "genpkey EC $1"
}

# Root and intermediate were made 400 days ago, for 10 years, so that a
# leaf issued "in the past" (faketime) has a chain valid at that time too.
mkca() {	# DIR CN
	PKI_FAKETIME=-400d
	pki_make "$1" "$2" "$HOST" || die "CA $1"
	PKI_FAKETIME=
}

# leaf KEY OUT [DAYS [FAKETIME-OFFSET [DIGEST]]]: a leaf for $HOST issued
# by the fixture intermediate.
leaf() {
	PKI_FAKETIME=${4:-+0}
	pki_leaf "$F" "$1" "$2" "/CN=$HOST" int "${3:-90}" "${5:-sha256}" ||
	    die "leaf $2"
	PKI_FAKETIME=
}

# lineage CFG CERT KEY [CHAIN]: a certbot config dir at CFG holding one
# lineage $NAME; prints nothing.
lineage() {
	lineage_make "$1" "$NAME" "$2" "$3" "${4:-$F/int.pem}" ||
	    die "lineage $1"
}

mkca "$F" "fscert test"
mkca "$F/other" "fscert other"
ROOT=$F/root.pem

rsakey "$F/rsa.key"
leaf "$F/rsa.key" "$F/rsa.pem"
eckey "$F/ec.key"
leaf "$F/ec.key" "$F/ec.pem"
rsakey "$F/rsa2.key"
leaf "$F/rsa2.key" "$F/rsa2.pem"
leaf "$F/rsa.key" "$F/expired.pem" 90 -200d
leaf "$F/rsa.key" "$F/future.pem" 90 +10d
leaf "$F/rsa.key" "$F/soon15.pem" 15
leaf "$F/rsa.key" "$F/soon5.pem" 5
leaf "$F/rsa.key" "$F/sha1.pem" 90 +0 sha1
rsakey "$F/weak.key" 1024
leaf "$F/weak.key" "$F/weak.pem"
openssl x509 -in "$F/rsa.pem" -outform DER -out "$F/rsa.der" ||
    die "der"
openssl pkey -in "$F/rsa.key" -aes256 -passout pass:secret \
    -out "$F/enc8.key" || die "enc8"
openssl rsa -in "$F/rsa.key" -aes256 -passout pass:secret -traditional \
    -out "$F/enctrad.key" 2>/dev/null || die "enctrad"

# The lineages, one certbot config dir each.
C=$T/cfg
lineage "$C/good" "$F/rsa.pem" "$F/rsa.key"
lineage "$C/ecdsa" "$F/ec.pem" "$F/ec.key"
lineage "$C/mismatch" "$F/rsa.pem" "$F/rsa2.key"
lineage "$C/expired" "$F/expired.pem" "$F/rsa.key"
lineage "$C/future" "$F/future.pem" "$F/rsa.key"
lineage "$C/soon15" "$F/soon15.pem" "$F/rsa.key"
lineage "$C/soon5" "$F/soon5.pem" "$F/rsa.key"
lineage "$C/sha1" "$F/sha1.pem" "$F/rsa.key"
lineage "$C/weak" "$F/weak.pem" "$F/weak.key"
lineage "$C/enc8" "$F/rsa.pem" "$F/enc8.key"
lineage "$C/enctrad" "$F/rsa.pem" "$F/enctrad.key"

lineage "$C/nokey" "$F/rsa.pem" "$F/rsa.key"
rm "$C/nokey/live/$NAME/privkey.pem"

lineage "$C/dangling" "$F/rsa.pem" "$F/rsa.key"
rm "$C/dangling/live/$NAME/chain.pem"
ln -s "../../archive/$NAME/chain9.pem" "$C/dangling/live/$NAME/chain.pem"

lineage "$C/escape" "$F/rsa.pem" "$F/rsa.key"
mkdir "$T/elsewhere" && cp "$F/rsa.pem" "$T/elsewhere/cert.pem"
rm "$C/escape/live/$NAME/cert.pem"
ln -s "$T/elsewhere/cert.pem" "$C/escape/live/$NAME/cert.pem"

lineage "$C/der" "$F/rsa.pem" "$F/rsa.key"
cp "$F/rsa.der" "$C/der/archive/$NAME/cert1.pem"

lineage "$C/truncated" "$F/rsa.pem" "$F/rsa.key"
head -n 5 "$F/rsa.pem" >"$C/truncated/archive/$NAME/cert1.pem"

lineage "$C/oversize" "$F/rsa.pem" "$F/rsa.key"
python3 -c 'import sys; sys.stdout.write("# padding\n" * 120000)' \
    >>"$C/oversize/archive/$NAME/cert1.pem"

lineage "$C/fullchain" "$F/rsa.pem" "$F/rsa.key"
cat "$F/rsa2.pem" "$F/int.pem" >"$C/fullchain/archive/$NAME/fullchain1.pem"

lineage "$C/readable" "$F/rsa.pem" "$F/rsa.key"
chmod 644 "$C/readable/archive/$NAME/privkey1.pem"

GOOD=$C/good/live/$NAME

# ------------------------------------------------------------- harness

name=
why=
rc=

# run ARG...: fscert with no terminal input and a time limit; sets rc.
run() {
	timeout 10 "$FSCERT" "$@" </dev/null >"$OUT" 2>"$ERR"
	rc=$?
}

begin() {
	name=$1
	why=
	: >"$OUT"
	: >"$ERR"
}
fail() {
	why="$why${why:+; }$*"
}
expect_rc() {
	[ "$rc" = "$1" ] || fail "exit status $rc, expected $1"
}
# expect_out TEXT...: every TEXT (fixed string) in stdout or stderr.
expect_out() {
	for s in "$@"; do
		cat "$OUT" "$ERR" | grep -qF -- "$s" ||
		    fail "output lacks '$s'"
	done
}
# expect_out_i TEXT...: the same, ignoring case.
expect_out_i() {
	for s in "$@"; do
		cat "$OUT" "$ERR" | grep -qiF -- "$s" ||
		    fail "output lacks '$s' (any case)"
	done
}
# expect_json EXPR [MSG]: stdout is one JSON object j and EXPR is true.
expect_json() {
	python3 - "$OUT" "$1" <<'EOF' || fail "${2:-json: $1}"
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
try:
    j = json.loads(text)
except ValueError as e:
    print("# not JSON: %s" % e)
    sys.exit(1)
if not isinstance(j, dict):
    sys.exit(1)
def rules(p):
    return [f.get("rule") for f in p.get("findings", [])]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
EOF
}
end() {
	if [ -z "$why" ]; then
		ok "$name"
		return
	fi
	not_ok "$name" "$why" "command: fscert $last"
	sed 's/^/#   stdout: /' "$OUT"
	sed 's/^/#   stderr: /' "$ERR"
}
# c ARG...: run and remember the command line for the report.
c() {
	last="$*"
	run "$@"
}
last=

# tree DIR: names, types, modes, owners, sizes and times of DIR and all in
# it, and checksums of its files.
tree() {
	(cd "$1" && find . -printf '%p %y %m %u:%g %s %T@\n' | LC_ALL=C sort &&
	    find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}
# names DIR: the names in DIR, sorted, on one line.
names() {
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort |
	    tr '\n' ' '
}
# mode FILE: octal permission bits.
mode() {
	stat -c %a "$1"
}
# subjects FILE: the subject of every certificate in FILE, in order.
subjects() {
	openssl crl2pkcs7 -nocrl -certfile "$1" 2>/dev/null |
	    openssl pkcs7 -print_certs -noout 2>/dev/null |
	    sed -n 's/^subject=//p' | tr -d ' '
}

# ---------------------------------------------------------------- check

begin "check: good RSA lineage, --ca-file root: OK"
c check --ca-file "$ROOT" "$GOOD"
expect_rc 0
expect_out "$GOOD: OK" "'$HOST'"
end

begin "check: good RSA lineage, system store: untrusted is a WARNING"
c check "$GOOD"
expect_rc 1
expect_out "$GOOD: WARNING"
end

begin "check: --ca-file of an unrelated root: CRITICAL"
c check --ca-file "$F/other/root.pem" "$GOOD"
expect_rc 2
expect_out "$GOOD: CRITICAL"
end

# An ECDSA key is a note: the status is unchanged (DESIGN.md).
begin "check: ECDSA lineage: OK, with a note naming ecdsa"
c check --ca-file "$ROOT" "$C/ecdsa/live/$NAME"
expect_rc 0
expect_out_i "ecdsa"
expect_out "cert.pem" "$C/ecdsa/live/$NAME: OK"
end

begin "check: key does not match: CRITICAL naming privkey.pem"
c check --ca-file "$ROOT" "$C/mismatch/live/$NAME"
expect_rc 2
expect_out "privkey.pem" "does not match" "$C/mismatch/live/$NAME: CRITICAL"
end

begin "check: expired leaf: CRITICAL"
c check --ca-file "$ROOT" "$C/expired/live/$NAME"
expect_rc 2
expect_out "cert.pem" "expired"
end

begin "check: leaf not yet valid: CRITICAL"
c check --ca-file "$ROOT" "$C/future/live/$NAME"
expect_rc 2
expect_out "cert.pem"
end

begin "check: expires in 15 days: WARNING"
c check --ca-file "$ROOT" "$C/soon15/live/$NAME"
expect_rc 1
end

begin "check: expires in 5 days: CRITICAL"
c check --ca-file "$ROOT" "$C/soon5/live/$NAME"
expect_rc 2
end

begin "check: --warn-days 3 --crit-days 1 on 15 days: OK"
c check --ca-file "$ROOT" --warn-days 3 --crit-days 1 "$C/soon15/live/$NAME"
expect_rc 0
end

begin "check: missing privkey.pem: CRITICAL naming it"
c check --ca-file "$ROOT" "$C/nokey/live/$NAME"
expect_rc 2
expect_out "privkey.pem"
end

begin "check: dangling chain.pem symlink: CRITICAL naming it"
c check --ca-file "$ROOT" "$C/dangling/live/$NAME"
expect_rc 2
expect_out "chain.pem"
end

begin "check: symlink out of the config dir: CRITICAL naming both paths"
c check --ca-file "$ROOT" "$C/escape/live/$NAME"
expect_rc 2
expect_out "$C/escape/live/$NAME/cert.pem" "$T/elsewhere/cert.pem"
end

begin "check: DER cert.pem: CRITICAL naming DER"
c check --ca-file "$ROOT" "$C/der/live/$NAME"
expect_rc 2
expect_out "cert.pem" "DER"
end

begin "check: truncated PEM block: CRITICAL"
c check --ca-file "$ROOT" "$C/truncated/live/$NAME"
expect_rc 2
expect_out "cert.pem"
end

begin "check: cert.pem over 1 MiB: CRITICAL"
c check --ca-file "$ROOT" "$C/oversize/live/$NAME"
expect_rc 2
expect_out "cert.pem" "larger than"
end

begin "check: encrypted key (PKCS#8): CRITICAL, no password prompt"
c check --ca-file "$ROOT" "$C/enc8/live/$NAME"
expect_rc 2
expect_out "privkey.pem" "encrypted"
end

begin "check: encrypted key (traditional): CRITICAL, no password prompt"
c check --ca-file "$ROOT" "$C/enctrad/live/$NAME"
expect_rc 2
expect_out "privkey.pem" "encrypted"
end

begin "check: fullchain.pem is not cert + chain: CRITICAL"
c check --ca-file "$ROOT" "$C/fullchain/live/$NAME"
expect_rc 2
expect_out "fullchain.pem"
end

begin "check: RSA 1024 key: CRITICAL"
c check --ca-file "$ROOT" "$C/weak/live/$NAME"
expect_rc 2
expect_out "cert.pem"
end

begin "check: SHA-1 signature: CRITICAL"
c check --ca-file "$ROOT" "$C/sha1/live/$NAME"
expect_rc 2
expect_out "cert.pem"
end

begin "check: private key readable by others: WARNING"
c check --ca-file "$ROOT" "$C/readable/live/$NAME"
expect_rc 1
expect_out "privkey.pem"
end

begin "check: --host not covered: CRITICAL"
c check --ca-file "$ROOT" --host other.example.test "$GOOD"
expect_rc 2
expect_out "cert.pem" "other.example.test"
end

begin "check: --host covered: OK"
c check --ca-file "$ROOT" --host "$HOST" "$GOOD"
expect_rc 0
end

begin "check: --cert/--key/--chain files: OK"
c check --ca-file "$ROOT" --cert "$F/rsa.pem" --key "$F/rsa.key" \
    --chain "$F/int.pem"
expect_rc 0
end

begin "check: two paths: worst status wins"
c check --ca-file "$ROOT" "$GOOD" "$C/soon15/live/$NAME"
expect_rc 1
expect_out "$GOOD: OK" "$C/soon15/live/$NAME: WARNING"
end

begin "check: unknown option: UNKNOWN (3)"
c check --bogus "$GOOD"
expect_rc 3
expect_out "bogus"
end

begin "check: no such directory: CRITICAL naming it"
c check --ca-file "$ROOT" "$T/nonexistent"
expect_rc 2
expect_out "$T/nonexistent"
end

begin "check --nagios: good: one line FSCERT OK with perfdata"
c check --nagios --ca-file "$ROOT" "$GOOD"
expect_rc 0
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "stdout is not exactly one line"
case $(head -n 1 "$OUT") in
"FSCERT OK"*"|days="*) ;;
*) fail "not 'FSCERT OK ...|days=...'" ;;
esac
end

begin "check --nagios: key mismatch: one line FSCERT CRITICAL"
c check --nagios --ca-file "$ROOT" "$C/mismatch/live/$NAME"
expect_rc 2
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "stdout is not exactly one line"
case $(head -n 1 "$OUT") in
"FSCERT CRITICAL"*"|days="*) ;;
*) fail "not 'FSCERT CRITICAL ...|days=...'" ;;
esac
end

begin "check --json: good: parses, status OK"
c check --json --ca-file "$ROOT" "$GOOD"
expect_rc 0
expect_json 'j["status"] == "OK" and j["exit"] == 0 and
    len(j["paths"]) == 1 and j["paths"][0]["kind"] == "live" and
    j["paths"][0]["key_type"] == "RSA" and
    j["paths"][0]["key_bits"] == 2048 and
    "sip.example.test" in j["paths"][0]["names"] and
    j["paths"][0]["days_left"] >= 88' "json: status/kind/key/names"
end

begin "fscert --json check: key mismatch: key-mismatch finding"
c --json check --ca-file "$ROOT" "$C/mismatch/live/$NAME"
expect_rc 2
expect_json 'j["status"] == "CRITICAL" and j["exit"] == 2 and
    any(f["rule"] == "key-mismatch" and f["severity"] == "CRITICAL" and
    f["refuse"] is True and "privkey.pem" in f["message"]
    for f in j["paths"][0]["findings"])' "json: key-mismatch finding"
end

begin "check --json: ECDSA: ecdsa-key finding"
c check --json --ca-file "$ROOT" "$C/ecdsa/live/$NAME"
expect_rc 0
expect_json 'j["status"] == "OK" and
    "ecdsa-key" in rules(j["paths"][0]) and
    j["paths"][0]["key_type"] == "EC"' "json: ecdsa-key finding"
end

# --------------------------------------------------------------- bundle

TLS=$T/tls
mkdir "$TLS"

begin "bundle: good lineage: writes the three files, modes 600/644/600"
c bundle --ca-file "$ROOT" "$GOOD" -o "$TLS"
expect_rc 0
expect_out "wrote" "$TLS/agent.pem" "$TLS/cafile.pem" "$TLS/wss.pem"
for f in agent.pem cafile.pem wss.pem; do
	[ -f "$TLS/$f" ] || fail "no $f"
done
if [ -z "$why" ]; then
	[ "$(mode "$TLS/agent.pem")" = 600 ] || fail "agent.pem mode"
	[ "$(mode "$TLS/cafile.pem")" = 644 ] || fail "cafile.pem mode"
	[ "$(mode "$TLS/wss.pem")" = 600 ] || fail "wss.pem mode"
	[ "$(names "$TLS")" = "agent.pem cafile.pem wss.pem " ] ||
	    fail "other files in $TLS: $(names "$TLS")"
	leafsub=$(subjects "$F/rsa.pem")
	intsub=$(subjects "$F/int.pem")
	[ "$(subjects "$TLS/agent.pem")" = "$leafsub" ] ||
	    fail "agent.pem is not the leaf alone"
	[ "$(subjects "$TLS/cafile.pem")" = "$intsub" ] ||
	    fail "cafile.pem is not the intermediate alone"
	[ "$(subjects "$TLS/wss.pem" | tr '\n' ' ')" = "$leafsub $intsub " ] ||
	    fail "wss.pem is not leaf + intermediate"
	grep -q 'PRIVATE KEY' "$TLS/agent.pem" || fail "agent.pem has no key"
	grep -q 'PRIVATE KEY' "$TLS/wss.pem" || fail "wss.pem has no key"
	! grep -q 'PRIVATE KEY' "$TLS/cafile.pem" || fail "cafile.pem has a key"
fi
end

begin "bundle: -q prints nothing on stdout"
mkdir "$T/tlsq"
c -q bundle --ca-file "$ROOT" "$GOOD" -o "$T/tlsq"
expect_rc 0
[ ! -s "$OUT" ] || fail "stdout not empty"
[ -f "$T/tlsq/wss.pem" ] || fail "no wss.pem"
end

begin "bundle: ECDSA: written, a note on stderr"
mkdir "$T/tlsec"
c bundle --ca-file "$ROOT" "$C/ecdsa/live/$NAME" -o "$T/tlsec"
expect_rc 0
grep -qi '^fscert: note: .*ecdsa' "$ERR" ||
    fail "no 'fscert: note: ...ecdsa' line on stderr"
[ -f "$T/tlsec/agent.pem" ] || fail "no agent.pem"
end

OLD=$T/tlsold
mkdir "$OLD"
for f in agent.pem cafile.pem wss.pem; do
	echo "old $f" >"$OLD/$f"
done
chmod 600 "$OLD/agent.pem" "$OLD/wss.pem"
touch -d '2020-01-01 00:00:00' "$OLD"/*.pem "$OLD"

begin "bundle: key mismatch: refused, output dir untouched"
tree "$OLD" >"$T/before"
c bundle --ca-file "$ROOT" "$C/mismatch/live/$NAME" -o "$OLD"
expect_rc 1
grep -q '^fscert: bundle: .*privkey\.pem.*does not match' "$ERR" ||
    fail "no 'fscert: bundle: ...privkey.pem...does not match' line"
tree "$OLD" >"$T/after"
if ! cmp -s "$T/before" "$T/after"; then
	fail "output dir changed: $(diff "$T/before" "$T/after" | tr '\n' ' ')"
fi
end

begin "bundle: expired leaf: refused, output dir untouched"
tree "$OLD" >"$T/before"
c bundle --ca-file "$ROOT" "$C/expired/live/$NAME" -o "$OLD"
expect_rc 1
grep -q '^fscert: bundle: .*cert\.pem' "$ERR" ||
    fail "no 'fscert: bundle: ...cert.pem' line"
tree "$OLD" >"$T/after"
cmp -s "$T/before" "$T/after" ||
    fail "output dir changed: $(diff "$T/before" "$T/after" | tr '\n' ' ')"
end

begin "bundle: encrypted key: refused, no password prompt"
tree "$OLD" >"$T/before"
c bundle --ca-file "$ROOT" "$C/enc8/live/$NAME" -o "$OLD"
expect_rc 1
expect_out "privkey.pem" "encrypted"
tree "$OLD" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "output dir changed"
end

# A good lineage over an old set with the wrong modes: replaced, modes set.
MODES=$T/tlsmodes
mkdir "$MODES"
for f in agent.pem cafile.pem wss.pem; do
	echo "old $f" >"$MODES/$f"
done
chmod 644 "$MODES/agent.pem" "$MODES/wss.pem"
chmod 600 "$MODES/cafile.pem"

begin "bundle: replaces an old set, sets modes 600/644/600"
c bundle --ca-file "$ROOT" "$GOOD" -o "$MODES"
expect_rc 0
[ "$(mode "$MODES/agent.pem")" = 600 ] || fail "agent.pem mode"
[ "$(mode "$MODES/cafile.pem")" = 644 ] || fail "cafile.pem mode"
[ "$(mode "$MODES/wss.pem")" = 600 ] || fail "wss.pem mode"
for f in agent.pem cafile.pem wss.pem; do
	cmp -s "$TLS/$f" "$MODES/$f" || fail "$f differs from a fresh bundle"
done
[ "$(names "$MODES")" = "agent.pem cafile.pem wss.pem " ] ||
    fail "other files in $MODES: $(names "$MODES")"
end

begin "bundle: --cert/--key/--chain files: written"
mkdir "$T/tlsfiles"
c bundle --ca-file "$ROOT" --cert "$F/rsa.pem" --key "$F/rsa.key" \
    --chain "$F/int.pem" -o "$T/tlsfiles"
expect_rc 0
for f in agent.pem cafile.pem wss.pem; do
	cmp -s "$TLS/$f" "$T/tlsfiles/$f" || fail "$f differs from the lineage's"
done
end

begin "bundle: output dir does not exist: failed (1) naming it"
c bundle --ca-file "$ROOT" "$GOOD" -o "$T/nonexistent"
expect_rc 1
expect_out "$T/nonexistent"
[ ! -e "$T/nonexistent" ] || fail "$T/nonexistent was created"
end

begin "bundle: unknown option: usage (2)"
c bundle --bogus "$GOOD" -o "$T/tls"
expect_rc 2
expect_out "bogus"
end

begin "bundle: no -o: usage (2)"
c bundle --ca-file "$ROOT" "$GOOD"
expect_rc 2
end

# ------------------------------------------------- check, installed kind

begin "check: the bundle's output dir (installed): OK"
c check --ca-file "$ROOT" "$TLS"
expect_rc 0
expect_out "$TLS: OK"
end

begin "check --json: installed kind"
c check --json --ca-file "$ROOT" "$TLS"
expect_rc 0
expect_json 'j["paths"][0]["kind"] == "installed" and
    j["paths"][0]["status"] == "OK"' "json: kind installed, OK"
end

begin "check --nagios: lineage and installed dir: one perfdata label each"
c check --nagios --ca-file "$ROOT" "$GOOD" "$TLS"
expect_rc 0
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "stdout is not exactly one line"
case $(head -n 1 "$OUT") in
"FSCERT OK"*"|"*"days_$NAME"*"days_tls"*) ;;
*) fail "not 'FSCERT OK ...|...days_$NAME...days_tls...'" ;;
esac
end

# --cert/--key files and a path in one run: two perfdata labels (this
# crashed once: the label of the --cert files read past the path list).
begin "check --nagios --cert/--key/--chain and a dir: one line, two labels"
c check --nagios --ca-file "$ROOT" --cert "$GOOD/cert.pem" \
    --key "$GOOD/privkey.pem" --chain "$GOOD/chain.pem" "$TLS"
expect_rc 0
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "stdout is not exactly one line"
case $(head -n 1 "$OUT") in
"FSCERT OK"*"|"*"days_cert.pem"*"days_tls"*) ;;
*) fail "not 'FSCERT OK ...|...days_cert.pem...days_tls...'" ;;
esac
end

begin "check --json: installed dir with an unreadable agent.pem: kind installed"
mkdir "$T/badagent"
echo "not a certificate" >"$T/badagent/agent.pem"
c check --json --ca-file "$ROOT" "$T/badagent"
expect_rc 2
expect_json 'j["paths"][0]["kind"] == "installed" and
    j["paths"][0]["status"] == "CRITICAL"' "json: kind installed, CRITICAL"
end

# wss.pem carries the right leaf and chain but another key.
TW=$T/tamper-key
cp -rp "$TLS" "$TW"
cat "$F/rsa.pem" "$F/int.pem" "$F/rsa2.key" >"$TW/wss.pem"

begin "check: installed wss.pem with another key: CRITICAL naming wss.pem"
c check --ca-file "$ROOT" "$TW"
expect_rc 2
expect_out "wss.pem"
end

begin "check --json: installed wss.pem with another key: a finding on it"
c check --json --ca-file "$ROOT" "$TW"
expect_rc 2
expect_json 'any(f["rule"] in ("set-mismatch", "key-mismatch") and
    "wss.pem" in f["message"] for f in j["paths"][0]["findings"])' \
    "json: no set-mismatch/key-mismatch finding naming wss.pem"
end

# wss.pem is sound on its own (another leaf with its key) but is not the
# set agent.pem and cafile.pem belong to.
TS=$T/tamper-set
cp -rp "$TLS" "$TS"
cat "$F/rsa2.pem" "$F/int.pem" "$F/rsa2.key" >"$TS/wss.pem"

begin "check: installed wss.pem of another leaf: set-mismatch"
c check --json --ca-file "$ROOT" "$TS"
expect_rc 2
expect_json '"set-mismatch" in rules(j["paths"][0]) and
    any("wss.pem" in f["message"] for f in j["paths"][0]["findings"]
    if f["rule"] == "set-mismatch")' \
    "json: no set-mismatch finding naming wss.pem"
end

begin "check: installed wss.pem of another leaf: text names wss.pem"
c check --ca-file "$ROOT" "$TS"
expect_rc 2
expect_out "wss.pem" "$TS: CRITICAL"
end

# --------------------------------------------------- deploy, status, reload
#
# No FreeSWITCH here: --no-reload, and an event socket nobody listens on.

EMPTY=$T/empty.conf
: >"$EMPTY"
NOESL=127.0.0.1:1

# A configured [target pbx] with its own cert dir and conf dir (vars.xml);
# a flag deploy of a lineage also called pbx must not touch them, whether
# that target uses another lineage or this one.
lineage_make "$C/pbx" pbx "$F/rsa.pem" "$F/rsa.key" "$F/int.pem" ||
    die "lineage pbx"
PBX=$C/pbx/live/pbx
mkdir "$T/pbxtls" "$T/pbxconf"
printf '<include>\n  <X-PRE-PROCESS cmd="set" data="a=b"/>\n</include>\n' \
    >"$T/pbxconf/vars.xml"
printf '[target pbx]\nlineage = %s\ncert_dir = %s\nconf_dir = %s\nprofile = internal\n' \
    "$GOOD" "$T/pbxtls" "$T/pbxconf" >"$T/pbx-other.conf"
printf '[target pbx]\nlineage = %s\ncert_dir = %s\nconf_dir = %s\nowner = nobody\n' \
    "$PBX" "$T/pbxtls" "$T/pbxconf" >"$T/pbx-same.conf"

for conf in pbx-other pbx-same; do
	begin "deploy: flag target pbx is not [target pbx] of $conf.conf"
	mkdir "$T/flag-$conf"
	tree "$T/pbxconf" >"$T/before"
	tree "$T/pbxtls" >>"$T/before"
	c -c "$T/$conf.conf" deploy --no-reload --lineage "$PBX" \
	    --cert-dir "$T/flag-$conf"
	expect_rc 0
	[ -f "$T/flag-$conf/agent.pem" ] || fail "nothing installed"
	tree "$T/pbxconf" >"$T/after"
	tree "$T/pbxtls" >>"$T/after"
	cmp -s "$T/before" "$T/after" ||
	    fail "[target pbx]'s dirs changed: $(diff "$T/before" \
		"$T/after" | tr '\n' ' ')"
	[ "$(stat -c %U "$T/flag-$conf/agent.pem" 2>&1)" = root ] ||
	    fail "owner taken from [target pbx]"
	end
done

begin "deploy: --owner 0 --group 0 (numeric ids)"
mkdir "$T/own0"
c -c "$EMPTY" deploy --no-reload --lineage "$GOOD" --cert-dir "$T/own0" \
    --owner 0 --group 0
expect_rc 0
[ "$(stat -c %u:%g "$T/own0/agent.pem" 2>&1)" = 0:0 ] || fail "not 0:0"
end

if [ "$(id -u)" = 0 ]; then
	begin "deploy: --owner 4242 --group 4243 (no passwd entry)"
	mkdir "$T/own42"
	c -c "$EMPTY" deploy --no-reload --lineage "$GOOD" \
	    --cert-dir "$T/own42" --owner 4242 --group 4243
	expect_rc 0
	[ "$(stat -c %u:%g "$T/own42/agent.pem" 2>&1)" = 4242:4243 ] ||
	    fail "not 4242:4243"
	end
fi

begin "deploy: positional lineage, as --lineage"
mkdir "$T/pos" "$T/pos2"
c -c "$EMPTY" deploy --no-reload "$GOOD" --cert-dir "$T/pos"
expect_rc 0
cp "$OUT" "$T/pos.out"
c -c "$EMPTY" deploy --no-reload --lineage "$GOOD" --cert-dir "$T/pos2"
sed "s|$T/pos2|$T/pos|" "$OUT" | cmp -s - "$T/pos.out" ||
    fail "not the output of --lineage"
for f in agent.pem cafile.pem wss.pem; do
	cmp -s "$T/pos/$f" "$T/pos2/$f" || fail "$f differs"
done
end

begin "deploy: positional lineage and another --lineage: usage (2)"
c -c "$EMPTY" deploy --no-reload "$GOOD" --lineage "$PBX" --cert-dir "$T/pos"
expect_rc 2
end

# A typo in --esl or --verify stops the run before anything is installed.
for opt in --esl --verify; do
	begin "deploy $opt nonsense: usage (2) naming $opt, nothing installed"
	mkdir "$T/typo$opt"
	c -c "$EMPTY" deploy "$GOOD" --cert-dir "$T/typo$opt" $opt nonsense
	expect_rc 2
	grep -q -- "$opt" "$ERR" || fail "stderr does not name $opt"
	[ -z "$(ls -A "$T/typo$opt")" ] || fail "files installed: $(ls -A "$T/typo$opt")"
	end
done

begin "status --verify nonsense: usage (2)"
c -c "$EMPTY" status "$GOOD" --cert-dir "$T/pos" --verify nonsense
expect_rc 2
end

# A current set with a shadowing file: --move-shadowing is the change.
begin "deploy --dry-run --move-shadowing on a current set: would move, not current"
mkdir "$T/mvsh"
c -c "$EMPTY" deploy --no-reload "$GOOD" --cert-dir "$T/mvsh"
expect_rc 0
: >"$T/mvsh/wss.crt"
c -c "$EMPTY" deploy --no-reload --dry-run --move-shadowing "$GOOD" --cert-dir "$T/mvsh"
expect_rc 0
expect_out "wss.crt would move to .fscert/shadowed/"
grep -q "already current" "$OUT" && fail "said already current"
[ -e "$T/mvsh/wss.crt" ] || fail "a dry run moved wss.crt"
c -c "$EMPTY" deploy --no-reload --move-shadowing "$GOOD" --cert-dir "$T/mvsh"
expect_rc 0
expect_out "wss.crt moved to .fscert/shadowed/"
[ -e "$T/mvsh/wss.crt" ] && fail "wss.crt still there"
[ -e "$T/mvsh/.fscert/shadowed/wss.crt" ] || fail "wss.crt not in .fscert/shadowed/"
end

begin "check with a bad config file: one line naming FILE:LINE, as deploy"
printf '[target x]\nbogus = 1\n' >"$T/bad.conf"
c -c "$T/bad.conf" check
expect_rc 3
head -n 1 "$ERR" | grep -q "^fscert: $T/bad.conf:2: " ||
    fail "not 'fscert: $T/bad.conf:2: ...': $(head -n 1 "$ERR")"
c -c "$T/bad.conf" deploy
sed -n 1p "$ERR" >"$T/bad.deploy"
c -c "$T/bad.conf" check
sed -n 1p "$ERR" | cmp -s - "$T/bad.deploy" || fail "check and deploy differ"
end

begin "status: positional lineage, as --lineage"
c -c "$EMPTY" status "$GOOD" --cert-dir "$T/pos"
expect_rc 0
expect_out "installed set matches the lineage"
cp "$OUT" "$T/st.out"
c -c "$EMPTY" status --lineage "$GOOD" --cert-dir "$T/pos"
cmp -s "$OUT" "$T/st.out" || fail "not the output of --lineage"
end

begin "reload: positional lineage, as --lineage"
c -c "$EMPTY" reload "$GOOD" --cert-dir "$T/pos" --esl "$NOESL"
expect_rc 1
cat "$OUT" "$ERR" >"$T/rl.out"
c -c "$EMPTY" reload --lineage "$GOOD" --cert-dir "$T/pos" --esl "$NOESL"
cat "$OUT" "$ERR" | cmp -s - "$T/rl.out" || fail "not the output of --lineage"
end

# same NAME ARGS1 ARGS2: both runs give the same exit status and output
# (global options before the command and after it).  The arguments are
# split on blanks: no path here holds one.
same() {
	begin "$1"
	last="$2 <-> $3"
	# shellcheck disable=SC2086 # split on purpose
	timeout 10 "$FSCERT" $2 </dev/null >"$T/same1" 2>&1
	rc1=$?
	# shellcheck disable=SC2086
	timeout 10 "$FSCERT" $3 </dev/null >"$T/same2" 2>&1
	rc=$?
	[ "$rc" = "$rc1" ] || fail "exit $rc1 before, $rc after"
	cmp -s "$T/same1" "$T/same2" ||
	    fail "output differs: $(diff "$T/same1" "$T/same2" | tr '\n' ' ')"
	end
}
same "--json check X = check --json X" \
    "--json check --ca-file $ROOT $GOOD" "check --json --ca-file $ROOT $GOOD"
same "-q check X = check -q X" "-q check $GOOD $C/ecdsa/live/$NAME" \
    "check -q $GOOD $C/ecdsa/live/$NAME"
same "-v check X = check -v X" "-v check $GOOD" "check -v $GOOD"
same "-q deploy = deploy -q" \
    "-q -c $EMPTY deploy --no-reload $GOOD --cert-dir $T/pos --force" \
    "-c $EMPTY deploy -q --no-reload $GOOD --cert-dir $T/pos --force"
same "-v deploy = deploy -v" \
    "-v -c $EMPTY deploy --no-reload $GOOD --cert-dir $T/pos" \
    "-c $EMPTY deploy -v --no-reload $GOOD --cert-dir $T/pos"
same "--json deploy = deploy --json" \
    "--json -c $EMPTY deploy --no-reload $GOOD --cert-dir $T/pos" \
    "-c $EMPTY deploy --json --no-reload $GOOD --cert-dir $T/pos"
same "-c CONF deploy = deploy -c CONF" \
    "-c $T/pbx-same.conf deploy --dry-run --target pbx" \
    "deploy -c $T/pbx-same.conf --dry-run --target pbx"
same "--json status = status --json" \
    "--json -c $EMPTY status $GOOD --cert-dir $T/pos" \
    "-c $EMPTY status --json $GOOD --cert-dir $T/pos"
same "-c CONF status = status -c CONF" "-c $T/pbx-same.conf status" \
    "status -c $T/pbx-same.conf"
same "-c CONF check = check -c CONF" \
    "-c $T/pbx-same.conf check --ca-file $ROOT" \
    "check -c $T/pbx-same.conf --ca-file $ROOT"
same "-c CONF vars = vars -c CONF" "-c $T/pbx-same.conf vars" \
    "vars -c $T/pbx-same.conf"
same "-c CONF reload = reload -c CONF" \
    "-c $T/pbx-same.conf reload --esl $NOESL" \
    "reload -c $T/pbx-same.conf --esl $NOESL"
same "-q bundle = bundle -q" "-q bundle $GOOD -o $T/pos" \
    "bundle -q $GOOD -o $T/pos"
same "--json bundle = bundle --json" "--json bundle $GOOD -o $T/pos" \
    "bundle --json $GOOD -o $T/pos"

begin "vars --cert-dir MISSING: error naming it (1), nothing printed"
c -c "$EMPTY" vars --cert-dir "$T/no-such-dir"
expect_rc 1
grep -q "$T/no-such-dir" "$ERR" || fail "stderr does not name the dir"
[ -s "$OUT" ] && fail "a fragment was printed"
end

begin "vars --write on a target with vars = no: nothing written"
mkdir "$T/novars" "$T/novarsconf"
printf '[target nv]\ncert_dir = %s\nconf_dir = %s\nvars = no\n' \
    "$T/novars" "$T/novarsconf" >"$T/novars.conf"
c -c "$T/novars.conf" vars --write
expect_rc 0
expect_out "vars = no"
[ -z "$(ls -A "$T/novarsconf")" ] || fail "written: $(ls -A "$T/novarsconf")"
end

# --json and bytes that are not UTF-8: valid JSON, no finding lost.
FF=$(printf '\377')
lineage "$C/ff$FF" "$F/rsa.pem" "$F/rsa.key"
lineage "$C/ffesc$FF" "$F/rsa.pem" "$F/rsa.key"
mkdir "$T/else$FF" && cp "$F/rsa.pem" "$T/else$FF/cert.pem"
rm "$C/ffesc$FF/live/$NAME/cert.pem"
ln -s "$T/else$FF/cert.pem" "$C/ffesc$FF/live/$NAME/cert.pem"

begin "check --json: paths with a byte 0xff: valid JSON, every finding"
c check --ca-file "$ROOT" "$C/ff$FF/live/$NAME" "$C/ffesc$FF/live/$NAME"
trc=$rc
nf=$(grep -c '^  [a-z]*: ' "$OUT")
c check --json --ca-file "$ROOT" "$C/ff$FF/live/$NAME" \
    "$C/ffesc$FF/live/$NAME"
expect_rc "$trc"
expect_json 'len(j["paths"]) == 2 and
    "\ufffd" in j["paths"][0]["path"] and
    j["paths"][0]["status"] == "OK" and
    sum(len(p["findings"]) for p in j["paths"]) == '"$nf"' and
    any("\ufffd" in f["message"] for f in j["paths"][1]["findings"])' \
    "json: paths or findings lost ($nf findings in text)"
end

begin "status --json: lineage with a byte 0xff: valid JSON"
mkdir "$T/fftls"
c -c "$EMPTY" status --json --lineage "$C/ff$FF/live/$NAME" \
    --cert-dir "$T/fftls"
expect_json '"\ufffd" in j["targets"][0]["lineage"]["path"]' \
    "json: no lineage path"
end

begin "bundle --json: lineage with a byte 0xff: valid JSON"
c bundle --json "$C/ff$FF/live/$NAME" -o "$T/pos"
expect_rc 0
expect_json 'j["status"] == "written" and "\ufffd" in j["path"]'
end

begin "deploy --json: lineage with a byte 0xff, shadowing files, no vars.xml"
mkdir "$T/sh" "$T/shconf"
: >"$T/sh/wss.crt"
: >"$T/sh/tls.pem"
c -c "$EMPTY" deploy --no-reload --lineage "$C/ff$FF/live/$NAME" \
    --cert-dir "$T/sh" --conf-dir "$T/shconf"
expect_rc 0
nw=$(grep -c 'wss.crt\|tls.pem\|vars.xml' "$ERR")
[ "$nw" -ge 3 ] || fail "$nw warnings without --json"
rm -rf "$T/sh/agent.pem" "$T/sh/.fscert" "$T/shconf/vars_fscert.xml"
c -c "$EMPTY" deploy --json --no-reload --lineage "$C/ff$FF/live/$NAME" \
    --cert-dir "$T/sh" --conf-dir "$T/shconf"
expect_rc 0
expect_json 'j["targets"][0]["status"] == "deployed" and
    len(j["targets"][0]["warnings"]) == '"$nw"' and
    any("wss.crt" in w for w in j["targets"][0]["warnings"]) and
    any("tls.pem" in w for w in j["targets"][0]["warnings"]) and
    any("vars.xml" in w for w in j["targets"][0]["warnings"])' \
    "json: warnings missing ($nw on stderr without --json)"
end

begin "deploy --json: cert file and cert dir with a byte 0xff: valid JSON"
mkdir "$T/tt$FF"
cp "$F/rsa.pem" "$T/c$FF.pem"
c -c "$EMPTY" deploy --json --no-reload --cert "$T/c$FF.pem" \
    --key "$F/rsa.key" --chain "$F/int.pem" --cert-dir "$T/tt$FF"
expect_rc 0
expect_json '"\ufffd" in j["targets"][0]["cert_dir"] and
    "\ufffd" in j["targets"][0]["target"]'
end

summary
