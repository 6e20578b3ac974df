/*
 * probe.c: a TLS client handshake that records the served chain.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fscert/probe.h"
#include "internal.h"

int
fscert_parse_hostport(
    const char *s, char *host, size_t hlen, int *port, struct fscert_err *err)
{
	const char *c, *h = s;
	size_t n;
	char *end;
	long v;

	if (*s == '[') {
		if ((c = strchr(s, ']')) == NULL || c[1] != ':')
			goto bad;
		h = s + 1;
		n = (size_t)(c - h);
		c++;
	} else {
		if ((c = strrchr(s, ':')) == NULL || strchr(s, ':') != c)
			goto bad;
		n = (size_t)(c - s);
	}
	if (n == 0 || n >= hlen)
		goto bad;
	/* Digits only: strtol would take " 5061" and "+5061" too. */
	if (c[1] < '0' || c[1] > '9')
		goto bad;
	v = strtol(c + 1, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		goto bad;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (int)v;
	return 0;
bad:
	return fscert_err_set(err, FSCERT_EUSAGE, "'%s': not HOST:PORT", s);
}

static int
is_ip(const char *h)
{
	unsigned char b[16];

	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

static int probe(const char *host, int port, const char *sni, int timeout_ms,
    struct fscert_probe *p, struct fscert_err *err);

/*
 * OpenSSL writes to the socket with write(): a peer that resets the
 * connection mid-handshake (mod_verto whose SSL is not ready, a server
 * that cannot sign) makes that raise SIGPIPE, which would kill the
 * caller.  A library must not change the signal's disposition, so the
 * handshake runs with SIGPIPE blocked in this thread, and one it raised
 * (not one already pending) is taken off before unblocking.
 */
int
fscert_probe_tls(const char *host, int port, const char *sni, int timeout_ms,
    struct fscert_probe *p, struct fscert_err *err)
{
	static const struct timespec now = { 0, 0 };
	sigset_t pipe, old, pending;
	int rc, was_pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigemptyset(&pending);
	(void)sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	(void)pthread_sigmask(SIG_BLOCK, &pipe, &old);
	rc = probe(host, port, sni, timeout_ms, p, err);
	if (!was_pending && sigismember(&old, SIGPIPE) != 1) {
		while (sigtimedwait(&pipe, NULL, &now) == SIGPIPE)
			;
	}
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
probe(const char *host, int port, const char *sni, int timeout_ms,
    struct fscert_probe *p, struct fscert_err *err)
{
	STACK_OF(X509) * chain;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, j;
	struct fscert_err cerr;
	struct pollfd pfd;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	long deadline, left;
	int fd = -1, i, r, e, rc = -1;

	memset(p, 0, sizeof(*p));
	(void)conn_endpoint(p->endpoint, sizeof(p->endpoint), host, port);
	deadline = conn_now_ms() + timeout_ms;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (ssl = SSL_new(ctx)) == NULL) {
		fscert_err_ssl(err, "%s: TLS context", p->endpoint);
		goto out;
	}
	/* Trust is judged by comparing fingerprints, not here. */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (sni != NULL && !is_ip(sni) && !SSL_set_tlsext_host_name(ssl, sni)) {
		fscert_err_ssl(err, "%s: SNI '%s'", p->endpoint, sni);
		goto out;
	}
	fscert_err_clear(&cerr);
	if ((fd = conn_dial(host, port, timeout_ms, &cerr)) == -1) {
		(void)snprintf(p->error, sizeof(p->error), "%.159s",
		    cerr.sys_errno == ECONNREFUSED ? "connection refused"
						   : cerr.msg);
		rc = 0;
		goto out;
	}
	if (!SSL_set_fd(ssl, fd)) {
		fscert_err_ssl(err, "%s: TLS", p->endpoint);
		goto out;
	}
	for (;;) {
		r = SSL_connect(ssl);
		if (r == 1)
			break;
		e = SSL_get_error(ssl, r);
		left = deadline - conn_now_ms();
		if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
		    left <= 0) {
			unsigned long le = ERR_peek_error();

			(void)snprintf(p->error, sizeof(p->error),
			    "TLS handshake failed: %s",
			    left <= 0 ? "timed out"
				: le  ? ERR_reason_error_string(le)
				: e == SSL_ERROR_SYSCALL ||
				    e == SSL_ERROR_ZERO_RETURN
				? "connection closed"
				: "error");
			ERR_clear_error();
			rc = 0;
			goto out;
		}
		pfd.fd = fd;
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		(void)poll(&pfd, 1, (int)left);
	}
	/* On the client side the peer chain starts with the leaf. */
	chain = SSL_get_peer_cert_chain(ssl);
	for (i = 0; i < sk_X509_num(chain) && i < FSCERT_PROBE_MAX_CHAIN; i++) {
		mdlen = 0;
		if (!X509_digest(
			sk_X509_value(chain, i), EVP_sha256(), md, &mdlen))
			continue;
		for (j = 0; j < mdlen; j++)
			(void)snprintf(
			    p->sha256[i] + (size_t)2 * j, 3, "%02x", md[j]);
		p->nserved++;
	}
	if (p->nserved > 0) {
		X509 *leaf = sk_X509_value(chain, 0);
		int d = 0, s = 0;

		(void)X509_NAME_oneline(X509_get_subject_name(leaf), p->subject,
		    sizeof(p->subject));
		if (ASN1_TIME_diff(&d, &s, NULL, X509_get0_notAfter(leaf)))
			p->days_left = d;
	}
	p->ok = p->nserved > 0;
	if (!p->ok)
		(void)snprintf(
		    p->error, sizeof(p->error), "no certificate served");
	(void)SSL_shutdown(ssl);
	rc = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd != -1)
		(void)close(fd);
	ERR_clear_error();
	return rc;
}
