#!/bin/sh
#
# fsmock_test.sh BUILD_DIR: checks that the fsmock test server plays
# FreeSWITCH as captured in shared/reference/esl-transcripts/.  The event
# socket replies are compared byte for byte with the transcripts (the
# expected bytes are copied into this script, the captured ports replaced
# by fsmock's); the TLS side is checked with "openssl s_client -showcerts"
# and a Python probe against a root -> intermediate -> leaf chain made here
# with the openssl command line tool.
#
# Each fsmock instance runs on random free high loopback ports.  Prints
# "ok - NAME" or "not ok - NAME" (with the reason as "#" lines) per case,
# then "N passed, N failed"; exits 1 when a case failed.
# Set FSCERT_TEST_KEEP=1 to keep the scratch directory.

set -u

# shellcheck source=test/lib.sh
. "$(dirname "$0")/lib.sh"
need_args $# 1 1 BUILD_DIR
FSMOCK=$1/fsmock
need_exec "$FSMOCK"
need_tools openssl python3 timeout

# At exit: every fsmock started.
PIDS=
stop_mocks() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
}
umask 022
scratch_init FSCERT_TEST_KEEP fsmock stop_mocks

# ---------------------------------------------------------------- fixtures

# root -> intermediate -> leaf-1, leaf-2; P-256 keys (quick to make).
mkcerts() {
	d=$T/pki
	mkdir -p "$d" || return 1
	cat >"$d/ext.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
	pki_key "$d/root.key" ec &&
	openssl req -new -x509 -key "$d/root.key" -out "$d/root.pem" \
	    -days 30 -subj "/O=fsmock Test/CN=fsmock Test Root CA" \
	    -config "$d/ext.cnf" -extensions ca 2>/dev/null || return 1
	pki_key "$d/int.key" ec &&
	openssl req -new -key "$d/int.key" -out "$d/int.csr" \
	    -subj "/O=fsmock Test/CN=fsmock Test Intermediate CA" \
	    -config "$d/ext.cnf" 2>/dev/null &&
	openssl x509 -req -in "$d/int.csr" -CA "$d/root.pem" \
	    -CAkey "$d/root.key" -set_serial 2 -days 30 -out "$d/int.pem" \
	    -extfile "$d/ext.cnf" -extensions ca 2>/dev/null || return 1
	for n in 1 2; do
		pki_key "$d/leaf-$n.key" ec &&
		openssl req -new -key "$d/leaf-$n.key" -out "$d/leaf-$n.csr" \
		    -subj "/O=fsmock Test/OU=leaf-$n/CN=localhost" \
		    -config "$d/ext.cnf" 2>/dev/null &&
		openssl x509 -req -in "$d/leaf-$n.csr" -CA "$d/int.pem" \
		    -CAkey "$d/int.key" -set_serial "1$n" -days 20 \
		    -out "$d/leaf-$n.pem" -extfile "$d/ext.cnf" \
		    -extensions leaf 2>/dev/null || return 1
		# The layout fscert installs (internals 1.2, 1.3).
		s=$T/set$n
		mkdir -p "$s" &&
		cat "$d/leaf-$n.pem" "$d/leaf-$n.key" >"$s/agent.pem" &&
		cat "$d/int.pem" >"$s/cafile.pem" &&
		cat "$d/leaf-$n.pem" "$d/int.pem" "$d/leaf-$n.key" \
		    >"$s/wss.pem" || return 1
	done
	# agent.pem whose key is not the leaf's; wss.pem cut in half.
	s=$T/badkey
	mkdir -p "$s" &&
	cat "$d/leaf-2.pem" "$d/leaf-1.key" >"$s/agent.pem" &&
	cp "$d/int.pem" "$s/cafile.pem" &&
	cat "$d/leaf-2.pem" "$d/int.pem" "$d/leaf-1.key" >"$s/wss.pem" &&
	s=$T/badwss &&
	mkdir -p "$s" &&
	cp "$T/set2/agent.pem" "$T/set2/cafile.pem" "$s/" &&
	head -c 300 "$T/set2/wss.pem" >"$s/wss.pem"
}
mkcerts || die "cannot make the test certificates"

# Replace the files in cert dir $1 by those of set $2, each by rename.
install_set() {
	for f in agent.pem cafile.pem wss.pem; do
		cp "$T/$2/$f" "$1/.$f.new" && mv -f "$1/.$f.new" "$1/$f" ||
		    return 1
	done
}

# start_mock NAME MODE [fsmock options]: fsmock on random free ports with
# set1 installed; sets and exports ESL TLS WSS SIP CERTS STATE MOCK.
start_mock() {
	name=$1
	mode=$2
	shift 2
	STATE=$T/$name/state
	CERTS=$T/$name/certs
	mkdir -p "$STATE" "$CERTS" || die "mkdir $T/$name"
	install_set "$CERTS" set1 || die "cannot install set1"
	mock_start "$T/$name" "$mode" "$@" || die "$MOCK_WHY"
	PIDS="$PIDS $MOCK"
	SIP=$((TLS - 1))
	export ESL TLS WSS SIP CERTS STATE MOCK T
}

# The Python side: an ESL client, a TLS probe, the transcript bytes.
cat >"$T/lib.py" <<'EOF'
import os, socket, ssl, sys, time, traceback

ESL, TLS, WSS, SIP = (int(os.environ[k]) for k in ('ESL', 'TLS', 'WSS', 'SIP'))
CERTS, STATE, T = os.environ['CERTS'], os.environ['STATE'], os.environ['T']

class Fail(Exception):
    pass

def fail(msg):
    raise Fail(msg)

def check(cond, msg):
    if not cond:
        fail(msg)

GREETING = b'Content-Type: auth/request\n\n'
AUTH_OK = b'Content-Type: command/reply\nReply-Text: +OK accepted\n\n'
AUTH_BAD = b'Content-Type: command/reply\nReply-Text: -ERR invalid\n\n'
BYE = b'Content-Type: command/reply\nReply-Text: +OK bye\n\n'
NOTFOUND = b'Content-Type: command/reply\nReply-Text: -ERR command not found\n\n'
NOTICE = (b'Content-Type: text/disconnect-notice\nContent-Length: 67\n\n'
          b'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n')
RUDE = b'Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n'

def ports(b):
    """Captured ports (1.10: 15060/15061/17443, 1.11: 25060/25061/27443) -> ours."""
    for old, new in ((b'15060', SIP), (b'15061', TLS), (b'17443', WSS),
                     (b'25060', SIP), (b'25061', TLS), (b'27443', WSS)):
        b = b.replace(old, str(new).encode())
    return b

def relen(msg):
    """A captured api/response with its Content-Length fixed after ports()."""
    head, body = msg.split(b'\n\n', 1)
    check(head.startswith(b'Content-Type: api/response\nContent-Length: '), 'bad template')
    return b'Content-Type: api/response\nContent-Length: %d\n\n' % len(body) + body

def T_(msg):
    return relen(ports(msg))

class Esl:
    def __init__(self, port=None, timeout=5):
        self.s = socket.create_connection(('127.0.0.1', port or ESL), timeout=timeout)
        self.buf = b''

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError('connection closed by peer')
        self.buf += d

    def expect(self, want, what='reply'):
        try:
            while len(self.buf) < len(want):
                self.fill()
        except (EOFError, socket.timeout):
            pass
        got, self.buf = self.buf[:len(want)], self.buf[len(want):]
        check(got == want, '%s:\n want %r\n  got %r' % (what, want, got))

    def send(self, b):
        self.s.sendall(b)

    def expect_eof(self, what='close'):
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    break
                self.buf += d
        except socket.timeout:
            fail('%s: the connection stayed open' % what)
        check(self.buf == b'', '%s: extra bytes %r' % (what, self.buf))

    def msg(self):
        while b'\n\n' not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b'\n\n', 1)
        h = dict(l.split(b': ', 1) for l in head.split(b'\n'))
        n = int(h.get(b'Content-Length', b'0'))
        while len(self.buf) < n:
            self.fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return h, body

    def api(self, cmd):
        self.send(b'api ' + cmd + b'\n\n')
        h, body = self.msg()
        check(h.get(b'Content-Type') == b'api/response', 'api %r: %r' % (cmd, h))
        return body

    def login(self, pw=b'ClueCon'):
        self.expect(GREETING, 'greeting')
        self.send(b'auth ' + pw + b'\n\n')
        self.expect(AUTH_OK, 'auth reply')
        return self

    def close(self):
        self.s.close()

def der(name):
    with open(os.path.join(T, 'pki', name + '.pem')) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())

LEAVES = {der('leaf-1'): 'leaf-1', der('leaf-2'): 'leaf-2'}

def probe(port):
    """The served leaf's name, 'refused', or 'tls-fail'."""
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=3)
    except ConnectionRefusedError:
        return 'refused'
    try:
        with c.wrap_socket(s, server_hostname='localhost') as t:
            return LEAVES.get(t.getpeercert(binary_form=True), 'other')
    except (ssl.SSLError, OSError):
        return 'tls-fail'
    finally:
        s.close()

def state(e):
    """The profile's state in sofia jsonstatus."""
    import json
    return json.loads(e.api(b'sofia jsonstatus'))['profiles']['internal']['status']['state']

def write_state(name, text):
    with open(os.path.join(STATE, name), 'w') as f:
        f.write(text)

def install(setname):
    for f in ('agent.pem', 'cafile.pem', 'wss.pem'):
        src = os.path.join(T, setname, f)
        tmp = os.path.join(CERTS, '.' + f + '.new')
        with open(src, 'rb') as a, open(tmp, 'wb') as b:
            b.write(a.read())
        os.replace(tmp, os.path.join(CERTS, f))

# --- transcript bytes (shared/reference/esl-transcripts), verbatim --------

STATUS_PROFILE_01 = b'Content-Type: api/response\nContent-Length: 1233\n\n=================================================================================================\nName             \tinternal\nDomain Name      \tN/A\nAuto-NAT         \tfalse\nDBName           \tsofia_reg_internal\nPres Hosts       \t127.0.0.1,127.0.0.1\nDialplan         \tXML\nContext          \tpublic\nChallenge Realm  \tauto_from\nRTP-IP           \t127.0.0.1\nExt-RTP-IP       \t127.0.0.1\nSIP-IP           \t127.0.0.1\nExt-SIP-IP       \t127.0.0.1\nURL              \tsip:mod_sofia@127.0.0.1:15060\nBIND-URL         \tsip:mod_sofia@127.0.0.1:15060;maddr=127.0.0.1;transport=udp,tcp\nTLS-URL          \tsip:mod_sofia@127.0.0.1:15061\nTLS-BIND-URL     \tsips:mod_sofia@127.0.0.1:15061;maddr=127.0.0.1;transport=tls\nWSS-BIND-URL     \tsips:mod_sofia@127.0.0.1:17443;transport=wss\nHOLD-MUSIC       \tlocal_stream://moh\nOUTBOUND-PROXY   \tN/A\nCODECS IN        \tOPUS,G722,PCMU,PCMA,H264,VP8\nCODECS OUT       \tOPUS,G722,PCMU,PCMA,H264,VP8\nTEL-EVENT        \t101\nDTMF-MODE        \trfc2833\nCNG              \t13\nSESSION-TO       \t0\nMAX-DIALOG       \t0\nMAX-RECV-RPS     \t1000\nNOMEDIA          \tfalse\nLATE-NEG         \ttrue\nPROXY-MEDIA      \tfalse\nAGGRESSIVENAT    \tfalse\nCALLS-IN         \t0\nFAILED-CALLS-IN  \t0\nCALLS-OUT        \t0\nFAILED-CALLS-OUT \t0\nREGISTRATIONS    \t0\n'
RELOADXML_03 = b'Content-Type: api/response\nContent-Length: 14\n\n+OK [Success]\n'
CALLS0_03 = b'Content-Type: api/response\nContent-Length: 10\n\n\n0 total.\n'
STATUS_03 = b'Content-Type: api/response\nContent-Length: 566\n\n                     Name\t   Type\t                                      Data\tState\n=================================================================================================\n                127.0.0.1\t  alias\t                                  internal\tALIASED\n                 internal\tprofile\t             sip:mod_sofia@127.0.0.1:15060\tRUNNING (0)\n                 internal\tprofile\t             sip:mod_sofia@127.0.0.1:15061\tRUNNING (0) (TLS)\n=================================================================================================\n1 profile 1 alias\n'
VERSION_04 = b'Content-Type: api/response\nContent-Length: 50\n\nFreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n'
NORELOADCERT_04 = b'Content-Type: api/response\nContent-Length: 35\n\n-ERR reloadcert Command not found!\n'
JSONSTATUS_04 = b'Content-Type: api/response\nContent-Length: 1798\n\n{\n\t"profiles":\t{\n\t\t"127.0.0.1":\t{\n\t\t\t"status":\t{\n\t\t\t\t"type":\t"alias",\n\t\t\t\t"data":\t"internal",\n\t\t\t\t"state":\t"ALIASED"\n\t\t\t},\n\t\t\t"info":\t{\n\t\t\t\t"domain-name":\t"N/A",\n\t\t\t\t"alias-of":\t"internal",\n\t\t\t\t"auto-nat":\t"false",\n\t\t\t\t"db-name":\t"sofia_reg_internal",\n\t\t\t\t"pres-hosts":\t"127.0.0.1,127.0.0.1",\n\t\t\t\t"dialplan":\t"XML",\n\t\t\t\t"context":\t"public",\n\t\t\t\t"challenge-realm":\t"auto_from",\n\t\t\t\t"rtp-ip":\t["127.0.0.1"],\n\t\t\t\t"ext-rtp-ip":\t"127.0.0.1",\n\t\t\t\t"sip-ip":\t"127.0.0.1",\n\t\t\t\t"ext-sip-ip":\t"127.0.0.1",\n\t\t\t\t"url":\t"sip:mod_sofia@127.0.0.1:15060",\n\t\t\t\t"bind-url":\t"sip:mod_sofia@127.0.0.1:15060;maddr=127.0.0.1;transport=udp,tcp",\n\t\t\t\t"tls-url":\t"sip:mod_sofia@127.0.0.1:15061",\n\t\t\t\t"tls-bind-url":\t"sips:mod_sofia@127.0.0.1:15061;maddr=127.0.0.1;transport=tls",\n\t\t\t\t"wss-bind-url":\t"sips:mod_sofia@127.0.0.1:17443;transport=wss",\n\t\t\t\t"hold-music":\t"local_stream://moh",\n\t\t\t\t"outbound-proxy":\t"N/A"\n\t\t\t}\n\t\t},\n\t\t"internal":\t{\n\t\t\t"status":\t{\n\t\t\t\t"type":\t"profile",\n\t\t\t\t"state":\t"RUNNING",\n\t\t\t\t"in-use":\t0,\n\t\t\t\t"data":\t"sip:mod_sofia@127.0.0.1:15060"\n\t\t\t},\n\t\t\t"info":\t{\n\t\t\t\t"domain-name":\t"N/A",\n\t\t\t\t"auto-nat":\t"false",\n\t\t\t\t"db-name":\t"sofia_reg_internal",\n\t\t\t\t"pres-hosts":\t"127.0.0.1,127.0.0.1",\n\t\t\t\t"dialplan":\t"XML",\n\t\t\t\t"context":\t"public",\n\t\t\t\t"challenge-realm":\t"auto_from",\n\t\t\t\t"rtp-ip":\t["127.0.0.1"],\n\t\t\t\t"ext-rtp-ip":\t"127.0.0.1",\n\t\t\t\t"sip-ip":\t"127.0.0.1",\n\t\t\t\t"ext-sip-ip":\t"127.0.0.1",\n\t\t\t\t"url":\t"sip:mod_sofia@127.0.0.1:15060",\n\t\t\t\t"bind-url":\t"sip:mod_sofia@127.0.0.1:15060;maddr=127.0.0.1;transport=udp,tcp",\n\t\t\t\t"tls-url":\t"sip:mod_sofia@127.0.0.1:15061",\n\t\t\t\t"tls-bind-url":\t"sips:mod_sofia@127.0.0.1:15061;maddr=127.0.0.1;transport=tls",\n\t\t\t\t"wss-bind-url":\t"sips:mod_sofia@127.0.0.1:17443;transport=wss",\n\t\t\t\t"hold-music":\t"local_stream://moh",\n\t\t\t\t"outbound-proxy":\t"N/A"\n\t\t\t}\n\t\t}\n\t}\n}\n'
NOSUCH_04 = b'Content-Type: api/response\nContent-Length: 24\n\nInvalid Profile [nosuch]'
NOCMD_04 = b'Content-Type: api/response\nContent-Length: 38\n\n-ERR nosuchcommand Command not found!\n'
RESTART_05 = b'Content-Type: api/response\nContent-Length: 41\n\nReload XML [Success]\nrestarting: internal'
GUARD_05 = b'Content-Type: api/response\nContent-Length: 91\n\nProfile internal must be up for at least 10 seconds to stop/restart.\nPlease wait 9 seconds\n'
JSON_DOWN_06 = b'Content-Type: api/response\nContent-Length: 277\n\n{\n\t"profiles":\t{\n\t\t"127.0.0.1":\t{\n\t\t\t"status":\t{\n\t\t\t\t"type":\t"alias",\n\t\t\t\t"data":\t"internal",\n\t\t\t\t"state":\t"ALIASED"\n\t\t\t}\n\t\t},\n\t\t"internal":\t{\n\t\t\t"status":\t{\n\t\t\t\t"type":\t"profile",\n\t\t\t\t"state":\t"DOWN",\n\t\t\t\t"in-use":\t0,\n\t\t\t\t"data":\t"sip:mod_sofia@127.0.0.1:15060"\n\t\t\t}\n\t\t}\n\t}\n}\n'
STATUS_DOWN_06 = b'Content-Type: api/response\nContent-Length: 300\n\n                     Name\t   Type\t                                      Data\tState\n=================================================================================================\n=================================================================================================\n0 profiles 0 aliases\n'
VERSION_111 = b'Content-Type: api/response\nContent-Length: 49\n\nFreeSWITCH Version 1.11.2-release~64bit ( 64bit)\n'
RELOADCERT_111 = b'Content-Type: api/response\nContent-Length: 27\n\n+OK cert reload event sent\n'
STATUS_111 = b'Content-Type: api/response\nContent-Length: 566\n\n                     Name\t   Type\t                                      Data\tState\n=================================================================================================\n                127.0.0.1\t  alias\t                                  internal\tALIASED\n                 internal\tprofile\t             sip:mod_sofia@127.0.0.1:25060\tRUNNING (0)\n                 internal\tprofile\t             sip:mod_sofia@127.0.0.1:25061\tRUNNING (0) (TLS)\n=================================================================================================\n1 profile 1 alias\n'
INVALID_PROFILE_02 = b'Content-Type: api/response\nContent-Length: 17\n\nInvalid Profile!\n'

def api_bytes(e, cmd):
    """The whole api/response message, as bytes."""
    e.send(b'api ' + cmd + b'\n\n')
    h, body = e.msg()
    return b'Content-Type: %s\nContent-Length: %s\n\n' % (
        h.get(b'Content-Type', b'?'), h.get(b'Content-Length', b'?')) + body

try:
    exec(sys.stdin.read())
except Fail as x:
    print(x)
    sys.exit(1)
except Exception:
    traceback.print_exc(file=sys.stdout)
    sys.exit(1)
EOF

# py NAME: run the Python case on stdin against the current fsmock.
py() {
	if python3 "$T/lib.py" >"$T/case.out" 2>&1; then
		ok "$1"
	else
		not_ok "$1" "$(cat "$T/case.out")"
	fi
}

# showcerts PORT LEAF: s_client shows LEAF then the intermediate, only.
showcerts() {
	timeout 10 openssl s_client -connect "127.0.0.1:$1" -showcerts \
	    </dev/null 2>/dev/null | grep -E '^ *[0-9]+ s:' >"$T/chain.out"
	printf ' 0 s:O = fsmock Test, OU = %s, CN = localhost\n 1 s:O = fsmock Test, CN = fsmock Test Intermediate CA\n' \
	    "$2" >"$T/chain.want"
	if cmp -s "$T/chain.out" "$T/chain.want"; then
		return 0
	fi
	{ echo "want:"; cat "$T/chain.want"; echo "got:"; cat "$T/chain.out"; } \
	    >"$T/case.out"
	return 1
}

# ------------------------------------------------------------ 1.10 (m10)

start_mock m10 1.10

py "1.10 greeting, auth, sofia status profile, exit (transcript 01)" <<'EOF'
e = Esl()
e.expect(GREETING, 'greeting')
e.send(b'auth ClueCon\n\n')
e.expect(AUTH_OK, 'auth reply')
e.send(b'api sofia status profile internal\n\n')
e.expect(T_(STATUS_PROFILE_01), 'sofia status profile internal')
e.send(b'exit\n\n')
e.expect(BYE, 'exit reply')
e.expect(NOTICE, 'disconnect notice')
e.expect_eof()
EOF

py "auth with a wrong password: -ERR invalid, notice, close (02)" <<'EOF'
e = Esl()
e.expect(GREETING, 'greeting')
e.send(b'auth WrongPass\n\n')
e.expect(AUTH_BAD, 'auth reply')
e.expect(NOTICE, 'disconnect notice')
e.expect_eof()
EOF

py "reloadxml, show calls count, sofia status, show calls (03)" <<'EOF'
e = Esl().login()
e.send(b'api reloadxml\n\n')
e.expect(RELOADXML_03, 'reloadxml')
e.send(b'api show calls count\n\n')
e.expect(CALLS0_03, 'show calls count')
e.send(b'api sofia status\n\n')
e.expect(T_(STATUS_03), 'sofia status')
e.send(b'api show calls\n\n')
e.expect(CALLS0_03, 'show calls')
EOF

py "1.10 version, no reloadcert, jsonstatus, errors (04)" <<'EOF'
e = Esl().login()
e.send(b'api version\n\n')
e.expect(VERSION_04, 'version')
e.send(b'api reloadcert\n\n')
e.expect(NORELOADCERT_04, 'reloadcert')
e.send(b'api sofia jsonstatus\n\n')
e.expect(T_(JSONSTATUS_04), 'sofia jsonstatus')
e.send(b'api sofia profile nosuch restart\n\n')
e.expect(NOSUCH_04, 'Invalid Profile')
e.send(b'api nosuchcommand\n\n')
e.expect(NOCMD_04, 'unknown api')
e.send(b'frobnicate\n\n')
e.expect(NOTFOUND, 'unknown command')
e.send(b'exit\n\n')
e.expect(BYE, 'exit')
e.expect(NOTICE, 'notice')
e.expect_eof()
EOF

py "commands before auth, CRLF, split writes, leading blank lines" <<'EOF'
e = Esl()
e.expect(GREETING, 'greeting')
e.send(b'api version\n\n')
e.expect(NOTFOUND, 'api before auth')
e.send(b'\n\r\nauth Clue')
time.sleep(0.1)
e.send(b'Con\r\n\r\n')
e.expect(AUTH_OK, 'auth after an error, CRLF, two writes')
e.send(b'api sofia status profile nosuch\r\n\r\n')
e.expect(INVALID_PROFILE_02, 'sofia status profile nosuch')
EOF

py "in-use, password and log from the state dir" <<'EOF'
write_state('inuse', '2\n')
e = Esl().login()
check(b'"in-use":\t2,' in e.api(b'sofia jsonstatus'), 'jsonstatus in-use 2')
check(b'RUNNING (2)\n' in e.api(b'sofia status'), 'sofia status RUNNING (2)')
check(e.api(b'show calls count') == b'\n2 total.\n', 'show calls count')
write_state('inuse', '0\n')
write_state('password', 's3cret-pw\n')
try:
    Esl().login(b's3cret-pw')
    e = Esl()
    e.expect(GREETING)
    e.send(b'auth ClueCon\n\n')
    e.expect(AUTH_BAD, 'old password refused')
finally:
    os.unlink(os.path.join(STATE, 'password'))
log = open(os.path.join(STATE, 'log')).read()
check('s3cret-pw' not in log and 'ClueCon' not in log, 'password in the log:\n' + log)
check('auth ***\napi sofia jsonstatus\n' in log, 'log lines:\n' + log)
EOF

if showcerts "$TLS" leaf-1; then
	ok "SIP-TLS serves leaf + intermediate (leaf from agent.pem, chain from cafile.pem)"
else
	not_ok "SIP-TLS serves leaf + intermediate (leaf from agent.pem, chain from cafile.pem)" "$(cat "$T/case.out")"
fi
if showcerts "$WSS" leaf-1; then
	ok "WSS serves leaf + intermediate (wss.pem)"
else
	not_ok "WSS serves leaf + intermediate (wss.pem)" "$(cat "$T/case.out")"
fi

py "1.10 restart: reply, old leaf, refused, new files, RUNNING (05, 06, 07)" <<'EOF'
install('set2')
check(probe(TLS) == 'leaf-1' and probe(WSS) == 'leaf-1', 'new files served before any command')
write_state('inuse', '3\n')
e = Esl().login()
t0 = time.time()
e.send(b'api sofia profile internal restart\n\n')
e.expect(RESTART_05, 'restart reply')
check(open(os.path.join(STATE, 'inuse')).read().strip() == '0', 'inuse not reset by the restart')
seen = []                      # (t, state, tls, wss)
down_json = down_status = None
while time.time() - t0 < 6:
    st = state(e)
    r = (round(time.time() - t0, 3), st, probe(TLS), probe(WSS))
    seen.append(r)
    if st == 'DOWN' and down_json is None:
        down_json = api_bytes(e, b'sofia jsonstatus')
        down_status = api_bytes(e, b'sofia status')
    if st == 'RUNNING':
        break
    time.sleep(0.02)
trace = '\n'.join(map(str, seen))
check(seen[0][1:] == ('DOWN', 'leaf-1', 'leaf-1'), 'first probe not old leaf while DOWN:\n' + trace)
check(any(s[2] == 'refused' and s[3] == 'refused' for s in seen), 'never refused:\n' + trace)
check(seen[-1][1:] == ('RUNNING', 'leaf-2', 'leaf-2'), 'not RUNNING with the new leaf:\n' + trace)
first_refused = min(s[0] for s in seen if s[2] == 'refused')
check(all(s[2] != 'leaf-1' for s in seen if s[0] > first_refused), 'old leaf after refused:\n' + trace)
check(0.25 <= first_refused <= 1.2, 'old leaf served %.3f s:\n' % first_refused + trace)
check(seen[-1][0] - first_refused >= 0.9, 'closed too briefly:\n' + trace)
check(down_json == T_(JSON_DOWN_06), 'jsonstatus while DOWN:\n%r' % down_json)
check(down_status == STATUS_DOWN_06, 'sofia status while DOWN:\n%r' % down_status)
check(api_bytes(e, b'sofia status profile internal') == T_(STATUS_PROFILE_01), 'status profile after restart')
# The 10-second guard: up for 0 or 1 s by the epoch clock.
got = api_bytes(e, b'sofia profile internal restart')
want = [T_(GUARD_05).replace(b'wait 9 ', b'wait %d ' % n) for n in (9, 10)]
want = [relen(w) for w in want]
check(got in want, '10-second guard:\n%r' % got)
check(state(e) == 'RUNNING', 'guard restarted the profile')
EOF

py "restart of an unknown profile, and of the alias" <<'EOF'
e = Esl().login()
e.send(b'api sofia profile external restart\n\n')
e.expect(b'Content-Type: api/response\nContent-Length: 26\n\nInvalid Profile [external]')
got = e.api(b'sofia profile 127.0.0.1 restart')
check(got.startswith(b'Profile internal must be up for at least 10 seconds'), repr(got))
EOF

kill "$MOCK"
wait "$MOCK"
rc=$?
if [ $rc -eq 0 ] && [ ! -e "$STATE/pid" ]; then
	ok "SIGTERM: exit 0, pid file removed"
else
	echo "exit status $rc; pid file: $(ls "$STATE")" >"$T/case.out"
	not_ok "SIGTERM: exit 0, pid file removed" "$(cat "$T/case.out")"
fi

# ------------------------------------------------------------ 1.11 (m11)

start_mock m11 1.11
if [ "$(cat "$STATE/pid" 2>/dev/null)" = "$MOCK" ]; then
	ok "pid file"
else
	echo "pid file: $(cat "$STATE/pid" 2>&1), pid $MOCK" >"$T/case.out"
	not_ok "pid file" "$(cat "$T/case.out")"
fi

py "1.11 version, reloadcert reply, sofia status, show calls count (1.11.2-01)" <<'EOF'
e = Esl().login()
e.send(b'api version\n\n')
e.expect(VERSION_111, 'version')
e.send(b'api reloadcert\n\n')
e.expect(RELOADCERT_111, 'reloadcert')
e.send(b'api sofia status\n\n')
e.expect(T_(STATUS_111), 'sofia status')
e.send(b'api show calls count\n\n')
e.expect(CALLS0_03, 'show calls count')
e.send(b'exit\n\n')
e.expect(BYE, 'exit')
e.expect(NOTICE, 'notice')
e.expect_eof()
EOF

py "1.11 reloadcert: new leaf within 1 s, never refused (1.11.2-03)" <<'EOF'
time.sleep(0.2)
install('set2')
check(probe(TLS) == 'leaf-1' and probe(WSS) == 'leaf-1', 'new files served before reloadcert')
e = Esl().login()
t0 = time.time()
e.send(b'api reloadcert\n\n')
e.expect(RELOADCERT_111, 'reloadcert')
seen = []
while time.time() - t0 < 1.0:
    r = (probe(TLS), probe(WSS))
    seen.append(r)
    if r == ('leaf-2', 'leaf-2'):
        break
    time.sleep(0.02)
check(seen[-1] == ('leaf-2', 'leaf-2'), 'no new leaf within 1 s: %r' % seen)
check(all(a in ('leaf-1', 'leaf-2') and b in ('leaf-1', 'leaf-2') for a, b in seen), repr(seen))
check(state(e) == 'RUNNING', 'not RUNNING')
EOF

if showcerts "$TLS" leaf-2; then
	ok "after reloadcert SIP-TLS serves the new leaf + intermediate"
else
	not_ok "after reloadcert SIP-TLS serves the new leaf + intermediate" "$(cat "$T/case.out")"
fi
if showcerts "$WSS" leaf-2; then
	ok "after reloadcert WSS serves the new leaf + intermediate"
else
	not_ok "after reloadcert WSS serves the new leaf + intermediate" "$(cat "$T/case.out")"
fi

py "1.11 reloadcert with broken files (1.11.2-04)" <<'EOF'
e = Esl().login()
install('badkey')
e.api(b'reloadcert')
time.sleep(0.3)
check((probe(TLS), probe(WSS)) == ('tls-fail', 'leaf-2'),
      'mismatched key: %r' % ((probe(TLS), probe(WSS)),))
install('set1')
e.api(b'reloadcert')
time.sleep(0.3)
check((probe(TLS), probe(WSS)) == ('leaf-1', 'leaf-1'), 'recovery')
install('badwss')
e.api(b'reloadcert')
time.sleep(0.3)
check((probe(TLS), probe(WSS)) == ('leaf-2', 'leaf-1'),
      'broken wss.pem: %r' % ((probe(TLS), probe(WSS)),))
install('set1')
with open(os.path.join(CERTS, 'cafile.pem'), 'w') as f:
    f.write('not a certificate\n')
e.api(b'reloadcert')
time.sleep(0.3)
check((probe(TLS), probe(WSS)) == ('leaf-2', 'leaf-1'),
      'bad cafile.pem must keep the old SIP context: %r' % ((probe(TLS), probe(WSS)),))
install('set1')
e.api(b'reloadcert')
time.sleep(0.3)
check((probe(TLS), probe(WSS)) == ('leaf-1', 'leaf-1'), 'recovery')
EOF

py "faults: rude, close-mid-reply, garbage, oversize, stall, stall-auth" <<'EOF'
try:
    write_state('fault', 'rude\n')
    e = Esl()
    e.expect(RUDE, 'rude rejection')
    e.expect(NOTICE, 'notice')
    e.expect_eof()

    write_state('fault', 'close-mid-reply\n')
    e = Esl().login()
    e.send(b'api version\n\n')
    full = VERSION_111
    e.expect(full[:len(full) // 2], 'half a reply')
    e.expect_eof()

    write_state('fault', 'garbage\n')
    e = Esl().login()
    e.send(b'api version\n\n')
    data = b''
    while True:
        d = e.s.recv(4096)
        if not d:
            break
        data += d
    check(len(data) > 0 and not data.startswith(b'Content-Type'), 'garbage: %r' % data[:40])

    write_state('fault', 'oversize\n')
    e = Esl().login()
    e.send(b'api version\n\n')
    e.expect(b'Content-Type: api/response\nContent-Length: 999999999\n\n', 'oversize header')

    write_state('fault', 'stall\n')
    e = Esl(timeout=1).login()
    e.send(b'api version\n\n')
    try:
        d = e.s.recv(100)
        fail('stall answered %r' % d)
    except socket.timeout:
        pass

    write_state('fault', 'stall-auth\n')
    e = Esl(timeout=1)
    e.expect(GREETING)
    e.send(b'auth ClueCon\n\n')
    try:
        d = e.s.recv(100)
        fail('stall-auth answered %r' % d)
    except socket.timeout:
        pass
finally:
    os.unlink(os.path.join(STATE, 'fault'))
e = Esl().login()
check(e.api(b'reloadxml') == b'+OK [Success]\n', 'after the faults')
EOF

py "concurrent ESL clients while a handshake hangs" <<'EOF'
hung = socket.create_connection(('127.0.0.1', TLS))      # never says hello
clients = [Esl().login() for _ in range(5)]
for c in clients:
    c.send(b'api version\n\n')
for c in clients:
    c.expect(VERSION_111, 'version')
check(probe(TLS) == 'leaf-1', 'TLS blocked by a silent client')
hung.close()
EOF

py "reload-keeps-old, then restart-never-returns" <<'EOF'
try:
    install('set2')
    write_state('fault', 'reload-keeps-old\n')
    e = Esl().login()
    e.send(b'api reloadcert\n\n')
    e.expect(RELOADCERT_111, 'reloadcert')
    time.sleep(0.3)
    check((probe(TLS), probe(WSS)) == ('leaf-1', 'leaf-1'), 'reload-keeps-old reloaded')
    write_state('fault', 'restart-never-returns\n')
    e.send(b'api sofia profile internal restart\n\n')
    e.expect(RESTART_05, 'restart reply')
    time.sleep(2.5)
    check(state(e) == 'DOWN', 'profile came back')
    check((probe(TLS), probe(WSS)) == ('refused', 'refused'), 'ports open')
    e.send(b'api sofia profile internal restart\n\n')
    e.expect(b'Content-Type: api/response\nContent-Length: 26\n\nInvalid Profile [internal]')
    e.send(b'api sofia status profile internal\n\n')
    e.expect(INVALID_PROFILE_02, 'status profile while DOWN')
finally:
    os.unlink(os.path.join(STATE, 'fault'))
EOF

summary
