/*
 * test_pem.c: lib/pem.c, the tolerant PEM reader and the strict writer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fscert/pem.h"
#include "fixture.h"

/* Built once for the group: generating certificates is not free. */
static struct fx_pki	 ec;	/* EC P-256 leaf */
static struct fx_pki	 rsa;	/* RSA 2048 leaf */

static int
group_setup(void **state)
{
	(void)state;
	fx_pki_init(&ec, fx_key_ec("P-256", 2));
	fx_pki_init(&rsa, fx_key_rsa(2048, 0));
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	fx_pki_free(&ec);
	fx_pki_free(&rsa);
	return 0;
}

static struct fscert_pem *
parse_str(const char *name, const char *text, struct fscert_err *e)
{
	fscert_err_clear(e);
	return fscert_pem_parse(name, text, strlen(text), e);
}

/* Parse text that must fail with code, the message naming name. */
static void
expect_fail(const char *name, const void *buf, size_t len,
    enum fscert_code code)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;

	fscert_err_clear(&e);
	p = fscert_pem_parse(name, buf, len, &e);
	if (p != NULL) {
		int	 n = sk_X509_num(p->certs);

		fscert_pem_free(p);
		fail_msg("%s: parsed (%d certificates), expected %s", name,
		    n, fscert_code_name(code));
	}
	if (e.code != code)
		fail_msg("%s: code %s (%s), expected %s", name,
		    fscert_code_name(e.code), e.msg, fscert_code_name(code));
	if (strstr(e.msg, name) == NULL)
		fail_msg("message does not name '%s': %s", name, e.msg);
}

static void
expect_fail_str(const char *name, const char *text, enum fscert_code code)
{
	expect_fail(name, text, strlen(text), code);
}

static void
assert_certs(const struct fscert_pem *p, X509 *a, X509 *b, X509 *c)
{
	X509	*want[3] = { a, b, c };
	int	 n = 0, i;

	for (i = 0; i < 3 && want[i] != NULL; i++)
		n++;
	assert_non_null(p->certs);
	assert_int_equal(sk_X509_num(p->certs), n);
	for (i = 0; i < n; i++)
		assert_true(fx_same_cert(sk_X509_value(p->certs, i), want[i]));
}

/* The reader. */

static void
one_cert(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*t;

	(void)state;
	t = fx_pem_certs(ec.leaf, (X509 *)NULL);
	p = parse_str("cert.pem", t, &e);
	assert_non_null(p);
	assert_certs(p, ec.leaf, NULL, NULL);
	assert_null(p->key);
	assert_int_equal(p->nkeys, 0);
	assert_null(p->dhparams);
	assert_int_equal(p->ncrlf, 0);
	assert_int_equal(p->has_junk, 0);
	fscert_pem_free(p);
	free(t);
}

static void
chain_keeps_order(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*t;

	(void)state;
	t = fx_pem_certs(ec.leaf, ec.inter, ec.root, (X509 *)NULL);
	p = parse_str("fullchain.pem", t, &e);
	assert_non_null(p);
	assert_certs(p, ec.leaf, ec.inter, ec.root);
	fscert_pem_free(p);
	free(t);

	/* Reversed on disk, reversed in memory: the reader does not sort. */
	t = fx_pem_certs(ec.root, ec.inter, ec.leaf, (X509 *)NULL);
	p = parse_str("fullchain.pem", t, &e);
	assert_non_null(p);
	assert_certs(p, ec.root, ec.inter, ec.leaf);
	fscert_pem_free(p);
	free(t);
}

/* A key in format f: right label, same key, DER kept. */
static void
check_key(EVP_PKEY *k, enum fx_keyfmt f, const char *label, int key_first)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*c, *kt, *t;

	c = fx_pem_certs(ec.leaf, (X509 *)NULL);
	kt = fx_pem_key(k, f);
	t = key_first ? fx_cat(kt, c, (char *)NULL) :
	    fx_cat(c, kt, (char *)NULL);
	p = parse_str("agent.pem", t, &e);
	if (p == NULL)
		fail_msg("%s: %s", label, e.msg);
	assert_certs(p, ec.leaf, NULL, NULL);
	assert_non_null(p->key);
	assert_int_equal(EVP_PKEY_eq(p->key, k), 1);
	assert_string_equal(p->key_label, label);
	assert_int_equal(p->nkeys, 1);
	assert_non_null(p->key_der);
	assert_true(p->key_der_len > 0);
	assert_int_equal(p->has_junk, 0);
	fscert_pem_free(p);
	free(c);
	free(kt);
	free(t);
}

static void
key_pkcs8_ec(void **state)
{
	(void)state;
	check_key(ec.leaf_key, FX_KEY_PKCS8, "PRIVATE KEY", 0);
}

static void
key_pkcs8_rsa(void **state)
{
	(void)state;
	check_key(rsa.leaf_key, FX_KEY_PKCS8, "PRIVATE KEY", 0);
}

static void
key_sec1(void **state)
{
	(void)state;
	check_key(ec.leaf_key, FX_KEY_TRAD, "EC PRIVATE KEY", 0);
}

static void
key_pkcs1(void **state)
{
	(void)state;
	check_key(rsa.leaf_key, FX_KEY_TRAD, "RSA PRIVATE KEY", 0);
}

static void
key_before_cert(void **state)
{
	(void)state;
	/* mod_sofia's own tls.pem puts the key first. */
	check_key(rsa.leaf_key, FX_KEY_TRAD, "RSA PRIVATE KEY", 1);
}

static void
key_alone(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*t;

	(void)state;
	t = fx_pem_key(ec.leaf_key, FX_KEY_PKCS8);
	p = parse_str("privkey.pem", t, &e);
	assert_non_null(p);
	assert_non_null(p->key);
	assert_true(p->certs == NULL || sk_X509_num(p->certs) == 0);
	fscert_pem_free(p);
	free(t);
}

static void
crlf_accepted(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*c, *k, *lf, *crlf;

	(void)state;
	c = fx_pem_certs(ec.leaf, ec.inter, (X509 *)NULL);
	k = fx_pem_key(ec.leaf_key, FX_KEY_PKCS8);
	lf = fx_cat(c, k, (char *)NULL);
	crlf = fx_crlf(lf);
	free(c);
	free(k);
	p = parse_str("wss.pem", crlf, &e);
	if (p == NULL)
		fail_msg("CRLF refused: %s", e.msg);
	assert_certs(p, ec.leaf, ec.inter, NULL);
	assert_non_null(p->key);
	assert_int_equal(EVP_PKEY_eq(p->key, ec.leaf_key), 1);
	assert_true(p->ncrlf > 0);
	fscert_pem_free(p);
	free(lf);
	free(crlf);
}

static void
text_dump_accepted(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*a, *b, *t;

	(void)state;
	/* What "openssl x509 -text" leaves in a file. */
	a = fx_pem_dump(ec.leaf);
	b = fx_pem_dump(ec.inter);
	t = fx_cat(a, b, (char *)NULL);
	p = parse_str("fullchain.pem", t, &e);
	if (p == NULL)
		fail_msg("text dump refused: %s", e.msg);
	assert_certs(p, ec.leaf, ec.inter, NULL);
	assert_int_equal(p->has_junk, 1);
	fscert_pem_free(p);
	free(a);
	free(b);
	free(t);
}

static void
comments_between_blocks(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*a, *b, *t;

	(void)state;
	a = fx_pem_certs(ec.leaf, (X509 *)NULL);
	b = fx_pem_certs(ec.inter, (X509 *)NULL);
	t = fx_cat("# leaf\n", a, "\n\n# intermediate, from the CA\n", b,
	    "# end\n", (char *)NULL);
	p = parse_str("fullchain.pem", t, &e);
	assert_non_null(p);
	assert_certs(p, ec.leaf, ec.inter, NULL);
	assert_int_equal(p->has_junk, 1);
	fscert_pem_free(p);
	free(a);
	free(b);
	free(t);
}

static void
dhparams_kept(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*dhtext, *t, *c2, *k;

	(void)state;
	dhtext = fx_pem_dh();
	c2 = fx_pem_certs(ec.leaf, (X509 *)NULL);
	k = fx_pem_key(ec.leaf_key, FX_KEY_PKCS8);
	t = fx_cat(c2, k, dhtext, (char *)NULL);
	free(c2);
	free(k);
	p = parse_str("agent.pem", t, &e);
	if (p == NULL)
		fail_msg("DH PARAMETERS refused: %s", e.msg);
	assert_certs(p, ec.leaf, NULL, NULL);
	assert_non_null(p->key);
	assert_non_null(p->dhparams);
	assert_non_null(strstr(p->dhparams, "-----BEGIN DH PARAMETERS-----"));
	assert_non_null(strstr(p->dhparams, "-----END DH PARAMETERS-----"));
	/* The block itself, not the certificate or the key. */
	assert_null(strstr(p->dhparams, "CERTIFICATE"));
	assert_null(strstr(p->dhparams, "PRIVATE KEY"));
	fscert_pem_free(p);
	free(dhtext);
	free(t);
}

/*
 * Regression (fuzz_pem): the block is carried into agent.pem, so it is
 * kept re-encoded from its DER, not as read: base64 lines of another
 * length, CR LF ends (anything the reader tolerates) are not written
 * back.  Here the body is re-wrapped at 76 columns with CR LF.
 */
static void
dhparams_reencoded(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*dhtext, *crlf, *q;
	const char		*s;
	int			 col;

	(void)state;
	dhtext = fx_pem_dh();
	crlf = calloc(2 * strlen(dhtext) + 1, 1);
	assert_non_null(crlf);
	s = strchr(dhtext, '\n') + 1; /* past the BEGIN line */
	q = crlf + sprintf(crlf, "-----BEGIN DH PARAMETERS-----\r\n");
	for (col = 0; *s != '-'; s++) {
		if (*s == '\n')
			continue;
		*q++ = *s;
		if (++col % 76 == 0) {
			*q++ = '\r';
			*q++ = '\n';
		}
	}
	q += sprintf(q, "\r\n-----END DH PARAMETERS-----\r\n");
	p = parse_str("agent.pem", crlf, &e);
	if (p == NULL)
		fail_msg("CR LF DH PARAMETERS refused: %s", e.msg);
	assert_non_null(p->dhparams);
	assert_null(strchr(p->dhparams, '\r'));
	assert_string_equal(p->dhparams, dhtext);
	fscert_pem_free(p);
	free(crlf);
	free(dhtext);
}

static void
der_cert_detected(void **state)
{
	unsigned char	*der;
	size_t		 len;

	(void)state;
	der = fx_der_cert(ec.leaf, &len);
	expect_fail("cert.pem", der, len, FSCERT_EDER);
	free(der);
}

static void
der_key_detected(void **state)
{
	unsigned char	*der = NULL;
	int		 n;

	(void)state;
	n = i2d_PrivateKey(rsa.leaf_key, &der);
	assert_true(n > 0);
	expect_fail("privkey.pem", der, (size_t)n, FSCERT_EDER);
	OPENSSL_free(der);
}

static void
text_without_block_is_a_parse_error(void **state)
{
	(void)state;
	expect_fail_str("chain.pem", "hello, this is not a certificate\n",
	    FSCERT_EPARSE);
	expect_fail_str("chain.pem", "-----BEGIN\n", FSCERT_EPARSE);
}

static void
empty_buffer_is_empty(void **state)
{
	static const char *const inputs[] = { "", "\n\n  \r\n" };
	struct fscert_err	 e;
	struct fscert_pem	*p;
	size_t			 i;

	(void)state;
	/*
	 * pem.h: an empty file parses to nothing, so that the caller can
	 * name what is missing; text without a block stays an error.
	 */
	for (i = 0; i < 2; i++) {
		fscert_err_clear(&e);
		p = fscert_pem_parse("chain.pem", inputs[i], strlen(inputs[i]),
		    &e);
		assert_non_null(p);
		assert_int_equal(sk_X509_num(p->certs), 0);
		assert_null(p->key);
		fscert_pem_free(p);
	}
	expect_fail_str("chain.pem", "just some words\n", FSCERT_EPARSE);
}

static void
truncated_no_end_line(void **state)
{
	char	*t, *end;

	(void)state;
	t = fx_pem_certs(ec.leaf, (X509 *)NULL);
	end = strstr(t, "-----END");
	assert_non_null(end);
	*end = '\0';
	expect_fail_str("cert.pem", t, FSCERT_EPARSE);
	free(t);
}

static void
truncated_mid_body(void **state)
{
	char	*t;

	(void)state;
	t = fx_pem_certs(ec.leaf, (X509 *)NULL);
	t[strlen(t) / 2] = '\0';
	expect_fail_str("cert.pem", t, FSCERT_EPARSE);
	free(t);
}

static void
truncated_second_block(void **state)
{
	char	*t;
	size_t	 n;

	(void)state;
	/* A good leaf must not hide a cut intermediate after it. */
	t = fx_pem_certs(ec.leaf, ec.inter, (X509 *)NULL);
	n = strlen(t);
	t[n - n / 4] = '\0';
	expect_fail_str("fullchain.pem", t, FSCERT_EPARSE);
	free(t);
}

static void
truncated_key(void **state)
{
	char	*t, *k, *c;

	(void)state;
	k = fx_pem_key(rsa.leaf_key, FX_KEY_PKCS8);
	k[strlen(k) - 40] = '\0';
	c = fx_pem_certs(ec.leaf, (X509 *)NULL);
	t = fx_cat(c, k, (char *)NULL);
	expect_fail_str("agent.pem", t, FSCERT_EPARSE);
	free(c);
	free(k);
	free(t);
}

static void
corrupt_base64(void **state)
{
	char	*t, *body;

	(void)state;
	t = fx_pem_certs(ec.leaf, (X509 *)NULL);
	body = strchr(t, '\n') + 1;
	body[10] = '*';
	body[11] = '!';
	expect_fail_str("cert.pem", t, FSCERT_EPARSE);
	free(t);
}

static void
corrupt_der_in_valid_base64(void **state)
{
	unsigned char	 junk[300];
	char		*t;
	BIO		*b;
	char		*data;
	long		 n;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 7 + 3);
	b = BIO_new(BIO_s_mem());
	/* PEM_write_bio returns the bytes written, 0 on failure. */
	assert_true(PEM_write_bio(b, "CERTIFICATE", "", junk,
	    (long)sizeof(junk)) > 0);
	n = BIO_get_mem_data(b, &data);
	t = strndup(data, (size_t)n);
	BIO_free(b);
	expect_fail_str("cert.pem", t, FSCERT_EPARSE);
	free(t);
}

static void
mismatched_end_label(void **state)
{
	char	*t, *end;

	(void)state;
	t = fx_pem_certs(ec.leaf, (X509 *)NULL);
	end = strstr(t, "-----END CERTIFICATE-----");
	assert_non_null(end);
	*end = '\0';
	end = fx_cat(t, "-----END PRIVATE KEY-----\n", (char *)NULL);
	expect_fail_str("cert.pem", end, FSCERT_EPARSE);
	free(t);
	free(end);
}

/*
 * Regression (fuzz_pem, heap over-read under ASan): a label holding a
 * NUL and an END line cut short at the end of the buffer.  The input
 * is copied to a buffer of exactly its size, so that a read past it is
 * a read past the allocation.
 */
static void
nul_in_label_at_end(void **state)
{
	static const char in[] = "-----BEGIN \0CERTIFICATE-----\nAAAA\n"
				 "-----END \0";
	char *buf;

	(void)state;
	buf = malloc(sizeof(in) - 1);
	assert_non_null(buf);
	memcpy(buf, in, sizeof(in) - 1);
	expect_fail("cert.pem", buf, sizeof(in) - 1, FSCERT_EPARSE);
	free(buf);
}

/*
 * Encrypted keys are refused with FSCERT_EENCRYPTED and, above all,
 * without a pass phrase prompt: run the parser in a child whose
 * controlling terminal is a pseudo-terminal we watch (OpenSSL's default
 * callback opens /dev/tty, so stdin from /dev/null is not enough).
 */
struct enc_arg {
	const char	*text;
};

static int
parse_in_child(void *arg)
{
	struct enc_arg		*a = arg;
	struct fscert_err	 e;
	struct fscert_pem	*p;

	fscert_err_clear(&e);
	p = fscert_pem_parse("privkey.pem", a->text, strlen(a->text), &e);
	if (p != NULL)
		return 100;
	if (e.code == FSCERT_EENCRYPTED && strstr(e.msg, "privkey.pem"))
		return 0;
	fprintf(stderr, "child: code %s: %s\n", fscert_code_name(e.code),
	    e.msg);
	return 10 + (int)e.code;
}

static void
check_encrypted(enum fx_keyfmt f)
{
	struct enc_arg	 a;
	char		 tty[256];
	char		*k, *c, *t;
	int		 rc;

	k = fx_pem_key(rsa.leaf_key, f);
	c = fx_pem_certs(rsa.leaf, (X509 *)NULL);
	t = fx_cat(c, k, (char *)NULL);
	a.text = t;
	rc = fx_run_with_tty(parse_in_child, &a, 10, tty, sizeof(tty));
	free(c);
	free(k);
	free(t);
	switch (rc) {
	case 0:
		return;
	case -1:
		fail_msg("prompted for a pass phrase: \"%s\"", tty);
		break;
	case -2:
		fail_msg("hung (waiting for a pass phrase?)");
		break;
	case 100:
		fail_msg("encrypted key accepted");
		break;
	default:
		fail_msg("child status %d (10 + code; see stderr)", rc);
	}
}

static void
encrypted_pkcs8_refused(void **state)
{
	(void)state;
	check_encrypted(FX_KEY_ENC_PKCS8);
}

static void
encrypted_traditional_refused(void **state)
{
	(void)state;
	check_encrypted(FX_KEY_ENC_TRAD);
}

static void
two_keys(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*t, *c, *k1, *k2;

	(void)state;
	c = fx_pem_certs(ec.leaf, (X509 *)NULL);
	k1 = fx_pem_key(ec.leaf_key, FX_KEY_PKCS8);
	k2 = fx_pem_key(rsa.leaf_key, FX_KEY_PKCS8);
	t = fx_cat(c, k1, k2, (char *)NULL);
	free(c);
	free(k1);
	free(k2);
	p = parse_str("agent.pem", t, &e);
	/* Either refused here or counted, so that a caller refuses. */
	if (p != NULL) {
		assert_int_equal(p->nkeys, 2);
		/* "the first private key" */
		assert_int_equal(EVP_PKEY_eq(p->key, ec.leaf_key), 1);
		fscert_pem_free(p);
	} else
		assert_non_null(strstr(e.msg, "agent.pem"));
	free(t);
}

static void
free_null(void **state)
{
	struct fscert_buf	 b;

	(void)state;
	fscert_pem_free(NULL);
	memset(&b, 0, sizeof(b));
	fscert_buf_free(&b);
}

/* The writer. */

static void
buf_append_grows(void **state)
{
	struct fscert_err	 e;
	struct fscert_buf	 b;
	char			 chunk[97];
	size_t			 i;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 1000; i++) {
		memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
		assert_int_equal(fscert_buf_append(&b, chunk, sizeof(chunk),
		    &e), 0);
	}
	assert_int_equal(b.len, 1000 * sizeof(chunk));
	assert_true(b.cap >= b.len);
	for (i = 0; i < 1000; i++)
		assert_int_equal(b.data[i * sizeof(chunk) + 5],
		    'a' + (int)(i % 26));
	assert_int_equal(fscert_buf_append(&b, "", 0, &e), 0);
	assert_int_equal(b.len, 1000 * sizeof(chunk));
	fscert_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
put_cert_is_canonical(void **state)
{
	struct fscert_err	 e;
	struct fscert_buf	 b;
	char			*want;
	size_t			 i, col = 0;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(fscert_pem_put_cert(&b, ec.leaf, &e), 0);
	assert_int_equal(fscert_pem_put_cert(&b, ec.inter, &e), 0);
	want = fx_pem_certs(ec.leaf, ec.inter, (X509 *)NULL);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	/* 64 columns, LF only. */
	for (i = 0; i < b.len; i++) {
		assert_int_not_equal(b.data[i], '\r');
		if (b.data[i] == '\n') {
			col = 0;
			continue;
		}
		col++;
		if (b.data[i] != '-')
			assert_true(col <= 64);
	}
	free(want);
	fscert_buf_free(&b);
}

/* Parse a key in format f, write it back: same label, same bytes. */
static void
roundtrip_key(EVP_PKEY *k, enum fx_keyfmt f)
{
	struct fscert_err	 e;
	struct fscert_buf	 b;
	struct fscert_pem	*p;
	char			*t;

	t = fx_pem_key(k, f);
	p = parse_str("privkey.pem", t, &e);
	assert_non_null(p);
	memset(&b, 0, sizeof(b));
	assert_int_equal(fscert_pem_put_key(&b, p, &e), 0);
	if (b.len != strlen(t) || memcmp(b.data, t, b.len) != 0)
		fail_msg("key written back differs:\n%.*s\nfrom:\n%s",
		    (int)b.len, (const char *)b.data, t);
	fscert_buf_free(&b);
	fscert_pem_free(p);
	free(t);
}

static void
put_key_keeps_label(void **state)
{
	(void)state;
	roundtrip_key(ec.leaf_key, FX_KEY_PKCS8);
	roundtrip_key(ec.leaf_key, FX_KEY_TRAD);
	roundtrip_key(rsa.leaf_key, FX_KEY_PKCS8);
	roundtrip_key(rsa.leaf_key, FX_KEY_TRAD);
}

static void
put_key_without_key_fails(void **state)
{
	struct fscert_err	 e;
	struct fscert_buf	 b;
	struct fscert_pem	*p;
	char			*t;

	(void)state;
	t = fx_pem_certs(ec.leaf, (X509 *)NULL);
	p = parse_str("cert.pem", t, &e);
	assert_non_null(p);
	memset(&b, 0, sizeof(b));
	fscert_err_clear(&e);
	assert_int_equal(fscert_pem_put_key(&b, p, &e), -1);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_int_equal(b.len, 0);
	fscert_buf_free(&b);
	fscert_pem_free(p);
	free(t);
}

/*
 * Issue 8 #6: the decoder cache had 8 process-wide slots; once keys of
 * other type/format combinations took them, a valid PKCS#1 key was
 * "corrupt".  Run first, so that no earlier test has cached PKCS#1 RSA.
 */
static void
many_key_types_then_pkcs1(void **state)
{
	static const char *const types[] = { "ED25519", "ED448", "X25519",
		"X448" };
	struct fscert_err	 e;
	struct fscert_pem	*p;
	EVP_PKEY		*k;
	char			*t;
	size_t			 i;

	(void)state;
	/* RSA, EC (PKCS#8 and SEC1), RSA-PSS, four more: nine. */
	t = fx_pem_key(fx_key_rsa(2048, 0), FX_KEY_PKCS8);
	p = parse_str("rsa8.pem", t, &e);
	assert_non_null(p);
	fscert_pem_free(p);
	free(t);
	t = fx_pem_key(fx_key_ec("P-256", 2), FX_KEY_PKCS8);
	p = parse_str("ec8.pem", t, &e);
	assert_non_null(p);
	fscert_pem_free(p);
	free(t);
	t = fx_pem_key(fx_key_ec("P-256", 2), FX_KEY_TRAD);
	p = parse_str("sec1.pem", t, &e);
	assert_non_null(p);
	fscert_pem_free(p);
	free(t);
	k = fx_key_gen("RSA-PSS", 2048);
	t = fx_pem_key(k, FX_KEY_PKCS8);
	p = parse_str("pss.pem", t, &e);
	if (p == NULL)
		fail_msg("RSA-PSS: %s", e.msg);
	fscert_pem_free(p);
	free(t);
	EVP_PKEY_free(k);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		k = fx_key_gen(types[i], 0);
		t = fx_pem_key(k, FX_KEY_PKCS8);
		p = parse_str(types[i], t, &e);
		if (p == NULL)
			fail_msg("%s: %s", types[i], e.msg);
		assert_non_null(p->key);
		fscert_pem_free(p);
		free(t);
		EVP_PKEY_free(k);
	}
	t = fx_pem_key(fx_key_rsa(2048, 0), FX_KEY_TRAD);
	assert_non_null(strstr(t, "BEGIN RSA PRIVATE KEY"));
	p = parse_str("privkey.pem", t, &e);
	if (p == NULL)
		fail_msg("a valid PKCS#1 key after 8 other kinds: %s", e.msg);
	assert_non_null(p->key);
	assert_string_equal(p->key_label, "RSA PRIVATE KEY");
	fscert_pem_free(p);
	free(t);
}

/* Issue 8 #5: a DSA key is read as one, not "no private key". */
static void
key_dsa_traditional(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	EVP_PKEY		*k;
	char			*t;

	(void)state;
	k = fx_key_gen("DSA", 2048);
	t = fx_pem_key(k, FX_KEY_TRAD);
	assert_non_null(strstr(t, "BEGIN DSA PRIVATE KEY"));
	p = parse_str("privkey.pem", t, &e);
	if (p == NULL)
		fail_msg("%s", e.msg);
	assert_non_null(p->key);
	assert_int_equal(p->nkeys, 1);
	assert_int_equal(EVP_PKEY_get_base_id(p->key), EVP_PKEY_DSA);
	fscert_pem_free(p);
	free(t);
	EVP_PKEY_free(k);
}

/* Issue 8 #12: a DH PARAMETERS block OpenSSL cannot parse is refused. */
static void
dhparams_corrupt_refused(void **state)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;
	char			*c, *t;

	(void)state;
	c = fx_pem_certs(ec.leaf, (X509 *)NULL);
	/* Valid base64 and DER (an INTEGER 1), but not DH parameters. */
	t = fx_cat(c, "-----BEGIN DH PARAMETERS-----\nAgEB\n"
	    "-----END DH PARAMETERS-----\n", (char *)NULL);
	p = parse_str("agent.pem", t, &e);
	assert_null(p);
	assert_int_equal(e.code, FSCERT_EPARSE);
	assert_non_null(strstr(e.msg, "agent.pem"));
	assert_non_null(strstr(e.msg, "DH PARAMETERS"));
	assert_null(strchr(e.msg, '\n'));
	free(c);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: it needs a decoder cache nobody else filled. */
		cmocka_unit_test(many_key_types_then_pkcs1),
		cmocka_unit_test(one_cert),
		cmocka_unit_test(chain_keeps_order),
		cmocka_unit_test(key_pkcs8_ec),
		cmocka_unit_test(key_pkcs8_rsa),
		cmocka_unit_test(key_sec1),
		cmocka_unit_test(key_pkcs1),
		cmocka_unit_test(key_before_cert),
		cmocka_unit_test(key_alone),
		cmocka_unit_test(crlf_accepted),
		cmocka_unit_test(text_dump_accepted),
		cmocka_unit_test(comments_between_blocks),
		cmocka_unit_test(dhparams_kept),
		cmocka_unit_test(dhparams_reencoded),
		cmocka_unit_test(dhparams_corrupt_refused),
		cmocka_unit_test(key_dsa_traditional),
		cmocka_unit_test(der_cert_detected),
		cmocka_unit_test(der_key_detected),
		cmocka_unit_test(text_without_block_is_a_parse_error),
		cmocka_unit_test(empty_buffer_is_empty),
		cmocka_unit_test(truncated_no_end_line),
		cmocka_unit_test(truncated_mid_body),
		cmocka_unit_test(truncated_second_block),
		cmocka_unit_test(truncated_key),
		cmocka_unit_test(corrupt_base64),
		cmocka_unit_test(corrupt_der_in_valid_base64),
		cmocka_unit_test(mismatched_end_label),
		cmocka_unit_test(nul_in_label_at_end),
		cmocka_unit_test(encrypted_pkcs8_refused),
		cmocka_unit_test(encrypted_traditional_refused),
		cmocka_unit_test(two_keys),
		cmocka_unit_test(free_null),
		cmocka_unit_test(buf_append_grows),
		cmocka_unit_test(put_cert_is_canonical),
		cmocka_unit_test(put_key_keeps_label),
		cmocka_unit_test(put_key_without_key_fails),
	};
	int	 rc;

	fx_init();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	fx_pool_free();
	return rc;
}
