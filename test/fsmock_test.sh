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
# mod_verto (--verto-port), the certs_dir options and the configurations
# xml_locate shows are checked the same way against the 1.11.2-05/06/07
# and 1.10.12-09/10 transcripts, and verto's TLS port with s_client too.
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
import os, re, socket, ssl, sys, threading, time, traceback

ESL, TLS, WSS, SIP = (int(os.environ[k]) for k in ('ESL', 'TLS', 'WSS', 'SIP'))
VERTO = int(os.environ.get('VERTO') or 0)     # mod_verto's wss port, if loaded
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
    """Captured ports (1.10: 15060/15061/17443, 1.11: 25060/25061/27443,
    verto 28081/28082) -> ours, in one pass."""
    m = {b'15060': SIP, b'15061': TLS, b'17443': WSS,
         b'25060': SIP, b'25061': TLS, b'27443': WSS}
    if VERTO:
        m.update({b'28081': VERTO - 1, b'28082': VERTO})
    return re.sub(b'|'.join(m), lambda x: str(m[x.group(0)]).encode(), b)

def relen(msg):
    """A captured api/response with its Content-Length fixed after ports()."""
    head, body = msg.split(b'\n\n', 1)
    check(head.startswith(b'Content-Type: api/response\nContent-Length: '), 'bad template')
    return b'Content-Type: api/response\nContent-Length: %d\n\n' % len(body) + body

def T_(msg, *subst):
    """A captured api/response with our ports and each (captured, ours)
    value of subst (str or bytes) in it, its Content-Length fixed."""
    b = ports(msg)
    for old, new in subst:
        b = b.replace(old, new if isinstance(new, bytes) else new.encode())
    return relen(b)

# The captured cert dirs (install prefix rewritten in the transcripts).
CAPT_CERTS = b'/usr/local/freeswitch/certs'
CAPT_VERTO = b'/usr/local/freeswitch/verto'

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

def hold(port):
    """A TLS connection to port, handshake done, left open."""
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    s = socket.create_connection(('127.0.0.1', port), timeout=3)
    return c.wrap_socket(s, server_hostname='localhost')

def dropped(t, wait=0.3):
    """Whether the server has closed the connection t (within wait s)."""
    t.settimeout(wait)
    try:
        return t.recv(1) == b''
    except socket.timeout:
        return False
    except OSError:
        return True

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
VERTO_STATUS_05 = b'Content-Type: api/response\nContent-Length: 471\n\n                     Name\t   Type\t                                      Data\tState\n=================================================================================================\n               default-v4\tprofile\t                        ws:127.0.0.1:28081\tRUNNING\n               default-v4\tprofile\t                       wss:127.0.0.1:28082\tRUNNING\n=================================================================================================\n1 profile , 0 clients\n'
CERTS_DIR_05 = b'Content-Type: api/response\nContent-Length: 27\n\n/usr/local/freeswitch/certs'
XMLSTATUS_05 = b'Content-Type: api/response\nContent-Length: 1575\n\n<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <profile-info>\n    <name>internal</name>\n    <domain-name>N/A</domain-name>\n    <auto-nat>false</auto-nat>\n    <db-name>sofia_reg_internal</db-name>\n    <pres-hosts>127.0.0.1,127.0.0.1</pres-hosts>\n    <dialplan>XML</dialplan>\n    <context>public</context>\n    <challenge-realm>auto_from</challenge-realm>\n    <rtp-ip>127.0.0.1</rtp-ip>\n    <ext-rtp-ip>127.0.0.1</ext-rtp-ip>\n    <sip-ip>127.0.0.1</sip-ip>\n    <ext-sip-ip>127.0.0.1</ext-sip-ip>\n    <url>sip:mod_sofia@127.0.0.1:25060</url>\n    <bind-url>sip:mod_sofia@127.0.0.1:25060;maddr=127.0.0.1;transport=udp,tcp</bind-url>\n    <tls-url>sip:mod_sofia@127.0.0.1:25061</tls-url>\n    <tls-bind-url>sips:mod_sofia@127.0.0.1:25061;maddr=127.0.0.1;transport=tls</tls-bind-url>\n    <wss-bind-url>sips:mod_sofia@127.0.0.1:27443;transport=wss</wss-bind-url>\n    <hold-music>local_stream://moh</hold-music>\n    <outbound-proxy>N/A</outbound-proxy>\n    <inbound-codecs>PCMU,PCMA</inbound-codecs>\n    <outbound-codecs>PCMU,PCMA</outbound-codecs>\n    <tel-event>101</tel-event>\n    <dtmf-mode>rfc2833</dtmf-mode>\n    <cng>13</cng>\n    <session-to>0</session-to>\n    <max-dialog>0</max-dialog>\n    <max-recv-rps>1000</max-recv-rps>\n    <nomedia>false</nomedia>\n    <late-neg>true</late-neg>\n    <proxy-media>false</proxy-media>\n    <aggressive-nat>false</aggressive-nat>\n    <calls-in>0</calls-in>\n    <calls-out>0</calls-out>\n    <failed-calls-in>0</failed-calls-in>\n    <failed-calls-out>0</failed-calls-out>\n    <registrations>0</registrations>\n  </profile-info>\n</profile>\n'
MODEXISTS_05 = b'Content-Type: api/response\nContent-Length: 4\n\ntrue'
SHOWMOD_05 = b'Content-Type: api/response\nContent-Length: 427\n\ntype,name,ikey,filename\napi,verto,mod_verto,/usr/local/freeswitch/lib/freeswitch/mod/mod_verto.so\napi,verto_contact,mod_verto,/usr/local/freeswitch/lib/freeswitch/mod/mod_verto.so\nchat,verto,mod_verto,/usr/local/freeswitch/lib/freeswitch/mod/mod_verto.so\nendpoint,verto.rtc,mod_verto,/usr/local/freeswitch/lib/freeswitch/mod/mod_verto.so\njson_api,store,mod_verto,/usr/local/freeswitch/lib/freeswitch/mod/mod_verto.so\n\n5 total.\n'
VERTO_STATUS_06 = b'Content-Type: api/response\nContent-Length: 564\n\n                     Name\t   Type\t                                      Data\tState\n=================================================================================================\n               default-v4\tprofile\t                        ws:127.0.0.1:28081\tRUNNING\n               default-v4\tprofile\t                       wss:127.0.0.1:28082\tRUNNING\n            default-v4::@\tclient\t                           127.0.0.1:56596\tCONN_NO_REG (WSS)\n=================================================================================================\n1 profile , 1 client\n'
SOFIA_CONF_07 = b'Content-Type: api/response\nContent-Length: 5462\n\n<configuration name="sofia.conf" description="sofia Endpoint">\n\n    <global_settings>\n        <param name="log-level" value="0"></param>\n\n    \n    \n        <param name="debug-presence" value="0"></param>\n\n    \n    \n    \n    \n    \n  </global_settings>\n\n\n  \n    <profiles>\n    <profile name="internal">\n  \n\n  \n  \n        <aliases>\n    \n  </aliases>\n\n  \n        <gateways>\n  </gateways>\n\n\n        <domains>\n    \n    \n    \n    \n            <domain name="all" alias="true" parse="false"></domain>\n\n  </domains>\n\n\n        <settings>\n\n\n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n\n            <param name="debug" value="0"></param>\n\n    \n    \n            <param name="sip-trace" value="no"></param>\n\n            <param name="sip-capture" value="no"></param>\n\n\n    \n    \n\n\n    \n    \n\n\n    \n            <param name="watchdog-enabled" value="no"></param>\n\n            <param name="watchdog-step-timeout" value="30000"></param>\n\n            <param name="watchdog-event-timeout" value="30000"></param>\n\n\n            <param name="log-auth-failures" value="false"></param>\n\n            <param name="forward-unsolicited-mwi-notify" value="false"></param>\n\n\n            <param name="context" value="public"></param>\n\n            <param name="rfc2833-pt" value="101"></param>\n\n    \n            <param name="sip-port" value="25060"></param>\n\n            <param name="dialplan" value="XML"></param>\n\n            <param name="dtmf-duration" value="2000"></param>\n\n            <param name="inbound-codec-prefs" value="PCMU,PCMA"></param>\n\n            <param name="outbound-codec-prefs" value="PCMU,PCMA"></param>\n\n            <param name="rtp-timer-name" value="soft"></param>\n\n    \n            <param name="rtp-ip" value="127.0.0.1"></param>\n\n    \n            <param name="sip-ip" value="127.0.0.1"></param>\n\n            <param name="hold-music" value="local_stream://moh"></param>\n\n            <param name="apply-nat-acl" value="nat.auto"></param>\n\n\n\n    \n    \n\n    \n    \n\n    \n    \n    \n\n    \n    \n    \n\n    \n    \n    \n    \n    \n            <param name="apply-inbound-acl" value="domains"></param>\n\n    \n            <param name="local-network-acl" value="localnet.auto"></param>\n\n    \n    \n\n\n    \n    \n\n    \n    \n\n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n\n\n            <param name="record-path" value="/usr/local/freeswitch/var/lib/freeswitch/recordings"></param>\n\n            <param name="record-template" value="${caller_id_number}.${target_domain}.${strftime(%Y-%m-%d-%H-%M-%S)}.wav"></param>\n\n    \n            <param name="manage-presence" value="true"></param>\n\n    \n    \n    \n    \n    \n    \n            <param name="presence-hosts" value="127.0.0.1,127.0.0.1"></param>\n\n            <param name="presence-privacy" value="false"></param>\n\n    \n\n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n            <param name="inbound-codec-negotiation" value="generous"></param>\n\n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n\n    \n            <param name="tls" value="true"></param>\n\n    \n            <param name="tls-only" value="false"></param>\n\n    \n            <param name="tls-bind-params" value="transport=tls"></param>\n\n    \n            <param name="tls-sip-port" value="25061"></param>\n\n    \n            <param name="tls-cert-dir" value="/usr/local/freeswitch/certs"></param>\n\n    \n            <param name="tls-passphrase" value=""></param>\n\n    \n            <param name="tls-verify-date" value="true"></param>\n\n    \n    \n            <param name="tls-verify-policy" value="none"></param>\n\n    \n            <param name="tls-verify-depth" value="2"></param>\n\n    \n            <param name="tls-verify-in-subjects" value=""></param>\n\n    \n            <param name="tls-version" value="tlsv1,tlsv1.1,tlsv1.2"></param>\n\n\n    \n            <param name="tls-ciphers" value="ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"></param>\n\n\n    \n    \n\n    \n    \n\n    \n    \n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n\n    \n            <param name="inbound-late-negotiation" value="true"></param>\n\n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n            <param name="nonce-ttl" value="60"></param>\n\n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n            <param name="auth-calls" value="true"></param>\n\n    \n            <param name="auth-subscriptions" value="true"></param>\n\n    \n            <param name="inbound-reg-force-matching-username" value="true"></param>\n\n    \n            <param name="auth-all-packets" value="false"></param>\n\n\n    \n            <param name="ext-rtp-ip" value="127.0.0.1"></param>\n\n            <param name="ext-sip-ip" value="127.0.0.1"></param>\n\n\n    \n            <param name="rtp-timeout-sec" value="0"></param>\n\n            <param name="rtp-hold-timeout-sec" value="1800"></param>\n\n    \n    \n    \n    \n    \n    \n    \n            <param name="force-register-domain" value="127.0.0.1"></param>\n\n    \n            <param name="force-subscription-domain" value="127.0.0.1"></param>\n\n    \n            <param name="force-register-db-domain" value="127.0.0.1"></param>\n\n\n\n    \n    \n\n    \n    \n            <param name="wss-binding" value=":27443"></param>\n\n\n    \n\n    \n    \n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n    \n\n    \n    \n\n    \n    \n    \n            <param name="challenge-realm" value="auto_from"></param>\n\n    \n    \n    \n    \n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n    \n\n    \n\n    \n    \n\n    \n    \n\n\n    \n    \n\n    \n    \n\n    \n    \n\n\n    \n    \n\n    \n    \n  </settings>\n\n    </profile>\n\n  </profiles>\n\n\n</configuration>\n'
VERTO_CONF_07 = b'Content-Type: api/response\nContent-Length: 1560\n\n<configuration name="verto.conf" description="HTML5 Verto Endpoint">\n\n    <settings>\n        <param name="debug" value="0"></param>\n\n    \n    \n    \n    \n    \n    \n    \n  </settings>\n\n\n    <profiles>\n    \n        <profile name="default-v4">\n            <param name="bind-local" value="127.0.0.1:28081"></param>\n\n            <param name="bind-local" value="127.0.0.1:28082" secure="true"></param>\n\n            <param name="force-register-domain" value="127.0.0.1"></param>\n\n            <param name="secure-combined" value="/usr/local/freeswitch/verto/wss.pem"></param>\n\n            <param name="secure-chain" value="/usr/local/freeswitch/verto/wss.pem"></param>\n\n            <param name="userauth" value="true"></param>\n\n      \n            <param name="blind-reg" value="false"></param>\n\n            <param name="rtp-ip" value="127.0.0.1"></param>\n\n            <param name="ext-rtp-ip" value="127.0.0.1"></param>\n\n            <param name="local-network" value="localnet.auto"></param>\n\n            <param name="outbound-codec-string" value="opus,h264,vp8"></param>\n\n            <param name="inbound-codec-string" value="opus,h264,vp8"></param>\n\n\n            <param name="apply-candidate-acl" value="localnet.auto"></param>\n\n            <param name="apply-candidate-acl" value="wan_v4.auto"></param>\n\n            <param name="apply-candidate-acl" value="rfc1918.auto"></param>\n\n            <param name="apply-candidate-acl" value="any_v4.auto"></param>\n\n            <param name="timer-name" value="soft"></param>\n\n\n    </profile>\n\n  </profiles>\n\n</configuration>\n'
ES_CONF_07 = b'Content-Type: api/response\nContent-Length: 354\n\n<configuration name="event_socket.conf" description="Socket Client">\n    <settings>\n        <param name="nat-map" value="false"></param>\n\n        <param name="listen-ip" value="127.0.0.1"></param>\n\n        <param name="listen-port" value="8022"></param>\n\n        <param name="password" value="ClueCon"></param>\n\n    \n    \n  </settings>\n\n</configuration>\n'
CERTS_DIR_09 = b'Content-Type: api/response\nContent-Length: 40\n\n/usr/local/freeswitch/etc/freeswitch/tls'
XMLSTATUS_09 = b'Content-Type: api/response\nContent-Length: 1575\n\n<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <profile-info>\n    <name>internal</name>\n    <domain-name>N/A</domain-name>\n    <auto-nat>false</auto-nat>\n    <db-name>sofia_reg_internal</db-name>\n    <pres-hosts>127.0.0.1,127.0.0.1</pres-hosts>\n    <dialplan>XML</dialplan>\n    <context>public</context>\n    <challenge-realm>auto_from</challenge-realm>\n    <rtp-ip>127.0.0.1</rtp-ip>\n    <ext-rtp-ip>127.0.0.1</ext-rtp-ip>\n    <sip-ip>127.0.0.1</sip-ip>\n    <ext-sip-ip>127.0.0.1</ext-sip-ip>\n    <url>sip:mod_sofia@127.0.0.1:15060</url>\n    <bind-url>sip:mod_sofia@127.0.0.1:15060;maddr=127.0.0.1;transport=udp,tcp</bind-url>\n    <tls-url>sip:mod_sofia@127.0.0.1:15061</tls-url>\n    <tls-bind-url>sips:mod_sofia@127.0.0.1:15061;maddr=127.0.0.1;transport=tls</tls-bind-url>\n    <wss-bind-url>sips:mod_sofia@127.0.0.1:17443;transport=wss</wss-bind-url>\n    <hold-music>local_stream://moh</hold-music>\n    <outbound-proxy>N/A</outbound-proxy>\n    <inbound-codecs>PCMU,PCMA</inbound-codecs>\n    <outbound-codecs>PCMU,PCMA</outbound-codecs>\n    <tel-event>101</tel-event>\n    <dtmf-mode>rfc2833</dtmf-mode>\n    <cng>13</cng>\n    <session-to>0</session-to>\n    <max-dialog>0</max-dialog>\n    <max-recv-rps>1000</max-recv-rps>\n    <nomedia>false</nomedia>\n    <late-neg>true</late-neg>\n    <proxy-media>false</proxy-media>\n    <aggressive-nat>false</aggressive-nat>\n    <calls-in>0</calls-in>\n    <calls-out>0</calls-out>\n    <failed-calls-in>0</failed-calls-in>\n    <failed-calls-out>0</failed-calls-out>\n    <registrations>0</registrations>\n  </profile-info>\n</profile>\n'
NOVERTO_09 = b'Content-Type: api/response\nContent-Length: 30\n\n-ERR verto Command not found!\n'
SOFIA_CONF_10 = b'Content-Type: api/response\nContent-Length: 5462\n\n<configuration name="sofia.conf" description="sofia Endpoint">\n\n    <global_settings>\n        <param name="log-level" value="0"></param>\n\n    \n    \n        <param name="debug-presence" value="0"></param>\n\n    \n    \n    \n    \n    \n  </global_settings>\n\n\n  \n    <profiles>\n    <profile name="internal">\n  \n\n  \n  \n        <aliases>\n    \n  </aliases>\n\n  \n        <gateways>\n  </gateways>\n\n\n        <domains>\n    \n    \n    \n    \n            <domain name="all" alias="true" parse="false"></domain>\n\n  </domains>\n\n\n        <settings>\n\n\n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n\n            <param name="debug" value="0"></param>\n\n    \n    \n            <param name="sip-trace" value="no"></param>\n\n            <param name="sip-capture" value="no"></param>\n\n\n    \n    \n\n\n    \n    \n\n\n    \n            <param name="watchdog-enabled" value="no"></param>\n\n            <param name="watchdog-step-timeout" value="30000"></param>\n\n            <param name="watchdog-event-timeout" value="30000"></param>\n\n\n            <param name="log-auth-failures" value="false"></param>\n\n            <param name="forward-unsolicited-mwi-notify" value="false"></param>\n\n\n            <param name="context" value="public"></param>\n\n            <param name="rfc2833-pt" value="101"></param>\n\n    \n            <param name="sip-port" value="15060"></param>\n\n            <param name="dialplan" value="XML"></param>\n\n            <param name="dtmf-duration" value="2000"></param>\n\n            <param name="inbound-codec-prefs" value="PCMU,PCMA"></param>\n\n            <param name="outbound-codec-prefs" value="PCMU,PCMA"></param>\n\n            <param name="rtp-timer-name" value="soft"></param>\n\n    \n            <param name="rtp-ip" value="127.0.0.1"></param>\n\n    \n            <param name="sip-ip" value="127.0.0.1"></param>\n\n            <param name="hold-music" value="local_stream://moh"></param>\n\n            <param name="apply-nat-acl" value="nat.auto"></param>\n\n\n\n    \n    \n\n    \n    \n\n    \n    \n    \n\n    \n    \n    \n\n    \n    \n    \n    \n    \n            <param name="apply-inbound-acl" value="domains"></param>\n\n    \n            <param name="local-network-acl" value="localnet.auto"></param>\n\n    \n    \n\n\n    \n    \n\n    \n    \n\n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n\n\n            <param name="record-path" value="/usr/local/freeswitch/var/lib/freeswitch/recordings"></param>\n\n            <param name="record-template" value="${caller_id_number}.${target_domain}.${strftime(%Y-%m-%d-%H-%M-%S)}.wav"></param>\n\n    \n            <param name="manage-presence" value="true"></param>\n\n    \n    \n    \n    \n    \n    \n            <param name="presence-hosts" value="127.0.0.1,127.0.0.1"></param>\n\n            <param name="presence-privacy" value="false"></param>\n\n    \n\n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n            <param name="inbound-codec-negotiation" value="generous"></param>\n\n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n\n    \n            <param name="tls" value="true"></param>\n\n    \n            <param name="tls-only" value="false"></param>\n\n    \n            <param name="tls-bind-params" value="transport=tls"></param>\n\n    \n            <param name="tls-sip-port" value="15061"></param>\n\n    \n            <param name="tls-cert-dir" value="/usr/local/freeswitch/certs"></param>\n\n    \n            <param name="tls-passphrase" value=""></param>\n\n    \n            <param name="tls-verify-date" value="true"></param>\n\n    \n    \n            <param name="tls-verify-policy" value="none"></param>\n\n    \n            <param name="tls-verify-depth" value="2"></param>\n\n    \n            <param name="tls-verify-in-subjects" value=""></param>\n\n    \n            <param name="tls-version" value="tlsv1,tlsv1.1,tlsv1.2"></param>\n\n\n    \n            <param name="tls-ciphers" value="ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"></param>\n\n\n    \n    \n\n    \n    \n\n    \n    \n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n\n    \n            <param name="inbound-late-negotiation" value="true"></param>\n\n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n            <param name="nonce-ttl" value="60"></param>\n\n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n            <param name="auth-calls" value="true"></param>\n\n    \n            <param name="auth-subscriptions" value="true"></param>\n\n    \n            <param name="inbound-reg-force-matching-username" value="true"></param>\n\n    \n            <param name="auth-all-packets" value="false"></param>\n\n\n    \n            <param name="ext-rtp-ip" value="127.0.0.1"></param>\n\n            <param name="ext-sip-ip" value="127.0.0.1"></param>\n\n\n    \n            <param name="rtp-timeout-sec" value="0"></param>\n\n            <param name="rtp-hold-timeout-sec" value="1800"></param>\n\n    \n    \n    \n    \n    \n    \n    \n            <param name="force-register-domain" value="127.0.0.1"></param>\n\n    \n            <param name="force-subscription-domain" value="127.0.0.1"></param>\n\n    \n            <param name="force-register-db-domain" value="127.0.0.1"></param>\n\n\n\n    \n    \n\n    \n    \n            <param name="wss-binding" value=":17443"></param>\n\n\n    \n\n    \n    \n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n    \n\n    \n    \n\n    \n    \n    \n            <param name="challenge-realm" value="auto_from"></param>\n\n    \n    \n    \n    \n    \n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n    \n\n    \n\n    \n    \n\n    \n    \n\n\n    \n    \n\n    \n    \n\n    \n    \n\n\n    \n    \n\n    \n    \n  </settings>\n\n    </profile>\n\n  </profiles>\n\n\n</configuration>\n'
NOSUCH_CONF_10 = b"Content-Type: api/response\nContent-Length: 20\n\ncan't find anything\n"
RELOAD_08 = b'Content-Type: api/response\nContent-Length: 56\n\n+OK Reloading XML\n+OK module unloaded\n+OK module loaded\n'

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

# certs_dir: the compiled-in default of 1.10.12-09.
start_mock m10 1.10 --certs-dir /usr/local/freeswitch/etc/freeswitch/tls

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

py "1.10 global_getvar certs_dir, sofia xmlstatus profile, no verto (1.10.12-09)" <<'EOF'
e = Esl().login()
e.send(b'api global_getvar certs_dir\n\n')
e.expect(CERTS_DIR_09, 'global_getvar certs_dir')
e.send(b'api sofia xmlstatus profile internal\n\n')
e.expect(T_(XMLSTATUS_09), 'sofia xmlstatus profile internal')
e.send(b'api verto status\n\n')
e.expect(NOVERTO_09, 'verto status')
e.send(b'exit\n\n')
e.expect(BYE, 'exit')
e.expect(NOTICE, 'notice')
e.expect_eof()
EOF

py "1.10 xml_locate sofia.conf and nosuch.conf (1.10.12-10)" <<'EOF'
e = Esl().login()
e.send(b'api xml_locate configuration configuration name sofia.conf\n\n')
e.expect(T_(SOFIA_CONF_10, (CAPT_CERTS, CERTS)), 'sofia.conf')
e.send(b'api xml_locate configuration configuration name nosuch.conf\n\n')
e.expect(NOSUCH_CONF_10, 'nosuch.conf')
EOF

py "without mod_verto: module_exists, show modules, verto.conf, reload mod_verto" <<'EOF'
e = Esl().login()
for cmd, want in ((b'module_exists mod_verto', b'false'),
                  (b'module_exists mod_sofia', b'true'),
                  (b'module_exists mod_event_socket', b'true'),
                  (b'module_exists mod_nosuch', b'false'),
                  (b'show modules mod_verto', b'\n0 total.\n'),
                  (b'xml_locate configuration configuration name verto.conf',
                   b"can't find anything\n"),
                  (b'global_getvar nosuch_variable', b''),
                  (b'reload mod_verto', b'+OK Reloading XML\n'
                   b'-ERR unloading module [No such module!]\n'
                   b'-ERR loading module [module load file routine returned an error]\n'),
                  (b'sofia xmlstatus profile nosuch', b'Invalid Profile!\n')):
    got = e.api(cmd)
    check(got == want, '%s:\n want %r\n  got %r' % (cmd.decode(), want, got))
got = e.api(b'sofia xmlstatus profile 127.0.0.1')
check(b'    <name>127.0.0.1</name>\n    <domain-name>N/A</domain-name>\n'
      b'    <alias-of>internal</alias-of>\n    <auto-nat>' in got, 'alias: %r' % got)
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

# ------------------------------------------ --no-tls-cert-dir, helpers

# start_vmock NAME MODE [fsmock options]: start_mock with mod_verto on a
# free port of its own, $VERTO (its ws port VERTO-1 is only shown), drawn
# again when fsmock does not start.
start_vmock() {
	name=$1
	mode=$2
	shift 2
	STATE=$T/$name/state
	CERTS=$T/$name/certs
	mkdir -p "$STATE" "$CERTS" || die "mkdir $T/$name"
	install_set "$CERTS" set1 || die "cannot install set1"
	tries=0
	while :; do
		tries=$((tries + 1))
		VERTO=$(free_port)
		[ "$VERTO" -ge 2 ] || continue
		mock_start "$T/$name" "$mode" --verto-port "$VERTO" "$@" && break
		[ $tries -lt 5 ] || die "$MOCK_WHY"
	done
	PIDS="$PIDS $MOCK"
	SIP=$((TLS - 1))
	export ESL TLS WSS SIP CERTS STATE MOCK T VERTO
}

# showcerts_leaf PORT LEAF: s_client shows LEAF alone, no intermediate.
showcerts_leaf() {
	timeout 10 openssl s_client -connect "127.0.0.1:$1" -showcerts \
	    </dev/null 2>/dev/null | grep -E '^ *[0-9]+ s:' >"$T/chain.out"
	printf ' 0 s:O = fsmock Test, OU = %s, CN = localhost\n' "$2" \
	    >"$T/chain.want"
	if cmp -s "$T/chain.out" "$T/chain.want"; then
		return 0
	fi
	{ echo "want:"; cat "$T/chain.want"; echo "got:"; cat "$T/chain.out"; } \
	    >"$T/case.out"
	return 1
}

# tls_case NAME CMD...: ok when CMD (showcerts...) succeeds.
tls_case() {
	_n=$1
	shift
	if "$@"; then
		ok "$_n"
	else
		not_ok "$_n" "$(cat "$T/case.out")"
	fi
}

# err_has TEXT: fsmock's stderr (of the current instance) has TEXT.
err_has() {
	if grep -qF "$1" "$T/$name/mock.err"; then
		return 0
	fi
	{ echo "no '$1' in stderr:"; cat "$T/$name/mock.err"; } >"$T/case.out"
	return 1
}

# No tls-cert-dir param: the profile loads from the certs dir (set2).
if ! { mkdir -p "$T/g10/global" && install_set "$T/g10/global" set2; }; then
	die "cannot install set2"
fi
start_mock g10 1.10 --no-tls-cert-dir --certs-dir "$T/g10/global" \
    --verify-policy all
tls_case "--no-tls-cert-dir: SIP-TLS serves what is in --certs-dir" \
    showcerts "$TLS" leaf-2
tls_case "--no-tls-cert-dir: WSS serves what is in --certs-dir" \
    showcerts "$WSS" leaf-2

py "--no-tls-cert-dir, --verify-policy: xml_locate sofia.conf as vanilla" <<'EOF'
e = Esl().login()
want = T_(SOFIA_CONF_10,
          (b'            <param name="tls-cert-dir" value="%s"></param>\n\n' % CAPT_CERTS,
           b'    \n'),
          (b'"tls-verify-policy" value="none"', b'"tls-verify-policy" value="all"'))
check(b'tls-cert-dir' not in want and b'value="all"' in want, 'bad template')
e.send(b'api xml_locate configuration configuration name sofia.conf\n\n')
e.expect(want, 'sofia.conf without tls-cert-dir')
check(e.api(b'global_getvar certs_dir') == (T + '/g10/global').encode(), 'certs_dir')
EOF

# ------------------------------------------------------- mod_verto, 1.11

start_vmock v11 1.11

py "1.11 verto status, certs_dir, sofia xmlstatus, module_exists, show modules (1.11.2-05)" <<'EOF'
e = Esl().login()
e.send(b'api verto status\n\n')
e.expect(T_(VERTO_STATUS_05), 'verto status')
e.send(b'api global_getvar certs_dir\n\n')
e.expect(T_(CERTS_DIR_05, (CAPT_CERTS, CERTS)), 'global_getvar certs_dir')
e.send(b'api sofia xmlstatus profile internal\n\n')
e.expect(T_(XMLSTATUS_05), 'sofia xmlstatus profile internal')
e.send(b'api module_exists mod_verto\n\n')
e.expect(MODEXISTS_05, 'module_exists mod_verto')
e.send(b'api show modules mod_verto\n\n')
e.expect(SHOWMOD_05, 'show modules mod_verto')
e.send(b'exit\n\n')
e.expect(BYE, 'exit')
e.expect(NOTICE, 'notice')
e.expect_eof()
EOF

py "1.11 xml_locate sofia.conf, verto.conf, event_socket.conf (1.11.2-07)" <<'EOF'
e = Esl().login()
e.send(b'api xml_locate configuration configuration name sofia.conf\n\n')
e.expect(T_(SOFIA_CONF_07, (CAPT_CERTS, CERTS)), 'sofia.conf')
# Defaults: secure-combined = secure-chain = $${certs_dir}/wss.pem.
e.send(b'api xml_locate configuration configuration name verto.conf\n\n')
e.expect(T_(VERTO_CONF_07, (CAPT_VERTO, CERTS)), 'verto.conf')
e.send(b'api xml_locate configuration configuration name event_socket.conf\n\n')
e.expect(T_(ES_CONF_07, (b'value="8022"', b'value="%d"' % ESL)), 'event_socket.conf')
write_state('password', 'p&w"1\n')
try:
    got = e.api(b'xml_locate configuration configuration name event_socket.conf')
finally:
    os.unlink(os.path.join(STATE, 'password'))
check(b'<param name="password" value="p&amp;w&quot;1"></param>' in got, repr(got))
EOF

tls_case "verto (combined = chain = certs_dir/wss.pem) serves leaf + intermediate" \
    showcerts "$VERTO" leaf-1

py "verto status with a client (1.11.2-06); verto calls in show calls|channels" <<'EOF'
e = Esl().login()
write_state('verto_clients', '1\n')
e.send(b'api verto status\n\n')
e.expect(T_(VERTO_STATUS_06), 'verto status, 1 client')
write_state('verto_clients', '0\n')
write_state('inuse', '1\n')
write_state('verto_calls', '2\n')
try:
    for what in (b'calls', b'channels'):
        check(e.api(b'show ' + what + b' count') == b'\n3 total.\n', 'show %s count' % what)
        body = e.api(b'show ' + what).decode()
        lines = body.split('\n')
        head = lines[0].split(',')
        check(body.endswith('\n\n3 total.\n') and len(lines) == 7, 'show %s:\n%s' % (what, body))
        rows = [l.split(',') for l in lines[1:4]]
        check(all(len(r) == len(head) for r in rows), 'columns:\n' + body)
        names = [r[head.index('name')] for r in rows]
        check(sum(n.startswith('verto.rtc/') for n in names) == 2 and
              names[0] == 'sofia/internal/1000@127.0.0.1', 'names %r' % names)
    write_state('verto_calls', '0\n')
    check(e.api(b'show channels') ==
          b'uuid,direction,created,created_epoch,name,state\n'
          b'00000000-0000-4000-8000-000000000001,inbound,fsmock,'
          b'sofia/internal/1000@127.0.0.1,CS_EXECUTE\n\n1 total.\n', 'no verto calls')
finally:
    write_state('inuse', '0\n')
    write_state('verto_calls', '0\n')
EOF

py "1.11 reloadcert: verto serves the new leaf within ~20 ms, keeps the old on failure (1.11.2-06)" <<'EOF'
time.sleep(0.2)
install('set2')
check(probe(VERTO) == 'leaf-1', 'new files served before reloadcert')
write_state('verto_calls', '1\n')
e = Esl().login()
t0 = time.time()
e.send(b'api reloadcert\n\n')
e.expect(RELOADCERT_111, 'reloadcert')
seen = []
while time.time() - t0 < 1.0:
    r = probe(VERTO)
    seen.append((round(time.time() - t0, 3), r))
    if r == 'leaf-2':
        break
    time.sleep(0.005)
check(seen[-1][1] == 'leaf-2' and seen[-1][0] < 0.25, 'verto: %r' % seen)
check(all(r in ('leaf-1', 'leaf-2') for _, r in seen), repr(seen))
check(e.api(b'show calls count') == b'\n1 total.\n', 'reloadcert dropped a verto call')
write_state('verto_calls', '0\n')
time.sleep(0.2)
install('set1')
e.api(b'reloadcert')
time.sleep(0.3)
check(probe(VERTO) == 'leaf-1', 'back to set1')
install('badkey')          # wss.pem: leaf-2 with leaf-1's key
e.api(b'reloadcert')
time.sleep(0.3)
check(probe(VERTO) == 'leaf-1', 'mismatched key must keep the old context')
install('set1')
EOF

tls_case "after reloadcert verto serves leaf + intermediate" \
    showcerts "$VERTO" leaf-1

# Separate certificate, key and chain (leaf first: use_certificate_chain_file).
cat "$T/pki/leaf-2.pem" "$T/pki/int.pem" >"$T/fullchain-2.pem" ||
    die "cannot make fullchain-2.pem"
start_vmock v11s 1.11 --verto-cert "$T/pki/leaf-2.pem" \
    --verto-key "$T/pki/leaf-2.key" --verto-chain "$T/fullchain-2.pem"
tls_case "--verto-cert, --verto-key, --verto-chain: leaf + intermediate" \
    showcerts "$VERTO" leaf-2

py "--verto-cert, --verto-key, --verto-chain: xml_locate verto.conf" <<'EOF'
e = Esl().login()
got = e.api(b'xml_locate configuration configuration name verto.conf')
params = (b'            <param name="force-register-domain" value="127.0.0.1"></param>\n\n'
          b'            <param name="secure-cert" value="%s/pki/leaf-2.pem"></param>\n\n'
          b'            <param name="secure-key" value="%s/pki/leaf-2.key"></param>\n\n'
          b'            <param name="secure-chain" value="%s/fullchain-2.pem"></param>\n\n'
          b'            <param name="userauth" value="true"></param>\n\n' % ((T.encode(),) * 3))
check(params in got and b'secure-combined' not in got, repr(got))
EOF

# No secure-chain: use_certificate_file takes the leaf only.
start_vmock v11n 1.11 --verto-chain ""
tls_case "--verto-chain \"\": verto serves the leaf alone" \
    showcerts_leaf "$VERTO" leaf-1

py "--verto-chain \"\": no secure-chain param" <<'EOF'
e = Esl().login()
got = e.api(b'xml_locate configuration configuration name verto.conf')
check(b'secure-combined" value="%s/wss.pem"' % CERTS.encode() in got and
      b'secure-chain' not in got, repr(got))
EOF

# verto's own files, a combined file and chain elsewhere, missing at
# start: listening, SSL not ready until reloadcert.
mkdir -p "$T/v11b/verto" || die "mkdir $T/v11b/verto"
start_vmock v11b 1.11 --verto-combined "$T/v11b/verto/wss.pem" \
    --verto-chain "$T/v11b/verto/wss.pem"
tls_case "1.11 verto files missing at start: SSL NOT READY on stderr" \
    err_has "SSL NOT READY FOR LISTENER 127.0.0.1:$VERTO. USE reloadcert AFTER FIXING CERTIFICATES"

py "1.11 verto SSL not ready: accept and close, then reloadcert makes it ready" <<'EOF'
e = Esl().login()
check(probe(VERTO) == 'tls-fail', 'not ready: %s' % probe(VERTO))
check(b'wss:127.0.0.1:%d\tRUNNING\n' % VERTO in e.api(b'verto status'), 'verto status')
with open(os.path.join(T, 'set2', 'wss.pem'), 'rb') as a, \
     open(os.path.join(T, 'v11b', 'verto', 'wss.pem'), 'wb') as b:
    b.write(a.read())
e.api(b'reloadcert')
time.sleep(0.3)
check(probe(VERTO) == 'leaf-2', 'after reloadcert: %s' % probe(VERTO))
EOF

tls_case "--verto-combined and --verto-chain: verto serves leaf + intermediate" \
    showcerts "$VERTO" leaf-2
tls_case "... while SIP-TLS serves the cert dir" showcerts "$TLS" leaf-1

py "--verto-combined, --verto-chain: xml_locate verto.conf (1.11.2-07)" <<'EOF'
e = Esl().login()
e.send(b'api xml_locate configuration configuration name verto.conf\n\n')
e.expect(T_(VERTO_CONF_07, (CAPT_VERTO, T + '/v11b/verto')), 'verto.conf')
EOF

# ------------------------------------------------------- mod_verto, 1.10

start_vmock v10 1.10

py "1.10 reload mod_verto: port closed, clients and calls dropped, new files (1.10.12-08)" <<'EOF'
e = Esl().login()
check(e.api(b'reloadcert') == b'-ERR reloadcert Command not found!\n', 'reloadcert on 1.10')
write_state('verto_clients', '2\n')
write_state('verto_calls', '1\n')
install('set2')
check(probe(VERTO) == 'leaf-1', 'new files served before any command')
check(e.api(b'show calls count') == b'\n1 total.\n', 'verto call counted')
client = hold(VERTO)
polls, stop = [], []
def poller():
    while not stop:
        polls.append(probe(VERTO))
        time.sleep(0.02)
th = threading.Thread(target=poller)
th.start()
t0 = time.time()
try:
    got = api_bytes(e, b'reload mod_verto')
finally:
    dt = time.time() - t0
    stop.append(1)
    th.join()
check(got == RELOAD_08, 'reply: %r' % got)
check(0.25 <= dt <= 1.5, 'reload took %.3f s' % dt)
check('refused' in polls, 'port never closed: %r' % polls)
check(dropped(client), 'the verto client stayed connected')
check(probe(VERTO) == 'leaf-2', 'after reload: %s' % probe(VERTO))
check(probe(TLS) == 'leaf-1', 'reload mod_verto touched sofia')
for f in ('verto_clients', 'verto_calls'):
    check(open(os.path.join(STATE, f)).read().strip() == '0', f + ' not reset')
check(e.api(b'verto status').endswith(b'\n1 profile , 0 clients\n'), 'verto status')
check(e.api(b'show calls count') == b'\n0 total.\n', 'show calls count')
check(e.api(b'module_exists mod_verto') == b'true', 'module_exists')
EOF

tls_case "after reload mod_verto verto serves leaf + intermediate" \
    showcerts "$VERTO" leaf-2

# 1.10.12 verto_init_ssl: a failed setup reverts the listener to ws.
mkdir -p "$T/v10b/verto" || die "mkdir $T/v10b/verto"
start_vmock v10b 1.10 --verto-combined "$T/v10b/verto/wss.pem" \
    --verto-chain "$T/v10b/verto/wss.pem"
tls_case "1.10 verto files missing at start: REVERTING TO WS on stderr" \
    err_has "SSL NOT ENABLED FOR LISTENER 127.0.0.1:$VERTO. REVERTING TO WS"

py "1.10 verto reverted to ws until reload mod_verto" <<'EOF'
e = Esl().login()
check(probe(VERTO) == 'tls-fail', 'reverted: %s' % probe(VERTO))
check(b'  ws:127.0.0.1:%d\tRUNNING\n' % VERTO in e.api(b'verto status'), 'verto status')
with open(os.path.join(T, 'set1', 'wss.pem'), 'rb') as a, \
     open(os.path.join(T, 'v10b', 'verto', 'wss.pem'), 'wb') as b:
    b.write(a.read())
check(e.api(b'reload mod_verto') == RELOAD_08.split(b'\n\n', 1)[1], 'reload mod_verto')
check(probe(VERTO) == 'leaf-1', 'after reload: %s' % probe(VERTO))
check(b' wss:127.0.0.1:%d\tRUNNING\n' % VERTO in e.api(b'verto status'), 'verto status')
EOF

summary
