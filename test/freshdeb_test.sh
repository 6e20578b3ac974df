#!/bin/sh
#
# freshdeb_test.sh: what a minimal Debian 12 lacks must not break the
# README's commands (../shared/tools/fresh-debian runs them for real;
# this keeps the two causes it found from coming back in CI):
#
#   - without cmocka, `cmake -S . -B DIR` (the default FSCERT_TESTS=AUTO)
#     configures, says the tests are not built, and fscert builds; with
#     FSCERT_TESTS=ON it stops and names cmocka.  pkg-config is pointed
#     at a copy of the system's .pc files without cmocka.pc;
#   - scripts/pebble-env.sh sees busy TCP and UDP ports (what the
#     readiness check of pebble-challtestsrv's DNS needs) with no `ss`
#     on PATH: a minimal Debian has no iproute2.
#
# Prints "ok - ..." / "not ok - ..." and "N passed, N failed".

set -u
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/.." && pwd)
need_tools cmake pkg-config python3 awk bash
scratch_init FSCERT_TEST_KEEP freshdeb

# --- no cmocka ----------------------------------------------------------
pc=$T/pc
mkdir -p "$pc"
for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
	[ -d "$d" ] || continue
	for f in "$d"/*.pc; do
		[ -e "$f" ] || continue
		case ${f##*/} in cmocka.pc) continue ;; esac
		[ -e "$pc/${f##*/}" ] || ln -s "$f" "$pc/${f##*/}"
	done
done
PKG_CONFIG_LIBDIR=$pc pkg-config --exists cmocka &&
    die "cmocka still visible to pkg-config"

if PKG_CONFIG_LIBDIR=$pc cmake -S "$src" -B "$T/b" >"$T/cfg.out" 2>&1 &&
    grep -q "cmocka not found: the tests are not built" "$T/cfg.out" &&
    cmake --build "$T/b" -j2 --target fscert >"$T/build.out" 2>&1 &&
    "$T/b/fscert" --version >/dev/null 2>&1 &&
    [ ! -d "$T/b/test" ]; then
	ok "no cmocka: cmake configures without the tests and fscert builds"
else
	not_ok "no cmocka: cmake configures without the tests and fscert builds" \
	    "$(tail -n 15 "$T/cfg.out" "$T/build.out" 2>/dev/null)"
fi
if PKG_CONFIG_LIBDIR=$pc cmake -S "$src" -B "$T/b2" -DFSCERT_TESTS=ON \
    >"$T/cfg2.out" 2>&1; then
	not_ok "no cmocka, FSCERT_TESTS=ON: cmake stops" "$(tail -n 5 "$T/cfg2.out")"
elif grep -q cmocka "$T/cfg2.out"; then
	ok "no cmocka, FSCERT_TESTS=ON: cmake stops and names cmocka"
else
	not_ok "no cmocka, FSCERT_TESTS=ON: cmake stops and names cmocka" \
	    "$(tail -n 5 "$T/cfg2.out")"
fi

# --- ports without ss ---------------------------------------------------
mkdir -p "$T/bin"
for t in awk printf sed cat; do
	p=$(command -v "$t") && ln -s "$p" "$T/bin/$t"
done
python3 - "$T/ports" <<'PY' &
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (u.getsockname()[1], t.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(20)
PY
holder=$!
i=0
while [ ! -s "$T/ports" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read -r UDP TCP <"$T/ports" || die "no ports from the holder"
free=$(free_port)
res=$(PATH=$T/bin /bin/bash -c '
	. "$1/scripts/pebble-env.sh"
	command -v ss >/dev/null 2>&1 && echo "ss found"
	pebble_env_port_busy udp "$2" && echo udp-busy
	pebble_env_port_busy tcp "$3" && echo tcp-busy
	pebble_env_port_busy tcp "$2" && echo udp-as-tcp
	pebble_env_port_busy udp "$4" && echo free-udp-busy
	pebble_env_port_busy tcp "$4" && echo free-tcp-busy
	:' bash "$src" "$UDP" "$TCP" "$free" 2>&1)
kill "$holder" 2>/dev/null
if [ "$(echo $res)" = "udp-busy tcp-busy" ]; then
	ok "pebble-env sees busy UDP and TCP ports without ss"
else
	not_ok "pebble-env sees busy UDP and TCP ports without ss" "got: $res"
fi
summary
