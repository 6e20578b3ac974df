/*
 * fixture.c: test-time PKI, PEM writers and certbot-style directories.
 * See fixture.h.  Only the OpenSSL C API is used, never the openssl
 * command, so the tests run wherever libcrypto is.
 */
/* nftw(3), posix_openpt(3), grantpt(3), ptsname(3) are XSI. */
#define _XOPEN_SOURCE 700

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "fixture.h"

#define POOL_MAX	64

struct pool_ent {
	int		 rsa_bits;	/* 0 for EC */
	char		 curve[32];
	int		 slot;
	EVP_PKEY	*key;
};

static struct pool_ent	pool[POOL_MAX];
static size_t		npool;

static void die(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	fprintf(stderr, "fixture: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", saved, strerror(saved));
	ERR_print_errors_fp(stderr);
	abort();
}

static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		die("malloc %zu", n);
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

/* Copy the contents of a memory BIO into a NUL-terminated string. */
static char *
bio_string(BIO *b)
{
	char	*data, *s;
	long	 n;

	n = BIO_get_mem_data(b, &data);
	if (n < 0)
		die("BIO_get_mem_data");
	s = xmalloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

/* Key pool. */

static EVP_PKEY *
pool_get(int rsa_bits, const char *curve, int slot)
{
	struct pool_ent	*e;
	EVP_PKEY	*k;
	size_t		 i;

	for (i = 0; i < npool; i++) {
		e = &pool[i];
		if (e->rsa_bits == rsa_bits && e->slot == slot &&
		    (rsa_bits != 0 || strcmp(e->curve, curve) == 0))
			return e->key;
	}
	if (npool == POOL_MAX)
		die("key pool full");
	if (rsa_bits != 0)
		k = EVP_RSA_gen((unsigned int)rsa_bits);
	else
		k = EVP_EC_gen(curve);
	if (k == NULL)
		die("generate key rsa %d / ec %s", rsa_bits,
		    curve ? curve : "-");
	e = &pool[npool++];
	e->rsa_bits = rsa_bits;
	snprintf(e->curve, sizeof(e->curve), "%s", curve ? curve : "");
	e->slot = slot;
	e->key = k;
	return k;
}

EVP_PKEY *
fx_key_rsa(int bits, int slot)
{
	return pool_get(bits, NULL, slot);
}

EVP_PKEY *
fx_key_ec(const char *curve, int slot)
{
	return pool_get(0, curve, slot);
}

void
fx_pool_free(void)
{
	size_t	 i;

	for (i = 0; i < npool; i++)
		EVP_PKEY_free(pool[i].key);
	npool = 0;
}

/* Certificates. */

void
fx_spec_leaf(struct fx_spec *s, EVP_PKEY *key)
{
	memset(s, 0, sizeof(*s));
	s->cn = FX_LEAF_CN;
	s->key = key;
	s->nb_days = -1;
	s->na_days = 89;
	s->san = FX_LEAF_CN;
	s->eku = FX_EKU_SERVER;
}

void
fx_spec_ca(struct fx_spec *s, const char *cn, EVP_PKEY *key)
{
	memset(s, 0, sizeof(*s));
	s->cn = cn;
	s->key = key;
	s->nb_days = -400;
	s->na_days = 400;
	s->ca = 1;
	s->eku = FX_EKU_NONE;
}

static void
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION	*ext;

	if ((ext = X509V3_EXT_conf_nid(NULL, v3, nid, value)) == NULL)
		die("extension %s = %s", OBJ_nid2sn(nid), value);
	if (!X509_add_ext(x, ext, -1))
		die("X509_add_ext");
	X509_EXTENSION_free(ext);
}

/* "a.test,b.test" -> "DNS:a.test,DNS:b.test". */
static char *
san_value(const char *names)
{
	const char	*p;
	char		*out, *q;
	size_t		 n = 1;

	for (p = names; *p != '\0'; p++)
		n += (*p == ',') ? 5 : 1;
	out = xmalloc(n + 4);
	q = out;
	memcpy(q, "DNS:", 4);
	q += 4;
	for (p = names; *p != '\0'; p++) {
		*q++ = *p;
		if (*p == ',') {
			memcpy(q, "DNS:", 4);
			q += 4;
		}
	}
	*q = '\0';
	return out;
}

X509 *
fx_cert(const struct fx_spec *s, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509		*x;
	X509_NAME	*name;
	X509V3_CTX	 v3;
	BIGNUM		*bn;
	const EVP_MD	*md;
	const char	*mdname = s->md ? s->md : "SHA256";
	char		*san;

	if ((x = X509_new()) == NULL || !X509_set_version(x, 2))
		die("X509_new");

	/* A random positive 63-bit serial, as unique as a CA's. */
	if ((bn = BN_new()) == NULL ||
	    !BN_rand(bn, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		die("serial");
	BN_free(bn);

	if ((name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"fscert tests", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)s->cn, -1, -1, 0))
		die("name %s", s->cn);
	if (!X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name))
		die("set names");
	X509_NAME_free(name);

	if (X509_time_adj_ex(X509_getm_notBefore(x), s->nb_days, 0,
	    NULL) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), s->na_days, 0,
	    NULL) == NULL)
		die("validity");
	if (!X509_set_pubkey(x, s->key))
		die("X509_set_pubkey");

	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	add_ext(x, &v3, NID_basic_constraints,
	    s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (s->ca)
		add_ext(x, &v3, NID_key_usage,
		    "critical,digitalSignature,keyCertSign,cRLSign");
	else if (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_RSA)
		add_ext(x, &v3, NID_key_usage,
		    "critical,digitalSignature,keyEncipherment");
	else
		add_ext(x, &v3, NID_key_usage, "critical,digitalSignature");
	add_ext(x, &v3, NID_subject_key_identifier, "hash");
	if (issuer != NULL && !s->no_akid)
		add_ext(x, &v3, NID_authority_key_identifier, "keyid:always");
	if (s->san != NULL) {
		san = san_value(s->san);
		add_ext(x, &v3, NID_subject_alt_name, san);
		free(san);
	}
	switch (s->eku) {
	case FX_EKU_SERVER:
		add_ext(x, &v3, NID_ext_key_usage, "serverAuth");
		break;
	case FX_EKU_BOTH:
		add_ext(x, &v3, NID_ext_key_usage, "serverAuth,clientAuth");
		break;
	case FX_EKU_CLIENT:
		add_ext(x, &v3, NID_ext_key_usage, "clientAuth");
		break;
	case FX_EKU_NONE:
		break;
	}

	/*
	 * OpenSSL 3 signs with SHA-1 and (RSA only) MD5 at the default
	 * security level: levels restrict TLS, not X509_sign.
	 */
	if ((md = EVP_get_digestbyname(mdname)) == NULL)
		die("digest %s", mdname);
	if (X509_sign(x, issuer != NULL ? issuer_key : s->key, md) <= 0)
		die("X509_sign %s with %s", s->cn, mdname);
	return x;
}

void
fx_pki_init_keys(struct fx_pki *p, EVP_PKEY *root_key, EVP_PKEY *inter_key,
    EVP_PKEY *leaf_key)
{
	struct fx_spec	 s;

	memset(p, 0, sizeof(*p));
	p->root_key = root_key ? root_key : fx_key_ec("P-256", 0);
	p->inter_key = inter_key ? inter_key : fx_key_ec("P-256", 1);
	p->leaf_key = leaf_key;
	fx_spec_ca(&s, FX_ROOT_CN, p->root_key);
	p->root = fx_cert(&s, NULL, NULL);
	fx_spec_ca(&s, FX_INTER_CN, p->inter_key);
	p->inter = fx_cert(&s, p->root, p->root_key);
	fx_spec_leaf(&s, leaf_key);
	p->leaf = fx_cert(&s, p->inter, p->inter_key);
}

void
fx_pki_init(struct fx_pki *p, EVP_PKEY *leaf_key)
{
	fx_pki_init_keys(p, NULL, NULL, leaf_key);
}

void
fx_pki_leaf(struct fx_pki *p, const struct fx_spec *s)
{
	X509_free(p->leaf);
	p->leaf_key = s->key;
	p->leaf = fx_cert(s, p->inter, p->inter_key);
}

void
fx_pki_inter(struct fx_pki *p, const struct fx_spec *s)
{
	X509_free(p->inter);
	p->inter_key = s->key;
	p->inter = fx_cert(s, p->root, p->root_key);
}

void
fx_pki_free(struct fx_pki *p)
{
	X509_free(p->root);
	X509_free(p->inter);
	X509_free(p->leaf);
	memset(p, 0, sizeof(*p));
}

/* PEM text. */

char *
fx_pem_certs(X509 *first, ...)
{
	va_list	 ap;
	BIO	*b;
	X509	*x;
	char	*s;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		die("BIO_new");
	va_start(ap, first);
	for (x = first; x != NULL; x = va_arg(ap, X509 *))
		if (!PEM_write_bio_X509(b, x))
			die("PEM_write_bio_X509");
	va_end(ap);
	s = bio_string(b);
	BIO_free(b);
	return s;
}

char *
fx_pem_key(EVP_PKEY *k, enum fx_keyfmt f)
{
	static const char	 pass[] = "fscert-test-pass";
	BIO			*b;
	char			*s;
	int			 ok = 0;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		die("BIO_new");
	switch (f) {
	case FX_KEY_PKCS8:
		ok = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
		break;
	case FX_KEY_TRAD:
		ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0,
		    NULL, NULL);
		break;
	case FX_KEY_ENC_PKCS8:
		ok = PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(),
		    pass, (int)strlen(pass), NULL, NULL);
		break;
	case FX_KEY_ENC_TRAD:
		ok = PEM_write_bio_PrivateKey_traditional(b, k,
		    EVP_aes_128_cbc(), (unsigned char *)pass,
		    (int)strlen(pass), NULL, NULL);
		break;
	}
	if (!ok)
		die("write key format %d", (int)f);
	s = bio_string(b);
	BIO_free(b);
	return s;
}

char *
fx_pem_dh(void)
{
	EVP_PKEY_CTX	*c;
	EVP_PKEY	*dh = NULL;
	OSSL_PARAM	 params[2];
	BIO		*b;
	char		*s;

	if ((c = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL)) == NULL ||
	    EVP_PKEY_paramgen_init(c) != 1)
		die("DH paramgen");
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, (char *)"ffdhe2048", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_CTX_set_params(c, params) != 1 ||
	    EVP_PKEY_paramgen(c, &dh) != 1 ||
	    (b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_Parameters(b, dh) != 1)
		die("DH parameters");
	s = bio_string(b);
	BIO_free(b);
	EVP_PKEY_free(dh);
	EVP_PKEY_CTX_free(c);
	return s;
}

char *
fx_pem_dump(X509 *x)
{
	BIO	*b;
	char	*s;

	if ((b = BIO_new(BIO_s_mem())) == NULL || !X509_print(b, x) ||
	    !PEM_write_bio_X509(b, x))
		die("dump");
	s = bio_string(b);
	BIO_free(b);
	return s;
}

char *
fx_cat(const char *first, ...)
{
	va_list		 ap;
	const char	*p;
	size_t		 n = 0, off = 0, l;
	char		*s;

	va_start(ap, first);
	for (p = first; p != NULL; p = va_arg(ap, const char *))
		n += strlen(p);
	va_end(ap);
	s = xmalloc(n + 1);
	va_start(ap, first);
	for (p = first; p != NULL; p = va_arg(ap, const char *)) {
		l = strlen(p);
		memcpy(s + off, p, l);
		off += l;
	}
	va_end(ap);
	s[off] = '\0';
	return s;
}

char *
fx_crlf(const char *s)
{
	const char	*p;
	char		*out, *q;
	size_t		 n = 1;

	for (p = s; *p != '\0'; p++)
		n += (*p == '\n') ? 2 : 1;
	q = out = xmalloc(n);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\n')
			*q++ = '\r';
		*q++ = *p;
	}
	*q = '\0';
	return out;
}

unsigned char *
fx_der_cert(X509 *x, size_t *len)
{
	unsigned char	*der = NULL, *out;
	int		 n;

	if ((n = i2d_X509(x, &der)) <= 0)
		die("i2d_X509");
	/* Hand back plain malloc memory, so that callers use free(). */
	out = xmalloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

char *
fx_hex_sha256(X509 *x)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n, i;
	char		*s;

	if (!X509_digest(x, EVP_sha256(), md, &n))
		die("X509_digest");
	s = xmalloc(2 * n + 1);
	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", md[i]);
	return s;
}

int
fx_same_cert(X509 *a, X509 *b)
{
	if (a == NULL || b == NULL)
		return 0;
	return X509_cmp(a, b) == 0;
}

/* Files and directories. */

char *
fx_path(const char *dir, const char *name)
{
	return fx_cat(dir, "/", name, (char *)NULL);
}

char *
fx_tmpdir(void)
{
	const char	*t = getenv("TMPDIR");
	char		*tmpl;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	tmpl = fx_cat(t, "/fscert-test.XXXXXX", (char *)NULL);
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp %s", tmpl);
	return tmpl;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) == -1 && errno != ENOENT)
		fprintf(stderr, "fixture: remove %s: %s\n", path,
		    strerror(errno));
	return 0;
}

void
fx_rmtree(const char *dir)
{
	if (dir == NULL)
		return;
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
fx_mkdirs(const char *dir)
{
	char	*p, *s = xstrdup(dir);

	for (p = s + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(s, 0755) == -1 && errno != EEXIST)
			die("mkdir %s", s);
		*p = '/';
	}
	if (mkdir(s, 0755) == -1 && errno != EEXIST)
		die("mkdir %s", s);
	free(s);
}

void
fx_write(const char *path, const void *buf, size_t len, mode_t mode)
{
	const char	*p = buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		die("open %s", path);
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			die("write %s", path);
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) == -1 || close(fd) == -1)
		die("fchmod/close %s", path);
}

void
fx_write_str(const char *path, const char *s, mode_t mode)
{
	fx_write(path, s, strlen(s), mode);
}

char *
fx_read(const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		die("open %s", path);
	buf = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read %s", path);
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	if (lenp != NULL)
		*lenp = off;
	return buf;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
fx_listdir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, *out;
	size_t		 n = 0, i, len = 1;

	if ((d = opendir(dir)) == NULL)
		die("opendir %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((names = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			die("realloc");
		names[n++] = xstrdup(de->d_name);
		len += strlen(de->d_name) + 1;
	}
	closedir(d);
	if (n > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(names, n, sizeof(*names), cmp_str);
	out = xmalloc(len);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, names[i]);
		free(names[i]);
	}
	free(names);
	return out;
}

void
fx_files_std(struct fx_files *f, const struct fx_pki *p, enum fx_keyfmt kf)
{
	memset(f, 0, sizeof(*f));
	f->cert = fx_pem_certs(p->leaf, (X509 *)NULL);
	f->chain = fx_pem_certs(p->inter, (X509 *)NULL);
	f->fullchain = fx_pem_certs(p->leaf, p->inter, (X509 *)NULL);
	f->privkey = fx_pem_key(p->leaf_key, kf);
	f->key_mode = 0600;
}

void
fx_files_set(char **slot, char *text)
{
	free(*slot);
	*slot = text;
}

void
fx_files_free(struct fx_files *f)
{
	free(f->cert);
	free(f->chain);
	free(f->fullchain);
	free(f->privkey);
	memset(f, 0, sizeof(*f));
}

char *
fx_live(const char *base, const char *name, const struct fx_files *f)
{
	static const char *const what[] = {
		"cert", "chain", "fullchain", "privkey"
	};
	const char	*text[4];
	char		*archive, *live, *file, *link, *target, *readme;
	char		 fname[32];
	mode_t		 mode;
	int		 i;

	text[0] = f->cert;
	text[1] = f->chain;
	text[2] = f->fullchain;
	text[3] = f->privkey;
	archive = fx_cat(base, "/archive/", name, (char *)NULL);
	live = fx_cat(base, "/live/", name, (char *)NULL);
	fx_mkdirs(archive);
	fx_mkdirs(live);
	for (i = 0; i < 4; i++) {
		if (text[i] == NULL)
			continue;
		snprintf(fname, sizeof(fname), "%s1.pem", what[i]);
		file = fx_path(archive, fname);
		mode = (i == 3) ? (f->key_mode ? f->key_mode : 0600) : 0644;
		fx_write_str(file, text[i], mode);
		snprintf(fname, sizeof(fname), "%s.pem", what[i]);
		link = fx_path(live, fname);
		snprintf(fname, sizeof(fname), "%s1.pem", what[i]);
		target = fx_cat("../../archive/", name, "/", fname,
		    (char *)NULL);
		if (symlink(target, link) == -1)
			die("symlink %s -> %s", link, target);
		free(file);
		free(link);
		free(target);
	}
	/* certbot puts this README beside the links; readers ignore it. */
	readme = fx_path(live, "README");
	fx_write_str(readme, "This directory contains your keys and "
	    "certificates.\n\n`privkey.pem`  : the private key for your "
	    "certificate.\n", 0644);
	free(readme);
	free(archive);
	return live;
}

void
fx_installed(const char *dir, const char *agent, const char *cafile,
    const char *wss)
{
	char	*p;

	fx_mkdirs(dir);
	if (agent != NULL) {
		p = fx_path(dir, "agent.pem");
		fx_write_str(p, agent, 0600);
		free(p);
	}
	if (cafile != NULL) {
		p = fx_path(dir, "cafile.pem");
		fx_write_str(p, cafile, 0644);
		free(p);
	}
	if (wss != NULL) {
		p = fx_path(dir, "wss.pem");
		fx_write_str(p, wss, 0600);
		free(p);
	}
}

/* Prompt detection. */

static void
nap_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* Read whatever the terminal has; returns bytes appended. */
static size_t
drain_tty(int m, char *out, size_t outlen, size_t *off)
{
	struct pollfd	 pfd;
	char		 buf[256];
	ssize_t		 n;
	size_t		 got = 0, c;

	for (;;) {
		pfd.fd = m;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN))
			break;
		if ((n = read(m, buf, sizeof(buf))) <= 0)
			break;
		got += (size_t)n;
		if (out != NULL && outlen > 0) {
			c = (size_t)n;
			if (c > outlen - 1 - *off)
				c = outlen - 1 - *off;
			memcpy(out + *off, buf, c);
			*off += c;
			out[*off] = '\0';
		}
	}
	return got;
}

int
fx_run_with_tty(int (*fn)(void *), void *arg, int timeout_s, char *out,
    size_t outlen)
{
	char		 sname[128];
	const char	*sn;
	size_t		 off = 0;
	pid_t		 pid;
	int		 m, s, nul, status, waited = 0;
	long		 elapsed = 0;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) == -1 || grantpt(m) == -1 ||
	    unlockpt(m) == -1 || (sn = ptsname(m)) == NULL)
		die("pseudo-terminal");
	snprintf(sname, sizeof(sname), "%s", sn);
	fflush(NULL);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		close(m);
		/*
		 * A new session has no controlling terminal; the first
		 * terminal it opens without O_NOCTTY becomes one, so
		 * /dev/tty is now the pseudo-terminal.
		 */
		if (setsid() == -1 || (s = open(sname, O_RDWR)) == -1)
			_exit(254);
		if ((nul = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(nul, STDIN_FILENO) == -1)
			_exit(253);
		_exit(fn(arg) & 0xff);
	}
	for (;;) {
		if (drain_tty(m, out, outlen, &off) > 0) {
			/* Something talked to the terminal: a prompt. */
			nap_ms(200);
			(void)drain_tty(m, out, outlen, &off);
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			close(m);
			return -1;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			waited = 1;
			break;
		}
		if (elapsed >= (long)timeout_s * 1000) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			close(m);
			return -2;
		}
		nap_ms(20);
		elapsed += 20;
	}
	if (waited && drain_tty(m, out, outlen, &off) > 0) {
		close(m);
		return -1;
	}
	close(m);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -3;
}

void
fx_init(void)
{
	struct sigaction	 sa;

	if (freopen("/dev/null", "r", stdin) == NULL)
		die("freopen /dev/null");
	umask(022);
	/* A TLS peer that goes away must fail a test, not kill it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

/* Keys outside the pool. */

#include <openssl/dsa.h>
#include <openssl/rsa.h>
#include <openssl/param_build.h>

EVP_PKEY *
fx_key_gen(const char *type, int bits)
{
	EVP_PKEY_CTX	*c = NULL;
	EVP_PKEY	*params = NULL, *k = NULL;

	if (strcmp(type, "RSA-PSS") == 0) {
		if ((c = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL)) ==
		    NULL || EVP_PKEY_keygen_init(c) != 1 ||
		    EVP_PKEY_CTX_set_rsa_keygen_bits(c, bits) != 1 ||
		    EVP_PKEY_keygen(c, &k) != 1)
			die("RSA-PSS keygen");
	} else if (strcmp(type, "DSA") == 0) {
		if ((c = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL)) ==
		    NULL || EVP_PKEY_paramgen_init(c) != 1 ||
		    EVP_PKEY_CTX_set_dsa_paramgen_bits(c, bits) != 1 ||
		    EVP_PKEY_paramgen(c, &params) != 1)
			die("DSA paramgen");
		EVP_PKEY_CTX_free(c);
		if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL)) ==
		    NULL || EVP_PKEY_keygen_init(c) != 1 ||
		    EVP_PKEY_keygen(c, &k) != 1)
			die("DSA keygen");
	} else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	if (k == NULL)
		die("generate key %s", type);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(params);
	return k;
}

EVP_PKEY *
fx_key_rsa_wrong_d(EVP_PKEY *k)
{
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*c;
	EVP_PKEY	*out = NULL;
	BIGNUM		*bn[8] = { NULL };
	size_t		 i;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		die("OSSL_PARAM_BLD_new");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!EVP_PKEY_get_bn_param(k, names[i], &bn[i]) ||
		    !OSSL_PARAM_BLD_push_BN(bld, names[i], bn[i]))
			die("RSA parameter %s", names[i]);
	/* d + 2: still odd, still below n, and wrong. */
	if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_D, &bn[7]) ||
	    !BN_add_word(bn[7], 2) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, bn[7]) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		die("RSA parameter d");
	if ((c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, &out, EVP_PKEY_KEYPAIR, params) != 1)
		die("EVP_PKEY_fromdata");
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < 8; i++)
		BN_free(bn[i]);
	return out;
}

X509 *
fx_cert_san(const struct fx_spec *s, const char *san, X509 *issuer,
    EVP_PKEY *issuer_key)
{
	struct fx_spec	 t = *s;
	X509V3_CTX	 v3;
	X509		*x;

	t.san = NULL;
	x = fx_cert(&t, issuer, issuer_key);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	add_ext(x, &v3, NID_subject_alt_name, san);
	if (X509_sign(x, issuer != NULL ? issuer_key : s->key,
	    EVP_sha256()) <= 0)
		die("X509_sign %s", san);
	return x;
}
