#!/bin/bash
#
# hook_test.sh BUILD_DIR - fscert behind the certbot deploy hook, with real
# certbot renewing from a local pebble on 127.0.0.1, and fscert.conf
# mistakes as a user would make them.
#
#   1. bad config files: unknown key, unknown section, bad number, password
#      in a file others can read: exit 1, "file:LINE: reason", nothing
#      written;
#   2. `fscert -c CONF deploy` installs a certbot lineage and adds one
#      include line to a vanilla-like vars.xml (with a backup);
#   3. `certbot renew --force-renewal --deploy-hook WRAPPER` runs
#      scripts/certbot-deploy-hook (FSCERT_CONF, FSCERT from the build),
#      while certbot holds its lock: the renewed cert is installed, only
#      for the target of the renewed lineage;
#   4. a second deploy is a no-op: "already current", same inodes, mtimes;
#   5. bad vars values (space in tls_version, ciphers OpenSSL rejects, a
#      double quote, $${): exit 1, clear message, nothing written;
#   6. the hook's own behaviour: exit status is fscert's, failures go to
#      stderr and logger -t fscert, no temp file left, fscert from PATH.
#
# No FreeSWITCH runs here: every deploy gets --no-reload (the hook passes
# its arguments on to fscert deploy).
#
# BUILD_DIR holds the fscert binary (CTest passes $<TARGET_FILE_DIR:fscert>).
# Prints "ok N - ..." / "not ok N - ..." and "N passed, N failed" last;
# exits 1 on any failure, 77 when pebble or certbot are missing.
# FSCERT_HOOK_TEST_KEEP=1 keeps the scratch directory. Fixed pebble ports:
# see scripts/pebble-env.sh (never run two at once).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../scripts/pebble-env.sh
. "$here/../scripts/pebble-env.sh"
# shellcheck source=test/lib.sh
. "$here/lib.sh"
HOOK=$here/../scripts/certbot-deploy-hook

need_args $# 1 1 BUILD_DIR
build=$(cd "$1" 2>/dev/null && pwd) || build=$1
FSCERT=$build/fscert
if [ ! -x "$FSCERT" ]; then
	echo "hook_test: $FSCERT: not found (build first)" >&2
	exit 2
fi

skip_without hook_test "Debian: apt-get install pebble certbot openssl python3" \
	pebble pebble-challtestsrv certbot openssl python3

# The scratch dir; at exit pebble stops first.
scratch_init FSCERT_HOOK_TEST_KEEP hook pebble_stop
scratch=$T
harness numbered

# run CMD... - run with stdout/stderr in $out/$err, status in $rc.
run() {
	rc=0
	"$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
	out=$(cat "$scratch/out")
	err=$(cat "$scratch/err")
}

# expect DESC RC SUBSTRING - the last run exited RC with SUBSTRING on stderr.
expect() {
	local desc=$1 want=$2 sub=$3
	if [ "$rc" = "$want" ] && [[ $err == *"$sub"* ]]; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc, want $want; stderr: $err; wanted: $sub)"
	fi
}

# fp FILE - SHA-256 fingerprint of the first certificate in FILE.
fp() {
	openssl x509 -noout -fingerprint -sha256 -in "$1" 2>/dev/null | sed 's/.*=//'
}

# fp_nth FILE N - fingerprint of the Nth (1-based) certificate in FILE.
fp_nth() {
	awk -v n="$2" '/-----BEGIN CERTIFICATE-----/ { i++ } i == n { print }
		/-----END CERTIFICATE-----/ && i == n { exit }' "$1" | fp /dev/stdin
}

# stamp DIR FILE... - "name inode mtime(ns)" per file.
stamp() {
	local d=$1 f
	shift
	for f in "$@"; do
		printf '%s %s\n' "$f" "$(stat -c '%i %.9Y' "$d/$f")"
	done
}

# tree DIR - every path under DIR with its SHA-256, for "nothing written".
tree() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
		if [ -f "$p" ]; then
			printf '%s %s\n' "$p" "$(sha256sum <"$p" | cut -c1-16)"
		else
			printf '%s\n' "$p"
		fi
	done)
}

# A vars.xml shaped like FreeSWITCH's vanilla one.
vanilla_vars() {
	cat <<'EOF'
<include>
  <!-- Preprocessor Variables
       These are introduced when configuration strings must be consistent across modules.
       NOTICE: YOU CAN NOT COMMENT OUT AN X-PRE-PROCESS line, Remove the line instead.
  -->
  <X-PRE-PROCESS cmd="set" data="default_password=1234"/>
  <X-PRE-PROCESS cmd="set" data="domain=$${local_ip_v4}"/>
  <X-PRE-PROCESS cmd="set" data="sip_tls_version=tlsv1,tlsv1.1,tlsv1.2"/>
  <X-PRE-PROCESS cmd="set" data="sip_tls_ciphers=ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"/>
  <X-PRE-PROCESS cmd="set" data="internal_auth_calls=true"/>
  <X-PRE-PROCESS cmd="set" data="internal_sip_port=5060"/>
  <X-PRE-PROCESS cmd="set" data="internal_tls_port=5061"/>
  <X-PRE-PROCESS cmd="set" data="internal_ssl_enable=false"/>
  <X-PRE-PROCESS cmd="set" data="external_auth_calls=false"/>
  <X-PRE-PROCESS cmd="set" data="external_sip_port=5080"/>
  <X-PRE-PROCESS cmd="set" data="external_tls_port=5081"/>
  <X-PRE-PROCESS cmd="set" data="external_ssl_enable=false"/>
</include>
EOF
}

fs=$scratch/fs
mkdir -p "$fs/tls" "$fs/tls-pbx" "$fs/conf" "$scratch/bin" "$scratch/tmp"
vanilla_vars >"$fs/conf/vars.xml"
cp "$fs/conf/vars.xml" "$scratch/vars.xml.orig"

# --- 1. bad config files (no pebble needed) ------------------------------

# badconf NAME MODE - write stdin to $scratch/NAME with MODE; print path.
badconf() {
	cat >"$scratch/$1"
	chmod "$2" "$scratch/$1"
	printf '%s\n' "$scratch/$1"
}

empty_before=$(tree "$fs")

c=$(badconf unknown-key.conf 600 <<EOF
# a comment
[target sip]
lineage = /etc/letsencrypt/live/sip
certdir = $fs/tls
EOF
)
run "$FSCERT" -c "$c" deploy
expect "unknown key: exit 1, file:LINE" 1 "$c:4: unknown key 'certdir' in [target sip]"

c=$(badconf unknown-section.conf 600 <<EOF
[target sip]
cert_dir = $fs/tls

[eventsocket]
port = 8021
EOF
)
run "$FSCERT" -c "$c" deploy
expect "unknown section: exit 1, file:LINE" 1 "$c:5: unknown section [eventsocket]"

c=$(badconf bad-number.conf 600 <<EOF
[target sip]
cert_dir = $fs/tls
[event_socket]
port = 80x21
EOF
)
run "$FSCERT" -c "$c" deploy
expect "bad number: exit 1, file:LINE" 1 "$c:4: 'port' must be a number from 0 to 65535, not '80x21'"

c=$(badconf big-number.conf 600 <<EOF
[check]
warn_days = 20
crit_days = 99999
EOF
)
run "$FSCERT" -c "$c" status
expect "number out of range: exit 1, file:LINE" 1 "$c:3: 'crit_days' must be a number from 0 to 3650, not '99999'"

c=$(badconf bad-bool.conf 600 <<EOF
[target sip]
cert_dir = $fs/tls
vars = maybe
EOF
)
run "$FSCERT" -c "$c" deploy
expect "bad boolean: exit 1, file:LINE" 1 "$c:3: 'vars' must be yes or no (true/false, on/off, 1/0), not 'maybe'"

c=$(badconf password-0644.conf 644 <<EOF
[target sip]
cert_dir = $fs/tls
[event_socket]
password = ClueCon
EOF
)
run "$FSCERT" -c "$c" deploy
expect "password in a 0644 file refused" 1 "$c: holds the event-socket password but is readable by others (mode 0644; chmod 600 it)"
chmod 640 "$c"
run "$FSCERT" -c "$c" vars --target sip
expect "password in a 0640 file refused" 1 "(mode 0640; chmod 600 it)"
chmod 600 "$c"
run "$FSCERT" -c "$c" vars --target sip
check "password in a 0600 file accepted" test "$rc" = 0

c=$(badconf indented.conf 600 <<EOF
[target sip]
cert_dir = $fs/tls
  /somewhere/else
EOF
)
run "$FSCERT" -c "$c" vars --target sip
expect "indented continuation line: exit 1, file:LINE" 1 "$c:3: 'cert_dir' given twice (an indented line continues the key above it)"

c=$(badconf no-target-name.conf 600 <<EOF
[target]
cert_dir = $fs/tls
EOF
)
run "$FSCERT" -c "$c" deploy
expect "[target] without a name" 1 "$c:2: [target] needs a name: [target NAME]"

c=$(badconf shared-fragment.conf 600 <<EOF
[target a]
cert_dir = $fs/tls
conf_dir = $fs/conf
[target b]
cert_dir = $fs/tls2
conf_dir = $fs/conf
EOF
)
run "$FSCERT" -c "$c" deploy
expect "two targets, one vars fragment: refused" 1 "targets 'a' and 'b' write the same vars fragment in $fs/conf"

run "$FSCERT" -c "$scratch/no-such.conf" deploy
expect "missing -c file: exit 1, named" 1 "$scratch/no-such.conf: no such file"

check "bad config files wrote nothing" test "$(tree "$fs")" = "$empty_before"

# --- 2. issue, then deploy by hand ---------------------------------------

work=$scratch/pebble-work
mkdir -p "$work"
pebble_start "$work"
pebble_roots "$work"
certbot_issue "$work" sip sip.example.test
certbot_issue "$work" pbx pbx.example.test --key-type rsa
live=$(certbot_live "$work" sip)
live_pbx=$(certbot_live "$work" pbx)
archive=$work/certbot/config/archive/sip

conf=$scratch/fscert.conf
cat >"$conf" <<EOF
; two targets: the hook must only touch the renewed lineage's one
[target sip]
lineage = $live
cert_dir = $fs/tls
conf_dir = $fs/conf
host = sip.example.test
ca_file = $PEBBLE_ROOT_PEM

[target pbx]
lineage = $live_pbx
cert_dir = $fs/tls-pbx
host = pbx.example.test
ca_file = $PEBBLE_ROOT_PEM
vars = no

[event_socket]
password = ClueCon

[check]
warn_days = 20
EOF
chmod 600 "$conf"

run "$FSCERT" -c "$conf" deploy --no-reload --target sip
if [ "$rc" = 0 ] && [[ $out == "sip: installed "* ]]; then
	ok "first deploy installs (exit 0)"
else
	not_ok "first deploy installs (exit $rc; out: $out; err: $err)"
fi
check "agent.pem holds cert1" test "$(fp "$fs/tls/agent.pem")" = "$(fp "$archive/cert1.pem")"
n=$(grep -c 'cmd="include" data="vars_fscert.xml"' "$fs/conf/vars.xml" || :)
check "vars.xml got one include line (got $n)" test "$n" = 1
check "vars.xml.fscert-bak is the old vars.xml" cmp -s "$fs/conf/vars.xml.fscert-bak" "$scratch/vars.xml.orig"
check "vars.xml.fscert-bak is owner-only (vars.xml may hold passwords)" test "$(stat -c %a "$fs/conf/vars.xml.fscert-bak")" = 600
check "the include line is last, before </include>" \
	test "$(tail -n 2 "$fs/conf/vars.xml" | head -n 1)" = '  <X-PRE-PROCESS cmd="include" data="vars_fscert.xml"/>'
check "vars_fscert.xml sets internal_ssl_dir" \
	grep -qF "<X-PRE-PROCESS cmd=\"set\" data=\"internal_ssl_dir=$fs/tls\"/>" "$fs/conf/vars_fscert.xml"

# --- 3. certbot renews and runs the hook ---------------------------------

wrapper=$scratch/deploy-hook-wrapper
cat >"$wrapper" <<EOF
#!/bin/sh
# What certbot runs: the real hook, with the test's config and binary.
printf '%s\n' "\$RENEWED_LINEAGE" >>"$scratch/hook.lineage"
# Is certbot's lock held while the hook runs? (fscert must not want it.)
python3 - "$work/certbot/config/.certbot.lock" >"$scratch/hook.lock" 2>&1 <<'PY'
import fcntl, sys
with open(sys.argv[1], "a") as f:
    try:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("free")
    except OSError:
        print("held")
PY
rc=0
FSCERT="$FSCERT" FSCERT_CONF="$conf" "$HOOK" --no-reload 2>"$scratch/hook.err" || rc=\$?
echo "\$rc" >>"$scratch/hook.rc"
exit "\$rc"
EOF
chmod +x "$wrapper"

pebble_env_log "certbot: force-renewing 'sip' with --deploy-hook"
rc=0
pebble_env_certbot "$work" renew-hook renew --cert-name sip --force-renewal \
	--no-random-sleep-on-renew --deploy-hook "$wrapper" || rc=$?
check "certbot renew --deploy-hook succeeded (exit $rc)" test "$rc" = 0
check "live cert.pem now points at cert2.pem" test "$(readlink "$live/cert.pem")" = ../../archive/sip/cert2.pem
check "the hook ran once, with RENEWED_LINEAGE=$live" \
	test "$(cat "$scratch/hook.lineage" 2>/dev/null)" = "$live"
check "the hook exited 0 ($(cat "$scratch/hook.rc" 2>/dev/null); stderr: $(cat "$scratch/hook.err" 2>/dev/null))" \
	test "$(cat "$scratch/hook.rc" 2>/dev/null)" = 0
check "certbot held its lock while the hook ran" test "$(cat "$scratch/hook.lock" 2>/dev/null)" = held
check "the hook said nothing (-q)" test ! -s "$scratch/hook.err"
cert2=$(fp "$archive/cert2.pem")
check "cert2 is a new certificate" test "$cert2" != "$(fp "$archive/cert1.pem")"
check "agent.pem's cert is cert2.pem" test "$(fp "$fs/tls/agent.pem")" = "$cert2"
check "wss.pem's leaf is cert2.pem" test "$(fp "$fs/tls/wss.pem")" = "$cert2"
check "wss.pem's second cert is chain2.pem" test "$(fp_nth "$fs/tls/wss.pem" 2)" = "$(fp "$archive/chain2.pem")"
check "cafile.pem is chain2.pem's intermediate" test "$(fp "$fs/tls/cafile.pem")" = "$(fp "$archive/chain2.pem")"
n=$(grep -c 'cmd="include" data="vars_fscert.xml"' "$fs/conf/vars.xml" || :)
check "vars.xml still has exactly one include line (got $n)" test "$n" = 1
check "vars.xml.fscert-bak still exists" test -f "$fs/conf/vars.xml.fscert-bak"
check "the other target (pbx) was not touched by the hook" test -z "$(ls -A "$fs/tls-pbx")"
run "$FSCERT" -c "$conf" status --target sip
check "fscert status: sip matches its lineage after the hook (exit $rc)" test "$rc" = 0
pebble_stop

# --- 4. a second deploy is a no-op ---------------------------------------

run "$FSCERT" -c "$conf" deploy --no-reload --target pbx
check "deploy --target pbx installs (exit $rc)" test "$rc" = 0

before=$(stamp "$fs/tls" agent.pem cafile.pem wss.pem; stamp "$fs/conf" vars.xml vars_fscert.xml vars.xml.fscert-bak)
sleep 0.05
run "$FSCERT" -c "$conf" deploy --no-reload
if [ "$rc" = 0 ] && [[ $out == *"sip: already current"* ]] && [[ $out == *"pbx: already current"* ]]; then
	ok "second deploy: exit 0, already current"
else
	not_ok "second deploy: exit 0, already current (exit $rc; out: $out; err: $err)"
fi
after=$(stamp "$fs/tls" agent.pem cafile.pem wss.pem; stamp "$fs/conf" vars.xml vars_fscert.xml vars.xml.fscert-bak)
check "second deploy left inodes and mtimes alone" test "$before" = "$after"

# --- 5. bad vars values --------------------------------------------------

# badvars DESC KEY=VALUE SUBSTRING - deploy, then vars --write, with one
# bad value, each into a fresh cert dir and a vanilla conf dir: exit 1,
# message, nothing written anywhere (but fscert's lock file).
badvars() {
	local desc=$1 kv=$2 sub=$3 d=$scratch/bad c t0 t1 cmd
	c=$scratch/bad.conf
	printf '[target bad]\nlineage = %s\ncert_dir = %s\nconf_dir = %s\nca_file = %s\n%s\n' \
		"$live" "$d/tls" "$d/conf" "$PEBBLE_ROOT_PEM" "$kv" >"$c"
	for cmd in "deploy --no-reload" "vars --write"; do
		rm -rf "$d"
		mkdir -p "$d/tls" "$d/conf"
		vanilla_vars >"$d/conf/vars.xml"
		t0=$(tree "$d")
		# shellcheck disable=SC2086 # cmd is two words on purpose
		run "$FSCERT" -c "$c" $cmd
		expect "$cmd, $desc: exit 1 with a clear message" 1 "$sub"
		# fscert's own lock (cert_dir/.fscert/) does not count.
		t1=$(tree "$d" | grep -v '^\./tls/\.fscert' || :)
		if [ "$t1" = "$t0" ]; then
			ok "$cmd, $desc: nothing written"
		else
			not_ok "$cmd, $desc: nothing written (new: $(diff <(echo "$t0") <(echo "$t1") | sed -n 's/^> \.\///p' | cut -d' ' -f1 | tr '\n' ' '))"
		fi
	done
}

badvars "tls_version with a space" "tls_version = tlsv1.2, tlsv1.3" \
	"sip_tls_version: 'tlsv1.2, tlsv1.3' holds a space"
badvars "tls_version with an unknown token" "tls_version = tlsv1.2,tls1.3" \
	"sip_tls_version: unknown token 'tls1.3'"
badvars "tls_ciphers NOPE" "tls_ciphers = NOPE" \
	"sip_tls_ciphers: OpenSSL accepts no TLS 1.2 cipher in 'NOPE'"
badvars "a double quote" 'internal_tls_port = 50"61' \
	"internal_tls_port: value holds '\"'"
# shellcheck disable=SC2016 # a literal $${x}
badvars "\$\${ in a value" 'external_ssl_enable = $${x}' \
	"external_ssl_enable: value holds '\$\${'"

# The same bad value against a target already deployed: the installed set
# and vars files stay as they are.
before=$(tree "$fs")
sed '/^\[target sip\]$/a tls_ciphers = NOPE' "$conf" >"$scratch/bad-sip.conf"
chmod 600 "$scratch/bad-sip.conf"
run "$FSCERT" -c "$scratch/bad-sip.conf" deploy --no-reload --target sip
expect "bad tls_ciphers on a deployed target: exit 1" 1 "sip_tls_ciphers: OpenSSL accepts no TLS 1.2 cipher in 'NOPE'"
check "bad tls_ciphers on a deployed target: nothing changed" test "$(tree "$fs")" = "$before"

# --- 6. the hook itself --------------------------------------------------

# A logger that records what it was asked to log.
cat >"$scratch/bin/logger" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$scratch/logger.log"
EOF
chmod +x "$scratch/bin/logger"

rm -f "$scratch/logger.log"
run env PATH="$scratch/bin:$PATH" TMPDIR="$scratch/tmp" FSCERT="$FSCERT" \
	FSCERT_CONF="$scratch/unknown-key.conf" RENEWED_LINEAGE="$live" "$HOOK" --no-reload
expect "hook: fscert's exit status 1 and its message on stderr" 1 \
	"fscert: $scratch/unknown-key.conf:4: unknown key 'certdir'"
check "hook: the failure went to logger -t fscert -p user.err" \
	grep -qF -- "-t fscert -p user.err -- $scratch/unknown-key.conf:4: unknown key 'certdir'" "$scratch/logger.log"
check "hook: a summary line names the lineage" \
	grep -qF -- "-t fscert -p user.err -- deploy hook: deploy of $live failed (exit 1)" "$scratch/logger.log"
check "hook: no temp file left" test -z "$(ls -A "$scratch/tmp")"

run env PATH="$scratch/bin:$PATH" FSCERT="$FSCERT" FSCERT_CONF="$conf" \
	RENEWED_LINEAGE="$live" "$HOOK" --no-reload --bogus
check "hook: passes its arguments on, exit 2 for a usage error (got $rc)" test "$rc" = 2

rm -f "$scratch/logger.log"
run env PATH="$scratch/bin:$PATH" FSCERT="$FSCERT" FSCERT_CONF="$conf" \
	RENEWED_LINEAGE="$work/certbot/config/live/other" "$HOOK" --no-reload
if [ "$rc" = 0 ] && [ -z "$out$err" ] && [ ! -e "$scratch/logger.log" ]; then
	ok "hook: a lineage no target uses is fine (exit 0, silent, nothing logged)"
else
	not_ok "hook: a lineage no target uses is fine (exit $rc; $out$err)"
fi

before=$(tree "$fs")
run env -u FSCERT PATH="$build:$scratch/bin:$PATH" FSCERT_CONF="$conf" \
	RENEWED_LINEAGE="$live" "$HOOK" --no-reload
if [ "$rc" = 0 ] && [ -z "$out$err" ]; then
	ok "hook: finds fscert in PATH, already current, silent"
else
	not_ok "hook: finds fscert in PATH, already current, silent (exit $rc; $out$err)"
fi
check "hook: already current changed nothing" test "$(tree "$fs")" = "$before"

run env PATH="$scratch/bin:$PATH" FSCERT="$scratch/no-such-fscert" \
	FSCERT_CONF="$conf" RENEWED_LINEAGE="$live" "$HOOK" --no-reload
if [ "$rc" = 127 ] && [[ $err == *no-such-fscert* ]]; then
	ok "hook: a missing fscert binary fails loudly (exit 127)"
else
	not_ok "hook: a missing fscert binary fails loudly (exit $rc; $err)"
fi

summary
