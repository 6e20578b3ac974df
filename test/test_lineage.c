/*
 * test_lineage.c: lib/lineage.c, reading a lineage from disk: certbot
 * live dirs (symlinks into ../../archive), explicit files and installed
 * FreeSWITCH cert dirs, with the size cap and the symlink fence.
 */
/* realpath(3) and symlink games. */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fscert/lineage.h"
#include "fixture.h"

#define NAME	"example.test"

struct lt {
	char		*tmp;		/* scratch dir */
	char		*base;		/* tmp/letsencrypt: certbot's config */
	char		*archive;	/* base/archive/NAME */
	char		*elsewhere;	/* tmp/elsewhere, outside base */
	char		*dir;		/* a test's dir, freed by teardown */
	struct fx_pki	 pki;
	struct fx_files	 f;
};

static int
setup(void **state)
{
	struct lt	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->tmp = fx_tmpdir();
	t->base = fx_path(t->tmp, "letsencrypt");
	t->archive = fx_cat(t->base, "/archive/" NAME, (char *)NULL);
	t->elsewhere = fx_path(t->tmp, "elsewhere");
	fx_mkdirs(t->elsewhere);
	fx_pki_init(&t->pki, fx_key_rsa(2048, 0));
	fx_files_std(&t->f, &t->pki, FX_KEY_PKCS8);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct lt	*t = *state;

	fx_rmtree(t->tmp);
	fx_files_free(&t->f);
	fx_pki_free(&t->pki);
	free(t->tmp);
	free(t->base);
	free(t->archive);
	free(t->elsewhere);
	free(t->dir);
	free(t);
	return 0;
}

static char *
make_live(struct lt *t)
{
	return fx_live(t->base, NAME, &t->f);
}

/* Path of a file in the archive ("cert1.pem"). */
static char *
arch(struct lt *t, const char *name)
{
	return fx_path(t->archive, name);
}

static void
open_fails(const char *dir, enum fscert_code code, const char *name1,
    const char *name2)
{
	struct fscert_err	 e;
	struct fscert_lineage	*l;

	fscert_err_clear(&e);
	l = fscert_lineage_open_dir(dir, &e);
	if (l != NULL) {
		fscert_lineage_free(l);
		fail_msg("%s: opened, expected %s", dir,
		    fscert_code_name(code));
	}
	if (e.code != code)
		fail_msg("code %s (%s), expected %s", fscert_code_name(e.code),
		    e.msg, fscert_code_name(code));
	if (name1 != NULL && strstr(e.msg, name1) == NULL)
		fail_msg("message does not name '%s': %s", name1, e.msg);
	if (name2 != NULL && strstr(e.msg, name2) == NULL)
		fail_msg("message does not name '%s': %s", name2, e.msg);
}

static struct fscert_lineage *
open_ok(const char *dir)
{
	struct fscert_err	 e;
	struct fscert_lineage	*l;

	fscert_err_clear(&e);
	if ((l = fscert_lineage_open_dir(dir, &e)) == NULL)
		fail_msg("%s: %s (%s)", dir, e.msg, fscert_code_name(e.code));
	return l;
}

static void
assert_chain(const struct fscert_lineage *l, X509 *a, X509 *b)
{
	int	 n = (a != NULL) + (b != NULL);

	if (n == 0) {
		assert_true(l->chain == NULL || sk_X509_num(l->chain) == 0);
		return;
	}
	assert_non_null(l->chain);
	assert_int_equal(sk_X509_num(l->chain), n);
	assert_true(fx_same_cert(sk_X509_value(l->chain, 0), a));
	if (b != NULL)
		assert_true(fx_same_cert(sk_X509_value(l->chain, 1), b));
}

/* certbot live dirs. */

static void
live_dir(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live, *p, real[PATH_MAX], rbase[PATH_MAX];

	live = make_live(t);
	l = open_ok(live);
	assert_int_equal(l->kind, FSCERT_KIND_LIVE);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_int_equal(l->leaf_from, FSCERT_F_CERT);
	assert_chain(l, t->pki.inter, NULL);
	assert_int_equal(l->chain_from, FSCERT_F_CHAIN);
	assert_int_equal(l->key_from, FSCERT_F_KEY);
	assert_int_equal(EVP_PKEY_eq(l->files[FSCERT_F_KEY].pem->key,
	    t->pki.leaf_key), 1);
	assert_true(l->files[FSCERT_F_CERT].present);
	assert_true(l->files[FSCERT_F_KEY].present);
	assert_true(l->files[FSCERT_F_CHAIN].present);
	assert_true(l->files[FSCERT_F_FULLCHAIN].present);
	assert_false(l->files[FSCERT_F_AGENT].present);
	assert_string_equal(fscert_lineage_name(l, FSCERT_F_KEY),
	    "privkey.pem");
	assert_string_equal(fscert_lineage_name(l, FSCERT_F_CERT),
	    "cert.pem");

	/* The real paths are the archive files the links point to. */
	p = arch(t, "privkey1.pem");
	assert_non_null(realpath(p, real));
	assert_string_equal(l->files[FSCERT_F_KEY].real, real);
	free(p);
	assert_int_equal(l->files[FSCERT_F_KEY].mode & 07777, 0600);
	assert_int_equal(l->files[FSCERT_F_CERT].mode & 07777, 0644);
	assert_int_equal(l->files[FSCERT_F_KEY].uid, getuid());

	/* The fence is certbot's config dir, two levels up. */
	assert_non_null(realpath(t->base, rbase));
	assert_non_null(l->root);
	assert_string_equal(l->root, rbase);
	fscert_lineage_free(l);
	free(live);
}

static void
live_dir_trailing_slash(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live, *slash;

	live = make_live(t);
	slash = fx_cat(live, "/", (char *)NULL);
	l = open_ok(slash);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	fscert_lineage_free(l);
	free(slash);
	free(live);
}

static void
absolute_link_inside_tree(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live, *link, *target;

	live = make_live(t);
	link = fx_path(live, "chain.pem");
	target = arch(t, "chain1.pem");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(target, link), 0);
	l = open_ok(live);
	assert_chain(l, t->pki.inter, NULL);
	fscert_lineage_free(l);
	free(link);
	free(target);
	free(live);
}

static void
link_to_other_lineage_inside_tree(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live, *other, *link;

	/* Another lineage's archive is still certbot's tree. */
	other = fx_live(t->base, "other.test", &t->f);
	live = make_live(t);
	link = fx_path(live, "chain.pem");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("../../archive/other.test/chain1.pem",
	    link), 0);
	l = open_ok(live);
	assert_chain(l, t->pki.inter, NULL);
	fscert_lineage_free(l);
	free(link);
	free(other);
	free(live);
}

static void
chain_from_fullchain(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live;

	fx_files_set(&t->f.chain, NULL);
	live = make_live(t);
	l = open_ok(live);
	assert_chain(l, t->pki.inter, NULL);
	assert_int_equal(l->chain_from, FSCERT_F_FULLCHAIN);
	assert_false(l->files[FSCERT_F_CHAIN].present);
	fscert_lineage_free(l);
	free(live);
}

static void
no_chain_files_opens_empty(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live;

	/* Refusing an empty chain is validate's job, with a finding. */
	fx_files_set(&t->f.chain, NULL);
	fx_files_set(&t->f.fullchain, NULL);
	live = make_live(t);
	l = open_ok(live);
	assert_chain(l, NULL, NULL);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	fscert_lineage_free(l);
	free(live);
}

static void
missing_privkey(void **state)
{
	struct lt	*t = *state;
	char		*live;

	fx_files_set(&t->f.privkey, NULL);
	live = make_live(t);
	open_fails(live, FSCERT_ENOENT, "privkey.pem", NULL);
	free(live);
}

static void
missing_cert(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*live;

	fx_files_set(&t->f.cert, NULL);
	live = make_live(t);
	fscert_err_clear(&e);
	l = fscert_lineage_open_dir(live, &e);
	assert_null(l);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_true(strstr(e.msg, "cert.pem") != NULL ||
	    strstr(e.msg, live) != NULL);
	free(live);
}

static void
dangling_privkey(void **state)
{
	struct lt	*t = *state;
	char		*live, *p;

	live = make_live(t);
	p = arch(t, "privkey1.pem");
	assert_int_equal(unlink(p), 0);
	open_fails(live, FSCERT_ENOENT, "privkey.pem", NULL);
	free(p);
	free(live);
}

static void
dangling_cert(void **state)
{
	struct lt	*t = *state;
	char		*live, *p;

	live = make_live(t);
	p = arch(t, "cert1.pem");
	assert_int_equal(unlink(p), 0);
	open_fails(live, FSCERT_ENOENT, "cert.pem", NULL);
	free(p);
	free(live);
}

static void
escape_absolute(void **state)
{
	struct lt	*t = *state;
	char		*live, *link, *out;

	live = make_live(t);
	out = fx_path(t->elsewhere, "elsewhere.crt");
	fx_write_str(out, t->f.cert, 0644);
	link = fx_path(live, "cert.pem");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(out, link), 0);
	/* Both the link and where it leads are named. */
	open_fails(live, FSCERT_ESYMLINK, "cert.pem", "elsewhere.crt");
	free(out);
	free(link);
	free(live);
}

static void
escape_relative(void **state)
{
	struct lt	*t = *state;
	char		*live, *link, *out;

	live = make_live(t);
	out = fx_path(t->elsewhere, "stolen-key.pem");
	fx_write_str(out, t->f.privkey, 0600);
	link = fx_path(live, "privkey.pem");
	assert_int_equal(unlink(link), 0);
	/* live/NAME -> letsencrypt -> tmp: three levels up, then across. */
	assert_int_equal(symlink("../../../elsewhere/stolen-key.pem", link),
	    0);
	open_fails(live, FSCERT_ESYMLINK, "privkey.pem", "stolen-key.pem");
	free(out);
	free(link);
	free(live);
}

static void
escape_via_archive(void **state)
{
	struct lt	*t = *state;
	char		*live, *p, *out;

	/* The live link stays inside; the archive file is itself a link. */
	live = make_live(t);
	out = fx_path(t->elsewhere, "outside-chain.pem");
	fx_write_str(out, t->f.chain, 0644);
	p = arch(t, "chain1.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(out, p), 0);
	open_fails(live, FSCERT_ESYMLINK, "chain.pem", "outside-chain.pem");
	free(out);
	free(p);
	free(live);
}

/* Make link point to dir/name. */
static void
q_symlink(const char *dir, const char *name, const char *link)
{
	char	*target = fx_path(dir, name);

	assert_int_equal(symlink(target, link), 0);
	free(target);
}

static void
plain_dir(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*dir, *p, *far, rtmp[PATH_MAX];

	/* Any dir with cert.pem: regular files, fenced by its parent. */
	dir = fx_path(t->tmp, "plain");
	fx_mkdirs(dir);
	p = fx_path(dir, "cert.pem");
	fx_write_str(p, t->f.cert, 0644);
	free(p);
	p = fx_path(dir, "chain.pem");
	fx_write_str(p, t->f.chain, 0644);
	free(p);
	p = fx_path(dir, "privkey.pem");
	fx_write_str(p, t->f.privkey, 0600);
	free(p);
	l = open_ok(dir);
	assert_int_equal(l->kind, FSCERT_KIND_LIVE);
	assert_chain(l, t->pki.inter, NULL);
	assert_non_null(realpath(t->tmp, rtmp));
	assert_string_equal(l->root, rtmp);
	fscert_lineage_free(l);

	/*
	 * Issue 8 #8: a hand-made layout keeps its files in a sibling
	 * archive dir: a link into the parent's tree is followed.
	 */
	p = fx_path(dir, "privkey.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("../elsewhere/k.pem", p), 0);
	free(p);
	p = fx_path(t->elsewhere, "k.pem");
	fx_write_str(p, t->f.privkey, 0600);
	free(p);
	l = open_ok(dir);
	assert_non_null(strstr(l->files[FSCERT_F_KEY].real, "elsewhere"));
	fscert_lineage_free(l);

	/* Beyond the parent: refused, naming the root and why it applies. */
	far = fx_tmpdir();
	p = fx_path(far, "k.pem");
	fx_write_str(p, t->f.privkey, 0600);
	free(p);
	p = fx_path(dir, "privkey.pem");
	assert_int_equal(unlink(p), 0);
	q_symlink(far, "k.pem", p);
	free(p);
	open_fails(dir, FSCERT_ESYMLINK, "privkey.pem", "parent directory");
	open_fails(dir, FSCERT_ESYMLINK, rtmp, far);
	fx_rmtree(far);
	free(far);
	free(dir);
}

/* An escape from a live/ dir names certbot's config dir as the fence. */
static void
escape_names_config_dir(void **state)
{
	struct lt	*t = *state;
	char		*live, *link, *out, rbase[PATH_MAX];

	live = make_live(t);
	out = fx_path(t->elsewhere, "elsewhere.crt");
	fx_write_str(out, t->f.cert, 0644);
	link = fx_path(live, "cert.pem");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(out, link), 0);
	assert_non_null(realpath(t->base, rbase));
	open_fails(live, FSCERT_ESYMLINK, rbase, "certbot config dir");
	free(out);
	free(link);
	free(live);
}

/* Size cap. */

static char *
padded_pem(const char *pem, size_t total)
{
	char	*s;
	size_t	 n = strlen(pem), i;

	assert_true(total > n + 2);
	s = malloc(total + 1);
	assert_non_null(s);
	memcpy(s, pem, n);
	/* Comment lines after the block: text a reader must skip. */
	for (i = n; i < total; i++)
		s[i] = ((i - n) % 64 == 63) ? '\n' : '#';
	s[total - 1] = '\n';
	s[total] = '\0';
	return s;
}

static void
oversize_refused(void **state)
{
	struct lt	*t = *state;
	char		*live, *p, *big;

	live = make_live(t);
	p = arch(t, "cert1.pem");
	big = padded_pem(t->f.cert, FSCERT_FILE_MAX + 1);
	fx_write(p, big, FSCERT_FILE_MAX + 1, 0644);
	open_fails(live, FSCERT_ETOOBIG, "cert.pem", NULL);
	free(big);
	free(p);
	free(live);
}

static void
exactly_max_accepted(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live, *p, *big;

	live = make_live(t);
	p = arch(t, "cert1.pem");
	big = padded_pem(t->f.cert, FSCERT_FILE_MAX);
	fx_write(p, big, FSCERT_FILE_MAX, 0644);
	l = open_ok(live);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	fscert_lineage_free(l);
	free(big);
	free(p);
	free(live);
}

static void
oversize_before_parsing(void **state)
{
	struct lt	*t = *state;
	char		*live, *p, *zeros;

	/* Binary junk: a parser would say DER or parse error. */
	live = make_live(t);
	p = arch(t, "privkey1.pem");
	zeros = calloc(1, FSCERT_FILE_MAX + 1);
	assert_non_null(zeros);
	fx_write(p, zeros, FSCERT_FILE_MAX + 1, 0600);
	open_fails(live, FSCERT_ETOOBIG, "privkey.pem", NULL);
	free(zeros);
	free(p);
	free(live);
}

static void
huge_sparse_refused(void **state)
{
	struct lt	*t = *state;
	char		*live, *p;
	int		 fd;

	/* 8 GiB of nothing: refused by size, never read. */
	live = make_live(t);
	p = arch(t, "chain1.pem");
	fd = open(p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)8 << 30), 0);
	close(fd);
	open_fails(live, FSCERT_ETOOBIG, "chain.pem", NULL);
	free(p);
	free(live);
}

/* What administrators have on disk. */

static void
crlf_files(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live;

	fx_files_set(&t->f.cert, fx_crlf(t->f.cert));
	fx_files_set(&t->f.chain, fx_crlf(t->f.chain));
	fx_files_set(&t->f.fullchain, fx_crlf(t->f.fullchain));
	fx_files_set(&t->f.privkey, fx_crlf(t->f.privkey));
	live = make_live(t);
	l = open_ok(live);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_chain(l, t->pki.inter, NULL);
	assert_true(l->files[FSCERT_F_CERT].pem->ncrlf > 0);
	assert_non_null(l->files[FSCERT_F_KEY].pem->key);
	fscert_lineage_free(l);
	free(live);
}

static void
text_dumps(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	char			*live, *a, *b;

	a = fx_pem_dump(t->pki.leaf);
	b = fx_pem_dump(t->pki.inter);
	fx_files_set(&t->f.cert, fx_cat(a, (char *)NULL));
	fx_files_set(&t->f.chain, fx_cat(b, (char *)NULL));
	fx_files_set(&t->f.fullchain, fx_cat(a, b, (char *)NULL));
	live = make_live(t);
	l = open_ok(live);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_chain(l, t->pki.inter, NULL);
	fscert_lineage_free(l);
	free(a);
	free(b);
	free(live);
}

static void
der_cert(void **state)
{
	struct lt	*t = *state;
	unsigned char	*der;
	char		*live, *p;
	size_t		 len;

	live = make_live(t);
	p = arch(t, "cert1.pem");
	der = fx_der_cert(t->pki.leaf, &len);
	fx_write(p, der, len, 0644);
	open_fails(live, FSCERT_EDER, "cert.pem", NULL);
	free(der);
	free(p);
	free(live);
}

static void
truncated_chain(void **state)
{
	struct lt	*t = *state;
	char		*live;

	t->f.chain[strlen(t->f.chain) - 30] = '\0';
	live = make_live(t);
	open_fails(live, FSCERT_EPARSE, "chain.pem", NULL);
	free(live);
}

static void
key_format(struct lt *t, EVP_PKEY *k, enum fx_keyfmt f, const char *label)
{
	struct fscert_lineage	*l;
	struct fx_spec		 s;
	char			*live;

	fx_spec_leaf(&s, k);
	fx_pki_leaf(&t->pki, &s);
	fx_files_free(&t->f);
	fx_files_std(&t->f, &t->pki, f);
	live = make_live(t);
	l = open_ok(live);
	assert_non_null(l->files[FSCERT_F_KEY].pem->key);
	assert_int_equal(EVP_PKEY_eq(l->files[FSCERT_F_KEY].pem->key, k), 1);
	assert_string_equal(l->files[FSCERT_F_KEY].pem->key_label, label);
	fscert_lineage_free(l);
	free(live);
}

static void
key_pkcs8(void **state)
{
	key_format(*state, fx_key_rsa(2048, 0), FX_KEY_PKCS8, "PRIVATE KEY");
}

static void
key_sec1(void **state)
{
	key_format(*state, fx_key_ec("P-256", 2), FX_KEY_TRAD,
	    "EC PRIVATE KEY");
}

static void
key_pkcs1(void **state)
{
	key_format(*state, fx_key_rsa(2048, 0), FX_KEY_TRAD,
	    "RSA PRIVATE KEY");
}

static int
open_in_child(void *arg)
{
	struct fscert_err	 e;
	struct fscert_lineage	*l;

	fscert_err_clear(&e);
	if ((l = fscert_lineage_open_dir(arg, &e)) != NULL)
		return 100;
	if (e.code == FSCERT_EENCRYPTED && strstr(e.msg, "privkey.pem"))
		return 0;
	fprintf(stderr, "child: %s: %s\n", fscert_code_name(e.code), e.msg);
	return 10 + (int)e.code;
}

static void
encrypted_key(void **state)
{
	struct lt	*t = *state;
	char		*live, tty[256];
	int		 rc;

	fx_files_set(&t->f.privkey, fx_pem_key(t->pki.leaf_key,
	    FX_KEY_ENC_PKCS8));
	live = make_live(t);
	rc = fx_run_with_tty(open_in_child, live, 10, tty, sizeof(tty));
	free(live);
	if (rc == -1)
		fail_msg("prompted for a pass phrase: \"%s\"", tty);
	if (rc == -2)
		fail_msg("hung (waiting for a pass phrase?)");
	if (rc == 100)
		fail_msg("encrypted key accepted");
	assert_int_equal(rc, 0);
}

static int
open_fifo_child(void *arg)
{
	struct fscert_err	 e;
	struct fscert_lineage	*l;

	fscert_err_clear(&e);
	if ((l = fscert_lineage_open_dir(arg, &e)) != NULL)
		return 100;
	return strstr(e.msg, "privkey.pem") != NULL ? 0 : 1;
}

static void
fifo_does_not_hang(void **state)
{
	struct lt	*t = *state;
	char		*live, *p, tty[64];
	int		 rc;

	/* A FIFO where the key should be: refuse, do not block in open. */
	live = make_live(t);
	p = arch(t, "privkey1.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	rc = fx_run_with_tty(open_fifo_child, live, 5, tty, sizeof(tty));
	free(p);
	free(live);
	if (rc == -2)
		fail_msg("blocked opening a FIFO as privkey.pem");
	assert_int_equal(rc, 0);
}

static void
dir_as_cert(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*live, *p;

	live = make_live(t);
	p = arch(t, "cert1.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	fscert_err_clear(&e);
	l = fscert_lineage_open_dir(live, &e);
	assert_null(l);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_non_null(strstr(e.msg, "cert.pem"));
	free(p);
	free(live);
}

/* Installed FreeSWITCH cert dirs. */

static void
write_installed(struct lt *t, const char *dir, int with_wss)
{
	char	*agent, *cafile, *wss, *leaf, *key;

	leaf = fx_pem_certs(t->pki.leaf, (X509 *)NULL);
	key = fx_pem_key(t->pki.leaf_key, FX_KEY_PKCS8);
	agent = fx_cat(leaf, key, (char *)NULL);
	cafile = fx_pem_certs(t->pki.inter, (X509 *)NULL);
	wss = fx_cat(t->f.fullchain, key, (char *)NULL);
	fx_installed(dir, agent, cafile, with_wss ? wss : NULL);
	free(leaf);
	free(key);
	free(agent);
	free(cafile);
	free(wss);
}

static void
installed_dir(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;

	t->dir = fx_path(t->tmp, "tls");
	write_installed(t, t->dir, 1);
	l = open_ok(t->dir);
	assert_int_equal(l->kind, FSCERT_KIND_INSTALLED);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_int_equal(l->leaf_from, FSCERT_F_AGENT);
	assert_chain(l, t->pki.inter, NULL);
	assert_int_equal(l->chain_from, FSCERT_F_CAFILE);
	assert_int_equal(l->key_from, FSCERT_F_AGENT);
	assert_true(l->files[FSCERT_F_WSS].present);
	assert_false(l->files[FSCERT_F_CERT].present);
	assert_string_equal(fscert_lineage_name(l, FSCERT_F_AGENT),
	    "agent.pem");
	assert_int_equal(sk_X509_num(l->files[FSCERT_F_WSS].pem->certs), 2);
	fscert_lineage_free(l);
}

/*
 * Issue 8 #3: admins leave cert.pem and privkey.pem (here of an older
 * leaf) in /etc/freeswitch/tls; the directory is still an installed
 * cert dir.  FusionPBX links agent.pem and wss.pem to all.pem in the
 * same directory: those links are followed.
 */
static void
installed_beside_stray_live_files(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;
	struct fx_spec		 s;
	X509			*old;
	char			*key, *all, *p, *q;

	t->dir = fx_path(t->tmp, "tls");
	write_installed(t, t->dir, 0);
	key = fx_pem_key(t->pki.leaf_key, FX_KEY_PKCS8);
	all = fx_cat(t->f.fullchain, key, (char *)NULL);
	p = fx_path(t->dir, "all.pem");
	fx_write_str(p, all, 0600);
	free(p);
	p = fx_path(t->dir, "agent.pem");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("all.pem", p), 0);
	free(p);
	p = fx_path(t->dir, "wss.pem");
	assert_int_equal(symlink("all.pem", p), 0);
	free(p);
	fx_spec_leaf(&s, fx_key_rsa(2048, 1));
	s.cn = "old.example.test";
	s.san = "old.example.test";
	old = fx_cert(&s, t->pki.inter, t->pki.inter_key);
	p = fx_path(t->dir, "cert.pem");
	q = fx_pem_certs(old, (X509 *)NULL);
	fx_write_str(p, q, 0644);
	free(p);
	free(q);
	p = fx_path(t->dir, "privkey.pem");
	q = fx_pem_key(fx_key_rsa(2048, 1), FX_KEY_PKCS8);
	fx_write_str(p, q, 0600);
	free(p);
	free(q);

	l = open_ok(t->dir);
	assert_int_equal(l->kind, FSCERT_KIND_INSTALLED);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_int_equal(l->leaf_from, FSCERT_F_AGENT);
	assert_true(l->files[FSCERT_F_WSS].present);
	assert_false(l->files[FSCERT_F_CERT].present);
	assert_chain(l, t->pki.inter, NULL);
	fscert_lineage_free(l);
	X509_free(old);
	free(key);
	free(all);
}

static void
installed_without_wss(void **state)
{
	struct lt		*t = *state;
	struct fscert_lineage	*l;

	/* SIP-TLS only (no WebRTC): agent.pem and cafile.pem. */
	t->dir = fx_path(t->tmp, "tls");
	write_installed(t, t->dir, 0);
	l = open_ok(t->dir);
	assert_int_equal(l->kind, FSCERT_KIND_INSTALLED);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_false(l->files[FSCERT_F_WSS].present);
	fscert_lineage_free(l);
}

static void
neither_kind(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*dir, *p;

	dir = fx_path(t->tmp, "empty");
	fx_mkdirs(dir);
	p = fx_path(dir, "notes.txt");
	fx_write_str(p, "nothing here\n", 0644);
	fscert_err_clear(&e);
	l = fscert_lineage_open_dir(dir, &e);
	assert_null(l);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_non_null(strstr(e.msg, dir));
	free(p);
	free(dir);
}

static void
missing_dir(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*dir;

	dir = fx_path(t->tmp, "no-such-dir");
	fscert_err_clear(&e);
	l = fscert_lineage_open_dir(dir, &e);
	assert_null(l);
	assert_true(e.code == FSCERT_ENOENT ||
	    (e.code == FSCERT_EIO && e.sys_errno == ENOENT));
	assert_non_null(strstr(e.msg, dir));
	free(dir);
}

/* Explicit files. */

static void
files_fullchain_as_cert(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*live, *c, *k;

	live = make_live(t);
	c = fx_path(live, "fullchain.pem");
	k = fx_path(live, "privkey.pem");
	fscert_err_clear(&e);
	l = fscert_lineage_open_files(c, k, NULL, &e);
	if (l == NULL)
		fail_msg("%s", e.msg);
	assert_int_equal(l->kind, FSCERT_KIND_FILES);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_chain(l, t->pki.inter, NULL);
	/* Messages name the files as the caller gave them. */
	assert_string_equal(fscert_lineage_name(l, FSCERT_F_KEY), k);
	assert_string_equal(fscert_lineage_name(l, FSCERT_F_CERT), c);
	fscert_lineage_free(l);
	free(c);
	free(k);
	free(live);
}

static void
files_with_chain(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*c, *k, *ch;

	c = fx_path(t->elsewhere, "my.crt");
	k = fx_path(t->elsewhere, "my.key");
	ch = fx_path(t->elsewhere, "ca.crt");
	fx_write_str(c, t->f.cert, 0644);
	fx_write_str(k, t->f.privkey, 0600);
	fx_write_str(ch, t->f.chain, 0644);
	fscert_err_clear(&e);
	l = fscert_lineage_open_files(c, k, ch, &e);
	if (l == NULL)
		fail_msg("%s", e.msg);
	assert_true(fx_same_cert(l->leaf, t->pki.leaf));
	assert_chain(l, t->pki.inter, NULL);
	assert_int_equal(l->chain_from, FSCERT_F_CHAIN);
	fscert_lineage_free(l);
	free(c);
	free(k);
	free(ch);
}

static void
files_symlink_followed(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*live, *c, *k, *real;

	/* A link the caller named is followed wherever it leads. */
	live = make_live(t);
	real = fx_path(t->elsewhere, "real.key");
	fx_write_str(real, t->f.privkey, 0600);
	k = fx_path(t->tmp, "key-link.pem");
	assert_int_equal(symlink(real, k), 0);
	c = fx_path(live, "fullchain.pem");
	fscert_err_clear(&e);
	l = fscert_lineage_open_files(c, k, NULL, &e);
	if (l == NULL)
		fail_msg("%s", e.msg);
	assert_non_null(l->files[FSCERT_F_KEY].pem->key);
	fscert_lineage_free(l);
	free(c);
	free(k);
	free(real);
	free(live);
}

static void
files_missing_key(void **state)
{
	struct lt		*t = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	char			*c, *k;

	c = fx_path(t->elsewhere, "my.crt");
	k = fx_path(t->elsewhere, "missing.key");
	fx_write_str(c, t->f.fullchain, 0644);
	fscert_err_clear(&e);
	l = fscert_lineage_open_files(c, k, NULL, &e);
	assert_null(l);
	assert_int_equal(e.code, FSCERT_ENOENT);
	assert_non_null(strstr(e.msg, "missing.key"));
	free(c);
	free(k);
}

static void
free_null(void **state)
{
	(void)state;
	fscert_lineage_free(NULL);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(live_dir),
		T(live_dir_trailing_slash),
		T(absolute_link_inside_tree),
		T(link_to_other_lineage_inside_tree),
		T(chain_from_fullchain),
		T(no_chain_files_opens_empty),
		T(missing_privkey),
		T(missing_cert),
		T(dangling_privkey),
		T(dangling_cert),
		T(escape_absolute),
		T(escape_relative),
		T(escape_via_archive),
		T(plain_dir),
		T(escape_names_config_dir),
		T(oversize_refused),
		T(exactly_max_accepted),
		T(oversize_before_parsing),
		T(huge_sparse_refused),
		T(crlf_files),
		T(text_dumps),
		T(der_cert),
		T(truncated_chain),
		T(key_pkcs8),
		T(key_sec1),
		T(key_pkcs1),
		T(encrypted_key),
		T(fifo_does_not_hang),
		T(dir_as_cert),
		T(installed_dir),
		T(installed_without_wss),
		T(installed_beside_stray_live_files),
		T(neither_kind),
		T(missing_dir),
		T(files_fullchain_as_cert),
		T(files_with_chain),
		T(files_symlink_followed),
		T(files_missing_key),
		cmocka_unit_test(free_null),
	};
	int	 rc;

	fx_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	fx_pool_free();
	return rc;
}
