/*
 * test_bundle.c: lib/bundle.c, the three files FreeSWITCH reads.
 *
 * Beyond the bytes, the written files are loaded into real OpenSSL TLS
 * servers exactly the way sofia-sip loads them (freeswitch-internals.md
 * 1.1-1.3), and a client over a socketpair checks what is served: the
 * leaf and the intermediate, verifying up to the test root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "fscert/bundle.h"
#include "fscert/lineage.h"
#include "fixture.h"

#define NAME	"example.test"

struct bt {
	char			*tmp;
	char			*base;
	char			*out;		/* tmp/tls, the cert dir */
	struct fx_pki		 pki;
	struct fx_files		 f;
	struct fscert_lineage	*l;
	struct fscert_bundle	 b;
	mode_t			 old_umask;
};

static int
setup(void **state)
{
	struct bt	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->tmp = fx_tmpdir();
	t->base = fx_path(t->tmp, "letsencrypt");
	t->out = fx_path(t->tmp, "tls");
	fx_mkdirs(t->out);
	t->old_umask = umask(022);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct bt	*t = *state;

	umask(t->old_umask);
	fscert_bundle_free(&t->b);
	fscert_lineage_free(t->l);
	fx_rmtree(t->tmp);
	fx_files_free(&t->f);
	fx_pki_free(&t->pki);
	free(t->tmp);
	free(t->base);
	free(t->out);
	free(t);
	return 0;
}

/* Write t->f as a live dir, open it and build the bundle. */
static void
build(struct bt *t, const char *dh)
{
	struct fscert_err	 e;
	char			*live;

	live = fx_live(t->base, NAME, &t->f);
	fscert_err_clear(&e);
	if ((t->l = fscert_lineage_open_dir(live, &e)) == NULL)
		fail_msg("open: %s", e.msg);
	free(live);
	memset(&t->b, 0, sizeof(t->b));
	if (fscert_bundle_build(t->l, dh, &t->b, &e) == -1)
		fail_msg("build: %s", e.msg);
}

static void
pki_ec(struct bt *t, enum fx_keyfmt kf)
{
	fx_pki_init(&t->pki, fx_key_ec("P-256", 2));
	fx_files_std(&t->f, &t->pki, kf);
}

static void
pki_rsa(struct bt *t, enum fx_keyfmt kf)
{
	/* All RSA: root (slot 3), intermediate (2), leaf (0). */
	fx_pki_init_keys(&t->pki, fx_key_rsa(2048, 3), fx_key_rsa(2048, 2),
	    fx_key_rsa(2048, 0));
	fx_files_std(&t->f, &t->pki, kf);
}

static void
write_ok(struct bt *t, mode_t key_mode)
{
	struct fscert_err	 e;

	fscert_err_clear(&e);
	if (fscert_bundle_write(&t->b, t->out, key_mode, &e) == -1)
		fail_msg("write: %s", e.msg);
}

static struct fscert_pem *
parse_buf(const char *name, const struct fscert_buf *b)
{
	struct fscert_err	 e;
	struct fscert_pem	*p;

	fscert_err_clear(&e);
	if ((p = fscert_pem_parse(name, b->data, b->len, &e)) == NULL)
		fail_msg("%s does not parse back: %s", name, e.msg);
	return p;
}

/*
 * Strict format: LF only, every line a BEGIN/END line or base64 inside
 * a block, no text outside the blocks, ends with a newline.
 */
static void
assert_strict(const char *name, const struct fscert_buf *b)
{
	const char	*p = (const char *)b->data, *end = p + b->len, *nl;
	size_t		 len, i;
	int		 inside = 0;

	if (b->len == 0)
		fail_msg("%s is empty", name);
	if (p[b->len - 1] != '\n')
		fail_msg("%s does not end with a newline", name);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		len = (size_t)(nl - p);
		if (memchr(p, '\r', len) != NULL)
			fail_msg("%s: CR in '%.*s'", name, (int)len, p);
		if (len >= 11 && strncmp(p, "-----BEGIN ", 11) == 0) {
			if (inside)
				fail_msg("%s: nested BEGIN", name);
			inside = 1;
			continue;
		}
		if (len >= 9 && strncmp(p, "-----END ", 9) == 0) {
			if (!inside)
				fail_msg("%s: END outside a block", name);
			inside = 0;
			continue;
		}
		if (!inside)
			fail_msg("%s: text outside a block: '%.*s'", name,
			    (int)len, p);
		if (len == 0 || len > 64)
			fail_msg("%s: line of %zu columns", name, len);
		for (i = 0; i < len; i++)
			if (!((p[i] >= 'A' && p[i] <= 'Z') ||
			    (p[i] >= 'a' && p[i] <= 'z') ||
			    (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
			    p[i] == '/' || p[i] == '='))
				fail_msg("%s: not base64: '%.*s'", name,
				    (int)len, p);
	}
	if (inside)
		fail_msg("%s: unterminated block", name);
}

static void
assert_certs(const char *name, const struct fscert_pem *p, X509 *a, X509 *b,
    X509 *c)
{
	X509	*want[3] = { a, b, c };
	int	 n = 0, i;

	while (n < 3 && want[n] != NULL)
		n++;
	if (sk_X509_num(p->certs) != n)
		fail_msg("%s holds %d certificates, expected %d", name,
		    sk_X509_num(p->certs), n);
	for (i = 0; i < n; i++)
		if (!fx_same_cert(sk_X509_value(p->certs, i), want[i]))
			fail_msg("%s: certificate %d is not the expected one",
			    name, i + 1);
}

/* agent = leaf + key, cafile = inters, wss = leaf + inters + key. */
static void
check_contents(struct bt *t, X509 *i1, X509 *i2, const char *label)
{
	struct fscert_pem	*agent, *ca, *wss;

	assert_strict("agent.pem", &t->b.files[FSCERT_OUT_AGENT]);
	assert_strict("cafile.pem", &t->b.files[FSCERT_OUT_CAFILE]);
	assert_strict("wss.pem", &t->b.files[FSCERT_OUT_WSS]);
	agent = parse_buf("agent.pem", &t->b.files[FSCERT_OUT_AGENT]);
	ca = parse_buf("cafile.pem", &t->b.files[FSCERT_OUT_CAFILE]);
	wss = parse_buf("wss.pem", &t->b.files[FSCERT_OUT_WSS]);

	assert_certs("agent.pem", agent, t->pki.leaf, NULL, NULL);
	assert_non_null(agent->key);
	assert_int_equal(EVP_PKEY_eq(agent->key, t->pki.leaf_key), 1);
	assert_int_equal(agent->nkeys, 1);
	assert_string_equal(agent->key_label, label);

	assert_certs("cafile.pem", ca, i1, i2, NULL);
	assert_null(ca->key);
	assert_int_equal(ca->nkeys, 0);

	assert_certs("wss.pem", wss, t->pki.leaf, i1, i2);
	assert_non_null(wss->key);
	assert_int_equal(EVP_PKEY_eq(wss->key, t->pki.leaf_key), 1);
	assert_int_equal(wss->nkeys, 1);
	assert_string_equal(wss->key_label, label);

	fscert_pem_free(agent);
	fscert_pem_free(ca);
	fscert_pem_free(wss);
}

static void
out_names(void **state)
{
	(void)state;
	assert_string_equal(fscert_out_name(FSCERT_OUT_AGENT), "agent.pem");
	assert_string_equal(fscert_out_name(FSCERT_OUT_CAFILE), "cafile.pem");
	assert_string_equal(fscert_out_name(FSCERT_OUT_WSS), "wss.pem");
	assert_true(fscert_out_has_key(FSCERT_OUT_AGENT));
	assert_false(fscert_out_has_key(FSCERT_OUT_CAFILE));
	assert_true(fscert_out_has_key(FSCERT_OUT_WSS));
}

static void
contents_ec(void **state)
{
	struct bt	*t = *state;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	check_contents(t, t->pki.inter, NULL, "PRIVATE KEY");
}

static void
contents_rsa(void **state)
{
	struct bt	*t = *state;

	pki_rsa(t, FX_KEY_PKCS8);
	build(t, NULL);
	check_contents(t, t->pki.inter, NULL, "PRIVATE KEY");
}

static void
contents_keep_sec1_label(void **state)
{
	struct bt	*t = *state;

	pki_ec(t, FX_KEY_TRAD);
	build(t, NULL);
	check_contents(t, t->pki.inter, NULL, "EC PRIVATE KEY");
}

static void
contents_keep_pkcs1_label(void **state)
{
	struct bt	*t = *state;

	pki_rsa(t, FX_KEY_TRAD);
	build(t, NULL);
	check_contents(t, t->pki.inter, NULL, "RSA PRIVATE KEY");
}

static void
contents_from_crlf_and_dumps(void **state)
{
	struct bt	*t = *state;
	char		*a, *b;

	/* Messy input, clean output. */
	pki_ec(t, FX_KEY_PKCS8);
	a = fx_pem_dump(t->pki.leaf);
	b = fx_pem_dump(t->pki.inter);
	fx_files_set(&t->f.cert, fx_crlf(a));
	fx_files_set(&t->f.chain, fx_cat("# from the CA\r\n", b, (char *)NULL));
	fx_files_set(&t->f.fullchain, NULL);
	fx_files_set(&t->f.privkey, fx_crlf(t->f.privkey));
	free(a);
	free(b);
	build(t, NULL);
	check_contents(t, t->pki.inter, NULL, "PRIVATE KEY");
}

/* root -> i2 -> i1 -> leaf; returns i2 (caller frees). */
static X509 *
two_intermediates(struct bt *t)
{
	struct fx_spec	 s;
	X509		*i2;

	fx_pki_init(&t->pki, fx_key_ec("P-256", 2));
	fx_spec_ca(&s, FX_INTER_CN " 2", fx_key_ec("P-256", 5));
	i2 = fx_cert(&s, t->pki.root, t->pki.root_key);
	fx_spec_ca(&s, FX_INTER_CN, t->pki.inter_key);
	X509_free(t->pki.inter);
	t->pki.inter = fx_cert(&s, i2, fx_key_ec("P-256", 5));
	fx_spec_leaf(&s, t->pki.leaf_key);
	fx_pki_leaf(&t->pki, &s);
	fx_files_std(&t->f, &t->pki, FX_KEY_PKCS8);
	fx_files_set(&t->f.chain, fx_pem_certs(t->pki.inter, i2, (X509 *)NULL));
	fx_files_set(&t->f.fullchain, fx_pem_certs(t->pki.leaf, t->pki.inter,
	    i2, (X509 *)NULL));
	return i2;
}

static void
contents_two_intermediates_in_order(void **state)
{
	struct bt	*t = *state;
	X509		*i2;

	i2 = two_intermediates(t);
	build(t, NULL);
	check_contents(t, t->pki.inter, i2, "PRIVATE KEY");
	X509_free(i2);
}

static void
dhparams_go_to_agent_only(void **state)
{
	struct bt		*t = *state;
	struct fscert_pem	*agent;
	char			*dh;

	pki_rsa(t, FX_KEY_PKCS8);
	dh = fx_pem_dh();
	build(t, dh);
	assert_strict("agent.pem", &t->b.files[FSCERT_OUT_AGENT]);
	agent = parse_buf("agent.pem", &t->b.files[FSCERT_OUT_AGENT]);
	assert_certs("agent.pem", agent, t->pki.leaf, NULL, NULL);
	assert_non_null(agent->key);
	assert_non_null(agent->dhparams);
	assert_non_null(strstr((char *)t->b.files[FSCERT_OUT_AGENT].data, dh));
	assert_null(strstr((char *)t->b.files[FSCERT_OUT_CAFILE].data,
	    "DH PARAMETERS"));
	assert_null(strstr((char *)t->b.files[FSCERT_OUT_WSS].data,
	    "DH PARAMETERS"));
	fscert_pem_free(agent);
	free(dh);
}

/* Issue 8 #12: a DH PARAMETERS block OpenSSL cannot parse is refused. */
static void
dhparams_corrupt_refused(void **state)
{
	static const char bad[] = "-----BEGIN DH PARAMETERS-----\nAgEB\n"
	    "-----END DH PARAMETERS-----\n";
	struct bt		*t = *state;
	struct fscert_err	 e;
	char			*live;
	int			 i;

	pki_ec(t, FX_KEY_PKCS8);
	live = fx_live(t->base, NAME, &t->f);
	fscert_err_clear(&e);
	if ((t->l = fscert_lineage_open_dir(live, &e)) == NULL)
		fail_msg("open: %s", e.msg);
	free(live);
	memset(&t->b, 0, sizeof(t->b));
	assert_int_equal(fscert_bundle_build(t->l, bad, &t->b, &e), -1);
	assert_non_null(strstr(e.msg, "agent.pem"));
	assert_non_null(strstr(e.msg, "DH PARAMETERS"));
	assert_null(strchr(e.msg, '\n'));
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		assert_int_equal(t->b.files[i].len, 0);
}

static void
empty_chain_is_refused(void **state)
{
	struct bt		*t = *state;
	struct fscert_err	 e;
	char			*live;

	/* cafile.pem is never written empty. */
	pki_ec(t, FX_KEY_PKCS8);
	fx_files_set(&t->f.chain, NULL);
	fx_files_set(&t->f.fullchain, NULL);
	live = fx_live(t->base, NAME, &t->f);
	fscert_err_clear(&e);
	t->l = fscert_lineage_open_dir(live, &e);
	free(live);
	if (t->l == NULL)
		fail_msg("open: %s", e.msg);
	memset(&t->b, 0, sizeof(t->b));
	assert_int_equal(fscert_bundle_build(t->l, NULL, &t->b, &e), -1);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_true(t->b.files[FSCERT_OUT_CAFILE].len == 0);
}

static void
rebuild_from_installed_is_identical(void **state)
{
	struct bt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	struct fscert_bundle	 b2;
	int			 i;

	/* Deterministic output: "unchanged bytes, nothing written". */
	pki_rsa(t, FX_KEY_TRAD);
	build(t, NULL);
	write_ok(t, 0600);
	fscert_err_clear(&e);
	if ((l = fscert_lineage_open_dir(t->out, &e)) == NULL)
		fail_msg("open installed: %s", e.msg);
	assert_int_equal(l->kind, FSCERT_KIND_INSTALLED);
	memset(&b2, 0, sizeof(b2));
	if (fscert_bundle_build(l, NULL, &b2, &e) == -1)
		fail_msg("build from installed: %s", e.msg);
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		assert_int_equal(b2.files[i].len, t->b.files[i].len);
		assert_memory_equal(b2.files[i].data, t->b.files[i].data,
		    b2.files[i].len);
	}
	fscert_bundle_free(&b2);
	fscert_lineage_free(l);
}

/* Writing. */

static void
assert_file(struct bt *t, enum fscert_out o, mode_t mode)
{
	struct stat	 st;
	char		*p, *data;
	size_t		 len;

	p = fx_path(t->out, fscert_out_name(o));
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	if ((st.st_mode & 07777) != mode)
		fail_msg("%s: mode %04o, expected %04o", fscert_out_name(o),
		    (unsigned)(st.st_mode & 07777), (unsigned)mode);
	data = fx_read(p, &len);
	assert_int_equal(len, t->b.files[o].len);
	assert_memory_equal(data, t->b.files[o].data, len);
	free(data);
	free(p);
}

static void
write_modes_under_strict_umask(void **state)
{
	struct bt	*t = *state;
	char		*ls;

	/* Modes come from the library, not from the umask. */
	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	umask(077);
	write_ok(t, 0600);
	assert_file(t, FSCERT_OUT_AGENT, 0600);
	assert_file(t, FSCERT_OUT_CAFILE, 0644);
	assert_file(t, FSCERT_OUT_WSS, 0600);
	ls = fx_listdir(t->out);
	assert_string_equal(ls, "agent.pem,cafile.pem,wss.pem");
	free(ls);
}

static void
write_key_mode_0640(void **state)
{
	struct bt	*t = *state;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	write_ok(t, 0640);
	assert_file(t, FSCERT_OUT_AGENT, 0640);
	assert_file(t, FSCERT_OUT_CAFILE, 0644);
	assert_file(t, FSCERT_OUT_WSS, 0640);
}

static ino_t
inode(const char *dir, const char *name)
{
	struct stat	 st;
	char		*p = fx_path(dir, name);

	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st.st_ino;
}

static void
write_replaces_by_rename(void **state)
{
	struct bt	*t = *state;
	char		*p, *ls, *seed;
	ino_t		 old[FSCERT_OUT__MAX];
	int		 i;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	fx_installed(t->out, "old agent\n", "old cafile\n", "old wss\n");
	seed = fx_path(t->out, "tls_seed.dat");
	fx_write_str(seed, "seed", 0600);
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		old[i] = inode(t->out, fscert_out_name(i));
	write_ok(t, 0600);
	assert_file(t, FSCERT_OUT_AGENT, 0600);
	assert_file(t, FSCERT_OUT_CAFILE, 0644);
	assert_file(t, FSCERT_OUT_WSS, 0600);
	/* A new inode: replaced by rename, never rewritten in place. */
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		if (inode(t->out, fscert_out_name(i)) == old[i])
			fail_msg("%s rewritten in place", fscert_out_name(i));
	p = fx_read(seed, NULL);
	assert_string_equal(p, "seed");
	free(p);
	ls = fx_listdir(t->out);
	assert_string_equal(ls, "agent.pem,cafile.pem,tls_seed.dat,wss.pem");
	free(ls);
	free(seed);
}

static void
write_twice_is_stable(void **state)
{
	struct bt	*t = *state;
	char		*ls;

	pki_rsa(t, FX_KEY_PKCS8);
	build(t, NULL);
	write_ok(t, 0600);
	write_ok(t, 0600);
	assert_file(t, FSCERT_OUT_AGENT, 0600);
	ls = fx_listdir(t->out);
	assert_string_equal(ls, "agent.pem,cafile.pem,wss.pem");
	free(ls);
}

static void
write_does_not_follow_symlink(void **state)
{
	struct bt	*t = *state;
	struct stat	 st;
	char		*victim, *link, *data;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	victim = fx_path(t->tmp, "victim.txt");
	fx_write_str(victim, "do not touch\n", 0644);
	link = fx_path(t->out, "agent.pem");
	assert_int_equal(symlink(victim, link), 0);
	write_ok(t, 0600);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	data = fx_read(victim, NULL);
	assert_string_equal(data, "do not touch\n");
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_file(t, FSCERT_OUT_AGENT, 0600);
	free(data);
	free(link);
	free(victim);
}

static void
write_missing_dir_leaves_nothing(void **state)
{
	struct bt		*t = *state;
	struct fscert_err	 e;
	struct stat		 st;
	char			*missing, *before, *after;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	missing = fx_path(t->tmp, "no-such-dir");
	before = fx_listdir(t->tmp);
	fscert_err_clear(&e);
	assert_int_equal(fscert_bundle_write(&t->b, missing, 0600, &e), -1);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_non_null(strstr(e.msg, "no-such-dir"));
	assert_int_equal(stat(missing, &st), -1);
	after = fx_listdir(t->tmp);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(missing);
}

static void
write_dir_is_a_file(void **state)
{
	struct bt		*t = *state;
	struct fscert_err	 e;
	char			*file, *before, *after;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	file = fx_path(t->tmp, "plainfile");
	fx_write_str(file, "x", 0644);
	before = fx_listdir(t->tmp);
	fscert_err_clear(&e);
	assert_int_equal(fscert_bundle_write(&t->b, file, 0600, &e), -1);
	assert_non_null(strstr(e.msg, "plainfile"));
	after = fx_listdir(t->tmp);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(file);
}

static void
write_rename_failure_leaves_no_temp(void **state)
{
	struct bt		*t = *state;
	struct fscert_err	 e;
	char			*d, *inner, *ls;

	/* wss.pem is a non-empty directory: its rename must fail. */
	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	d = fx_path(t->out, "wss.pem");
	fx_mkdirs(d);
	inner = fx_path(d, "keep");
	fx_write_str(inner, "x", 0644);
	fscert_err_clear(&e);
	assert_int_equal(fscert_bundle_write(&t->b, t->out, 0600, &e), -1);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_non_null(strstr(e.msg, "wss.pem"));
	ls = fx_listdir(t->out);
	/* agent/cafile may have been renamed already; no temp file stays. */
	if (strcmp(ls, "wss.pem") != 0 &&
	    strcmp(ls, "agent.pem,wss.pem") != 0 &&
	    strcmp(ls, "agent.pem,cafile.pem,wss.pem") != 0)
		fail_msg("left behind: %s", ls);
	free(ls);
	free(inner);
	free(d);
}

struct fsize_arg {
	const struct fscert_bundle *b;
	const char		*dir;
	rlim_t			 limit;
};

static int
write_with_fsize_limit(void *arg)
{
	struct fsize_arg	*a = arg;
	struct fscert_err	 e;
	struct sigaction	 sa;
	struct rlimit		 rl;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGXFSZ, &sa, NULL) == -1 ||
	    getrlimit(RLIMIT_FSIZE, &rl) == -1)
		return 2;
	rl.rlim_cur = a->limit;
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		return 3;
	fscert_err_clear(&e);
	if (fscert_bundle_write(a->b, a->dir, 0600, &e) == 0)
		return 1;
	return strstr(e.msg, "wss.pem") != NULL ? 0 : 4;
}

static void
write_failure_before_rename_changes_nothing(void **state)
{
	struct bt		*t = *state;
	struct fsize_arg	 a;
	char			*ls, *p, tty[64];
	size_t			 la, lc;
	int			 rc;

	/*
	 * The file size limit lets agent.pem and cafile.pem be written
	 * but not wss.pem (the largest): the write fails with EFBIG
	 * before any rename, so the old set must stay as it was.
	 */
	pki_rsa(t, FX_KEY_PKCS8);
	build(t, NULL);
	fx_installed(t->out, "old agent\n", "old cafile\n", "old wss\n");
	la = t->b.files[FSCERT_OUT_AGENT].len;
	lc = t->b.files[FSCERT_OUT_CAFILE].len;
	assert_true(t->b.files[FSCERT_OUT_WSS].len > la &&
	    t->b.files[FSCERT_OUT_WSS].len > lc);
	a.b = &t->b;
	a.dir = t->out;
	a.limit = (rlim_t)(la > lc ? la : lc);
	rc = fx_run_with_tty(write_with_fsize_limit, &a, 20, tty, sizeof(tty));
	if (rc != 0)
		fail_msg("child status %d (1: write succeeded, 4: message "
		    "does not name wss.pem)", rc);
	p = fx_path(t->out, "agent.pem");
	ls = fx_read(p, NULL);
	assert_string_equal(ls, "old agent\n");
	free(ls);
	free(p);
	p = fx_path(t->out, "cafile.pem");
	ls = fx_read(p, NULL);
	assert_string_equal(ls, "old cafile\n");
	free(ls);
	free(p);
	p = fx_path(t->out, "wss.pem");
	ls = fx_read(p, NULL);
	assert_string_equal(ls, "old wss\n");
	free(ls);
	free(p);
	ls = fx_listdir(t->out);
	assert_string_equal(ls, "agent.pem,cafile.pem,wss.pem");
	free(ls);
}

/* TLS: serve the written files as sofia-sip does. */

static void
ssl_why(char *buf, size_t len, const char *what)
{
	unsigned long	 e = ERR_get_error();
	char		 r[200];

	ERR_error_string_n(e, r, sizeof(r));
	snprintf(buf, len, "%s: %s", what, e ? r : "?");
	ERR_clear_error();
}

/*
 * SIP-TLS, sofia-sip tport_tls.c tls_create_ctx(): only the first
 * certificate of agent.pem; the chain is auto-built from the verify
 * store made from cafile.pem (and the dir as CApath).
 */
static SSL_CTX *
sofia_tls_ctx(const char *dir, char *why, size_t wlen)
{
	SSL_CTX	*ctx;
	char	*agent, *cafile;

	agent = fx_path(dir, "agent.pem");
	cafile = fx_path(dir, "cafile.pem");
	ctx = SSL_CTX_new(TLS_method());
	assert_non_null(ctx);
	SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
	    SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_file(ctx, agent, SSL_FILETYPE_PEM) != 1)
		ssl_why(why, wlen, "use_certificate_file(agent.pem)");
	else if (SSL_CTX_use_PrivateKey_file(ctx, agent,
	    SSL_FILETYPE_PEM) != 1)
		ssl_why(why, wlen, "use_PrivateKey_file(agent.pem)");
	else if (SSL_CTX_check_private_key(ctx) != 1)
		ssl_why(why, wlen, "check_private_key");
	else if (SSL_CTX_load_verify_locations(ctx, cafile, dir) != 1)
		ssl_why(why, wlen, "load_verify_locations(cafile.pem)");
	else if (SSL_CTX_set_cipher_list(ctx,
	    "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH") != 1)
		ssl_why(why, wlen, "set_cipher_list");
	else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		free(agent);
		free(cafile);
		return ctx;
	}
	SSL_CTX_free(ctx);
	free(agent);
	free(cafile);
	return NULL;
}

/*
 * WSS, sofia-sip tport_type_ws.c tport_wss_create_ssl_ctx(): chain
 * file, then cert file, then key file, all wss.pem; no verify store.
 */
static SSL_CTX *
sofia_wss_ctx(const char *dir, char *why, size_t wlen)
{
	SSL_CTX	*ctx;
	char	*wss;

	wss = fx_path(dir, "wss.pem");
	ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ctx);
	SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
	    SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, wss) != 1)
		ssl_why(why, wlen, "use_certificate_chain_file(wss.pem)");
	else if (SSL_CTX_use_certificate_file(ctx, wss, SSL_FILETYPE_PEM) != 1)
		ssl_why(why, wlen, "use_certificate_file(wss.pem)");
	else if (SSL_CTX_use_PrivateKey_file(ctx, wss, SSL_FILETYPE_PEM) != 1)
		ssl_why(why, wlen, "use_PrivateKey_file(wss.pem)");
	else if (SSL_CTX_check_private_key(ctx) != 1)
		ssl_why(why, wlen, "check_private_key");
	else if (SSL_CTX_set_cipher_list(ctx,
	    "!eNULL:!aNULL:!DSS:HIGH:@STRENGTH") != 1)
		ssl_why(why, wlen, "set_cipher_list");
	else {
		free(wss);
		return ctx;
	}
	SSL_CTX_free(ctx);
	free(wss);
	return NULL;
}

struct server {
	SSL_CTX	*ctx;
	int	 fd;
	int	 ok;
	char	 why[256];
};

static void *
server_main(void *arg)
{
	struct server	*s = arg;
	SSL		*ssl;

	if ((ssl = SSL_new(s->ctx)) == NULL || !SSL_set_fd(ssl, s->fd)) {
		ssl_why(s->why, sizeof(s->why), "SSL_new");
	} else if (SSL_accept(ssl) == 1) {
		s->ok = 1;
		(void)SSL_shutdown(ssl);
	} else
		ssl_why(s->why, sizeof(s->why), "SSL_accept");
	SSL_free(ssl);
	close(s->fd);
	return NULL;
}

struct hs {
	int		 ok;		/* the client's handshake succeeded */
	long		 verify;	/* SSL_get_verify_result */
	STACK_OF(X509)	*served;	/* what the server sent, leaf first */
	char		 why[256];
	int		 server_ok;
	char		 server_why[256];
};

/* One handshake against sctx over a socketpair; the client trusts root. */
static void
handshake(SSL_CTX *sctx, X509 *root, int verify, int max_version,
    struct hs *h)
{
	struct server	 s;
	struct timeval	 tv;
	pthread_t	 th;
	SSL_CTX		*cctx;
	SSL		*ssl;
	STACK_OF(X509)	*chain;
	int		 sv[2], i;

	memset(h, 0, sizeof(*h));
	memset(&s, 0, sizeof(s));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	for (i = 0; i < 2; i++) {
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv));
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
	}
	s.ctx = sctx;
	s.fd = sv[0];
	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);

	cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(cctx);
	if (max_version != 0)
		assert_int_equal(SSL_CTX_set_max_proto_version(cctx,
		    max_version), 1);
	assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx),
	    root), 1);
	SSL_CTX_set_verify(cctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	ssl = SSL_new(cctx);
	assert_non_null(ssl);
	assert_int_equal(SSL_set_tlsext_host_name(ssl, FX_LEAF_CN), 1);
	assert_int_equal(SSL_set1_host(ssl, FX_LEAF_CN), 1);
	assert_int_equal(SSL_set_fd(ssl, sv[1]), 1);
	if (SSL_connect(ssl) == 1) {
		h->ok = 1;
		/* On the client side the peer chain includes the leaf. */
		chain = SSL_get_peer_cert_chain(ssl);
		h->served = sk_X509_new_null();
		for (i = 0; i < sk_X509_num(chain); i++) {
			X509_up_ref(sk_X509_value(chain, i));
			sk_X509_push(h->served, sk_X509_value(chain, i));
		}
		(void)SSL_shutdown(ssl);
	} else
		ssl_why(h->why, sizeof(h->why), "SSL_connect");
	h->verify = SSL_get_verify_result(ssl);
	SSL_free(ssl);
	SSL_CTX_free(cctx);
	close(sv[1]);
	assert_int_equal(pthread_join(th, NULL), 0);
	h->server_ok = s.ok;
	memcpy(h->server_why, s.why, sizeof(h->server_why));
}

static void
hs_free(struct hs *h)
{
	sk_X509_pop_free(h->served, X509_free);
	h->served = NULL;
}

/* Write the bundle, serve it, and check leaf + intermediate arrive. */
static void
serve_and_check(struct bt *t, int wss, int max_version)
{
	SSL_CTX		*sctx;
	struct hs	 h;
	char		 why[256] = "";

	write_ok(t, 0600);
	sctx = wss ? sofia_wss_ctx(t->out, why, sizeof(why)) :
	    sofia_tls_ctx(t->out, why, sizeof(why));
	if (sctx == NULL)
		fail_msg("sofia-style load failed: %s", why);
	handshake(sctx, t->pki.root, 1, max_version, &h);
	SSL_CTX_free(sctx);
	if (!h.ok)
		fail_msg("handshake failed: %s (verify %ld: %s); server: %s",
		    h.why, h.verify, X509_verify_cert_error_string(h.verify),
		    h.server_why);
	assert_int_equal(h.verify, X509_V_OK);
	assert_true(h.server_ok);
	if (sk_X509_num(h.served) != 2)
		fail_msg("served %d certificates, expected leaf + "
		    "intermediate", sk_X509_num(h.served));
	assert_true(fx_same_cert(sk_X509_value(h.served, 0), t->pki.leaf));
	assert_true(fx_same_cert(sk_X509_value(h.served, 1), t->pki.inter));
	hs_free(&h);
}

static void
tls_sip_ec(void **state)
{
	struct bt	*t = *state;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	serve_and_check(t, 0, 0);
}

static void
tls_sip_rsa(void **state)
{
	struct bt	*t = *state;

	pki_rsa(t, FX_KEY_TRAD);
	build(t, NULL);
	serve_and_check(t, 0, 0);
}

static void
tls_sip_rsa_tls12(void **state)
{
	struct bt	*t = *state;

	pki_rsa(t, FX_KEY_PKCS8);
	build(t, NULL);
	serve_and_check(t, 0, TLS1_2_VERSION);
}

static void
tls_sip_with_dhparams(void **state)
{
	struct bt	*t = *state;
	char		*dh;

	/* sofia reads the DH block from agent.pem too; it must not hurt. */
	pki_rsa(t, FX_KEY_PKCS8);
	dh = fx_pem_dh();
	build(t, dh);
	free(dh);
	serve_and_check(t, 0, TLS1_2_VERSION);
}

static void
tls_wss_ec(void **state)
{
	struct bt	*t = *state;

	pki_ec(t, FX_KEY_TRAD);
	build(t, NULL);
	serve_and_check(t, 1, 0);
}

static void
tls_wss_rsa(void **state)
{
	struct bt	*t = *state;

	pki_rsa(t, FX_KEY_PKCS8);
	build(t, NULL);
	serve_and_check(t, 1, 0);
}

static void
tls_harness_sees_missing_intermediate(void **state)
{
	struct bt	*t = *state;
	SSL_CTX		*sctx;
	struct hs	 h;
	char		*p, *root, why[256] = "";

	/*
	 * The negative control for the harness: with the root instead of
	 * the intermediate in cafile.pem, sofia serves the leaf alone and
	 * a verifying client must fail.  Proves the checks above can fail.
	 */
	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	write_ok(t, 0600);
	p = fx_path(t->out, "cafile.pem");
	root = fx_pem_certs(t->pki.root, (X509 *)NULL);
	fx_write_str(p, root, 0644);
	free(root);
	free(p);
	sctx = sofia_tls_ctx(t->out, why, sizeof(why));
	if (sctx == NULL)
		fail_msg("%s", why);
	handshake(sctx, t->pki.root, 0, 0, &h);
	assert_true(h.ok);
	assert_int_equal(sk_X509_num(h.served), 1);
	assert_int_not_equal(h.verify, X509_V_OK);
	hs_free(&h);
	handshake(sctx, t->pki.root, 1, 0, &h);
	assert_false(h.ok);
	hs_free(&h);
	SSL_CTX_free(sctx);
}

/* A buffer holding s (borrowed). */
static struct fscert_buf
sbuf(const char *s)
{
	struct fscert_buf b;

	b.data = (unsigned char *)s;
	b.len = b.cap = s != NULL ? strlen(s) : 0;
	return b;
}

/*
 * A profile verifying its peers reads cafile.pem as its trust store: the
 * admin's anchor there survives a deploy and the one after it, the old
 * intermediate fscert wrote does not; the served chain is unchanged and
 * an installed dir still reads as leaf + intermediate.
 */
static void
trust_anchors_kept(void **state)
{
	struct bt		*t = *state;
	struct fx_spec		 s;
	struct fscert_buf	 cur, agent;
	struct fscert_lineage	*inst;
	struct fscert_pem	*ca;
	struct fscert_err	 e;
	X509			*peer, *old_inter, *old_leaf;
	char			*cur_pem, *agent_pem, *kept_pem, kept[512];
	char			*dir;
	int			 n;

	pki_ec(t, FX_KEY_PKCS8);
	build(t, NULL);
	fx_spec_ca(&s, "Peer Trunk Root", fx_key_ec("P-256", 4));
	peer = fx_cert(&s, NULL, fx_key_ec("P-256", 4));
	fx_spec_ca(&s, "Old Intermediate", fx_key_ec("P-256", 5));
	old_inter = fx_cert(&s, t->pki.root, t->pki.root_key);
	fx_spec_leaf(&s, fx_key_ec("P-256", 6));
	old_leaf = fx_cert(&s, old_inter, fx_key_ec("P-256", 5));
	cur_pem = fx_pem_certs(old_inter, peer, NULL);
	agent_pem = fx_pem_certs(old_leaf, NULL);
	cur = sbuf(cur_pem);
	agent = sbuf(agent_pem);
	fscert_err_clear(&e);

	/* Policy none, no marker yet: cafile.pem as today. */
	assert_int_equal(fscert_bundle_keep_anchors(&t->b, t->l, &cur, &agent,
			     0, &n, kept, sizeof(kept), &e), 0);
	assert_int_equal(n, 0);
	check_contents(t, t->pki.inter, NULL, "PRIVATE KEY");

	/* Verifying peers: the old intermediate goes, the peer root stays. */
	assert_int_equal(fscert_bundle_keep_anchors(&t->b, t->l, &cur, &agent,
			     1, &n, kept, sizeof(kept), &e), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(kept, "CN=Peer Trunk Root"));
	ca = parse_buf("cafile.pem", &t->b.files[FSCERT_OUT_CAFILE]);
	assert_certs("cafile.pem", ca, t->pki.inter, peer, NULL);
	fscert_pem_free(ca);
	assert_non_null(strstr((char *)t->b.files[FSCERT_OUT_CAFILE].data,
	    FSCERT_ANCHORS_MARKER));

	/* Installed: the chain is the intermediate, the anchor apart. */
	serve_and_check(t, 0, 0);
	dir = t->out;
	assert_non_null(inst = fscert_lineage_open_dir(dir, &e));
	assert_int_equal(sk_X509_num(inst->chain), 1);
	assert_true(fx_same_cert(sk_X509_value(inst->chain, 0), t->pki.inter));
	assert_int_equal(inst->files[FSCERT_F_CAFILE].nanchors, 1);
	fscert_lineage_free(inst);

	/* The next deploy keeps it by the marker, whatever the policy. */
	kept_pem = calloc(1, t->b.files[FSCERT_OUT_CAFILE].len + 1);
	assert_non_null(kept_pem);
	memcpy(kept_pem, t->b.files[FSCERT_OUT_CAFILE].data,
	    t->b.files[FSCERT_OUT_CAFILE].len);
	fscert_bundle_free(&t->b);
	memset(&t->b, 0, sizeof(t->b));
	assert_int_equal(fscert_bundle_build(t->l, NULL, &t->b, &e), 0);
	cur = sbuf(kept_pem);
	assert_int_equal(fscert_bundle_keep_anchors(&t->b, t->l, &cur, NULL, 0,
			     &n, kept, sizeof(kept), &e), 0);
	assert_int_equal(n, 1);
	ca = parse_buf("cafile.pem", &t->b.files[FSCERT_OUT_CAFILE]);
	assert_certs("cafile.pem", ca, t->pki.inter, peer, NULL);
	fscert_pem_free(ca);

	free(kept_pem);
	free(cur_pem);
	free(agent_pem);
	X509_free(peer);
	X509_free(old_inter);
	X509_free(old_leaf);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(out_names),
		T(contents_ec),
		T(contents_rsa),
		T(contents_keep_sec1_label),
		T(contents_keep_pkcs1_label),
		T(contents_from_crlf_and_dumps),
		T(contents_two_intermediates_in_order),
		T(dhparams_go_to_agent_only),
		T(dhparams_corrupt_refused),
		T(empty_chain_is_refused),
		T(rebuild_from_installed_is_identical),
		T(write_modes_under_strict_umask),
		T(write_key_mode_0640),
		T(write_replaces_by_rename),
		T(write_twice_is_stable),
		T(write_does_not_follow_symlink),
		T(write_missing_dir_leaves_nothing),
		T(write_dir_is_a_file),
		T(write_rename_failure_leaves_no_temp),
		T(write_failure_before_rename_changes_nothing),
		T(tls_sip_ec),
		T(tls_sip_rsa),
		T(tls_sip_rsa_tls12),
		T(tls_sip_with_dhparams),
		T(tls_wss_ec),
		T(tls_wss_rsa),
		T(tls_harness_sees_missing_intermediate),
		T(trust_anchors_kept),
	};
	int	 rc;

	fx_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fx_pool_free();
	return rc;
}
