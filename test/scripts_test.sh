#!/bin/bash
#
# scripts_test.sh BUILD_DIR - static checks of what scripts/ and man/
# ship, against the code:
#
#   - every key of the table in lib/config.c is documented in its section
#     of man/fscert.conf.5 and shown in its section of
#     scripts/fscert.conf.example, and neither names a key the code lacks;
#   - the example parses, as shipped and with every key uncommented;
#   - mandoc -Tlint -W warning man/fscert.conf.5 prints nothing;
#   - the hook is POSIX sh (dash -n, shellcheck -s sh when installed);
#   - fscert.service and fscert.timer pass systemd-analyze verify (with
#     @BINDIR@ filled in), and the timer runs twice a day;
#   - fscert.cron is one cron.d line, twice a day, with -q.
#
# BUILD_DIR holds the fscert binary.  Prints "ok N - ..." lines and
# "N passed, N failed" last; exits 1 on any failure.

set -eu
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"

need_args $# 1 1 BUILD_DIR
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
FSCERT=$build/fscert
scratch_init FSCERT_TEST_KEEP scripts
scratch=$T
harness numbered
skip() {
	npass=$((npass + 1))
	echo "ok $((npass + nfail)) # SKIP $*"
}

# --- keys: code, man page, example -----------------------------------------

# "section key" for each entry of keys[] in lib/config.c.
awk '
	/^static const struct key keys\[\]/ { on = 1; next }
	on && /^};/ { exit }
	on && match($0, /^\tT[SBIL]\("[a-z_]+"/) {
		k = substr($0, RSTART + 5, RLENGTH - 6); print "target " k
	}
	on && match($0, /^\tC[SBIL]\(S_[A-Z]+, "[a-z_]+"/) {
		s = $0; sub(/^\tC[SBIL]\(S_/, "", s); sec = s; sub(/,.*/, "", sec)
		k = s; sub(/^[A-Z]+, "/, "", k); sub(/".*/, "", k)
		if (sec == "ESL") sec = "event_socket"
		print tolower(sec) " " k
	}
' "$src/lib/config.c" | LC_ALL=C sort >"$scratch/code"
n=$(wc -l <"$scratch/code")
if [ "$n" -ge 20 ]; then
	ok "read $n keys from lib/config.c"
else
	not_ok "read $n keys from lib/config.c (the table's layout changed?)"
fi

# The man page: .Ss "[section]" then .It Ic key, in the first .Bl of each.
awk '
	/^\.Ss "\[target/ { sec = "target"; next }
	/^\.Ss "\[/ { sec = $2; gsub(/["\[\]]/, "", sec); next }
	/^\.S[sh] / { sec = "" }
	sec != "" && /^\.It Ic [a-z_]+/ { print sec " " $3 }
' "$src/man/fscert.conf.5" | LC_ALL=C sort -u >"$scratch/man"
if diff "$scratch/code" "$scratch/man" >"$scratch/diff"; then
	ok "fscert.conf.5 documents every key, in its section, and no other"
else
	not_ok "fscert.conf.5 documents every key, in its section, and no other ('<' code only, '>' man only): $(grep '^[<>]' "$scratch/diff" | tr '\n' ' ')"
fi

# The example: [section] headers, and "key =" or "#key =" lines.
ex=$src/scripts/fscert.conf.example
awk '
	/^#?\[target / { sec = "target"; next }
	/^#?\[[a-z_]+\]/ { sec = $0; gsub(/[#\[\]]/, "", sec); next }
	sec != "" && /^#?[a-z_]+ = / { k = $1; sub(/^#/, "", k); print sec " " k }
' "$ex" | LC_ALL=C sort -u >"$scratch/example"
if diff "$scratch/code" "$scratch/example" >"$scratch/diff"; then
	ok "fscert.conf.example shows every key, in its section, and no other"
else
	not_ok "fscert.conf.example shows every key, in its section, and no other: $(grep '^[<>]' "$scratch/diff" | tr '\n' ' ')"
fi

mkdir -p "$scratch/cd"
cp "$ex" "$scratch/example.conf"
rc=0
"$FSCERT" -c "$scratch/example.conf" vars --target sip --cert-dir "$scratch/cd" \
	>/dev/null 2>"$scratch/err" || rc=$?
if [ "$rc" = 0 ]; then
	ok "the example parses as shipped"
else
	not_ok "the example parses as shipped (exit $rc: $(cat "$scratch/err"))"
fi
# Every key uncommented (and the second target): the password needs 0600.
sed -E 's/^#(\[|[a-z_]+ = )/\1/' "$ex" >"$scratch/all.conf"
chmod 600 "$scratch/all.conf"
rc=0
"$FSCERT" -c "$scratch/all.conf" vars --target sip --cert-dir "$scratch/cd" \
	>"$scratch/out" 2>"$scratch/err" || rc=$?
if [ "$rc" = 0 ] && grep -q 'sip_tls_ciphers=' "$scratch/out"; then
	ok "the example parses with every key uncommented"
else
	not_ok "the example parses with every key uncommented (exit $rc: $(cat "$scratch/err"))"
fi

# --- the man page ----------------------------------------------------------

if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -Tlint -W warning "$src/man/fscert.conf.5" 2>&1) || :
	if [ -z "$out" ]; then
		ok "mandoc -Tlint -W warning fscert.conf.5: nothing"
	else
		not_ok "mandoc -Tlint -W warning fscert.conf.5: $out"
	fi
else
	skip "mandoc not installed"
fi

# --- the hook ----------------------------------------------------------------

hook=$src/scripts/certbot-deploy-hook
if [ -x "$hook" ] && [ "$(head -n 1 "$hook")" = "#!/bin/sh" ]; then
	ok "certbot-deploy-hook: executable, #!/bin/sh"
else
	not_ok "certbot-deploy-hook: executable, #!/bin/sh"
fi
if command -v dash >/dev/null 2>&1; then
	if dash -n "$hook"; then ok "dash -n certbot-deploy-hook"; else not_ok "dash -n certbot-deploy-hook"; fi
else
	skip "dash not installed"
fi
if command -v shellcheck >/dev/null 2>&1; then
	if out=$(shellcheck -s sh "$hook" 2>&1); then
		ok "shellcheck -s sh certbot-deploy-hook"
	else
		not_ok "shellcheck -s sh certbot-deploy-hook: $out"
	fi
else
	skip "shellcheck not installed"
fi

# --- systemd units and cron ------------------------------------------------------

for f in fscert.service fscert.timer; do
	sed "s|@BINDIR@|$build|g" "$src/scripts/$f" >"$scratch/$f"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	if out=$(systemd-analyze verify --man=no "$scratch/fscert.service" \
		"$scratch/fscert.timer" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify fscert.service fscert.timer"
	else
		not_ok "systemd-analyze verify fscert.service fscert.timer: $out"
	fi
	out=$(systemd-analyze calendar '*-*-* 00,12:00:00' 2>&1 |
		sed -n 's/^ *Normalized form: //p')
	if [ "$out" = "*-*-* 00,12:00:00" ]; then
		ok "OnCalendar=*-*-* 00,12:00:00 is valid"
	else
		not_ok "OnCalendar=*-*-* 00,12:00:00 is valid ($out)"
	fi
else
	skip "systemd-analyze not installed"
	skip "systemd-analyze not installed"
fi
timer=$src/scripts/fscert.timer
if grep -qx 'OnCalendar=\*-\*-\* 00,12:00:00' "$timer" &&
	grep -qx 'RandomizedDelaySec=1h' "$timer" &&
	grep -qx 'Persistent=true' "$timer" &&
	grep -qx 'WantedBy=timers.target' "$timer"; then
	ok "fscert.timer: twice a day, 1h random delay, persistent, timers.target"
else
	not_ok "fscert.timer: twice a day, 1h random delay, persistent, timers.target"
fi
svc=$src/scripts/fscert.service
if grep -qx 'Type=oneshot' "$svc" && grep -qx 'ExecStart=@BINDIR@/fscert -q deploy' "$svc"; then
	ok "fscert.service: oneshot, fscert -q deploy"
else
	not_ok "fscert.service: oneshot, fscert -q deploy"
fi

cron=$src/scripts/fscert.cron
jobs=$(grep -vE '^(#|$|[A-Z_]+=)' "$cron")
if [ "$(printf '%s\n' "$jobs" | wc -l)" = 1 ] &&
	printf '%s\n' "$jobs" | grep -qE '^[0-9]{1,2} [0-9]+,[0-9]+ \* \* \*[[:space:]]+root[[:space:]]+.*@BINDIR@/fscert -q deploy$' &&
	[ "$(tail -c 1 "$cron" | od -An -c | tr -d ' ')" = '\n' ]; then
	ok "fscert.cron: one cron.d line, twice a day, as root, fscert -q deploy"
else
	not_ok "fscert.cron: one cron.d line, twice a day, as root, fscert -q deploy ($jobs)"
fi

summary
