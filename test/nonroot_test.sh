#!/bin/sh
# nonroot_test.sh BUILD_DIR: check, bundle, status and vars work for an
# unprivileged user on files that user owns (issue: hardening gates).
# Set FSCERT_TEST_KEEP=1 to keep the scratch directory.
set -u
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"
need_args $# 1 1 BUILD_DIR
build=$(cd "$1" && pwd)
fscert=$build/fscert
if [ "$(id -u)" != 0 ] || ! command -v runuser >/dev/null; then
	echo "nonroot_test: needs root and runuser to switch to nobody; skipped"
	exit 77
fi
scratch_init FSCERT_TEST_KEEP nonroot
dir=$T
chmod 755 "$dir"
cp "$fscert" "$dir/fscert"
chmod 755 "$dir/fscert"
cd "$dir" || exit 1
host=nr.example.test
{ pki_make . nr "$host" &&
    pki_leaf . leaf.key leaf.pem "/CN=$host" &&
    lineage_make cfg nr leaf.pem leaf.key int.pem &&
    mkdir out; } || die "cannot make the test lineage"
chown -R nobody: cfg out
as_nobody() { runuser -u nobody -- "$@"; }

# result RC NAME OUT: ok "NAME: exit 0" when RC is 0; else not ok, and
# the output in OUT.
result() {
	if [ "$1" = 0 ]; then
		ok "$2: exit 0"
	else
		not_ok "$2: exit $1" "$(cat "$3")"
	fi
}

as_nobody ./fscert check --ca-file root.pem --host "$host" cfg/live/nr \
    >check.out 2>&1
result $? "check as nobody" check.out
as_nobody ./fscert bundle --ca-file root.pem cfg/live/nr -o out >b.out 2>&1
result $? "bundle as nobody" b.out
owner=$(stat -c %U out/agent.pem 2>/dev/null)
if [ "$owner" = nobody ]; then
	ok "bundle as nobody: files owned by nobody"
else
	not_ok "bundle as nobody: agent.pem owned by '$owner'"
fi
as_nobody ./fscert status --ca-file root.pem --lineage cfg/live/nr --cert-dir out \
    >s.out 2>&1
result $? "status as nobody" s.out
as_nobody ./fscert vars --cert-dir out >v.out 2>&1
rc=$?
if [ $rc = 0 ] && grep -q internal_ssl_dir v.out; then
	ok "vars as nobody"
else
	not_ok "vars as nobody: exit $rc" "$(cat v.out)"
fi
# A lineage nobody cannot read: a clear error, not a crash.
chown root: cfg/archive/nr/privkey1.pem
as_nobody ./fscert check --ca-file root.pem cfg/live/nr >c2.out 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "privkey.pem" c2.out; then
	ok "unreadable key as nobody: exit 2 naming it"
else
	not_ok "unreadable key as nobody: exit $rc" "$(cat c2.out)"
fi
summary
