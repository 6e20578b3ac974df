#!/bin/sh
# deps.sh [build|test]: install the Debian 12 packages fscert needs.
#   build: compile fscert and run the demo (certbot + pebble)
#   test:  everything the test suite needs as well (cmocka, clang for
#          the fuzzer, mandoc for the man page lint, valgrind and gcovr
#          for the hardening gates, ps (procps) for the password
#          check of the reload test)
set -eu
what=${1:-build}
pkgs="build-essential cmake pkg-config libssl-dev openssl libcurl4-openssl-dev
 libinih-dev libjansson-dev libexpat1-dev certbot pebble ca-certificates python3 curl"
if [ "$what" = test ]; then
	pkgs="$pkgs libcmocka-dev clang libclang-rt-14-dev mandoc faketime
 clang-format clang-tidy cppcheck strace valgrind util-linux gcovr procps"
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps.sh: installing:$missing" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
