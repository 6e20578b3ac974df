# shellcheck shell=bash
#
# pebble-env.sh - run Let's Encrypt's ACME test server (Debian's `pebble`)
# and real certbot on loopback, for fscert's demo and end-to-end test.
#
# Source it from a bash script that uses `set -eu`:
#
#   . scripts/pebble-env.sh
#   work=$(mktemp -d)
#   trap 'pebble_stop; rm -rf "$work"' EXIT
#   pebble_start "$work"
#   pebble_roots "$work"                  # sets PEBBLE_ROOT_PEM, PEBBLE_INTERMEDIATE_PEM
#   certbot_issue "$work" sip sip.example.test
#   certbot_issue "$work" pbx pbx.example.test --key-type rsa
#   certbot_renew "$work" sip
#   ls "$(certbot_live "$work" sip)"
#
# Everything binds to 127.0.0.1 only and all state stays under WORKDIR:
#   WORKDIR/pebble/    TLS CA + cert for pebble's HTTPS endpoint, config, logs, pids
#   WORKDIR/certbot/   certbot --config-dir (config/), --work-dir, --logs-dir
# /etc/letsencrypt is only ever read (certbot's own cli.ini), never written.
#
# Ports (override through the environment before pebble_start):
#   PEBBLE_ENV_ACME_PORT      14000  pebble ACME directory (https://127.0.0.1:PORT/dir)
#   PEBBLE_ENV_MGMT_PORT      15000  pebble management (roots, intermediates)
#   PEBBLE_ENV_HTTP_PORT      5002   http-01: pebble validates here, certbot --standalone binds it
#   PEBBLE_ENV_TLS_PORT       5001   tls-alpn-01 port in pebble's config (nothing binds it)
#   PEBBLE_ENV_DNS_PORT       8053   pebble-challtestsrv mock DNS (udp+tcp), all names -> 127.0.0.1
#   PEBBLE_ENV_CTS_MGMT_PORT  8055   pebble-challtestsrv management
#   PEBBLE_ENV_START_TIMEOUT  20     seconds to wait for the servers to come up
#
# Progress goes to stderr, prefixed "pebble-env: ". Every function returns
# non-zero on failure (so `set -e` in the caller stops the script).

: "${PEBBLE_ENV_ACME_PORT:=14000}"
: "${PEBBLE_ENV_MGMT_PORT:=15000}"
: "${PEBBLE_ENV_HTTP_PORT:=5002}"
: "${PEBBLE_ENV_TLS_PORT:=5001}"
: "${PEBBLE_ENV_DNS_PORT:=8053}"
: "${PEBBLE_ENV_CTS_MGMT_PORT:=8055}"
: "${PEBBLE_ENV_START_TIMEOUT:=20}"

PEBBLE_ENV_ADDR=127.0.0.1

# Set by pebble_start / pebble_roots.
PEBBLE_ENV_PID=
PEBBLE_ENV_CTS_PID=
PEBBLE_ENV_WATCHDOG_PID=
PEBBLE_ENV_DIR=
PEBBLE_ENV_TLS_CA=
PEBBLE_ROOT_PEM=
PEBBLE_INTERMEDIATE_PEM=

pebble_env_log() {
	printf 'pebble-env: %s\n' "$*" >&2
}

pebble_env_die() {
	pebble_env_log "error: $*"
	return 1
}

# pebble_env_need CMD... - fail unless every CMD is on PATH.
pebble_env_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			pebble_env_die "'$c' not found (Debian: apt-get install pebble certbot openssl curl)" || return 1
	done
}

# pebble_env_port_busy PROTO PORT - true when something listens on PORT
# (any local address: 0.0.0.0:PORT would also take 127.0.0.1:PORT).
# Reads /proc/net/{tcp,udp}{,6} itself: a minimal Debian has no ss
# (iproute2), and a TCP connect cannot see a UDP socket.
pebble_env_port_busy() {
	local proto=$1 port=$2 files
	if [ "$proto" = udp ]; then
		files="/proc/net/udp /proc/net/udp6"
	else
		files="/proc/net/tcp /proc/net/tcp6"
	fi
	# Field 2 is ADDR:PORT in hex, field 4 the state: 0A is LISTEN for
	# TCP, 07 (unconnected) a bound UDP socket.
	# shellcheck disable=SC2086
	awk -v want="$(printf '%04X' "$port")" -v proto="$proto" '
		FNR == 1 { next }
		{
			n = split($2, a, ":")
			if (toupper(a[n]) != want) next
			if ((proto == "tcp" && $4 == "0A") ||
			    (proto == "udp" && $4 == "07")) { found = 1; exit }
		}
		END { exit !found }' $files 2>/dev/null
}

# pebble_env_check_ports - clear error for every busy port we are about to bind.
pebble_env_check_ports() {
	local busy=0 spec proto port what
	for spec in \
		"tcp:$PEBBLE_ENV_ACME_PORT:pebble ACME (PEBBLE_ENV_ACME_PORT)" \
		"tcp:$PEBBLE_ENV_MGMT_PORT:pebble management (PEBBLE_ENV_MGMT_PORT)" \
		"tcp:$PEBBLE_ENV_HTTP_PORT:certbot http-01 (PEBBLE_ENV_HTTP_PORT)" \
		"udp:$PEBBLE_ENV_DNS_PORT:mock DNS (PEBBLE_ENV_DNS_PORT)" \
		"tcp:$PEBBLE_ENV_DNS_PORT:mock DNS (PEBBLE_ENV_DNS_PORT)" \
		"tcp:$PEBBLE_ENV_CTS_MGMT_PORT:challtestsrv management (PEBBLE_ENV_CTS_MGMT_PORT)"; do
		proto=${spec%%:*}
		port=${spec#*:}
		what=${port#*:}
		port=${port%%:*}
		if pebble_env_port_busy "$proto" "$port"; then
			pebble_env_log "error: port $proto/$port for $what is already in use" \
				"(another pebble? see /proc/net/$proto; or set $(printf '%s' "$what" | sed 's/.*(\(.*\))/\1/') to a free port)"
			busy=1
		fi
	done
	[ "$busy" = 0 ]
}

# pebble_env_fetch URL OUT CAFILE - HTTPS GET verified against CAFILE.
pebble_env_fetch() {
	local url=$1 out=$2 ca=$3
	if command -v curl >/dev/null 2>&1; then
		curl --silent --show-error --fail --noproxy '*' --max-time 5 \
			--cacert "$ca" -o "$out" "$url"
	else
		python3 - "$url" "$out" "$ca" <<'EOF'
import ssl, sys, urllib.request
url, out, ca = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=ca)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                     urllib.request.HTTPSHandler(context=ctx))
with opener.open(url, timeout=5) as r, open(out, "wb") as f:
    f.write(r.read())
EOF
	fi
}

# pebble_env_tls_ca DIR - a throw-away CA and a cert for 127.0.0.1/localhost
# that pebble serves its ACME and management endpoints with.
pebble_env_tls_ca() {
	local d=$1
	(
		umask 077
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/tls-ca.key" -out "$d/tls-ca.pem" -days 7 \
			-subj "/CN=pebble-env loopback TLS CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" \
			-addext "subjectKeyIdentifier=hash" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/tls-key.pem" -out "$d/tls.csr" -subj "/CN=localhost" &&
		printf '%s\n' \
			"basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature" \
			"extendedKeyUsage=serverAuth" \
			"subjectAltName=IP:127.0.0.1,DNS:localhost" \
			"subjectKeyIdentifier=hash" \
			"authorityKeyIdentifier=keyid" >"$d/tls.ext" &&
		openssl x509 -req -in "$d/tls.csr" -CA "$d/tls-ca.pem" -CAkey "$d/tls-ca.key" \
			-CAcreateserial -days 7 -extfile "$d/tls.ext" -out "$d/tls-cert.pem"
	) >"$d/openssl.log" 2>&1 || {
		cat "$d/openssl.log" >&2
		pebble_env_die "could not make the TLS CA for pebble"
		return 1
	}
	chmod 644 "$d/tls-ca.pem"
}

# pebble_env_wait WHAT TEST... - run TEST until it succeeds, while the
# started processes are alive, for at most PEBBLE_ENV_START_TIMEOUT seconds.
pebble_env_wait() {
	local what=$1 i max
	shift
	max=$((PEBBLE_ENV_START_TIMEOUT * 10))
	i=0
	while ! "$@" >/dev/null 2>&1; do
		if [ -n "$PEBBLE_ENV_CTS_PID" ] && ! kill -0 "$PEBBLE_ENV_CTS_PID" 2>/dev/null; then
			tail -n 20 "$PEBBLE_ENV_DIR/challtestsrv.log" >&2 || :
			pebble_env_die "pebble-challtestsrv exited while waiting for $what (log: $PEBBLE_ENV_DIR/challtestsrv.log)"
			return 1
		fi
		if [ -n "$PEBBLE_ENV_PID" ] && ! kill -0 "$PEBBLE_ENV_PID" 2>/dev/null; then
			tail -n 20 "$PEBBLE_ENV_DIR/pebble.log" >&2 || :
			pebble_env_die "pebble exited while waiting for $what (log: $PEBBLE_ENV_DIR/pebble.log)"
			return 1
		fi
		i=$((i + 1))
		if [ "$i" -ge "$max" ]; then
			pebble_env_die "$what not ready after ${PEBBLE_ENV_START_TIMEOUT}s (logs in $PEBBLE_ENV_DIR)"
			return 1
		fi
		sleep 0.1
	done
}

pebble_env_cts_ready() {
	pebble_env_port_busy udp "$PEBBLE_ENV_DNS_PORT" &&
		pebble_env_port_busy tcp "$PEBBLE_ENV_CTS_MGMT_PORT"
}

pebble_env_pebble_ready() {
	pebble_env_fetch "https://$PEBBLE_ENV_ADDR:$PEBBLE_ENV_ACME_PORT/dir" \
		"$PEBBLE_ENV_DIR/dir.json" "$PEBBLE_ENV_TLS_CA" &&
		pebble_env_fetch "https://$PEBBLE_ENV_ADDR:$PEBBLE_ENV_MGMT_PORT/roots/0" \
			/dev/null "$PEBBLE_ENV_TLS_CA"
}

# pebble_env_watchdog PARENT PID... - TERM the PIDs once PARENT is gone, so
# that a caller killed with SIGKILL (e.g. a CTest timeout) leaves no pebble
# holding the ports. pebble_stop ends the watchdog first.
pebble_env_watchdog() {
	local parent=$1
	shift
	while kill -0 "$parent" 2>/dev/null; do
		sleep 1
	done
	kill -TERM "$@" 2>/dev/null || :
}

# pebble_start WORKDIR - start the mock DNS and pebble, wait until both answer.
pebble_start() {
	local work=${1:?pebble_start: WORKDIR missing} start parent
	pebble_env_need pebble pebble-challtestsrv openssl || return 1
	command -v curl >/dev/null 2>&1 || pebble_env_need python3 || return 1
	if [ -n "$PEBBLE_ENV_PID" ] || [ -n "$PEBBLE_ENV_CTS_PID" ]; then
		pebble_env_die "pebble_start: already running (call pebble_stop first)"
		return 1
	fi
	[ -d "$work" ] || pebble_env_die "pebble_start: $work is not a directory" || return 1
	pebble_env_check_ports || return 1

	start=$(date +%s)
	PEBBLE_ENV_DIR=$(cd "$work" && pwd)/pebble || return 1
	mkdir -p "$PEBBLE_ENV_DIR" || return 1
	PEBBLE_ENV_TLS_CA=$PEBBLE_ENV_DIR/tls-ca.pem
	pebble_env_log "making TLS CA + 127.0.0.1 cert in $PEBBLE_ENV_DIR"
	pebble_env_tls_ca "$PEBBLE_ENV_DIR" || return 1

	cat >"$PEBBLE_ENV_DIR/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "$PEBBLE_ENV_ADDR:$PEBBLE_ENV_ACME_PORT",
    "managementListenAddress": "$PEBBLE_ENV_ADDR:$PEBBLE_ENV_MGMT_PORT",
    "certificate": "$PEBBLE_ENV_DIR/tls-cert.pem",
    "privateKey": "$PEBBLE_ENV_DIR/tls-key.pem",
    "httpPort": $PEBBLE_ENV_HTTP_PORT,
    "tlsPort": $PEBBLE_ENV_TLS_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF
	[ -s "$PEBBLE_ENV_DIR/pebble-config.json" ] || pebble_env_die "could not write pebble's config" || return 1

	pebble_env_log "starting pebble-challtestsrv (mock DNS $PEBBLE_ENV_ADDR:$PEBBLE_ENV_DNS_PORT, all names -> $PEBBLE_ENV_ADDR)"
	pebble-challtestsrv \
		-dns01 "$PEBBLE_ENV_ADDR:$PEBBLE_ENV_DNS_PORT" \
		-http01 "" -https01 "" -tlsalpn01 "" \
		-management "$PEBBLE_ENV_ADDR:$PEBBLE_ENV_CTS_MGMT_PORT" \
		-defaultIPv4 "$PEBBLE_ENV_ADDR" -defaultIPv6 "" \
		</dev/null >"$PEBBLE_ENV_DIR/challtestsrv.log" 2>&1 &
	PEBBLE_ENV_CTS_PID=$!
	echo "$PEBBLE_ENV_CTS_PID" >"$PEBBLE_ENV_DIR/challtestsrv.pid"
	pebble_env_wait "pebble-challtestsrv" pebble_env_cts_ready || { pebble_stop; return 1; }

	pebble_env_log "starting pebble (ACME https://$PEBBLE_ENV_ADDR:$PEBBLE_ENV_ACME_PORT/dir, management :$PEBBLE_ENV_MGMT_PORT)"
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
		pebble -config "$PEBBLE_ENV_DIR/pebble-config.json" \
		-dnsserver "$PEBBLE_ENV_ADDR:$PEBBLE_ENV_DNS_PORT" \
		</dev/null >"$PEBBLE_ENV_DIR/pebble.log" 2>&1 &
	PEBBLE_ENV_PID=$!
	echo "$PEBBLE_ENV_PID" >"$PEBBLE_ENV_DIR/pebble.pid"
	# $BASHPID expanded here, not in the background child (which would see its own).
	parent=$BASHPID
	pebble_env_watchdog "$parent" "$PEBBLE_ENV_PID" "$PEBBLE_ENV_CTS_PID" </dev/null >/dev/null 2>&1 &
	PEBBLE_ENV_WATCHDOG_PID=$!
	pebble_env_wait "pebble" pebble_env_pebble_ready || { pebble_stop; return 1; }
	pebble_env_log "pebble ready (pid $PEBBLE_ENV_PID, challtestsrv pid $PEBBLE_ENV_CTS_PID) in $(($(date +%s) - start))s"
}

# pebble_env_kill PID NAME - TERM, wait up to 5 s, then KILL. Only our own pids.
pebble_env_kill() {
	local pid=$1 name=$2 i=0
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || :; return 0; }
	kill -TERM "$pid" 2>/dev/null || :
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		pebble_env_log "$name (pid $pid) ignored SIGTERM, killing"
		kill -KILL "$pid" 2>/dev/null || :
	fi
	wait "$pid" 2>/dev/null || :
}

# pebble_stop - stop what pebble_start started. Safe to call twice or when
# nothing runs (for traps).
pebble_stop() {
	if [ -n "$PEBBLE_ENV_PID" ] || [ -n "$PEBBLE_ENV_CTS_PID" ]; then
		pebble_env_log "stopping pebble and pebble-challtestsrv"
	fi
	if [ -n "$PEBBLE_ENV_WATCHDOG_PID" ]; then
		kill -TERM "$PEBBLE_ENV_WATCHDOG_PID" 2>/dev/null || :
		wait "$PEBBLE_ENV_WATCHDOG_PID" 2>/dev/null || :
		PEBBLE_ENV_WATCHDOG_PID=
	fi
	pebble_env_kill "$PEBBLE_ENV_PID" pebble
	PEBBLE_ENV_PID=
	pebble_env_kill "$PEBBLE_ENV_CTS_PID" pebble-challtestsrv
	PEBBLE_ENV_CTS_PID=
	if [ -n "$PEBBLE_ENV_DIR" ]; then
		rm -f "$PEBBLE_ENV_DIR/pebble.pid" "$PEBBLE_ENV_DIR/challtestsrv.pid"
	fi
	return 0
}

# pebble_roots WORKDIR - fetch this pebble run's root and intermediate
# (pebble makes a new CA at every start). Writes WORKDIR/pebble/root.pem and
# WORKDIR/pebble/intermediate.pem and sets PEBBLE_ROOT_PEM and
# PEBBLE_INTERMEDIATE_PEM to them. root.pem is the trust anchor for
# `fscert check --ca-file`.
pebble_roots() {
	local work=${1:?pebble_roots: WORKDIR missing} d base
	d=$(cd "$work" && pwd)/pebble || return 1
	[ -f "$d/tls-ca.pem" ] || pebble_env_die "pebble_roots: no pebble started in $work" || return 1
	base="https://$PEBBLE_ENV_ADDR:$PEBBLE_ENV_MGMT_PORT"
	pebble_env_fetch "$base/roots/0" "$d/root.pem" "$d/tls-ca.pem" ||
		pebble_env_die "could not fetch $base/roots/0" || return 1
	pebble_env_fetch "$base/intermediates/0" "$d/intermediate.pem" "$d/tls-ca.pem" ||
		pebble_env_die "could not fetch $base/intermediates/0" || return 1
	openssl x509 -noout -in "$d/root.pem" 2>/dev/null ||
		pebble_env_die "$d/root.pem is not a certificate" || return 1
	PEBBLE_ROOT_PEM=$d/root.pem
	# shellcheck disable=SC2034 # for the caller
	PEBBLE_INTERMEDIATE_PEM=$d/intermediate.pem
	pebble_env_log "trust anchor: $PEBBLE_ROOT_PEM ($(openssl x509 -noout -subject -in "$d/root.pem"))"
}

# certbot_live WORKDIR NAME - print the lineage's live directory.
certbot_live() {
	printf '%s/certbot/config/live/%s\n' "$(cd "${1:?certbot_live: WORKDIR missing}" && pwd)" \
		"${2:?certbot_live: NAME missing}"
}

# pebble_env_certbot WORKDIR LOGNAME ARGS... - certbot against our pebble,
# with every directory under WORKDIR/certbot. Output goes to
# WORKDIR/certbot/LOGNAME.out and is shown only on failure.
pebble_env_certbot() {
	local work=$1 logname=$2 d ca out rc=0
	shift 2
	pebble_env_need certbot || return 1
	d=$(cd "$work" && pwd) || return 1
	ca=$d/pebble/tls-ca.pem
	[ -f "$ca" ] || pebble_env_die "no pebble started in $work (run pebble_start first)" || return 1
	mkdir -p "$d/certbot/config" "$d/certbot/work" "$d/certbot/logs" "$d/certbot/xdg" || return 1
	out=$d/certbot/$logname.out
	# REQUESTS_CA_BUNDLE: trust pebble's HTTPS endpoint (and nothing else is
	# contacted). XDG_CONFIG_HOME: ignore a user's ~/.config/letsencrypt/cli.ini.
	REQUESTS_CA_BUNDLE=$ca XDG_CONFIG_HOME=$d/certbot/xdg \
		NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost" \
		certbot "$@" \
		--non-interactive \
		--server "https://$PEBBLE_ENV_ADDR:$PEBBLE_ENV_ACME_PORT/dir" \
		--config-dir "$d/certbot/config" \
		--work-dir "$d/certbot/work" \
		--logs-dir "$d/certbot/logs" \
		--http-01-address "$PEBBLE_ENV_ADDR" \
		--http-01-port "$PEBBLE_ENV_HTTP_PORT" \
		</dev/null >"$out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		sed 's/^/  certbot: /' "$out" >&2
		pebble_env_die "certbot $1 failed (exit $rc; output $out, logs $d/certbot/logs)"
		return 1
	fi
}

# certbot_issue WORKDIR NAME DOMAIN [--key-type rsa|ecdsa] [CERTBOT-ARGS...]
# certonly --standalone, http-01 on 127.0.0.1:PEBBLE_ENV_HTTP_PORT, lineage
# NAME. ECDSA P-256 by default; --key-type rsa means RSA 2048.
certbot_issue() {
	local work=${1:?certbot_issue: WORKDIR missing} name=${2:?certbot_issue: NAME missing}
	local domain=${3:?certbot_issue: DOMAIN missing} keytype=ecdsa start
	shift 3
	local extra=()
	while [ $# -gt 0 ]; do
		case $1 in
		--key-type)
			[ $# -ge 2 ] || pebble_env_die "certbot_issue: --key-type needs a value" || return 1
			keytype=$2
			shift 2
			;;
		--key-type=*)
			keytype=${1#--key-type=}
			shift
			;;
		*)
			extra+=("$1")
			shift
			;;
		esac
	done
	case $keytype in
	rsa) extra+=(--key-type rsa --rsa-key-size 2048) ;;
	ecdsa) extra+=(--key-type ecdsa --elliptic-curve secp256r1) ;;
	*) pebble_env_die "certbot_issue: unknown key type '$keytype' (rsa or ecdsa)"; return 1 ;;
	esac
	start=$(date +%s)
	pebble_env_log "certbot: issuing '$name' for $domain ($keytype)"
	pebble_env_certbot "$work" "issue-$name" certonly \
		--cert-name "$name" -d "$domain" \
		--agree-tos --register-unsafely-without-email \
		--standalone --preferred-challenges http \
		"${extra[@]}" || return 1
	pebble_env_log "certbot: issued '$name' in $(($(date +%s) - start))s: $(certbot_live "$work" "$name")"
}

# certbot_renew WORKDIR NAME - force one renewal of lineage NAME now.
certbot_renew() {
	local work=${1:?certbot_renew: WORKDIR missing} name=${2:?certbot_renew: NAME missing} start
	start=$(date +%s)
	pebble_env_log "certbot: force-renewing '$name'"
	pebble_env_certbot "$work" "renew-$name" renew \
		--cert-name "$name" --force-renewal --no-random-sleep-on-renew || return 1
	pebble_env_log "certbot: renewed '$name' in $(($(date +%s) - start))s" \
		"(cert.pem -> $(readlink "$(certbot_live "$work" "$name")/cert.pem"))"
}
