#!/bin/sh
# openssl_check.sh CAFILE LIVEDIR...: the checks an administrator would
# script with the openssl CLI for certbot lineages, the baseline that
# bench_check.sh times fscert against.  The host name is the live
# directory's name.  Exit 0 OK, 1 WARNING, 2 CRITICAL (worst over all).
ca=$1
shift
worst=0
for d in "$@"; do
	st=0 why=
	host=$(basename "$d")
	# Expires within 20 days?
	openssl x509 -in "$d/cert.pem" -noout -checkend 1728000 >/dev/null ||
	    { st=1; why="$why expires-soon"; }
	# Key matches the certificate?
	[ "$(openssl pkey -in "$d/privkey.pem" -pubout)" = \
	  "$(openssl x509 -in "$d/cert.pem" -noout -pubkey)" ] ||
	    { st=2; why="$why key-mismatch"; }
	# Chains to the CA through chain.pem?
	openssl verify -CAfile "$ca" -untrusted "$d/chain.pem" "$d/cert.pem" \
	    >/dev/null 2>&1 || { st=2; why="$why untrusted"; }
	# Covers the host name?
	openssl x509 -in "$d/cert.pem" -noout -checkhost "$host" |
	    grep -q 'does match' || { st=2; why="$why host-mismatch"; }
	# fullchain.pem is cert.pem + chain.pem?
	cat "$d/cert.pem" "$d/chain.pem" | cmp -s - "$d/fullchain.pem" ||
	    { st=2; why="$why fullchain-mismatch"; }
	case $st in
	0) echo "$d: OK" ;;
	1) echo "$d: WARNING -$why" ;;
	*) echo "$d: CRITICAL -$why" ;;
	esac
	[ $st -le $worst ] || worst=$st
done
exit $worst
