#!/bin/sh
# make-corpus.sh: regenerate the fuzz_pem seed corpus with the openssl CLI.
#
#   fuzz/make-corpus.sh            writes fuzz/corpus/pem/* and fuzz/fuzz_ca.h
#
# The committed corpus is the output of one run of this script; it is
# kept so that the corpus can be rebuilt or extended, not run by the build.
# Every run makes new keys and dates, so rerun it only to change the corpus,
# and commit fuzz/fuzz_ca.h with it: that header carries the test root CA
# the corpus chains to and a fixed "now" (generation time + 7 days) at
# which the corpus leaves are valid, so that fscert_validate() in the
# target sees good lineages as well as bad ones.
#
# All keys here are throwaway test keys.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus/pem
hdr=$here/fuzz_ca.h
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

command -v openssl >/dev/null || { echo "make-corpus.sh: no openssl" >&2; exit 1; }
cd "$work"

ossl() { openssl "$@" 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }

cat >ext.cnf <<'EOF'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,digitalSignature,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:sip.example.test,DNS:www.example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# A small PKI: EC root, EC intermediate, an EC and an RSA leaf.
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key
ossl req -x509 -new -key root.key -subj "/CN=fscert fuzz root" -days 7300 \
    -config ext.cnf -extensions ca -out root.pem
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out int.key
ossl pkey -in int.key -pubout -out int.pub
ossl x509 -new -subj "/CN=fscert fuzz R1" -force_pubkey int.pub \
    -CA root.pem -CAkey root.key -extfile ext.cnf -extensions int \
    -days 3650 -out int.pem
ossl ecparam -name prime256v1 -genkey -out leaf-ec.sec1	# EC PARAMETERS + EC PRIVATE KEY
ossl pkey -in leaf-ec.sec1 -out leaf-ec.key			# PKCS#8
ossl pkey -in leaf-ec.key -pubout -out leaf-ec.pub
ossl x509 -new -subj "/CN=sip.example.test" -force_pubkey leaf-ec.pub \
    -CA int.pem -CAkey int.key -extfile ext.cnf -extensions leaf \
    -days 90 -out leaf-ec.pem
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf-rsa.key
ossl pkey -in leaf-rsa.key -traditional -out leaf-rsa.pkcs1	# RSA PRIVATE KEY
ossl pkey -in leaf-rsa.key -pubout -out leaf-rsa.pub
ossl x509 -new -subj "/CN=sip.example.test" -force_pubkey leaf-rsa.pub \
    -CA int.pem -CAkey int.key -extfile ext.cnf -extensions leaf \
    -days 90 -out leaf-rsa.pem
ossl genpkey -algorithm ED25519 -out ed.key
ossl req -x509 -new -key ed.key -subj "/CN=ed.example.test" -days 90 \
    -config ext.cnf -extensions leaf -out ed.pem

rm -rf "$out"
mkdir -p "$out"
o() { echo "$out/$1"; }

cp leaf-ec.pem				"$(o 01-cert-ec.pem)"
cp leaf-rsa.pem				"$(o 02-cert-rsa.pem)"
cat leaf-ec.pem int.pem			>"$(o 03-fullchain-ec.pem)"
cp int.pem				"$(o 04-chain.pem)"
cp leaf-ec.key				"$(o 05-key-pkcs8-ec.pem)"
cp leaf-ec.sec1				"$(o 06-key-sec1-ec-params.pem)"
cp leaf-rsa.pkcs1			"$(o 07-key-pkcs1-rsa.pem)"
ossl pkey -in leaf-ec.key -aes128 -passout pass:fuzz \
					>"$(o 08-key-encrypted-pkcs8.pem)"
ossl ec -in leaf-ec.key -aes128 -passout pass:fuzz \
					>"$(o 09-key-encrypted-legacy.pem)"
cat leaf-ec.pem leaf-ec.key | sed 's/$/\r/'	>"$(o 10-agent-crlf.pem)"
ossl x509 -in leaf-ec.pem -text		>"$(o 11-cert-text-dump.pem)"
ossl x509 -in leaf-ec.pem -outform DER	>"$(o 12-cert.der)"
ossl pkey -in leaf-ec.key -outform DER	>"$(o 13-key-pkcs8.der)"
# Truncated: the block stops in the middle of its base64, no END line.
head -c $(( $(wc -c <leaf-ec.pem) / 2 )) leaf-ec.pem >"$(o 14-truncated.pem)"
ossl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 \
					>"$(o 15-dhparams.pem)"
cat leaf-ec.pem leaf-ec.key "$(o 15-dhparams.pem)" >"$(o 16-agent-dh.pem)"
cat leaf-rsa.pem int.pem leaf-rsa.key	>"$(o 17-wss-rsa.pem)"
head -c 512 /dev/urandom		>"$(o 18-garbage.bin)"
# What pkcs12 exports and admins paste: bag attributes, comments, blanks.
{
	echo "Bag Attributes"
	echo "    localKeyID: 01 00 00 00"
	echo "subject=CN = sip.example.test"
	echo "issuer=CN = fscert fuzz R1"
	cat leaf-ec.pem
	echo
	echo "# intermediate"
	echo "subject=CN = fscert fuzz R1"
	cat int.pem
	echo "Key Attributes: <No Attributes>"
	cat leaf-ec.key
	echo "trailing text"
}					>"$(o 19-comments-junk.pem)"
cat leaf-ec.pem leaf-ec.key leaf-rsa.key >"$(o 20-two-keys.pem)"
# One base64 character replaced by a character outside the alphabet.
awk 'NR == 3 { $0 = substr($0, 1, 10) "*" substr($0, 12) } { print }' \
    leaf-ec.pem				>"$(o 21-bad-base64.pem)"
{
	cat leaf-ec.pub
	ossl req -new -key leaf-ec.key -subj "/CN=sip.example.test"
	cat root.pem
}					>"$(o 22-other-labels.pem)"
cat leaf-rsa.key leaf-rsa.pem int.pem	>"$(o 23-key-first.pem)"
cat ed.pem ed.key			>"$(o 24-ed25519.pem)"
# BEGIN and END labels that disagree.
sed '$s/END CERTIFICATE/END PRIVATE KEY/' leaf-ec.pem \
					>"$(o 25-label-mismatch.pem)"

# The root the corpus chains to, and a "now" inside every leaf's validity.
now=$(( $(date +%s) + 7 * 86400 ))
{
	echo "/* Generated by fuzz/make-corpus.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ): do not edit. */"
	echo "#ifndef FUZZ_CA_H"
	echo "#define FUZZ_CA_H"
	echo
	echo "/* Inside the validity of every certificate in corpus/pem. */"
	echo "#define FUZZ_NOW	((time_t)${now})"
	echo
	echo "/* The root CA that corpus/pem chains to (via its intermediate). */"
	echo "static const char fuzz_ca_pem[] ="
	sed 's/^/"/; s/$/\\n"/' root.pem
	echo ";"
	echo
	echo "#endif"
} >"$hdr"

chmod 644 "$out"/* "$hdr"
ls -l "$out"
echo "make-corpus.sh: wrote $(ls "$out" | wc -l) files to $out and $hdr"
