/*
 * fscert/validate.h: decide whether a lineage is safe to put in front
 * of FreeSWITCH.  Every rule has a stable name (fscert_rule_name) used
 * in --json output and a one-line message naming the file and the fact.
 */
#ifndef FSCERT_VALIDATE_H
#define FSCERT_VALIDATE_H

#include <stddef.h>
#include <time.h>

#include "fscert/err.h"
#include "fscert/lineage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Only what the headers declare is exported (lib is built -fvisibility=hidden). */
#pragma GCC visibility push(default)

enum fscert_sev {
	FSCERT_SEV_OK,
	FSCERT_SEV_WARN,
	FSCERT_SEV_CRIT,
	FSCERT_SEV__MAX
};

enum fscert_rule {
	FSCERT_R_UNREADABLE, /* the lineage could not be read */
	FSCERT_R_EXTRA_CERTS, /* cert.pem holds more than the leaf */
	FSCERT_R_KEY_MISMATCH,
	FSCERT_R_EMPTY_CHAIN,
	FSCERT_R_CHAIN_ISSUER, /* chain[0] did not sign the leaf */
	FSCERT_R_CHAIN_ORDER, /* chain[i] not signed by chain[i+1] */
	FSCERT_R_FULLCHAIN_MISMATCH,
	FSCERT_R_CHAIN_VALIDITY, /* an intermediate outside validity */
	FSCERT_R_UNTRUSTED, /* no path to a trusted root */
	FSCERT_R_LEAF_EXPIRED,
	FSCERT_R_LEAF_NOT_YET_VALID,
	FSCERT_R_LEAF_CA,
	FSCERT_R_WEAK_KEY,
	FSCERT_R_WEAK_SIGNATURE,
	FSCERT_R_NO_SERVER_AUTH,
	FSCERT_R_NO_SAN,
	FSCERT_R_HOST_MISMATCH,
	FSCERT_R_EXPIRES_SOON,
	FSCERT_R_ECDSA_KEY,
	FSCERT_R_KEY_READABLE,
	FSCERT_R_ROOT_IN_CHAIN,
	FSCERT_R_SET_MISMATCH, /* installed files disagree */
	FSCERT_R_KEY_TYPE, /* neither RSA nor ECDSA P-256/P-384 */
	FSCERT_R__MAX
};

struct fscert_policy {
	const char *const *hosts; /* names that must be covered */
	size_t nhosts;
	const char *ca_file; /* NULL: the system store (warn only) */
	int warn_days; /* default 20 */
	int crit_days; /* default 10 */
	time_t now; /* 0: time(NULL) */
	X509_STORE *store; /* fscert_policy_load, or NULL */
	unsigned key_types; /* FSCERT_KEYTYPE_* allowed; 0: both */
};

/* Leaf key types a target accepts (config key_types, --key-types). */
#define FSCERT_KEYTYPE_RSA 1u
#define FSCERT_KEYTYPE_ECDSA 2u

#define FSCERT_WARN_DAYS 20
#define FSCERT_CRIT_DAYS 10

struct fscert_finding {
	enum fscert_rule rule;
	enum fscert_sev sev;
	int refuse; /* 1: never install this lineage */
	char msg[512]; /* "cert.pem: ...", no newline */
};

struct fscert_report {
	struct fscert_finding *findings;
	size_t nfindings;
	enum fscert_sev worst;
	int refused; /* any finding with refuse set */

	enum fscert_kind kind; /* what was read (LIVE if unreadable) */

	/* Facts about the leaf, for output; empty when unreadable. */
	char subject[256];
	char issuer[256];
	char not_after[32]; /* "2027-02-25T14:11:04Z" */
	long days_left; /* whole days until notAfter */
	char sha256[65]; /* lower-case hex of the leaf DER */
	char key_type[32]; /* "RSA", "RSA-PSS", "EC", "ED25519", ... */
	int key_bits;
	int chain_len;
	char names[512]; /* DNS SANs, comma separated */
};

/*
 * Parse a key_types value: "rsa", "ecdsa" or both ("rsa,ecdsa", commas
 * or spaces).  Sets *out (when not NULL) to FSCERT_KEYTYPE_* bits.
 * Returns 0, or -1 with err (when not NULL) naming the bad word.
 */
int
fscert_key_types_parse(const char *s, unsigned *out, struct fscert_err *err);

/*
 * Write host in the ASCII form certificates hold into out (outlen
 * bytes): ASCII lower-cased, a trailing dot dropped, each non-ASCII
 * (UTF-8) label as its Punycode A-label ("bücher" -> "xn--bcher-kva",
 * RFC 3492).  Returns 0, or -1 with err naming host (invalid UTF-8, a
 * label over 63 bytes, a name over 253 or longer than out).
 */
int fscert_host_to_ascii(
    const char *host, char *out, size_t outlen, struct fscert_err *err);

/* Fill in defaults (20/10 days, system store, no hosts). */
void fscert_policy_init(struct fscert_policy *p);

/*
 * Load the trust store (ca_file, else the system's) into p once, for a
 * run over many lineages; without it every validation loads its own.
 * Returns 0, or -1 with err naming an unusable ca_file.  Release it
 * with fscert_policy_clear.
 */
int fscert_policy_load(struct fscert_policy *p, struct fscert_err *err);
void fscert_policy_clear(struct fscert_policy *p);

/*
 * Validate l under p.  Returns a new report (free with
 * fscert_report_free) or NULL with err set on an internal failure
 * (out of memory, an unusable --ca-file).  Findings, not errors,
 * describe what is wrong with the lineage.
 */
struct fscert_report *fscert_validate(const struct fscert_lineage *l,
    const struct fscert_policy *p, struct fscert_err *err);

/*
 * Open path (fscert_lineage_open_dir) and validate it.  A lineage that
 * cannot be read yields a report with one FSCERT_R_UNREADABLE critical
 * finding carrying the reader's message, so that a run over many paths
 * reports each.  NULL only on an internal failure, with err set.
 */
struct fscert_report *fscert_check_path(
    const char *path, const struct fscert_policy *p, struct fscert_err *err);

/* As fscert_check_path, for explicit files (fscert_lineage_open_files). */
struct fscert_report *fscert_check_files(const char *cert, const char *key,
    const char *chain, const struct fscert_policy *p, struct fscert_err *err);

/* Add a finding to r; returns 0 or -1 on out of memory. */
int fscert_report_add(struct fscert_report *r, enum fscert_rule rule,
    enum fscert_sev sev, int refuse, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void fscert_report_free(struct fscert_report *r); /* accepts NULL */

const char *fscert_rule_name(enum fscert_rule rule); /* "key-mismatch" */
const char *fscert_sev_name(enum fscert_sev sev); /* "OK", "WARNING"... */

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_VALIDATE_H */
