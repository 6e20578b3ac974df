#!/bin/bash
#
# install_test.sh BUILD_DIR - `cmake --install BUILD_DIR` into a scratch
# DESTDIR, then check what it put there:
#
#   - every expected file, with the mode it needs (hook executable);
#   - the hook, the service and the cron line name PREFIX/bin/fscert, and
#     no @PLACEHOLDER@ is left; the units pass systemd-analyze verify;
#   - fscert.pc: pkg-config --cflags --libs, --static, --modversion;
#   - a small C program builds against the installed headers and links
#     the static library (pkg-config --static), then the shared one, and
#     both run; the shared library exports only fscert_* symbols;
#   - the installed fscert --version;
#   - `cmake --install --prefix P` puts P, not the configured prefix, in
#     the hook and in fscert.pc.
#
# BUILD_DIR is the CMake build directory (with fscert built in it).
# Prints "ok N - ..." / "not ok N - ..." and "N passed, N failed" last;
# exits 1 on any failure.  FSCERT_INSTALL_TEST_KEEP=1 keeps the scratch
# directory.

set -eu
# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"

need_args $# 1 1 BUILD_DIR
build=$(cd "$1" 2>/dev/null && pwd) || {
	echo "install_test: $1: no such directory" >&2
	exit 2
}
[ -f "$build/CMakeCache.txt" ] || {
	echo "install_test: $build: not a CMake build directory" >&2
	exit 2
}
for tool in cmake pkg-config cc readelf nm; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "install_test: '$tool' is needed" >&2
		exit 2
	}
done

scratch_init FSCERT_INSTALL_TEST_KEEP install
scratch=$T
harness numbered

# cache NAME - a value from the build's CMakeCache.txt.
cache() {
	sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n 1
}

src=$(cache fscert_SOURCE_DIR)
prefix=$(cache CMAKE_INSTALL_PREFIX)
libdir=$(cache CMAKE_INSTALL_LIBDIR)
includedir=$(cache CMAKE_INSTALL_INCLUDEDIR)
datadir=$(cache CMAKE_INSTALL_DATADIR)
mandir=$(cache CMAKE_INSTALL_MANDIR)
docdir=$(cache CMAKE_INSTALL_DOCDIR)
unitdir=$(cache FSCERT_SYSTEMD_UNITDIR)
[ -n "$unitdir" ] || unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) || :
[ -n "$unitdir" ] || unitdir=lib/systemd/system
# Relative directories are under the prefix.
abs() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$prefix" "$1" ;;
	esac
}
libdir=$(abs "${libdir:-lib}")
includedir=$(abs "${includedir:-include}")
datadir=$(abs "${datadir:-share}")
mandir=$(abs "${mandir:-share/man}")
docdir=$(abs "${docdir:-share/doc/fscert}")
unitdir=$(abs "$unitdir")
version=$(sed -n 's/^project(fscert VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")

# --- the DESTDIR install --------------------------------------------------

D=$scratch/destdir
if DESTDIR=$D cmake --install "$build" >"$scratch/install.log" 2>&1; then
	ok "DESTDIR=... cmake --install succeeded"
else
	not_ok "DESTDIR=... cmake --install succeeded"
	sed 's/^/  /' "$scratch/install.log"
fi
# install_manifest.txt lists the paths without DESTDIR: each must be in D.
missing=$(while IFS= read -r f; do
	[ -e "$D$f" ] || [ -L "$D$f" ] || printf '%s ' "$f"
done <"$build/install_manifest.txt")
check "every path in install_manifest.txt is under DESTDIR${missing:+ (not: $missing)}" \
	test -z "$missing" -a -s "$build/install_manifest.txt"

expect_file() {
	local f=$1 mode=${2:-}
	if [ ! -f "$D$f" ]; then
		not_ok "installed: $f (missing)"
	elif [ -n "$mode" ] && [ "$(stat -c %a "$D$f")" != "$mode" ]; then
		not_ok "installed: $f (mode $(stat -c %a "$D$f"), want $mode)"
	else
		ok "installed: $f${mode:+ ($mode)}"
	fi
}
expect_file "$prefix/bin/fscert" 755
expect_file "$libdir/libfscert.a"
expect_file "$libdir/libfscert.so.$version"
check "installed: $libdir/libfscert.so -> libfscert.so.0 -> libfscert.so.$version" \
	test "$(readlink "$D$libdir/libfscert.so")" = libfscert.so.0 -a \
	"$(readlink "$D$libdir/libfscert.so.0")" = "libfscert.so.$version"
expect_file "$libdir/pkgconfig/fscert.pc" 644
for h in "$src"/include/fscert/*.h; do
	expect_file "$includedir/fscert/$(basename "$h")" 644
done
expect_file "$mandir/man1/fscert.1" 644
expect_file "$mandir/man5/fscert.conf.5" 644
expect_file "$datadir/fscert/certbot-deploy-hook" 755
expect_file "$datadir/fscert/fscert.cron" 644
expect_file "$unitdir/fscert.service" 644
expect_file "$unitdir/fscert.timer" 644
expect_file "$docdir/fscert.conf.example" 644
n=$(find "$D" -type f -o -type l | wc -l)
want=$((13 + $(find "$src/include/fscert" -name '*.h' | wc -l)))
check "no more and no fewer files than those ($n, want $want)" test "$n" = "$want"

# --- the files that name the binary ----------------------------------------

hook=$D$datadir/fscert/certbot-deploy-hook
check "no @PLACEHOLDER@ left in the installed scripts" \
	test -z "$(grep -l '@[A-Z_]*@' "$hook" "$D$unitdir/fscert.service" "$D$datadir/fscert/fscert.cron" "$D$libdir/pkgconfig/fscert.pc" || :)"
check "hook: bindir is $prefix/bin" grep -qx "bindir='$prefix/bin'" "$hook"
check "hook: sh -n" sh -n "$hook"
check "service: ExecStart=$prefix/bin/fscert -q deploy" \
	grep -qx "ExecStart=$prefix/bin/fscert -q deploy" "$D$unitdir/fscert.service"
check "cron: twice a day, as root, $prefix/bin/fscert -q deploy" \
	grep -qE "^[0-9]+ 0,12 \* \* \*[[:space:]]+root[[:space:]]+test -x $prefix/bin/fscert && $prefix/bin/fscert -q deploy\$" \
	"$D$datadir/fscert/fscert.cron"

# The hook, run as certbot would, for a lineage no target uses: it finds
# the installed binary (FSCERT points it into DESTDIR) and exits 0.
printf '[check]\nwarn_days = 20\n' >"$scratch/empty.conf"
rc=0
out=$(FSCERT=$D$prefix/bin/fscert FSCERT_CONF=$scratch/empty.conf \
	RENEWED_LINEAGE=/nonexistent/live/x "$hook" 2>&1) || rc=$?
check "installed hook runs: exit 0, silent (exit $rc: $out)" test "$rc" = 0 -a -z "$out"

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify checks that ExecStart exists: point it into DESTDIR.
	mkdir -p "$scratch/units"
	sed "s|^ExecStart=$prefix/|ExecStart=$D$prefix/|" "$D$unitdir/fscert.service" \
		>"$scratch/units/fscert.service"
	cp "$D$unitdir/fscert.timer" "$scratch/units/"
	if out=$(systemd-analyze verify --man=no "$scratch/units/fscert.service" \
		"$scratch/units/fscert.timer" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify: fscert.service fscert.timer"
	else
		not_ok "systemd-analyze verify: fscert.service fscert.timer: $out"
	fi
else
	ok "# SKIP systemd-analyze not installed"
fi

# --- pkg-config ----------------------------------------------------------

export PKG_CONFIG_PATH=$D$libdir/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$D
check "pkg-config --modversion fscert = $version" \
	test "$(pkg-config --modversion fscert)" = "$version"
# (pkg-config ends its output with a blank.)
cflags=$(pkg-config --cflags fscert | sed 's/ *$//')
libs=$(pkg-config --libs fscert | sed 's/ *$//')
# shellcheck disable=SC2086 # one flag a line
check "pkg-config --cflags: -I$D$includedir ($cflags)" \
	test "$(printf '%s\n' $cflags | grep -cx -- "-I$D$includedir")" = 1
check "pkg-config --libs: -L$D$libdir -lfscert ($libs)" \
	test "$libs" = "-L$D$libdir -lfscert"
slibs=$(pkg-config --static --libs fscert | sed 's/ *$//')
missing=
for l in -lfscert -lssl -lcrypto -linih; do
	# shellcheck disable=SC2086 # one flag a line
	printf '%s\n' $slibs | grep -qx -- "$l" || missing="$missing $l"
done
check "pkg-config --static --libs has -lfscert -lssl -lcrypto -linih ($slibs)" test -z "$missing"

# --- a program against the installed library -------------------------------

cat >"$scratch/t.c" <<'EOF'
/* Uses the config parser (inih), the vars renderer (OpenSSL's cipher
 * check) and the version: enough to need every private dependency. */
#include <stdio.h>
#include <string.h>

#include <fscert/fscert.h>

int
main(void)
{
	struct fscert_config c;
	struct fscert_err e;
	struct fscert_buf out = { 0 };
	FILE *f;
	int rc = 1;

	fscert_err_clear(&e);
	fscert_config_init(&c);
	if ((f = tmpfile()) == NULL)
		return 1;
	fputs("[target t]\ncert_dir = /nonexistent\n"
	    "tls_ciphers = ECDHE-RSA-AES128-GCM-SHA256\n", f);
	rewind(f);
	if (fscert_config_parse(&c, f, "t.conf", &e) == -1 ||
	    c.ntargets != 1) {
		fprintf(stderr, "parse: %s\n", e.msg);
		goto out;
	}
	if (fscert_vars_render(&c.targets[0], "/etc/freeswitch/tls", &out,
	    &e) == -1) {
		fprintf(stderr, "render: %s\n", e.msg);
		goto out;
	}
	if (strstr((const char *)out.data, "sip_tls_ciphers=") == NULL)
		goto out;
	printf("libfscert %s\n", fscert_version());
	rc = 0;
out:
	fscert_buf_free(&out);
	fscert_config_free(&c);
	(void)fclose(f);
	return rc;
}
EOF
ccflags="-std=c11 -Wall -Wextra -Werror -pedantic"
static_libs=$(printf '%s\n' "$slibs" | sed 's/-lfscert\b/-l:libfscert.a/')
# shellcheck disable=SC2086 # word splitting of flags on purpose
if cc $ccflags $cflags -o "$scratch/t-static" "$scratch/t.c" \
	$static_libs >"$scratch/cc.log" 2>&1; then
	ok "C program builds with the installed headers, links libfscert.a"
	check "static program does not need libfscert.so" \
		test -z "$(readelf -d "$scratch/t-static" | grep 'NEEDED.*libfscert')"
	out=$("$scratch/t-static" 2>&1) || :
	check "static program runs ($out)" test "$out" = "libfscert $version"
else
	not_ok "C program builds with the installed headers, links libfscert.a"
	sed 's/^/  /' "$scratch/cc.log"
fi
# shellcheck disable=SC2086
if cc $ccflags $cflags -o "$scratch/t-shared" "$scratch/t.c" $libs >"$scratch/cc.log" 2>&1; then
	ok "C program links libfscert.so"
	check "shared program needs libfscert.so.0" \
		grep -q 'NEEDED.*\[libfscert\.so\.0\]' <<<"$(readelf -d "$scratch/t-shared")"
	out=$(LD_LIBRARY_PATH=$D$libdir "$scratch/t-shared" 2>&1) || :
	check "shared program runs ($out)" test "$out" = "libfscert $version"
else
	not_ok "C program links libfscert.so"
	sed 's/^/  /' "$scratch/cc.log"
fi
others=$(nm -D --defined-only "$D$libdir/libfscert.so.$version" |
	awk '$2 ~ /^[TDBR]$/ { print $3 }' | grep -v '^fscert_' | tr '\n' ' ' || :)
check "libfscert.so exports only fscert_* symbols${others:+ (also: $others)}" test -z "$others"

out=$("$D$prefix/bin/fscert" --version 2>&1) || :
check "installed fscert --version: fscert $version ($out)" test "$out" = "fscert $version"

# --- --prefix at install time ------------------------------------------------

P=/opt/fscert-install-test
D2=$scratch/destdir2
if DESTDIR=$D2 cmake --install "$build" --prefix "$P" >"$scratch/install2.log" 2>&1; then
	ok "cmake --install --prefix $P succeeded"
else
	not_ok "cmake --install --prefix $P succeeded"
	sed 's/^/  /' "$scratch/install2.log"
fi
rel=${datadir#"$prefix"/}
check "--prefix: hook names $P/bin" grep -qx "bindir='$P/bin'" "$D2$P/$rel/fscert/certbot-deploy-hook"
relpc=${libdir#"$prefix"/}
check "--prefix: fscert.pc has prefix=$P" grep -qx "prefix=$P" "$D2$P/$relpc/pkgconfig/fscert.pc"
check "--prefix: $P/bin/fscert installed" test -x "$D2$P/bin/fscert"

summary
