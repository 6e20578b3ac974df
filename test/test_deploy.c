/*
 * test_deploy.c: lib/deploy.c, the pipeline for one target.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fscert/deploy.h"
#include "fixture.h"

#define INC_LINE \
	"  <X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/>\n"

static const char vanilla[] =
    "<include>\n"
    "  <X-PRE-PROCESS cmd=\"set\" data=\"default_password=1234\"/>\n"
    "</include>\n";

/* One certbot lineage for sip.example.test, shared by every case. */
static struct fx_pki	 pki;
static char		*base;
static char		*live;
static char		*ca_file;

static int
group_setup(void **state)
{
	struct fx_files	 f;
	char		*t;

	(void)state;
	fx_pki_init(&pki, fx_key_ec("P-256", 2));
	base = fx_tmpdir();
	fx_files_std(&f, &pki, FX_KEY_PKCS8);
	live = fx_live(base, "sip.example.test", &f);
	fx_files_free(&f);
	ca_file = fx_path(base, "root.pem");
	t = fx_pem_certs(pki.root, (X509 *)NULL);
	fx_write_str(ca_file, t, 0644);
	free(t);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	fx_rmtree(base);
	free(base);
	free(live);
	free(ca_file);
	fx_pki_free(&pki);
	return 0;
}

/* A temp dir with cert/ and conf/ (holding a vanilla vars.xml). */
struct env {
	char			*tmp;
	char			*cert_dir;
	char			*conf_dir;
	char			*host;
	struct fscert_target	 t;
	struct fscert_config	 c;
};

static int
setup(void **state)
{
	struct env	*v;
	char		*p;

	v = calloc(1, sizeof(*v));
	assert_non_null(v);
	v->tmp = fx_tmpdir();
	v->cert_dir = fx_path(v->tmp, "cert");
	v->conf_dir = fx_path(v->tmp, "conf");
	fx_mkdirs(v->cert_dir);
	fx_mkdirs(v->conf_dir);
	p = fx_path(v->conf_dir, "vars.xml");
	fx_write_str(p, vanilla, 0644);
	free(p);
	v->host = strdup(FX_LEAF_CN);
	v->t.name = (char *)"pbx";
	v->t.lineage = live;
	v->t.cert_dir = v->cert_dir;
	v->t.conf_dir = v->conf_dir;
	v->t.ca_file = ca_file;
	v->t.hosts[0] = v->host;
	v->t.nhosts = 1;
	v->t.vars = 1;
	fscert_config_init(&v->c);
	*state = v;
	return 0;
}

static int
teardown(void **state)
{
	struct env	*v = *state;

	fx_rmtree(v->tmp);
	free(v->tmp);
	free(v->cert_dir);
	free(v->conf_dir);
	free(v->host);
	free(v);
	return 0;
}

static int
deploy(struct env *v, const struct fscert_deploy_opts *o,
    struct fscert_deploy_result *res, struct fscert_err *e)
{
	fscert_err_clear(e);
	return fscert_deploy(&v->t, &v->c, o, res, e);
}

static char *
read_in(const char *dir, const char *name)
{
	char	*p, *t;

	p = fx_path(dir, name);
	t = fx_read(p, NULL);
	free(p);
	return t;
}

static mode_t
mode_of(const char *dir, const char *name)
{
	struct stat	 st;
	char		*p;

	p = fx_path(dir, name);
	if (lstat(p, &st) != 0)
		fail_msg("%s: missing", p);
	free(p);
	return st.st_mode & 07777;
}

static void
first_deploy_then_current(void **state)
{
	struct env			*v = *state;
	struct fscert_deploy_opts	 o;
	struct fscert_deploy_result	 res;
	struct fscert_err		 e;
	char				*t, *sha, *want;

	memset(&o, 0, sizeof(o));
	if (deploy(v, &o, &res, &e) != 0)
		fail_msg("deploy: %s", e.msg);
	assert_int_equal(res.status, FSCERT_DEPLOY_DONE);
	assert_string_equal(fscert_deploy_status_name(res.status), "deployed");
	assert_int_equal(res.files_changed, 1);
	assert_int_equal(res.vars_changed, 1);
	assert_int_equal(res.include, FSCERT_INC_ADDED);
	assert_int_equal(res.include_checked, 1);
	assert_int_equal(res.vars_xml_missing, 0);
	sha = fx_hex_sha256(pki.leaf);
	assert_string_equal(res.leaf_sha256, sha);
	free(sha);
	fscert_deploy_result_free(&res);

	t = fx_listdir(v->cert_dir);
	assert_string_equal(t, ".fscert,agent.pem,cafile.pem,wss.pem");
	free(t);
	assert_int_equal(mode_of(v->cert_dir, "agent.pem"), 0600);
	assert_int_equal(mode_of(v->cert_dir, "cafile.pem"), 0644);
	/* The admin's vars.xml is kept, owner-only, before the edit. */
	t = read_in(v->conf_dir, "vars.xml.fscert-bak");
	assert_string_equal(t, vanilla);
	free(t);
	assert_int_equal(mode_of(v->conf_dir, "vars.xml.fscert-bak"), 0600);
	t = read_in(v->conf_dir, "vars.xml");
	want = fx_cat("<include>\n"
	    "  <X-PRE-PROCESS cmd=\"set\" data=\"default_password=1234\"/>\n",
	    INC_LINE, "</include>\n", (char *)NULL);
	assert_string_equal(t, want);
	free(want);
	free(t);
	t = read_in(v->conf_dir, "vars_fscert.xml");
	assert_non_null(strstr(t, "internal_ssl_dir="));
	assert_non_null(strstr(t, "/cert\"/>"));
	free(t);

	/* Again: nothing to do. */
	if (deploy(v, &o, &res, &e) != 0)
		fail_msg("second deploy: %s", e.msg);
	assert_int_equal(res.status, FSCERT_DEPLOY_CURRENT);
	assert_string_equal(fscert_deploy_status_name(res.status), "current");
	assert_int_equal(res.files_changed, 0);
	assert_int_equal(res.vars_changed, 0);
	assert_int_equal(res.include, FSCERT_INC_PRESENT);
	fscert_deploy_result_free(&res);
}

static void
mark_pending_only_on_change(void **state)
{
	struct env			*v = *state;
	struct fscert_deploy_opts	 o;
	struct fscert_deploy_result	 res;
	struct fscert_err		 e;
	int				 vars = -1;

	memset(&o, 0, sizeof(o));
	o.mark_pending = 1;
	if (deploy(v, &o, &res, &e) != 0)
		fail_msg("deploy: %s", e.msg);
	assert_int_equal(res.status, FSCERT_DEPLOY_DONE);
	assert_int_equal(res.files_changed, 1);
	assert_int_equal(res.vars_changed, 1);
	assert_int_equal(res.include, FSCERT_INC_ADDED);
	fscert_deploy_result_free(&res);
	assert_int_equal(fscert_install_pending(v->cert_dir, &vars), 1);
	assert_int_equal(vars, 1);

	/* The caller clears it once served; a no-op does not set it. */
	assert_int_equal(fscert_install_set_pending(v->cert_dir, 0, 0, &e), 0);
	if (deploy(v, &o, &res, &e) != 0)
		fail_msg("second deploy: %s", e.msg);
	assert_int_equal(res.status, FSCERT_DEPLOY_CURRENT);
	fscert_deploy_result_free(&res);
	assert_int_equal(fscert_install_pending(v->cert_dir, &vars), 0);
}

static void
refused_lineage_writes_nothing(void **state)
{
	struct env			*v = *state;
	struct fscert_deploy_opts	 o;
	struct fscert_deploy_result	 res;
	struct fscert_err		 e;
	char				*t;

	free(v->host);
	v->host = strdup("other.example.test");
	v->t.hosts[0] = v->host;
	memset(&o, 0, sizeof(o));
	assert_int_equal(deploy(v, &o, &res, &e), -1);
	assert_int_equal(res.status, FSCERT_DEPLOY_REFUSED);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(res.report);
	assert_true(res.report->refused);
	assert_non_null(strstr(e.msg, v->cert_dir));
	fscert_deploy_result_free(&res);
	assert_null(res.report);
	t = fx_listdir(v->cert_dir);
	assert_string_equal(t, "");
	free(t);
	t = fx_listdir(v->conf_dir);
	assert_string_equal(t, "vars.xml");
	free(t);
}

/*
 * Issue 8 #7: key_types = rsa (a fleet of older desk phones) refuses
 * certbot's default ECDSA lineage, from the target or from [check]; the
 * default takes it with a note that leaves the status OK.
 */
static void
key_types_rsa_refuses_ecdsa(void **state)
{
	struct env			*v = *state;
	struct fscert_deploy_opts	 o;
	struct fscert_deploy_result	 res;
	struct fscert_err		 e;
	char				*t;
	size_t				 i;
	int				 pass, noted;

	memset(&o, 0, sizeof(o));
	o.dry_run = 1;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			v->t.key_types = (char *)"rsa";
		else {
			v->t.key_types = NULL;
			v->c.key_types = strdup("rsa");
		}
		assert_int_equal(deploy(v, &o, &res, &e), -1);
		assert_int_equal(res.status, FSCERT_DEPLOY_REFUSED);
		assert_non_null(strstr(e.msg, v->cert_dir));
		assert_true(res.report->refused);
		fscert_deploy_result_free(&res);
	}
	free(v->c.key_types);
	v->c.key_types = NULL;
	t = fx_listdir(v->cert_dir);
	assert_string_equal(t, "");
	free(t);

	/* The default: deployed, the ECDSA finding only a note. */
	assert_int_equal(deploy(v, &o, &res, &e), 0);
	assert_int_equal(res.report->worst, FSCERT_SEV_OK);
	noted = 0;
	for (i = 0; i < res.report->nfindings; i++)
		if (strstr(res.report->findings[i].msg, "ECDSA") != NULL &&
		    res.report->findings[i].sev == FSCERT_SEV_OK)
			noted = 1;
	assert_true(noted);
	fscert_deploy_result_free(&res);
}

static void
bad_ciphers_write_nothing(void **state)
{
	struct env			*v = *state;
	struct fscert_deploy_opts	 o;
	struct fscert_deploy_result	 res;
	struct fscert_err		 e;
	char				*t;

	v->t.tls_ciphers = (char *)"NOPE";
	memset(&o, 0, sizeof(o));
	assert_int_equal(deploy(v, &o, &res, &e), -1);
	assert_int_equal(res.status, FSCERT_DEPLOY_FAILED);
	assert_non_null(strstr(e.msg, "NOPE"));
	fscert_deploy_result_free(&res);
	t = fx_listdir(v->cert_dir);
	assert_string_equal(t, "");
	free(t);
	t = fx_listdir(v->conf_dir);
	assert_string_equal(t, "vars.xml");
	free(t);
	v->t.tls_ciphers = NULL;
}

static void
target_matches(void **state)
{
	struct env	*v = *state;
	char		*slash, *link, *other;

	slash = fx_cat(live, "/", (char *)NULL);
	link = fx_path(v->tmp, "live-link");
	assert_int_equal(symlink(live, link), 0);
	other = fx_path(base, "sip.example.test-0001");

	assert_int_equal(fscert_target_matches(&v->t, live), 1);
	assert_int_equal(fscert_target_matches(&v->t, slash), 1);
	assert_int_equal(fscert_target_matches(&v->t, link), 1);
	assert_int_equal(fscert_target_matches(&v->t, other), 0);
	assert_int_equal(fscert_target_matches(&v->t, base), 0);
	v->t.lineage = NULL;
	assert_int_equal(fscert_target_matches(&v->t, live), 0);
	v->t.lineage = live;
	free(slash);
	free(link);
	free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_deploy_then_current,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(mark_pending_only_on_change,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(refused_lineage_writes_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(key_types_rsa_refuses_ecdsa,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ciphers_write_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(target_matches, setup,
		    teardown),
	};
	int	 rc;

	fx_init();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	fx_pool_free();
	return rc;
}
