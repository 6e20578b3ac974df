/*
 * test_config.c: lib/config.c, the INI configuration file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fscert/config.h"
#include "fixture.h"

/* Parse text as the file "test.conf" into c (initialised here). */
static int
parse_str(struct fscert_config *c, const char *text, struct fscert_err *e)
{
	FILE	*f;
	int	 rc;

	fscert_config_init(c);
	fscert_err_clear(e);
	f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	rc = fscert_config_parse(c, f, "test.conf", e);
	(void)fclose(f);
	return rc;
}

/* Write text to a fresh temp dir as fscert.conf with mode; load it. */
static int
load_str(struct fscert_config *c, const char *text, mode_t mode,
    struct fscert_err *e, char **tmp, char **path)
{
	*tmp = fx_tmpdir();
	*path = fx_path(*tmp, "fscert.conf");
	fx_write_str(*path, text, mode);
	fscert_config_init(c);
	fscert_err_clear(e);
	return fscert_config_load(c, *path, 0, e);
}

static void
defaults_after_init(void **state)
{
	struct fscert_config	 c;

	(void)state;
	fscert_config_init(&c);
	assert_null(c.path);
	assert_int_equal(c.ntargets, 0);
	assert_null(c.esl_host);
	assert_null(c.esl_password);
	assert_int_equal(c.esl_port, 8021);
	assert_int_equal(c.esl_timeout, 5);
	assert_int_equal(c.max_wait, 600);
	assert_int_equal(c.force_window_days, 3);
	assert_int_equal(c.force, 0);
	assert_int_equal(c.verify_timeout, 15);
	assert_int_equal(c.running_timeout, 120);
	assert_int_equal(c.warn_days, 20);
	assert_int_equal(c.crit_days, 10);
	fscert_config_free(&c);
}

static void
full_config_read(void **state)
{
	static const char text[] =
	    "# a comment\n"
	    "[target pbx]\n"
	    "lineage = /etc/letsencrypt/live/pbx.example.test\n"
	    "cert_dir = /etc/freeswitch/tls\n"
	    "conf_dir = /etc/freeswitch\n"
	    "host = sip.example.test wss.example.test\n"
	    "host = pbx.example.test\n"
	    "owner = freeswitch\n"
	    "group = daemon\n"
	    "vars = no\n"
	    "tls_version = tlsv1.3\n"
	    "tls_ciphers = HIGH\n"
	    "external_ssl_enable = true\n"
	    "external_tls_port = 5081\n"
	    "move_shadowing = yes\n"
	    "profile = internal external\n"
	    "verify = 127.0.0.1:5061\n"
	    "\n"
	    "[target other]\n"
	    "cert = /srv/c.pem\n"
	    "key = /srv/k.pem\n"
	    "cert_dir = /srv/tls\n"
	    "\n"
	    "[event_socket]\n"
	    "host = ::1\n"
	    "port = 8022\n"
	    "password = s3cret\n"
	    "timeout = 7\n"
	    "\n"
	    "[reload]\n"
	    "max_wait = 30\n"
	    "force_window_days = 2\n"
	    "force = on\n"
	    "verify_timeout = 40\n"
	    "running_timeout = 90\n"
	    "\n"
	    "[check]\n"
	    "warn_days = 30\n"
	    "crit_days = 7\n";
	struct fscert_config	 c;
	struct fscert_err	 e;
	struct fscert_target	*t;

	(void)state;
	if (parse_str(&c, text, &e) != 0)
		fail_msg("parse: %s", e.msg);
	assert_int_equal(c.ntargets, 2);

	t = fscert_config_target(&c, "pbx");
	assert_non_null(t);
	assert_string_equal(t->name, "pbx");
	assert_string_equal(t->lineage,
	    "/etc/letsencrypt/live/pbx.example.test");
	assert_string_equal(t->cert_dir, "/etc/freeswitch/tls");
	assert_string_equal(t->conf_dir, "/etc/freeswitch");
	assert_int_equal(t->nhosts, 3);
	assert_string_equal(t->hosts[0], "sip.example.test");
	assert_string_equal(t->hosts[1], "wss.example.test");
	assert_string_equal(t->hosts[2], "pbx.example.test");
	assert_string_equal(t->owner, "freeswitch");
	assert_string_equal(t->group, "daemon");
	assert_int_equal(t->vars, 0);
	assert_string_equal(t->tls_version, "tlsv1.3");
	assert_string_equal(t->tls_ciphers, "HIGH");
	assert_string_equal(t->external_ssl_enable, "true");
	assert_string_equal(t->external_tls_port, "5081");
	assert_int_equal(t->move_shadowing, 1);
	assert_int_equal(t->nprofiles, 2);
	assert_string_equal(t->profiles[0], "internal");
	assert_string_equal(t->profiles[1], "external");
	assert_int_equal(t->nverify, 1);
	assert_string_equal(t->verify[0], "127.0.0.1:5061");
	assert_null(t->vars_file);
	assert_null(t->internal_tls_port);

	t = fscert_config_target(&c, "other");
	assert_non_null(t);
	assert_null(t->lineage);
	assert_string_equal(t->cert, "/srv/c.pem");
	assert_string_equal(t->key, "/srv/k.pem");
	assert_int_equal(t->vars, 1);		/* the default */
	assert_int_equal(t->nhosts, 0);
	assert_null(fscert_config_target(&c, "nope"));

	assert_string_equal(c.esl_host, "::1");
	assert_int_equal(c.esl_port, 8022);
	assert_string_equal(c.esl_password, "s3cret");
	assert_int_equal(c.esl_timeout, 7);
	assert_int_equal(c.max_wait, 30);
	assert_int_equal(c.force_window_days, 2);
	assert_int_equal(c.force, 1);
	assert_int_equal(c.verify_timeout, 40);
	assert_int_equal(c.running_timeout, 90);
	assert_int_equal(c.warn_days, 30);
	assert_int_equal(c.crit_days, 7);
	fscert_config_free(&c);
	assert_int_equal(c.ntargets, 0);
	assert_null(c.esl_password);
}

/* Each text fails at line, the message holding "test.conf:LINE:" and why. */
static void
errors_name_file_and_line(void **state)
{
	static const struct {
		const char	*text;
		int		 line;
		const char	*why;
	} cases[] = {
		{ "[check]\nwarn_days = 5\n[bogus]\nx = 1\n", 4,
		    "unknown section [bogus]" },
		{ "[reload]\nmax_wait = 5\nmaxwait = 6\n", 3,
		    "unknown key 'maxwait'" },
		{ "[event_socket]\nport = 80x\n", 2, "'port' must be a number" },
		{ "[event_socket]\nport = 70000\n", 2,
		    "'port' must be a number" },
		{ "[reload]\nverify_timeout = -1\n", 2,
		    "'verify_timeout' must be a number" },
		{ "[reload]\nforce = maybe\n", 2, "'force' must be yes or no" },
		{ "[target a]\nvars = 2\n", 2, "'vars' must be yes or no" },
		{ "\n[target]\ncert_dir = /x\n", 3, "[target] needs a name" },
		{ "[target a]\ncert_dir = /x\n  /y\n", 3, "'cert_dir' given twice" },
		{ "[target a]\ncert_dir = /x\ncert_dir = /y\n", 3,
		    "'cert_dir' given twice" },
		{ "warn_days = 5\n", 1, "outside any section" },
	};
	struct fscert_config	 c;
	struct fscert_err	 e;
	char			 want[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse_str(&c, cases[i].text, &e) != -1)
			fail_msg("case %zu: accepted", i);
		(void)snprintf(want, sizeof(want), "test.conf:%d: ",
		    cases[i].line);
		if (strncmp(e.msg, want, strlen(want)) != 0 ||
		    strstr(e.msg, cases[i].why) == NULL)
			fail_msg("case %zu: '%s', expected '%s%s...'", i, e.msg,
			    want, cases[i].why);
		assert_int_equal(e.code, FSCERT_EPARSE);
		fscert_config_free(&c);
	}
}

static void
password_needs_private_file(void **state)
{
	static const char text[] =
	    "[event_socket]\npassword = ClueCon\n";
	struct fscert_config	 c;
	struct fscert_err	 e;
	char			*tmp, *path;

	(void)state;
	assert_int_equal(load_str(&c, text, 0644, &e, &tmp, &path), -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "0644"));
	fscert_config_free(&c);

	/* The same text, owner-only: read, and the path is kept. */
	fx_write_str(path, text, 0600);
	assert_int_equal(chmod(path, 0600), 0);
	fscert_config_init(&c);
	fscert_err_clear(&e);
	if (fscert_config_load(&c, path, 0, &e) != 0)
		fail_msg("0600: %s", e.msg);
	assert_string_equal(c.esl_password, "ClueCon");
	assert_string_equal(c.path, path);
	fscert_config_free(&c);

	/* Without a password, a 0644 file is fine. */
	fx_write_str(path, "[check]\nwarn_days = 9\n", 0644);
	assert_int_equal(chmod(path, 0644), 0);
	fscert_config_init(&c);
	if (fscert_config_load(&c, path, 0, &e) != 0)
		fail_msg("0644 without password: %s", e.msg);
	assert_int_equal(c.warn_days, 9);
	fscert_config_free(&c);
	fx_rmtree(tmp);
	free(path);
	free(tmp);
}

static void
same_vars_fragment_refused(void **state)
{
	static const char both[] =
	    "[target a]\ncert_dir = /a\nconf_dir = /etc/freeswitch\n"
	    "[target b]\ncert_dir = /b\nconf_dir = /etc/freeswitch\n";
	static const char one_off[] =
	    "[target a]\ncert_dir = /a\nconf_dir = /etc/freeswitch\n"
	    "[target b]\ncert_dir = /b\nconf_dir = /etc/freeswitch\n"
	    "vars = no\n";
	static const char other_file[] =
	    "[target a]\ncert_dir = /a\nconf_dir = /etc/freeswitch\n"
	    "[target b]\ncert_dir = /b\nconf_dir = /etc/freeswitch\n"
	    "vars_file = vars_b.xml\n";
	struct fscert_config	 c;
	struct fscert_err	 e;
	char			*tmp, *path;

	(void)state;
	assert_int_equal(load_str(&c, both, 0644, &e, &tmp, &path), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "'a'"));
	assert_non_null(strstr(e.msg, "'b'"));
	fscert_config_free(&c);
	fx_rmtree(tmp);
	free(path);
	free(tmp);

	if (load_str(&c, one_off, 0644, &e, &tmp, &path) != 0)
		fail_msg("vars = no: %s", e.msg);
	assert_int_equal(c.ntargets, 2);
	fscert_config_free(&c);
	fx_rmtree(tmp);
	free(path);
	free(tmp);

	if (load_str(&c, other_file, 0644, &e, &tmp, &path) != 0)
		fail_msg("vars_file: %s", e.msg);
	fscert_config_free(&c);
	fx_rmtree(tmp);
	free(path);
	free(tmp);
}

static void
same_cert_dir_refused(void **state)
{
	static const char both[] =
	    "[target a]\ncert_dir = /nonexistent/tls\n"
	    "[target b]\ncert_dir = /nonexistent/tls/\n";
	struct fscert_config	 c;
	struct fscert_err	 e;
	char			*tmp, *path, *dir, *link, *text;

	(void)state;
	/* Not there: the paths are compared as written. */
	assert_int_equal(load_str(&c, both, 0644, &e, &tmp, &path), -1);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "'a'"));
	assert_non_null(strstr(e.msg, "'b'"));
	assert_non_null(strstr(e.msg, "/nonexistent/tls"));
	fscert_config_free(&c);

	/* There: a symlink to the same directory is the same directory. */
	dir = fx_path(tmp, "tls");
	link = fx_path(tmp, "link");
	fx_mkdirs(dir);
	assert_int_equal(symlink(dir, link), 0);
	text = fx_cat("[target a]\ncert_dir = ", dir, "\n[target b]\n",
	    "cert_dir = ", link, "\n", (char *)NULL);
	fx_write_str(path, text, 0644);
	fscert_config_init(&c);
	fscert_err_clear(&e);
	assert_int_equal(fscert_config_load(&c, path, 0, &e), -1);
	assert_non_null(strstr(e.msg, "'a'"));
	assert_non_null(strstr(e.msg, "'b'"));
	assert_non_null(strstr(e.msg, dir));
	fscert_config_free(&c);
	free(text);

	/* Two directories: fine. */
	text = fx_cat("[target a]\ncert_dir = ", dir, "\n[target b]\n",
	    "cert_dir = ", tmp, "\n", (char *)NULL);
	fx_write_str(path, text, 0644);
	fscert_config_init(&c);
	if (fscert_config_load(&c, path, 0, &e) != 0)
		fail_msg("two dirs: %s", e.msg);
	assert_int_equal(c.ntargets, 2);
	fscert_config_free(&c);
	free(text);
	fx_rmtree(tmp);
	free(link);
	free(dir);
	free(path);
	free(tmp);
}

static void
missing_file(void **state)
{
	struct fscert_config	 c;
	struct fscert_err	 e;
	char			*tmp, *path;

	(void)state;
	tmp = fx_tmpdir();
	path = fx_path(tmp, "absent.conf");
	fscert_config_init(&c);
	fscert_err_clear(&e);
	assert_int_equal(fscert_config_load(&c, path, 1, &e), 0);
	assert_int_equal(c.esl_port, 8021);
	assert_null(c.path);
	assert_int_equal(fscert_config_load(&c, path, 0, &e), -1);
	assert_int_equal(e.code, FSCERT_ENOENT);
	assert_non_null(strstr(e.msg, path));
	fscert_config_free(&c);
	fx_rmtree(tmp);
	free(path);
	free(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_after_init),
		cmocka_unit_test(full_config_read),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(password_needs_private_file),
		cmocka_unit_test(same_vars_fragment_refused),
		cmocka_unit_test(same_cert_dir_refused),
		cmocka_unit_test(missing_file),
	};

	fx_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
