#!/bin/sh
# shell_deploy.sh LIVE CERTDIR ROOT: the deploy hook an administrator
# writes by hand, for bench_deploy.sh.  Checks the key match and the
# chain with the openssl CLI, builds agent/cafile/wss.pem, and replaces
# only what differs (install -m 600 + mv), like fscert.
set -eu
live=$1 dir=$2 root=$3
[ "$(openssl x509 -in "$live/cert.pem" -noout -pubkey)" = \
  "$(openssl pkey -in "$live/privkey.pem" -pubout)" ] || exit 1
openssl verify -CAfile "$root" -untrusted "$live/chain.pem" "$live/cert.pem" >/dev/null
openssl x509 -in "$live/cert.pem" -noout -checkend 0 >/dev/null
tmp=$(mktemp -d "$dir/.sh.XXXXXX")
cat "$live/cert.pem" "$live/privkey.pem" >"$tmp/agent.pem"
cat "$live/chain.pem" >"$tmp/cafile.pem"
cat "$live/fullchain.pem" "$live/privkey.pem" >"$tmp/wss.pem"
for f in agent cafile wss; do
	if ! cmp -s "$tmp/$f.pem" "$dir/$f.pem" 2>/dev/null; then
		m=600; [ $f = cafile ] && m=644
		install -m $m "$tmp/$f.pem" "$dir/.$f.pem.new"
		mv "$dir/.$f.pem.new" "$dir/$f.pem"
	fi
done
rm -rf "$tmp"
