/*
 * test_validate.c: lib/validate.c and lib/check.c, every rule.
 *
 * The broken-lineage cases are a table.  Each case has a builder that
 * makes one lineage, with or without its defect: the broken run must
 * yield the case's rule with its severity and refuse flag, in a message
 * that names the file; the control run (the same setup without the
 * defect) must pass clean, save for the one rule a case allows (an EC
 * control key carries the ECDSA note, say).  Everything is generated here,
 * at test time.
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
#include <time.h>
#include <unistd.h>

#include "fscert/config.h"
#include "fscert/lineage.h"
#include "fscert/validate.h"
#include "fixture.h"

#define NAME		"example.test"
#define DAY		86400
#define NO_RULE		(-1)

enum ca_mode {
	CA_ROOT,	/* --ca-file holds the test root (the default) */
	CA_OTHER,	/* --ca-file holds an unrelated root */
	CA_SYSTEM,	/* no --ca-file: the real system store */
	CA_SYSTEM_ROOT	/* no --ca-file, SSL_CERT_FILE = the test root */
};

struct vcase;

struct vrun {
	const struct vcase *c;
	int		 defect;
	char		 title[96];
};

struct vctx {
	char		*tmp;
	char		*base;		/* certbot config dir */
	struct fx_pki	 pki;
	struct fx_files	 f;
	struct fscert_policy pol;
	const char	*hosts[4];
	enum ca_mode	 ca;
	char		*ca_file;
	char		*path;		/* set by a builder, else fx_live */
	char		*outside;	/* a file outside base, for escapes */
	const struct vrun *run;		/* the case, for table tests */
	struct fscert_report *report;	/* freed by teardown, even on failure */
	EVP_PKEY	*owned;		/* a key outside the pool, or NULL */
};

struct vcase {
	const char	*name;
	void		(*build)(struct vctx *, int);
	enum fscert_rule rule;
	enum fscert_sev	 sev;
	int		 refuse;
	const char	*names;		/* "a.pem|b.pem": message names one */
	int		 allow;		/* rule tolerated in the control */
};

/* Helpers for builders. */

static void
files_std(struct vctx *c)
{
	fx_files_free(&c->f);
	fx_files_std(&c->f, &c->pki, FX_KEY_PKCS8);
}

/* Reissue the leaf from a default spec changed by the caller. */
static void
leaf(struct vctx *c, const struct fx_spec *s)
{
	fx_pki_leaf(&c->pki, s);
	files_std(c);
}

static void
set_hosts(struct vctx *c, const char *a, const char *b)
{
	c->hosts[0] = a;
	c->hosts[1] = b;
	c->pol.hosts = c->hosts;
	c->pol.nhosts = (a != NULL) + (b != NULL);
}

static char *
live(struct vctx *c)
{
	return fx_live(c->base, NAME, &c->f);
}

static char *
arch(struct vctx *c, const char *file)
{
	return fx_cat(c->base, "/archive/" NAME "/", file, (char *)NULL);
}

/* An unrelated CA: its own root (pool slot 3) and intermediate (4). */
static X509 *
unrelated_inter(X509 **rootp)
{
	struct fx_spec	 s;
	X509		*root, *inter;

	fx_spec_ca(&s, "Unrelated Root", fx_key_ec("P-256", 3));
	root = fx_cert(&s, NULL, NULL);
	fx_spec_ca(&s, "Unrelated Intermediate", fx_key_ec("P-256", 4));
	inter = fx_cert(&s, root, fx_key_ec("P-256", 3));
	if (rootp != NULL)
		*rootp = root;
	else
		X509_free(root);
	return inter;
}

/*
 * Two intermediates: root -> i2 ("... 2", pool slot 5) -> i1 (the
 * usual intermediate name and key) -> leaf.  pki.inter becomes i1.
 */
static X509 *
two_intermediates(struct vctx *c)
{
	struct fx_spec	 s;
	X509		*i2;

	fx_spec_ca(&s, FX_INTER_CN " 2", fx_key_ec("P-256", 5));
	i2 = fx_cert(&s, c->pki.root, c->pki.root_key);
	fx_spec_ca(&s, FX_INTER_CN, c->pki.inter_key);
	X509_free(c->pki.inter);
	c->pki.inter = fx_cert(&s, i2, fx_key_ec("P-256", 5));
	fx_spec_leaf(&s, c->pki.leaf_key);
	leaf(c, &s);
	return i2;
}

/* The builders: d is 1 for the broken lineage, 0 for its control. */

static void
b_key_mismatch(struct vctx *c, int d)
{
	if (d)
		fx_files_set(&c->f.privkey,
		    fx_pem_key(fx_key_rsa(2048, 1), FX_KEY_PKCS8));
}

static void
b_leaf_not_first(struct vctx *c, int d)
{
	if (d)
		fx_files_set(&c->f.cert,
		    fx_pem_certs(c->pki.inter, c->pki.leaf, (X509 *)NULL));
}

static void
b_leaf_expired(struct vctx *c, int d)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.nb_days = d ? -91 : -1;
	s.na_days = d ? -1 : 89;
	leaf(c, &s);
}

static void
b_leaf_not_yet_valid(struct vctx *c, int d)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.nb_days = d ? 2 : -1;
	s.na_days = d ? 92 : 89;
	leaf(c, &s);
}

static void
b_now_later(struct vctx *c, int d)
{
	/* policy.now is the clock: 100 days on, the leaf has expired. */
	c->pol.now = time(NULL) + (d ? 100 * DAY : 0);
}

static void
b_now_earlier(struct vctx *c, int d)
{
	c->pol.now = time(NULL) - (d ? 10 * DAY : 0);
}

static void
b_leaf_ca(struct vctx *c, int d)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.ca = d;
	leaf(c, &s);
}

static void
leaf_key(struct vctx *c, EVP_PKEY *k)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, k);
	leaf(c, &s);
}

static void
b_rsa_1024(struct vctx *c, int d)
{
	leaf_key(c, d ? fx_key_rsa(1024, 0) : fx_key_rsa(2048, 0));
}

static void
b_ec_p224(struct vctx *c, int d)
{
	leaf_key(c, d ? fx_key_ec("P-224", 0) : fx_key_ec("P-256", 2));
}

static void
b_ec_p192(struct vctx *c, int d)
{
	leaf_key(c, d ? fx_key_ec("prime192v1", 0) : fx_key_ec("P-256", 2));
}

static void
b_sha1_leaf(struct vctx *c, int d)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.md = d ? "SHA1" : "SHA256";
	leaf(c, &s);
}

static void
b_md5_leaf(struct vctx *c, int d)
{
	struct fx_spec	 s;

	/* ECDSA has no MD5: an RSA intermediate signs this leaf. */
	fx_pki_free(&c->pki);
	fx_pki_init_keys(&c->pki, NULL, fx_key_rsa(2048, 2),
	    fx_key_rsa(2048, 0));
	fx_spec_leaf(&s, c->pki.leaf_key);
	s.md = d ? "MD5" : "SHA256";
	leaf(c, &s);
}

static void
b_sha1_intermediate(struct vctx *c, int d)
{
	struct fx_spec	 s;

	fx_spec_ca(&s, FX_INTER_CN, c->pki.inter_key);
	s.md = d ? "SHA1" : "SHA256";
	fx_pki_inter(&c->pki, &s);
	files_std(c);
}

static void
b_eku_client(struct vctx *c, int d)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.eku = d ? FX_EKU_CLIENT : FX_EKU_SERVER;
	leaf(c, &s);
}

static void
b_no_san(struct vctx *c, int d)
{
	struct fx_spec	 s;

	/* The CN still says sip.example.test: clients ignore it. */
	fx_spec_leaf(&s, c->pki.leaf_key);
	s.san = d ? NULL : FX_LEAF_CN;
	leaf(c, &s);
}

static void
b_host(struct vctx *c, int d)
{
	set_hosts(c, d ? "other.example.test" : FX_LEAF_CN, NULL);
}

static void
wildcard_leaf(struct vctx *c)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.cn = "*.example.test";
	s.san = "*.example.test";
	leaf(c, &s);
}

static void
b_wildcard_two_labels(struct vctx *c, int d)
{
	wildcard_leaf(c);
	set_hosts(c, d ? "a.b.example.test" : "a.example.test", NULL);
}

static void
b_wildcard_apex(struct vctx *c, int d)
{
	wildcard_leaf(c);
	set_hosts(c, d ? "example.test" : "a.example.test", NULL);
}

static void
b_hosts_one_uncovered(struct vctx *c, int d)
{
	/* Issue #2: *each* --host name must be covered. */
	set_hosts(c, FX_LEAF_CN, d ? "x.example.org" : FX_LEAF_CN);
}

static void
b_empty_chain_no_files(struct vctx *c, int d)
{
	if (d) {
		fx_files_set(&c->f.chain, NULL);
		fx_files_set(&c->f.fullchain, NULL);
	}
}

static void
b_empty_chain_fullchain_leaf(struct vctx *c, int d)
{
	fx_files_set(&c->f.chain, NULL);
	if (d)
		fx_files_set(&c->f.fullchain,
		    fx_pem_certs(c->pki.leaf, (X509 *)NULL));
}

static void
b_empty_chain_zero_bytes(struct vctx *c, int d)
{
	fx_files_set(&c->f.fullchain, NULL);
	if (d)
		fx_files_set(&c->f.chain, fx_cat("", (char *)NULL));
}

static void
b_chain_unrelated(struct vctx *c, int d)
{
	X509	*other;

	if (!d)
		return;
	other = unrelated_inter(NULL);
	fx_files_set(&c->f.chain, fx_pem_certs(other, (X509 *)NULL));
	fx_files_set(&c->f.fullchain,
	    fx_pem_certs(c->pki.leaf, other, (X509 *)NULL));
	X509_free(other);
}

static void
b_chain_impostor(struct vctx *c, int d)
{
	struct fx_spec	 s;
	X509		*imp;

	/*
	 * No authorityKeyIdentifier in the leaf, so names alone match
	 * the impostor: only checking the signature tells them apart.
	 */
	fx_spec_leaf(&s, c->pki.leaf_key);
	s.no_akid = 1;
	leaf(c, &s);
	if (!d)
		return;
	fx_spec_ca(&s, FX_INTER_CN, fx_key_ec("P-256", 4));
	imp = fx_cert(&s, c->pki.root, c->pki.root_key);
	fx_files_set(&c->f.chain, fx_pem_certs(imp, (X509 *)NULL));
	fx_files_set(&c->f.fullchain,
	    fx_pem_certs(c->pki.leaf, imp, (X509 *)NULL));
	X509_free(imp);
}

static void
b_chain_order(struct vctx *c, int d)
{
	X509	*i2 = two_intermediates(c);

	if (d) {
		fx_files_set(&c->f.chain, fx_pem_certs(c->pki.inter,
		    c->pki.root, i2, (X509 *)NULL));
		fx_files_set(&c->f.fullchain, fx_pem_certs(c->pki.leaf,
		    c->pki.inter, c->pki.root, i2, (X509 *)NULL));
	} else {
		fx_files_set(&c->f.chain,
		    fx_pem_certs(c->pki.inter, i2, (X509 *)NULL));
		fx_files_set(&c->f.fullchain, fx_pem_certs(c->pki.leaf,
		    c->pki.inter, i2, (X509 *)NULL));
	}
	X509_free(i2);
}

static void
b_fullchain_order(struct vctx *c, int d)
{
	X509	*i2 = two_intermediates(c);

	fx_files_set(&c->f.chain,
	    fx_pem_certs(c->pki.inter, i2, (X509 *)NULL));
	if (d)
		fx_files_set(&c->f.fullchain, fx_pem_certs(c->pki.leaf, i2,
		    c->pki.inter, (X509 *)NULL));
	else
		fx_files_set(&c->f.fullchain, fx_pem_certs(c->pki.leaf,
		    c->pki.inter, i2, (X509 *)NULL));
	X509_free(i2);
}

static void
b_fullchain_old_leaf(struct vctx *c, int d)
{
	struct fx_spec	 s;
	X509		*old;

	/* A renewal half done: fullchain.pem still has the last leaf. */
	if (!d)
		return;
	fx_spec_leaf(&s, c->pki.leaf_key);
	s.nb_days = -61;
	s.na_days = 29;
	old = fx_cert(&s, c->pki.inter, c->pki.inter_key);
	fx_files_set(&c->f.fullchain,
	    fx_pem_certs(old, c->pki.inter, (X509 *)NULL));
	X509_free(old);
}

static void
inter_validity(struct vctx *c, int nb, int na)
{
	struct fx_spec	 s;

	fx_spec_ca(&s, FX_INTER_CN, c->pki.inter_key);
	s.nb_days = nb;
	s.na_days = na;
	fx_pki_inter(&c->pki, &s);
	files_std(c);
}

static void
b_inter_expired(struct vctx *c, int d)
{
	inter_validity(c, -400, d ? -1 : 400);
}

static void
b_inter_not_yet_valid(struct vctx *c, int d)
{
	inter_validity(c, d ? 1 : -400, 400);
}

static void
b_untrusted_ca_file(struct vctx *c, int d)
{
	c->ca = d ? CA_OTHER : CA_ROOT;
}

static void
b_untrusted_system(struct vctx *c, int d)
{
	c->ca = d ? CA_SYSTEM : CA_SYSTEM_ROOT;
}

static void
leaf_days(struct vctx *c, int na)
{
	struct fx_spec	 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.na_days = na;
	leaf(c, &s);
}

static void
b_expires_warn(struct vctx *c, int d)
{
	leaf_days(c, d ? 15 : 89);
}

static void
b_expires_crit(struct vctx *c, int d)
{
	leaf_days(c, d ? 5 : 89);
}

static void
b_warn_days(struct vctx *c, int d)
{
	if (d)
		c->pol.warn_days = 100;
}

static void
b_crit_days(struct vctx *c, int d)
{
	if (d) {
		c->pol.warn_days = 200;
		c->pol.crit_days = 100;
	}
}

static void
b_ecdsa(struct vctx *c, int d)
{
	leaf_key(c, d ? fx_key_ec("P-256", 2) : fx_key_rsa(2048, 0));
}

static void
b_key_0644(struct vctx *c, int d)
{
	c->f.key_mode = d ? 0644 : 0600;
}

static void
b_key_0604(struct vctx *c, int d)
{
	/* 0640 (group) is allowed: DESIGN says key files 0600 or 0640. */
	c->f.key_mode = d ? 0604 : 0640;
}

static void
b_root_in_chain(struct vctx *c, int d)
{
	if (d) {
		fx_files_set(&c->f.chain,
		    fx_pem_certs(c->pki.inter, c->pki.root, (X509 *)NULL));
		fx_files_set(&c->f.fullchain, fx_pem_certs(c->pki.leaf,
		    c->pki.inter, c->pki.root, (X509 *)NULL));
	}
}

static void
b_extra_certs(struct vctx *c, int d)
{
	/* An admin's fullchain in cert.pem; no fullchain.pem to compare. */
	fx_files_set(&c->f.fullchain, NULL);
	if (d)
		fx_files_set(&c->f.cert,
		    fx_pem_certs(c->pki.leaf, c->pki.inter, (X509 *)NULL));
}

/* Issue 8 #4: same n and e (and primes), wrong d. */
static void
b_key_wrong_d(struct vctx *c, int d)
{
	EVP_PKEY	*k;

	if (!d)
		return;
	k = fx_key_rsa_wrong_d(c->pki.leaf_key);
	fx_files_set(&c->f.privkey, fx_pem_key(k, FX_KEY_TRAD));
	EVP_PKEY_free(k);
}

/* A leaf for a key outside the pool, kept until teardown. */
static void
leaf_owned(struct vctx *c, EVP_PKEY *k)
{
	EVP_PKEY_free(c->owned);
	c->owned = k;
	leaf_key(c, k);
}

static void
b_rsa_pss_1024(struct vctx *c, int d)
{
	leaf_owned(c, fx_key_gen("RSA-PSS", d ? 1024 : 2048));
}

static void
b_ed25519(struct vctx *c, int d)
{
	if (d)
		leaf_owned(c, fx_key_gen("ED25519", 0));
}

static void
b_ed448(struct vctx *c, int d)
{
	if (d)
		leaf_owned(c, fx_key_gen("ED448", 0));
}

static void
b_ec_p521(struct vctx *c, int d)
{
	/* P-384 is accepted (a note only), P-521 is not. */
	leaf_key(c, fx_key_ec(d ? "P-521" : "P-384", 0));
}

static void
b_dsa(struct vctx *c, int d)
{
	if (!d)
		return;
	leaf_owned(c, fx_key_gen("DSA", 2048));
	/* "DSA PRIVATE KEY": once read as "holds no private key". */
	fx_files_set(&c->f.privkey, fx_pem_key(c->owned, FX_KEY_TRAD));
}

static void
b_ecdsa_rsa_required(struct vctx *c, int d)
{
	c->pol.key_types = FSCERT_KEYTYPE_RSA;
	b_ecdsa(c, d);
}

/* Issue 8 #8: cert.pem holds the leaf and the intermediates. */
static void
b_cert_holds_chain(struct vctx *c, int d)
{
	if (d)
		fx_files_set(&c->f.cert,
		    fx_pem_certs(c->pki.leaf, c->pki.inter, (X509 *)NULL));
}

static void cross_signed(struct vctx *, int);

/*
 * Issue 8 #8: no --ca-file, no trust anchor in the system store, an
 * expired cross-sign at the end: a warning, as untrusted is, not a
 * refusal.  The control has the anchor.
 */
static void
b_untrusted_system_expired_cross(struct vctx *c, int d)
{
	cross_signed(c, 1);
	c->ca = d ? CA_SYSTEM : CA_SYSTEM_ROOT;
}

/* Installed FreeSWITCH dirs. */

struct inst {
	X509		*leaf;
	EVP_PKEY	*key;
	X509		*inter;		/* NULL: none */
};

static void
write_inst(struct vctx *c, const struct inst *agent,
    const struct inst *cafile, const struct inst *wss)
{
	char	*a_c, *a_k, *a, *ca, *w_c, *w_k, *w;

	a_c = fx_pem_certs(agent->leaf, (X509 *)NULL);
	a_k = fx_pem_key(agent->key, FX_KEY_PKCS8);
	a = fx_cat(a_c, a_k, (char *)NULL);
	ca = cafile->inter != NULL ?
	    fx_pem_certs(cafile->inter, (X509 *)NULL) : fx_cat("", NULL);
	w_c = fx_pem_certs(wss->leaf, wss->inter, (X509 *)NULL);
	w_k = fx_pem_key(wss->key, FX_KEY_PKCS8);
	w = fx_cat(w_c, w_k, (char *)NULL);
	c->path = fx_path(c->tmp, "tls");
	fx_installed(c->path, a, ca, w);
	free(a_c);
	free(a_k);
	free(a);
	free(ca);
	free(w_c);
	free(w_k);
	free(w);
}

static struct inst
good(struct vctx *c)
{
	struct inst	 i;

	i.leaf = c->pki.leaf;
	i.key = c->pki.leaf_key;
	i.inter = c->pki.inter;
	return i;
}

static void
b_inst_wss_other_leaf(struct vctx *c, int d)
{
	struct inst	 g = good(c), w = g;
	struct fx_spec	 s;
	X509		*other = NULL;

	if (d) {
		fx_spec_leaf(&s, fx_key_rsa(2048, 1));
		s.cn = "old.example.test";
		s.san = "old.example.test";
		other = fx_cert(&s, c->pki.inter, c->pki.inter_key);
		w.leaf = other;
		w.key = fx_key_rsa(2048, 1);
	}
	write_inst(c, &g, &g, &w);
	X509_free(other);
}

static void
b_inst_wss_other_key(struct vctx *c, int d)
{
	struct inst	 g = good(c), w = g;

	if (d)
		w.key = fx_key_rsa(2048, 1);
	write_inst(c, &g, &g, &w);
}

static void
b_inst_wss_no_inter(struct vctx *c, int d)
{
	struct inst	 g = good(c), w = g;

	/* Without intermediates WSS serves the leaf alone. */
	if (d)
		w.inter = NULL;
	write_inst(c, &g, &g, &w);
}

static void
b_inst_key_mismatch(struct vctx *c, int d)
{
	struct inst	 g = good(c), a = g;

	if (d)
		a.key = fx_key_rsa(2048, 1);
	write_inst(c, &a, &g, &g);
}

static void
b_inst_cafile_unrelated(struct vctx *c, int d)
{
	struct inst	 g = good(c);
	X509		*other = NULL;

	if (d) {
		other = unrelated_inter(NULL);
		g.inter = other;
	}
	write_inst(c, &g, &g, &g);
	X509_free(other);
}

static void
b_inst_cafile_empty(struct vctx *c, int d)
{
	struct inst	 g = good(c);

	if (d)
		g.inter = NULL;
	write_inst(c, &g, &g, &g);
}

static void
b_inst_key_readable(struct vctx *c, int d)
{
	struct inst	 g = good(c);
	char		*p;

	write_inst(c, &g, &g, &g);
	p = fx_path(c->path, "agent.pem");
	assert_int_equal(chmod(p, d ? 0644 : 0600), 0);
	free(p);
}

static void
b_inst_leaf_expired(struct vctx *c, int d)
{
	struct inst	 g;

	b_leaf_expired(c, d);
	g = good(c);
	write_inst(c, &g, &g, &g);
}

/* Unreadable lineages: fscert_check_path turns them into findings. */

static void
b_missing_key(struct vctx *c, int d)
{
	if (d)
		fx_files_set(&c->f.privkey, NULL);
}

static void
b_dangling_key(struct vctx *c, int d)
{
	char	*p;

	c->path = live(c);
	if (d) {
		p = arch(c, "privkey1.pem");
		assert_int_equal(unlink(p), 0);
		free(p);
	}
}

static void
b_escape(struct vctx *c, int d)
{
	char	*link;

	c->path = live(c);
	fx_write_str(c->outside, c->f.cert, 0644);
	if (d) {
		link = fx_path(c->path, "cert.pem");
		assert_int_equal(unlink(link), 0);
		assert_int_equal(symlink(c->outside, link), 0);
		free(link);
	}
}

static void
b_der_cert(struct vctx *c, int d)
{
	unsigned char	*der;
	size_t		 len;
	char		*p;

	c->path = live(c);
	if (d) {
		p = arch(c, "cert1.pem");
		der = fx_der_cert(c->pki.leaf, &len);
		fx_write(p, der, len, 0644);
		free(der);
		free(p);
	}
}

static void
b_oversize(struct vctx *c, int d)
{
	size_t	 n = FSCERT_FILE_MAX + (d ? 1 : 0), have;
	char	*big, *p;

	have = strlen(c->f.chain);
	big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, c->f.chain, have);
	memset(big + have, '\n', n - have);
	big[n] = '\0';
	fx_files_set(&c->f.chain, big);
	c->path = live(c);
	p = arch(c, "chain1.pem");
	fx_write(p, big, n, 0644);
	free(p);
}

static void
b_encrypted_key(struct vctx *c, int d)
{
	fx_files_set(&c->f.privkey, fx_pem_key(c->pki.leaf_key,
	    d ? FX_KEY_ENC_PKCS8 : FX_KEY_PKCS8));
}

static void
b_truncated_chain(struct vctx *c, int d)
{
	if (d)
		c->f.chain[strlen(c->f.chain) / 2] = '\0';
}

static void
b_crlf(struct vctx *c, int d)
{
	/* Not a defect: CRLF files must read the same; the "defect" run
	 * checks that nothing but the allowed rule is found. */
	if (d) {
		fx_files_set(&c->f.cert, fx_crlf(c->f.cert));
		fx_files_set(&c->f.chain, fx_crlf(c->f.chain));
		fx_files_set(&c->f.fullchain, fx_crlf(c->f.fullchain));
		fx_files_set(&c->f.privkey, fx_crlf(c->f.privkey));
	}
}

#define C	FSCERT_SEV_CRIT
#define W	FSCERT_SEV_WARN
#define R(x)	FSCERT_R_##x

static const struct vcase cases[] = {
	{ "key-mismatch", b_key_mismatch, R(KEY_MISMATCH), C, 1,
	    "privkey.pem", NO_RULE },
	{ "leaf-not-first", b_leaf_not_first, R(KEY_MISMATCH), C, 1,
	    "privkey.pem", NO_RULE },
	{ "leaf-expired", b_leaf_expired, R(LEAF_EXPIRED), C, 1,
	    "cert.pem", NO_RULE },
	{ "leaf-not-yet-valid", b_leaf_not_yet_valid, R(LEAF_NOT_YET_VALID),
	    C, 1, "cert.pem", NO_RULE },
	{ "policy-now-later", b_now_later, R(LEAF_EXPIRED), C, 1,
	    "cert.pem", NO_RULE },
	{ "policy-now-earlier", b_now_earlier, R(LEAF_NOT_YET_VALID), C, 1,
	    "cert.pem", NO_RULE },
	{ "leaf-ca", b_leaf_ca, R(LEAF_CA), C, 1, "cert.pem", NO_RULE },
	{ "weak-key-rsa1024", b_rsa_1024, R(WEAK_KEY), C, 1,
	    "cert.pem|privkey.pem", NO_RULE },
	{ "weak-key-p224", b_ec_p224, R(WEAK_KEY), C, 1,
	    "cert.pem|privkey.pem", R(ECDSA_KEY) },
	{ "weak-key-p192", b_ec_p192, R(WEAK_KEY), C, 1,
	    "cert.pem|privkey.pem", R(ECDSA_KEY) },
	{ "weak-signature-sha1", b_sha1_leaf, R(WEAK_SIGNATURE), C, 1,
	    "cert.pem", NO_RULE },
	{ "weak-signature-md5", b_md5_leaf, R(WEAK_SIGNATURE), C, 1,
	    "cert.pem", NO_RULE },
	{ "weak-signature-sha1-intermediate", b_sha1_intermediate,
	    R(WEAK_SIGNATURE), C, 1, "chain.pem", NO_RULE },
	{ "no-server-auth", b_eku_client, R(NO_SERVER_AUTH), C, 1,
	    "cert.pem", NO_RULE },
	{ "no-san", b_no_san, R(NO_SAN), C, 1, "cert.pem", NO_RULE },
	{ "host-mismatch", b_host, R(HOST_MISMATCH), C, 1, "cert.pem",
	    NO_RULE },
	{ "host-wildcard-two-labels", b_wildcard_two_labels,
	    R(HOST_MISMATCH), C, 1, "cert.pem", NO_RULE },
	{ "host-wildcard-apex", b_wildcard_apex, R(HOST_MISMATCH), C, 1,
	    "cert.pem", NO_RULE },
	{ "host-one-of-two", b_hosts_one_uncovered, R(HOST_MISMATCH), C, 1,
	    "cert.pem", NO_RULE },
	{ "empty-chain-no-files", b_empty_chain_no_files, R(EMPTY_CHAIN), C,
	    1, "chain.pem", NO_RULE },
	{ "empty-chain-fullchain-leaf-only", b_empty_chain_fullchain_leaf,
	    R(EMPTY_CHAIN), C, 1, "chain.pem", NO_RULE },
	{ "empty-chain-zero-bytes", b_empty_chain_zero_bytes, R(EMPTY_CHAIN),
	    C, 1, "chain.pem", NO_RULE },
	{ "chain-issuer-unrelated", b_chain_unrelated, R(CHAIN_ISSUER), C, 1,
	    "chain.pem", NO_RULE },
	{ "chain-issuer-impostor", b_chain_impostor, R(CHAIN_ISSUER), C, 1,
	    "chain.pem", NO_RULE },
	{ "chain-order", b_chain_order, R(CHAIN_ORDER), C, 1, "chain.pem",
	    NO_RULE },
	{ "fullchain-order", b_fullchain_order, R(FULLCHAIN_MISMATCH), C, 1,
	    "fullchain.pem", NO_RULE },
	{ "fullchain-old-leaf", b_fullchain_old_leaf, R(FULLCHAIN_MISMATCH),
	    C, 1, "fullchain.pem", NO_RULE },
	{ "chain-validity-expired", b_inter_expired, R(CHAIN_VALIDITY), C, 1,
	    "chain.pem", NO_RULE },
	{ "chain-validity-not-yet", b_inter_not_yet_valid, R(CHAIN_VALIDITY),
	    C, 1, "chain.pem", NO_RULE },
	{ "untrusted-ca-file", b_untrusted_ca_file, R(UNTRUSTED), C, 1,
	    "cert.pem|chain.pem", NO_RULE },
	{ "untrusted-system-store", b_untrusted_system, R(UNTRUSTED), W, 0,
	    "cert.pem|chain.pem", NO_RULE },
	{ "expires-soon-warn", b_expires_warn, R(EXPIRES_SOON), W, 0,
	    "cert.pem", NO_RULE },
	{ "expires-soon-crit", b_expires_crit, R(EXPIRES_SOON), C, 0,
	    "cert.pem", NO_RULE },
	{ "warn-days", b_warn_days, R(EXPIRES_SOON), W, 0, "cert.pem",
	    NO_RULE },
	{ "crit-days", b_crit_days, R(EXPIRES_SOON), C, 0, "cert.pem",
	    NO_RULE },
	/* A note: certbot's default must not be a permanent WARNING. */
	{ "ecdsa-key", b_ecdsa, R(ECDSA_KEY), FSCERT_SEV_OK, 0, "cert.pem",
	    NO_RULE },
	{ "ecdsa-key-rsa-required", b_ecdsa_rsa_required, R(ECDSA_KEY), C, 1,
	    "cert.pem", NO_RULE },
	{ "key-corrupt-private-half", b_key_wrong_d, R(KEY_MISMATCH), C, 1,
	    "privkey.pem", NO_RULE },
	{ "weak-key-rsa-pss-1024", b_rsa_pss_1024, R(WEAK_KEY), C, 1,
	    "cert.pem", NO_RULE },
	{ "key-type-ed25519", b_ed25519, R(KEY_TYPE), C, 1,
	    "cert.pem: ED25519", NO_RULE },
	{ "key-type-ed448", b_ed448, R(KEY_TYPE), C, 1, "cert.pem: ED448",
	    NO_RULE },
	{ "key-type-p521", b_ec_p521, R(KEY_TYPE), C, 1,
	    "cert.pem: EC secp521r1", R(ECDSA_KEY) },
	{ "key-type-dsa", b_dsa, R(KEY_TYPE), C, 1, "cert.pem: DSA",
	    NO_RULE },
	{ "extra-certs-cert-holds-chain", b_cert_holds_chain, R(EXTRA_CERTS),
	    W, 0, "cert.pem", NO_RULE },
	{ "untrusted-system-expired-cross-sign",
	    b_untrusted_system_expired_cross, R(UNTRUSTED), W, 0, "cert.pem",
	    R(CHAIN_VALIDITY) },
	{ "key-readable-0644", b_key_0644, R(KEY_READABLE), W, 0,
	    "privkey.pem", NO_RULE },
	{ "key-readable-0604", b_key_0604, R(KEY_READABLE), W, 0,
	    "privkey.pem", NO_RULE },
	{ "root-in-chain", b_root_in_chain, R(ROOT_IN_CHAIN), W, 0,
	    "chain.pem", NO_RULE },
	{ "extra-certs", b_extra_certs, R(EXTRA_CERTS), W, 0, "cert.pem",
	    NO_RULE },
	{ "installed-wss-other-leaf", b_inst_wss_other_leaf,
	    R(SET_MISMATCH), C, 1, "wss.pem", NO_RULE },
	{ "installed-wss-other-key", b_inst_wss_other_key, R(SET_MISMATCH),
	    C, 1, "wss.pem", NO_RULE },
	{ "installed-wss-no-intermediate", b_inst_wss_no_inter,
	    R(SET_MISMATCH), C, 1, "wss.pem", NO_RULE },
	{ "installed-key-mismatch", b_inst_key_mismatch, R(KEY_MISMATCH), C,
	    1, "agent.pem", NO_RULE },
	{ "installed-cafile-unrelated", b_inst_cafile_unrelated,
	    R(CHAIN_ISSUER), C, 1, "cafile.pem", NO_RULE },
	{ "installed-cafile-empty", b_inst_cafile_empty, R(EMPTY_CHAIN), C,
	    1, "cafile.pem", NO_RULE },
	{ "installed-key-readable", b_inst_key_readable, R(KEY_READABLE), W,
	    0, "agent.pem", NO_RULE },
	{ "installed-leaf-expired", b_inst_leaf_expired, R(LEAF_EXPIRED), C,
	    1, "agent.pem", NO_RULE },
	{ "unreadable-missing-key", b_missing_key, R(UNREADABLE), C, 1,
	    "privkey.pem", NO_RULE },
	{ "unreadable-dangling-key", b_dangling_key, R(UNREADABLE), C, 1,
	    "privkey.pem", NO_RULE },
	{ "unreadable-symlink-escape", b_escape, R(UNREADABLE), C, 1,
	    "outside-cert.pem", NO_RULE },
	{ "unreadable-der", b_der_cert, R(UNREADABLE), C, 1, "cert.pem",
	    NO_RULE },
	{ "unreadable-oversize", b_oversize, R(UNREADABLE), C, 1,
	    "chain.pem", NO_RULE },
	{ "unreadable-encrypted-key", b_encrypted_key, R(UNREADABLE), C, 1,
	    "privkey.pem", NO_RULE },
	{ "unreadable-truncated-chain", b_truncated_chain, R(UNREADABLE), C,
	    1, "chain.pem", NO_RULE },
};

#undef C
#undef W
#undef R

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* The harness. */

static int
vsetup(void **state)
{
	struct vctx	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->run = *state;	/* cmocka's initial_state: NULL or a vrun */
	c->tmp = fx_tmpdir();
	c->base = fx_path(c->tmp, "letsencrypt");
	c->ca_file = fx_path(c->tmp, "ca.pem");
	c->outside = fx_path(c->tmp, "outside-cert.pem");
	fx_pki_init(&c->pki, fx_key_rsa(2048, 0));
	fx_files_std(&c->f, &c->pki, FX_KEY_PKCS8);
	fscert_policy_init(&c->pol);
	c->ca = CA_ROOT;
	*state = c;
	return 0;
}

static int
vteardown(void **state)
{
	struct vctx	*c = *state;

	(void)unsetenv("SSL_CERT_FILE");
	fscert_report_free(c->report);
	EVP_PKEY_free(c->owned);
	fx_rmtree(c->tmp);
	fx_files_free(&c->f);
	fx_pki_free(&c->pki);
	free(c->tmp);
	free(c->base);
	free(c->ca_file);
	free(c->outside);
	free(c->path);
	free(c);
	return 0;
}

/* Write the CA file the case asked for and point the policy at it. */
static void
trust(struct vctx *c)
{
	X509	*other_root = NULL, *inter;
	char	*t;

	switch (c->ca) {
	case CA_ROOT:
	case CA_SYSTEM_ROOT:
		t = fx_pem_certs(c->pki.root, (X509 *)NULL);
		break;
	case CA_OTHER:
		inter = unrelated_inter(&other_root);
		t = fx_pem_certs(other_root, (X509 *)NULL);
		X509_free(inter);
		X509_free(other_root);
		break;
	default:
		t = NULL;
	}
	if (t != NULL) {
		fx_write_str(c->ca_file, t, 0644);
		free(t);
	}
	switch (c->ca) {
	case CA_ROOT:
	case CA_OTHER:
		c->pol.ca_file = c->ca_file;
		break;
	case CA_SYSTEM:
		c->pol.ca_file = NULL;
		(void)unsetenv("SSL_CERT_FILE");
		break;
	case CA_SYSTEM_ROOT:
		/* OpenSSL's default store honours SSL_CERT_FILE. */
		c->pol.ca_file = NULL;
		assert_int_equal(setenv("SSL_CERT_FILE", c->ca_file, 1), 0);
		break;
	}
}

static void
dump(const struct fscert_report *r)
{
	size_t	 i;

	fprintf(stderr, "  report: worst %s, refused %d, %zu finding(s)\n",
	    fscert_sev_name(r->worst), r->refused, r->nfindings);
	for (i = 0; i < r->nfindings; i++)
		fprintf(stderr, "    %s %s%s: %s\n",
		    fscert_sev_name(r->findings[i].sev),
		    fscert_rule_name(r->findings[i].rule),
		    r->findings[i].refuse ? " (refuse)" : "",
		    r->findings[i].msg);
}

/* Does msg contain one of the '|'-separated names? */
static int
names_one(const char *msg, const char *names)
{
	char	 buf[128], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", names);
	for (p = strtok_r(buf, "|", &save); p != NULL;
	    p = strtok_r(NULL, "|", &save))
		if (strstr(msg, p) != NULL)
			return 1;
	return 0;
}

static struct fscert_report *
run_case(struct vctx *c, const struct vcase *vc, int defect)
{
	struct fscert_err	 e;
	struct fscert_report	*r;

	vc->build(c, defect);
	if (c->path == NULL)
		c->path = live(c);
	trust(c);
	fscert_err_clear(&e);
	r = fscert_check_path(c->path, &c->pol, &e);
	if (r == NULL)
		fail_msg("%s: internal failure: %s", vc->name, e.msg);
	return r;
}

static void
test_case(void **state)
{
	struct vctx		*c = *state;
	const struct vcase	*vc = c->run->c;
	struct fscert_report	*r;
	const struct fscert_finding *f = NULL;
	size_t			 i;

	r = c->report = run_case(c, vc, c->run->defect);
	if (c->run->defect) {
		for (i = 0; i < r->nfindings; i++)
			if (r->findings[i].rule == vc->rule &&
			    (f == NULL || r->findings[i].sev == vc->sev))
				f = &r->findings[i];
		if (f == NULL) {
			dump(r);
			fail_msg("%s: no '%s' finding", vc->name,
			    fscert_rule_name(vc->rule));
		}
		if (f->sev != vc->sev || f->refuse != vc->refuse) {
			dump(r);
			fail_msg("%s: '%s' is %s%s, expected %s%s", vc->name,
			    fscert_rule_name(vc->rule),
			    fscert_sev_name(f->sev),
			    f->refuse ? " (refuse)" : "",
			    fscert_sev_name(vc->sev),
			    vc->refuse ? " (refuse)" : "");
		}
		if (!names_one(f->msg, vc->names)) {
			dump(r);
			fail_msg("%s: message does not name %s: %s", vc->name,
			    vc->names, f->msg);
		}
		if (strchr(f->msg, '\n') != NULL)
			fail_msg("%s: newline in message", vc->name);
		/* The summary agrees with the finding. */
		if (vc->refuse &&
		    (!r->refused || r->worst != FSCERT_SEV_CRIT)) {
			dump(r);
			fail_msg("%s: refusing finding but report refused %d, "
			    "worst %s", vc->name, r->refused,
			    fscert_sev_name(r->worst));
		}
		/* A warning case is only warnings: it would be installed. */
		if (!vc->refuse && (r->refused || r->worst != vc->sev)) {
			dump(r);
			fail_msg("%s: expected worst %s and no refusal, got "
			    "worst %s, refused %d", vc->name,
			    fscert_sev_name(vc->sev),
			    fscert_sev_name(r->worst), r->refused);
		}
	} else {
		for (i = 0; i < r->nfindings; i++) {
			f = &r->findings[i];
			if ((int)f->rule == vc->allow && !f->refuse)
				continue;
			dump(r);
			fail_msg("%s control: unexpected '%s' finding: %s",
			    vc->name, fscert_rule_name(f->rule), f->msg);
		}
		assert_int_equal(r->refused, 0);
		if (vc->allow == NO_RULE)
			assert_int_equal(r->worst, FSCERT_SEV_OK);
	}
}

/* Tests outside the table. */

static void
table_covers_every_rule(void **state)
{
	int	 seen[FSCERT_R__MAX] = { 0 }, i;
	size_t	 j, broken = 0;

	(void)state;
	for (j = 0; j < NCASES; j++) {
		seen[cases[j].rule] = 1;
		broken++;
	}
	for (i = 0; i < FSCERT_R__MAX; i++)
		if (!seen[i])
			fail_msg("no case for rule %d '%s'", i,
			    fscert_rule_name((enum fscert_rule)i));
	assert_true(broken >= 30);
}

static void
rule_names(void **state)
{
	/* The stable names of /tmp/spec/cli.md, in enum order. */
	static const char *const want[] = {
		"unreadable", "extra-certs", "key-mismatch", "empty-chain",
		"chain-issuer", "chain-order", "fullchain-mismatch",
		"chain-validity", "untrusted", "leaf-expired",
		"leaf-not-yet-valid", "leaf-ca", "weak-key", "weak-signature",
		"no-server-auth", "no-san", "host-mismatch", "expires-soon",
		"ecdsa-key", "key-readable", "root-in-chain", "set-mismatch",
		"key-type",
	};
	size_t	 i;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), FSCERT_R__MAX);
	for (i = 0; i < FSCERT_R__MAX; i++)
		assert_string_equal(fscert_rule_name((enum fscert_rule)i),
		    want[i]);
	assert_non_null(fscert_rule_name(FSCERT_R__MAX));
	assert_string_equal(fscert_sev_name(FSCERT_SEV_OK), "OK");
	assert_string_equal(fscert_sev_name(FSCERT_SEV_WARN), "WARNING");
	assert_string_equal(fscert_sev_name(FSCERT_SEV_CRIT), "CRITICAL");
	assert_non_null(fscert_sev_name(FSCERT_SEV__MAX));
}

static void
policy_defaults(void **state)
{
	struct fscert_policy	 p;

	(void)state;
	memset(&p, 0x5a, sizeof(p));
	fscert_policy_init(&p);
	assert_int_equal(p.warn_days, 20);
	assert_int_equal(p.crit_days, 10);
	assert_null(p.ca_file);
	assert_int_equal(p.nhosts, 0);
	assert_int_equal(p.now, 0);
}

static void
report_add(void **state)
{
	struct fscert_report	*r;
	char			 big[600];

	(void)state;
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	assert_int_equal(r->worst, FSCERT_SEV_OK);
	assert_int_equal(fscert_report_add(r, FSCERT_R_ECDSA_KEY,
	    FSCERT_SEV_WARN, 0, "%s: ECDSA key", "cert.pem"), 0);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->worst, FSCERT_SEV_WARN);
	assert_int_equal(r->refused, 0);
	assert_string_equal(r->findings[0].msg, "cert.pem: ECDSA key");
	assert_int_equal(fscert_report_add(r, FSCERT_R_EXPIRES_SOON,
	    FSCERT_SEV_CRIT, 0, "x"), 0);
	assert_int_equal(r->worst, FSCERT_SEV_CRIT);
	assert_int_equal(r->refused, 0);
	/* A later, milder finding does not lower the summary. */
	assert_int_equal(fscert_report_add(r, FSCERT_R_KEY_READABLE,
	    FSCERT_SEV_WARN, 1, "y"), 0);
	assert_int_equal(r->worst, FSCERT_SEV_CRIT);
	assert_int_equal(r->refused, 1);
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(fscert_report_add(r, FSCERT_R_NO_SAN,
	    FSCERT_SEV_WARN, 0, "%s", big), 0);
	assert_int_equal(strlen(r->findings[3].msg),
	    sizeof(r->findings[3].msg) - 1);
	assert_int_equal(r->nfindings, 4);
	assert_int_equal(r->findings[1].rule, FSCERT_R_EXPIRES_SOON);
	fscert_report_free(r);
	fscert_report_free(NULL);
}

/* Open and validate c's live dir directly. */
static struct fscert_report *
validate_live(struct vctx *c, struct fscert_lineage **lp)
{
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	struct fscert_report	*r;

	if (c->path == NULL)
		c->path = live(c);
	trust(c);
	fscert_err_clear(&e);
	if ((l = fscert_lineage_open_dir(c->path, &e)) == NULL)
		fail_msg("%s", e.msg);
	if ((r = fscert_validate(l, &c->pol, &e)) == NULL)
		fail_msg("%s", e.msg);
	if (lp != NULL)
		*lp = l;
	else
		fscert_lineage_free(l);
	return r;
}

static void
assert_clean(const struct fscert_report *r, int allow)
{
	size_t	 i;

	for (i = 0; i < r->nfindings; i++)
		if ((int)r->findings[i].rule != allow) {
			dump(r);
			fail_msg("unexpected '%s'",
			    fscert_rule_name(r->findings[i].rule));
		}
	assert_int_equal(r->refused, 0);
}

static void
facts(struct vctx *c, const char *type, int bits)
{
	struct fscert_report	*r;
	struct fx_spec		 s;
	struct tm		 tm;
	char			 want[32], *hex;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.san = FX_LEAF_CN ",alt.example.test";
	leaf(c, &s);
	r = validate_live(c, NULL);
	assert_clean(r, strcmp(type, "EC") == 0 ? FSCERT_R_ECDSA_KEY :
	    NO_RULE);
	assert_non_null(strstr(r->subject, FX_LEAF_CN));
	assert_non_null(strstr(r->issuer, FX_INTER_CN));
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(c->pki.leaf),
	    &tm), 1);
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_string_equal(r->not_after, want);
	assert_true(r->days_left == 88 || r->days_left == 89);
	hex = fx_hex_sha256(c->pki.leaf);
	assert_string_equal(r->sha256, hex);
	free(hex);
	assert_string_equal(r->key_type, type);
	assert_int_equal(r->key_bits, bits);
	assert_int_equal(r->chain_len, 1);
	assert_non_null(strstr(r->names, FX_LEAF_CN));
	assert_non_null(strstr(r->names, "alt.example.test"));
	assert_int_equal(r->kind, FSCERT_KIND_LIVE);
	fscert_report_free(r);
}

static void
facts_rsa(void **state)
{
	facts(*state, "RSA", 2048);
}

static void
facts_ec(void **state)
{
	struct vctx	*c = *state;

	c->pki.leaf_key = fx_key_ec("P-256", 2);
	facts(c, "EC", 256);
}

static void
facts_days_left_follow_now(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;

	c->pol.now = time(NULL) + 30 * DAY;
	r = validate_live(c, NULL);
	assert_true(r->days_left == 58 || r->days_left == 59);
	fscert_report_free(r);
}

/*
 * A Let's Encrypt-style long chain: the root cross-signed by an older
 * root, that cross-certificate expired, last in chain.pem.  With the
 * self-signed root trusted, a verified path exists without it: pass.
 */
static void
cross_signed(struct vctx *c, int expired)
{
	struct fx_spec	 s;
	X509		*old, *cross;

	fx_spec_ca(&s, "fscert Old Root", fx_key_ec("P-256", 6));
	old = fx_cert(&s, NULL, NULL);
	fx_spec_ca(&s, FX_ROOT_CN, c->pki.root_key);
	if (expired) {
		s.nb_days = -800;
		s.na_days = -30;
	}
	cross = fx_cert(&s, old, fx_key_ec("P-256", 6));
	fx_files_set(&c->f.chain,
	    fx_pem_certs(c->pki.inter, cross, (X509 *)NULL));
	fx_files_set(&c->f.fullchain,
	    fx_pem_certs(c->pki.leaf, c->pki.inter, cross, (X509 *)NULL));
	X509_free(old);
	X509_free(cross);
}

static void
check_passes(struct vctx *c)
{
	struct fscert_report	*r;
	size_t			 i;

	r = validate_live(c, NULL);
	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].sev == FSCERT_SEV_CRIT ||
		    r->findings[i].refuse ||
		    r->findings[i].rule == FSCERT_R_UNTRUSTED) {
			dump(r);
			fail_msg("a chain with a usable path must pass");
		}
	assert_int_equal(r->refused, 0);
	assert_true(r->worst <= FSCERT_SEV_WARN);
	fscert_report_free(r);
}

static void
cross_signed_expired_root_ca_file(void **state)
{
	struct vctx	*c = *state;

	cross_signed(c, 1);
	c->ca = CA_ROOT;
	check_passes(c);
}

static void
cross_signed_expired_root_system_store(void **state)
{
	struct vctx	*c = *state;

	cross_signed(c, 1);
	c->ca = CA_SYSTEM_ROOT;
	check_passes(c);
}

static void
cross_signed_valid_root_clean(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;

	cross_signed(c, 0);
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);
}

static void
eku_absent_or_both_pass(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;
	struct fx_spec		 s;

	/* "no serverAuth EKU when EKU is present": absent is fine. */
	fx_spec_leaf(&s, c->pki.leaf_key);
	s.eku = FX_EKU_NONE;
	leaf(c, &s);
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);

	fx_rmtree(c->base);
	free(c->path);
	c->path = NULL;
	s.eku = FX_EKU_BOTH;
	leaf(c, &s);
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);
}

static void
host_case_and_wildcard_pass(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;
	struct fx_spec		 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.san = FX_LEAF_CN ",*.pbx.example.test";
	leaf(c, &s);
	set_hosts(c, "SIP.Example.TEST", "tenant1.pbx.example.test");
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);
}

static void
crlf_validates_clean(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;

	b_crlf(c, 1);
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);
}

static void
sec1_and_pkcs1_keys_validate(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;

	fx_files_set(&c->f.privkey, fx_pem_key(c->pki.leaf_key, FX_KEY_TRAD));
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);
}

static void
unusable_ca_file(void **state)
{
	struct vctx		*c = *state;
	struct fscert_err	 e;
	struct fscert_lineage	*l;
	struct fscert_report	*r;
	char			*missing;

	c->path = live(c);
	missing = fx_path(c->tmp, "no-such-ca.pem");
	c->pol.ca_file = missing;
	fscert_err_clear(&e);
	l = fscert_lineage_open_dir(c->path, &e);
	assert_non_null(l);
	r = fscert_validate(l, &c->pol, &e);
	assert_null(r);
	assert_int_not_equal(e.code, FSCERT_OK);
	assert_non_null(strstr(e.msg, "no-such-ca.pem"));
	fscert_lineage_free(l);
	free(missing);
}

static void
check_files_good_and_missing(void **state)
{
	struct vctx		*c = *state;
	struct fscert_err	 e;
	struct fscert_report	*r;
	char			*cert, *key, *nokey;

	c->path = live(c);
	trust(c);
	cert = fx_path(c->path, "fullchain.pem");
	key = fx_path(c->path, "privkey.pem");
	nokey = fx_path(c->tmp, "nokey.pem");
	fscert_err_clear(&e);
	r = fscert_check_files(cert, key, NULL, &c->pol, &e);
	assert_non_null(r);
	assert_int_equal(r->kind, FSCERT_KIND_FILES);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);

	r = fscert_check_files(cert, nokey, NULL, &c->pol, &e);
	assert_non_null(r);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].rule, FSCERT_R_UNREADABLE);
	assert_int_equal(r->findings[0].sev, FSCERT_SEV_CRIT);
	assert_true(r->refused);
	assert_non_null(strstr(r->findings[0].msg, "nokey.pem"));
	fscert_report_free(r);
	free(cert);
	free(key);
	free(nokey);
}

static void
check_path_unreadable_has_one_finding(void **state)
{
	struct vctx		*c = *state;
	struct fscert_err	 e;
	struct fscert_report	*r;
	char			*p;

	p = fx_path(c->tmp, "nothing-here");
	fscert_err_clear(&e);
	r = fscert_check_path(p, &c->pol, &e);
	assert_non_null(r);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].rule, FSCERT_R_UNREADABLE);
	assert_int_equal(r->worst, FSCERT_SEV_CRIT);
	assert_true(r->refused);
	assert_non_null(strstr(r->findings[0].msg, "nothing-here"));
	fscert_report_free(r);
	free(p);
}

/* The same chain with a CA file that lacks the anchor: refused. */
static void
cross_signed_expired_untrusted_ca_file(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;
	size_t			 i;
	int			 untrusted = 0, validity = 0;

	cross_signed(c, 1);
	c->ca = CA_OTHER;
	r = validate_live(c, NULL);
	for (i = 0; i < r->nfindings; i++) {
		if (r->findings[i].rule == FSCERT_R_UNTRUSTED)
			untrusted = r->findings[i].refuse;
		if (r->findings[i].rule == FSCERT_R_CHAIN_VALIDITY)
			validity = r->findings[i].refuse;
	}
	if (!untrusted || !validity || !r->refused) {
		dump(r);
		fail_msg("expected untrusted and chain-validity refusals");
	}
	fscert_report_free(r);
}

/* Issue 8 #8: host names. */
static void
host_trailing_dot_and_idn(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;
	struct fx_spec		 s;

	fx_spec_leaf(&s, c->pki.leaf_key);
	s.san = FX_LEAF_CN ",xn--bcher-kva.example.test";
	leaf(c, &s);
	set_hosts(c, "sip.example.test.", "b\xc3\xbc" "cher.example.test");
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	fscert_report_free(r);
}

static void
host_ip_only_san(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;
	struct fx_spec		 s;
	X509			*x;
	size_t			 i;
	const char		*m = NULL;

	fx_spec_leaf(&s, c->pki.leaf_key);
	x = fx_cert_san(&s, "IP:192.0.2.10", c->pki.inter, c->pki.inter_key);
	X509_free(c->pki.leaf);
	c->pki.leaf = x;
	files_std(c);
	set_hosts(c, FX_LEAF_CN, "192.0.2.10");
	r = validate_live(c, NULL);
	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].rule == FSCERT_R_HOST_MISMATCH) {
			assert_null(m);	/* the IP address is covered */
			m = r->findings[i].msg;
		}
	if (m == NULL || strstr(m, "only IP addresses") == NULL ||
	    strstr(m, "192.0.2.10") == NULL || strstr(m, "cert.pem") == NULL) {
		dump(r);
		fail_msg("mismatch message does not say IP-only");
	}
	fscert_report_free(r);
}

static void
punycode(void **state)
{
	struct fscert_err	 e;
	char			 out[256], big[300];

	(void)state;
	fscert_err_clear(&e);
	assert_int_equal(fscert_host_to_ascii("b\xc3\xbc" "cher.example",
	    out, sizeof(out), &e), 0);
	assert_string_equal(out, "xn--bcher-kva.example");
	assert_int_equal(fscert_host_to_ascii("M\xc3\xbcnchen.DE", out,
	    sizeof(out), &e), 0);
	assert_string_equal(out, "xn--mnchen-3ya.de");
	/* RFC 3492 7.1 (B), Chinese (simplified). */
	assert_int_equal(fscert_host_to_ascii("\xe4\xbb\x96\xe4\xbb\xac"
	    "\xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88\xe4\xb8\x8d\xe8\xaf\xb4"
	    "\xe4\xb8\xad\xe6\x96\x87", out, sizeof(out), &e), 0);
	assert_string_equal(out, "xn--ihqwcrb4cv8a8dqg056pqjye");
	/* RFC 3492 7.1 (A), Arabic (Egyptian). */
	assert_int_equal(fscert_host_to_ascii("\xd9\x84\xd9\x8a\xd9\x87"
	    "\xd9\x85\xd8\xa7\xd8\xa8\xd8\xaa\xd9\x83\xd9\x84\xd9\x85\xd9\x88"
	    "\xd8\xb4\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\x9f", out,
	    sizeof(out), &e), 0);
	assert_string_equal(out, "xn--egbpdaj6bu4bxfgehfvwxn");
	/* RFC 3492 7.1 (L): 3<nen>B<gumi><kinpachi><sensei>, lower-cased. */
	assert_int_equal(fscert_host_to_ascii("3\xe5\xb9\xb4" "B\xe7\xb5\x84"
	    "\xe9\x87\x91\xe5\x85\xab\xe5\x85\x88\xe7\x94\x9f", out,
	    sizeof(out), &e), 0);
	assert_string_equal(out, "xn--3b-ww4c5e180e575a65lsy2b");
	/* ASCII passes, lower-cased; a trailing dot is dropped. */
	assert_int_equal(fscert_host_to_ascii("SIP.Example.com.", out,
	    sizeof(out), &e), 0);
	assert_string_equal(out, "sip.example.com");
	/* Bad UTF-8, a name too long for out: -1 naming the host. */
	assert_int_equal(fscert_host_to_ascii("b\xc3" "cher", out,
	    sizeof(out), &e), -1);
	assert_non_null(strstr(e.msg, "UTF-8"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fscert_err_clear(&e);
	assert_int_equal(fscert_host_to_ascii(big, out, sizeof(out), &e), -1);
	fscert_err_clear(&e);
	assert_int_equal(fscert_host_to_ascii("b\xc3\xbc" "cher", out, 8,
	    &e), -1);
}

/* Issue 8 #5: the JSON key_type is whole ("RSASSA-" before). */
static void
facts_rsa_pss(void **state)
{
	struct vctx		*c = *state;
	struct fscert_report	*r;

	leaf_owned(c, fx_key_gen("RSA-PSS", 2048));
	r = validate_live(c, NULL);
	assert_clean(r, NO_RULE);
	assert_string_equal(r->key_type, "RSA-PSS");
	assert_int_equal(r->key_bits, 2048);
	fscert_report_free(r);
}

/* Issue 8 #7: key_types, as the option and the config key. */
static void
key_types_option(void **state)
{
	static const char conf[] =
	    "[check]\nkey_types = rsa\n"
	    "[target pbx]\nlineage = /x\nkey_types = rsa,ecdsa\n";
	struct fscert_config	 cfg;
	struct fscert_err	 e;
	unsigned		 kt = 0;
	FILE			*f;

	(void)state;
	fscert_err_clear(&e);
	assert_int_equal(fscert_key_types_parse("rsa", &kt, &e), 0);
	assert_int_equal(kt, FSCERT_KEYTYPE_RSA);
	assert_int_equal(fscert_key_types_parse("rsa,ecdsa", &kt, &e), 0);
	assert_int_equal(kt, FSCERT_KEYTYPE_RSA | FSCERT_KEYTYPE_ECDSA);
	assert_int_equal(fscert_key_types_parse("ecdsa rsa", &kt, &e), 0);
	assert_int_equal(kt, FSCERT_KEYTYPE_RSA | FSCERT_KEYTYPE_ECDSA);
	assert_int_equal(fscert_key_types_parse("rsa,dsa", &kt, &e), -1);
	assert_non_null(strstr(e.msg, "dsa"));
	assert_int_equal(fscert_key_types_parse("", &kt, &e), -1);

	f = fmemopen((void *)conf, sizeof(conf) - 1, "r");
	assert_non_null(f);
	fscert_config_init(&cfg);
	fscert_err_clear(&e);
	if (fscert_config_parse(&cfg, f, "t.conf", &e) == -1)
		fail_msg("%s", e.msg);
	fclose(f);
	assert_string_equal(cfg.key_types, "rsa");
	assert_int_equal(cfg.ntargets, 1);
	assert_string_equal(cfg.targets[0].key_types, "rsa,ecdsa");
	fscert_config_free(&cfg);

	f = fmemopen((void *)"[check]\nkey_types = dsa\n", 24, "r");
	assert_non_null(f);
	fscert_config_init(&cfg);
	fscert_err_clear(&e);
	assert_int_equal(fscert_config_parse(&cfg, f, "t.conf", &e), -1);
	if (strstr(e.msg, "t.conf:2") == NULL)
		fail_msg("%s", e.msg);
	assert_non_null(strstr(e.msg, "key_types"));
	fclose(f);
	fscert_config_free(&cfg);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, vsetup, vteardown)

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(table_covers_every_rule),
		cmocka_unit_test(rule_names),
		cmocka_unit_test(policy_defaults),
		cmocka_unit_test(report_add),
		T(facts_rsa),
		T(facts_ec),
		T(facts_rsa_pss),
		cmocka_unit_test(key_types_option),
		T(facts_days_left_follow_now),
		T(cross_signed_expired_root_ca_file),
		T(cross_signed_expired_root_system_store),
		T(cross_signed_valid_root_clean),
		T(cross_signed_expired_untrusted_ca_file),
		T(host_trailing_dot_and_idn),
		T(host_ip_only_san),
		cmocka_unit_test(punycode),
		T(eku_absent_or_both_pass),
		T(host_case_and_wildcard_pass),
		T(crlf_validates_clean),
		T(sec1_and_pkcs1_keys_validate),
		T(unusable_ca_file),
		T(check_files_good_and_missing),
		T(check_path_unreadable_has_one_finding),
	};
	const size_t		 nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest	*tests;
	struct vrun		*runs;
	size_t			 i, n = 0;
	int			 rc;

	fx_init();
	tests = calloc(nfixed + 2 * NCASES, sizeof(*tests));
	runs = calloc(2 * NCASES, sizeof(*runs));
	if (tests == NULL || runs == NULL)
		return 1;
	for (i = 0; i < 2 * NCASES; i++) {
		runs[i].c = &cases[i / 2];
		runs[i].defect = !(i % 2);
		snprintf(runs[i].title, sizeof(runs[i].title), "%s (%s)",
		    runs[i].c->name, runs[i].defect ? "broken" : "control");
		tests[n].name = runs[i].title;
		tests[n].test_func = test_case;
		tests[n].setup_func = vsetup;
		tests[n].teardown_func = vteardown;
		tests[n].initial_state = &runs[i];
		n++;
	}
	for (i = 0; i < nfixed; i++)
		tests[n++] = fixed[i];
	rc = _cmocka_run_group_tests("test_validate", tests, n, NULL, NULL);
	free(tests);
	free(runs);
	fx_pool_free();
	return rc;
}
