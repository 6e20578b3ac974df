#!/bin/sh
# bench_deploy.sh BUILD_DIR: how long `fscert deploy --no-reload` takes,
# against the shell hook an administrator would otherwise write.  A
# benchmark, not a test: it prints figures and never fails on them.
#
#   unchanged  the installed set already matches: compare and write
#              nothing (what every timer run does);
#   install    lineages A and B alternate, so every run replaces all three
#              files (validate, bundle, back up, temp + fsync + rename).
# The shell alternative (bench/shell_deploy.sh) checks the key match
# and the chain with the openssl CLI and installs with install(1) + mv.
#
# Environment: BENCH_RUNS (default 200).  Needs openssl and python3.
set -eu
[ $# -eq 1 ] || { echo "usage: bench/bench_deploy.sh BUILD_DIR" >&2; exit 2; }
fscert=$(cd "$1" && pwd)/fscert
here=$(cd "$(dirname "$0")" && pwd)
runs=${BENCH_RUNS:-200}
work=$(mktemp -d "${TMPDIR:-/tmp}/fscert-bench-deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# A Let's Encrypt-like PKI: RSA root and intermediate, two RSA leaves.
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem \
    -subj /CN=bench-root -days 3650 -addext basicConstraints=critical,CA:TRUE
q openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj /CN=bench-int
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
q openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -out int.pem -days 1000 -extfile int.ext
printf 'subjectAltName=DNS:sip.example.test\nextendedKeyUsage=serverAuth\n' >leaf.ext
for n in a b; do
	q openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj /CN=sip.example.test
	q openssl x509 -req -in $n.csr -CA int.pem -CAkey int.key -CAcreateserial \
	    -out $n.pem -days 90 -extfile leaf.ext
	mkdir -p cfg/archive/$n cfg/live/$n
	cp $n.pem cfg/archive/$n/cert1.pem
	cp int.pem cfg/archive/$n/chain1.pem
	cat $n.pem int.pem >cfg/archive/$n/fullchain1.pem
	install -m 600 $n.key cfg/archive/$n/privkey1.pem
	for f in cert chain fullchain privkey; do
		ln -s ../../archive/$n/${f}1.pem cfg/live/$n/$f.pem
	done
done
mkdir -p tls sh-tls

python3 - "$fscert" "$here/shell_deploy.sh" "$runs" <<'PY'
import statistics, subprocess, sys, time
fscert, shell, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def fs(lin, d):
    return [fscert, "-q", "deploy", "--no-reload", "--lineage", "cfg/live/" + lin,
            "--cert-dir", d, "--ca-file", "root.pem", "--host", "sip.example.test"]
def sh(lin, d):
    return ["sh", shell, "cfg/live/" + lin, d, "root.pem"]
def timed(cmds):
    out = []
    for c in cmds:
        t = time.perf_counter()
        subprocess.run(c, check=True, stdout=subprocess.DEVNULL)
        out.append((time.perf_counter() - t) * 1000)
    return out
rows = []
for name, mk, d in (("fscert deploy --no-reload", fs, "tls"),
                    ("shell hook (openssl + install + mv)", sh, "sh-tls")):
    subprocess.run(mk("a", d), check=True, stdout=subprocess.DEVNULL)
    same = timed([mk("a", d)] * runs)
    alt = timed([mk("b" if i % 2 == 0 else "a", d) for i in range(runs)])
    rows.append((name, same, alt))
print("| deploy, %d runs each (mean / median / max ms) | unchanged | full install |" % runs)
print("|---|---:|---:|")
for name, same, alt in rows:
    f = lambda v: "%.2f / %.2f / %.2f" % (statistics.mean(v), statistics.median(v), max(v))
    print("| %s | %s | %s |" % (name, f(same), f(alt)))
fsu, fsi = statistics.median(rows[0][1]), statistics.median(rows[0][2])
print()
print("Targets: unchanged <= 10 ms: %.2f ms, %s; full install <= 30 ms: %.2f ms, %s."
      % (fsu, "met" if fsu <= 10 else "MISSED", fsi, "met" if fsi <= 30 else "MISSED"))
print("fscert is %.1fx (unchanged) and %.1fx (install) faster than the shell hook."
      % (statistics.median(rows[1][1]) / fsu, statistics.median(rows[1][2]) / fsi))
PY
