/*
 * test_err.c: lib/err.c, the library's only error channel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "fscert/err.h"
#include "fixture.h"

static void
clear_resets(void **state)
{
	struct fscert_err	 e;

	(void)state;
	memset(&e, 0x5a, sizeof(e));
	fscert_err_clear(&e);
	assert_int_equal(e.code, FSCERT_OK);
	assert_int_equal(e.sys_errno, 0);
	assert_int_equal(e.ssl_err, 0);
	assert_string_equal(e.msg, "");
}

static void
set_formats_and_returns_minus_one(void **state)
{
	struct fscert_err	 e;

	(void)state;
	fscert_err_clear(&e);
	assert_int_equal(fscert_err_set(&e, FSCERT_EPARSE,
	    "parse '%s': line %d", "cert.pem", 7), -1);
	assert_int_equal(e.code, FSCERT_EPARSE);
	assert_string_equal(e.msg, "parse 'cert.pem': line 7");
	assert_int_equal(e.sys_errno, 0);
	assert_null(strchr(e.msg, '\n'));
}

static void
sys_appends_strerror(void **state)
{
	struct fscert_err	 e;
	char			 want[256];

	(void)state;
	fscert_err_clear(&e);
	errno = ENOENT;
	assert_int_equal(fscert_err_sys(&e, FSCERT_ENOENT, "open '%s'",
	    "privkey.pem"), -1);
	assert_int_equal(e.code, FSCERT_ENOENT);
	assert_int_equal(e.sys_errno, ENOENT);
	snprintf(want, sizeof(want), "open 'privkey.pem': %s",
	    strerror(ENOENT));
	assert_string_equal(e.msg, want);
}

static void
sys_keeps_errno_of_the_failure(void **state)
{
	struct fscert_err	 e;

	(void)state;
	fscert_err_clear(&e);
	errno = EACCES;
	(void)fscert_err_sys(&e, FSCERT_EIO, "x");
	assert_int_equal(e.sys_errno, EACCES);
	assert_non_null(strstr(e.msg, strerror(EACCES)));
}

static void
ssl_drains_queue(void **state)
{
	struct fscert_err	 e;
	unsigned long		 first;
	BIO			*b;
	X509			*x;
	const char		*reason;

	(void)state;
	ERR_clear_error();
	/* Make OpenSSL queue a real error: parse a truncated block. */
	b = BIO_new_mem_buf("-----BEGIN CERTIFICATE-----\nMIIB\n", -1);
	assert_non_null(b);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	assert_null(x);
	BIO_free(b);
	first = ERR_peek_error();
	assert_int_not_equal(first, 0);
	reason = ERR_reason_error_string(first);

	fscert_err_clear(&e);
	assert_int_equal(fscert_err_ssl(&e, "read '%s'", "chain.pem"), -1);
	assert_int_equal(e.code, FSCERT_ECRYPTO);
	assert_int_equal(e.ssl_err, first);
	assert_non_null(strstr(e.msg, "read 'chain.pem'"));
	if (reason != NULL)
		assert_non_null(strstr(e.msg, reason));
	assert_int_equal(ERR_peek_error(), 0);
}

static void
ssl_with_empty_queue(void **state)
{
	struct fscert_err	 e;

	(void)state;
	ERR_clear_error();
	fscert_err_clear(&e);
	assert_int_equal(fscert_err_ssl(&e, "sign"), -1);
	assert_int_equal(e.code, FSCERT_ECRYPTO);
	assert_int_equal(e.ssl_err, 0);
	assert_non_null(strstr(e.msg, "sign"));
}

static void
long_message_is_truncated(void **state)
{
	struct fscert_err	 e;
	char			 big[1024];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fscert_err_clear(&e);
	(void)fscert_err_set(&e, FSCERT_EIO, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	errno = EIO;
	(void)fscert_err_sys(&e, FSCERT_EIO, "%s", big);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
}

static void
code_names(void **state)
{
	const char	*names[FSCERT__MAX];
	int		 i, j;

	(void)state;
	assert_string_equal(fscert_code_name(FSCERT_ESYMLINK),
	    "symlink-escape");
	for (i = 0; i < FSCERT__MAX; i++) {
		names[i] = fscert_code_name((enum fscert_code)i);
		assert_non_null(names[i]);
		assert_true(names[i][0] != '\0');
		for (j = 0; names[i][j] != '\0'; j++)
			assert_false(names[i][j] >= 'A' && names[i][j] <= 'Z');
		for (j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
	/* Out of range still yields a string. */
	assert_non_null(fscert_code_name(FSCERT__MAX));
	assert_non_null(fscert_code_name((enum fscert_code)-1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clear_resets),
		cmocka_unit_test(set_formats_and_returns_minus_one),
		cmocka_unit_test(sys_appends_strerror),
		cmocka_unit_test(sys_keeps_errno_of_the_failure),
		cmocka_unit_test(ssl_drains_queue),
		cmocka_unit_test(ssl_with_empty_queue),
		cmocka_unit_test(long_message_is_truncated),
		cmocka_unit_test(code_names),
	};

	fx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
