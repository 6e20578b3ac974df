#!/bin/sh
# bench_reload.sh BUILD_DIR [FSMOCK]: deploy -> new leaf served, against
# the fsmock test server.  The target: fscert's overhead over the
# server's own reload time is at most 300 ms.  A benchmark, not a test:
# it prints figures and never fails on them.
#
# For each of fsmock's modes, 1.11 (reloadcert) and 1.10 (sofia profile
# internal restart), without and with mod_verto loaded (its secure port
# a third listener; on 1.10 "reload mod_verto" after the restart),
# BENCH_RUNS times each, alternating two lineages X and Y (so every run
# installs and proves a new leaf):
#
#   (a) fscert: the wall time of `fscert --json deploy` (validate,
#       bundle, install, connect, reload command, wait, prove by
#       handshake on SIP-TLS and WSS) from start until it returns 0;
#   (b) the server alone: an independent python3 prober does the same
#       by hand: installs the same bundle (made by `fscert bundle`,
#       renamed into place), logs in to the event socket, then times
#       from sending the reload command (1.11: reloadcert; 1.10: the
#       profile restart) to the first moment both ports serve the new
#       leaf, handshaking back to back;
#
# overhead = (a) - (b), on the mean and on the median (runs are not
# paired: fsmock draws its reload delays at random, as FreeSWITCH's
# vary).  Every run gets a fresh fsmock (uptime 3600 s, no call in use),
# so the 10-second restart guard never applies; one warm-up handshake
# per port precedes the timing in both (a) and (b).
#
# Environment: BENCH_RUNS (default 10 per mode and side).  Needs openssl
# and python3.  BENCH_KEEP=1 keeps the scratch directory.  The PKI and
# the scratch dir: test/lib.sh.
set -eu
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../test/lib.sh"

need_args $# 1 2 "BUILD_DIR [FSMOCK]"
build=$(cd "$1" && pwd)
fscert=$build/fscert
fsmock=${2:-$build/test/fsmock}
for b in "$fscert" "$fsmock"; do
	[ -x "$b" ] || { echo "bench: no executable $b" >&2; exit 2; }
done
fsmock=$(cd "$(dirname "$fsmock")" && pwd)/$(basename "$fsmock")
for t in openssl python3; do
	command -v $t >/dev/null || { echo "bench: $t is needed" >&2; exit 2; }
done
runs=${BENCH_RUNS:-10}

scratch_init BENCH_KEEP bench-reload
work=$T
cd "$work"

# A Let's Encrypt-like PKI (RSA 2048 root, intermediate, two leaves) and
# two certbot lineages in the live -> ../../archive layout.
host=sip.example.test
for k in root int X Y; do
	pki_key $k.key &
done
wait
pki_make . bench $host serverAuth || die "bench: cannot make the CA"
: >empty.conf
for l in X Y; do
	{ pki_leaf . $l.key $l.pem "/OU=$l/CN=$host" &&
	    lineage_make le-$l $host $l.pem $l.key int.pem; } ||
	    die "bench: cannot make lineage $l"
	# What deploy installs, for the by-hand side.
	mkdir -p bundle-$l
	"$fscert" -c empty.conf -q bundle --ca-file root.pem --host $host \
	    "$PWD/le-$l/live/$host" -o bundle-$l >/dev/null
done

FSCERT=$fscert FSMOCK=$fsmock RUNS=$runs HOST=$host WORK=$work \
    python3 - <<'EOF'
import hashlib, json, os, random, select, socket, ssl, statistics
import subprocess, sys, threading, time

FSCERT, FSMOCK, HOST, WORK = (os.environ[k] for k in
                              ('FSCERT', 'FSMOCK', 'HOST', 'WORK'))
RUNS = int(os.environ['RUNS'])
PW = 'bench-' + os.urandom(6).hex()
ROOT = os.path.join(WORK, 'root.pem')
LIVE = {l: os.path.join(WORK, 'le-%s/live/%s' % (l, HOST)) for l in 'XY'}
BUNDLE = {l: os.path.join(WORK, 'bundle-' + l) for l in 'XY'}

def leaf_sha(l):
    with open(os.path.join(WORK, l + '.pem')) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
SHA = {l: leaf_sha(l) for l in 'XY'}

CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE

def served(port):
    """SHA-256 of the leaf served on port, or None."""
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=2) as s:
            with CTX.wrap_socket(s, server_hostname=HOST) as t:
                return hashlib.sha256(t.getpeercert(True)).hexdigest()
    except (OSError, ssl.SSLError):
        return None

def install(src, dst):
    """The by-hand install: each file to a temp name, then renamed."""
    for f in ('agent.pem', 'cafile.pem', 'wss.pem'):
        with open(os.path.join(src, f), 'rb') as a:
            data = a.read()
        tmp = os.path.join(dst, '.' + f + '.bench')
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, os.path.join(dst, f))

class Mock:
    """
    A fresh fsmock on random free ports, serving what certs holds; with
    verto, mod_verto's secure port too (vanilla: certs/wss.pem).
    """
    def __init__(self, mode, certs, state, verto=False):
        os.makedirs(state, exist_ok=True)
        with open(os.path.join(state, 'password'), 'w') as f:
            f.write(PW + '\n')
        for _ in range(30):
            self.esl, self.tls, self.wss = random.sample(range(20001, 60000, 2), 3)
            self.ports = (self.tls, self.wss) + ((self.wss + 1,) if verto else ())
            self.p = subprocess.Popen(
                [FSMOCK, '--esl-port', str(self.esl), '--tls-port', str(self.tls),
                 '--wss-port', str(self.wss), '--cert-dir', certs,
                 '--state-dir', state, '--mode', mode, '--uptime', '3600'] +
                (['--verto-port', str(self.wss + 1)] if verto else []),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = self.p.stdout.readline()
            if line.strip() == 'fsmock: ready':
                return
            err = self.p.stderr.read()
            self.p.wait()
            if 'Address already in use' not in err:
                sys.exit('bench: fsmock did not start: ' + err)
        sys.exit('bench: no free ports')

    def stop(self):
        self.p.terminate()
        self.p.wait()

class Esl:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.buf = b''
        self.msg()
        self.s.sendall(b'auth ' + PW.encode() + b'\n\n')
        h, _ = self.msg()
        assert h.get(b'Reply-Text', b'').startswith(b'+OK'), h

    def msg(self):
        while b'\n\n' not in self.buf:
            self.buf += self.s.recv(65536)
        head, self.buf = self.buf.split(b'\n\n', 1)
        h = dict(l.split(b': ', 1) for l in head.split(b'\n'))
        n = int(h.get(b'Content-Length', b'0'))
        while len(self.buf) < n:
            self.buf += self.s.recv(65536)
        body, self.buf = self.buf[:n], self.buf[n:]
        return h, body

    def api(self, cmd):
        self.s.sendall(b'api ' + cmd + b'\n\n')
        return self.msg()[1]

    def close(self):
        self.s.close()

def prepare(mode, kind, i, verto):
    """Cert dir with the previous lineage installed, and a fresh mock."""
    base = os.path.join(WORK, 'run-%s%s-%s' % (mode, '-verto' if verto else '', kind))
    certs = os.path.join(base, 'certs')
    if not os.path.isdir(certs):
        os.makedirs(certs)
        # Installed by fscert itself, so that (a) starts from its state.
        subprocess.run([FSCERT, '-c', os.path.join(WORK, 'empty.conf'), '-q',
                        'deploy', '--no-reload', '--lineage', LIVE['Y'],
                        '--cert-dir', certs, '--ca-file', ROOT, '--host', HOST],
                       check=True, stdout=subprocess.DEVNULL)
    new = 'XY'[i % 2]
    old = 'XY'[(i + 1) % 2]
    m = Mock(mode, certs, os.path.join(base, 'state'), verto)
    for port in m.ports:
        got = served(port)
        if got != SHA[old]:
            sys.exit('bench: %s %s run %d: port %d serves %s before, want %s'
                     % (mode, kind, i, port, got, old))
    return m, certs, new, base

class Watch(threading.Thread):
    """
    The server's own timeline during a fscert run: when fsmock logged
    the reload command (its state log gets the line as the command
    arrives), and when both ports first served the new leaf after it.
    """
    def __init__(self, m, state, cmd, new):
        super().__init__(daemon=True)
        self.m, self.log, self.cmd, self.new = m, os.path.join(state, 'log'), cmd, new
        self.t_cmd = self.t_new = None
        self.stop = False

    def run(self):
        seen = 0
        while not self.stop and self.t_cmd is None:
            try:
                with open(self.log, 'rb') as f:
                    f.seek(seen)
                    data = f.read()
            except FileNotFoundError:
                data = b''
            if self.cmd + b'\n' in data:
                self.t_cmd = time.monotonic()
                break
            time.sleep(0.0005)
        want = set(self.m.ports)
        while not self.stop and want:
            for port in sorted(want):
                if served(port) == SHA[self.new]:
                    want.discard(port)
            if want:
                time.sleep(0.001)
        if not want:
            self.t_new = time.monotonic()

def run_fscert(mode, i, verto):
    m, certs, new, base = prepare(mode, 'fscert', i, verto)
    state = os.path.join(base, 'state')
    cmd = b'api reloadcert' if mode == '1.11' else \
        b'api sofia profile internal restart'
    # The log from earlier runs: only the lines of this run count.
    try:
        os.unlink(os.path.join(state, 'log'))
    except FileNotFoundError:
        pass
    w = Watch(m, state, cmd, new)
    w.start()
    env = dict(os.environ, FSCERT_ESL_PASSWORD=PW)
    t0 = time.monotonic()
    p = subprocess.run([FSCERT, '-c', os.path.join(WORK, 'empty.conf'),
                        '--json', 'deploy', '--lineage', LIVE[new],
                        '--cert-dir', certs, '--ca-file', ROOT, '--host', HOST,
                        '--esl', '127.0.0.1:%d' % m.esl],
                       env=env, capture_output=True, text=True)
    t1 = time.monotonic()
    w.join(5)
    w.stop = True
    ok = p.returncode == 0 and all(served(port) == SHA[new]
                                   for port in m.ports)
    m.stop()
    if not ok:
        sys.exit('bench: fscert deploy failed (exit %d): %s %s'
                 % (p.returncode, p.stdout, p.stderr))
    if w.t_cmd is None or w.t_new is None:
        sys.exit('bench: %s run %d: the watcher saw no reload' % (mode, i))
    steps = json.loads(p.stdout)['targets'][0]['reload']['steps']
    return (t1 - t0) * 1000, (w.t_new - w.t_cmd) * 1000, steps

def run_by_hand(mode, i, verto):
    m, certs, new, base = prepare(mode, 'hand', i, verto)
    install(BUNDLE[new], certs)
    e = Esl(m.esl)
    cmd = b'reloadcert' if mode == '1.11' else b'sofia profile internal restart'
    t0 = time.monotonic()
    reply = e.api(cmd)
    if verto and mode == '1.10':
        # Before reloadcert, verto loads its certificate with the module.
        reply += e.api(b'reload mod_verto')
    want = set(m.ports)
    while want:
        for port in sorted(want):
            if served(port) == SHA[new]:
                want.discard(port)
        if want:
            time.sleep(0.001)
        if time.monotonic() - t0 > 30:
            sys.exit('bench: by hand: the new leaf never came (%r)' % reply)
    dt = (time.monotonic() - t0) * 1000
    e.close()
    m.stop()
    return dt

def stats(xs):
    return statistics.mean(xs), statistics.median(xs), max(xs)

rows, steprows = [], []
for mode, method, verto in (('1.11', 'reloadcert', False),
                            ('1.10', 'restart', False),
                            ('1.11', 'reloadcert, + verto', True),
                            ('1.10', 'restart + reload mod_verto', True)):
    a, b, srv, steps = [], [], [], {}
    for i in range(RUNS):
        # Interleaved, so that drift on the box hits both sides alike.
        dt, sdt, st = run_fscert(mode, i, verto)
        a.append(dt)
        srv.append(sdt)
        for s in st:
            name = s['step']
            if name.startswith('verify '):
                name = 'verify (each endpoint)'
            steps.setdefault(name, []).append(s['ms'])
        b.append(run_by_hand(mode, i, verto))
        print('bench: %s run %d: fscert %.0f ms (server within it %.0f ms), '
              'server alone %.0f ms' % (mode, i + 1, dt, sdt, b[-1]),
              file=sys.stderr)
    sa, sb, ss = stats(a), stats(b), stats(srv)
    sp = stats([x - y for x, y in zip(a, srv)])
    rows.append((mode, method, len(a), sa, sb, ss, sp))
    steprows.append(('%s (%s)' % (mode, method), steps))

print('## fscert deploy -> new leaf served, against fsmock (%d runs per mode)'
      % RUNS)
print()
print('"+ verto": mod_verto loaded (vanilla verto.conf: wss.pem), its secure')
print('port a third listener to prove; on 1.10 "reload mod_verto" follows the')
print('restart.')
print()
print('| mode | what | mean ms | median ms | max ms |')
print('|---|---|---:|---:|---:|')
for mode, method, n, sa, sb, ss, sp in rows:
    lab = '%s (%s)' % (mode, method)
    print('| %s | (a) `fscert deploy`, start to exit 0 | %.0f | %.0f | %.0f |'
          % ((lab,) + sa))
    print('| %s | (b) server alone, by hand: command to new leaf on both ports | %.0f | %.0f | %.0f |'
          % ((lab,) + sb))
    print('| %s | (b\') server during each (a) run: command logged to new leaf on both ports | %.0f | %.0f | %.0f |'
          % ((lab,) + ss))
    print('| %s | overhead (a) - (b), unpaired | %.0f | %.0f | - |'
          % (lab, sa[0] - sb[0], sa[1] - sb[1]))
    print('| %s | **overhead (a) - (b\'), paired per run** | **%.0f** | **%.0f** | **%.0f** |'
          % ((lab,) + sp))
print()
print('| mode | paired overhead: mean | median | max | target | verdict |')
print('|---|---:|---:|---:|---:|---|')
for mode, method, n, sa, sb, ss, sp in rows:
    print('| %s (%s) | %.0f ms | %.0f ms | %.0f ms | <= 300 ms | %s |'
          % (mode, method, sp[0], sp[1], sp[2],
             'met' if sp[2] <= 300 else
             ('met on mean and median' if sp[1] <= 300 and sp[0] <= 300
              else 'NOT met')))
print()
print('(b) and (a) are separate runs and fsmock draws its reload delays at')
print('random (1.10: old leaf 300-900 ms, port closed 1000-1400 ms), so the')
print("unpaired difference is noisy; (b') is the same server timeline as (b),")
print('observed by a concurrent prober while fscert runs, and gives the paired')
print('overhead.')
print()
print("Where fscert's reload time goes (its --json steps, mean ms; deploy's own")
print('validate + bundle + install is the rest of (a)):')
print()
for mode, steps in steprows:
    print('- %s: ' % mode + ', '.join('%s %.0f' % (k, statistics.mean(v))
                                       for k, v in steps.items()))
EOF
