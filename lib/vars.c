/*
 * vars.c: render the vars fragment and add its include to vars.xml.
 * Text in, text out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fscert/vars.h"

int
fscert_vars_check_value(
    const char *name, const char *value, struct fscert_err *err)
{
	if (strchr(value, '"') != NULL)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "%s: value holds '\"', which ends the X-PRE-PROCESS "
		    "data attribute",
		    name);
	if (strpbrk(value, "\r\n") != NULL)
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "%s: value holds a line break", name);
	if (strstr(value, "$${") != NULL)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "%s: value holds '$${', which the preprocessor would "
		    "expand",
		    name);
	if (strchr(value, '<') != NULL)
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "%s: value holds '<'", name);
	return 0;
}

/* sofia's tokens (sofia.c config_sofia): comma-separated, no spaces. */
static int
check_tls_version(const char *v, struct fscert_err *err)
{
	static const char *const ok[] = { "tlsv1", "tlsv1.1", "tlsv1.2",
		"tlsv1.3", "sslv2", "sslv3", "sslv23" };
	const char *p = v, *e;
	size_t i, n;
	int found;

	if (strpbrk(v, " \t") != NULL)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "sip_tls_version: '%s' holds a space; FreeSWITCH "
		    "silently ignores a token after one",
		    v);
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		found = 0;
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strlen(ok[i]) == n && strncasecmp(p, ok[i], n) == 0)
				found = 1;
		if (!found)
			return fscert_err_set(err, FSCERT_EUSAGE,
			    "sip_tls_version: unknown token '%.*s' in '%s'",
			    (int)n, p, v);
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/* sofia-sip hands the list to SSL_CTX_set_cipher_list: so do we. */
static int
check_ciphers(const char *v, struct fscert_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	int ok;

	if (ctx == NULL)
		return fscert_err_ssl(err, "sip_tls_ciphers");
	ok = SSL_CTX_set_cipher_list(ctx, v);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "sip_tls_ciphers: OpenSSL accepts no TLS 1.2 cipher in "
		    "'%s'; FreeSWITCH would fail to start the profile",
		    v);
	return 0;
}

static int
put(struct fscert_buf *out, const char *name, const char *value,
    struct fscert_err *err)
{
	char line[1024];
	int n;

	if (fscert_vars_check_value(name, value, err) == -1)
		return -1;
	n = snprintf(line, sizeof(line),
	    "<X-PRE-PROCESS cmd=\"set\" data=\"%s=%s\"/>\n", name, value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "%s: value too long", name);
	return fscert_buf_append(out, line, (size_t)n, err);
}

int
fscert_vars_render(const struct fscert_target *t, const char *cert_dir,
    struct fscert_buf *out, struct fscert_err *err)
{
	static const char head[] =
	    "<include>\n"
	    "<!-- Written by fscert; edit fscert.conf, not this file. -->\n";
	static const char tail[] = "</include>\n";
	const char *ver = t->tls_version ? t->tls_version : FSCERT_TLS_VERSION;

	if (check_tls_version(ver, err) == -1 ||
	    (t->tls_ciphers != NULL &&
		check_ciphers(t->tls_ciphers, err) == -1))
		return -1;
	if (fscert_buf_append(out, head, sizeof(head) - 1, err) == -1 ||
	    put(out, "internal_ssl_enable",
		t->internal_ssl_enable ? t->internal_ssl_enable : "true",
		err) == -1 ||
	    put(out, "internal_ssl_dir", cert_dir, err) == -1 ||
	    put(out, "internal_tls_port",
		t->internal_tls_port ? t->internal_tls_port : "5061",
		err) == -1 ||
	    put(out, "sip_tls_version", ver, err) == -1 ||
	    (t->tls_ciphers != NULL &&
		put(out, "sip_tls_ciphers", t->tls_ciphers, err) == -1))
		return -1;
	if (t->external_ssl_enable != NULL &&
	    (put(out, "external_ssl_enable", t->external_ssl_enable, err) ==
		    -1 ||
		put(out, "external_ssl_dir", cert_dir, err) == -1))
		return -1;
	if (t->external_tls_port != NULL &&
	    put(out, "external_tls_port", t->external_tls_port, err) == -1)
		return -1;
	return fscert_buf_append(out, tail, sizeof(tail) - 1, err);
}

/* [s, e): one line without its end.  Is it an include of fragment? */
static int
is_our_include(const char *s, const char *e, const char *fragment)
{
	char want[512];
	size_t n;
	const char *p;

	n = (size_t)snprintf(want, sizeof(want), "data=\"%s\"", fragment);
	if (n >= sizeof(want))
		return 0;
	/* The text is not NUL-terminated: every compare stays before e. */
	for (p = s; p + 14 <= e; p++)
		if (strncasecmp(p, "<X-PRE-PROCESS", 14) == 0)
			break;
	if (p + 14 > e)
		return 0;
	for (; p + n <= e; p++)
		if (memcmp(p, want, n) == 0)
			return 1;
	return 0;
}

static int
line_has(const char *s, const char *e, const char *needle)
{
	size_t n = strlen(needle);

	for (; s + n <= e; s++)
		if (strncasecmp(s, needle, n) == 0)
			return 1;
	return 0;
}

/*
 * A copy of text with every XML comment (<!-- ... -->, markers
 * included) blanked out, line ends kept: what the preprocessor acts on,
 * at the same offsets.  NULL on ENOMEM.
 */
static char *
uncommented(const char *text, size_t len, int *open)
{
	char *m;
	size_t i, k;
	int in = 0;

	if ((m = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(m, text, len);
	m[len] = '\0';
	for (i = 0; i < len;) {
		if (!in && len - i >= 4 && memcmp(text + i, "<!--", 4) == 0) {
			in = 1;
			k = 4;
		} else if (in && len - i >= 3 &&
		    memcmp(text + i, "-->", 3) == 0) {
			in = 0;
			k = 3;
		} else {
			if (in && text[i] != '\n' && text[i] != '\r')
				m[i] = ' ';
			i++;
			continue;
		}
		memset(m + i, ' ', k);
		i += k;
	}
	*open = in;
	return m;
}

/* The offset of </include> on the line [s, e) of the blanked text. */
static const char *
close_tag(const char *s, const char *e)
{
	for (; s + 10 <= e; s++)
		if (strncasecmp(s, "</include>", 10) == 0)
			return s;
	return NULL;
}

int
fscert_vars_include(const char *text, size_t len, const char *fragment,
    struct fscert_buf *out, enum fscert_include *what, struct fscert_err *err)
{
	const char *s, *e, *end, *close = NULL, *tag = NULL;
	const char *eol = "\n";
	char line[600], *m;
	size_t at;
	int n, rc, wrapper = 0, directives = 0, mid = 0, unclosed;

	if (memchr(text, '\0', len) != NULL)
		return fscert_err_set(
		    err, FSCERT_EPARSE, "vars.xml: not a text file");
	if (strpbrk(fragment, "\"<\n\r") != NULL)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "vars_file: '%s' cannot be put in an include", fragment);
	/* A line inside <!-- --> is not there: look at the rest only. */
	if ((m = uncommented(text, len, &unclosed)) == NULL)
		return fscert_err_set(
		    err, FSCERT_ENOMEM, "vars.xml: out of memory");
	if (unclosed) {
		/* FreeSWITCH cannot parse it; an include added is lost. */
		free(m);
		return fscert_err_set(err, FSCERT_EPARSE,
		    "vars.xml: a comment (<!--) is never closed; not edited");
	}
	end = m + len;
	for (s = m; s < end; s = e + 1) {
		e = memchr(s, '\n', (size_t)(end - s));
		if (e == NULL)
			e = end;
		if (e > s && e[-1] == '\r')
			eol = "\r\n";
		if (is_our_include(s, e, fragment)) {
			free(m);
			*what = FSCERT_INC_PRESENT;
			return 0;
		}
		if (line_has(s, e, "<include>"))
			wrapper = 1;
		if ((tag = close_tag(s, e)) != NULL) {
			close = s;
			/* Text blanked before it: a comment ends there. */
			mid = memcmp(s, text + (s - m), (size_t)(tag - s)) != 0;
			if (mid)
				close = tag;
		}
		if (line_has(s, e, "<X-PRE-PROCESS"))
			directives++;
		if (e == end)
			break;
	}
	at = close != NULL ? (size_t)(close - m) : len;
	free(m);
	close = text + at;
	end = text + len;
	/*
	 * FusionPBX regenerates vars.xml from its database: one set line
	 * per row, no <include> wrapper.  An edit would be lost; the admin
	 * must set the variables in FusionPBX instead.
	 */
	if (!wrapper && directives > 0) {
		*what = FSCERT_INC_FUSIONPBX;
		return 0;
	}
	n = snprintf(line, sizeof(line),
	    "  <X-PRE-PROCESS cmd=\"include\" data=\"%s\"/>%s", fragment, eol);
	if (n < 0 || (size_t)n >= sizeof(line))
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "vars_file: name too long");
	if (fscert_buf_append(out, text, (size_t)(close - text), err) == -1)
		return -1;
	/*
	 * A file whose last line has no end gets one before our line, as
	 * does a </include> after the end of a comment on its line.
	 */
	rc = 0;
	if ((close == end && len > 0 && text[len - 1] != '\n') ||
	    (close != end && mid))
		rc = fscert_buf_append(out, eol, strlen(eol), err);
	if (rc == -1)
		return -1;
	if (fscert_buf_append(out, line, (size_t)n, err) == -1 ||
	    fscert_buf_append(out, close, (size_t)(end - close), err) == -1)
		return -1;
	*what = FSCERT_INC_ADDED;
	return 0;
}
