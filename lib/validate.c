/*
 * validate.c: every rule of DESIGN.md "Validate".
 *
 * Each rule adds a finding with a stable name, a severity and whether
 * it refuses the lineage.  Messages start with the short name of the
 * file they are about ("privkey.pem: ..."); the front end prefixes the
 * lineage path when it checks several.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fscert/validate.h"
#include "internal.h"

static const char *const rule_names[FSCERT_R__MAX] = {
	[FSCERT_R_UNREADABLE] = "unreadable",
	[FSCERT_R_EXTRA_CERTS] = "extra-certs",
	[FSCERT_R_KEY_MISMATCH] = "key-mismatch",
	[FSCERT_R_EMPTY_CHAIN] = "empty-chain",
	[FSCERT_R_CHAIN_ISSUER] = "chain-issuer",
	[FSCERT_R_CHAIN_ORDER] = "chain-order",
	[FSCERT_R_FULLCHAIN_MISMATCH] = "fullchain-mismatch",
	[FSCERT_R_CHAIN_VALIDITY] = "chain-validity",
	[FSCERT_R_UNTRUSTED] = "untrusted",
	[FSCERT_R_LEAF_EXPIRED] = "leaf-expired",
	[FSCERT_R_LEAF_NOT_YET_VALID] = "leaf-not-yet-valid",
	[FSCERT_R_LEAF_CA] = "leaf-ca",
	[FSCERT_R_WEAK_KEY] = "weak-key",
	[FSCERT_R_WEAK_SIGNATURE] = "weak-signature",
	[FSCERT_R_NO_SERVER_AUTH] = "no-server-auth",
	[FSCERT_R_NO_SAN] = "no-san",
	[FSCERT_R_HOST_MISMATCH] = "host-mismatch",
	[FSCERT_R_EXPIRES_SOON] = "expires-soon",
	[FSCERT_R_ECDSA_KEY] = "ecdsa-key",
	[FSCERT_R_KEY_READABLE] = "key-readable",
	[FSCERT_R_ROOT_IN_CHAIN] = "root-in-chain",
	[FSCERT_R_SET_MISMATCH] = "set-mismatch",
};

static const char *const sev_names[FSCERT_SEV__MAX] = {
	"OK",
	"WARNING",
	"CRITICAL",
};

const char *
fscert_rule_name(enum fscert_rule rule)
{
	if ((unsigned)rule >= FSCERT_R__MAX)
		return "unknown";
	return rule_names[rule];
}

const char *
fscert_sev_name(enum fscert_sev sev)
{
	if ((unsigned)sev >= FSCERT_SEV__MAX)
		return "UNKNOWN";
	return sev_names[sev];
}

void
fscert_policy_init(struct fscert_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->warn_days = FSCERT_WARN_DAYS;
	p->crit_days = FSCERT_CRIT_DAYS;
}

/* A store with the policy's trust anchors; NULL with err set. */
static X509_STORE *
new_store(const struct fscert_policy *p, struct fscert_err *err)
{
	X509_STORE *store;

	if ((store = X509_STORE_new()) == NULL) {
		fscert_err_ssl(err, "certificate store");
		return NULL;
	}
	if (p->ca_file != NULL) {
		if (X509_STORE_load_file(store, p->ca_file) != 1) {
			fscert_err_ssl(
			    err, "%s: cannot load CA file", p->ca_file);
			X509_STORE_free(store);
			return NULL;
		}
	} else if (X509_STORE_set_default_paths(store) != 1) {
		fscert_err_ssl(err, "system certificate store");
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

int
fscert_policy_load(struct fscert_policy *p, struct fscert_err *err)
{
	fscert_policy_clear(p);
	if ((p->store = new_store(p, err)) == NULL)
		return -1;
	return 0;
}

void
fscert_policy_clear(struct fscert_policy *p)
{
	X509_STORE_free(p->store);
	p->store = NULL;
}

void
fscert_report_free(struct fscert_report *r)
{
	if (r == NULL)
		return;
	free(r->findings);
	free(r);
}

int
fscert_report_add(struct fscert_report *r, enum fscert_rule rule,
    enum fscert_sev sev, int refuse, const char *fmt, ...)
{
	struct fscert_finding *nf, *f;
	va_list ap;

	nf = realloc(r->findings, (r->nfindings + 1) * sizeof(*nf));
	if (nf == NULL)
		return -1;
	r->findings = nf;
	f = &nf[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->sev = sev;
	f->refuse = refuse;
	va_start(ap, fmt);
	(void)vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	if (sev > r->worst)
		r->worst = sev;
	if (refuse)
		r->refused = 1;
	return 0;
}

/* A name's CN, else the whole name, into buf. */
static const char *
name_cn(X509_NAME *n, char *buf, size_t len)
{
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	ASN1_STRING *s;
	unsigned char *u = NULL;
	int ul;

	buf[0] = '\0';
	if (i >= 0) {
		s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
		if ((ul = ASN1_STRING_to_UTF8(&u, s)) >= 0) {
			(void)snprintf(buf, len, "%.*s", ul, (char *)u);
			OPENSSL_free(u);
			return buf;
		}
	}
	(void)X509_NAME_oneline(n, buf, (int)len);
	return buf;
}

/* The certificate's CN, else its whole subject, into buf. */
static const char *
cn_of(X509 *x, char *buf, size_t len)
{
	return name_cn(X509_get_subject_name(x), buf, len);
}

/* "2027-02-25T14:11:04Z" for t, into buf. */
static const char *
iso_time(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "?");
	return buf;
}

/* Whole days from now until t, rounded down. */
static long
days_until(const ASN1_TIME *t, time_t now)
{
	ASN1_TIME *n = ASN1_TIME_set(NULL, now);
	int d = 0, s = 0;
	long secs;

	if (n == NULL || !ASN1_TIME_diff(&d, &s, n, t)) {
		ASN1_TIME_free(n);
		return 0;
	}
	ASN1_TIME_free(n);
	secs = (long)d * 86400 + s;
	return secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
}

/* Did issuer issue x: names/AKID match and the signature verifies? */
static int
signed_by(X509 *x, X509 *issuer)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer);
	int ok;

	ok = X509_check_issued(issuer, x) == X509_V_OK && k != NULL &&
	    X509_verify(x, k) == 1;
	ERR_clear_error();
	return ok;
}

/* Does x name issuer as its issuer (regardless of the key)? */
static int
named_by(X509 *x, X509 *issuer)
{
	return X509_NAME_cmp(
		   X509_get_issuer_name(x), X509_get_subject_name(issuer)) == 0;
}

static int
self_signed(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

/* The digest name of a weak signature on x, or NULL. */
static const char *
weak_sig(X509 *x)
{
	int md = NID_undef;

	if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, NULL))
		return NULL;
	switch (md) {
	case NID_sha1:
		return "SHA-1";
	case NID_md5:
	case NID_md5_sha1:
		return "MD5";
	case NID_md4:
		return "MD4";
	case NID_md2:
		return "MD2";
	default:
		return NULL;
	}
}

/* Append the DNS names of the leaf's subjectAltName to r->names. */
static int
san_facts(struct fscert_report *r, X509 *leaf)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	size_t used = 0;
	int i, n = 0;

	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return 0;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS && g->type != GEN_IPADD)
			continue;
		n++;
		if (g->type == GEN_DNS && used < sizeof(r->names))
			used += (size_t)snprintf(r->names + used,
			    sizeof(r->names) - used, "%s%.*s", used ? "," : "",
			    ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	return n;
}

static void
leaf_facts(struct fscert_report *r, X509 *leaf, time_t now)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_PKEY *k = X509_get0_pubkey(leaf);
	char buf[256];

	(void)snprintf(r->subject, sizeof(r->subject), "%s",
	    cn_of(leaf, buf, sizeof(buf)));
	(void)snprintf(r->issuer, sizeof(r->issuer), "%s",
	    name_cn(X509_get_issuer_name(leaf), buf, sizeof(buf)));
	iso_time(X509_get0_notAfter(leaf), r->not_after, sizeof(r->not_after));
	r->days_left = days_until(X509_get0_notAfter(leaf), now);
	if (X509_digest(leaf, EVP_sha256(), md, &mdlen))
		for (i = 0; i < mdlen; i++)
			(void)snprintf(
			    r->sha256 + (size_t)2 * i, 3, "%02x", md[i]);
	if (k != NULL) {
		switch (EVP_PKEY_get_base_id(k)) {
		case EVP_PKEY_RSA:
			(void)snprintf(r->key_type, sizeof(r->key_type), "RSA");
			break;
		case EVP_PKEY_EC:
			(void)snprintf(r->key_type, sizeof(r->key_type), "EC");
			break;
		default:
			(void)snprintf(r->key_type, sizeof(r->key_type), "%s",
			    OBJ_nid2sn(EVP_PKEY_get_base_id(k)));
		}
		r->key_bits = EVP_PKEY_get_bits(k);
	}
}

/* Context shared by the rule functions. */
struct vctx {
	const struct fscert_lineage *l;
	const struct fscert_policy *p;
	struct fscert_report *r;
	time_t now;
	const char *cname; /* file of the leaf */
	const char *kname; /* file of the key */
	const char *chname; /* file of the chain */
	STACK_OF(X509) * path; /* a verified path, or NULL */
};

#define ADD(v, rule, sev, refuse, ...) \
	do { \
		if (fscert_report_add( \
			(v)->r, (rule), (sev), (refuse), __VA_ARGS__) == -1) \
			return -1; \
	} while (0)

static int
rule_leaf(struct vctx *v)
{
	X509 *leaf = v->l->leaf;
	EVP_PKEY *k = X509_get0_pubkey(leaf);
	const char *md;
	char date[32];
	uint32_t fl;
	int bits, type, n;

	n = sk_X509_num(v->l->files[v->l->leaf_from].pem->certs);
	if (n > 1 && v->l->kind == FSCERT_KIND_LIVE)
		ADD(v, FSCERT_R_EXTRA_CERTS, FSCERT_SEV_WARN, 0,
		    "%s: holds %d certificates; only the first is used, as "
		    "the leaf",
		    v->cname, n);
	if (n > 1 && v->l->kind == FSCERT_KIND_INSTALLED)
		ADD(v, FSCERT_R_EXTRA_CERTS, FSCERT_SEV_WARN, 0,
		    "%s: holds %d certificates; SIP-TLS serves only the "
		    "first, its chain comes from cafile.pem",
		    v->cname, n);

	if (X509_cmp_time(X509_get0_notAfter(leaf), &v->now) <= 0)
		ADD(v, FSCERT_R_LEAF_EXPIRED, FSCERT_SEV_CRIT, 1,
		    "%s: certificate expired on %s", v->cname,
		    iso_time(X509_get0_notAfter(leaf), date, sizeof(date)));
	else if (v->r->days_left < v->p->crit_days)
		ADD(v, FSCERT_R_EXPIRES_SOON, FSCERT_SEV_CRIT, 0,
		    "%s: certificate expires in %ld days, on %s", v->cname,
		    v->r->days_left, v->r->not_after);
	else if (v->r->days_left < v->p->warn_days)
		ADD(v, FSCERT_R_EXPIRES_SOON, FSCERT_SEV_WARN, 0,
		    "%s: certificate expires in %ld days, on %s", v->cname,
		    v->r->days_left, v->r->not_after);
	if (X509_cmp_time(X509_get0_notBefore(leaf), &v->now) > 0)
		ADD(v, FSCERT_R_LEAF_NOT_YET_VALID, FSCERT_SEV_CRIT, 1,
		    "%s: certificate is not valid before %s", v->cname,
		    iso_time(X509_get0_notBefore(leaf), date, sizeof(date)));

	fl = X509_get_extension_flags(leaf);
	if ((fl & EXFLAG_BCONS) && (fl & EXFLAG_CA))
		ADD(v, FSCERT_R_LEAF_CA, FSCERT_SEV_CRIT, 1,
		    "%s: the leaf is a CA certificate (basicConstraints "
		    "CA:TRUE)",
		    v->cname);
	if ((fl & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(leaf) &
		(XKU_SSL_SERVER | XKU_ANYEKU)))
		ADD(v, FSCERT_R_NO_SERVER_AUTH, FSCERT_SEV_CRIT, 1,
		    "%s: extendedKeyUsage lacks serverAuth: TLS clients "
		    "will reject it",
		    v->cname);
	if ((md = weak_sig(leaf)) != NULL)
		ADD(v, FSCERT_R_WEAK_SIGNATURE, FSCERT_SEV_CRIT, 1,
		    "%s: certificate is signed with %s", v->cname, md);

	type = k != NULL ? EVP_PKEY_get_base_id(k) : NID_undef;
	bits = k != NULL ? EVP_PKEY_get_bits(k) : 0;
	if (type == EVP_PKEY_RSA && bits < 2048)
		ADD(v, FSCERT_R_WEAK_KEY, FSCERT_SEV_CRIT, 1,
		    "%s: RSA key of %d bits (at least 2048 needed)", v->cname,
		    bits);
	if (type == EVP_PKEY_EC && bits < 256)
		ADD(v, FSCERT_R_WEAK_KEY, FSCERT_SEV_CRIT, 1,
		    "%s: EC key of %d bits (at least 256 needed)", v->cname,
		    bits);
	if (type == EVP_PKEY_EC)
		ADD(v, FSCERT_R_ECDSA_KEY, FSCERT_SEV_WARN, 0,
		    "%s: ECDSA key; older desk phones only do RSA "
		    "(certbot --key-type rsa)",
		    v->cname);
	return 0;
}

static int
rule_key(struct vctx *v)
{
	const struct fscert_file *kf = &v->l->files[v->l->key_from];
	EVP_PKEY *key = kf->pem->key;
	int ok;

	ok = X509_check_private_key(v->l->leaf, key) == 1;
	ERR_clear_error();
	if (!ok)
		ADD(v, FSCERT_R_KEY_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "%s: key does not match the certificate in %s", v->kname,
		    v->cname);
	if (kf->mode & S_IROTH)
		ADD(v, FSCERT_R_KEY_READABLE, FSCERT_SEV_WARN, 0,
		    "%s: private key is readable by every user (mode %04o)",
		    v->kname, (unsigned)(kf->mode & 07777));
	return 0;
}

/* Is the host name an IP address literal? */
static int
is_ip(const char *h)
{
	unsigned char b[16];

	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

static int
rule_hosts(struct vctx *v)
{
	/* RFC 6125: SAN only, a wildcard only as the whole left label. */
	const unsigned int fl = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
	const char *h;
	size_t i;
	int ok;

	if (san_facts(v->r, v->l->leaf) == 0) {
		ADD(v, FSCERT_R_NO_SAN, FSCERT_SEV_CRIT, 1,
		    "%s: certificate has no subjectAltName; clients ignore "
		    "the CN",
		    v->cname);
		return 0;
	}
	for (i = 0; i < v->p->nhosts; i++) {
		h = v->p->hosts[i];
		if (is_ip(h))
			ok = X509_check_ip_asc(v->l->leaf, h, 0) == 1;
		else
			ok = X509_check_host(v->l->leaf, h, 0, fl, NULL) == 1;
		if (!ok)
			ADD(v, FSCERT_R_HOST_MISMATCH, FSCERT_SEV_CRIT, 1,
			    "%s: does not cover '%s' (it names %s)", v->cname,
			    h, v->r->names[0] ? v->r->names : "no DNS name");
	}
	return 0;
}

/* Is x on the verified path? */
static int
on_path(const struct vctx *v, X509 *x)
{
	int i;

	if (v->path == NULL)
		return 0;
	for (i = 0; i < sk_X509_num(v->path); i++)
		if (X509_cmp(sk_X509_value(v->path, i), x) == 0)
			return 1;
	return 0;
}

static int
rule_chain(struct vctx *v)
{
	STACK_OF(X509) *ch = v->l->chain;
	char a[128], b[128], date[32];
	const char *md;
	X509 *x, *next;
	int i, n = sk_X509_num(ch), late, early;

	if (n == 0) {
		if (v->l->kind == FSCERT_KIND_INSTALLED)
			ADD(v, FSCERT_R_EMPTY_CHAIN, FSCERT_SEV_CRIT, 1,
			    "%s: holds no certificate; FreeSWITCH would serve "
			    "the leaf alone",
			    v->chname);
		else if (!v->l->files[v->l->chain_from].present)
			ADD(v, FSCERT_R_EMPTY_CHAIN, FSCERT_SEV_CRIT, 1,
			    "%s: missing, and no fullchain.pem: no "
			    "intermediate to serve",
			    v->chname);
		else
			ADD(v, FSCERT_R_EMPTY_CHAIN, FSCERT_SEV_CRIT, 1,
			    "%s: holds no intermediate certificate", v->chname);
		return 0;
	}
	x = sk_X509_value(ch, 0);
	if (!signed_by(v->l->leaf, x)) {
		if (named_by(v->l->leaf, x))
			ADD(v, FSCERT_R_CHAIN_ISSUER, FSCERT_SEV_CRIT, 1,
			    "%s: certificate 1 ('%s') has the issuer's name "
			    "but did not sign %s",
			    v->chname, cn_of(x, a, sizeof(a)), v->cname);
		else
			ADD(v, FSCERT_R_CHAIN_ISSUER, FSCERT_SEV_CRIT, 1,
			    "%s: certificate 1 ('%s') did not issue %s "
			    "(issued by '%s')",
			    v->chname, cn_of(x, a, sizeof(a)), v->cname,
			    v->r->issuer);
	}
	for (i = 0; i < n; i++) {
		x = sk_X509_value(ch, i);
		if (i + 1 < n) {
			next = sk_X509_value(ch, i + 1);
			if (!signed_by(x, next))
				ADD(v, FSCERT_R_CHAIN_ORDER, FSCERT_SEV_CRIT, 1,
				    "%s: certificate %d ('%s') is not signed "
				    "by certificate %d ('%s'): wrong order or "
				    "unrelated",
				    v->chname, i + 1, cn_of(x, a, sizeof(a)),
				    i + 2, cn_of(next, b, sizeof(b)));
		}
		if (self_signed(x))
			ADD(v, FSCERT_R_ROOT_IN_CHAIN, FSCERT_SEV_WARN, 0,
			    "%s: certificate %d ('%s') is a self-signed root; "
			    "clients must have it already",
			    v->chname, i + 1, cn_of(x, a, sizeof(a)));
		else if ((md = weak_sig(x)) != NULL)
			ADD(v, FSCERT_R_WEAK_SIGNATURE, FSCERT_SEV_CRIT, 1,
			    "%s: certificate %d ('%s') is signed with %s",
			    v->chname, i + 1, cn_of(x, a, sizeof(a)), md);

		late = X509_cmp_time(X509_get0_notAfter(x), &v->now) <= 0;
		early = X509_cmp_time(X509_get0_notBefore(x), &v->now) > 0;
		if (!late && !early)
			continue;
		/*
		 * An expired cross-signed root at the end of a Let's
		 * Encrypt chain is harmless when a verified path does not
		 * need it: clients take that path.
		 */
		if (v->path != NULL && !on_path(v, x) && i > 0)
			ADD(v, FSCERT_R_CHAIN_VALIDITY, FSCERT_SEV_WARN, 0,
			    "%s: certificate %d ('%s') %s %s; not needed, "
			    "a trusted path exists without it",
			    v->chname, i + 1, cn_of(x, a, sizeof(a)),
			    late ? "expired on" : "is not valid before",
			    iso_time(late ? X509_get0_notAfter(x)
					  : X509_get0_notBefore(x),
				date, sizeof(date)));
		else
			ADD(v, FSCERT_R_CHAIN_VALIDITY, FSCERT_SEV_CRIT, 1,
			    "%s: certificate %d ('%s') %s %s", v->chname, i + 1,
			    cn_of(x, a, sizeof(a)),
			    late ? "expired on" : "is not valid before",
			    iso_time(late ? X509_get0_notAfter(x)
					  : X509_get0_notBefore(x),
				date, sizeof(date)));
	}
	return 0;
}

/* Are a[from..] and b[..] the same certificates in the same order? */
static int
same_certs(STACK_OF(X509) * a, int from, STACK_OF(X509) * b)
{
	int i;

	if (sk_X509_num(a) - from != sk_X509_num(b))
		return 0;
	for (i = 0; i < sk_X509_num(b); i++)
		if (X509_cmp(sk_X509_value(a, from + i), sk_X509_value(b, i)))
			return 0;
	return 1;
}

static int
rule_fullchain(struct vctx *v)
{
	const struct fscert_lineage *l = v->l;
	STACK_OF(X509) * fc, *c, *ch;
	int nc;

	if (l->kind != FSCERT_KIND_LIVE ||
	    !l->files[FSCERT_F_FULLCHAIN].present)
		return 0;
	fc = l->files[FSCERT_F_FULLCHAIN].pem->certs;
	c = l->files[FSCERT_F_CERT].pem->certs;
	nc = sk_X509_num(c);
	if (sk_X509_num(fc) < 1 ||
	    X509_cmp(sk_X509_value(fc, 0), sk_X509_value(c, 0)) != 0) {
		ADD(v, FSCERT_R_FULLCHAIN_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "fullchain.pem: does not start with the certificate of "
		    "cert.pem");
		return 0;
	}
	if (!l->files[FSCERT_F_CHAIN].present)
		return 0;
	ch = l->files[FSCERT_F_CHAIN].pem->certs;
	/* fullchain == every certificate of cert.pem, then of chain.pem. */
	if (sk_X509_num(fc) != nc + sk_X509_num(ch) || !same_certs(fc, nc, ch))
		ADD(v, FSCERT_R_FULLCHAIN_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "fullchain.pem: is not cert.pem followed by chain.pem "
		    "(%d certificates, expected %d in that order)",
		    sk_X509_num(fc), nc + sk_X509_num(ch));
	return 0;
}

static int
rule_installed(struct vctx *v)
{
	const struct fscert_lineage *l = v->l;
	const struct fscert_pem *w = l->files[FSCERT_F_WSS].pem;
	int eq;

	if (l->kind != FSCERT_KIND_INSTALLED)
		return 0;
	if (w == NULL) {
		ADD(v, FSCERT_R_SET_MISMATCH, FSCERT_SEV_WARN, 0,
		    "wss.pem: missing; with a WSS binding FreeSWITCH makes "
		    "a self-signed one");
		return 0;
	}
	if (sk_X509_num(w->certs) == 0 ||
	    X509_cmp(sk_X509_value(w->certs, 0), l->leaf) != 0)
		ADD(v, FSCERT_R_SET_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "wss.pem: its leaf is not the certificate in agent.pem");
	if (w->key == NULL) {
		ADD(v, FSCERT_R_SET_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "wss.pem: holds no private key");
	} else {
		eq = EVP_PKEY_eq(w->key, l->files[FSCERT_F_AGENT].pem->key);
		ERR_clear_error();
		if (eq != 1)
			ADD(v, FSCERT_R_SET_MISMATCH, FSCERT_SEV_CRIT, 1,
			    "wss.pem: its private key is not the one in "
			    "agent.pem");
	}
	if (sk_X509_num(w->certs) > 0 && !same_certs(w->certs, 1, l->chain))
		ADD(v, FSCERT_R_SET_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "wss.pem: its intermediates are not those of cafile.pem");
	return 0;
}

/*
 * Time errors on the leaf are reported by rule_leaf; ignore them here
 * so that the path search still says whether a trusted path exists.
 */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	int e = X509_STORE_CTX_get_error(ctx);

	if (!ok && X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    (e == X509_V_ERR_CERT_HAS_EXPIRED ||
		e == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	return ok;
}

/* Look for a verified path; keep it in v->path.  -1 on internal error. */
static int
rule_trust(struct vctx *v, struct fscert_err *err)
{
	X509_STORE *store = NULL, *own = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509 *bad;
	char a[128];
	int rc = -1, e, depth;

	if ((ctx = X509_STORE_CTX_new()) == NULL) {
		fscert_err_ssl(err, "certificate store");
		goto out;
	}
	if (v->p->store != NULL)
		store = v->p->store;
	else if ((store = own = new_store(v->p, err)) == NULL)
		goto out;
	if (!X509_STORE_CTX_init(ctx, store, v->l->leaf, v->l->chain)) {
		fscert_err_ssl(err, "certificate store");
		goto out;
	}
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	X509_STORE_CTX_set_time(ctx, 0, v->now);
	if (X509_verify_cert(ctx) == 1) {
		v->path = X509_STORE_CTX_get1_chain(ctx);
	} else {
		e = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		bad = X509_STORE_CTX_get_current_cert(ctx);
		if (bad != NULL)
			(void)cn_of(bad, a, sizeof(a));
		else
			(void)snprintf(a, sizeof(a), "?");
		if (v->p->ca_file != NULL)
			ADD(v, FSCERT_R_UNTRUSTED, FSCERT_SEV_CRIT, 1,
			    "%s: no path to a trusted root in '%s': %s "
			    "(depth %d, '%s')",
			    v->cname, v->p->ca_file,
			    X509_verify_cert_error_string(e), depth, a);
		else
			ADD(v, FSCERT_R_UNTRUSTED, FSCERT_SEV_WARN, 0,
			    "%s: no path to a root in the system trust "
			    "store: %s (depth %d, '%s')",
			    v->cname, X509_verify_cert_error_string(e), depth,
			    a);
	}
	ERR_clear_error();
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(own);
	return rc;
}

struct fscert_report *
fscert_validate(const struct fscert_lineage *l, const struct fscert_policy *p,
    struct fscert_err *err)
{
	struct fscert_report *r;
	struct vctx v;
	int rc = -1;

	if (l == NULL || l->leaf == NULL || p == NULL) {
		fscert_err_set(err, FSCERT_EUSAGE, "nothing to validate");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
		return NULL;
	}
	memset(&v, 0, sizeof(v));
	v.l = l;
	v.p = p;
	v.r = r;
	v.now = p->now != 0 ? p->now : time(NULL);
	v.cname = fscert_lineage_name(l, l->leaf_from);
	v.kname = fscert_lineage_name(l, l->key_from);
	v.chname = fscert_lineage_name(l, l->chain_from);
	r->kind = l->kind;
	leaf_facts(r, l->leaf, v.now);
	r->chain_len = sk_X509_num(l->chain);

	/* The trust path first: rule_chain asks whether a cert is on it. */
	if (rule_trust(&v, err) == -1)
		goto out;
	if (rule_leaf(&v) == -1 || rule_key(&v) == -1 || rule_hosts(&v) == -1 ||
	    rule_chain(&v) == -1 || rule_fullchain(&v) == -1 ||
	    rule_installed(&v) == -1) {
		fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	sk_X509_pop_free(v.path, X509_free);
	if (rc == -1) {
		fscert_report_free(r);
		return NULL;
	}
	return r;
}
