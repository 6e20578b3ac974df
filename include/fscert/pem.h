/*
 * fscert/pem.h: a tolerant reader and a strict writer of PEM text.
 *
 * The reader accepts what administrators actually have on disk: CRLF
 * line ends, `openssl x509 -text` dumps and comments between blocks.
 * It refuses what FreeSWITCH would choke on or silently misread: DER,
 * truncated or corrupt blocks, encrypted keys.  It never prompts.
 */
#ifndef FSCERT_PEM_H
#define FSCERT_PEM_H

#include <stddef.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

#include "fscert/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Only what the headers declare is exported (lib is built -fvisibility=hidden). */
#pragma GCC visibility push(default)

/* Largest file fscert reads; a bigger one is refused before parsing. */
#define FSCERT_FILE_MAX ((size_t)1024 * 1024)

/* What one file held. */
struct fscert_pem {
	STACK_OF(X509) * certs; /* CERTIFICATE blocks, in order */
	EVP_PKEY *key; /* the first private key, or NULL */
	unsigned char *key_der; /* its DER (cleansed on free) */
	size_t key_der_len;
	char key_label[32]; /* "PRIVATE KEY", "EC PRIVATE KEY", ... */
	int nkeys; /* private keys seen (a 2nd is an error) */
	char *dhparams; /* a "DH PARAMETERS" block as text, or NULL */
	int ncrlf; /* lines that ended in CR LF */
	int has_junk; /* text outside any block */
};

/*
 * Parse len bytes of buf, which came from the file called name (used
 * only in messages).  Returns a new struct fscert_pem that the caller
 * releases with fscert_pem_free, or NULL with err set.  A buffer with
 * text but no block is FSCERT_EPARSE (FSCERT_EDER when it looks like
 * DER); an empty (or all white space) one gives an empty result, so that
 * the caller can name what is missing ("chain.pem: holds no ...").
 */
struct fscert_pem *fscert_pem_parse(
    const char *name, const void *buf, size_t len, struct fscert_err *err);

/* Release p and cleanse its key bytes.  Accepts NULL. */
void fscert_pem_free(struct fscert_pem *p);

/*
 * A growable byte buffer.  Secret contents are cleansed by
 * fscert_buf_free.  Every append returns 0, or -1 with err set.
 */
struct fscert_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};
int fscert_buf_append(
    struct fscert_buf *b, const void *p, size_t n, struct fscert_err *err);
void fscert_buf_free(struct fscert_buf *b); /* cleanses, then frees */

/* Append cert as a PEM CERTIFICATE block (64 columns, LF). */
int
fscert_pem_put_cert(struct fscert_buf *b, X509 *cert, struct fscert_err *err);

/* Append the key of p, in its original label and DER encoding. */
int fscert_pem_put_key(
    struct fscert_buf *b, const struct fscert_pem *p, struct fscert_err *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_PEM_H */
