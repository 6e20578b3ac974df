#!/bin/sh
# nonroot_test.sh BUILD_DIR: check, bundle, status and vars work for an
# unprivileged user on files that user owns (issue: hardening gates).
set -u
build=$(cd "$1" && pwd)
fscert=$build/fscert
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
no() { fail=$((fail + 1)); echo "not ok - $1"; }
if [ "$(id -u)" != 0 ] || ! command -v runuser >/dev/null; then
	echo "nonroot_test: needs root and runuser to switch to nobody; skipped"
	exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/fscert-nonroot.XXXXXX")
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
cp "$fscert" "$dir/fscert"
chmod 755 "$dir/fscert"
cd "$dir"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout root.key -out root.pem -subj /CN=nr-root -days 30 \
    -addext basicConstraints=critical,CA:TRUE
q openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj /CN=nr-int
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >int.ext
q openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -out int.pem -days 30 -extfile int.ext
q openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=nr.example.test
printf 'subjectAltName=DNS:nr.example.test\n' >leaf.ext
q openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial \
    -out leaf.pem -days 30 -extfile leaf.ext
mkdir -p cfg/archive/nr cfg/live/nr out
cp leaf.pem cfg/archive/nr/cert1.pem
cp int.pem cfg/archive/nr/chain1.pem
cat leaf.pem int.pem >cfg/archive/nr/fullchain1.pem
cp leaf.key cfg/archive/nr/privkey1.pem
for f in cert chain fullchain privkey; do
	ln -s ../../archive/nr/${f}1.pem cfg/live/nr/$f.pem
done
chown -R nobody: cfg out
chmod 600 cfg/archive/nr/privkey1.pem
as_nobody() { runuser -u nobody -- "$@"; }

as_nobody ./fscert check --ca-file root.pem --host nr.example.test cfg/live/nr \
    >check.out 2>&1
rc=$?
[ $rc = 0 ] && ok "check as nobody: exit 0" || { no "check as nobody: exit $rc"; cat check.out; }
as_nobody ./fscert bundle --ca-file root.pem cfg/live/nr -o out >b.out 2>&1
rc=$?
[ $rc = 0 ] && ok "bundle as nobody: exit 0" || { no "bundle as nobody: exit $rc"; cat b.out; }
owner=$(stat -c %U out/agent.pem 2>/dev/null)
[ "$owner" = nobody ] && ok "bundle as nobody: files owned by nobody" ||
    no "bundle as nobody: agent.pem owned by '$owner'"
as_nobody ./fscert status --ca-file root.pem --lineage cfg/live/nr --cert-dir out \
    >s.out 2>&1
rc=$?
[ $rc = 0 ] && ok "status as nobody: exit 0" || { no "status as nobody: exit $rc"; cat s.out; }
as_nobody ./fscert vars --cert-dir out >v.out 2>&1
rc=$?
[ $rc = 0 ] && grep -q internal_ssl_dir v.out && ok "vars as nobody" ||
    { no "vars as nobody: exit $rc"; cat v.out; }
# A lineage nobody cannot read: a clear error, not a crash.
chown root: cfg/archive/nr/privkey1.pem
as_nobody ./fscert check --ca-file root.pem cfg/live/nr >c2.out 2>&1
rc=$?
[ $rc = 2 ] && grep -q "privkey.pem" c2.out && ok "unreadable key as nobody: exit 2 naming it" ||
    { no "unreadable key as nobody: exit $rc"; cat c2.out; }
echo "$pass passed, $fail failed"
[ $fail = 0 ]
