/*
 * test_fsconf.c: lib/fsconf.c (who reads certificates from where, out of
 * FreeSWITCH's preprocessed configuration), the verto status parser, and
 * the verto files fscert writes (fscert_install_extras).
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

#include "fscert/fsconf.h"
#include "fscert/install.h"
#include "fscert/reload.h"

/*
 * sofia.conf as "xml_locate" returns it (1.11.2-07, abridged: the blank
 * lines the preprocessor leaves, and most params, cut), with a gateway
 * whose params must not count and an "external" profile without TLS.
 */
#define SOFIA_HEAD                                                      \
	"<configuration name=\"sofia.conf\" description=\"sofia "       \
	"Endpoint\">\n\n    <global_settings>\n        <param "         \
	"name=\"log-level\" value=\"0\"></param>\n  "                   \
	"</global_settings>\n    <profiles>\n"
#define PROFILE(name, params)                                           \
	"    <profile name=\"" name "\">\n        <gateways>\n"         \
	"          <gateway name=\"gw\"><param name=\"tls-cert-dir\" "  \
	"value=\"/gw\"></param><param name=\"tls\" "                    \
	"value=\"true\"></param></gateway>\n        </gateways>\n"      \
	"        <settings>\n" params "  </settings>\n    </profile>\n"
#define PARAM(n, v) "            <param name=\"" n "\" value=\"" v "\"></param>\n"
#define SOFIA_TAIL "  </profiles>\n</configuration>\n"

/* The vanilla internal.xml: tls on, tls-cert-dir commented out. */
static const char sofia_vanilla[] = SOFIA_HEAD PROFILE("internal",
    PARAM("tls", "true") PARAM("tls-sip-port", "5061")
	PARAM("tls-verify-policy", "none") PARAM("wss-binding", ":7443"))
    PROFILE("external", PARAM("tls", "false") PARAM("sip-port", "5080"))
	SOFIA_TAIL;

/* Two TLS profiles, each with a directory of its own. */
static const char sofia_two_dirs[] = SOFIA_HEAD PROFILE("internal",
    PARAM("tls", "true") PARAM("tls-cert-dir", "/etc/fs/tls-int"))
    PROFILE("external",
	PARAM("tls", "yes") PARAM("tls-cert-dir", "/etc/fs/tls-ext")
	    PARAM("tls-verify-policy", "all")) SOFIA_TAIL;

#define VERTO(params)                                                   \
	"<configuration name=\"verto.conf\" description=\"HTML5 Verto " \
	"Endpoint\">\n    <settings>\n        <param name=\"debug\" "   \
	"value=\"0\"></param>\n  </settings>\n    <profiles>\n"         \
	"        <profile name=\"default-v4\">\n"                       \
	"            <param name=\"bind-local\" "                       \
	"value=\"127.0.0.1:8081\"></param>\n"                           \
	"            <param name=\"bind-local\" value=\"127.0.0.1:8082\" " \
	"secure=\"true\"></param>\n" params "    </profile>\n"        \
	"  </profiles>\n</configuration>\n"

static void
load(struct fscert_fsconf *fc, const char *sofia, const char *verto)
{
	struct fscert_err e;

	memset(fc, 0, sizeof(*fc));
	(void)snprintf(fc->certs_dir, sizeof(fc->certs_dir),
	    "/usr/local/freeswitch/certs");
	fscert_err_clear(&e);
	if (sofia != NULL && fscert_fsconf_sofia(fc, sofia, &e) == -1)
		fail_msg("sofia.conf: %s", e.msg);
	if (verto != NULL && fscert_fsconf_verto(fc, verto, &e) == -1)
		fail_msg("verto.conf: %s", e.msg);
}

static int
check(const struct fscert_fsconf *fc, const char *dir, const char **prof,
    size_t np, struct fscert_extra *x, size_t *nx, int *vp,
    struct fscert_err *e)
{
	fscert_err_clear(e);
	return fscert_fsconf_check(fc, dir, prof, np, "pbx", x, nx, vp, e);
}

/* Without tls-cert-dir, a profile reads FreeSWITCH's certs_dir. */
static void
vanilla_reads_certs_dir(void **state)
{
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	struct fscert_fsconf fc;
	struct fscert_err e;
	size_t nx;
	int vp;

	(void)state;
	load(&fc, sofia_vanilla, NULL);
	assert_int_equal(fc.n, 1); /* external has no TLS: not a reader */
	assert_string_equal(fc.c[0].name, "internal");
	assert_string_equal(fc.c[0].dir, "/usr/local/freeswitch/certs");
	assert_string_equal(fc.c[0].source, "certs_dir");
	assert_int_equal(fc.c[0].tls, 1);
	assert_int_equal(fc.c[0].wss, 1);

	/* Installing elsewhere is refused, naming both and the fix. */
	assert_int_equal(check(&fc, "/etc/freeswitch/tls", NULL, 0, x, &nx,
			     &vp, &e),
	    -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(strstr(e.msg, "profile internal reads "
				      "/usr/local/freeswitch/certs"));
	assert_non_null(strstr(e.msg, "/etc/freeswitch/tls"));
	assert_non_null(
	    strstr(e.msg, "cert_dir = /usr/local/freeswitch/certs"));
	assert_non_null(strstr(e.msg, "tls-cert-dir"));

	/* Installing there is right; the trailing slash does not matter. */
	assert_int_equal(check(&fc, "/usr/local/freeswitch/certs/", NULL, 0,
			     x, &nx, &vp, &e),
	    0);
	assert_int_equal(nx, 0);
	assert_int_equal(vp, 0);
}

/* Two profiles in two directories: one target each, or refused. */
static void
two_profiles_two_dirs(void **state)
{
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	const char *in[] = { "internal" }, *ex[] = { "external" };
	struct fscert_fsconf fc;
	struct fscert_err e;
	size_t nx;
	int vp;

	(void)state;
	load(&fc, sofia_two_dirs, NULL);
	assert_int_equal(fc.n, 2);
	assert_string_equal(fc.c[0].dir, "/etc/fs/tls-int");
	assert_string_equal(fc.c[0].source, "tls-cert-dir");
	assert_string_equal(fc.c[1].dir, "/etc/fs/tls-ext");

	/* One target for both: the profile elsewhere is named. */
	assert_int_equal(
	    check(&fc, "/etc/fs/tls-int", NULL, 0, x, &nx, &vp, &e), -1);
	assert_non_null(strstr(e.msg, "profile external reads "
				      "/etc/fs/tls-ext (its tls-cert-dir)"));
	assert_non_null(strstr(e.msg, "profile = NAME"));

	/* A target per profile: each fine; external verifies peers. */
	assert_int_equal(
	    check(&fc, "/etc/fs/tls-int", in, 1, x, &nx, &vp, &e), 0);
	assert_int_equal(vp, 0);
	assert_int_equal(
	    check(&fc, "/etc/fs/tls-ext", ex, 1, x, &nx, &vp, &e), 0);
	assert_int_equal(vp, 1);
}

/* Vanilla verto: secure-combined = secure-chain = certs_dir/wss.pem. */
static void
verto_vanilla_needs_nothing_more(void **state)
{
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	struct fscert_fsconf fc;
	struct fscert_err e;
	size_t nx;
	int vp;

	(void)state;
	load(&fc, sofia_vanilla,
	    VERTO(PARAM("secure-combined", "/usr/local/freeswitch/certs/wss.pem")
		    PARAM("secure-chain",
			"/usr/local/freeswitch/certs/wss.pem")));
	assert_int_equal(fc.n, 2);
	assert_int_equal(fc.c[1].kind, FSCERT_CONSUMER_VERTO);
	assert_string_equal(fc.c[1].name, "default-v4");
	assert_int_equal(fc.c[1].nbind, 1);
	assert_string_equal(fc.c[1].bind[0], "127.0.0.1:8082");
	assert_string_equal(fc.c[1].source, "secure-combined");
	assert_int_equal(check(&fc, "/usr/local/freeswitch/certs", NULL, 0, x,
			     &nx, &vp, &e),
	    0);
	assert_int_equal(nx, 0);
}

/* verto's own file names are written, each in its role. */
static void
verto_files_of_its_own(void **state)
{
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	const char *vp_only[] = { "default-v4" };
	struct fscert_fsconf fc;
	struct fscert_err e;
	size_t nx;
	int vp;

	(void)state;
	load(&fc, NULL,
	    VERTO(PARAM("secure-combined", "/d/verto.pem")
		    PARAM("secure-chain", "/d/verto.pem")));
	assert_int_equal(check(&fc, "/d", NULL, 0, x, &nx, &vp, &e), 0);
	assert_int_equal(nx, 1);
	assert_string_equal(x[0].name, "verto.pem");
	assert_int_equal(x[0].role, FSCERT_EXTRA_COMBINED);

	load(&fc, NULL,
	    VERTO(PARAM("secure-cert", "/d/v.crt") PARAM("secure-key", "/d/v.key")
		    PARAM("secure-chain", "/d/v-chain.pem")));
	assert_string_equal(fc.c[0].source, "secure-cert");
	assert_int_equal(check(&fc, "/d", vp_only, 1, x, &nx, &vp, &e), 0);
	assert_int_equal(nx, 3);
	assert_string_equal(x[0].name, "v.crt");
	assert_int_equal(x[0].role, FSCERT_EXTRA_CERT);
	assert_string_equal(x[1].name, "v.key");
	assert_int_equal(x[1].role, FSCERT_EXTRA_KEY);
	assert_string_equal(x[2].name, "v-chain.pem");
	assert_int_equal(x[2].role, FSCERT_EXTRA_CERT);

	/* A key in agent.pem is fine (it holds leaf and key). */
	load(&fc, NULL,
	    VERTO(PARAM("secure-combined", "/d/agent.pem")
		    PARAM("secure-chain", "/d/wss.pem")));
	assert_int_equal(check(&fc, "/d", NULL, 0, x, &nx, &vp, &e), 0);
	assert_int_equal(nx, 0);
}

/* What verto could not serve, or reads elsewhere, is refused. */
static void
verto_refusals(void **state)
{
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	struct fscert_fsconf fc;
	struct fscert_err e;
	size_t nx;
	int vp;

	(void)state;
	load(&fc, NULL,
	    VERTO(PARAM("secure-combined", "/other/wss.pem")
		    PARAM("secure-chain", "/other/wss.pem")));
	assert_int_equal(check(&fc, "/d", NULL, 0, x, &nx, &vp, &e), -1);
	assert_non_null(strstr(e.msg, "verto profile default-v4 reads "
				      "/other/wss.pem (secure-combined)"));
	assert_non_null(strstr(e.msg, "cert_dir = /other"));

	/* No chain: the leaf alone would be served. */
	load(&fc, NULL, VERTO(PARAM("secure-combined", "/d/wss.pem")));
	assert_int_equal(check(&fc, "/d", NULL, 0, x, &nx, &vp, &e), -1);
	assert_non_null(strstr(e.msg, "no secure-chain"));

	/* agent.pem holds no intermediate; cafile.pem no leaf. */
	load(&fc, NULL,
	    VERTO(PARAM("secure-combined", "/d/wss.pem")
		    PARAM("secure-chain", "/d/agent.pem")));
	assert_int_equal(check(&fc, "/d", NULL, 0, x, &nx, &vp, &e), -1);
	assert_non_null(strstr(e.msg, "holds no intermediate"));
	load(&fc, NULL,
	    VERTO(PARAM("secure-combined", "/d/cafile.pem")
		    PARAM("secure-chain", "/d/wss.pem")));
	assert_int_equal(check(&fc, "/d", NULL, 0, x, &nx, &vp, &e), -1);

	/* A secure binding with no certificate at all. */
	load(&fc, NULL, VERTO(PARAM("secure-key", "/d/k.pem")));
	assert_int_equal(check(&fc, "/d", NULL, 0, x, &nx, &vp, &e), -1);
	assert_non_null(strstr(e.msg, "no secure-cert"));

	/* A target naming only sofia profiles leaves verto alone. */
	{
		const char *in[] = { "internal" };

		assert_int_equal(
		    check(&fc, "/d", in, 1, x, &nx, &vp, &e), 0);
	}
}

static void
not_the_configuration(void **state)
{
	struct fscert_fsconf fc;
	struct fscert_err e;

	(void)state;
	memset(&fc, 0, sizeof(fc));
	fscert_err_clear(&e);
	assert_int_equal(fscert_fsconf_sofia(&fc, "<configuration", &e), -1);
	assert_non_null(strstr(e.msg, "xml_locate sofia.conf: not XML"));
	assert_int_equal(fscert_fsconf_sofia(&fc,
			     "<configuration name=\"verto.conf\"/>", &e),
	    -1);
	assert_int_equal(fc.have_sofia, 0);
}

/* 1.11.2-06: one wss binding, one client; 1.10.12-09: not loaded. */
static void
verto_status(void **state)
{
	static const char body[] =
	    "                     Name\t   Type\t                          "
	    "            Data\tState\n"
	    "=============================================================="
	    "===================================\n"
	    "               default-v4\tprofile\t                        "
	    "ws:127.0.0.1:28081\tRUNNING\n"
	    "               default-v4\tprofile\t                       "
	    "wss:127.0.0.1:28082\tRUNNING\n"
	    "            default-v4::@\tclient\t                           "
	    "127.0.0.1:56596\tCONN_NO_REG (WSS)\n"
	    "=============================================================="
	    "===================================\n"
	    "1 profile , 1 client\n";
	struct fscert_vertostatus vs;
	struct fscert_err e;

	(void)state;
	fscert_err_clear(&e);
	assert_int_equal(fscert_verto_status_parse(body, &vs, &e), 0);
	assert_int_equal(vs.loaded, 1);
	assert_int_equal(vs.nbinds, 1);
	assert_string_equal(vs.binds[0].profile, "default-v4");
	assert_string_equal(vs.binds[0].host, "127.0.0.1");
	assert_int_equal(vs.binds[0].port, 28082);
	assert_int_equal(vs.binds[0].running, 1);
	assert_int_equal(vs.clients, 1);

	assert_int_equal(fscert_verto_status_parse(
			     "-ERR verto Command not found!\n", &vs, &e),
	    0);
	assert_int_equal(vs.loaded, 0);
	assert_int_equal(fscert_verto_status_parse("+OK what\n", &vs, &e), -1);
}

#define CERT(n) "-----BEGIN CERTIFICATE-----\n" n "\n-----END CERTIFICATE-----\n"
#define KEY "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n"

static void
slurp(const char *dir, const char *name, char *buf, size_t len,
    struct stat *st)
{
	char path[1024];
	FILE *f;
	size_t n;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(lstat(path, st), 0);
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	(void)fclose(f);
}

/* Each verto file holds what its role needs, keys never loose. */
static void
extras_written(void **state)
{
	static const char wss[] = CERT("leaf") CERT("inter") KEY;
	struct fscert_extra x[3] = {
		{ "v.crt", FSCERT_EXTRA_CERT },
		{ "v.key", FSCERT_EXTRA_KEY },
		{ "v.pem", FSCERT_EXTRA_COMBINED },
	};
	struct fscert_install_opts o;
	struct fscert_buf b;
	struct fscert_err e;
	struct stat st;
	char dir[] = "fsconf.XXXXXX", buf[512], path[1024];
	int changed[3];

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&o, 0, sizeof(o));
	o.cert_dir = dir;
	o.uid = (uid_t)-1;
	o.gid = (gid_t)-1;
	o.key_mode = 0600;
	b.data = (unsigned char *)wss;
	b.len = b.cap = sizeof(wss) - 1;
	fscert_err_clear(&e);

	/* A dry run writes nothing. */
	o.dry_run = 1;
	assert_int_equal(fscert_install_extras(&o, &b, x, 3, changed, &e), 0);
	assert_int_equal(changed[0] + changed[1] + changed[2], 3);
	(void)snprintf(path, sizeof(path), "%s/v.key", dir);
	assert_int_equal(access(path, F_OK), -1);

	o.dry_run = 0;
	assert_int_equal(fscert_install_extras(&o, &b, x, 3, changed, &e), 0);
	slurp(dir, "v.crt", buf, sizeof(buf), &st);
	assert_string_equal(buf, CERT("leaf") CERT("inter"));
	assert_int_equal(st.st_mode & 07777, 0644);
	slurp(dir, "v.key", buf, sizeof(buf), &st);
	assert_string_equal(buf, KEY);
	assert_int_equal(st.st_mode & 07777, 0600);
	slurp(dir, "v.pem", buf, sizeof(buf), &st);
	assert_string_equal(buf, wss);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* Again: nothing to write.  A loosened key is put right. */
	assert_int_equal(fscert_install_extras(&o, &b, x, 3, changed, &e), 0);
	assert_int_equal(changed[0] + changed[1] + changed[2], 0);
	(void)snprintf(path, sizeof(path), "%s/v.key", dir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(fscert_install_extras(&o, &b, x, 3, changed, &e), 0);
	assert_int_equal(changed[1], 1);
	slurp(dir, "v.key", buf, sizeof(buf), &st);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* From the cert dir's wss.pem, as after a rollback. */
	(void)snprintf(path, sizeof(path), "%s/wss.pem", dir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fputs(CERT("old") CERT("inter") KEY, f) >= 0,
		    1);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(
	    fscert_install_extras_from_dir(&o, x, 1, changed, &e), 0);
	slurp(dir, "v.crt", buf, sizeof(buf), &st);
	assert_string_equal(buf, CERT("old") CERT("inter"));

	(void)snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
	assert_int_equal(system(buf), 0);
}

/* Write text into dir/name, making the directories on the way. */
static void
put(const char *dir, const char *name, const char *text)
{
	char path[1024], *slash;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (slash = strchr(path + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(path, 0755);
		*slash = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static const char tree_top[] =
    "<?xml version=\"1.0\"?>\n"
    "<document type=\"freeswitch/xml\">\n"
    "  <X-PRE-PROCESS cmd=\"include\" data=\"vars.xml\"/>\n"
    "  <section name=\"configuration\" description=\"Configuration\">\n"
    "    <X-PRE-PROCESS cmd=\"include\" data=\"autoload_configs/*.xml\"/>\n"
    "  </section>\n"
    "</document>\n";

static const char tree_vars[] =
    "<include>\n"
    "  <X-PRE-PROCESS cmd=\"set\" data=\"internal_ssl_enable=false\"/>\n"
    "  <!-- FreeSWITCH runs a set even inside an XML comment: -->\n"
    "  <!-- <X-PRE-PROCESS cmd=\"set\" data=\"internal_ssl_enable=true\"/> -->\n"
    "  <X-PRE-PROCESS cmd=\"exec-set\" data=\"ext_ip=stun-lookup\"/>\n"
    "  <X-PRE-PROCESS cmd=\"set\" data=\"ext_dir = $${base_dir}/tls-ext\"/>\n"
    "</include>\n";

static const char tree_sofia[] =
    "<configuration name=\"sofia.conf\" description=\"sofia Endpoint\">\n"
    "  <global_settings><param name=\"log-level\" value=\"0\"/></global_settings>\n"
    "  <profiles>\n"
    "    <X-PRE-PROCESS cmd=\"include\" data=\"../sip_profiles/*.xml\"/>\n"
    "  </profiles>\n"
    "</configuration>\n";

/* The vanilla internal.xml: tls-cert-dir commented out. */
static const char tree_internal[] =
    "<include>\n"
    "<profile name=\"internal\">\n"
    "  <settings>\n"
    "    <param name=\"tls\" value=\"$${internal_ssl_enable}\"/>\n"
    "    <!-- <param name=\"tls-cert-dir\" value=\"/nowhere\"/> -->\n"
    "  </settings>\n"
    "</profile>\n"
    "</include>\n";

static const char tree_external[] =
    "<include>\n"
    "<profile name=\"external\">\n"
    "  <gateways>\n"
    "    <X-PRE-PROCESS cmd=\"include\" data=\"external/*.xml\"/>\n"
    "  </gateways>\n"
    "  <settings>\n"
    "    <param name=\"tls\" value=\"true\"/>\n"
    "    <param name=\"tls-cert-dir\" value=\"$${ext_dir}\"/>\n"
    "  </settings>\n"
    "</profile>\n"
    "</include>\n";

static const char tree_verto[] =
    "<configuration name=\"verto.conf\" description=\"HTML5 Verto Endpoint\">\n"
    "  <profiles>\n"
    "    <profile name=\"default-v4\">\n"
    "      <param name=\"bind-local\" value=\"$${local_ip_v4}:8082\" secure=\"true\"/>\n"
    "      <param name=\"secure-combined\" value=\"$${certs_dir}/wss.pem\"/>\n"
    "      <param name=\"secure-chain\" value=\"$${certs_dir}/wss.pem\"/>\n"
    "    </profile>\n"
    "  </profiles>\n"
    "</configuration>\n";

#define MODULES(verto)                                                  \
	"<configuration name=\"modules.conf\" description=\"Modules\">\n" \
	"  <modules>\n    <load module=\"mod_sofia\"/>\n    " verto     \
	"\n  </modules>\n</configuration>\n"

/*
 * The configuration tree on disk, preprocessed as FreeSWITCH does: the
 * vanilla internal profile reads certs_dir (guessed from PREFIX/conf),
 * the external one its tls-cert-dir from a variable; verto counts only
 * when modules.conf loads it; exec-set is named as not evaluated.
 */
static void
tree_on_disk(void **state)
{
	struct fscert_fsconf fc;
	struct fscert_err e;
	char base[] = "fstree.XXXXXX", conf[256], want[1100], notes[256];
	char cmd[300];

	(void)state;
	assert_non_null(mkdtemp(base));
	(void)snprintf(conf, sizeof(conf), "%s/conf", base);
	put(conf, "freeswitch.xml", tree_top);
	put(conf, "vars.xml", tree_vars);
	put(conf, "autoload_configs/sofia.conf.xml", tree_sofia);
	put(conf, "autoload_configs/verto.conf.xml", tree_verto);
	put(conf, "autoload_configs/modules.conf.xml",
	    MODULES("<!-- <load module=\"mod_verto\"/> -->"));
	put(conf, "sip_profiles/internal.xml", tree_internal);
	put(conf, "sip_profiles/external.xml", tree_external);

	fscert_err_clear(&e);
	if (fscert_fsconf_from_tree(&fc, conf, notes, sizeof(notes), &e) == -1)
		fail_msg("%s", e.msg);
	assert_int_equal(fc.certs_dir_guessed, 1);
	assert_non_null(strstr(fc.certs_dir, "/certs"));
	assert_int_equal(fc.n, 2);
	assert_string_equal(fc.c[0].name, "external");
	assert_non_null(strstr(fc.c[0].dir, "/tls-ext"));
	assert_string_equal(fc.c[0].source, "tls-cert-dir");
	assert_string_equal(fc.c[1].name, "internal");
	assert_int_equal(fc.c[1].tls, 1); /* the set in a comment ran */
	assert_string_equal(fc.c[1].source, "certs_dir");
	assert_string_equal(fc.c[1].dir, fc.certs_dir);
	assert_non_null(strstr(notes, "vars.xml:5: exec"));

	/* mod_verto loaded: its profile, with $${certs_dir} expanded. */
	put(conf, "autoload_configs/modules.conf.xml",
	    MODULES("<load module=\"mod_verto\"/>"));
	if (fscert_fsconf_from_tree(&fc, conf, notes, sizeof(notes), &e) == -1)
		fail_msg("%s", e.msg);
	assert_int_equal(fc.n, 3);
	assert_int_equal(fc.c[2].kind, FSCERT_CONSUMER_VERTO);
	(void)snprintf(want, sizeof(want), "%s/wss.pem", fc.certs_dir);
	assert_string_equal(fc.c[2].cert, want);
	assert_string_equal(fc.c[2].bind[0], ":8082");

	/* No freeswitch.xml: not a configuration tree. */
	assert_int_equal(fscert_fsconf_from_tree(&fc, base, notes,
			     sizeof(notes), &e),
	    -1);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

/* An include that leaves the tree is not followed. */
static void
tree_include_outside(void **state)
{
	struct fscert_fsconf fc;
	struct fscert_err e;
	char base[] = "fstree.XXXXXX", conf[256], out[1300], notes[256];
	char inc[1500], cmd[300], cwd[1024];

	(void)state;
	assert_non_null(mkdtemp(base));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	(void)snprintf(conf, sizeof(conf), "%s/etc/freeswitch", base);
	/* An absolute include, as FreeSWITCH allows. */
	(void)snprintf(out, sizeof(out), "%s/%s/elsewhere", cwd, base);
	put(out, "sofia.conf.xml", tree_sofia);
	(void)snprintf(inc, sizeof(inc),
	    "<document type=\"freeswitch/xml\">\n"
	    "<X-PRE-PROCESS cmd=\"include\" data=\"%s/*.xml\"/>\n"
	    "</document>\n",
	    out);
	put(conf, "freeswitch.xml", inc);
	fscert_err_clear(&e);
	if (fscert_fsconf_from_tree(&fc, conf, notes, sizeof(notes), &e) == -1)
		fail_msg("%s", e.msg);
	assert_int_equal(fc.have_sofia, 0);
	assert_non_null(strstr(notes, "outside the configuration tree"));
	/* Debian's layout: /etc/freeswitch -> /etc/freeswitch/tls. */
	assert_non_null(strstr(fc.certs_dir, "/etc/freeswitch/tls"));
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vanilla_reads_certs_dir),
		cmocka_unit_test(two_profiles_two_dirs),
		cmocka_unit_test(verto_vanilla_needs_nothing_more),
		cmocka_unit_test(verto_files_of_its_own),
		cmocka_unit_test(verto_refusals),
		cmocka_unit_test(not_the_configuration),
		cmocka_unit_test(verto_status),
		cmocka_unit_test(extras_written),
		cmocka_unit_test(tree_on_disk),
		cmocka_unit_test(tree_include_outside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
