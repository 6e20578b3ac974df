/*
 * cli.h: what the command files share.  Commands parse their own
 * options, call the library, print, and return the exit status.
 */
#ifndef FSCERT_CLI_H
#define FSCERT_CLI_H

#include <stdio.h>

#include "fscert/fscert.h"

struct globals {
	const char *conf; /* -c FILE */
	int verbose; /* -v */
	int quiet; /* -q */
	int json; /* --json */
	char *esl_password; /* from FSCERT_ESL_PASSWORD */
	int warned_password;
};

int cmd_check(int argc, char **argv, struct globals *g);
int cmd_bundle(int argc, char **argv, struct globals *g);
int cmd_deploy(int argc, char **argv, struct globals *g);
int cmd_status(int argc, char **argv, struct globals *g);
int cmd_vars(int argc, char **argv, struct globals *g);
int cmd_reload(int argc, char **argv, struct globals *g);

/* The target-selecting options that deploy, status and vars share. */
enum {
	TF_TARGET = 1000,
	TF_LINEAGE,
	TF_CERT,
	TF_KEY,
	TF_CHAIN,
	TF_CERT_DIR,
	TF_CONF_DIR,
	TF_HOST,
	TF_CA_FILE,
	TF_OWNER,
	TF_GROUP,
	TF_MOVE_SHADOWING
};
#define TFLAGS_LONGOPTS \
	{ "target", required_argument, NULL, TF_TARGET }, \
	    { "lineage", required_argument, NULL, TF_LINEAGE }, \
	    { "cert", required_argument, NULL, TF_CERT }, \
	    { "key", required_argument, NULL, TF_KEY }, \
	    { "chain", required_argument, NULL, TF_CHAIN }, \
	    { "cert-dir", required_argument, NULL, TF_CERT_DIR }, \
	    { "conf-dir", required_argument, NULL, TF_CONF_DIR }, \
	    { "host", required_argument, NULL, TF_HOST }, \
	    { "ca-file", required_argument, NULL, TF_CA_FILE }, \
	    { "owner", required_argument, NULL, TF_OWNER }, \
	    { "group", required_argument, NULL, TF_GROUP }, \
	{ \
		"move-shadowing", no_argument, NULL, TF_MOVE_SHADOWING \
	}

struct tflags {
	const char *target, *lineage, *cert, *key, *chain;
	const char *cert_dir, *conf_dir, *ca_file, *owner, *group;
	const char *hosts[FSCERT_MAX_HOSTS];
	size_t nhosts;
	int move_shadowing;
};

/* The reload options that deploy and reload share. */
enum { RF_ESL = 1100, RF_PROFILE, RF_VERIFY, RF_MAX_WAIT };
#define RFLAGS_LONGOPTS \
	{ "esl", required_argument, NULL, RF_ESL }, \
	    { "profile", required_argument, NULL, RF_PROFILE }, \
	    { "verify", required_argument, NULL, RF_VERIFY }, \
	{ \
		"max-wait", required_argument, NULL, RF_MAX_WAIT \
	}

struct rflags {
	const char *esl; /* HOST:PORT */
	const char *profiles[FSCERT_MAX_PROFILES];
	size_t nprofiles;
	const char *verify[FSCERT_MAX_VERIFY];
	size_t nverify;
	int max_wait; /* -1: from the config */
	int force;
};

/* Zero f and rf (max_wait -1: from the config). */
void flags_init(struct tflags *f, struct rflags *rf);

/*
 * Take option c if it is -v/-q, a target flag or a reload flag (deploy,
 * reload and status share them): 1 taken, 0 not ours, -1 bad.
 */
int shared_opt(struct globals *g, struct tflags *f, struct rflags *rf, int c,
    const char *arg);

/* Take option c if it is a reload flag: 1 taken, 0 not ours, -1 bad. */
int rflags_opt(struct rflags *f, int c, const char *arg);

/*
 * The reload options for t: config, then flags (host: buffer for --esl).
 * Returns 1 when FreeSWITCH's default password would be used.
 */
int reload_opts_for(struct fscert_config *cfg, struct fscert_target *t,
    const struct rflags *rf, struct fscert_reload_opts *o, char *host,
    size_t hlen);

/* Say once that the well-known default password is used (unless -q). */
void warn_default_password(struct globals *g);

/*
 * Reload FreeSWITCH for target t and verify; prints; sets or clears the
 * pending marker.  inst: what this deploy run installed (a failed
 * verification may then roll back to the set it replaced), or NULL
 * (fscert reload: never rolls back).  jout: a JSON object to add
 * "reload" to, or NULL.  Returns 0 done, 1 failed, 75 deferred.
 */
struct json_t;
int run_reload(struct globals *g, struct fscert_config *cfg,
    struct fscert_target *t, const struct rflags *rf, int vars_changed,
    const struct fscert_install_result *inst, const struct fscert_extra *extras,
    size_t nextras, struct json_t *jout);

/*
 * Before a deploy of t writes anything: who reads certificates from
 * where.  ask: the running FreeSWITCH (fscert_fsconf_fetch) first; when
 * it was not asked or did not answer, the configuration tree on disk
 * (t's conf_dir, fscert_fsconf_from_tree).  Then check that every
 * consumer t serves reads from t's cert dir.  Returns 0 with the verto
 * files to write in x/nx, verify_peers, and fc filled (fc->n 0 when
 * nothing is known); -1 with err when FreeSWITCH's answer refuses it.
 * What the tree on disk would refuse is only a warning, in warn
 * ("" when none).
 */
int consumers_check(struct globals *g, struct fscert_config *cfg,
    struct fscert_target *t, const struct rflags *rf, int ask,
    struct fscert_fsconf *fc, struct fscert_extra *x, size_t *nx,
    int *verify_peers, char *warn, size_t wlen, struct fscert_err *err);

/*
 * Write the files verto reads besides wss.pem (x, from consumers_check)
 * from t's installed wss.pem, as deploy writes them, under the cert
 * dir's lock; say which were written.  Returns 0, or -1 with err.
 */
int verto_files(struct globals *g, const struct fscert_target *t,
    const struct fscert_extra *x, size_t nx, struct fscert_err *err);

/* fc's consumers as a JSON array (profile, kind, directory, files). */
struct json_t *
consumers_json(const struct fscert_fsconf *fc, struct fscert_config *cfg,
    struct fscert_target *t, const struct rflags *rf);

/* The worse of two exit statuses: 1 (failed) > 75 (deferred) > 0. */
int worse(int a, int b);

/* Take option c if it is a target flag: 1 taken, 0 not ours, -1 bad. */
int tflags_opt(struct tflags *f, int c, const char *arg);

/*
 * The operands of deploy, reload, status and vars: at most one, a
 * lineage, as --lineage (the same one, if both are given).  0, or -1
 * (message printed) on a usage error.
 */
int tflags_positional(struct tflags *f, const char *cmd, int argc, char **argv);

/*
 * Load the config (-c, else the default if it exists) into cfg and pick
 * the targets: --target NAME; else those whose lineage is --lineage (or
 * RENEWED_LINEAGE), and whose cert_dir is --cert-dir when given; else
 * those installing into --cert-dir; else all.  With none and --cert-dir,
 * a target of its own made of the flags (nothing taken from a configured
 * target of its name).  Flags override the picked targets' keys.
 * Returns 0 with *out (free it) and *n (0 in hook mode for a lineage no
 * target uses), -1 on a config error, -2 on a usage error; messages
 * printed.
 */
int targets_select(struct globals *g, struct tflags *f,
    struct fscert_config *cfg, struct fscert_target ***out, size_t *n);

/* Append name to a growing list of --host names; exits on ENOMEM. */
void hosts_add(const char ***hosts, size_t *n, const char *name);

/*
 * "PATH: msg", or msg alone when it already starts with PATH (messages
 * about the directory itself name it), into buf.
 */
const char *with_path(char *buf, size_t len, const char *path, const char *msg);

/*
 * s as a JSON string, each byte that is not UTF-8 replaced by U+FFFD
 * (jansson refuses them); JSON null for NULL.  Exits on ENOMEM.
 */
struct json_t;
struct json_t *jstr(const char *s);

/* The findings of r as a JSON array (r may be NULL: empty). */
struct json_t;
struct json_t *findings_json(const struct fscert_report *r);

/* Print root on stdout, indented, and release it. */
void json_print(struct json_t *root);

/* Each command's synopsis, for its usage and for fscert --help. */
extern const char check_synopsis[], bundle_synopsis[], deploy_synopsis[],
    reload_synopsis[], status_synopsis[], vars_synopsis[];

/* "usage: fscert NAME SYNOPSIS", continuation lines indented. */
void print_usage(FILE *f, const char *name, const char *synopsis);

/*
 * The global options -v, -q and -c FILE after the command too (each
 * command's short options start with GLOBAL_SHORTOPTS): 1 when c was
 * one of them.  --json is each command's own.
 */
#define GLOBAL_SHORTOPTS "vqc:"
int global_opt(struct globals *g, int c);

/* Parse a non-negative day count; -1 when it is not one. */
int parse_days(const char *s);

#endif /* FSCERT_CLI_H */
