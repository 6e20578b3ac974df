/*
 * test_install.c: lib/install.c, putting a bundle into the cert dir.
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

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fscert/bundle.h"
#include "fscert/install.h"
#include "fscert/lineage.h"
#include "fixture.h"

/* Two certbot lineages: "a" before and "b" after a renewal. */
static struct fx_pki	 pa, pb;
static char		*base;		/* holds the lineages */
static char		*live_a, *live_b;
/* For the checked rollback: an expired set, one for another host. */
static struct fx_pki	 pe, po;
static char		*live_e, *live_o;

static int
group_setup(void **state)
{
	struct fx_files	 f;
	struct fx_spec	 sp;

	(void)state;
	fx_pki_init(&pa, fx_key_ec("P-256", 2));
	fx_pki_init(&pb, fx_key_ec("P-256", 3));
	base = fx_tmpdir();
	fx_files_std(&f, &pa, FX_KEY_PKCS8);
	live_a = fx_live(base, "a.example.test", &f);
	fx_files_free(&f);
	fx_files_std(&f, &pb, FX_KEY_PKCS8);
	live_b = fx_live(base, "b.example.test", &f);
	fx_files_free(&f);

	fx_pki_init(&pe, fx_key_ec("P-256", 4));
	fx_spec_leaf(&sp, pe.leaf_key);
	sp.nb_days = -100;
	sp.na_days = -10;
	fx_pki_leaf(&pe, &sp);
	fx_files_std(&f, &pe, FX_KEY_PKCS8);
	live_e = fx_live(base, "e.example.test", &f);
	fx_files_free(&f);

	fx_pki_init(&po, fx_key_ec("P-256", 5));
	fx_spec_leaf(&sp, po.leaf_key);
	sp.cn = "other.example.test";
	sp.san = "other.example.test";
	fx_pki_leaf(&po, &sp);
	fx_files_std(&f, &po, FX_KEY_PKCS8);
	live_o = fx_live(base, "o.example.test", &f);
	fx_files_free(&f);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	fx_rmtree(base);
	free(base);
	free(live_a);
	free(live_b);
	free(live_e);
	free(live_o);
	fx_pki_free(&pa);
	fx_pki_free(&pb);
	fx_pki_free(&pe);
	fx_pki_free(&po);
	return 0;
}

/* The bundle of the lineage at live, with dh appended when not NULL. */
static void
bundle(const char *live, const char *dh, struct fscert_bundle *b)
{
	struct fscert_lineage	*l;
	struct fscert_err	 e;

	fscert_err_clear(&e);
	memset(b, 0, sizeof(*b));
	if ((l = fscert_lineage_open_dir(live, &e)) == NULL)
		fail_msg("open %s: %s", live, e.msg);
	if (fscert_bundle_build(l, dh, b, &e) == -1)
		fail_msg("bundle %s: %s", live, e.msg);
	fscert_lineage_free(l);
}

static void
opts(struct fscert_install_opts *o, const char *dir)
{
	memset(o, 0, sizeof(*o));
	o->cert_dir = dir;
	o->uid = (uid_t)-1;
	o->gid = (gid_t)-1;
	o->key_mode = 0600;
}

static void
install(const struct fscert_bundle *b, const struct fscert_install_opts *o,
    struct fscert_install_result *r)
{
	struct fscert_err	 e;

	fscert_err_clear(&e);
	if (fscert_install(b, o, r, &e) != 0)
		fail_msg("install into %s: %s", o->cert_dir, e.msg);
}

/* dir/name holds exactly buf, with mode. */
static void
assert_file(const char *dir, const char *name, const struct fscert_buf *buf,
    mode_t mode)
{
	struct stat	 st;
	char		*p, *t;
	size_t		 len;

	p = fx_path(dir, name);
	if (lstat(p, &st) != 0)
		fail_msg("%s: missing", p);
	assert_true(S_ISREG(st.st_mode));
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s: mode %04o, expected %04o", p,
		    (unsigned)(st.st_mode & 07777), (unsigned)mode);
	t = fx_read(p, &len);
	assert_int_equal(len, buf->len);
	assert_memory_equal(t, buf->data, len);
	free(t);
	free(p);
}

static void
assert_absent(const char *dir, const char *name)
{
	struct stat	 st;
	char		*p = fx_path(dir, name);

	if (lstat(p, &st) == 0)
		fail_msg("%s: exists", p);
	free(p);
}

static void
fresh_install_then_current(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_bundle		 b;
	struct stat			 before[FSCERT_OUT__MAX], st;
	char				*dir, *p;
	int				 i;

	(void)state;
	dir = fx_tmpdir();
	bundle(live_a, NULL, &b);
	opts(&o, dir);
	install(&b, &o, &r);
	assert_int_equal(r.current, 0);
	assert_int_equal(r.backed_up, 0);
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		assert_int_equal(r.changed[i], 1);
	assert_file(dir, "agent.pem", &b.files[FSCERT_OUT_AGENT], 0600);
	assert_file(dir, "cafile.pem", &b.files[FSCERT_OUT_CAFILE], 0644);
	assert_file(dir, "wss.pem", &b.files[FSCERT_OUT_WSS], 0600);

	/* Again: nothing is written, not even touched. */
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		p = fx_path(dir, fscert_out_name(i));
		assert_int_equal(stat(p, &before[i]), 0);
		free(p);
	}
	install(&b, &o, &r);
	assert_int_equal(r.current, 1);
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		assert_int_equal(r.changed[i], 0);
		p = fx_path(dir, fscert_out_name(i));
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_ino, before[i].st_ino);
		assert_int_equal(st.st_mtim.tv_sec, before[i].st_mtim.tv_sec);
		assert_int_equal(st.st_mtim.tv_nsec,
		    before[i].st_mtim.tv_nsec);
		free(p);
	}
	fscert_bundle_free(&b);
	fx_rmtree(dir);
	free(dir);
}

static void
key_mode_0640(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_bundle		 b;
	struct fscert_err		 e;
	char				*dir;

	(void)state;
	dir = fx_tmpdir();
	bundle(live_a, NULL, &b);
	opts(&o, dir);
	o.key_mode = 0640;
	install(&b, &o, &r);
	assert_file(dir, "agent.pem", &b.files[FSCERT_OUT_AGENT], 0640);
	assert_file(dir, "cafile.pem", &b.files[FSCERT_OUT_CAFILE], 0644);
	assert_file(dir, "wss.pem", &b.files[FSCERT_OUT_WSS], 0640);

	/* Looser than 0640 is refused before anything is written. */
	fx_rmtree(dir);
	free(dir);
	dir = fx_tmpdir();
	opts(&o, dir);
	o.key_mode = 0644;
	fscert_err_clear(&e);
	assert_int_equal(fscert_install(&b, &o, &r, &e), -1);
	assert_int_equal(e.code, FSCERT_EUSAGE);
	assert_non_null(strstr(e.msg, "0644"));
	assert_absent(dir, "agent.pem");
	fscert_bundle_free(&b);
	fx_rmtree(dir);
	free(dir);
}

static void
renewal_backs_up_and_rolls_back(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_bundle		 a, b;
	struct fscert_err		 e;
	char				*dir, *prev;
	int				 i;

	(void)state;
	dir = fx_tmpdir();
	prev = fx_path(dir, ".fscert/prev");
	bundle(live_a, NULL, &a);
	bundle(live_b, NULL, &b);
	opts(&o, dir);

	/* Nothing to roll back to yet. */
	fscert_err_clear(&e);
	assert_int_equal(fscert_install_rollback(&o, &e), -1);
	assert_int_equal(e.code, FSCERT_ENOENT);

	install(&a, &o, &r);
	install(&b, &o, &r);
	assert_int_equal(r.current, 0);
	assert_int_equal(r.backed_up, 1);
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		assert_int_equal(r.changed[i], 1);
	assert_file(dir, "agent.pem", &b.files[FSCERT_OUT_AGENT], 0600);
	assert_file(prev, "agent.pem", &a.files[FSCERT_OUT_AGENT], 0600);
	assert_file(prev, "cafile.pem", &a.files[FSCERT_OUT_CAFILE], 0644);
	assert_file(prev, "wss.pem", &a.files[FSCERT_OUT_WSS], 0600);

	fscert_err_clear(&e);
	if (fscert_install_rollback(&o, &e) != 0)
		fail_msg("rollback: %s", e.msg);
	assert_file(dir, "agent.pem", &a.files[FSCERT_OUT_AGENT], 0600);
	assert_file(dir, "cafile.pem", &a.files[FSCERT_OUT_CAFILE], 0644);
	assert_file(dir, "wss.pem", &a.files[FSCERT_OUT_WSS], 0600);
	/* The old set is current again. */
	install(&a, &o, &r);
	assert_int_equal(r.current, 1);
	fscert_bundle_free(&a);
	fscert_bundle_free(&b);
	fx_rmtree(dir);
	free(prev);
	free(dir);
}

static void
shadowing_files(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_bundle		 b;
	char				*dir, *p, *sh;

	(void)state;
	dir = fx_tmpdir();
	sh = fx_path(dir, ".fscert/shadowed");
	p = fx_path(dir, "wss.crt");
	fx_write_str(p, "old wss cert\n", 0644);
	free(p);
	p = fx_path(dir, "tls.pem");
	fx_write_str(p, "old tls pem\n", 0600);
	free(p);
	bundle(live_a, NULL, &b);
	opts(&o, dir);

	/* Reported, left in place. */
	install(&b, &o, &r);
	assert_int_equal(r.shadow[FSCERT_SH_WSS_CRT], 1);
	assert_int_equal(r.shadow[FSCERT_SH_TLS_PEM], 1);
	assert_int_equal(r.shadow[FSCERT_SH_WSS_KEY], 0);
	assert_int_equal(r.shadow[FSCERT_SH_CA_BUNDLE], 0);
	assert_int_equal(r.moved[FSCERT_SH_WSS_CRT], 0);
	p = fx_listdir(dir);
	assert_string_equal(p, ".fscert,agent.pem,cafile.pem,tls.pem,wss.crt,"
	    "wss.pem");
	free(p);

	/* Moved aside, even though the set is current. */
	o.move_shadowing = 1;
	install(&b, &o, &r);
	assert_int_equal(r.current, 1);
	assert_int_equal(r.moved[FSCERT_SH_WSS_CRT], 1);
	assert_int_equal(r.moved[FSCERT_SH_TLS_PEM], 1);
	assert_int_equal(r.moved[FSCERT_SH_WSS_KEY], 0);
	p = fx_listdir(dir);
	assert_string_equal(p, ".fscert,agent.pem,cafile.pem,wss.pem");
	free(p);
	p = fx_listdir(sh);
	assert_string_equal(p, "tls.pem,wss.crt");
	free(p);

	/* Nothing left to shadow. */
	install(&b, &o, &r);
	assert_int_equal(r.shadow[FSCERT_SH_WSS_CRT], 0);
	assert_int_equal(r.moved[FSCERT_SH_WSS_CRT], 0);
	fscert_bundle_free(&b);
	fx_rmtree(dir);
	free(sh);
	free(dir);
}

static void
dry_run_writes_nothing(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_bundle		 a, b;
	char				*dir, *p;
	int				 i;

	(void)state;
	dir = fx_tmpdir();
	bundle(live_a, NULL, &a);
	bundle(live_b, NULL, &b);
	opts(&o, dir);
	o.dry_run = 1;
	install(&a, &o, &r);
	assert_int_equal(r.current, 0);
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		assert_int_equal(r.changed[i], 1);
	p = fx_listdir(dir);
	assert_string_equal(p, "");
	free(p);

	/* Over an installed set: it stays as it was, no backup made. */
	o.dry_run = 0;
	install(&a, &o, &r);
	o.dry_run = 1;
	install(&b, &o, &r);
	assert_int_equal(r.changed[FSCERT_OUT_AGENT], 1);
	assert_int_equal(r.backed_up, 0);
	assert_file(dir, "agent.pem", &a.files[FSCERT_OUT_AGENT], 0600);
	p = fx_path(dir, ".fscert");
	assert_absent(p, "prev");
	free(p);
	fscert_bundle_free(&a);
	fscert_bundle_free(&b);
	fx_rmtree(dir);
	free(dir);
}

static void
stale_temp_swept(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_bundle		 b;
	char				*dir, *p;

	(void)state;
	dir = fx_tmpdir();
	p = fx_path(dir, ".agent.pem.0123456789ab.tmp");
	fx_write_str(p, "half a key", 0600);
	free(p);
	/* Not one of ours: left alone. */
	p = fx_path(dir, ".agent.pem.notours.tmp");
	fx_write_str(p, "x", 0600);
	free(p);
	bundle(live_a, NULL, &b);
	opts(&o, dir);
	install(&b, &o, &r);
	assert_int_equal(r.stale, 1);
	p = fx_listdir(dir);
	assert_string_equal(p,
	    ".agent.pem.notours.tmp,.fscert,agent.pem,cafile.pem,wss.pem");
	free(p);
	/* The set is current now: a leftover temp file still goes. */
	p = fx_path(dir, ".wss.pem.0123456789ab.tmp");
	fx_write_str(p, "half a key", 0600);
	free(p);
	install(&b, &o, &r);
	assert_true(r.current);
	assert_int_equal(r.stale, 1);
	p = fx_listdir(dir);
	assert_string_equal(p,
	    ".agent.pem.notours.tmp,.fscert,agent.pem,cafile.pem,wss.pem");
	free(p);
	fscert_bundle_free(&b);
	fx_rmtree(dir);
	free(dir);
}

static void
pending_marker(void **state)
{
	struct fscert_err	 e;
	char			*dir;
	int			 vars = -1;

	(void)state;
	dir = fx_tmpdir();
	assert_int_equal(fscert_install_pending(dir, &vars), 0);
	assert_int_equal(vars, 0);

	fscert_err_clear(&e);
	assert_int_equal(fscert_install_set_pending(dir, 1, 0, &e), 0);
	assert_int_equal(fscert_install_pending(dir, &vars), 1);
	assert_int_equal(vars, 0);

	assert_int_equal(fscert_install_set_pending(dir, 1, 1, &e), 0);
	assert_int_equal(fscert_install_pending(dir, &vars), 1);
	assert_int_equal(vars, 1);

	assert_int_equal(fscert_install_set_pending(dir, 0, 0, &e), 0);
	assert_int_equal(fscert_install_pending(dir, &vars), 0);
	assert_int_equal(vars, 0);
	/* Clearing twice is fine. */
	assert_int_equal(fscert_install_set_pending(dir, 0, 0, &e), 0);
	fx_rmtree(dir);
	free(dir);
}

static void
dhparams_of_installed_agent(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_bundle		 b;
	struct fscert_err		 e;
	char				*dir, *dhtext, *dh = NULL, *missing;

	(void)state;
	dir = fx_tmpdir();
	opts(&o, dir);
	fscert_err_clear(&e);
	/* No agent.pem: no block, no error. */
	assert_int_equal(fscert_install_dhparams(dir, &dh, &e), 0);
	assert_null(dh);

	bundle(live_a, NULL, &b);
	install(&b, &o, &r);
	fscert_bundle_free(&b);
	assert_int_equal(fscert_install_dhparams(dir, &dh, &e), 0);
	assert_null(dh);

	dhtext = fx_pem_dh();
	bundle(live_a, dhtext, &b);
	install(&b, &o, &r);
	assert_int_equal(r.changed[FSCERT_OUT_AGENT], 1);
	assert_int_equal(r.changed[FSCERT_OUT_CAFILE], 0);
	fscert_bundle_free(&b);
	if (fscert_install_dhparams(dir, &dh, &e) != 0)
		fail_msg("dhparams: %s", e.msg);
	assert_non_null(dh);
	assert_string_equal(dh, dhtext);
	free(dh);
	free(dhtext);

	/* A missing cert dir is an error naming it. */
	missing = fx_path(dir, "nope");
	assert_int_equal(fscert_install_dhparams(missing, &dh, &e), -1);
	assert_non_null(strstr(e.msg, missing));
	free(missing);
	fx_rmtree(dir);
	free(dir);
}

/* The guard for the install run r: what it installed and replaced. */
static void
guard_of(struct fscert_rollback_guard *g, const struct fscert_install_result *r,
    const char *const *hosts, size_t nhosts)
{
	memset(g, 0, sizeof(*g));
	g->installed = r->installed_sha256;
	g->replaced = r->backed_up ? r->replaced_sha256 : "";
	g->hosts = hosts;
	g->nhosts = nhosts;
}

/* Install old, then new; rollback with hosts: -1 or 0, e filled. */
static int
old_then_new(const char *dir, const char *old, const char *newer,
    const char *const *hosts, size_t nhosts, struct fscert_err *e)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_rollback_guard	 g;
	struct fscert_bundle		 a, b;
	int				 rc;

	opts(&o, dir);
	bundle(old, NULL, &a);
	bundle(newer, NULL, &b);
	install(&a, &o, &r);
	install(&b, &o, &r);
	assert_int_equal(r.backed_up, 1);
	assert_int_equal(strlen(r.installed_sha256), 64);
	assert_int_equal(strlen(r.replaced_sha256), 64);
	assert_string_not_equal(r.installed_sha256, r.replaced_sha256);
	guard_of(&g, &r, hosts, nhosts);
	fscert_err_clear(e);
	rc = fscert_install_rollback_checked(&o, &g, e);
	/* Either way every file is one complete set. */
	assert_file(dir, "agent.pem",
	    &(rc == 0 ? &a : &b)->files[FSCERT_OUT_AGENT], 0600);
	assert_file(dir, "wss.pem",
	    &(rc == 0 ? &a : &b)->files[FSCERT_OUT_WSS], 0600);
	fscert_bundle_free(&a);
	fscert_bundle_free(&b);
	return rc;
}

static void
checked_rollback_restores_what_it_replaced(void **state)
{
	static const char *const hosts[] = { FX_LEAF_CN, "x.example.test" };
	struct fscert_err	 e;
	char			*dir;

	(void)state;
	dir = fx_tmpdir();
	/* One of the expected names covered is enough. */
	if (old_then_new(dir, live_a, live_b, hosts, 2, &e) != 0)
		fail_msg("rollback: %s", e.msg);
	fx_rmtree(dir);
	free(dir);
}

static void
checked_rollback_refuses_an_expired_set(void **state)
{
	struct fscert_err	 e;
	char			*dir;

	(void)state;
	dir = fx_tmpdir();
	assert_int_equal(old_then_new(dir, live_e, live_b, NULL, 0, &e), -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(strstr(e.msg, "expired"));
	assert_non_null(strstr(e.msg, ".fscert/prev"));
	fx_rmtree(dir);
	free(dir);
}

static void
checked_rollback_refuses_another_targets_set(void **state)
{
	static const char *const hosts[] = { FX_LEAF_CN };
	struct fscert_err	 e;
	char			*dir;

	(void)state;
	dir = fx_tmpdir();
	assert_int_equal(old_then_new(dir, live_o, live_b, hosts, 1, &e), -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(strstr(e.msg, FX_LEAF_CN));
	fx_rmtree(dir);
	free(dir);
	/* No names configured: not checked. */
	dir = fx_tmpdir();
	if (old_then_new(dir, live_o, live_b, NULL, 0, &e) != 0)
		fail_msg("rollback: %s", e.msg);
	fx_rmtree(dir);
	free(dir);
}

static void
checked_rollback_refuses_a_mismatched_key(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r;
	struct fscert_rollback_guard	 g;
	struct fscert_bundle		 b;
	struct fscert_err		 e;
	char				*dir, *leaf, *inter, *key, *agent, *wss;

	(void)state;
	dir = fx_tmpdir();
	/* A's leaf with B's key, consistent across the three files. */
	leaf = fx_pem_certs(pa.leaf, NULL);
	inter = fx_pem_certs(pa.inter, NULL);
	key = fx_pem_key(pb.leaf_key, FX_KEY_PKCS8);
	agent = fx_cat(leaf, key, NULL);
	wss = fx_cat(leaf, inter, key, NULL);
	fx_installed(dir, agent, inter, wss);
	opts(&o, dir);
	bundle(live_b, NULL, &b);
	install(&b, &o, &r);
	assert_int_equal(r.backed_up, 1);
	guard_of(&g, &r, NULL, 0);
	fscert_err_clear(&e);
	assert_int_equal(fscert_install_rollback_checked(&o, &g, &e), -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(strstr(e.msg, "key does not match"));
	assert_file(dir, "agent.pem", &b.files[FSCERT_OUT_AGENT], 0600);
	fscert_bundle_free(&b);
	free(leaf);
	free(inter);
	free(key);
	free(agent);
	free(wss);
	fx_rmtree(dir);
	free(dir);
}

static void
checked_rollback_only_for_this_runs_change(void **state)
{
	struct fscert_install_opts	 o;
	struct fscert_install_result	 r1, r2, r3;
	struct fscert_rollback_guard	 g;
	struct fscert_bundle		 a, b;
	struct fscert_err		 e;
	char				*dir, *tampered;

	(void)state;
	dir = fx_tmpdir();
	opts(&o, dir);
	bundle(live_a, NULL, &a);
	bundle(live_b, NULL, &b);
	install(&a, &o, &r1);
	/* The first install replaced nothing: nothing to go back to. */
	assert_int_equal(r1.backed_up, 0);
	guard_of(&g, &r1, NULL, 0);
	fscert_err_clear(&e);
	assert_int_equal(fscert_install_rollback_checked(&o, &g, &e), -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_file(dir, "agent.pem", &a.files[FSCERT_OUT_AGENT], 0600);

	install(&b, &o, &r2);
	/* prev/ no longer holds what r2 replaced: left alone. */
	tampered = fx_path(dir, ".fscert/prev/agent.pem");
	fx_write(tampered, b.files[FSCERT_OUT_AGENT].data,
	    b.files[FSCERT_OUT_AGENT].len, 0600);
	free(tampered);
	guard_of(&g, &r2, NULL, 0);
	fscert_err_clear(&e);
	assert_int_equal(fscert_install_rollback_checked(&o, &g, &e), -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(strstr(e.msg, ".fscert/prev"));
	assert_file(dir, "agent.pem", &b.files[FSCERT_OUT_AGENT], 0600);

	/* The files are no longer those r2 installed: left alone. */
	install(&a, &o, &r3);
	fscert_err_clear(&e);
	assert_int_equal(fscert_install_rollback_checked(&o, &g, &e), -1);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_non_null(strstr(e.msg, dir));
	assert_file(dir, "agent.pem", &a.files[FSCERT_OUT_AGENT], 0600);

	/* The guard of the last run itself works. */
	guard_of(&g, &r3, NULL, 0);
	fscert_err_clear(&e);
	if (fscert_install_rollback_checked(&o, &g, &e) != 0)
		fail_msg("rollback: %s", e.msg);
	assert_file(dir, "agent.pem", &b.files[FSCERT_OUT_AGENT], 0600);
	fscert_bundle_free(&a);
	fscert_bundle_free(&b);
	fx_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_install_then_current),
		cmocka_unit_test(key_mode_0640),
		cmocka_unit_test(renewal_backs_up_and_rolls_back),
		cmocka_unit_test(shadowing_files),
		cmocka_unit_test(dry_run_writes_nothing),
		cmocka_unit_test(stale_temp_swept),
		cmocka_unit_test(pending_marker),
		cmocka_unit_test(dhparams_of_installed_agent),
		cmocka_unit_test(checked_rollback_restores_what_it_replaced),
		cmocka_unit_test(checked_rollback_refuses_an_expired_set),
		cmocka_unit_test(checked_rollback_refuses_another_targets_set),
		cmocka_unit_test(checked_rollback_refuses_a_mismatched_key),
		cmocka_unit_test(checked_rollback_only_for_this_runs_change),
	};
	int	 rc;

	fx_init();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	fx_pool_free();
	return rc;
}
