#!/bin/sh
# bench_check.sh BUILD_DIR: how fast is `fscert check`, against the openssl
# CLI pipeline an administrator would otherwise write.  A benchmark, not a
# test: it prints figures and never fails on them.
#
# It makes a throwaway PKI with the openssl CLI (RSA 4096 root, RSA 2048
# intermediate, like ISRG Root X1 / R11; RSA 2048 leaves, one shared key,
# every leaf distinct) and BENCH_N certbot lineages:
#   DIR/archive/sipI.example.test/{cert1,chain1,fullchain1,privkey1}.pem
#   DIR/live/sipI.example.test/{cert,chain,fullchain,privkey}.pem
#       -> ../../archive/sipI.example.test/...1.pem  (relative symlinks)
# then measures
#   1. one `fscert check --ca-file ROOT --host NAME LIVE` process per lineage
#      (BENCH_RUNS runs: mean, median);
#   2. the openssl pipeline over the same lineage, same count: -checkend,
#      key match (pkey -pubout vs x509 -pubkey), verify -CAfile -untrusted,
#      -checkhost, fullchain == cert + chain (bench/openssl_check.sh);
#   3. one `fscert check --ca-file ROOT L1 ... LN` process (BENCH_BATCH_RUNS
#      runs), total and per lineage, against the pipeline looped over the
#      first BENCH_PIPE_SAMPLE lineages, extrapolated to BENCH_N;
#   4. peak RSS (/usr/bin/time -v) of both fscert modes.
#
# Environment (defaults): BENCH_N=1000 BENCH_RUNS=200 BENCH_BATCH_RUNS=10
# BENCH_PIPE_SAMPLE=100 (set it to BENCH_N to run the whole pipeline),
# BENCH_DIR (a fresh temp dir, removed at exit unless BENCH_KEEP=1).
# Uses hyperfine when installed (apt-get install hyperfine), else a python3
# timer; needs openssl, python3 and /usr/bin/time (package time).
set -eu

usage() { echo "usage: bench/bench_check.sh BUILD_DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
build=$1
here=$(cd "$(dirname "$0")" && pwd)

N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-200}
BATCH_RUNS=${BENCH_BATCH_RUNS:-10}
SAMPLE=${BENCH_PIPE_SAMPLE:-100}
[ "$SAMPLE" -le "$N" ] || SAMPLE=$N

fscert=
for f in "$build/fscert" "$build/cli/fscert"; do
	if [ -x "$f" ]; then fscert=$(cd "$(dirname "$f")" && pwd)/fscert; break; fi
done
[ -n "$fscert" ] || { echo "bench: no fscert binary in $build (or $build/cli)" >&2; exit 2; }
for t in openssl python3; do
	command -v $t >/dev/null || { echo "bench: $t is needed" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

if [ -n "${BENCH_DIR:-}" ]; then
	mkdir -p "$BENCH_DIR"
	work=$(cd "$BENCH_DIR" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/fscert-bench.XXXXXX")
fi
cleanup() {
	if [ "${BENCH_KEEP:-0}" = 1 ] || [ -n "${BENCH_DIR:-}" ]; then
		echo "bench: files kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"

msg() { echo "bench: $*" >&2; }
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# ---------------------------------------------------------------- the PKI
t0=$(now_ms)
cat >ext.cnf <<'EOF'
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,digitalSignature,keyCertSign,cRLSign
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
q() { openssl "$@" 2>pki.err || { cat pki.err >&2; exit 1; }; }
mkdir -p pki
q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out pki/root.key
q req -x509 -new -key pki/root.key -subj "/C=US/O=fscert bench/CN=Bench Root X1" \
    -days 3650 -sha256 -config ext.cnf -extensions root -out pki/root.pem
q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pki/int.key
q pkey -in pki/int.key -pubout -out pki/int.pub
q x509 -new -subj "/C=US/O=fscert bench/CN=B11" -force_pubkey pki/int.pub \
    -CA pki/root.pem -CAkey pki/root.key -extfile ext.cnf -extensions int \
    -days 1095 -sha256 -out pki/int.pem
q genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pki/leaf.key
chmod 600 pki/leaf.key
q pkey -in pki/leaf.key -pubout -out pki/leaf.pub
root=$work/pki/root.pem

# One lineage per argument (a number): sign its own leaf, lay out certbot's
# archive/ and live/ trees.
cat >gen.sh <<'EOF'
#!/bin/sh
set -eu
pki=$1; shift
for i in "$@"; do
	n=sip$i.example.test
	a=archive/$n
	mkdir -p "$a" "live/$n"
	printf '[leaf]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth,clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = DNS:%s\n' \
	    "$n" >"$a/ext.cnf"
	openssl x509 -new -subj "/CN=$n" -force_pubkey "$pki/leaf.pub" \
	    -CA "$pki/int.pem" -CAkey "$pki/int.key" -extfile "$a/ext.cnf" \
	    -extensions leaf -days 90 -sha256 -out "$a/cert1.pem" 2>/dev/null
	rm -f "$a/ext.cnf"
	cp "$pki/int.pem" "$a/chain1.pem"
	cat "$a/cert1.pem" "$a/chain1.pem" >"$a/fullchain1.pem"
	(umask 077; cp "$pki/leaf.key" "$a/privkey1.pem")
	for f in cert chain fullchain privkey; do
		ln -sf "../../$a/${f}1.pem" "live/$n/$f.pem"
	done
done
EOF
jobs=$(nproc 2>/dev/null || echo 1)
msg "generating $N lineages in $work ($jobs parallel jobs)"
seq 1 "$N" | xargs -n 50 -P "$jobs" sh gen.sh "$work/pki"
chmod 700 archive
t1=$(now_ms)
gen_s=$(python3 -c "print(f'{($t1 - $t0) / 1000:.1f}')")
msg "PKI and $N lineages made in ${gen_s} s"

one=live/sip1.example.test
host1=sip1.example.test
# All paths, in numeric order, into a file (one per line) and a variable.
seq 1 "$N" | sed 's|.*|live/sip&.example.test|' >paths.txt
sample_paths=$(head -n "$SAMPLE" paths.txt | tr '\n' ' ')
all_paths=$(tr '\n' ' ' <paths.txt)

# -------------------------------------------------- the openssl pipeline
cp "$here/openssl_check.sh" ./openssl_check.sh 2>/dev/null || {
	msg "no $here/openssl_check.sh"; exit 2; }

# ------------------------------------------------------- sanity checks
msg "checking that the lineages are OK"
set +e
"$fscert" check --ca-file "$root" --host "$host1" "$one" >single.out 2>&1
rc_single=$?
sh ./openssl_check.sh "$root" "$one" >pipe.out 2>&1
rc_pipe=$?
"$fscert" check --json --ca-file "$root" $all_paths >batch.json 2>batch.err
rc_batch=$?
set -e
sed 's/^/  fscert: /' single.out >&2
[ $rc_single -eq 0 ] || msg "WARNING: fscert check of $one exited $rc_single (timed anyway)"
[ $rc_pipe -eq 0 ] || { msg "WARNING: openssl pipeline on $one exited $rc_pipe:"; cat pipe.out >&2; }
cat >count_ok.py <<'EOF'
import collections, json, sys
n = int(sys.argv[2])
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("unparsable")
    sys.exit(0)
paths = d.get("paths", [])
ok = sum(1 for p in paths if p.get("status") == "OK")
if ok != n or len(paths) != n:
    rules = collections.Counter(str(f.get("rule")) + "/" + str(f.get("severity"))
                                for p in paths for f in p.get("findings", []))
    print("bench: batch --json: %d paths, %d OK; findings: %s"
          % (len(paths), ok, dict(rules.most_common(8))), file=sys.stderr)
print(ok)
EOF
batch_ok=$(python3 count_ok.py batch.json "$N")
msg "batch run (exit $rc_batch): $batch_ok of $N lineages OK"
[ -s batch.err ] && sed 's/^/  fscert stderr: /' batch.err | head -n 5 >&2

# ------------------------------------------------------------- timings
# time_cmd NAME RUNS WARMUP CMD...: time CMD (no shell in between), write
# NAME.json = {"mean":s,"median":s,"stddev":s,"min":s,"max":s,"runs":n}.
cat >timer.py <<'EOF'
import json, statistics, subprocess, sys, time
out, runs, warm, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
dn = subprocess.DEVNULL
for _ in range(warm):
    subprocess.run(cmd, stdout=dn, stderr=dn)
t = []
for _ in range(runs):
    s = time.perf_counter()
    subprocess.run(cmd, stdout=dn, stderr=dn)
    t.append(time.perf_counter() - s)
json.dump({"mean": statistics.mean(t), "median": statistics.median(t),
           "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
           "min": min(t), "max": max(t), "runs": len(t)}, open(out, "w"))
EOF
if command -v hyperfine >/dev/null; then
	timer="hyperfine $(hyperfine --version | cut -d' ' -f2)"
else
	timer="python3 subprocess timer (hyperfine not installed)"
fi
time_cmd() {
	name=$1 runs=$2 warm=$3
	shift 3
	if command -v hyperfine >/dev/null; then
		# -N: no intermediate shell; -i: the exit status is not ours to judge.
		hyperfine -N -i --style none --runs "$runs" --warmup "$warm" \
		    --export-json "$name.hf.json" -- "$*" >/dev/null 2>"$name.hf.err" ||
		    { cat "$name.hf.err" >&2; exit 1; }
		python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
json.dump({k: r[k] for k in ("mean", "median", "stddev", "min", "max")} |
          {"runs": len(r["times"])}, open(sys.argv[2], "w"))' \
		    "$name.hf.json" "$name.json"
	else
		python3 timer.py "$name.json" "$runs" "$warm" "$@"
	fi
}

msg "timing: $RUNS single-lineage fscert processes"
time_cmd single_fscert "$RUNS" 10 "$fscert" check --ca-file "$root" --host "$host1" "$one"
msg "timing: $RUNS single-lineage openssl pipelines"
time_cmd single_pipe "$RUNS" 3 sh ./openssl_check.sh "$root" "$one"
msg "timing: $BATCH_RUNS fscert processes over $N lineages"
time_cmd batch_fscert "$BATCH_RUNS" 1 "$fscert" check --ca-file "$root" $all_paths
pipe_runs=3
[ "$SAMPLE" -le 200 ] || pipe_runs=1
msg "timing: $pipe_runs openssl pipeline loops over $SAMPLE lineages"
time_cmd batch_pipe "$pipe_runs" 0 sh ./openssl_check.sh "$root" $sample_paths

# ----------------------------------------------------------- peak RSS
rss() {	# rss CMD...: the peak RSS of CMD (and its children) in KiB
	/usr/bin/time -v "$@" >/dev/null 2>rss.err || true
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' rss.err
}
msg "measuring peak RSS"
rss_single=$(rss "$fscert" check --ca-file "$root" --host "$host1" "$one")
rss_batch=$(rss "$fscert" check --ca-file "$root" $all_paths)
rss_pipe=$(rss sh ./openssl_check.sh "$root" "$one")

# ------------------------------------------------------------- report
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
export B_N=$N B_SAMPLE=$SAMPLE B_CPU="$cpu" B_JOBS="$jobs" B_FSCERT="$fscert" \
    B_OPENSSL="$(openssl version)" B_VERSION="$("$fscert" --version 2>/dev/null | head -n 1)" \
    B_TIMER="$timer" B_GEN="$gen_s" B_OK="$batch_ok" \
    B_RSS_SINGLE="$rss_single" B_RSS_BATCH="$rss_batch" B_RSS_PIPE="$rss_pipe"
python3 - <<'EOF'
import json, os
E = os.environ
ld = lambda n: json.load(open(n + ".json"))
sf, sp, bf, bp = ld("single_fscert"), ld("single_pipe"), ld("batch_fscert"), ld("batch_pipe")
N, SAMPLE = int(E["B_N"]), int(E["B_SAMPLE"])
ms = lambda s: s * 1000.0
per_f = ms(bf["mean"]) / N
per_p = ms(bp["mean"]) / SAMPLE
tot_p = per_p * N
extra = "" if SAMPLE == N else f", extrapolated from {SAMPLE}"
def fmt(x):
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"
def mb(kib):
    try:
        return f"{int(kib) / 1024:.1f} MiB"
    except ValueError:
        return "?"
def verdict(v, target):
    return "met" if v <= target else "MISSED"

print()
print("fscert check benchmark")
print(f"  host:    {E['B_CPU']}, nproc {E['B_JOBS']}")
print(f"  openssl: {E['B_OPENSSL']}")
print(f"  fscert:  {E['B_VERSION'] or '?'} ({E['B_FSCERT']})")
print(f"  timer:   {E['B_TIMER']}; lineages made in {E['B_GEN']} s")
print(f"  batch --json run: {E['B_OK']} of {N} lineages OK")
print()
print("| Measurement | fscert | openssl CLI pipeline | fscert speed-up |")
print("|---|---:|---:|---:|")
print(f"| One lineage, one process: mean / median of {sf['runs']} runs "
      f"| {fmt(ms(sf['mean']))} / {fmt(ms(sf['median']))} ms "
      f"| {fmt(ms(sp['mean']))} / {fmt(ms(sp['median']))} ms "
      f"| {sp['mean'] / sf['mean']:.1f}x |")
print(f"| {N} lineages, one process: total (mean of {bf['runs']}; pipeline{extra}) "
      f"| {fmt(ms(bf['mean']))} ms | {fmt(tot_p / 1000)} s | {tot_p / ms(bf['mean']):.0f}x |")
print(f"| {N} lineages: per lineage | {per_f:.3f} ms | {fmt(per_p)} ms | {per_p / per_f:.0f}x |")
print(f"| Peak RSS: one lineage / {N} lineages | {mb(E['B_RSS_SINGLE'])} / {mb(E['B_RSS_BATCH'])} "
      f"| {mb(E['B_RSS_PIPE'])} (largest process) | |")
print()
print(f"fscert is {sp['mean'] / sf['mean']:.1f}x faster than the openssl pipeline on one lineage "
      f"and {per_p / per_f:.0f}x faster per lineage in a {N}-lineage batch.")
print(f"Targets: <= 10 ms per single-lineage process: {fmt(ms(sf['mean']))} ms, "
      f"{verdict(ms(sf['mean']), 10)}; <= 0.5 ms per lineage in batch: {per_f:.3f} ms, "
      f"{verdict(per_f, 0.5)}.")
print("Notes: the single-lineage runs pass --host to both; the batch fscert run has no --host"
      " (one name per lineage), the pipeline loop still runs -checkhost per lineage.")
EOF
