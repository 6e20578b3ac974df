/*
 * fscert/err.h: the library's only error channel.
 *
 * A fallible function returns int (0 on success, -1 on failure) or a
 * pointer (NULL on failure) and takes a struct fscert_err * as its last
 * argument.  The first failure fills it in; callers pass it up unchanged.
 * The library never prints: the front end prints msg once.
 */
#ifndef FSCERT_ERR_H
#define FSCERT_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* Only what the headers declare is exported (lib is built -fvisibility=hidden). */
#pragma GCC visibility push(default)

enum fscert_code {
	FSCERT_OK = 0,
	FSCERT_EIO, /* read/write/open failed (sys_errno set) */
	FSCERT_ENOENT, /* a file is missing or a symlink dangles */
	FSCERT_ESYMLINK, /* a symlink leaves the lineage's tree */
	FSCERT_ETOOBIG, /* a file is over the size cap */
	FSCERT_EPARSE, /* not PEM, truncated or corrupt block */
	FSCERT_EDER, /* DER where PEM was expected */
	FSCERT_EENCRYPTED, /* an encrypted private key */
	FSCERT_ENOKEY, /* no private key where one is needed */
	FSCERT_ENOCERT, /* no certificate where one is needed */
	FSCERT_ECRYPTO, /* an OpenSSL call failed (ssl_err set) */
	FSCERT_ENOMEM,
	FSCERT_EUSAGE, /* bad argument from the caller */
	FSCERT_EREFUSED, /* validation refused the lineage */
	FSCERT_EPROTO, /* the peer answered with an error */
	FSCERT_EDEFERRED, /* reload deferred: calls in progress */
	FSCERT_EVERIFY, /* the new certificate is not served */
	FSCERT__MAX
};

struct fscert_err {
	enum fscert_code code;
	int sys_errno; /* errno at the failure, or 0 */
	unsigned long ssl_err; /* first OpenSSL error, or 0 */
	char msg[512]; /* "what 'subject': why", no newline */
};

/* Reset err to "no error". */
void fscert_err_clear(struct fscert_err *err);

/* Fill err with code and a printf-style message; returns -1. */
int fscert_err_set(struct fscert_err *err, enum fscert_code code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As fscert_err_set, appending ": strerror(errno)"; returns -1. */
int fscert_err_sys(struct fscert_err *err, enum fscert_code code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * As fscert_err_set with FSCERT_ECRYPTO, appending OpenSSL's reason for
 * the first queued error; drains the OpenSSL error queue; returns -1.
 */
int fscert_err_ssl(struct fscert_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A stable lower-case name for code ("symlink-escape"), never NULL. */
const char *fscert_code_name(enum fscert_code code);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_ERR_H */
