/*
 * pem.c: a tolerant PEM reader and a strict PEM writer.
 *
 * Blocks are found by hand (so that CRLF line ends, text dumps and
 * comments around them are fine and a truncated block is named), then
 * each block alone is decoded by OpenSSL's generic PEM_read_bio and the
 * DER is parsed according to its label.  Encrypted keys are recognised
 * by label or Proc-Type header and refused: nothing here ever prompts.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fscert/pem.h"
#include "internal.h"

#define BEGIN "-----BEGIN "
#define END "-----END "
#define DASHES "-----"

void
fscert_buf_free(struct fscert_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

int
fscert_buf_append(
    struct fscert_buf *b, const void *p, size_t n, struct fscert_err *err)
{
	unsigned char *nd;
	size_t ncap;

	if (n == 0)
		return 0;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		/*
		 * Not realloc: the old block may hold key bytes, and
		 * realloc would free it without cleansing.
		 */
		if ((nd = malloc(ncap)) == NULL)
			return fscert_err_sys(
			    err, FSCERT_ENOMEM, "out of memory");
		if (b->data != NULL) {
			memcpy(nd, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void
fscert_pem_free(struct fscert_pem *p)
{
	if (p == NULL)
		return;
	sk_X509_pop_free(p->certs, X509_free);
	EVP_PKEY_free(p->key);
	if (p->key_der != NULL) {
		OPENSSL_cleanse(p->key_der, p->key_der_len);
		free(p->key_der);
	}
	free(p->dhparams);
	free(p);
}

/* Find needle in [p, end) at the start of a line; NULL if absent. */
static const char *
find_line(const char *p, const char *end, const char *start, const char *needle)
{
	size_t nl = strlen(needle);

	for (; p + nl <= end; p++) {
		if ((p == start || p[-1] == '\n') && memcmp(p, needle, nl) == 0)
			return p;
	}
	return NULL;
}

/* Does [p, end) hold anything but white space? */
static int
has_text(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 1;
	return 0;
}

/* Does the buffer look like DER: a SEQUENCE tag and no PEM marker? */
static int
looks_der(const unsigned char *b, size_t len)
{
	return len >= 2 && b[0] == 0x30 && (b[1] & 0x80 ? b[1] <= 0x84 : 1);
}

/*
 * Two small caches make OpenSSL 3.0's decoding affordable in a run over
 * many lineages (perf: 3/4 of the time went to building decoder
 * contexts).  Both hold only public or reusable state, never key bytes:
 *  - one OSSL_DECODER_CTX per key type and structure, reused: building
 *    one costs ~300 us, decoding with it ~8 us;
 *  - the last certificates parsed, by DER: cert.pem's leaf comes again
 *    in fullchain.pem, the intermediate in every lineage of a CA.
 * They live as long as the process (reachable, never leaked) and are
 * guarded by one mutex.  When every decoder slot is taken (a run over
 * more than DEC_MAX key types and formats), a key is decoded with a
 * context of its own, as fast as without a cache, never refused.
 */
#define DEC_MAX 8
#define CERT_CACHE 32

static pthread_mutex_t cache_mtx = PTHREAD_MUTEX_INITIALIZER;

static struct {
	char type[24];
	char structure[24];
	OSSL_DECODER_CTX *ctx;
	EVP_PKEY *out; /* where ctx puts what it decoded */
} decs[DEC_MAX];

static struct {
	unsigned char *der;
	long len;
	X509 *x;
} certs[CERT_CACHE];
static size_t certs_next;

/* Decode with a context of its own (no free slot); NULL on failure. */
static EVP_PKEY *
decode_key_uncached(
    const char *type, const char *structure, const unsigned char *der, long len)
{
	const unsigned char *q = der;
	size_t left = (size_t)len;
	OSSL_DECODER_CTX *ctx;
	EVP_PKEY *k = NULL;

	ctx = OSSL_DECODER_CTX_new_for_pkey(
	    &k, "DER", structure, type, EVP_PKEY_KEYPAIR, NULL, NULL);
	if (ctx == NULL)
		return NULL;
	if (!OSSL_DECODER_from_data(ctx, &q, &left) || left != 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	OSSL_DECODER_CTX_free(ctx);
	return k;
}

/* Decode a private key of type from DER in structure; NULL on failure. */
static EVP_PKEY *
decode_key(
    const char *type, const char *structure, const unsigned char *der, long len)
{
	const unsigned char *q = der;
	size_t left = (size_t)len, i;
	EVP_PKEY *k = NULL;

	(void)pthread_mutex_lock(&cache_mtx);
	for (i = 0; i < DEC_MAX && decs[i].ctx != NULL; i++)
		if (strcmp(decs[i].type, type) == 0 &&
		    strcmp(decs[i].structure, structure) == 0)
			break;
	if (i < DEC_MAX && decs[i].ctx == NULL) {
		decs[i].ctx = OSSL_DECODER_CTX_new_for_pkey(&decs[i].out, "DER",
		    structure, type, EVP_PKEY_KEYPAIR, NULL, NULL);
		(void)snprintf(decs[i].type, sizeof(decs[i].type), "%s", type);
		(void)snprintf(decs[i].structure, sizeof(decs[i].structure),
		    "%s", structure);
	}
	if (i < DEC_MAX && decs[i].ctx != NULL) {
		decs[i].out = NULL;
		if (OSSL_DECODER_from_data(decs[i].ctx, &q, &left) && left == 0)
			k = decs[i].out;
		else
			EVP_PKEY_free(decs[i].out);
		decs[i].out = NULL;
	}
	(void)pthread_mutex_unlock(&cache_mtx);
	if (i == DEC_MAX)
		return decode_key_uncached(type, structure, der, len);
	return k;
}

/* A parsed certificate for der, from the cache or new; NULL if bad. */
static X509 *
decode_cert(const unsigned char *der, long len)
{
	const unsigned char *q = der;
	X509 *x = NULL;
	size_t i, slot;

	(void)pthread_mutex_lock(&cache_mtx);
	for (i = 0; i < CERT_CACHE; i++)
		if (certs[i].x != NULL && certs[i].len == len &&
		    memcmp(certs[i].der, der, (size_t)len) == 0) {
			x = certs[i].x;
			X509_up_ref(x);
			goto out;
		}
	x = d2i_X509(NULL, &q, len);
	if (x == NULL || q != der + len) {
		X509_free(x);
		x = NULL;
		goto out;
	}
	slot = certs_next++ % CERT_CACHE;
	X509_free(certs[slot].x);
	free(certs[slot].der);
	certs[slot].x = NULL;
	if ((certs[slot].der = malloc((size_t)len)) != NULL) {
		memcpy(certs[slot].der, der, (size_t)len);
		certs[slot].len = len;
		certs[slot].x = x;
		X509_up_ref(x);
	}
out:
	(void)pthread_mutex_unlock(&cache_mtx);
	return x;
}

/* The key type a PKCS#8 PrivateKeyInfo names ("RSA", "EC", ...). */
static const char *
pkcs8_type(const unsigned char *der, long len)
{
	const unsigned char *q = der;
	PKCS8_PRIV_KEY_INFO *p8;
	const ASN1_OBJECT *oid = NULL;
	const X509_ALGOR *alg = NULL;
	const char *t = NULL;
	int nid;

	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, len)) == NULL)
		return NULL;
	if (PKCS8_pkey_get0(NULL, NULL, NULL, &alg, p8) && alg != NULL) {
		X509_ALGOR_get0(&oid, NULL, NULL, alg);
		nid = OBJ_obj2nid(oid);
		t = nid == NID_rsaEncryption          ? "RSA"
		    : nid == NID_X9_62_id_ecPublicKey ? "EC"
		    : nid != NID_undef                ? OBJ_nid2sn(nid)
						      : NULL;
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	return t;
}

static int
take_key(struct fscert_pem *p, const char *name, const char *label,
    const unsigned char *der, long len, struct fscert_err *err)
{
	EVP_PKEY *k = NULL;

	if (++p->nkeys > 1)
		return 0; /* validation reports a second key */
	if (strcmp(label, "PRIVATE KEY") == 0) {
		const char *type = pkcs8_type(der, len);

		if (type != NULL)
			k = decode_key(type, "PrivateKeyInfo", der, len);
	} else if (strcmp(label, "RSA PRIVATE KEY") == 0)
		k = decode_key("RSA", "type-specific", der, len);
	else if (strcmp(label, "EC PRIVATE KEY") == 0)
		k = decode_key("EC", "type-specific", der, len);
	else if (strcmp(label, "DSA PRIVATE KEY") == 0)
		/* Read, so that validation names the type it refuses. */
		k = decode_key("DSA", "type-specific", der, len);
	else
		return fscert_err_set(err, FSCERT_EPARSE,
		    "%s: '%s' block: a key type fscert cannot read (RSA or "
		    "ECDSA in PEM is needed)",
		    name, label);
	if (k == NULL)
		return fscert_err_ssl(
		    err, "%s: corrupt '%s' block", name, label);
	if ((p->key_der = malloc((size_t)len)) == NULL) {
		EVP_PKEY_free(k);
		return fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
	}
	memcpy(p->key_der, der, (size_t)len);
	p->key_der_len = (size_t)len;
	(void)snprintf(p->key_label, sizeof(p->key_label), "%.31s", label);
	p->key = k;
	return 0;
}

static int
take_cert(struct fscert_pem *p, const char *name, const unsigned char *der,
    long len, struct fscert_err *err)
{
	X509 *x;

	if ((x = decode_cert(der, len)) == NULL)
		return fscert_err_ssl(err,
		    "%s: corrupt 'CERTIFICATE' block (certificate %d)", name,
		    sk_X509_num(p->certs) + 1);
	if (!sk_X509_push(p->certs, x)) {
		X509_free(x);
		return fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * Keep a DH PARAMETERS block to carry over into agent.pem, re-encoded
 * from its DER: the text as read may hold what the reader tolerates
 * (CR, a NUL byte, odd line lengths) but should not be written back.
 */
static int
take_dh(struct fscert_pem *p, const char *name, const unsigned char *der,
    long len, struct fscert_err *err)
{
	const unsigned char *q = der;
	EVP_PKEY *dh;
	BIO *bio;
	char *data;
	long n;

	/*
	 * Parameters OpenSSL cannot parse would be carried into agent.pem
	 * for FreeSWITCH to choke on: refuse them here.
	 */
	dh = d2i_KeyParams(EVP_PKEY_DH, NULL, &q, len);
	EVP_PKEY_free(dh);
	if (dh == NULL || q != der + len) {
		ERR_clear_error();
		return fscert_err_set(err, FSCERT_EPARSE,
		    "%s: corrupt 'DH PARAMETERS' block (not DH parameters "
		    "OpenSSL can read)",
		    name);
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio(bio, "DH PARAMETERS", "", der, len) ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		BIO_free(bio);
		return fscert_err_ssl(err, "DH PARAMETERS block");
	}
	free(p->dhparams);
	if ((p->dhparams = malloc((size_t)n + 1)) == NULL) {
		BIO_free(bio);
		return fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
	}
	memcpy(p->dhparams, data, (size_t)n);
	p->dhparams[n] = '\0';
	BIO_free(bio);
	return 0;
}

/* "PRIVATE KEY", "RSA PRIVATE KEY", "DSA PRIVATE KEY", ... */
static int
is_key_label(const char *label)
{
	size_t n = strlen(label), k = sizeof("PRIVATE KEY") - 1;

	return strcmp(label, "PRIVATE KEY") == 0 ||
	    (n > k + 1 && label[n - k - 1] == ' ' &&
		strcmp(label + n - k, "PRIVATE KEY") == 0);
}

/*
 * Decode one block [s, e) (e just past the END line) whose label is
 * label, and store what it holds in p.
 */
static int
take_block(struct fscert_pem *p, const char *name, const char *label,
    const char *s, const char *e, struct fscert_err *err)
{
	BIO *bio = NULL;
	char *bname = NULL, *header = NULL;
	unsigned char *der = NULL;
	long len = 0;
	int rc = -1;

	if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0)
		return fscert_err_set(err, FSCERT_EENCRYPTED,
		    "%s: private key is encrypted (fscert never asks for "
		    "a passphrase)",
		    name);
	/* The secure heap: this BIO may hold a private key. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    BIO_write(bio, s, (int)(e - s)) != (int)(e - s)) {
		fscert_err_ssl(err, "%s", name);
		goto out;
	}
	if (!PEM_read_bio(bio, &bname, &header, &der, &len)) {
		fscert_err_ssl(err, "%s: corrupt '%s' block", name, label);
		if (err != NULL)
			err->code = FSCERT_EPARSE;
		goto out;
	}
	ERR_clear_error();
	if (header != NULL && strstr(header, "ENCRYPTED") != NULL) {
		fscert_err_set(err, FSCERT_EENCRYPTED,
		    "%s: private key is encrypted (fscert never asks for "
		    "a passphrase)",
		    name);
		goto out;
	}
	if (strcmp(label, "CERTIFICATE") == 0 ||
	    strcmp(label, "X509 CERTIFICATE") == 0)
		rc = take_cert(p, name, der, len, err);
	else if (is_key_label(label))
		rc = take_key(p, name, label, der, len, err);
	else if (strcmp(label, "DH PARAMETERS") == 0)
		rc = take_dh(p, name, der, len, err);
	else
		rc = 0; /* EC PARAMETERS, CSRs, ...: not ours, ignored */
	if (rc == -1 && err != NULL && err->code == FSCERT_ECRYPTO)
		err->code = FSCERT_EPARSE;
out:
	if (der != NULL) {
		OPENSSL_cleanse(der, (size_t)len);
		OPENSSL_free(der);
	}
	OPENSSL_free(bname);
	OPENSSL_free(header);
	BIO_free(bio);
	return rc;
}

struct fscert_pem *
fscert_pem_parse(
    const char *name, const void *buf, size_t len, struct fscert_err *err)
{
	struct fscert_pem *p = NULL;
	char *t = NULL, label[64];
	const char *s, *e, *cur, *end, *le;
	const unsigned char *in = buf;
	size_t i, n = 0, ll;
	int nblocks = 0;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->certs = sk_X509_new_null()) == NULL) {
		fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
		goto err;
	}
	/* A copy with CR LF turned into LF: the text may hold a key. */
	if ((t = malloc(len + 1)) == NULL) {
		fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
		goto err;
	}
	for (i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
			p->ncrlf++;
			continue;
		}
		t[n++] = (char)in[i];
	}
	t[n] = '\0';
	end = t + n;

	cur = t;
	while ((s = find_line(cur, end, t, BEGIN)) != NULL) {
		if (has_text(cur, s))
			p->has_junk = 1;
		le = memchr(s, '\n', (size_t)(end - s));
		if (le == NULL)
			le = end;
		ll = (size_t)(le - s);
		/* "-----BEGIN LABEL-----": the label sits between. */
		if (ll < sizeof(BEGIN) - 1 + sizeof(DASHES) - 1 ||
		    memcmp(le - (sizeof(DASHES) - 1), DASHES,
			sizeof(DASHES) - 1) != 0 ||
		    ll - (sizeof(BEGIN) - 1) - (sizeof(DASHES) - 1) >=
			sizeof(label)) {
			fscert_err_set(err, FSCERT_EPARSE,
			    "%s: malformed BEGIN line in block %d", name,
			    nblocks + 1);
			goto err;
		}
		ll -= (sizeof(BEGIN) - 1) + (sizeof(DASHES) - 1);
		memcpy(label, s + sizeof(BEGIN) - 1, ll);
		label[ll] = '\0';

		/* The matching END line, before any further BEGIN line. */
		e = find_line(le, end, t, END);
		{
			const char *nb = find_line(le, end, t, BEGIN);

			if (e == NULL || (nb != NULL && nb < e)) {
				fscert_err_set(err, FSCERT_EPARSE,
				    "%s: truncated '%s' block (no END line)",
				    name, label);
				goto err;
			}
		}
		/*
		 * memcmp within the buffer: the label may hold a NUL, and
		 * strncmp would then stop early and let the next compare
		 * run past the end.
		 */
		if ((size_t)(end - e) <
			sizeof(END) - 1 + ll + sizeof(DASHES) - 1 ||
		    memcmp(e + sizeof(END) - 1, label, ll) != 0 ||
		    memcmp(e + sizeof(END) - 1 + ll, DASHES,
			sizeof(DASHES) - 1) != 0) {
			fscert_err_set(err, FSCERT_EPARSE,
			    "%s: '%s' block ends with a different END line",
			    name, label);
			goto err;
		}
		e += sizeof(END) - 1 + ll + sizeof(DASHES) - 1;
		if (e < end && *e == '\n')
			e++;
		if (take_block(p, name, label, s, e, err) == -1)
			goto err;
		nblocks++;
		cur = e;
	}
	if (has_text(cur, end))
		p->has_junk = 1;
	if (nblocks == 0 && !has_text(t, end))
		goto done; /* an empty file: the caller names what is missing */
	if (nblocks == 0) {
		if (looks_der(in, len))
			fscert_err_set(err, FSCERT_EDER,
			    "%s: is DER, not PEM (convert it with openssl "
			    "x509 -inform der)",
			    name);
		else
			fscert_err_set(
			    err, FSCERT_EPARSE, "%s: no PEM block found", name);
		goto err;
	}
done:
	OPENSSL_cleanse(t, n);
	free(t);
	return p;
err:
	if (t != NULL) {
		OPENSSL_cleanse(t, n);
		free(t);
	}
	fscert_pem_free(p);
	return NULL;
}

/* Append the contents of a memory BIO to b. */
static int
put_bio(struct fscert_buf *b, BIO *bio, struct fscert_err *err)
{
	char *data;
	long n;

	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		return fscert_err_ssl(err, "PEM encoding failed");
	return fscert_buf_append(b, data, (size_t)n, err);
}

int
fscert_pem_put_cert(struct fscert_buf *b, X509 *cert, struct fscert_err *err)
{
	BIO *bio;
	int rc;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, cert)) {
		BIO_free(bio);
		return fscert_err_ssl(err, "PEM encoding of a certificate");
	}
	rc = put_bio(b, bio, err);
	BIO_free(bio);
	return rc;
}

int
fscert_pem_put_key(
    struct fscert_buf *b, const struct fscert_pem *p, struct fscert_err *err)
{
	BIO *bio;
	int rc;

	if (p == NULL || p->key_der == NULL)
		return fscert_err_set(err, FSCERT_ENOKEY, "no private key");
	/* secmem: cleansed when freed. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    !PEM_write_bio(
		bio, p->key_label, "", p->key_der, (long)p->key_der_len)) {
		BIO_free(bio);
		return fscert_err_ssl(err, "PEM encoding of the key");
	}
	rc = put_bio(b, bio, err);
	BIO_free(bio);
	return rc;
}
