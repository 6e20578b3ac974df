#!/bin/bash
#
# demo.sh [BUILD_DIR] - fscert's main job on a real example.
#
# Starts a local pebble (Let's Encrypt's ACME test server) on 127.0.0.1, has
# real certbot issue an ECDSA certificate for sip.example.test and an RSA 2048
# one for pbx.example.test, then runs `fscert check` on the live lineages,
# `fscert bundle` to write FreeSWITCH's agent.pem, cafile.pem and wss.pem, and
# `fscert deploy` (twice: the second run has nothing to do) and `fscert status`.
# Everything happens in a scratch directory that is removed at the end
# (FSCERT_DEMO_KEEP=1 keeps it); /etc/letsencrypt is never written.
#
# BUILD_DIR holds the fscert binary (default ./build). Needs Debian's pebble,
# certbot and openssl. Exits non-zero if anything fails; a WARNING from
# `fscert check` (exit 1, e.g. the ECDSA key warning) counts as success.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=pebble-env.sh
. "$here/pebble-env.sh"

if [ $# -gt 1 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	echo "usage: $0 [BUILD_DIR]   (default ./build)" >&2
	exit 2
fi
build=${1:-./build}
fscert=$(cd "$build" 2>/dev/null && pwd)/fscert || fscert=$build/fscert
if [ ! -x "$fscert" ]; then
	echo "demo: no fscert binary in '$build' (build it: cmake -S . -B build && cmake --build build)" >&2
	exit 1
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/fscert-demo.XXXXXX")
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	pebble_stop
	if [ "${FSCERT_DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $scratch" >&2
	else
		rm -rf "$scratch"
	fi
	if [ "$rc" = 0 ]; then
		echo "demo: OK"
	else
		echo "demo: FAILED (exit $rc)" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# step TEXT - a heading on stdout.
step() {
	printf '\n==> %s\n' "$*"
}

# show_run OKCODES CMD... - print and run CMD; fail unless its exit status is
# in OKCODES (space-separated).
show_run() {
	local okcodes=$1 rc=0
	shift
	printf '$ %s\n' "$*"
	"$@" || rc=$?
	case " $okcodes " in
	*" $rc "*)
		[ "$rc" = 0 ] || echo "(exit $rc)"
		return 0
		;;
	esac
	echo "demo: '$1 ${2:-}' exited $rc" >&2
	return 1
}

step "starting pebble on 127.0.0.1 (scratch: $scratch)"
pebble_start "$scratch"
pebble_roots "$scratch"
root=$PEBBLE_ROOT_PEM

step "certbot: issue sip.example.test (ECDSA P-256, certbot's default) and pbx.example.test (RSA 2048)"
certbot_issue "$scratch" sip.example.test sip.example.test
certbot_issue "$scratch" pbx.example.test pbx.example.test --key-type rsa
sip=$(certbot_live "$scratch" sip.example.test)
pbx=$(certbot_live "$scratch" pbx.example.test)
show_run 0 ls -l "$sip" "$pbx"

step "fscert check: the certbot lineages, trusting only this pebble's root"
show_run "0 1" "$fscert" check --host sip.example.test --ca-file "$root" "$sip"
show_run "0 1" "$fscert" check --host pbx.example.test --ca-file "$root" "$pbx"

step "fscert bundle: write FreeSWITCH's TLS files for sip.example.test"
out=$scratch/freeswitch-tls
mkdir "$out"
show_run 0 "$fscert" bundle --host sip.example.test --ca-file "$root" "$sip" -o "$out"
show_run 0 ls -l "$out"

step "fscert check: the installed FreeSWITCH directory"
show_run "0 1" "$fscert" check --host sip.example.test --ca-file "$root" "$out"

# The main job: deploy the RSA lineage into a FreeSWITCH tree (cert dir
# and conf dir with a stock-like vars.xml), then again: nothing to do.
fs=$scratch/freeswitch
mkdir -p "$fs/tls" "$fs/conf"
printf '<include>\n  <X-PRE-PROCESS cmd="set" data="domain=$${local_ip_v4}"/>\n</include>\n' \
    >"$fs/conf/vars.xml"
step "fscert deploy: install pbx.example.test into $fs/tls and point vars.xml at it"
show_run 0 "$fscert" deploy --no-reload --host pbx.example.test --ca-file "$root" \
    --lineage "$pbx" --cert-dir "$fs/tls" --conf-dir "$fs/conf"
show_run 0 ls -l "$fs/tls" "$fs/conf"
show_run 0 cat "$fs/conf/vars.xml" "$fs/conf/vars_fscert.xml"
step "fscert deploy again: already current, nothing written"
show_run 0 "$fscert" deploy --no-reload --host pbx.example.test --ca-file "$root" \
    --lineage "$pbx" --cert-dir "$fs/tls" --conf-dir "$fs/conf"
step "fscert status: lineage against what is installed"
show_run 0 "$fscert" status --host pbx.example.test --ca-file "$root" \
    --lineage "$pbx" --cert-dir "$fs/tls"
