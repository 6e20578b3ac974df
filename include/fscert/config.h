/*
 * fscert/config.h: the configuration file (INI, read with inih).
 *
 *   [target NAME]   one per certificate destination (repeatable)
 *   [event_socket]  how to reach FreeSWITCH
 *   [reload]        reload policy
 *   [check]         expiry windows
 *
 * Every key is documented in fscert.conf(5).  An unknown section or key
 * is an error naming the file and line.  A file that sets the
 * event-socket password must not be readable by group or others.
 */
#ifndef FSCERT_CONFIG_H
#define FSCERT_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "fscert/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define FSCERT_CONF_DEFAULT "/etc/fscert/fscert.conf"
#define FSCERT_TLS_VERSION "tlsv1.2,tlsv1.3"
#define FSCERT_VARS_FILE "vars_fscert.xml"
#define FSCERT_MAX_HOSTS 32
#define FSCERT_MAX_PROFILES 8
#define FSCERT_MAX_VERIFY 8

struct fscert_target {
	char *name; /* [target NAME] */
	char *lineage; /* certbot live dir */
	char *cert, *key, *chain; /* or explicit files */
	char *cert_dir; /* FreeSWITCH tls-cert-dir */
	char *conf_dir; /* FreeSWITCH conf dir (vars.xml) */
	char *ca_file;
	char *owner, *group; /* default: the cert dir's */
	char *hosts[FSCERT_MAX_HOSTS];
	size_t nhosts;
	int vars; /* write the vars fragment: 1 (default) */
	char *vars_file; /* default vars_fscert.xml */
	char *internal_ssl_enable; /* "true" */
	char *internal_tls_port; /* "5061" */
	char *external_ssl_enable; /* NULL: not written */
	char *external_tls_port;
	char *tls_version; /* "tlsv1.2,tlsv1.3" */
	char *tls_ciphers; /* NULL: not written */
	int move_shadowing;
	char *profiles[FSCERT_MAX_PROFILES];
	size_t nprofiles;
	char *verify[FSCERT_MAX_VERIFY]; /* HOST:PORT */
	size_t nverify;
	char *key_types; /* NULL: [check] key_types, else both */
};

struct fscert_config {
	char *path; /* the file read, or NULL */
	struct fscert_target *targets;
	size_t ntargets;

	/* [event_socket] */
	char *esl_host; /* NULL: 127.0.0.1 then ::1 */
	int esl_port; /* 8021 */
	char *esl_password; /* cleansed by fscert_config_free */
	int esl_timeout; /* seconds, 5 */

	/* [reload] */
	int max_wait; /* seconds, 600 */
	int force_window_days; /* 3 */
	int force; /* 0 */
	int verify_timeout; /* seconds for every endpoint to serve it, 15 */
	int running_timeout; /* seconds for a restarted profile, 120 */
	int reloadxml_timeout; /* seconds for "api reloadxml", 30 */

	/* [check] */
	int warn_days; /* 20 */
	int crit_days; /* 10 */
	char *key_types; /* "rsa", "rsa,ecdsa"; NULL: both */
};

/* Set every default; no target. */
void fscert_config_init(struct fscert_config *c);

/*
 * Read the file at path into c (initialised by fscert_config_init).
 * Returns 0, or -1 with err naming "path:line: reason".  missing_ok:
 * a file that does not exist is not an error (c keeps its defaults).
 */
int fscert_config_load(struct fscert_config *c, const char *path,
    int missing_ok, struct fscert_err *err);

/* As fscert_config_load, from an open stream (for tests and fuzzing). */
int fscert_config_parse(
    struct fscert_config *c, FILE *f, const char *name, struct fscert_err *err);

/* Release what c holds and cleanse the password. */
void fscert_config_free(struct fscert_config *c);

/*
 * Add a target called name (with defaults) to c, or return the one
 * that exists; NULL with err set on ENOMEM.  It is freed with c.
 */
struct fscert_target *fscert_config_add_target(
    struct fscert_config *c, const char *name, struct fscert_err *err);

/*
 * Add a new target called name (with defaults) to c, even when one of
 * that name exists (a target made of command-line flags is its own);
 * NULL with err set on ENOMEM.  Pointers into c->targets move.
 */
struct fscert_target *fscert_config_new_target(
    struct fscert_config *c, const char *name, struct fscert_err *err);

/* The target called name, or NULL. */
struct fscert_target *
fscert_config_target(struct fscert_config *c, const char *name);

/*
 * The leaf key types t accepts: its own key_types, else [check]'s, else
 * "rsa,ecdsa" (for fscert_key_types_parse).
 */
const char *fscert_target_key_types(
    const struct fscert_target *t, const struct fscert_config *c);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_CONFIG_H */
