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
#include <openssl/bn.h>
#include <openssl/core_names.h>
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
	[FSCERT_R_KEY_TYPE] = "key-type",
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

int
fscert_key_types_parse(const char *s, unsigned *out, struct fscert_err *err)
{
	unsigned kt = 0;
	const char *w;
	size_t n;

	for (w = s; *w != '\0'; w += n) {
		w += strspn(w, " \t,");
		if ((n = strcspn(w, " \t,")) == 0)
			break;
		if (n == 3 && strncmp(w, "rsa", 3) == 0)
			kt |= FSCERT_KEYTYPE_RSA;
		else if (n == 5 && strncmp(w, "ecdsa", 5) == 0)
			kt |= FSCERT_KEYTYPE_ECDSA;
		else
			return fscert_err_set(err, FSCERT_EUSAGE,
			    "key types: '%.*s' is not rsa or ecdsa", (int)n, w);
	}
	if (kt == 0)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "key types: '%s' names none of rsa, ecdsa", s);
	if (out != NULL)
		*out = kt;
	return 0;
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

/*
 * Append the DNS names of the leaf's subjectAltName to r->names and its
 * IP addresses to ips (comma separated); return how many there are.
 */
static int
san_facts(struct fscert_report *r, X509 *leaf, char *ips, size_t ipslen)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	char addr[INET6_ADDRSTRLEN];
	size_t used = 0, iused = 0;
	int i, n = 0, alen;

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
		if (g->type != GEN_IPADD || iused >= ipslen)
			continue;
		alen = ASN1_STRING_length(g->d.iPAddress);
		if ((alen != 4 && alen != 16) ||
		    inet_ntop(alen == 4 ? AF_INET : AF_INET6,
			ASN1_STRING_get0_data(g->d.iPAddress), addr,
			sizeof(addr)) == NULL)
			(void)snprintf(addr, sizeof(addr), "?");
		iused += (size_t)snprintf(ips + iused, ipslen - iused, "%s%s",
		    iused ? "," : "", addr);
	}
	GENERAL_NAMES_free(gens);
	return n;
}

/* "RSA", "RSA-PSS", "EC", "ED25519", "ED448", "DSA", ... */
static const char *
key_type_name(EVP_PKEY *k)
{
	const char *n;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		return "RSA";
	case EVP_PKEY_RSA_PSS:
		return "RSA-PSS";
	case EVP_PKEY_EC:
		return "EC";
	case EVP_PKEY_ED25519:
		return "ED25519";
	case EVP_PKEY_ED448:
		return "ED448";
	case EVP_PKEY_DSA:
		return "DSA";
	default:
		n = EVP_PKEY_get0_type_name(k);
		return n != NULL ? n : "unknown";
	}
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
		(void)snprintf(
		    r->key_type, sizeof(r->key_type), "%s", key_type_name(k));
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

/*
 * Key types: RSA (PKCS#1, PKCS#8 or RSA-PSS) of 2048 bits or more, and
 * ECDSA on P-256 or P-384, what browsers (WSS) and phones (SIP-TLS)
 * take.  Ed25519, Ed448, DSA and other curves are refused by name.
 * ECDSA is certbot's default: a note that leaves the status alone,
 * unless the target asks for RSA (key_types = rsa).
 */
static int
rule_key_type(struct vctx *v, EVP_PKEY *k)
{
	unsigned kt = v->p->key_types != 0
	    ? v->p->key_types
	    : FSCERT_KEYTYPE_RSA | FSCERT_KEYTYPE_ECDSA;
	const char *tn = k != NULL ? key_type_name(k) : "no";
	char group[64];
	int type, bits;

	type = k != NULL ? EVP_PKEY_get_base_id(k) : NID_undef;
	bits = k != NULL ? EVP_PKEY_get_bits(k) : 0;
	if (type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS) {
		if (bits < 2048)
			ADD(v, FSCERT_R_WEAK_KEY, FSCERT_SEV_CRIT, 1,
			    "%s: %s key of %d bits (at least 2048 needed)",
			    v->cname, tn, bits);
		else if (!(kt & FSCERT_KEYTYPE_RSA))
			ADD(v, FSCERT_R_KEY_TYPE, FSCERT_SEV_CRIT, 1,
			    "%s: %s key, but key types are limited to ecdsa",
			    v->cname, tn);
		return 0;
	}
	if (type != EVP_PKEY_EC) {
		ADD(v, FSCERT_R_KEY_TYPE, FSCERT_SEV_CRIT, 1,
		    "%s: %s key; browsers (WSS) and phones need RSA of 2048 "
		    "bits or more or ECDSA P-256/P-384",
		    v->cname, tn);
		return 0;
	}
	if (!EVP_PKEY_get_group_name(k, group, sizeof(group), NULL))
		(void)snprintf(
		    group, sizeof(group), "with explicit parameters");
	ERR_clear_error();
	if (bits < 256)
		ADD(v, FSCERT_R_WEAK_KEY, FSCERT_SEV_CRIT, 1,
		    "%s: EC key of %d bits (at least 256 needed)", v->cname,
		    bits);
	else if (strcmp(group, "prime256v1") != 0 &&
	    strcmp(group, "secp384r1") != 0)
		ADD(v, FSCERT_R_KEY_TYPE, FSCERT_SEV_CRIT, 1,
		    "%s: EC %s key; browsers (WSS) and phones need ECDSA "
		    "P-256/P-384 or RSA",
		    v->cname, group);
	else if (!(kt & FSCERT_KEYTYPE_ECDSA))
		ADD(v, FSCERT_R_ECDSA_KEY, FSCERT_SEV_CRIT, 1,
		    "%s: ECDSA key, but key types are limited to rsa (for "
		    "older desk phones); renew with certbot --key-type rsa",
		    v->cname);
	else
		ADD(v, FSCERT_R_ECDSA_KEY, FSCERT_SEV_OK, 0,
		    "%s: ECDSA key; older desk phones only do RSA "
		    "(certbot --key-type rsa)",
		    v->cname);
	return 0;
}

static int
rule_leaf(struct vctx *v)
{
	X509 *leaf = v->l->leaf;
	EVP_PKEY *k = X509_get0_pubkey(leaf);
	const char *md;
	char date[32];
	uint32_t fl;
	int n;

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

	return rule_key_type(v, k);
}

/*
 * Do d, the primes and the CRT values of an RSA key agree with n and e?
 * OpenSSL's pairwise check also tests that p and q are prime, which
 * costs 60 ms a key (10 minutes for 10,000 lineages); the arithmetic
 * below costs microseconds and catches a wrong d, p, q or CRT value.
 * A key without its primes (n, e, d only) gets 2^(ed) = 2 mod n.
 */
static int
rsa_consistent(EVP_PKEY *key)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *p = NULL, *q = NULL;
	BIGNUM *dp = NULL, *dq = NULL, *qi = NULL, *r3 = NULL;
	BIGNUM *t = NULL, *u = NULL;
	BIGNUM *prime[2], *crt[2];
	BN_CTX *bc = NULL;
	int ok = 0, i;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_D, &d))
		goto out;
	(void)EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR1, &p);
	(void)EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR2, &q);
	(void)EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR3, &r3);
	(void)EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_EXPONENT1, &dp);
	(void)EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_EXPONENT2, &dq);
	(void)EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &qi);
	if ((bc = BN_CTX_new()) == NULL || (t = BN_new()) == NULL ||
	    (u = BN_new()) == NULL)
		goto out;
	if (p == NULL || q == NULL || r3 != NULL) {
		/* No primes, or more than two: one round trip. */
		ok = BN_set_word(t, 2) && BN_mod_exp(u, t, e, n, bc) &&
		    BN_mod_exp(u, u, d, n, bc) && BN_is_word(u, 2);
		goto out;
	}
	if (!BN_mul(t, p, q, bc) || BN_cmp(t, n) != 0)
		goto out;
	prime[0] = p;
	prime[1] = q;
	crt[0] = dp;
	crt[1] = dq;
	for (i = 0; i < 2; i++) {
		/* d e = 1 mod (r - 1) for each prime r; dr = d mod (r - 1). */
		if (!BN_sub(u, prime[i], BN_value_one()) || BN_is_zero(u) ||
		    !BN_mod_mul(t, d, e, u, bc) || !BN_is_one(t))
			goto out;
		if (crt[i] != NULL &&
		    (!BN_mod(t, d, u, bc) || BN_cmp(t, crt[i]) != 0))
			goto out;
	}
	if (qi != NULL && (!BN_mod_mul(t, qi, q, p, bc) || !BN_is_one(t)))
		goto out;
	ok = 1;
out:
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(r3);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qi);
	BN_clear_free(t);
	BN_clear_free(u);
	BN_CTX_free(bc);
	ERR_clear_error();
	return ok;
}

/*
 * X509_check_private_key compares the public halves only: a key with
 * the right n and e but a wrong d passes it, and every TLS handshake
 * then fails.  Test the private half against the public one: for RSA
 * by arithmetic (rsa_consistent), for the others with OpenSSL's
 * pairwise check (EC: d G = Q, one scalar multiplication).
 */
static int
pairwise_ok(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx;
	int rc;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ||
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS)
		return rsa_consistent(key);
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL) {
		ERR_clear_error();
		return 1; /* XXX: no context, no check; not a verdict */
	}
	rc = EVP_PKEY_pairwise_check(ctx);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	/* -2: the key type has no such check; nothing is known. */
	return rc == 1 || rc == -2;
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
	else if (!pairwise_ok(key))
		ADD(v, FSCERT_R_KEY_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "%s: private key is corrupt: its private half does not "
		    "belong to its public half",
		    v->kname);
	if (kf->mode & S_IROTH)
		ADD(v, FSCERT_R_KEY_READABLE, FSCERT_SEV_WARN, 0,
		    "%s: private key is readable by every user (mode %04o)",
		    v->kname, (unsigned)(kf->mode & 07777));
	return 0;
}

/*
 * Punycode (RFC 3492), the encoder only: a --host given as a U-label
 * ("bücher.example") is compared in its A-label form
 * ("xn--bcher-kva.example"), which is what certificates hold.  No
 * IDNA mapping beyond lower-casing ASCII: names are taken as given.
 */
#define PC_BASE 36
#define PC_TMIN 1
#define PC_TMAX 26
#define PC_SKEW 38
#define PC_DAMP 700
#define PC_BIAS 72
#define PC_N 128
#define LABEL_MAX 63
#define HOST_MAX 253

static unsigned long
pc_adapt(unsigned long delta, unsigned long npoints, int first)
{
	unsigned long k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / npoints;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static char
pc_digit(unsigned long d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

/* Encode cp[0..n) into out (no "xn--"); -1 when out is too small. */
static int
pc_encode(const unsigned long *cp, size_t n, char *out, size_t outlen)
{
	unsigned long nn = PC_N, delta = 0, bias = PC_BIAS, m, q, k, t;
	size_t b, h, j, o = 0;

	for (j = 0; j < n; j++)
		if (cp[j] < 0x80) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)cp[j];
		}
	h = b = o;
	if (b > 0) {
		if (o + 1 >= outlen)
			return -1;
		out[o++] = '-';
	}
	while (h < n) {
		for (m = 0x110000, j = 0; j < n; j++)
			if (cp[j] >= nn && cp[j] < m)
				m = cp[j];
		/* n is at most 256 and m below 0x110000: no overflow. */
		delta += (m - nn) * (h + 1);
		nn = m;
		for (j = 0; j < n; j++) {
			if (cp[j] < nn)
				delta++;
			if (cp[j] != nn)
				continue;
			for (q = delta, k = PC_BASE;; k += PC_BASE) {
				t = k <= bias             ? PC_TMIN
				    : k >= bias + PC_TMAX ? PC_TMAX
							  : k - bias;
				if (q < t)
					break;
				if (o + 1 >= outlen)
					return -1;
				out[o++] =
				    pc_digit(t + (q - t) % (PC_BASE - t));
				q = (q - t) / (PC_BASE - t);
			}
			if (o + 1 >= outlen)
				return -1;
			out[o++] = pc_digit(q);
			bias = pc_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		nn++;
	}
	out[o] = '\0';
	return 0;
}

/* Decode one UTF-8 sequence at s; its length, or 0 when invalid. */
static size_t
utf8_next(const unsigned char *s, unsigned long *cp)
{
	size_t len, i;
	unsigned long c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond Unicode are invalid. */
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
fscert_host_to_ascii(
    const char *host, char *out, size_t outlen, struct fscert_err *err)
{
	const unsigned char *s = (const unsigned char *)host, *e;
	unsigned long cp[LABEL_MAX * 4];
	size_t n, len = strlen(host), o = 0, step, ll, nlabels = 0;
	int ascii;

	/* "sip.example.com." is "sip.example.com". */
	if (len > 1 && host[len - 1] == '.')
		len--;
	if (len > (size_t)HOST_MAX * 4)
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "'%s': name too long", host);
	while (s < (const unsigned char *)host + len) {
		e = memchr(
		    s, '.', (size_t)((const unsigned char *)host + len - s));
		if (e == NULL)
			e = (const unsigned char *)host + len;
		for (n = 0, ascii = 1; s < e; s += step) {
			if (n == sizeof(cp) / sizeof(cp[0]))
				return fscert_err_set(err, FSCERT_EUSAGE,
				    "'%s': label too long", host);
			if ((step = utf8_next(s, &cp[n])) == 0 || s + step > e)
				return fscert_err_set(err, FSCERT_EUSAGE,
				    "'%s': not valid UTF-8", host);
			if (cp[n] < 0x80 && cp[n] >= 'A' && cp[n] <= 'Z')
				cp[n] += 'a' - 'A';
			ascii &= cp[n] < 0x80;
			n++;
		}
		if (nlabels++ > 0) {
			if (o + 1 >= outlen)
				goto toolong;
			out[o++] = '.';
		}
		if (ascii) {
			if (o + n >= outlen)
				goto toolong;
			for (ll = 0; ll < n; ll++)
				out[o++] = (char)cp[ll];
		} else {
			if (o + 4 >= outlen)
				goto toolong;
			memcpy(out + o, "xn--", 4);
			if (pc_encode(cp, n, out + o + 4, outlen - o - 4) == -1)
				goto toolong;
			ll = strlen(out + o);
			if (ll > LABEL_MAX)
				return fscert_err_set(err, FSCERT_EUSAGE,
				    "'%s': label too long", host);
			o += ll;
		}
		s = e < (const unsigned char *)host + len ? e + 1 : e;
	}
	if (o >= outlen)
		goto toolong;
	out[o] = '\0';
	if (o > HOST_MAX)
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "'%s': name too long", host);
	return 0;
toolong:
	return fscert_err_set(err, FSCERT_EUSAGE, "'%s': name too long", host);
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
	struct fscert_err herr;
	char ascii[256], ips[256] = "", has[600], alabel[300];
	const char *h;
	size_t i;
	int ok;

	if (san_facts(v->r, v->l->leaf, ips, sizeof(ips)) == 0) {
		ADD(v, FSCERT_R_NO_SAN, FSCERT_SEV_CRIT, 1,
		    "%s: certificate has no subjectAltName; clients ignore "
		    "the CN",
		    v->cname);
		return 0;
	}
	/* What the certificate names, for the mismatch message. */
	if (v->r->names[0] != '\0')
		(void)snprintf(has, sizeof(has), "it names %s", v->r->names);
	else if (ips[0] != '\0')
		(void)snprintf(
		    has, sizeof(has), "it names only IP addresses: %s", ips);
	else
		(void)snprintf(has, sizeof(has), "it names no DNS name");
	for (i = 0; i < v->p->nhosts; i++) {
		h = v->p->hosts[i];
		alabel[0] = '\0';
		if (is_ip(h)) {
			ok = X509_check_ip_asc(v->l->leaf, h, 0) == 1;
		} else {
			/*
			 * A trailing dot names the same host, and a U-label
			 * is compared in the A-label form certificates hold.
			 */
			fscert_err_clear(&herr);
			if (fscert_host_to_ascii(
				h, ascii, sizeof(ascii), &herr) == -1) {
				ADD(v, FSCERT_R_HOST_MISMATCH, FSCERT_SEV_CRIT,
				    1, "%s: cannot compare host %s", v->cname,
				    herr.msg);
				continue;
			}
			ok = X509_check_host(v->l->leaf, ascii, 0, fl, NULL) ==
			    1;
			if (strstr(ascii, "xn--") != NULL &&
			    strstr(h, "xn--") == NULL)
				(void)snprintf(
				    alabel, sizeof(alabel), ", as '%s'", ascii);
		}
		if (!ok)
			ADD(v, FSCERT_R_HOST_MISMATCH, FSCERT_SEV_CRIT, 1,
			    "%s: does not cover '%s'%s (%s)", v->cname, h,
			    alabel, has);
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
		/*
		 * Without --ca-file a missing trusted path is only a
		 * warning (the system store may lack the anchor); an
		 * expired cross-sign at the end of the chain then gets the
		 * same verdict as the missing anchor, not a refusal.
		 */
		if ((v->path != NULL && !on_path(v, x) && i > 0) ||
		    (v->path == NULL && v->p->ca_file == NULL && i > 0 &&
			i == n - 1))
			ADD(v, FSCERT_R_CHAIN_VALIDITY, FSCERT_SEV_WARN, 0,
			    "%s: certificate %d ('%s') %s %s; %s", v->chname,
			    i + 1, cn_of(x, a, sizeof(a)),
			    late ? "expired on" : "is not valid before",
			    iso_time(late ? X509_get0_notAfter(x)
					  : X509_get0_notBefore(x),
				date, sizeof(date)),
			    v->path != NULL
				? "not needed, a trusted path exists without it"
				: "the last of the chain, as a cross-sign is; "
				  "no trusted path was found to tell whether "
				  "clients need it");
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

	if (l->kind != FSCERT_KIND_LIVE ||
	    !l->files[FSCERT_F_FULLCHAIN].present)
		return 0;
	fc = l->files[FSCERT_F_FULLCHAIN].pem->certs;
	c = l->files[FSCERT_F_CERT].pem->certs;
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
	/*
	 * fullchain == the leaf, then the certificates of chain.pem.  It is
	 * judged by its certificates, not as the bytes of cert.pem plus
	 * chain.pem: some clients write the intermediates into cert.pem too
	 * (rule_leaf warns about that).
	 */
	if (!same_certs(fc, 1, ch))
		ADD(v, FSCERT_R_FULLCHAIN_MISMATCH, FSCERT_SEV_CRIT, 1,
		    "fullchain.pem: is not the leaf of cert.pem followed by "
		    "chain.pem (%d certificates, expected %d in that order)",
		    sk_X509_num(fc), 1 + sk_X509_num(ch));
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
