/*
 * esl.c: the event-socket client.  With conn.c and probe.c, the only
 * code that opens sockets; it never sees key material.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fscert/esl.h"
#include "internal.h"

struct fscert_esl {
	int fd;
	int timeout_ms;
	char endpoint[128];
	char *buf; /* unread bytes */
	size_t len;
	size_t cap;
};

void
fscert_esl_msg_free(struct fscert_esl_msg *m)
{
	if (m == NULL)
		return;
	if (m->body != NULL)
		OPENSSL_cleanse(m->body, m->content_length);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* Copy header value [v, e) into dst (size n), trimmed. */
static void
hval(char *dst, size_t n, const char *v, const char *e)
{
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	(void)snprintf(dst, n, "%.*s", (int)(e - v), v);
}

int
fscert_esl_parse(const char *buf, size_t len, size_t max_body,
    struct fscert_esl_msg *m, size_t *used, struct fscert_err *err)
{
	const char *p = buf, *end = buf + len, *eol, *colon, *hend = NULL;
	char num[32], *ep;
	unsigned long long cl;
	size_t skip = 0, i;

	memset(m, 0, sizeof(*m));
	*used = 0;
	/* Blank lines between messages are not messages. */
	while (skip < len && (buf[skip] == '\n' || buf[skip] == '\r'))
		skip++;
	p = buf + skip;
	/* The header block ends at "\n\n" or "\n\r\n", as libesl finds it. */
	for (i = skip; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n') {
			hend = buf + i + 2;
			break;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			hend = buf + i + 3;
			break;
		}
	}
	if (hend == NULL) {
		if (len - skip > FSCERT_ESL_MAX_HEAD)
			return fscert_err_set(err, FSCERT_EPARSE,
			    "header block over %zu bytes", FSCERT_ESL_MAX_HEAD);
		return 0;
	}
	for (; p < hend; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(hend - p));
		if (eol == NULL || eol == p || (eol == p + 1 && *p == '\r'))
			break;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			return fscert_err_set(
			    err, FSCERT_EPARSE, "malformed header line");
		if ((size_t)(colon - p) == 12 &&
		    strncasecmp(p, "Content-Type", 12) == 0)
			hval(m->content_type, sizeof(m->content_type),
			    colon + 1, eol);
		else if ((size_t)(colon - p) == 10 &&
		    strncasecmp(p, "Reply-Text", 10) == 0)
			hval(m->reply_text, sizeof(m->reply_text), colon + 1,
			    eol);
		else if ((size_t)(colon - p) == 14 &&
		    strncasecmp(p, "Content-Length", 14) == 0) {
			hval(num, sizeof(num), colon + 1, eol);
			errno = 0;
			cl = strtoull(num, &ep, 10);
			if (num[0] < '0' || num[0] > '9' || *ep != '\0' ||
			    errno != 0)
				return fscert_err_set(err, FSCERT_EPARSE,
				    "bad Content-Length '%s'", num);
			if (cl > max_body)
				return fscert_err_set(err, FSCERT_EPARSE,
				    "Content-Length %llu over the %zu byte cap",
				    cl, max_body);
			m->content_length = (size_t)cl;
		}
	}
	if (m->content_type[0] == '\0')
		return fscert_err_set(
		    err, FSCERT_EPARSE, "message without Content-Type");
	if ((size_t)(end - hend) < m->content_length)
		return 0;
	if (m->content_length > 0) {
		if ((m->body = malloc(m->content_length + 1)) == NULL)
			return fscert_err_set(
			    err, FSCERT_ENOMEM, "out of memory");
		memcpy(m->body, hend, m->content_length);
		m->body[m->content_length] = '\0';
	}
	*used = (size_t)(hend - buf) + m->content_length;
	return 1;
}

static int
send_all(struct fscert_esl *e, const char *p, size_t n, struct fscert_err *err)
{
	struct pollfd pfd;
	ssize_t w;

	while (n > 0) {
		pfd.fd = e->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, e->timeout_ms) != 1)
			return fscert_err_set(err, FSCERT_EIO,
			    "%s: timed out sending", e->endpoint);
		/* MSG_NOSIGNAL: a library must not change SIGPIPE. */
		w = send(e->fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w == -1)
			return fscert_err_sys(
			    err, FSCERT_EIO, "%s: send", e->endpoint);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Read the next message that is a reply (auth/request, command/reply,
 * api/response), skipping events and logs; a disconnect notice or a
 * rude rejection is an error.  The whole read is under one timeout.
 */
static int
read_reply(
    struct fscert_esl *e, struct fscert_esl_msg *m, struct fscert_err *err)
{
	long deadline = conn_now_ms() + e->timeout_ms, left;
	struct fscert_err perr;
	struct pollfd pfd;
	size_t used;
	ssize_t r;
	char *nb;
	int rc;

	for (;;) {
		fscert_err_clear(&perr);
		rc = fscert_esl_parse(
		    e->buf, e->len, FSCERT_ESL_MAX_BODY, m, &used, &perr);
		if (rc == -1)
			return fscert_err_set(err, FSCERT_EPROTO,
			    "%s: bad reply: %.100s", e->endpoint, perr.msg);
		if (rc == 1) {
			memmove(e->buf, e->buf + used, e->len - used);
			e->len -= used;
			if (strcmp(m->content_type, "text/disconnect-notice") ==
				0 ||
			    strcmp(m->content_type, "text/rude-rejection") ==
				0) {
				rc = strcmp(m->content_type,
					 "text/rude-rejection") == 0;
				fscert_esl_msg_free(m);
				return fscert_err_set(err, FSCERT_EIO,
				    rc ? "%s: the event socket refused us (ACL: "
					 "access denied)"
				       : "%s: FreeSWITCH "
					 "closed the connection (disconnect "
					 "notice)",
				    e->endpoint);
			}
			if (strcmp(m->content_type, "auth/request") == 0 ||
			    strcmp(m->content_type, "command/reply") == 0 ||
			    strcmp(m->content_type, "api/response") == 0)
				return 0;
			fscert_esl_msg_free(m); /* unsolicited */
			continue;
		}
		if (e->len + 4096 > e->cap) {
			size_t ncap = e->cap ? e->cap * 2 : 8192;

			if (ncap >
			    FSCERT_ESL_MAX_BODY + FSCERT_ESL_MAX_HEAD + 8192)
				return fscert_err_set(err, FSCERT_EPARSE,
				    "%s: reply too large", e->endpoint);
			/*
			 * Not realloc: replies hold secrets (xml_locate's
			 * sofia.conf has gateway passwords); the old copy is
			 * cleansed before it is freed.
			 */
			if ((nb = malloc(ncap)) == NULL)
				return fscert_err_set(
				    err, FSCERT_ENOMEM, "out of memory");
			if (e->buf != NULL) {
				memcpy(nb, e->buf, e->len);
				OPENSSL_cleanse(e->buf, e->cap);
				free(e->buf);
			}
			e->buf = nb;
			e->cap = ncap;
		}
		left = deadline - conn_now_ms();
		pfd.fd = e->fd;
		pfd.events = POLLIN;
		if (left <= 0 || (rc = poll(&pfd, 1, (int)left)) == 0)
			return fscert_err_set(err, FSCERT_EIO,
			    "%s: no reply within %d ms", e->endpoint,
			    e->timeout_ms);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return fscert_err_sys(
			    err, FSCERT_EIO, "%s: poll", e->endpoint);
		r = recv(e->fd, e->buf + e->len, e->cap - e->len, 0);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1)
			return fscert_err_sys(
			    err, FSCERT_EIO, "%s: recv", e->endpoint);
		if (r == 0)
			return fscert_err_set(err, FSCERT_EIO,
			    e->len > 0
				? "%s: connection closed in the middle of a "
				  "reply"
				: "%s: connection closed without a reply",
			    e->endpoint);
		e->len += (size_t)r;
	}
}

const char *
fscert_esl_endpoint(const struct fscert_esl *e)
{
	return e != NULL ? e->endpoint : "?";
}

/* Connect to one host:port. */
static struct fscert_esl *
dial(const char *host, int port, int timeout_ms, struct fscert_err *err)
{
	struct fscert_esl *e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		fscert_err_set(err, FSCERT_ENOMEM, "out of memory");
		return NULL;
	}
	e->timeout_ms = timeout_ms;
	(void)conn_endpoint(e->endpoint, sizeof(e->endpoint), host, port);
	if ((e->fd = conn_dial(host, port, timeout_ms, err)) == -1) {
		free(e);
		return NULL;
	}
	return e;
}

struct fscert_esl *
fscert_esl_open(const char *host, int port, const char *password,
    int timeout_ms, struct fscert_err *err)
{
	struct fscert_esl_msg m;
	struct fscert_esl *e;
	struct fscert_err first;
	char *cmd = NULL;
	size_t n;

	if (password == NULL || strpbrk(password, "\r\n") != NULL) {
		fscert_err_set(err, FSCERT_EUSAGE,
		    "event-socket password must be one line");
		return NULL;
	}
	if (host != NULL)
		e = dial(host, port, timeout_ms, err);
	else {
		/* Not "localhost": libesl takes only its first address. */
		fscert_err_clear(&first);
		if ((e = dial("127.0.0.1", port, timeout_ms, &first)) == NULL &&
		    (e = dial("::1", port, timeout_ms, NULL)) == NULL) {
			if (err != NULL && err->code == FSCERT_OK)
				*err = first;
			return NULL;
		}
	}
	if (e == NULL)
		return NULL;
	if (read_reply(e, &m, err) == -1)
		goto fail;
	if (strcmp(m.content_type, "auth/request") != 0) {
		fscert_err_set(err, FSCERT_EPARSE,
		    "%s: expected auth/request, "
		    "got '%s'",
		    e->endpoint, m.content_type);
		fscert_esl_msg_free(&m);
		goto fail;
	}
	fscert_esl_msg_free(&m);

	n = strlen(password) + 8;
	if ((cmd = malloc(n)) == NULL) {
		fscert_err_set(err, FSCERT_ENOMEM, "out of memory");
		goto fail;
	}
	(void)snprintf(cmd, n, "auth %s\n\n", password);
	if (send_all(e, cmd, strlen(cmd), err) == -1)
		goto fail;
	if (read_reply(e, &m, err) == -1)
		goto fail;
	if (strncmp(m.reply_text, "+OK", 3) != 0) {
		/* The reply text is the server's, never our password. */
		fscert_err_set(err, FSCERT_EREFUSED,
		    "%s: authentication failed (%s)", e->endpoint,
		    m.reply_text[0] ? m.reply_text : m.content_type);
		fscert_esl_msg_free(&m);
		goto fail;
	}
	fscert_esl_msg_free(&m);
	OPENSSL_cleanse(cmd, n);
	free(cmd);
	return e;
fail:
	if (cmd != NULL) {
		OPENSSL_cleanse(cmd, n);
		free(cmd);
	}
	if (e->fd != -1)
		(void)close(e->fd);
	free(e->buf);
	free(e);
	return NULL;
}

/* Commands we send: printable, no line breaks (uacme's whitelisting). */
static int
safe_cmd(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int
fscert_esl_api(
    struct fscert_esl *e, const char *cmd, char **body, struct fscert_err *err)
{
	struct fscert_esl_msg m;
	char line[512];
	int n;

	*body = NULL;
	if (!safe_cmd(cmd))
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "refusing to send a command with control characters");
	n = snprintf(line, sizeof(line), "api %s\n\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line))
		return fscert_err_set(err, FSCERT_EUSAGE, "command too long");
	if (send_all(e, line, (size_t)n, err) == -1 ||
	    read_reply(e, &m, err) == -1)
		return -1;
	if (strcmp(m.content_type, "api/response") != 0) {
		fscert_err_set(err, FSCERT_EPROTO, "%s: 'api %s': %s",
		    e->endpoint, cmd,
		    m.reply_text[0] ? m.reply_text : m.content_type);
		fscert_esl_msg_free(&m);
		return -1;
	}
	if (m.body == NULL && (m.body = strdup("")) == NULL) {
		fscert_esl_msg_free(&m);
		return fscert_err_set(err, FSCERT_ENOMEM, "out of memory");
	}
	*body = m.body;
	m.body = NULL;
	return 0;
}

void
fscert_esl_close(struct fscert_esl *e)
{
	static const char bye[] = "exit\n\n";

	if (e == NULL)
		return;
	if (e->fd != -1) {
		(void)send(
		    e->fd, bye, sizeof(bye) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)close(e->fd);
	}
	if (e->buf != NULL)
		OPENSSL_cleanse(e->buf, e->cap);
	free(e->buf);
	free(e);
}
