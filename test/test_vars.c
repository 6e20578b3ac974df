/*
 * test_vars.c: lib/vars.c, the vars fragment and its include line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fscert/vars.h"
#include "fixture.h"

#define SET(n, v)	"<X-PRE-PROCESS cmd=\"set\" data=\"" n "=" v "\"/>\n"
#define INC_LINE	"  <X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/>"

/* A vanilla FreeSWITCH vars.xml (abridged). */
static const char vanilla[] =
    "<include>\n"
    "  <!-- Preprocessor Variables -->\n"
    "  <X-PRE-PROCESS cmd=\"set\" data=\"default_password=1234\"/>\n"
    "  <X-PRE-PROCESS cmd=\"set\" data=\"domain=$${local_ip_v4}\"/>\n"
    "  <X-PRE-PROCESS cmd=\"set\" data=\"internal_ssl_enable=false\"/>\n"
    "</include>\n";

/* Render t into a NUL-terminated string (or NULL with e set). */
static char *
render(const struct fscert_target *t, struct fscert_err *e)
{
	struct fscert_buf	 b = { 0 };
	char			*s;

	fscert_err_clear(e);
	if (fscert_vars_render(t, "/etc/freeswitch/tls", &b, e) == -1) {
		assert_int_not_equal(e->code, FSCERT_OK);
		fscert_buf_free(&b);
		return NULL;
	}
	s = calloc(1, b.len + 1);
	assert_non_null(s);
	memcpy(s, b.data, b.len);
	fscert_buf_free(&b);
	return s;
}

static void
render_defaults(void **state)
{
	struct fscert_target	 t;
	struct fscert_err	 e;
	char			*s;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.vars = 1;
	s = render(&t, &e);
	if (s == NULL)
		fail_msg("render: %s", e.msg);
	assert_int_equal(strncmp(s, "<include>\n", 10), 0);
	assert_non_null(strstr(s, "\n" SET("internal_ssl_enable", "true")));
	assert_non_null(strstr(s,
	    "\n" SET("internal_ssl_dir", "/etc/freeswitch/tls")));
	assert_non_null(strstr(s, "\n" SET("internal_tls_port", "5061")));
	assert_non_null(strstr(s,
	    "\n" SET("sip_tls_version", "tlsv1.2,tlsv1.3")));
	assert_null(strstr(s, "sip_tls_ciphers"));
	assert_null(strstr(s, "external_"));
	assert_int_equal(strcmp(s + strlen(s) - 11, "</include>\n"), 0);
	free(s);
}

static void
render_configured(void **state)
{
	struct fscert_target	 t;
	struct fscert_err	 e;
	char			*s;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.vars = 1;
	t.internal_ssl_enable = "false";
	t.internal_tls_port = "5063";
	t.tls_version = "tlsv1.3";
	t.tls_ciphers = "ECDHE+AESGCM";
	t.external_ssl_enable = "true";
	t.external_tls_port = "5081";
	s = render(&t, &e);
	if (s == NULL)
		fail_msg("render: %s", e.msg);
	assert_non_null(strstr(s, SET("internal_ssl_enable", "false")));
	assert_non_null(strstr(s, SET("internal_tls_port", "5063")));
	assert_non_null(strstr(s, SET("sip_tls_version", "tlsv1.3")));
	assert_non_null(strstr(s, SET("sip_tls_ciphers", "ECDHE+AESGCM")));
	assert_non_null(strstr(s, SET("external_ssl_enable", "true")));
	assert_non_null(strstr(s,
	    SET("external_ssl_dir", "/etc/freeswitch/tls")));
	assert_non_null(strstr(s, SET("external_tls_port", "5081")));
	free(s);
}

static void
render_refusals(void **state)
{
	static const struct {
		const char	*field;
		const char	*value;
		const char	*why;
	} cases[] = {
		{ "port", "5061\"/><x", "'\"'" },
		{ "port", "5061\n", "line break" },
		{ "port", "$${x}", "'$${'" },
		{ "port", "50<61", "'<'" },
		{ "enable", "tr\"ue", "internal_ssl_enable" },
		{ "version", "tlsv1.2, tlsv1.3", "space" },
		{ "version", "tlsv1.2,tlsv9", "unknown token 'tlsv9'" },
		{ "version", "", "unknown token" },
		{ "ciphers", "NOPE", "NOPE" },
	};
	struct fscert_target	 t;
	struct fscert_err	 e;
	char			*s;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&t, 0, sizeof(t));
		t.vars = 1;
		if (strcmp(cases[i].field, "port") == 0)
			t.internal_tls_port = (char *)cases[i].value;
		else if (strcmp(cases[i].field, "enable") == 0)
			t.internal_ssl_enable = (char *)cases[i].value;
		else if (strcmp(cases[i].field, "version") == 0)
			t.tls_version = (char *)cases[i].value;
		else
			t.tls_ciphers = (char *)cases[i].value;
		s = render(&t, &e);
		if (s != NULL) {
			free(s);
			fail_msg("case %zu (%s): rendered", i, cases[i].value);
		}
		if (strstr(e.msg, cases[i].why) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, e.msg,
			    cases[i].why);
	}
}

/* Run fscert_vars_include on text; the result (NUL-terminated) or NULL. */
static char *
include(const char *text, enum fscert_include *what)
{
	struct fscert_buf	 b = { 0 };
	struct fscert_err	 e;
	char			*s;

	fscert_err_clear(&e);
	*what = FSCERT_INC_NONE;
	if (fscert_vars_include(text, strlen(text), "vars_fscert.xml", &b,
	    what, &e) != 0)
		fail_msg("include: %s", e.msg);
	if (*what != FSCERT_INC_ADDED) {
		assert_int_equal(b.len, 0);
		fscert_buf_free(&b);
		return NULL;
	}
	s = calloc(1, b.len + 1);
	assert_non_null(s);
	memcpy(s, b.data, b.len);
	fscert_buf_free(&b);
	return s;
}

static void
include_vanilla(void **state)
{
	enum fscert_include	 what;
	const char		*close;
	char			*s, *again;
	size_t			 pre;

	(void)state;
	s = include(vanilla, &what);
	assert_int_equal(what, FSCERT_INC_ADDED);
	assert_non_null(s);
	/* Byte for byte: the old text with one line before </include>. */
	close = strstr(vanilla, "</include>");
	pre = (size_t)(close - vanilla);
	assert_int_equal(strlen(s), strlen(vanilla) + strlen(INC_LINE "\n"));
	assert_memory_equal(s, vanilla, pre);
	assert_memory_equal(s + pre, INC_LINE "\n", strlen(INC_LINE "\n"));
	assert_string_equal(s + pre + strlen(INC_LINE "\n"), close);

	/* The result is left alone. */
	again = include(s, &what);
	assert_null(again);
	assert_int_equal(what, FSCERT_INC_PRESENT);
	free(s);
}

static void
include_crlf_kept(void **state)
{
	enum fscert_include	 what;
	char			*crlf, *s, *want;

	(void)state;
	crlf = fx_crlf(vanilla);
	s = include(crlf, &what);
	assert_int_equal(what, FSCERT_INC_ADDED);
	want = fx_crlf(
	    "<include>\n"
	    "  <!-- Preprocessor Variables -->\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"default_password=1234\"/>\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"domain=$${local_ip_v4}\"/>\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"internal_ssl_enable=false\"/>\n"
	    INC_LINE "\n"
	    "</include>\n");
	assert_string_equal(s, want);
	free(want);
	free(s);
	free(crlf);
}

static void
include_present_and_fusionpbx(void **state)
{
	static const char present[] =
	    "<include>\n"
	    "<X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/>\n"
	    "</include>\n";
	static const char fusion[] =
	    "<X-PRE-PROCESS cmd=\"set\" data=\"domain=pbx.example.test\" "
	    "category=\"Defaults\" enabled=\"true\"/>\n"
	    "<X-PRE-PROCESS cmd=\"set\" data=\"default_password=x\" "
	    "category=\"Defaults\" enabled=\"true\"/>\n";
	enum fscert_include	 what;

	(void)state;
	assert_null(include(present, &what));
	assert_int_equal(what, FSCERT_INC_PRESENT);
	assert_null(include(fusion, &what));
	assert_int_equal(what, FSCERT_INC_FUSIONPBX);
}

static void
include_without_close_appends(void **state)
{
	static const char noclose[] =
	    "<!-- hand-made -->\n"
	    "<include>\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"a=b\"/>\n";
	static const char noeol[] = "<!-- nothing here -->";
	enum fscert_include	 what;
	char			*s;

	(void)state;
	s = include(noclose, &what);
	assert_int_equal(what, FSCERT_INC_ADDED);
	assert_string_equal(s, "<!-- hand-made -->\n<include>\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"a=b\"/>\n" INC_LINE "\n");
	free(s);

	/* The last line gets its end before ours. */
	s = include(noeol, &what);
	assert_int_equal(what, FSCERT_INC_ADDED);
	assert_string_equal(s, "<!-- nothing here -->\n" INC_LINE "\n");
	free(s);
}

static void
include_commented_out_is_absent(void **state)
{
	/* One line, a block over lines, and a commented </include> after. */
	static const char one[] =
	    "<include>\n"
	    "  <!-- <X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/> -->\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"a=b\"/>\n"
	    "</include>\n"
	    "<!-- </include> -->\n";
	static const char block[] =
	    "<include>\n"
	    "<!--\n"
	    "<X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/>\n"
	    "-->\n"
	    "</include>\n";
	static const char after[] =
	    "<include>\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"a=b\"/>\n"
	    "<!-- old: --> <X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/>\n"
	    "</include>\n";
	enum fscert_include	 what;
	char			*s;

	(void)state;
	s = include(one, &what);
	assert_int_equal(what, FSCERT_INC_ADDED);
	assert_string_equal(s,
	    "<include>\n"
	    "  <!-- <X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/> -->\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"a=b\"/>\n"
	    INC_LINE "\n"
	    "</include>\n"
	    "<!-- </include> -->\n");
	free(s);

	s = include(block, &what);
	assert_int_equal(what, FSCERT_INC_ADDED);
	assert_string_equal(s,
	    "<include>\n"
	    "<!--\n"
	    "<X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/>\n"
	    "-->\n"
	    INC_LINE "\n"
	    "</include>\n");
	free(s);

	/* Outside the comment on the same line: present. */
	assert_null(include(after, &what));
	assert_int_equal(what, FSCERT_INC_PRESENT);
}

/* A comment never closed (found by fuzz_vars): refused, not edited. */
static void
include_unclosed_comment_refused(void **state)
{
	static const char text[] = "<include><!-- no end\n</include>\n";
	struct fscert_buf	 out = { 0 };
	enum fscert_include	 what = FSCERT_INC_NONE;
	struct fscert_err	 e;

	(void)state;
	fscert_err_clear(&e);
	assert_int_equal(fscert_vars_include(text, sizeof(text) - 1,
			     "vars_fscert.xml", &out, &what, &e),
	    -1);
	assert_int_equal(e.code, FSCERT_EPARSE);
	assert_non_null(strstr(e.msg, "vars.xml"));
	assert_non_null(strstr(e.msg, "never closed"));
	assert_null(out.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_defaults),
		cmocka_unit_test(render_configured),
		cmocka_unit_test(render_refusals),
		cmocka_unit_test(include_vanilla),
		cmocka_unit_test(include_crlf_kept),
		cmocka_unit_test(include_present_and_fusionpbx),
		cmocka_unit_test(include_without_close_appends),
		cmocka_unit_test(include_commented_out_is_absent),
		cmocka_unit_test(include_unclosed_comment_refused),
	};

	fx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
