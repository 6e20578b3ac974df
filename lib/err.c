/*
 * err.c: filling in struct fscert_err, the library's only error channel.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "fscert/err.h"

static const char *const code_names[FSCERT__MAX] = {
	[FSCERT_OK] = "ok",
	[FSCERT_EIO] = "io",
	[FSCERT_ENOENT] = "missing",
	[FSCERT_ESYMLINK] = "symlink-escape",
	[FSCERT_ETOOBIG] = "too-big",
	[FSCERT_EPARSE] = "parse",
	[FSCERT_EDER] = "der",
	[FSCERT_EENCRYPTED] = "encrypted-key",
	[FSCERT_ENOKEY] = "no-key",
	[FSCERT_ENOCERT] = "no-certificate",
	[FSCERT_ECRYPTO] = "crypto",
	[FSCERT_ENOMEM] = "nomem",
	[FSCERT_EUSAGE] = "usage",
	[FSCERT_EREFUSED] = "refused",
	[FSCERT_EPROTO] = "protocol",
	[FSCERT_EDEFERRED] = "deferred",
	[FSCERT_EVERIFY] = "verify",
};

void
fscert_err_clear(struct fscert_err *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}

static void
vset(struct fscert_err *err, enum fscert_code code, const char *fmt, va_list ap)
{
	/* The first failure wins: callers pass err up unchanged. */
	if (err == NULL || err->code != FSCERT_OK)
		return;
	err->code = code;
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
fscert_err_set(
    struct fscert_err *err, enum fscert_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
fscert_err_sys(
    struct fscert_err *err, enum fscert_code code, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	if (err == NULL || err->code != FSCERT_OK)
		return -1;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	err->sys_errno = saved;
	n = strlen(err->msg);
	(void)snprintf(
	    err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int
fscert_err_ssl(struct fscert_err *err, const char *fmt, ...)
{
	unsigned long e = ERR_peek_error();
	const char *reason;
	size_t n;
	va_list ap;

	if (err == NULL || err->code != FSCERT_OK) {
		ERR_clear_error();
		return -1;
	}
	va_start(ap, fmt);
	vset(err, FSCERT_ECRYPTO, fmt, ap);
	va_end(ap);
	err->ssl_err = e;
	reason = e != 0 ? ERR_reason_error_string(e) : NULL;
	if (reason != NULL) {
		n = strlen(err->msg);
		(void)snprintf(
		    err->msg + n, sizeof(err->msg) - n, ": %s", reason);
	}
	ERR_clear_error();
	return -1;
}

const char *
fscert_code_name(enum fscert_code code)
{
	if ((unsigned)code >= FSCERT__MAX || code_names[code] == NULL)
		return "unknown";
	return code_names[code];
}
