/*
 * fixture.h: certificates, keys and certbot-style directories generated
 * at test time with the OpenSSL C API (never the openssl command).
 *
 * Everything here is test code: a failure is a broken test environment,
 * not a finding, so every function either succeeds or prints the
 * OpenSSL error queue and aborts (cmocka reports the abort as a failed
 * test).  Strings returned are malloc'd and freed by the caller with
 * free(); keys returned by fx_key_* are borrowed from a process-wide
 * pool that fx_pool_free releases.
 */
#ifndef FSCERT_TEST_FIXTURE_H
#define FSCERT_TEST_FIXTURE_H

#include <sys/types.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * Key pool.  Generating RSA keys is slow, so keys are cached for the
 * life of the process: the same (type, size, slot) always yields the
 * same key, and different slots yield different keys.  curve is an
 * OpenSSL group name ("P-256", "P-224", "prime192v1").
 */
EVP_PKEY	*fx_key_rsa(int bits, int slot);
EVP_PKEY	*fx_key_ec(const char *curve, int slot);
void		 fx_pool_free(void);

enum fx_eku {
	FX_EKU_SERVER,		/* serverAuth (the default) */
	FX_EKU_BOTH,		/* serverAuth, clientAuth */
	FX_EKU_CLIENT,		/* clientAuth only */
	FX_EKU_NONE		/* no extendedKeyUsage extension */
};

/* What one certificate says. */
struct fx_spec {
	const char	*cn;		/* subject CN (O is always fixed) */
	EVP_PKEY	*key;		/* subject public key (borrowed) */
	int		 nb_days;	/* notBefore, days from now */
	int		 na_days;	/* notAfter, days from now */
	int		 ca;		/* basicConstraints CA:TRUE */
	const char	*san;		/* "a.test,*.b.test"; NULL: none */
	enum fx_eku	 eku;
	const char	*md;		/* "SHA256" when NULL; "SHA1", "MD5" */
	int		 no_akid;	/* omit authorityKeyIdentifier */
};

/* Defaults: a leaf for CN/SAN "sip.example.test", -1..+89 days. */
void	fx_spec_leaf(struct fx_spec *s, EVP_PKEY *key);
/* Defaults: a CA certificate, -400..+400 days, no EKU, no SAN. */
void	fx_spec_ca(struct fx_spec *s, const char *cn, EVP_PKEY *key);

/*
 * Issue a certificate for s.  issuer NULL: self-signed with s->key.
 * Otherwise the issuer name (and key identifier) come from issuer and
 * the signature from issuer_key, which need not be issuer's key: that
 * is the "issuer override" used to forge an impostor.
 */
X509	*fx_cert(const struct fx_spec *s, X509 *issuer, EVP_PKEY *issuer_key);

/* A test PKI: root -> intermediate -> leaf. */
struct fx_pki {
	EVP_PKEY	*root_key;	/* borrowed from the pool */
	EVP_PKEY	*inter_key;
	EVP_PKEY	*leaf_key;
	X509		*root;		/* owned */
	X509		*inter;
	X509		*leaf;
};

#define FX_ROOT_CN	"fscert Test Root"
#define FX_INTER_CN	"fscert Test Intermediate"
#define FX_LEAF_CN	"sip.example.test"

/*
 * Make root and intermediate (EC P-256, pool slots 0 and 1, or the
 * given keys when not NULL) and a default leaf for leaf_key.
 */
void	fx_pki_init(struct fx_pki *p, EVP_PKEY *leaf_key);
void	fx_pki_init_keys(struct fx_pki *p, EVP_PKEY *root_key,
	    EVP_PKEY *inter_key, EVP_PKEY *leaf_key);
/* Replace the leaf by one issued for s by the intermediate. */
void	fx_pki_leaf(struct fx_pki *p, const struct fx_spec *s);
/*
 * Replace the intermediate by one issued for s by the root; the leaf is
 * kept (it still verifies when s->key is the old intermediate key).
 */
void	fx_pki_inter(struct fx_pki *p, const struct fx_spec *s);
void	fx_pki_free(struct fx_pki *p);

/* PEM text. */
enum fx_keyfmt {
	FX_KEY_PKCS8,		/* "PRIVATE KEY" */
	FX_KEY_TRAD,		/* SEC1 "EC ..." or PKCS#1 "RSA ..." */
	FX_KEY_ENC_PKCS8,	/* "ENCRYPTED PRIVATE KEY" */
	FX_KEY_ENC_TRAD		/* traditional with Proc-Type: 4,ENCRYPTED */
};

char	*fx_pem_certs(X509 *first, ...);	/* NULL-terminated list */
char	*fx_pem_key(EVP_PKEY *k, enum fx_keyfmt f);
/* A "DH PARAMETERS" block as openssl writes it (ffdhe2048); free() it. */
char	*fx_pem_dh(void);
char	*fx_pem_dump(X509 *x);		/* "openssl x509 -text" style */
char	*fx_cat(const char *first, ...);	/* NULL-terminated list */
char	*fx_crlf(const char *s);		/* LF -> CR LF */
unsigned char *fx_der_cert(X509 *x, size_t *len);
char	*fx_hex_sha256(X509 *x);		/* lower-case, 64 chars */
int	 fx_same_cert(X509 *a, X509 *b);	/* DER equality */

/* Files and directories. */
char	*fx_path(const char *dir, const char *name);
char	*fx_tmpdir(void);			/* mkdtemp under TMPDIR */
void	 fx_rmtree(const char *dir);		/* nftw, FTW_DEPTH|FTW_PHYS */
void	 fx_mkdirs(const char *dir);		/* mkdir -p, mode 0755 */
void	 fx_write(const char *path, const void *buf, size_t len,
	    mode_t mode);
void	 fx_write_str(const char *path, const char *s, mode_t mode);
char	*fx_read(const char *path, size_t *len);	/* NUL-terminated */
/* Names in dir (not . and ..), sorted, comma separated. */
char	*fx_listdir(const char *dir);

/*
 * The four files of a certbot lineage.  Each is PEM text, or NULL for
 * a file that is not written at all.
 */
struct fx_files {
	char	*cert;
	char	*chain;
	char	*fullchain;
	char	*privkey;
	mode_t	 key_mode;	/* 0600 when 0 */
};

/* cert = leaf, chain = intermediate, fullchain = both, key in kf. */
void	fx_files_std(struct fx_files *f, const struct fx_pki *p,
	    enum fx_keyfmt kf);
void	fx_files_set(char **slot, char *text);	/* frees the old text */
void	fx_files_free(struct fx_files *f);

/*
 * Write f as certbot does under base: archive/NAME/{cert,chain,
 * fullchain,privkey}1.pem and relative symlinks live/NAME/X.pem ->
 * ../../archive/NAME/X1.pem (plus certbot's README).  Returns the live
 * directory path.
 */
char	*fx_live(const char *base, const char *name, const struct fx_files *f);

/*
 * Write an installed FreeSWITCH cert dir (agent.pem 0600, cafile.pem
 * 0644, wss.pem 0600; NULL texts are not written) and return nothing.
 */
void	fx_installed(const char *dir, const char *agent, const char *cafile,
	    const char *wss);

/*
 * Run fn(arg) in a child process whose stdin is /dev/null and whose
 * controlling terminal is a fresh pseudo-terminal, so that anything
 * that tries to prompt (OpenSSL's PEM_def_callback opens /dev/tty) is
 * seen.  Returns fn's result (0..255) when the child exited without
 * writing to the terminal; -1 when it wrote a prompt (copied into
 * tty_out), -2 when it hung for timeout_s seconds (it is killed),
 * -3 when it died otherwise.
 */
int	fx_run_with_tty(int (*fn)(void *), void *arg, int timeout_s,
	    char *tty_out, size_t tty_outlen);

/* Called first by every test main: stdin from /dev/null, umask 022. */
void	fx_init(void);

/*
 * Keys outside the pool (the caller frees them with EVP_PKEY_free).
 * fx_key_gen: type is an OpenSSL key type ("ED25519", "ED448",
 * "X25519", "X448", "RSA-PSS", "DSA"); bits is used by RSA-PSS and DSA.
 * fx_key_rsa_wrong_d: a copy of the RSA key k with the same n, e, primes
 * and CRT values but a wrong private exponent d.
 */
EVP_PKEY	*fx_key_gen(const char *type, int bits);
EVP_PKEY	*fx_key_rsa_wrong_d(EVP_PKEY *k);

/*
 * A certificate for s (s->san is ignored) whose subjectAltName is san,
 * in OpenSSL's config syntax ("IP:192.0.2.10,DNS:a.test").
 */
X509		*fx_cert_san(const struct fx_spec *s, const char *san,
		    X509 *issuer, EVP_PKEY *issuer_key);

#endif /* FSCERT_TEST_FIXTURE_H */
