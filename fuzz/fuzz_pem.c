/*
 * fuzz_pem.c: libFuzzer target for the PEM reader and for what the rest
 * of the library does with what it parsed.
 *
 * For every input:
 *  1. fscert_pem_parse() must either fail with an error code and a
 *     NUL-terminated message, or return a struct whose fields agree
 *     with each other (a key has its DER and label, counters are sane).
 *  2. Round trip: every certificate (fscert_pem_put_cert) and the key
 *     (fscert_pem_put_key) are written to a fscert_buf and that output
 *     is parsed again.  The strict writer's output must be accepted by
 *     the tolerant reader with the same number of certificates, the
 *     same certificate DER, the same key label and key DER, and no
 *     CRLF or junk.  Any disagreement is abort()ed on.
 *  3. The parsed result is put in an in-memory lineage, the way the
 *     lineage reader would (--cert F --key F, F the input), and is
 *     given to fscert_bundle_build(), whose three output files must
 *     parse back with the expected certificates and key, and, when
 *     the reader would accept it (one key), to fscert_validate().
 *     No lineage file is written: validation uses the fixed clock
 *     FUZZ_NOW and the corpus root CA (fuzz_ca.h), written once at
 *     start-up to a temp file for --ca-file, so that the seed
 *     lineages verify and every rule is reached.
 *
 * Inputs over FSCERT_FILE_MAX are skipped: the lineage reader refuses
 * them before parsing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "fscert/fscert.h"

#include "fuzz_ca.h"	/* fuzz_ca_pem, FUZZ_NOW: from make-corpus.sh */

static char ca_path[64];

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_pem: %s:%d: check failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static void
remove_ca(void)
{
	unlink(ca_path);
}

/*
 * The CA file for --ca-file, read by the library by name.  It is
 * removed at exit; a crash leaves it in /tmp (a few hundred bytes).
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t len = sizeof(fuzz_ca_pem) - 1;
	int fd;

	(void)argc;
	(void)argv;
	snprintf(ca_path, sizeof(ca_path), "/tmp/fuzz_pem_ca.XXXXXX");
	if ((fd = mkstemp(ca_path)) == -1) {
		perror("fuzz_pem: mkstemp");
		abort();
	}
	atexit(remove_ca);
	if (write(fd, fuzz_ca_pem, len) != (ssize_t)len || close(fd) == -1) {
		perror("fuzz_pem: write");
		abort();
	}
	return 0;
}

static int
ncerts(const struct fscert_pem *p)
{
	return p->certs == NULL ? 0 : sk_X509_num(p->certs);
}

static void
check_err(const struct fscert_err *err)
{
	CHECK(err->code > FSCERT_OK && err->code < FSCERT__MAX);
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(fscert_code_name(err->code) != NULL);
}

/* Field-level sanity of a successful parse. */
static void
check_pem(const struct fscert_pem *p)
{
	CHECK(memchr(p->key_label, '\0', sizeof(p->key_label)) != NULL);
	CHECK(p->nkeys >= 0);
	CHECK(p->ncrlf >= 0);
	if (p->key != NULL) {
		CHECK(p->nkeys >= 1);
		CHECK(p->key_der != NULL && p->key_der_len > 0);
		CHECK(p->key_label[0] != '\0');
	}
	for (int i = 0; i < ncerts(p); i++)
		CHECK(sk_X509_value(p->certs, i) != NULL);
}

static int
same_cert(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la, lb, same;

	la = i2d_X509(a, &da);
	lb = i2d_X509(b, &db);
	CHECK(la > 0 && lb > 0);
	same = la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

/* Parse out, which the library wrote: it must be clean and complete. */
static struct fscert_pem *
reparse(const char *what, const struct fscert_buf *out)
{
	struct fscert_err err;
	struct fscert_pem *q;

	fscert_err_clear(&err);
	q = fscert_pem_parse(what, out->data, out->len, &err);
	if (q == NULL) {
		fprintf(stderr, "fuzz_pem: own %s output refused: %s: %s\n",
		    what, fscert_code_name(err.code), err.msg);
		abort();
	}
	check_pem(q);
	CHECK(q->ncrlf == 0);
	CHECK(q->has_junk == 0);
	return q;
}

/* Step 2: write everything parsed with the strict writer, read it back. */
static void
round_trip(const struct fscert_pem *p)
{
	struct fscert_buf out = { 0 };
	struct fscert_err err;
	struct fscert_pem *q;
	int n = ncerts(p);

	fscert_err_clear(&err);
	for (int i = 0; i < n; i++)
		if (fscert_pem_put_cert(&out, sk_X509_value(p->certs, i),
		    &err) == -1)
			goto refused;
	if (p->key != NULL && fscert_pem_put_key(&out, p, &err) == -1)
		goto refused;
	if (out.len == 0)
		goto done;	/* nothing to write: e.g. DH PARAMETERS only */

	q = reparse("round-trip", &out);
	if (ncerts(q) != n) {
		fprintf(stderr, "fuzz_pem: round trip: %d certificates in, "
		    "%d out\n", n, ncerts(q));
		abort();
	}
	for (int i = 0; i < n; i++)
		CHECK(same_cert(sk_X509_value(p->certs, i),
		    sk_X509_value(q->certs, i)));
	CHECK((p->key != NULL) == (q->key != NULL));
	if (p->key != NULL) {
		CHECK(q->nkeys == 1);
		CHECK(strcmp(p->key_label, q->key_label) == 0);
		CHECK(q->key_der_len == p->key_der_len);
		CHECK(memcmp(q->key_der, p->key_der, p->key_der_len) == 0);
		CHECK(EVP_PKEY_eq(p->key, q->key) == 1);
	}
	fscert_pem_free(q);
done:
	fscert_buf_free(&out);
	return;
refused:
	/* What the reader accepted, the writer must be able to write. */
	check_err(&err);
	if (err.code != FSCERT_ENOMEM) {
		fprintf(stderr, "fuzz_pem: writer refused parsed input: "
		    "%s: %s\n", fscert_code_name(err.code), err.msg);
		abort();
	}
	fscert_buf_free(&out);
}

/*
 * Step 3: the input as both --cert and --key of an explicit-files
 * lineage, built the way the reader documents it in lineage.h.
 */
static void
as_lineage(struct fscert_pem *p)
{
	static char path[] = "fuzz.pem";
	struct fscert_lineage l;
	struct fscert_policy pol;
	struct fscert_bundle b;
	struct fscert_report *r;
	struct fscert_err err;
	int n = ncerts(p);

	if (n == 0)
		return;		/* the reader refuses a lineage with no leaf */

	memset(&l, 0, sizeof(l));
	l.kind = FSCERT_KIND_FILES;
	for (int role = FSCERT_F_CERT; role <= FSCERT_F_KEY; role++) {
		struct fscert_file *f = &l.files[role];

		f->present = 1;
		f->path = f->name = f->real = path;
		f->mode = 0100600;
		f->uid = 0;
		f->gid = 0;
		f->pem = p;
	}
	l.leaf = sk_X509_value(p->certs, 0);
	l.leaf_from = FSCERT_F_CERT;
	l.key_from = FSCERT_F_KEY;
	l.chain_from = FSCERT_F_CERT;
	CHECK((l.chain = sk_X509_new_null()) != NULL);
	for (int i = 1; i < n; i++) {
		X509 *x = sk_X509_value(p->certs, i);

		CHECK(X509_up_ref(x) == 1);
		CHECK(sk_X509_push(l.chain, x) > 0);
	}

	/* Bundle: needs a key and at least one intermediate. */
	memset(&b, 0, sizeof(b));
	fscert_err_clear(&err);
	if (fscert_bundle_build(&l, p->dhparams, &b, &err) == 0) {
		for (int o = 0; o < FSCERT_OUT__MAX; o++) {
			struct fscert_pem *q;
			int want = o == FSCERT_OUT_AGENT ? 1 :
			    o == FSCERT_OUT_CAFILE ? n - 1 : n;

			CHECK(fscert_out_name(o) != NULL);
			q = reparse(fscert_out_name(o), &b.files[o]);
			CHECK(ncerts(q) == want);
			CHECK(same_cert(sk_X509_value(q->certs, 0),
			    o == FSCERT_OUT_CAFILE ?
			    sk_X509_value(p->certs, 1) : l.leaf));
			CHECK((q->key != NULL) == fscert_out_has_key(o));
			if (q->key != NULL) {
				CHECK(q->key_der_len == p->key_der_len);
				CHECK(memcmp(q->key_der, p->key_der,
				    p->key_der_len) == 0);
			}
			fscert_pem_free(q);
		}
		fscert_bundle_free(&b);
	} else {
		check_err(&err);
		/* Refused only for a missing key or an empty chain. */
		CHECK(p->key == NULL || n < 2);
	}

	/*
	 * Validate, as the reader would hand it over: it refuses a file
	 * with no key or two keys (lineage.c, derive()) before that.
	 */
	if (p->key == NULL || p->nkeys != 1)
		goto out;
	fscert_policy_init(&pol);
	pol.ca_file = ca_path;
	pol.now = FUZZ_NOW;
	{
		static const char *const hosts[] = { "sip.example.test" };

		pol.hosts = hosts;
		pol.nhosts = 1;
	}
	fscert_err_clear(&err);
	if ((r = fscert_validate(&l, &pol, &err)) == NULL) {
		check_err(&err);
	} else {
		CHECK(r->worst < FSCERT_SEV__MAX);
		CHECK(r->nfindings == 0 || r->findings != NULL);
		for (size_t i = 0; i < r->nfindings; i++) {
			const struct fscert_finding *fi = &r->findings[i];

			CHECK(fi->rule < FSCERT_R__MAX);
			CHECK(fi->sev <= r->worst);
			CHECK(fi->refuse == 0 || fi->refuse == 1);
			CHECK(!fi->refuse || r->refused);
			CHECK(memchr(fi->msg, '\0', sizeof(fi->msg)) != NULL);
			CHECK(fscert_rule_name(fi->rule) != NULL);
		}
		CHECK(memchr(r->subject, '\0', sizeof(r->subject)) != NULL);
		CHECK(memchr(r->issuer, '\0', sizeof(r->issuer)) != NULL);
		CHECK(memchr(r->not_after, '\0', sizeof(r->not_after)) != NULL);
		CHECK(memchr(r->sha256, '\0', sizeof(r->sha256)) != NULL);
		CHECK(memchr(r->key_type, '\0', sizeof(r->key_type)) != NULL);
		CHECK(memchr(r->names, '\0', sizeof(r->names)) != NULL);
		fscert_report_free(r);
	}
out:
	sk_X509_pop_free(l.chain, X509_free);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fscert_err err;
	struct fscert_pem *p;

	if (size > FSCERT_FILE_MAX)
		return 0;

	fscert_err_clear(&err);
	p = fscert_pem_parse("fuzz.pem", data, size, &err);
	if (p == NULL) {
		check_err(&err);
		return 0;
	}
	CHECK(err.code == FSCERT_OK);
	check_pem(p);
	round_trip(p);
	as_lineage(p);
	fscert_pem_free(p);
	return 0;
}
