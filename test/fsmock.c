/*
 * fsmock.c: a test server that plays FreeSWITCH for fscert's tests.
 *
 * It speaks the event socket (ESL) byte for byte as FreeSWITCH 1.10.12
 * and 1.11.2 do in shared/reference/esl-transcripts/, and it runs the
 * SIP-TLS and WSS listeners of one sofia profile, loading the cert dir
 * with sofia-sip's OpenSSL call order (freeswitch-internals.md 1.1, 1.3):
 * the SIP leaf comes from agent.pem and its chain only from cafile.pem
 * (OpenSSL auto-chaining), the WSS chain from wss.pem through
 * SSL_CTX_use_certificate_chain_file.  "reloadcert" (1.11 only) and
 * "sofia profile NAME restart" reload them on the timelines captured
 * from the real thing.  The profile's cert dir is its tls-cert-dir
 * (--cert-dir), or with --no-tls-cert-dir FreeSWITCH's certs_dir
 * (--certs-dir), as mod_sofia falls back to SWITCH_GLOBAL_dirs.certs_dir.
 *
 * With --verto-port N, mod_verto is loaded too: profile default-v4 with
 * bind-local BIND:N-1 (ws, shown only) and BIND:N secure="true", a TLS
 * listener whose context is built as mod_verto's verto_create_ssl_ctx()
 * does from secure-combined / secure-cert / secure-key / secure-chain
 * (default $${certs_dir}/wss.pem for combined and chain, as in vanilla
 * verto.conf.xml).  "reloadcert" rebuilds it too (cert_reload_handler),
 * "reload mod_verto" closes the port, drops verto's clients and calls and
 * rebuilds it from the files on disk before it replies.
 *
 * Steering, re-read at every request from STATE_DIR (see usage()):
 *   password	ESL password (default ClueCon); a trailing newline is cut
 *   inuse	the profile's in-use count (default 0); a restart writes 0
 *   verto_clients  the clients "verto status" lists (default 0)
 *   verto_calls  verto.rtc channels (default 0), counted and listed by
 *		"show calls|channels"; "reload mod_verto" writes both 0
 *   reloadxml_ms  how long "reloadxml" takes before it replies (default 0)
 *   fault	one word, see the list in usage()
 * Written by fsmock: STATE_DIR/pid, and STATE_DIR/log with one line per
 * ESL command received ("auth ***" instead of the password).
 *
 * Everything listens on --bind (127.0.0.1) only; ESL also on ::1 with
 * --esl-v6.  Diagnostics (what sofia-sip would log) go to stderr.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define HDR_MAX		10485760	/* mod_event_socket header cap */
#define BODY_MAX	(16 * 1024 * 1024)	/* its MAX_CONTENT_LENGTH */
#define AUTH_TIMEOUT_MS	25000		/* read_packet(..., 25) */
#define RESTART_GUARD	10		/* cmd_profile's rsec */

/* sofia-sip cipher lists (internals 2.3, 3.2 caveat 1, 1.3). */
#define CIPHERS_CONFIG	"ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"
#define CIPHERS_RELOAD	"!eNULL:!aNULL:!EXP:!LOW:!MD5:ALL:@STRENGTH"
#define CIPHERS_WSS	"!eNULL:!aNULL:!DSS:HIGH:@STRENGTH"

#define GREETING	"Content-Type: auth/request\n\n"
#define DISCONNECT	"Content-Type: text/disconnect-notice\n" \
			"Content-Length: 67\n\n" \
			"Disconnected, goodbye.\n" \
			"See you at ClueCon! http://www.cluecon.com/\n"
#define RUDE		"Content-Type: text/rude-rejection\n" \
			"Content-Length: 24\n\n" \
			"Access Denied, go away.\n"
#define LINE		"=========================================" \
			"=========================================" \
			"==============="

/* mod_verto's profile and its install path (1.11.2-05, prefix rewritten). */
#define VERTO_PROFILE	"default-v4"
#define VERTO_SO	"/usr/local/freeswitch/lib/freeswitch/mod/mod_verto.so"
#define VERTO_CIPHERS	"HIGH:!DSS:!aNULL@STRENGTH"
#define VERTO_PORT0	56596	/* first client's port (1.11.2-06) */

enum { SIP, WSS, VERTO, NLISTEN };
enum { DOWN, RUNNING };

static struct {
	const char	*certdir;	/* --cert-dir: tls-cert-dir */
	const char	*certsdir;	/* --certs-dir: global certs_dir */
	const char	*profdir;	/* the profile loads from */
	int		 no_tls_cert_dir;
	const char	*verify_policy;
	const char	*statedir;
	const char	*profile;
	const char	*bind;
	const char	*version;	/* "1.10.12" or "1.11.2" */
	int		 v111;		/* has reloadcert */
	int		 esl_port, sip_port, tls_port, wss_port;
	int		 esl_v6;
	long		 uptime;
	int		 autogen;
	int		 verto_port;	/* 0: mod_verto not loaded */
	/* verto.conf params; NULL: the param is absent */
	const char	*verto_combined, *verto_cert;
	const char	*verto_key, *verto_chain;
} opt;

/*
 * The profile.  mtx guards all of it; cv signals changes of busy and
 * is_open.  ctx[] are reference counted: a handshake takes its own
 * reference, so a reload may free the old context at once.
 */
static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t	 logmtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 reloadmtx = PTHREAD_MUTEX_INITIALIZER;
static int		 pstate = DOWN;
static int		 busy;		/* a restart is under way */
static time_t		 started;
static SSL_CTX		*ctx[NLISTEN];
static int		 want_open[NLISTEN]; /* TLS listeners should listen */
static int		 is_open[NLISTEN]; /* ... and have acknowledged it */

/*
 * mod_verto, also under mtx.  ctx[VERTO] is NULL while its SSL is not
 * ready (the port then accepts and closes).  verto_secure is 0 once 1.10
 * has reverted the secure bind-local to ws.  verto_gen counts reloads of
 * the module; vconn[] are the connections on the verto port.
 */
static int		 verto_loaded;
static int		 verto_secure = 1;
static unsigned long	 verto_gen;
static int		 vconn[64];
static int		 nvconn;

struct sb {
	char	*p;
	size_t	 len, cap;
};

struct conn {
	int		 fd;
	unsigned char	 buf[8192];
	size_t		 off, len;
};

struct tlsl {
	int	 idx;
	int	 port;
	int	 fd;
};

struct hs {
	int	 fd;
	int	 idx;
	SSL_CTX	*ctx;
};

struct cycle {
	long	 old_ms;	/* old certificate still served */
	long	 down_ms;	/* listening sockets closed */
	int	 keep_old;	/* fault reload-keeps-old */
	int	 never;		/* fault restart-never-returns */
};

/* ------------------------------------------------------------ helpers */

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("fsmock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* What sofia-sip logs at "sofia loglevel tport 3", and OpenSSL's queue. */
static void
tlslog(const char *fmt, ...)
{
	char buf[512];
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fsmock: %s\n", buf);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, "fsmock:   %s\n", buf);
	}
}

static void
msleep(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A uniformly random integer in [lo, hi]. */
static long
rnd(long lo, long hi)
{
	unsigned int r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned int)rand();
	return lo + (long)(r % (unsigned int)(hi - lo + 1));
}

static void
sb_add(struct sb *b, const void *p, size_t n)
{
	char *np;
	size_t ncap;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			die("out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char small[1024], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		die("vsnprintf");
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL)
		die("out of memory");
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

static void
sb_free(struct sb *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
path_in(char *buf, size_t sz, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, sz, "%s/%s", dir, name) >= sz)
		die("path too long: %s/%s", dir, name);
}

/*
 * Read the small state file STATE_DIR/name into buf, without one
 * trailing newline (so "echo word >file" works).  -1 if it cannot be
 * read.
 */
static int
state_read(const char *name, char *buf, size_t sz)
{
	char path[PATH_MAX];
	ssize_t n;
	size_t have = 0;
	int fd;

	path_in(path, sizeof(path), opt.statedir, name);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	while (have + 1 < sz) {
		n = read(fd, buf + have, sz - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	if (have > 0 && buf[have - 1] == '\n')
		buf[--have] = '\0';
	if (have > 0 && buf[have - 1] == '\r')
		buf[--have] = '\0';
	return 0;
}

/* Write STATE_DIR/name atomically (temp file, rename). */
static void
state_write(const char *name, const char *text)
{
	static unsigned long seq;
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(text);
	unsigned long n;
	int fd;

	pthread_mutex_lock(&logmtx);
	n = seq++;
	pthread_mutex_unlock(&logmtx);
	path_in(path, sizeof(path), opt.statedir, name);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.%lu.tmp", path,
	    (long)getpid(), n) >= sizeof(tmp))
		die("path too long: %s", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1) {
		fprintf(stderr, "fsmock: %s: %s\n", tmp, strerror(errno));
		return;
	}
	if (write(fd, text, len) != (ssize_t)len || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		fprintf(stderr, "fsmock: %s: %s\n", path, strerror(errno));
		(void)unlink(tmp);
	}
}

/* A count in STATE_DIR/name, 0 if missing. */
static long
state_count(const char *name)
{
	char buf[64];
	long n;

	if (state_read(name, buf, sizeof(buf)) == -1)
		return 0;
	n = strtol(buf, NULL, 10);
	return n < 0 ? 0 : n;
}

static long
state_inuse(void)
{
	return state_count("inuse");
}

/* The first word of STATE_DIR/fault, or "none". */
static void
state_fault(char *buf, size_t sz)
{
	size_t i;

	if (state_read("fault", buf, sz) == -1) {
		snprintf(buf, sz, "none");
		return;
	}
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
		    buf[i] == '\r') {
			buf[i] = '\0';
			break;
		}
}

static void
log_cmd(const char *cmd)
{
	char path[PATH_MAX];
	struct sb line = { 0 };
	int fd;

	if (strncasecmp(cmd, "auth ", 5) == 0)
		sb_str(&line, "auth ***");
	else if (strncasecmp(cmd, "userauth ", 9) == 0)
		sb_str(&line, "userauth ***");
	else
		sb_str(&line, cmd);
	sb_str(&line, "\n");
	path_in(path, sizeof(path), opt.statedir, "log");
	pthread_mutex_lock(&logmtx);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
		(void)!write(fd, line.p, line.len);
		close(fd);
	}
	pthread_mutex_unlock(&logmtx);
	sb_free(&line);
}

/* ---------------------------------------------------------- listening */

/* A listening TCP socket on host:port, or -1 with errno set. */
static int
listen_on(const char *host, int port, int backlog)
{
	struct addrinfo hints, *res = NULL;
	char serv[16];
	int fd = -1, one = 1, rc, saved;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(serv, sizeof(serv), "%d", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol)) == -1)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, backlog) == -1)
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	errno = saved;
	return -1;
}

/* -------------------------------------------------------- TLS contexts */

/*
 * sofia-sip tls_create_ctx() for the SIP-TLS primary, files chosen as in
 * tport_tls_init_primary(): agent.pem (cert and key), else tls.pem;
 * cafile.pem, else tls.pem; the cert dir as CApath.  Certificate and key
 * failures are only logged (the listener then fails every handshake);
 * the CA file and the cipher list are fatal.  NULL on a fatal failure.
 */
static SSL_CTX *
sip_ctx_new(int reload)
{
	char key[PATH_MAX], ca[PATH_MAX];
	SSL_CTX *c;

	path_in(key, sizeof(key), opt.profdir, "agent.pem");
	if (access(key, R_OK) != 0)
		path_in(key, sizeof(key), opt.profdir, "tls.pem");
	path_in(ca, sizeof(ca), opt.profdir, "cafile.pem");
	if (access(ca, R_OK) != 0)
		path_in(ca, sizeof(ca), opt.profdir, "tls.pem");

	ERR_clear_error();
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		tlslog("tls_create_ctx: SSL_CTX_new failed");
		return NULL;
	}
	/* vanilla sip_tls_version=tlsv1,tlsv1.1,tlsv1.2: no TLS 1.3 bit */
	SSL_CTX_set_options(c, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 |
	    SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_file(c, key, SSL_FILETYPE_PEM) != 1)
		tlslog("tls_create_ctx: invalid local certificate: %s", key);
	if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1)
		tlslog("tls_create_ctx: invalid private key: %s", key);
	if (SSL_CTX_check_private_key(c) != 1)
		tlslog("tls_create_ctx: private key does not match the "
		    "certificate public key");
	if (SSL_CTX_load_verify_locations(c, ca, opt.profdir) != 1) {
		tlslog("tls_create_ctx: error loading CA list: %s", ca);
		SSL_CTX_free(c);
		return NULL;
	}
	if (SSL_CTX_set_cipher_list(c, reload ? CIPHERS_RELOAD :
	    CIPHERS_CONFIG) != 1) {
		tlslog("tls_create_ctx: error setting cipher list");
		SSL_CTX_free(c);
		return NULL;
	}
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	ERR_clear_error();
	return c;
}

/*
 * sofia-sip tport_wss_create_ssl_ctx(): wss.key, wss.crt, ca-bundle.crt,
 * each falling back to wss.pem on its own.  The chain file is only
 * logged; certificate, key, key check and cipher list are fatal.
 */
static SSL_CTX *
wss_ctx_new(void)
{
	char key[PATH_MAX], cert[PATH_MAX], chain[PATH_MAX];
	SSL_CTX *c;

	path_in(key, sizeof(key), opt.profdir, "wss.key");
	if (access(key, R_OK) != 0)
		path_in(key, sizeof(key), opt.profdir, "wss.pem");
	path_in(cert, sizeof(cert), opt.profdir, "wss.crt");
	if (access(cert, R_OK) != 0)
		path_in(cert, sizeof(cert), opt.profdir, "wss.pem");
	path_in(chain, sizeof(chain), opt.profdir, "ca-bundle.crt");
	if (access(chain, R_OK) != 0)
		path_in(chain, sizeof(chain), opt.profdir, "wss.pem");

	ERR_clear_error();
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		tlslog("tport_wss_create_ssl_ctx: SSL_CTX_new failed");
		return NULL;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 |
	    SSL_OP_NO_TLSv1 | SSL_OP_NO_COMPRESSION);
	if (access(chain, R_OK) == 0 &&
	    SSL_CTX_use_certificate_chain_file(c, chain) != 1)
		tlslog("tport_wss_create_ssl_ctx: chain file %s", chain);
	if (SSL_CTX_use_certificate_file(c, cert, SSL_FILETYPE_PEM) != 1) {
		tlslog("tport_wss_create_ssl_ctx: certificate %s", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1) {
		tlslog("tport_wss_create_ssl_ctx: private key %s", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(c) != 1) {
		tlslog("tport_wss_create_ssl_ctx: key check");
		goto fail;
	}
	if (SSL_CTX_set_cipher_list(c, CIPHERS_WSS) != 1) {
		tlslog("tport_wss_create_ssl_ctx: cipher list");
		goto fail;
	}
	ERR_clear_error();
	return c;
fail:
	SSL_CTX_free(c);
	return NULL;
}

/*
 * switch_core_gen_certs(): a self-signed RSA-4096 certificate, subject
 * C=US, CN=FreeSWITCH, serial 0, valid from a week ago for 36500 days,
 * written key first then certificate.  Skipped if the file exists.
 */
static void
gen_certs(const char *path)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	FILE *fp = NULL;

	if (access(path, F_OK) == 0)
		return;
	fprintf(stderr, "fsmock: generating %s\n", path);
	if ((pk = EVP_RSA_gen(4096)) == NULL || (x = X509_new()) == NULL ||
	    (name = X509_NAME_new()) == NULL)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0);
	X509_gmtime_adj(X509_getm_notBefore(x), -(long)60 * 60 * 24 * 7);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)60 * 60 * 24 * 36500);
	X509_set_pubkey(x, pk);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
	    (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"FreeSWITCH", -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, pk, EVP_sha256()))
		goto out;
	if ((fp = fopen(path, "w")) != NULL) {
		PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL);
		PEM_write_X509(fp, x);
		fclose(fp);
	}
out:
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pk);
	ERR_clear_error();
}

/*
 * mod_sofia config_sofia() before the profile starts: tls.pem is made
 * when agent.pem or cafile.pem is missing, wss.pem when neither wss.key
 * nor wss.crt exists.
 */
static void
autogen(void)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (!opt.autogen)
		return;
	path_in(a, sizeof(a), opt.profdir, "agent.pem");
	path_in(b, sizeof(b), opt.profdir, "cafile.pem");
	if (access(a, F_OK) != 0 || access(b, F_OK) != 0) {
		path_in(a, sizeof(a), opt.profdir, "tls.pem");
		gen_certs(a);
	}
	path_in(a, sizeof(a), opt.profdir, "wss.key");
	path_in(b, sizeof(b), opt.profdir, "wss.crt");
	if (access(a, F_OK) != 0 && access(b, F_OK) != 0) {
		path_in(a, sizeof(a), opt.profdir, "wss.pem");
		gen_certs(a);
	}
}

/* Both contexts for a profile start; -1 (profile fails) if either fails. */
static int
profile_ctxs(SSL_CTX **sip, SSL_CTX **wss)
{
	autogen();
	*sip = sip_ctx_new(0);
	*wss = wss_ctx_new();
	if (*sip != NULL && *wss != NULL)
		return 0;
	fprintf(stderr, "fsmock: profile %s failed to start\n", opt.profile);
	SSL_CTX_free(*sip);
	SSL_CTX_free(*wss);
	*sip = *wss = NULL;
	return -1;
}

/* switch_file_exists(): stat() says a regular file. */
static int
file_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * mod_verto verto_create_ssl_ctx() (1.10.12's verto_init_ssl() makes the
 * same calls): the chain file, when set, must exist and load; then the
 * certificate and the key must exist and load and match.  The cipher
 * list is not checked.  NULL with *errp set on failure.
 */
static SSL_CTX *
verto_ctx_new(const char **errp)
{
	SSL_CTX *c;

	ERR_clear_error();
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		*errp = "Failed to create SSL context";
		return NULL;
	}
	SSL_CTX_set_options(c, SSL_OP_NO_SSLv2);
	SSL_CTX_set_options(c, SSL_OP_NO_SSLv3);
	SSL_CTX_set_options(c, SSL_OP_NO_TLSv1);
	SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION);
	if (opt.verto_chain != NULL) {
		if (!file_exists(opt.verto_chain)) {
			*errp = "SUPPLIED CHAIN FILE NOT FOUND";
			goto fail;
		}
		if (!SSL_CTX_use_certificate_chain_file(c, opt.verto_chain)) {
			*errp = "CERT CHAIN FILE ERROR";
			goto fail;
		}
	}
	if (!file_exists(opt.verto_cert)) {
		*errp = "SUPPLIED CERT FILE NOT FOUND";
		goto fail;
	}
	if (!SSL_CTX_use_certificate_file(c, opt.verto_cert,
	    SSL_FILETYPE_PEM)) {
		*errp = "CERT FILE ERROR";
		goto fail;
	}
	if (!file_exists(opt.verto_key)) {
		*errp = "SUPPLIED KEY FILE NOT FOUND";
		goto fail;
	}
	if (!SSL_CTX_use_PrivateKey_file(c, opt.verto_key, SSL_FILETYPE_PEM)) {
		*errp = "PRIVATE KEY FILE ERROR";
		goto fail;
	}
	if (!SSL_CTX_check_private_key(c)) {
		*errp = "PRIVATE KEY FILE ERROR";
		goto fail;
	}
	SSL_CTX_set_cipher_list(c, VERTO_CIPHERS);
	ERR_clear_error();
	return c;
fail:
	SSL_CTX_free(c);
	return NULL;
}

/*
 * verto_init_ssl() at module load: the context, or NULL after logging
 * what mod_verto logs.  1.11 keeps the listener secure but not ready
 * (until a reloadcert); 1.10.12 reverts it to ws (*secure = 0).
 */
static SSL_CTX *
verto_init_ssl(int *secure)
{
	const char *err = "";
	SSL_CTX *c;

	*secure = 1;
	if ((c = verto_ctx_new(&err)) != NULL)
		return c;
	tlslog("SSL ERR: %s", err);
	if (opt.v111)
		fprintf(stderr, "fsmock: SSL NOT READY FOR LISTENER %s:%d. "
		    "USE reloadcert AFTER FIXING CERTIFICATES\n", opt.bind,
		    opt.verto_port);
	else {
		fprintf(stderr, "fsmock: SSL NOT ENABLED FOR LISTENER %s:%d. "
		    "REVERTING TO WS\n", opt.bind, opt.verto_port);
		*secure = 0;
	}
	return NULL;
}

/* ------------------------------------------------------ TLS listeners */

/*
 * Track (on 1) or forget (on 0) a connection on the verto port, so that
 * "reload mod_verto" can drop it.  Forgotten before it is closed.
 */
static void
vconn_track(int fd, int on)
{
	int i;

	pthread_mutex_lock(&mtx);
	if (on && nvconn < (int)(sizeof(vconn) / sizeof(vconn[0])))
		vconn[nvconn++] = fd;
	else if (!on)
		for (i = 0; i < nvconn; i++)
			if (vconn[i] == fd) {
				vconn[i] = vconn[--nvconn];
				break;
			}
	pthread_mutex_unlock(&mtx);
}

/* Drop every connection on the verto port (the handshakes close them). */
static void
vconn_drop(void)
{
	int i;

	pthread_mutex_lock(&mtx);
	for (i = 0; i < nvconn; i++)
		(void)shutdown(vconn[i], SHUT_RDWR);
	pthread_mutex_unlock(&mtx);
}

static void *
handshake(void *arg)
{
	struct hs *h = arg;
	struct timeval tv = { 5, 0 };
	SSL *ssl = NULL;
	char buf[512];

	(void)setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(h->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(h->ctx)) == NULL || SSL_set_fd(ssl, h->fd) != 1)
		goto out;
	if (SSL_accept(ssl) == 1) {
		/*
		 * No SIP here.  Wait (briefly) for the peer to close, as a
		 * SIP server would, so that it does not get a reset.
		 */
		tv.tv_sec = 2;
		(void)setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv));
		while (SSL_read(ssl, buf, sizeof(buf)) > 0)
			;
		(void)SSL_shutdown(ssl);
	}
out:
	ERR_clear_error();
	SSL_free(ssl);
	if (h->idx == VERTO)
		vconn_track(h->fd, 0);
	close(h->fd);
	SSL_CTX_free(h->ctx);
	free(h);
	return NULL;
}

static void
set_open(int idx, int v)
{
	pthread_mutex_lock(&mtx);
	is_open[idx] = v;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mtx);
}

/*
 * One thread per TLS port.  It owns its listening socket: it closes and
 * reopens it when want_open changes, and hands each accepted connection
 * with a reference to the current context to a handshake thread.
 */
static void *
tls_listener(void *arg)
{
	struct tlsl *l = arg;
	struct pollfd pfd;
	pthread_attr_t attr;
	pthread_t t;
	struct hs *h;
	SSL_CTX *c;
	int want, fd;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		pthread_mutex_lock(&mtx);
		want = want_open[l->idx];
		pthread_mutex_unlock(&mtx);
		if (want && l->fd == -1) {
			if ((l->fd = listen_on(opt.bind, l->port, 128)) == -1) {
				msleep(50);
				continue;
			}
			set_open(l->idx, 1);
		} else if (!want && l->fd != -1) {
			close(l->fd);
			l->fd = -1;
			set_open(l->idx, 0);
		}
		if (l->fd == -1) {
			msleep(10);
			continue;
		}
		pfd.fd = l->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if ((fd = accept(l->fd, NULL, NULL)) == -1)
			continue;
		pthread_mutex_lock(&mtx);
		if ((c = ctx[l->idx]) != NULL)
			SSL_CTX_up_ref(c);
		pthread_mutex_unlock(&mtx);
		if (c == NULL || (h = malloc(sizeof(*h))) == NULL) {
			SSL_CTX_free(c);
			close(fd);
			continue;
		}
		h->fd = fd;
		h->idx = l->idx;
		h->ctx = c;
		if (l->idx == VERTO)
			vconn_track(fd, 1);
		if (pthread_create(&t, &attr, handshake, h) != 0) {
			if (l->idx == VERTO)
				vconn_track(fd, 0);
			SSL_CTX_free(c);
			close(fd);
			free(h);
		}
	}
	return NULL;
}

/* Open or close both TLS listening sockets and wait until they are. */
static void
set_listening(int v)
{
	pthread_mutex_lock(&mtx);
	want_open[SIP] = want_open[WSS] = v;
	while (is_open[SIP] != v || is_open[WSS] != v)
		pthread_cond_wait(&cv, &mtx);
	pthread_mutex_unlock(&mtx);
}

/* The same for the verto port. */
static void
verto_listening(int v)
{
	pthread_mutex_lock(&mtx);
	want_open[VERTO] = v;
	while (is_open[VERTO] != v)
		pthread_cond_wait(&cv, &mtx);
	pthread_mutex_unlock(&mtx);
}

/* --------------------------------------------------- profile restarts */

/*
 * A profile restart after the api reply (1.10.12-06/07): the old
 * certificate is still served for old_ms, then the sockets are closed
 * (connections refused) for down_ms, then the files on disk are loaded
 * and the profile listens again and is RUNNING with its uptime reset.
 * The caller has set pstate DOWN and busy.
 */
static void
profile_cycle(const struct cycle *cy)
{
	SSL_CTX *nsip = NULL, *nwss = NULL, *osip, *owss;
	int ok = 1;

	msleep(cy->old_ms);
	set_listening(0);
	msleep(cy->down_ms);
	if (cy->never)
		ok = 0;
	else if (!cy->keep_old)
		ok = profile_ctxs(&nsip, &nwss) == 0;
	pthread_mutex_lock(&mtx);
	if (ok && !cy->keep_old) {
		osip = ctx[SIP];
		owss = ctx[WSS];
		ctx[SIP] = nsip;
		ctx[WSS] = nwss;
	} else
		osip = owss = NULL;
	pthread_mutex_unlock(&mtx);
	SSL_CTX_free(osip);
	SSL_CTX_free(owss);
	if (ok)
		set_listening(1);
	pthread_mutex_lock(&mtx);
	if (ok) {
		pstate = RUNNING;
		started = time(NULL);
	}
	busy = 0;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mtx);
}

static void *
restart_thread(void *arg)
{
	struct cycle *cy = arg;

	profile_cycle(cy);
	free(cy);
	return NULL;
}

/*
 * reloadcert on 1.11 (sofia-sip tport_reload_tls): some milliseconds
 * after the reply, a new SIP-TLS context (kept as long as the CA file
 * loads, however broken the certificate or key) and a new WSS context
 * (only if it builds).  Nothing happens for a profile that is not
 * running.
 */
static void *
reload_thread(void *arg)
{
	SSL_CTX *nsip, *nwss, *old;

	(void)arg;
	msleep(rnd(0, 60));
	pthread_mutex_lock(&mtx);
	if (pstate != RUNNING || busy) {
		pthread_mutex_unlock(&mtx);
		return NULL;
	}
	pthread_mutex_unlock(&mtx);

	if ((nsip = sip_ctx_new(1)) != NULL) {
		pthread_mutex_lock(&mtx);
		old = ctx[SIP];
		ctx[SIP] = nsip;
		pthread_mutex_unlock(&mtx);
		SSL_CTX_free(old);
		fprintf(stderr, "fsmock: tls_reload_cert: certificates "
		    "reloaded successfully\n");
	} else
		fprintf(stderr, "fsmock: tls_reload_cert: failed, keeping "
		    "the old context\n");
	if ((nwss = wss_ctx_new()) != NULL) {
		pthread_mutex_lock(&mtx);
		old = ctx[WSS];
		ctx[WSS] = nwss;
		pthread_mutex_unlock(&mtx);
		SSL_CTX_free(old);
		fprintf(stderr, "fsmock: tport_reload_tls: WSS certificates "
		    "reloaded successfully\n");
	} else
		fprintf(stderr, "fsmock: tport_reload_tls: WSS certificate "
		    "reload failed\n");
	return NULL;
}

/*
 * reloadcert and mod_verto (cert_reload_handler, verto_reload_ssl): a
 * few milliseconds after the reply (1.11.2-06: 16 ms), a new context
 * for the running profile, swapped in (and the SSL then ready) only if
 * it builds; the old one stays otherwise.
 */
static void *
verto_reload_thread(void *arg)
{
	SSL_CTX *n, *old = NULL;
	const char *err = "";
	unsigned long gen;

	(void)arg;
	msleep(rnd(0, 15));
	pthread_mutex_lock(&mtx);
	gen = verto_gen;
	if (!verto_loaded) {
		pthread_mutex_unlock(&mtx);
		return NULL;
	}
	pthread_mutex_unlock(&mtx);

	n = verto_ctx_new(&err);
	pthread_mutex_lock(&mtx);
	if (n != NULL && verto_loaded && gen == verto_gen) {
		old = ctx[VERTO];
		ctx[VERTO] = n;
		n = NULL;
		err = NULL;
	}
	pthread_mutex_unlock(&mtx);
	SSL_CTX_free(old);
	SSL_CTX_free(n);
	if (err == NULL)
		fprintf(stderr, "fsmock: SSL certificates reloaded for "
		    "profile %s\n", VERTO_PROFILE);
	else
		tlslog("SSL reload failed for profile %s: %s", VERTO_PROFILE,
		    *err != '\0' ? err : "superseded by a reload of mod_verto");
	return NULL;
}

static void
spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, fn, arg) != 0)
		die("pthread_create failed");
	pthread_attr_destroy(&attr);
}

/* ------------------------------------------------------- api commands */

/* An XML attribute value as switch_xml_toxml() writes it. */
static void
sb_attr(struct sb *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			sb_str(b, "&amp;");
			break;
		case '<':
			sb_str(b, "&lt;");
			break;
		case '>':
			sb_str(b, "&gt;");
			break;
		case '"':
			sb_str(b, "&quot;");
			break;
		case '\n':
			sb_str(b, "&#xA;");
			break;
		case '\t':
			sb_str(b, "&#x9;");
			break;
		case '\r':
			sb_str(b, "&#xD;");
			break;
		default:
			sb_add(b, s, 1);
			break;
		}
}

/*
 * Expand a body template: $P profile name, $I bind address, $S SIP
 * port, $T TLS port, $W WSS port, $N in-use count, $E ESL port, $A the
 * verto wss port and $B its ws port, $V tls-verify-policy, $D the
 * tls-cert-dir param as xml_locate shows it (without it, the blank line
 * its comment leaves in vanilla internal.xml).  Anything else after a
 * '$' (such as "${") is copied.
 */
static void
expand(struct sb *b, const char *t, long inuse)
{
	const char *p;

	for (p = t; *p != '\0'; p++) {
		if (*p != '$' || p[1] == '\0') {
			sb_add(b, p, 1);
			continue;
		}
		switch (*++p) {
		case 'P':
			sb_str(b, opt.profile);
			break;
		case 'I':
			sb_str(b, opt.bind);
			break;
		case 'S':
			sb_printf(b, "%d", opt.sip_port);
			break;
		case 'T':
			sb_printf(b, "%d", opt.tls_port);
			break;
		case 'W':
			sb_printf(b, "%d", opt.wss_port);
			break;
		case 'N':
			sb_printf(b, "%ld", inuse);
			break;
		case 'E':
			sb_printf(b, "%d", opt.esl_port);
			break;
		case 'A':
			sb_printf(b, "%d", opt.verto_port);
			break;
		case 'B':
			sb_printf(b, "%d", opt.verto_port - 1);
			break;
		case 'V':
			sb_attr(b, opt.verify_policy);
			break;
		case 'D':
			if (opt.no_tls_cert_dir) {
				sb_str(b, "    \n");
				break;
			}
			sb_str(b, "            <param name=\"tls-cert-dir\" "
			    "value=\"");
			sb_attr(b, opt.certdir);
			sb_str(b, "\"></param>\n\n");
			break;
		default:
			sb_add(b, p - 1, 2);
			break;
		}
	}
}

/* The "info" object of sofia jsonstatus (1.10.12-04), after "domain-name". */
static const char json_info[] =
	"\t\t\t\t\"auto-nat\":\t\"false\",\n"
	"\t\t\t\t\"db-name\":\t\"sofia_reg_$P\",\n"
	"\t\t\t\t\"pres-hosts\":\t\"$I,$I\",\n"
	"\t\t\t\t\"dialplan\":\t\"XML\",\n"
	"\t\t\t\t\"context\":\t\"public\",\n"
	"\t\t\t\t\"challenge-realm\":\t\"auto_from\",\n"
	"\t\t\t\t\"rtp-ip\":\t[\"$I\"],\n"
	"\t\t\t\t\"ext-rtp-ip\":\t\"$I\",\n"
	"\t\t\t\t\"sip-ip\":\t\"$I\",\n"
	"\t\t\t\t\"ext-sip-ip\":\t\"$I\",\n"
	"\t\t\t\t\"url\":\t\"sip:mod_sofia@$I:$S\",\n"
	"\t\t\t\t\"bind-url\":\t\"sip:mod_sofia@$I:$S;maddr=$I;"
	    "transport=udp,tcp\",\n"
	"\t\t\t\t\"tls-url\":\t\"sip:mod_sofia@$I:$T\",\n"
	"\t\t\t\t\"tls-bind-url\":\t\"sips:mod_sofia@$I:$T;maddr=$I;"
	    "transport=tls\",\n"
	"\t\t\t\t\"wss-bind-url\":\t\"sips:mod_sofia@$I:$W;"
	    "transport=wss\",\n"
	"\t\t\t\t\"hold-music\":\t\"local_stream://moh\",\n"
	"\t\t\t\t\"outbound-proxy\":\t\"N/A\"\n"
	"\t\t\t}\n";

static void
api_jsonstatus(struct sb *b, int running, long inuse)
{
	expand(b,
	    "{\n"
	    "\t\"profiles\":\t{\n"
	    "\t\t\"$I\":\t{\n"
	    "\t\t\t\"status\":\t{\n"
	    "\t\t\t\t\"type\":\t\"alias\",\n"
	    "\t\t\t\t\"data\":\t\"$P\",\n"
	    "\t\t\t\t\"state\":\t\"ALIASED\"\n", inuse);
	if (running) {
		expand(b,
		    "\t\t\t},\n"
		    "\t\t\t\"info\":\t{\n"
		    "\t\t\t\t\"domain-name\":\t\"N/A\",\n"
		    "\t\t\t\t\"alias-of\":\t\"$P\",\n", inuse);
		expand(b, json_info, inuse);
	} else
		sb_str(b, "\t\t\t}\n");
	expand(b,
	    "\t\t},\n"
	    "\t\t\"$P\":\t{\n"
	    "\t\t\t\"status\":\t{\n"
	    "\t\t\t\t\"type\":\t\"profile\",\n", inuse);
	sb_printf(b, "\t\t\t\t\"state\":\t\"%s\",\n",
	    running ? "RUNNING" : "DOWN");
	expand(b,
	    "\t\t\t\t\"in-use\":\t$N,\n"
	    "\t\t\t\t\"data\":\t\"sip:mod_sofia@$I:$S\"\n", inuse);
	if (running) {
		expand(b,
		    "\t\t\t},\n"
		    "\t\t\t\"info\":\t{\n"
		    "\t\t\t\t\"domain-name\":\t\"N/A\",\n", inuse);
		expand(b, json_info, inuse);
	} else
		sb_str(b, "\t\t\t}\n");
	sb_str(b,
	    "\t\t}\n"
	    "\t}\n"
	    "}\n");
}

/* sofia status (1.10.12-03, and 1.10.12-06 while restarting). */
static void
api_status(struct sb *b, int running, long inuse)
{
	char url[256];

	sb_printf(b, "%25s\t%s\t  %40s\t%s\n", "Name", "   Type", "Data",
	    "State");
	sb_str(b, LINE "\n");
	if (running) {
		sb_printf(b, "%25s\t%s\t  %40s\t%s\n", opt.bind, "  alias",
		    opt.profile, "ALIASED");
		snprintf(url, sizeof(url), "sip:mod_sofia@%s:%d", opt.bind,
		    opt.sip_port);
		sb_printf(b, "%25s\t%s\t  %40s\t%s (%ld)\n", opt.profile,
		    "profile", url, "RUNNING", inuse);
		snprintf(url, sizeof(url), "sip:mod_sofia@%s:%d", opt.bind,
		    opt.tls_port);
		sb_printf(b, "%25s\t%s\t  %40s\t%s (%ld) (TLS)\n",
		    opt.profile, "profile", url, "RUNNING", inuse);
	}
	sb_str(b, LINE "\n");
	sb_str(b, running ? "1 profile 1 alias\n" : "0 profiles 0 aliases\n");
}

/* sofia status profile NAME (1.10.12-01); NAME may be the alias. */
static void
api_status_profile(struct sb *b, const char *name, long inuse)
{
	sb_str(b, LINE "\n");
	sb_printf(b, "Name             \t%s\n", name);
	sb_str(b, "Domain Name      \tN/A\n");
	if (strcasecmp(name, opt.profile) != 0)
		sb_printf(b, "Alias Of         \t%s\n", opt.profile);
	expand(b,
	    "Auto-NAT         \tfalse\n"
	    "DBName           \tsofia_reg_$P\n"
	    "Pres Hosts       \t$I,$I\n"
	    "Dialplan         \tXML\n"
	    "Context          \tpublic\n"
	    "Challenge Realm  \tauto_from\n"
	    "RTP-IP           \t$I\n"
	    "Ext-RTP-IP       \t$I\n"
	    "SIP-IP           \t$I\n"
	    "Ext-SIP-IP       \t$I\n"
	    "URL              \tsip:mod_sofia@$I:$S\n"
	    "BIND-URL         \tsip:mod_sofia@$I:$S;maddr=$I;"
	    "transport=udp,tcp\n"
	    "TLS-URL          \tsip:mod_sofia@$I:$T\n"
	    "TLS-BIND-URL     \tsips:mod_sofia@$I:$T;maddr=$I;transport=tls\n"
	    "WSS-BIND-URL     \tsips:mod_sofia@$I:$W;transport=wss\n"
	    "HOLD-MUSIC       \tlocal_stream://moh\n"
	    "OUTBOUND-PROXY   \tN/A\n"
	    "CODECS IN        \tOPUS,G722,PCMU,PCMA,H264,VP8\n"
	    "CODECS OUT       \tOPUS,G722,PCMU,PCMA,H264,VP8\n"
	    "TEL-EVENT        \t101\n"
	    "DTMF-MODE        \trfc2833\n"
	    "CNG              \t13\n"
	    "SESSION-TO       \t0\n"
	    "MAX-DIALOG       \t0\n"
	    "MAX-RECV-RPS     \t1000\n"
	    "NOMEDIA          \tfalse\n"
	    "LATE-NEG         \ttrue\n"
	    "PROXY-MEDIA      \tfalse\n"
	    "AGGRESSIVENAT    \tfalse\n"
	    "CALLS-IN         \t0\n"
	    "FAILED-CALLS-IN  \t0\n"
	    "CALLS-OUT        \t0\n"
	    "FAILED-CALLS-OUT \t0\n"
	    "REGISTRATIONS    \t0\n", inuse);
}

/*
 * sofia xmlstatus profile NAME (1.10.12-09, 1.11.2-05); NAME may be the
 * alias.  Codecs as the config gives them, unlike "sofia status".
 */
static void
api_xmlstatus_profile(struct sb *b, const char *name, long inuse)
{
	sb_str(b, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
	    "<profile>\n"
	    "  <profile-info>\n");
	sb_printf(b, "    <name>%s</name>\n", name);
	sb_str(b, "    <domain-name>N/A</domain-name>\n");
	if (strcasecmp(name, opt.profile) != 0)
		sb_printf(b, "    <alias-of>%s</alias-of>\n", opt.profile);
	expand(b,
	    "    <auto-nat>false</auto-nat>\n"
	    "    <db-name>sofia_reg_$P</db-name>\n"
	    "    <pres-hosts>$I,$I</pres-hosts>\n"
	    "    <dialplan>XML</dialplan>\n"
	    "    <context>public</context>\n"
	    "    <challenge-realm>auto_from</challenge-realm>\n"
	    "    <rtp-ip>$I</rtp-ip>\n"
	    "    <ext-rtp-ip>$I</ext-rtp-ip>\n"
	    "    <sip-ip>$I</sip-ip>\n"
	    "    <ext-sip-ip>$I</ext-sip-ip>\n"
	    "    <url>sip:mod_sofia@$I:$S</url>\n"
	    "    <bind-url>sip:mod_sofia@$I:$S;maddr=$I;"
	    "transport=udp,tcp</bind-url>\n"
	    "    <tls-url>sip:mod_sofia@$I:$T</tls-url>\n"
	    "    <tls-bind-url>sips:mod_sofia@$I:$T;maddr=$I;"
	    "transport=tls</tls-bind-url>\n"
	    "    <wss-bind-url>sips:mod_sofia@$I:$W;"
	    "transport=wss</wss-bind-url>\n"
	    "    <hold-music>local_stream://moh</hold-music>\n"
	    "    <outbound-proxy>N/A</outbound-proxy>\n"
	    "    <inbound-codecs>PCMU,PCMA</inbound-codecs>\n"
	    "    <outbound-codecs>PCMU,PCMA</outbound-codecs>\n"
	    "    <tel-event>101</tel-event>\n"
	    "    <dtmf-mode>rfc2833</dtmf-mode>\n"
	    "    <cng>13</cng>\n"
	    "    <session-to>0</session-to>\n"
	    "    <max-dialog>0</max-dialog>\n"
	    "    <max-recv-rps>1000</max-recv-rps>\n"
	    "    <nomedia>false</nomedia>\n"
	    "    <late-neg>true</late-neg>\n"
	    "    <proxy-media>false</proxy-media>\n"
	    "    <aggressive-nat>false</aggressive-nat>\n"
	    "    <calls-in>0</calls-in>\n"
	    "    <calls-out>0</calls-out>\n"
	    "    <failed-calls-in>0</failed-calls-in>\n"
	    "    <failed-calls-out>0</failed-calls-out>\n"
	    "    <registrations>0</registrations>\n"
	    "  </profile-info>\n"
	    "</profile>\n", inuse);
}

/* The profile's name or its alias (sofia_glue_find_profile). */
static int
is_profile(const char *name)
{
	return strcasecmp(name, opt.profile) == 0 ||
	    strcmp(name, opt.bind) == 0;
}

/* sofia profile NAME start|restart|rescan (mod_sofia cmd_profile). */
static void
api_profile(struct sb *b, char **av, int ac)
{
	struct cycle *cy;
	char fault[64];
	int running, diff, remain, idle;

	pthread_mutex_lock(&mtx);
	running = pstate == RUNNING;
	idle = !busy;
	diff = (int)(time(NULL) - started);
	pthread_mutex_unlock(&mtx);

	if (ac < 2) {
		sb_str(b, "-ERR fsmock: unsupported: sofia profile\n");
		return;
	}
	/*
	 * "start" comes before the profile lookup in cmd_profile
	 * (mod_sofia.c): config_sofia(SOFIA_CONFIG_RESPAWN, NAME) launches
	 * a profile that is not running and replies "NAME started
	 * successfully\n" once its config is read; it is RUNNING only
	 * after its transports bind (sofia.c: PFLAG_RUNNING after
	 * nua_create, internals 3.6), loading the files on disk.  A
	 * profile that is running, or unknown, gives "Failure starting
	 * NAME\n".
	 */
	if (strcasecmp(av[1], "start") == 0) {
		if (running || !idle || !is_profile(av[0])) {
			sb_printf(b, "Failure starting %s\n", av[0]);
			return;
		}
		state_fault(fault, sizeof(fault));
		if ((cy = calloc(1, sizeof(*cy))) == NULL)
			die("out of memory");
		cy->old_ms = 0;
		cy->down_ms = rnd(300, 600);
		cy->never = strcmp(fault, "restart-never-returns") == 0;
		pthread_mutex_lock(&mtx);
		busy = 1;
		pthread_mutex_unlock(&mtx);
		spawn(restart_thread, cy);
		sb_printf(b, "%s started successfully\n", av[0]);
		return;
	}
	if (!running || !is_profile(av[0])) {
		sb_printf(b, "Invalid Profile [%s]", av[0]);
		return;
	}
	if (strcasecmp(av[1], "rescan") == 0) {
		sb_str(b, "Reload XML [Success]\n+OK scan complete\n");
		return;
	}
	if (strcasecmp(av[1], "restart") != 0) {
		sb_printf(b, "-ERR fsmock: unsupported: sofia profile %s %s\n",
		    av[0], av[1]);
		return;
	}
	if (diff < RESTART_GUARD) {
		remain = RESTART_GUARD - diff;
		sb_printf(b, "Profile %s must be up for at least %d seconds "
		    "to stop/restart.\nPlease wait %d second%s\n",
		    opt.profile, RESTART_GUARD, remain,
		    remain == 1 ? "" : "s");
		return;
	}
	state_fault(fault, sizeof(fault));
	if ((cy = calloc(1, sizeof(*cy))) == NULL)
		die("out of memory");
	cy->old_ms = rnd(300, 900);
	cy->down_ms = rnd(1000, 1400);
	cy->keep_old = strcmp(fault, "reload-keeps-old") == 0;
	cy->never = strcmp(fault, "restart-never-returns") == 0;
	pthread_mutex_lock(&mtx);
	pstate = DOWN;
	busy = 1;
	pthread_mutex_unlock(&mtx);
	/* The restart hangs up every call on the profile. */
	state_write("inuse", "0\n");
	spawn(restart_thread, cy);
	sb_printf(b, "Reload XML [Success]\nrestarting: %s", opt.profile);
}

static void
api_sofia(struct sb *b, char *args)
{
	char *av[16], *p, *save = NULL;
	long inuse = state_inuse();
	int ac = 0, running;

	for (p = strtok_r(args, " ", &save); p != NULL && ac < 15;
	    p = strtok_r(NULL, " ", &save))
		av[ac++] = p;
	av[ac] = NULL;

	pthread_mutex_lock(&mtx);
	running = pstate == RUNNING;
	pthread_mutex_unlock(&mtx);

	if (ac == 0) {
		sb_str(b, "-ERR fsmock: unsupported: sofia\n");
	} else if (strcasecmp(av[0], "jsonstatus") == 0 && ac == 1) {
		api_jsonstatus(b, running, inuse);
	} else if (strcasecmp(av[0], "status") == 0) {
		if (ac == 1)
			api_status(b, running, inuse);
		else if (ac == 2 || strcasecmp(av[1], "profile") != 0)
			sb_str(b, "Invalid Syntax!\n");
		else if (running && is_profile(av[2]))
			api_status_profile(b, av[2], inuse);
		else
			sb_str(b, "Invalid Profile!\n");
	} else if (strcasecmp(av[0], "xmlstatus") == 0 && ac >= 2 &&
	    ac <= 3 && strcasecmp(av[1], "profile") == 0) {
		/* cmd_xml_status; "reg", "user" etc. after NAME: not here */
		if (ac == 3 && running && is_profile(av[2]))
			api_xmlstatus_profile(b, av[2], inuse);
		else
			sb_str(b, "Invalid Profile!\n");
	} else if (strcasecmp(av[0], "profile") == 0) {
		api_profile(b, av + 1, ac - 1);
	} else if (strcasecmp(av[0], "loglevel") == 0 && ac == 3 &&
	    av[2][0] >= '0' && av[2][0] <= '9' && av[2][1] == '\0') {
		sb_printf(b, "Sofia log level for component [%s] has been set "
		    "to [%s]", av[1], av[2]);
	} else {
		sb_str(b, "-ERR fsmock: unsupported: sofia");
		for (ac = 0; av[ac] != NULL; ac++)
			sb_printf(b, " %s", av[ac]);
		sb_str(b, "\n");
	}
}

/*
 * reload mod_sofia (1.10.12-08): synchronous, about 2.8 s, every
 * profile restarted from the files on disk before the reply.
 */
static void
api_reload_sofia(struct sb *b)
{
	struct cycle cy;
	char fault[64];

	state_fault(fault, sizeof(fault));
	memset(&cy, 0, sizeof(cy));
	cy.old_ms = rnd(50, 150);
	cy.down_ms = rnd(2500, 2700);
	cy.keep_old = strcmp(fault, "reload-keeps-old") == 0;
	cy.never = strcmp(fault, "restart-never-returns") == 0;
	/* mod_commands' reload_mutex */
	pthread_mutex_lock(&reloadmtx);
	pthread_mutex_lock(&mtx);
	while (busy)
		pthread_cond_wait(&cv, &mtx);
	pstate = DOWN;
	busy = 1;
	pthread_mutex_unlock(&mtx);
	state_write("inuse", "0\n");
	profile_cycle(&cy);
	pthread_mutex_unlock(&reloadmtx);
	sb_str(b, "+OK Reloading XML\n+OK module unloaded\n"
	    "+OK module loaded\n");
}

/*
 * reload mod_verto (mod_commands reload_function, synchronous like reload
 * mod_sofia): the module unloads (its listener closes, every client and
 * every verto.rtc channel is dropped), then loads again, its context
 * built from the files on disk, and listens again; 300-600 ms in all.
 * Without mod_verto: what FreeSWITCH says for a module that is not
 * loaded and not installed.
 */
static void
api_reload_verto(struct sb *b)
{
	SSL_CTX *n, *old;
	char fault[64];
	int keep, secure;

	pthread_mutex_lock(&reloadmtx);
	sb_str(b, "+OK Reloading XML\n");
	if (!opt.verto_port) {
		sb_str(b, "-ERR unloading module [No such module!]\n"
		    "-ERR loading module [module load file routine returned "
		    "an error]\n");
		pthread_mutex_unlock(&reloadmtx);
		return;
	}
	state_fault(fault, sizeof(fault));
	keep = strcmp(fault, "reload-keeps-old") == 0;
	pthread_mutex_lock(&mtx);
	verto_loaded = 0;
	verto_gen++;
	pthread_mutex_unlock(&mtx);
	verto_listening(0);
	vconn_drop();
	state_write("verto_clients", "0\n");
	state_write("verto_calls", "0\n");
	msleep(rnd(300, 600));
	if (!keep) {
		n = verto_init_ssl(&secure);
		pthread_mutex_lock(&mtx);
		old = ctx[VERTO];
		ctx[VERTO] = n;
		verto_secure = secure;
		pthread_mutex_unlock(&mtx);
		SSL_CTX_free(old);
	}
	verto_listening(1);
	pthread_mutex_lock(&mtx);
	verto_loaded = 1;
	pthread_mutex_unlock(&mtx);
	sb_str(b, "+OK module unloaded\n+OK module loaded\n");
	pthread_mutex_unlock(&reloadmtx);
}

/* switch_loadable_module_exists() for the modules fsmock plays. */
static int
module_loaded(const char *name)
{
	int v;

	if (strcmp(name, "mod_verto") == 0) {
		pthread_mutex_lock(&mtx);
		v = verto_loaded;
		pthread_mutex_unlock(&mtx);
		return v;
	}
	return strcmp(name, "mod_sofia") == 0 ||
	    strcmp(name, "mod_event_socket") == 0 ||
	    strcmp(name, "mod_commands") == 0;
}

/* show modules NAME (1.11.2-05): the interfaces table's rows for NAME. */
static void
api_show_modules(struct sb *b, const char *name)
{
	if (name == NULL || strchr(name, ' ') != NULL) {
		sb_printf(b, "-ERR fsmock: unsupported: show modules%s%s\n",
		    name != NULL ? " " : "", name != NULL ? name : "");
		return;
	}
	if (!module_loaded(name)) {
		/* No rows, so no title either (show_callback). */
		sb_str(b, "\n0 total.\n");
		return;
	}
	if (strcmp(name, "mod_verto") != 0) {
		sb_printf(b, "-ERR fsmock: unsupported: show modules %s\n",
		    name);
		return;
	}
	sb_str(b, "type,name,ikey,filename\n"
	    "api,verto,mod_verto," VERTO_SO "\n"
	    "api,verto_contact,mod_verto," VERTO_SO "\n"
	    "chat,verto,mod_verto," VERTO_SO "\n"
	    "endpoint,verto.rtc,mod_verto," VERTO_SO "\n"
	    "json_api,store,mod_verto," VERTO_SO "\n"
	    "\n5 total.\n");
}

/*
 * verto status (mod_verto cmd_status; 1.11.2-05, 1.11.2-06): the ws and
 * wss bind-locals, then STATE_DIR/verto_clients clients, none of them
 * registered.
 */
static void
api_verto_status(struct sb *b)
{
	static const char row[] = "%25s\t%s\t  %40s\t%s\n";
	char url[128], name[128];
	const char *fmt;
	long i, nc = state_count("verto_clients");
	int secure, v6 = strchr(opt.bind, ':') != NULL;

	pthread_mutex_lock(&mtx);
	secure = verto_secure;
	pthread_mutex_unlock(&mtx);
	sb_printf(b, row, "Name", "   Type", "Data", "State");
	sb_str(b, LINE "\n");
	fmt = v6 ? "%s:[%s]:%d" : "%s:%s:%d";
	snprintf(url, sizeof(url), fmt, "ws", opt.bind, opt.verto_port - 1);
	sb_printf(b, row, VERTO_PROFILE, "profile", url, "RUNNING");
	snprintf(url, sizeof(url), fmt, secure ? "wss" : "ws", opt.bind,
	    opt.verto_port);
	sb_printf(b, row, VERTO_PROFILE, "profile", url, "RUNNING");
	for (i = 0; i < nc; i++) {
		snprintf(name, sizeof(name), v6 ? "[%s]:%ld" : "%s:%ld",
		    opt.bind, VERTO_PORT0 + i % 8000);
		sb_printf(b, "%25s\t%s\t  %40s\t%s (%s)\n",
		    VERTO_PROFILE "::@", "client", name, "CONN_NO_REG",
		    secure ? "WSS" : "WS");
	}
	sb_str(b, LINE "\n");
	sb_printf(b, "%d profile%s , %ld client%s\n", 1, "", nc,
	    nc == 1 ? "" : "s");
}

/* The verto api (verto_function); status and help only. */
static void
api_verto(struct sb *b, const char *args)
{
	static const char usage_string[] = "USAGE:\n"
	    "------------------------------------------------------------"
	    "--------------------\n"
	    "verto [status|xmlstatus|jsonstatus]\n"
	    "verto help\n"
	    "verto debug [0-10]\n"
	    "verto perm <sessid> <type> <value>\n"
	    "verto noperm <sessid> <type> <value>\n"
	    "------------------------------------------------------------"
	    "--------------------\n";
	char word[64];
	size_t n;

	while (args != NULL && *args == ' ')
		args++;
	if (args == NULL || *args == '\0') {
		sb_str(b, usage_string);
		return;
	}
	n = strcspn(args, " ");
	snprintf(word, sizeof(word), "%.*s", (int)n, args);
	if (strcasecmp(word, "help") == 0)
		sb_str(b, usage_string);
	else if (strcasecmp(word, "status") == 0)
		api_verto_status(b);
	else if (strcasecmp(word, "xmlstatus") == 0 ||
	    strcasecmp(word, "jsonstatus") == 0 ||
	    strcasecmp(word, "debug") == 0 ||
	    strcasecmp(word, "debug-level") == 0 ||
	    strcasecmp(word, "perm") == 0 ||
	    strcasecmp(word, "noperm") == 0 ||
	    strcasecmp(word, "announce") == 0)
		sb_printf(b, "-ERR fsmock: unsupported: verto %s\n", args);
	else
		sb_printf(b, "Unknown Command [%s]\n", word);
}

/*
 * The configurations as "xml_locate configuration configuration name
 * NAME" shows them: vanilla files after the preprocessor, as captured in
 * 1.11.2-07 (sofia.conf byte for byte the same in 1.10.12-10; each
 * comment leaves its indentation and newline), with fsmock's values.
 */
static const char sofia_conf[] =
	"<configuration name=\"sofia.conf\" description=\"sofia Endpoint\">\n\n"
	"    <global_settings>\n"
	"        <param name=\"log-level\" value=\"0\"></param>\n\n    \n    \n"
	"        <param name=\"debug-presence\" value=\"0\"></param>\n\n    \n"
	"    \n    \n    \n    \n  </global_settings>\n\n\n  \n    <profiles>\n"
	"    <profile name=\"$P\">\n  \n\n  \n  \n        <aliases>\n    \n"
	"  </aliases>\n\n  \n        <gateways>\n  </gateways>\n\n\n"
	"        <domains>\n    \n    \n    \n    \n"
	"            <domain name=\"all\" alias=\"true\""
	" parse=\"false\"></domain>\n\n  </domains>\n\n\n        <settings>\n\n"
	"\n    \n    \n\n    \n    \n\n    \n    \n\n    \n    \n\n"
	"            <param name=\"debug\" value=\"0\"></param>\n\n    \n    \n"
	"            <param name=\"sip-trace\" value=\"no\"></param>\n\n"
	"            <param name=\"sip-capture\" value=\"no\"></param>\n\n\n"
	"    \n    \n\n\n    \n    \n\n\n    \n"
	"            <param name=\"watchdog-enabled\" value=\"no\"></param>\n\n"
	"            <param name=\"watchdog-step-timeout\""
	" value=\"30000\"></param>\n\n"
	"            <param name=\"watchdog-event-timeout\""
	" value=\"30000\"></param>\n\n\n"
	"            <param name=\"log-auth-failures\""
	" value=\"false\"></param>\n\n"
	"            <param name=\"forward-unsolicited-mwi-notify\""
	" value=\"false\"></param>\n\n\n"
	"            <param name=\"context\" value=\"public\"></param>\n\n"
	"            <param name=\"rfc2833-pt\" value=\"101\"></param>\n\n"
	"    \n            <param name=\"sip-port\" value=\"$S\"></param>\n\n"
	"            <param name=\"dialplan\" value=\"XML\"></param>\n\n"
	"            <param name=\"dtmf-duration\" value=\"2000\"></param>\n\n"
	"            <param name=\"inbound-codec-prefs\""
	" value=\"PCMU,PCMA\"></param>\n\n"
	"            <param name=\"outbound-codec-prefs\""
	" value=\"PCMU,PCMA\"></param>\n\n"
	"            <param name=\"rtp-timer-name\" value=\"soft\"></param>\n\n"
	"    \n            <param name=\"rtp-ip\" value=\"$I\"></param>\n\n"
	"    \n            <param name=\"sip-ip\" value=\"$I\"></param>\n\n"
	"            <param name=\"hold-music\""
	" value=\"local_stream://moh\"></param>\n\n"
	"            <param name=\"apply-nat-acl\""
	" value=\"nat.auto\"></param>\n\n\n\n    \n    \n\n    \n    \n\n    \n"
	"    \n    \n\n    \n    \n    \n\n    \n    \n    \n    \n    \n"
	"            <param name=\"apply-inbound-acl\""
	" value=\"domains\"></param>\n\n    \n"
	"            <param name=\"local-network-acl\""
	" value=\"localnet.auto\"></param>\n\n    \n    \n\n\n    \n    \n\n"
	"    \n    \n\n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n\n\n"
	"            <param name=\"record-path\""
	" value=\"/usr/local/freeswitch/var/lib/freeswitch/"
	"recordings\"></param>\n"
	"\n"
	"            <param name=\"record-template\""
	" value=\"${caller_id_number}.${target_domain}."
	"${strftime(%Y-%m-%d-%H-%M-%S)}.wav\"></param>\n"
	"\n    \n"
	"            <param name=\"manage-presence\" value=\"true\"></param>\n"
	"\n    \n    \n    \n    \n    \n    \n"
	"            <param name=\"presence-hosts\" value=\"$I,$I\"></param>\n"
	"\n"
	"            <param name=\"presence-privacy\""
	" value=\"false\"></param>\n\n    \n\n    \n    \n    \n    \n    \n"
	"    \n    \n    \n    \n    \n    \n"
	"            <param name=\"inbound-codec-negotiation\""
	" value=\"generous\"></param>\n\n    \n    \n    \n    \n    \n    \n"
	"    \n    \n    \n    \n\n    \n"
	"            <param name=\"tls\" value=\"true\"></param>\n\n    \n"
	"            <param name=\"tls-only\" value=\"false\"></param>\n\n"
	"    \n"
	"            <param name=\"tls-bind-params\""
	" value=\"transport=tls\"></param>\n\n    \n"
	"            <param name=\"tls-sip-port\" value=\"$T\"></param>\n\n"
	"    \n$D    \n"
	"            <param name=\"tls-passphrase\" value=\"\"></param>\n\n"
	"    \n"
	"            <param name=\"tls-verify-date\" value=\"true\"></param>\n"
	"\n    \n    \n"
	"            <param name=\"tls-verify-policy\" value=\"$V\"></param>\n"
	"\n    \n"
	"            <param name=\"tls-verify-depth\" value=\"2\"></param>\n\n"
	"    \n"
	"            <param name=\"tls-verify-in-subjects\""
	" value=\"\"></param>\n\n    \n"
	"            <param name=\"tls-version\""
	" value=\"tlsv1,tlsv1.1,tlsv1.2\"></param>\n\n\n    \n"
	"            <param name=\"tls-ciphers\""
	" value=\"ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH\"></param>\n\n\n    \n"
	"    \n\n    \n    \n\n    \n    \n    \n    \n    \n\n    \n    \n\n"
	"    \n    \n\n    \n    \n\n    \n    \n\n    \n"
	"            <param name=\"inbound-late-negotiation\""
	" value=\"true\"></param>\n\n\n    \n    \n    \n\n    \n    \n\n    \n"
	"    \n\n    \n"
	"            <param name=\"nonce-ttl\" value=\"60\"></param>\n\n    \n"
	"    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n    \n"
	"            <param name=\"auth-calls\" value=\"true\"></param>\n\n"
	"    \n"
	"            <param name=\"auth-subscriptions\""
	" value=\"true\"></param>\n\n    \n"
	"            <param"
	" name=\"inbound-reg-force-matching-username\""
	" value=\"true\"></param>\n\n    \n"
	"            <param name=\"auth-all-packets\""
	" value=\"false\"></param>\n\n\n    \n"
	"            <param name=\"ext-rtp-ip\" value=\"$I\"></param>\n\n"
	"            <param name=\"ext-sip-ip\" value=\"$I\"></param>\n\n\n"
	"    \n"
	"            <param name=\"rtp-timeout-sec\" value=\"0\"></param>\n\n"
	"            <param name=\"rtp-hold-timeout-sec\""
	" value=\"1800\"></param>\n\n    \n    \n    \n    \n    \n    \n    \n"
	"            <param name=\"force-register-domain\""
	" value=\"$I\"></param>\n\n    \n"
	"            <param name=\"force-subscription-domain\""
	" value=\"$I\"></param>\n\n    \n"
	"            <param name=\"force-register-db-domain\""
	" value=\"$I\"></param>\n\n\n\n    \n    \n\n    \n    \n"
	"            <param name=\"wss-binding\" value=\":$W\"></param>\n\n\n"
	"    \n\n    \n    \n\n    \n    \n    \n\n    \n    \n\n    \n    \n\n"
	"    \n    \n    \n\n    \n    \n\n    \n    \n    \n"
	"            <param name=\"challenge-realm\""
	" value=\"auto_from\"></param>\n\n    \n    \n    \n    \n    \n    \n"
	"    \n\n    \n    \n\n    \n    \n\n    \n    \n    \n\n    \n\n    \n"
	"    \n\n    \n    \n\n\n    \n    \n\n    \n    \n\n    \n    \n\n\n"
	"    \n    \n\n    \n    \n  </settings>\n\n    </profile>\n\n"
	"  </profiles>\n\n\n</configuration>\n";

static const char verto_conf_head[] =
	"<configuration name=\"verto.conf\" description=\"HTML5 Verto "
	"Endpoint\">\n\n"
	"    <settings>\n"
	"        <param name=\"debug\" value=\"0\"></param>\n\n"
	"    \n    \n    \n    \n    \n    \n    \n"
	"  </settings>\n\n\n"
	"    <profiles>\n"
	"    \n"
	"        <profile name=\"" VERTO_PROFILE "\">\n"
	"            <param name=\"bind-local\" value=\"$I:$B\"></param>\n\n"
	"            <param name=\"bind-local\" value=\"$I:$A\""
	" secure=\"true\"></param>\n\n"
	"            <param name=\"force-register-domain\""
	" value=\"$I\"></param>\n\n";

static const char verto_conf_tail[] =
	"            <param name=\"userauth\" value=\"true\"></param>\n\n"
	"      \n"
	"            <param name=\"blind-reg\" value=\"false\"></param>\n\n"
	"            <param name=\"rtp-ip\" value=\"$I\"></param>\n\n"
	"            <param name=\"ext-rtp-ip\" value=\"$I\"></param>\n\n"
	"            <param name=\"local-network\""
	" value=\"localnet.auto\"></param>\n\n"
	"            <param name=\"outbound-codec-string\""
	" value=\"opus,h264,vp8\"></param>\n\n"
	"            <param name=\"inbound-codec-string\""
	" value=\"opus,h264,vp8\"></param>\n\n\n"
	"            <param name=\"apply-candidate-acl\""
	" value=\"localnet.auto\"></param>\n\n"
	"            <param name=\"apply-candidate-acl\""
	" value=\"wan_v4.auto\"></param>\n\n"
	"            <param name=\"apply-candidate-acl\""
	" value=\"rfc1918.auto\"></param>\n\n"
	"            <param name=\"apply-candidate-acl\""
	" value=\"any_v4.auto\"></param>\n\n"
	"            <param name=\"timer-name\" value=\"soft\"></param>\n\n\n"
	"    </profile>\n\n"
	"  </profiles>\n\n"
	"</configuration>\n";

static const char event_socket_conf_head[] =
	"<configuration name=\"event_socket.conf\" description=\"Socket "
	"Client\">\n"
	"    <settings>\n"
	"        <param name=\"nat-map\" value=\"false\"></param>\n\n"
	"        <param name=\"listen-ip\" value=\"$I\"></param>\n\n"
	"        <param name=\"listen-port\" value=\"$E\"></param>\n\n"
	"        <param name=\"password\" value=\"";

static const char event_socket_conf_tail[] =
	"\"></param>\n\n"
	"    \n"
	"    \n"
	"  </settings>\n\n"
	"</configuration>\n";

/* One verto.conf profile param, if set. */
static void
verto_param(struct sb *b, const char *name, const char *val)
{
	if (val == NULL)
		return;
	sb_printf(b, "            <param name=\"%s\" value=\"", name);
	sb_attr(b, val);
	sb_str(b, "\"></param>\n\n");
}

/* xml_locate (mod_commands xml_locate_function), configurations only. */
static void
api_xml_locate(struct sb *b, const char *args)
{
	char buf[512], *av[5], *p, *save = NULL;
	int ac = 0;

	snprintf(buf, sizeof(buf), "%s", args != NULL ? args : "");
	for (p = strtok_r(buf, " ", &save); p != NULL && ac < 5;
	    p = strtok_r(NULL, " ", &save))
		av[ac++] = p;
	if (ac != 1 && ac != 4) {
		sb_str(b, "-ERR bad args\n");
		return;
	}
	if (ac == 1 || strcmp(av[0], "configuration") != 0 ||
	    strcmp(av[1], "configuration") != 0 ||
	    strcmp(av[2], "name") != 0) {
		sb_printf(b, "-ERR fsmock: unsupported: xml_locate %s\n", args);
		return;
	}
	if (strcmp(av[3], "sofia.conf") == 0) {
		expand(b, sofia_conf, 0);
	} else if (strcmp(av[3], "verto.conf") == 0 && opt.verto_port) {
		expand(b, verto_conf_head, 0);
		verto_param(b, "secure-combined", opt.verto_combined);
		if (opt.verto_cert != opt.verto_combined)
			verto_param(b, "secure-cert", opt.verto_cert);
		if (opt.verto_key != opt.verto_combined)
			verto_param(b, "secure-key", opt.verto_key);
		verto_param(b, "secure-chain", opt.verto_chain);
		expand(b, verto_conf_tail, 0);
	} else if (strcmp(av[3], "event_socket.conf") == 0) {
		char pw[1024];

		if (state_read("password", pw, sizeof(pw)) == -1)
			snprintf(pw, sizeof(pw), "ClueCon");
		expand(b, event_socket_conf_head, 0);
		sb_attr(b, pw);
		OPENSSL_cleanse(pw, sizeof(pw));
		sb_str(b, event_socket_conf_tail);
	} else
		sb_str(b, "can't find anything\n");
}

/* The columns of the channels table and basic_calls view (core sqldb). */
static const char *const channels_cols[] = {
	"uuid", "direction", "created", "created_epoch", "name", "state",
	"cid_name", "cid_num", "ip_addr", "dest", "application",
	"application_data", "dialplan", "context", "read_codec", "read_rate",
	"read_bit_rate", "write_codec", "write_rate", "write_bit_rate",
	"secure", "hostname", "presence_id", "presence_data", "accountcode",
	"callstate", "callee_name", "callee_num", "callee_direction",
	"call_uuid", "sent_callee_name", "sent_callee_num",
	"initial_cid_name", "initial_cid_num", "initial_ip_addr",
	"initial_dest", "initial_dialplan", "initial_context"
};
#define NCHAN	((int)(sizeof(channels_cols) / sizeof(channels_cols[0])))

/* basic_calls: channels' columns by index, then the (empty) b-leg. */
static const char *const calls_b_cols[] = {
	"b_uuid", "b_direction", "b_created", "b_created_epoch", "b_name",
	"b_state", "b_cid_name", "b_cid_num", "b_ip_addr", "b_dest",
	"b_presence_id", "b_presence_data", "b_accountcode", "b_callstate",
	"b_callee_name", "b_callee_num", "b_callee_direction",
	"b_sent_callee_name", "b_sent_callee_num", "call_created_epoch"
};
static const int calls_a_cols[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 22, 23, 24, 25, 26, 27, 28, 29, 21, 30,
	31
};

/*
 * One channel for "show channels" (or its call for "show calls"): number
 * i of the sofia profile's in-use ones, or of verto's verto.rtc ones.
 * XXX: invented values; the columns are FreeSWITCH's.
 */
static void
show_row(struct sb *b, int calls, long i, int verto)
{
	char uuid[48], name[128], num[24], dest[24], created[32], epoch[24];
	char pres[128];
	const char *f[NCHAN];
	struct tm tm;
	time_t t = time(NULL) - 60;
	int k, n;

	snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012ld",
	    i + 1);
	snprintf(num, sizeof(num), "%ld", 1000 + i);
	snprintf(dest, sizeof(dest), "%ld", verto ? 3000 + i : 9664);
	if (verto)
		snprintf(name, sizeof(name), "verto.rtc/%s", dest);
	else
		snprintf(name, sizeof(name), "sofia/%s/%s@%s", opt.profile,
		    num, opt.bind);
	localtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(epoch, sizeof(epoch), "%lld", (long long)t);
	snprintf(pres, sizeof(pres), "%s@%s", num, opt.bind);
	f[0] = uuid;
	f[1] = "inbound";
	f[2] = created;
	f[3] = epoch;
	f[4] = name;
	f[5] = "CS_EXECUTE";
	f[6] = num;
	f[7] = num;
	f[8] = opt.bind;
	f[9] = dest;
	f[10] = "park";
	f[11] = "";
	f[12] = "XML";
	f[13] = verto ? "default" : "public";
	f[14] = f[17] = verto ? "opus" : "PCMU";
	f[15] = f[18] = verto ? "48000" : "8000";
	f[16] = f[19] = verto ? "0" : "64000";
	f[20] = verto ? "srtp:dtls:AES_CM_128_HMAC_SHA1_80" : "";
	f[21] = "fsmock";
	f[22] = pres;
	f[23] = f[24] = "";
	f[25] = "ACTIVE";
	f[26] = f[27] = f[28] = "";
	f[29] = uuid;
	f[30] = f[31] = "";
	f[32] = f[33] = num;
	f[34] = opt.bind;
	f[35] = dest;
	f[36] = "XML";
	f[37] = f[13];
	if (!calls) {
		for (k = 0; k < NCHAN; k++)
			sb_printf(b, "%s%s", f[k], k + 1 < NCHAN ? "," : "\n");
		return;
	}
	n = (int)(sizeof(calls_a_cols) / sizeof(calls_a_cols[0]));
	for (k = 0; k < n; k++)
		sb_printf(b, "%s,", f[calls_a_cols[k]]);
	for (k = 0; k + 1 < (int)(sizeof(calls_b_cols) /
	    sizeof(calls_b_cols[0])); k++)
		sb_str(b, ",");
	sb_str(b, "\n");
}

/* The title line of show_callback(). */
static void
show_title(struct sb *b, int calls)
{
	size_t k, n;
	int sep = 0;

	n = calls ? sizeof(calls_a_cols) / sizeof(calls_a_cols[0]) :
	    (size_t)NCHAN;
	for (k = 0; k < n; k++, sep = 1)
		sb_printf(b, "%s%s", sep ? "," : "",
		    channels_cols[calls ? calls_a_cols[k] : (int)k]);
	if (calls)
		for (k = 0; k < sizeof(calls_b_cols) / sizeof(calls_b_cols[0]);
		    k++)
			sb_printf(b, ",%s", calls_b_cols[k]);
	sb_str(b, "\n");
}

/*
 * show calls|channels [count]: N = the in-use count plus, with mod_verto,
 * STATE_DIR/verto_calls.  Without verto calls the rows are fsmock's own
 * short ones; with them every row has FreeSWITCH's columns.
 */
static void
api_show(struct sb *b, const char *args)
{
	long i, n = state_inuse(), nv = 0;
	int calls;

	if (strncasecmp(args, "module", 6) == 0) {
		const char *sp = strchr(args, ' ');

		api_show_modules(b, sp != NULL ? sp + 1 : NULL);
		return;
	}
	if (opt.verto_port)
		nv = state_count("verto_calls");
	calls = strncmp(args, "calls", 5) == 0;
	if (strcmp(args, "calls count") == 0 ||
	    strcmp(args, "channels count") == 0) {
		sb_printf(b, "\n%ld total.\n", n + nv);
		return;
	}
	if (strcmp(args, "calls") != 0 && strcmp(args, "channels") != 0) {
		sb_printf(b, "-ERR fsmock: unsupported: show %s\n", args);
		return;
	}
	if (nv > 0) {
		show_title(b, calls);
		for (i = 0; i < n; i++)
			show_row(b, calls, i, 0);
		for (i = 0; i < nv; i++)
			show_row(b, calls, n + i, 1);
		sb_printf(b, "\n%ld total.\n", n + nv);
		return;
	}
	/* XXX: invented rows; only the count line is from FreeSWITCH. */
	if (n > 0) {
		sb_str(b, calls ? "uuid,direction,created,name,state\n" :
		    "uuid,direction,created,created_epoch,name,state\n");
		for (i = 0; i < n; i++)
			sb_printf(b, "00000000-0000-4000-8000-%012ld,inbound,"
			    "fsmock,sofia/%s/%ld@%s,CS_EXECUTE\n", i + 1,
			    opt.profile, 1000 + i, opt.bind);
	}
	sb_printf(b, "\n%ld total.\n", n);
}

/*
 * api_exec: the body of the api/response for "api CMD ARGS".  FreeSWITCH
 * splits the command at the first space.
 */
static void
api_exec(struct sb *b, char *line)
{
	char *args, empty[1] = "";

	if ((args = strchr(line, ' ')) != NULL)
		*args++ = '\0';
	if (strcmp(line, "version") == 0 && args == NULL) {
		sb_printf(b, "FreeSWITCH Version %s-release~64bit ( 64bit)\n",
		    opt.version);
	} else if (strcmp(line, "version") == 0 &&
	    strcmp(args, "short") == 0) {
		sb_printf(b, "%s\n", opt.version);
	} else if (strcmp(line, "reloadxml") == 0) {
		/*
		 * reload_xml_function (mod_commands.c:2853-2861) replies only
		 * after switch_xml_reload has parsed the whole tree again
		 * (switch_xml.c:2433-2471), synchronously: seconds on a large
		 * FusionPBX config.  STATE_DIR/reloadxml_ms plays that time.
		 */
		char ms[32];

		if (state_read("reloadxml_ms", ms, sizeof(ms)) == 0)
			msleep(strtol(ms, NULL, 10));
		sb_str(b, "+OK [Success]\n");
	} else if (strcmp(line, "reloadcert") == 0 && opt.v111) {
		char fault[64];

		state_fault(fault, sizeof(fault));
		if (strcmp(fault, "reload-keeps-old") != 0) {
			if (module_loaded("mod_verto"))
				spawn(verto_reload_thread, NULL);
			spawn(reload_thread, NULL);
		}
		sb_str(b, "+OK cert reload event sent\n");
	} else if (strcmp(line, "sofia") == 0) {
		api_sofia(b, args != NULL ? args : empty);
	} else if (strcmp(line, "show") == 0 && args != NULL) {
		api_show(b, args);
	} else if (strcmp(line, "reload") == 0 && args != NULL &&
	    strcmp(args, "mod_sofia") == 0) {
		api_reload_sofia(b);
	} else if (strcmp(line, "reload") == 0 && args != NULL &&
	    strcmp(args, "mod_verto") == 0) {
		api_reload_verto(b);
	} else if (strcmp(line, "verto") == 0 && module_loaded("mod_verto")) {
		api_verto(b, args);
	} else if (strcmp(line, "global_getvar") == 0) {
		/* switch_core_get_variable_dup; no newline after the value */
		if (args == NULL || *args == '\0')
			sb_str(b, "-ERR fsmock: unsupported: global_getvar\n");
		else if (strcmp(args, "certs_dir") == 0)
			sb_str(b, opt.certsdir);
	} else if (strcmp(line, "module_exists") == 0) {
		if (args != NULL && *args != '\0')
			sb_str(b, module_loaded(args) ? "true" : "false");
	} else if (strcmp(line, "xml_locate") == 0) {
		api_xml_locate(b, args);
	} else {
		sb_printf(b, "-ERR %s Command not found!\n", line);
	}
}

/* ------------------------------------------------------- event socket */

static int
send_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_str(int fd, const char *s)
{
	return send_all(fd, s, strlen(s));
}

static void
reply(int fd, const char *text)
{
	struct sb b = { 0 };

	sb_printf(&b, "Content-Type: command/reply\nReply-Text: %s\n\n", text);
	(void)send_all(fd, b.p, b.len);
	sb_free(&b);
}

/*
 * The next byte from the client: -1 at EOF or on error, -2 once
 * deadline (a now_ms() value, 0 for none) has passed.
 */
static int
conn_getc(struct conn *c, long long deadline)
{
	struct pollfd pfd;
	long long left;
	ssize_t n;
	int r;

	while (c->off == c->len) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		left = deadline ? deadline - now_ms() : -1;
		if (deadline && left <= 0)
			return -2;
		r = poll(&pfd, 1, deadline ? (int)left : -1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			return -2;
		n = recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->off = 0;
		c->len = (size_t)n;
	}
	return c->buf[c->off++];
}

/*
 * mod_event_socket read_packet(): leading blank lines skipped, CR
 * ignored, the block ends at an empty line; a Content-Length body is
 * read and dropped.  The header block (first line = the command) is
 * left in pkt.  1 for a packet, 0 at EOF, -2 on timeout, -3 when a cap
 * is exceeded.
 */
static int
read_packet(struct conn *c, long long deadline, struct sb *pkt)
{
	char *p, *eol;
	unsigned long clen = 0;
	int ch, prev = 0;
	char cc;

	pkt->len = 0;
	sb_add(pkt, "", 0);
	for (;;) {
		if ((ch = conn_getc(c, deadline)) < 0)
			return ch == -2 ? -2 : 0;
		if (ch == '\r')
			continue;
		if (ch == '\n' && pkt->len == 0)
			continue;
		if (pkt->len >= HDR_MAX)
			return -3;
		cc = (char)ch;
		sb_add(pkt, &cc, 1);
		if (ch == '\n' && prev == '\n')
			break;
		prev = ch;
	}
	/* Headers after the command line: only Content-Length matters. */
	for (p = strchr(pkt->p, '\n'); p != NULL && p[1] != '\0'; p = eol) {
		p++;
		if ((eol = strchr(p, '\n')) == NULL)
			break;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			clen = strtoul(p + 15, NULL, 10);
	}
	if (clen > BODY_MAX)
		return -3;
	while (clen-- > 0)
		if ((ch = conn_getc(c, deadline)) < 0)
			return ch == -2 ? -2 : 0;
	/* Cut the block down to its first line, the command. */
	if ((p = strchr(pkt->p, '\n')) != NULL) {
		*p = '\0';
		pkt->len = (size_t)(p - pkt->p);
	}
	return 1;
}

/* Read and drop everything until the client goes away (or max_ms). */
static void
drain(struct conn *c, long max_ms)
{
	long long deadline = now_ms() + max_ms;

	while (conn_getc(c, deadline) >= 0)
		c->off = c->len;
}

/* Random bytes, no protocol: the caller then closes. */
static void
send_garbage(int fd)
{
	unsigned char junk[256];
	size_t i;

	if (RAND_bytes(junk, sizeof(junk)) != 1)
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (unsigned char)rand();
	(void)send_all(fd, junk, sizeof(junk));
}

/* The api/response, or with close-mid-reply its first half (then close). */
static void
send_api(struct conn *c, const char *fault, struct sb *body, int *close_now)
{
	struct sb msg = { 0 };

	sb_printf(&msg, "Content-Type: api/response\nContent-Length: %zu\n\n",
	    body->len);
	sb_add(&msg, body->p, body->len);
	if (strcmp(fault, "close-mid-reply") == 0) {
		(void)send_all(c->fd, msg.p, msg.len / 2);
		*close_now = 1;
	} else
		(void)send_all(c->fd, msg.p, msg.len);
	sb_free(&msg);
}

/* A random v4 UUID for bgapi's Job-UUID. */
static void
uuid4(char *buf, size_t sz)
{
	unsigned char u[16];

	if (RAND_bytes(u, sizeof(u)) != 1)
		memset(u, 0x5a, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(buf, sz, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void *
esl_client(void *arg)
{
	struct conn *c = arg;
	struct sb pkt = { 0 }, body = { 0 };
	char fault[64], pw[1024], uuid[64];
	long long deadline;
	int authed = 0, r, close_now = 0;
	char *cmd;

	state_fault(fault, sizeof(fault));
	if (strcmp(fault, "rude") == 0) {
		(void)send_str(c->fd, RUDE);
		(void)send_str(c->fd, DISCONNECT);
		goto out;
	}
	if (strcmp(fault, "stall-greeting") == 0) {
		drain(c, 300000);
		goto out;
	}
	if (send_str(c->fd, GREETING) == -1)
		goto out;
	for (;;) {
		deadline = authed ? 0 : now_ms() + AUTH_TIMEOUT_MS;
		r = read_packet(c, deadline, &pkt);
		if (r == -2) {
			/* No auth within 25 s. */
			(void)send_str(c->fd, DISCONNECT);
			goto out;
		}
		if (r != 1)
			goto out;
		cmd = pkt.p;
		log_cmd(cmd);
		state_fault(fault, sizeof(fault));

		if (strcasecmp(cmd, "exit") == 0 || strcmp(cmd, "...") == 0) {
			reply(c->fd, "+OK bye");
			(void)send_str(c->fd, DISCONNECT);
			goto out;
		}
		if (!authed) {
			if (strcmp(fault, "stall-auth") == 0) {
				drain(c, 300000);
				goto out;
			}
			if (strncasecmp(cmd, "auth ", 5) != 0) {
				reply(c->fd, "-ERR command not found");
				continue;
			}
			if (state_read("password", pw, sizeof(pw)) == -1)
				snprintf(pw, sizeof(pw), "ClueCon");
			r = strcmp(cmd + 5, pw);
			OPENSSL_cleanse(pw, sizeof(pw));
			if (r != 0) {
				reply(c->fd, "-ERR invalid");
				(void)send_str(c->fd, DISCONNECT);
				goto out;
			}
			authed = 1;
			reply(c->fd, "+OK accepted");
			continue;
		}
		if (strncasecmp(cmd, "api ", 4) == 0) {
			if (strcmp(fault, "stall") == 0) {
				drain(c, 300000);
				goto out;
			}
			if (strcmp(fault, "garbage") == 0) {
				send_garbage(c->fd);
				goto out;
			}
			if (strcmp(fault, "oversize") == 0) {
				(void)send_str(c->fd, "Content-Type: "
				    "api/response\nContent-Length: 999999999"
				    "\n\n+OK fsmock");
				drain(c, 60000);
				goto out;
			}
			body.len = 0;
			sb_add(&body, "", 0);
			api_exec(&body, cmd + 4);
			send_api(c, fault, &body, &close_now);
			if (close_now)
				goto out;
		} else if (strncasecmp(cmd, "bgapi ", 6) == 0) {
			/* Unsubscribed: no BACKGROUND_JOB event follows. */
			uuid4(uuid, sizeof(uuid));
			body.len = 0;
			sb_add(&body, "", 0);
			sb_printf(&body, "Content-Type: command/reply\n"
			    "Reply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n",
			    uuid, uuid);
			(void)send_all(c->fd, body.p, body.len);
			body.len = 0;
			api_exec(&body, cmd + 6);
		} else
			reply(c->fd, "-ERR command not found");
	}
out:
	close(c->fd);
	free(c);
	sb_free(&pkt);
	sb_free(&body);
	return NULL;
}

struct esl_fds {
	int	 fd[2];
	int	 n;
};

static void *
esl_accept(void *arg)
{
	struct esl_fds *e = arg;
	struct pollfd pfd[2];
	struct conn *c;
	int i, fd;

	for (;;) {
		for (i = 0; i < e->n; i++) {
			pfd[i].fd = e->fd[i];
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)e->n, -1) <= 0)
			continue;
		for (i = 0; i < e->n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fd = accept(e->fd[i], NULL, NULL)) == -1)
				continue;
			if ((c = calloc(1, sizeof(*c))) == NULL) {
				close(fd);
				continue;
			}
			c->fd = fd;
			spawn(esl_client, c);
		}
	}
	return NULL;
}

/* --------------------------------------------------------------- main */

static void
usage(void)
{
	fprintf(stderr,
"usage: fsmock --esl-port N --tls-port N --wss-port N --cert-dir DIR\n"
"              --state-dir DIR [--mode 1.10|1.11] [--profile NAME]\n"
"              [--bind ADDR] [--esl-v6] [--sip-port N] [--uptime SECS]\n"
"              [--no-autogen] [--certs-dir DIR] [--no-tls-cert-dir]\n"
"              [--verify-policy WORD] [--verto-port N]\n"
"              [--verto-combined PATH] [--verto-cert PATH]\n"
"              [--verto-key PATH] [--verto-chain PATH]\n"
"  --mode       1.10 (FreeSWITCH 1.10.12, no reloadcert; default) or 1.11\n"
"  --sip-port   the UDP/TCP port shown in status output (default TLS-1)\n"
"  --uptime     how long the profile has been up at start (default 3600;\n"
"               0 makes the 10-second restart guard apply at once)\n"
"  --no-autogen do not generate tls.pem/wss.pem as mod_sofia does\n"
"  --certs-dir  FreeSWITCH's certs_dir (global_getvar certs_dir;\n"
"               default: the --cert-dir)\n"
"  --no-tls-cert-dir  the profile has no tls-cert-dir param (vanilla\n"
"               internal.xml) and loads its files from --certs-dir;\n"
"               otherwise tls-cert-dir is --cert-dir\n"
"  --verify-policy  the profile's tls-verify-policy (default none)\n"
"  --verto-port mod_verto loaded, profile default-v4: ws on N-1 (shown\n"
"               only) and wss on N (a TLS listener); default: not loaded\n"
"  --verto-combined, --verto-cert, --verto-key, --verto-chain  verto's\n"
"               secure-* params; combined and chain default to\n"
"               CERTS_DIR/wss.pem (combined only when neither --verto-cert\n"
"               nor --verto-key is given); \"\" leaves the param out\n"
"STATE_DIR files read at every request: password (default ClueCon),\n"
"inuse (default 0), verto_clients and verto_calls (default 0; \"reload\n"
"mod_verto\" writes both 0), reloadxml_ms (default 0: how long\n"
"reloadxml takes), fault (one word): none, badpass (no-op), rude,\n"
"stall-greeting, stall-auth, stall, garbage, close-mid-reply, oversize,\n"
"restart-never-returns, reload-keeps-old (also for verto's context).\n"
"Written: pid, log.\n");
	exit(2);
}

static int
port_arg(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		usage();
	return (int)v;
}

/* "" means the param is absent. */
static const char *
param_arg(const char *v)
{
	return *v != '\0' ? v : NULL;
}

int
main(int argc, char *argv[])
{
	static struct tlsl tl[NLISTEN];
	static struct esl_fds esl;
	static char vwss[PATH_MAX];
	static const char *names[NLISTEN] = { "tls", "wss", "verto" };
	char path[PATH_MAX], buf[64];
	const char *mode = "1.10";
	pthread_t t;
	sigset_t set;
	SSL_CTX *sip = NULL, *wss = NULL, *verto = NULL;
	int i, sig, ok, nl, secure = 1;
	int set_combined = 0, set_chain = 0;

	opt.profile = "internal";
	opt.bind = "127.0.0.1";
	opt.uptime = 3600;
	opt.autogen = 1;
	opt.verify_policy = "none";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--esl-v6") == 0) {
			opt.esl_v6 = 1;
			continue;
		}
		if (strcmp(a, "--no-autogen") == 0) {
			opt.autogen = 0;
			continue;
		}
		if (strcmp(a, "--no-tls-cert-dir") == 0) {
			opt.no_tls_cert_dir = 1;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--esl-port") == 0)
			opt.esl_port = port_arg(v);
		else if (strcmp(a, "--tls-port") == 0)
			opt.tls_port = port_arg(v);
		else if (strcmp(a, "--wss-port") == 0)
			opt.wss_port = port_arg(v);
		else if (strcmp(a, "--sip-port") == 0)
			opt.sip_port = port_arg(v);
		else if (strcmp(a, "--cert-dir") == 0)
			opt.certdir = v;
		else if (strcmp(a, "--state-dir") == 0)
			opt.statedir = v;
		else if (strcmp(a, "--mode") == 0)
			mode = v;
		else if (strcmp(a, "--profile") == 0)
			opt.profile = v;
		else if (strcmp(a, "--bind") == 0)
			opt.bind = v;
		else if (strcmp(a, "--uptime") == 0)
			opt.uptime = strtol(v, NULL, 10);
		else if (strcmp(a, "--certs-dir") == 0)
			opt.certsdir = v;
		else if (strcmp(a, "--verify-policy") == 0)
			opt.verify_policy = v;
		else if (strcmp(a, "--verto-port") == 0) {
			if ((opt.verto_port = port_arg(v)) < 2)
				usage();
		} else if (strcmp(a, "--verto-combined") == 0) {
			opt.verto_combined = param_arg(v);
			set_combined = 1;
		} else if (strcmp(a, "--verto-cert") == 0) {
			opt.verto_cert = param_arg(v);
			set_combined = 1;
		} else if (strcmp(a, "--verto-key") == 0) {
			opt.verto_key = param_arg(v);
			set_combined = 1;
		} else if (strcmp(a, "--verto-chain") == 0) {
			opt.verto_chain = param_arg(v);
			set_chain = 1;
		} else
			usage();
	}
	if (!opt.esl_port || !opt.tls_port || !opt.wss_port ||
	    opt.certdir == NULL || opt.statedir == NULL)
		usage();
	if (opt.certsdir == NULL)
		opt.certsdir = opt.certdir;
	opt.profdir = opt.no_tls_cert_dir ? opt.certsdir : opt.certdir;
	/* vanilla verto.conf.xml: $${certs_dir}/wss.pem for both */
	path_in(vwss, sizeof(vwss), opt.certsdir, "wss.pem");
	if (!set_combined)
		opt.verto_combined = vwss;
	if (!set_chain)
		opt.verto_chain = vwss;
	/* parse_config: secure-combined sets both, then cert and key */
	if (opt.verto_cert == NULL)
		opt.verto_cert = opt.verto_combined;
	if (opt.verto_key == NULL)
		opt.verto_key = opt.verto_combined;
	if (strcmp(mode, "1.10") == 0)
		opt.version = "1.10.12";
	else if (strcmp(mode, "1.11") == 0) {
		opt.version = "1.11.2";
		opt.v111 = 1;
	} else
		usage();
	if (opt.sip_port == 0)
		opt.sip_port = opt.tls_port > 1 ? opt.tls_port - 1 : 5060;

	/* Signals go to sigwait() below; SIGPIPE nowhere. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* Bind everything first, so a busy port fails the start. */
	if ((esl.fd[0] = listen_on(opt.bind, opt.esl_port, 5)) == -1)
		die("esl %s:%d: %s", opt.bind, opt.esl_port, strerror(errno));
	esl.n = 1;
	if (opt.esl_v6) {
		if ((esl.fd[1] = listen_on("::1", opt.esl_port, 5)) == -1)
			die("esl [::1]:%d: %s", opt.esl_port,
			    strerror(errno));
		esl.n = 2;
	}
	tl[SIP].port = opt.tls_port;
	tl[WSS].port = opt.wss_port;
	tl[VERTO].port = opt.verto_port;
	nl = opt.verto_port ? NLISTEN : VERTO;
	for (i = 0; i < nl; i++) {
		tl[i].idx = i;
		if ((tl[i].fd = listen_on(opt.bind, tl[i].port, 128)) == -1)
			die("%s %s:%d: %s", names[i], opt.bind, tl[i].port,
			    strerror(errno));
	}

	/* The profile starts (or fails to, and stays DOWN, ports closed). */
	ok = profile_ctxs(&sip, &wss) == 0;
	/* mod_verto loads; its secure port listens even if SSL is not ready */
	if (opt.verto_port)
		verto = verto_init_ssl(&secure);
	pthread_mutex_lock(&mtx);
	ctx[SIP] = sip;
	ctx[WSS] = wss;
	ctx[VERTO] = verto;
	want_open[SIP] = want_open[WSS] = ok;
	is_open[SIP] = is_open[WSS] = 1;
	want_open[VERTO] = is_open[VERTO] = opt.verto_port != 0;
	verto_loaded = opt.verto_port != 0;
	verto_secure = secure;
	pstate = ok ? RUNNING : DOWN;
	started = time(NULL) - opt.uptime;
	pthread_mutex_unlock(&mtx);
	for (i = 0; i < nl; i++)
		if (pthread_create(&t, NULL, tls_listener, &tl[i]) != 0)
			die("pthread_create failed");
	if (!ok)
		set_listening(0);
	spawn(esl_accept, &esl);

	path_in(path, sizeof(path), opt.statedir, "pid");
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	state_write("pid", buf);
	printf("fsmock: ready\n");
	fflush(stdout);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	(void)unlink(path);
	fflush(stdout);
	fflush(stderr);
	/* Other threads may be in OpenSSL: skip the atexit cleanup. */
	_exit(0);
}
