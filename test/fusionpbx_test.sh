#!/bin/sh
#
# fusionpbx_test.sh BUILD_DIR [FSMOCK]: fscert against cert dirs as real
# installs leave them, not as fscert writes them.
#
# FusionPBX's Let's Encrypt script concatenates fullchain + key into
# /etc/freeswitch/tls/all.pem, copies cert.pem, chain.pem, fullchain.pem
# and privkey.pem beside it, and makes agent.pem, tls.pem, wss.pem and
# dtls-srtp.pem absolute symlinks to all.pem.  Admins who followed a
# how-to leave cert.pem/privkey.pem in the cert dir beside a regular
# agent.pem.  In both:
#
#   - deploy replaces each symlinked file fscert writes by a regular
#     file (the link, never its target: all.pem keeps its bytes), says
#     so, and reports the files FreeSWITCH does not read;
#   - bundle -o does the same;
#   - the cert dir is read as installed files (agent.pem, cafile.pem,
#     wss.pem) by status, check and reload, whatever else lies there:
#     status says the installed set is current, a reload proves the new
#     leaf served and rolls nothing back;
#   - a second deploy is a no-op.
#
# Fixtures are made here with the openssl command line tool; fsmock
# (FreeSWITCH 1.11 mode: reloadcert) serves the cert dir as sofia-sip
# loads it, following the symlinks as sofia-sip's fopen would.
# Prints "ok - NAME" / "not ok - NAME", then "N passed, N failed".
# FSCERT_TEST_KEEP=1 keeps the scratch directory.

set -u
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"
need_args $# 1 2 "BUILD_DIR [FSMOCK]"
FSCERT=$1/fscert
FSMOCK=${2:-$1/test/fsmock}
need_exec "$FSCERT" "$FSMOCK"
need_tools openssl python3 timeout cmp

MOCK=
stop_mock() {
	[ -n "$MOCK" ] && kill "$MOCK" 2>/dev/null
	MOCK=
}
umask 022
scratch_init FSCERT_TEST_KEEP fusionpbx stop_mock

HOST=sip.example.test
P=$T/pki
mkdir -p "$P"
for k in root int A B; do
	pki_key "$P/$k.key" &
done
wait
pki_make "$P" "fscert fusionpbx" "$HOST" serverAuth ||
    die "cannot make the test PKI"
for l in A B; do
	pki_leaf "$P" "$P/$l.key" "$P/$l.pem" "/OU=$l/CN=$HOST" int &&
	    lineage_make "$T/le-$l" "$HOST" "$P/$l.pem" "$P/$l.key" \
		"$P/int.pem" || die "cannot make lineage $l"
done
LIVE_B=$T/le-B/live/$HOST
ROOT=$P/root.pem
: >"$T/empty.conf"

fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 2>/dev/null |
	    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}
FP_A=$(fp "$P/A.pem")
FP_B=$(fp "$P/B.pem")

# fusionpbx DIR L: DIR as FusionPBX's letsencrypt.sh leaves it for
# lineage L.
fusionpbx() {
	mkdir -p "$1" &&
	    cat "$P/$2.pem" "$P/int.pem" "$P/$2.key" >"$1/all.pem" &&
	    cp "$P/$2.pem" "$1/cert.pem" && cp "$P/int.pem" "$1/chain.pem" &&
	    cat "$P/$2.pem" "$P/int.pem" >"$1/fullchain.pem" &&
	    cp "$P/$2.key" "$1/privkey.pem" &&
	    chmod 600 "$1/all.pem" "$1/privkey.pem" || return 1
	for f in agent.pem tls.pem wss.pem dtls-srtp.pem; do
		ln -s "$1/all.pem" "$1/$f" || return 1
	done
}

# served PORT: the leaf SHA-256 a client gets, and how many certificates.
served() {
	_so=$(timeout 10 openssl s_client -connect "127.0.0.1:$1" \
	    -servername "$HOST" -showcerts </dev/null 2>/dev/null)
	_sn=$(printf '%s\n' "$_so" | grep -c -- '-----BEGIN CERTIFICATE-----')
	_ss=$(printf '%s\n' "$_so" | openssl x509 -noout -fingerprint \
	    -sha256 2>/dev/null | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
	echo "$_ss $_sn"
}

WHY=
bad() {
	WHY="$WHY${WHY:+
}$*"
}
verdict() {
	if [ -z "$WHY" ]; then ok "$1"; else not_ok "$1" "$WHY"; fi
	WHY=
}
# go TAG CMD...: CMD's output in $T/TAG.out / .err, exit status in RC.
go() {
	TAG=$1
	shift
	timeout 90 "$@" </dev/null >"$T/$TAG.out" 2>"$T/$TAG.err"
	RC=$?
}
said() {
	sed 's/^/  | /' "$T/$TAG.out" "$T/$TAG.err" | head -30
}
want_rc() {
	[ "$RC" -eq "$1" ] || bad "exit $RC, want $1:
$(said)"
}
want_err() {
	grep -qF -- "$1" "$T/$TAG.err" || bad "stderr lacks '$1':
$(said)"
}
# regular DIR FILE...: each is a regular file, not a symlink.
regular() {
	_d=$1
	shift
	for _f in "$@"; do
		if [ -L "$_d/$_f" ] || [ ! -f "$_d/$_f" ]; then
			bad "$_d/$_f is not a regular file"
		fi
	done
}

# ------------------------------------------------------ deploy + reload
CERTS=$T/fs/tls
STATE=$T/state
CONF=$T/fs/conf
mkdir -p "$STATE" "$CONF"
fusionpbx "$CERTS" A || die "cannot make the FusionPBX cert dir"
cp "$CERTS/all.pem" "$T/all.pem.orig"
mock_start "$T" 1.11 || die "$MOCK_WHY"
[ "$(served "$TLS")" = "$FP_A 2" ] ||
    die "fsmock does not serve all.pem through the agent.pem symlink"

go deploy env FSCERT_ESL_PASSWORD=ClueCon "$FSCERT" -c "$T/empty.conf" \
    deploy --lineage "$LIVE_B" --cert-dir "$CERTS" --ca-file "$ROOT" \
    --host "$HOST" --esl "127.0.0.1:$ESL"
want_rc 0
regular "$CERTS" agent.pem cafile.pem wss.pem
[ "$(fp "$CERTS/agent.pem")" = "$FP_B" ] || bad "agent.pem does not hold B"
cmp -s "$CERTS/all.pem" "$T/all.pem.orig" ||
    bad "all.pem changed: a symlink was followed"
[ -L "$CERTS/dtls-srtp.pem" ] || bad "dtls-srtp.pem was touched"
[ -L "$CERTS/tls.pem" ] || bad "tls.pem was touched without --move-shadowing"
for f in cert.pem privkey.pem chain.pem fullchain.pem; do
	[ -f "$CERTS/$f" ] || bad "$f is gone"
done
want_err "agent.pem was a symlink"
want_err "all.pem"
want_err "cert.pem"
for p in "$TLS" "$WSS"; do
	got=$(served "$p")
	[ "$got" = "$FP_B 2" ] || bad "127.0.0.1:$p serves $got, want B + intermediate"
done
verdict "deploy into a FusionPBX cert dir replaces the symlinks, not all.pem, and B is served"

go status env FSCERT_ESL_PASSWORD=ClueCon "$FSCERT" -c "$T/empty.conf" \
    status --lineage "$LIVE_B" --cert-dir "$CERTS" --ca-file "$ROOT" \
    --host "$HOST" --esl "127.0.0.1:$ESL"
want_rc 0
grep -q DIFFERS "$T/status.out" "$T/status.err" &&
    bad "status says DIFFERS with cert.pem beside agent.pem:
$(said)"
verdict "status reads the cert dir as installed files, not as a lineage (cert.pem beside)"

go check "$FSCERT" -c "$T/empty.conf" check --json --ca-file "$ROOT" \
    --host "$HOST" "$CERTS"
want_rc 0
python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
r = j["paths"][0]
s = json.dumps(r)
assert sys.argv[2] in s, "leaf " + sys.argv[2] + " not in " + s
' "$T/check.out" "$FP_B" 2>"$T/py.err" ||
    bad "check does not judge agent.pem (B): $(cat "$T/py.err")"
verdict "check of the cert dir judges agent.pem, not the cert.pem beside it"

: >"$STATE/log"
go reload env FSCERT_ESL_PASSWORD=ClueCon "$FSCERT" -c "$T/empty.conf" \
    reload --cert-dir "$CERTS" --host "$HOST" --esl "127.0.0.1:$ESL"
want_rc 0
grep -qi "rollback\|rolled back\|put back" "$T/reload.err" "$T/reload.out" &&
    bad "reload rolled back: $(said)"
[ "$(fp "$CERTS/agent.pem")" = "$FP_B" ] || bad "agent.pem no longer B"
verdict "reload of the cert dir proves B served and rolls nothing back"

go again env FSCERT_ESL_PASSWORD=ClueCon "$FSCERT" -c "$T/empty.conf" \
    deploy --lineage "$LIVE_B" --cert-dir "$CERTS" --ca-file "$ROOT" \
    --host "$HOST" --esl "127.0.0.1:$ESL"
want_rc 0
[ -s "$T/again.out" ] && grep -qv "current" "$T/again.out" &&
    bad "a second deploy did something: $(said)"
verdict "a second deploy is a no-op"
stop_mock

# ------------------------------------------------------ admin leftovers
# A regular agent.pem set (fscert's) with cert.pem/privkey.pem of an
# older certificate beside it: every command reads agent.pem.
C2=$T/admin/tls
mkdir -p "$C2"
go first "$FSCERT" -c "$T/empty.conf" deploy --no-reload \
    --lineage "$LIVE_B" --cert-dir "$C2" --ca-file "$ROOT" --host "$HOST"
want_rc 0
cp "$P/A.pem" "$C2/cert.pem"
cp "$P/A.key" "$C2/privkey.pem"
chmod 600 "$C2/privkey.pem"
go check2 "$FSCERT" -c "$T/empty.conf" check --json --ca-file "$ROOT" \
    --host "$HOST" "$C2"
want_rc 0
grep -q "$FP_B" "$T/check2.out" || bad "check judged cert.pem (A), not agent.pem (B): $(said)"
grep -q "$FP_A" "$T/check2.out" && bad "check reports A's leaf: $(said)"
verdict "a cert dir with cert.pem/privkey.pem left by an admin is read as agent.pem/cafile.pem/wss.pem"

# ---------------------------------------------------------------- bundle
C3=$T/bundle/tls
fusionpbx "$C3" A || die "cannot make the bundle dir"
cp "$C3/all.pem" "$T/all3.orig"
go bundle "$FSCERT" -c "$T/empty.conf" bundle --ca-file "$ROOT" \
    --host "$HOST" "$LIVE_B" -o "$C3"
want_rc 0
regular "$C3" agent.pem cafile.pem wss.pem
cmp -s "$C3/all.pem" "$T/all3.orig" || bad "bundle wrote through the agent.pem symlink into all.pem"
[ "$(fp "$C3/wss.pem")" = "$FP_B" ] || bad "wss.pem does not hold B"
verdict "bundle -o replaces symlinked files by regular files, never their target"

summary
