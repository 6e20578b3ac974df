/*
 * fscert/reload.h: make a running FreeSWITCH load the installed set,
 * without dropping a call that did not have to be dropped, and prove
 * by TLS handshakes that clients now get it (freeswitch-internals.md
 * 3.2-3.6).
 *
 *  1. "api reloadxml" when the vars fragment changed (+OK [Success]),
 *     within reloadxml_timeout_ms (a connection of its own if longer).
 *  2. "api reloadcert" where it exists (FreeSWITCH >= 1.11.1): no call
 *     is dropped.  Its +OK comes before anything happens.
 *  3. Else "sofia profile NAME restart", which hangs up every call on
 *     the profile: only when the in-use count of every profile is 0,
 *     all checked before any restart (polled up to max_wait), else
 *     deferred with none restarted; at once with force, or when the served
 *     certificate expires within force_window_days.  The 10-second
 *     uptime guard is waited out; then the profile must be RUNNING.
 *  4. Every endpoint is probed until its leaf is the installed one and
 *     the intermediate is sent, or a timeout: an old leaf is never
 *     success.
 *  5. On a failed verification, with rollback and guard set (a deploy
 *     that just installed the set): the set that run replaced is put
 *     back if fscert_install_rollback_checked allows it (the files are
 *     still the ones it installed, prev/ holds what it replaced, and
 *     that set is fit to serve), then reloaded under the same in-use
 *     rules (never forced for the rollback); the failure is reported.
 *     Without a guard (fscert reload) the files are left as they are.
 */
#ifndef FSCERT_RELOAD_H
#define FSCERT_RELOAD_H

#include <stddef.h>

#include "fscert/config.h"
#include "fscert/err.h"
#include "fscert/fsconf.h"
#include "fscert/install.h"
#include "fscert/probe.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define FSCERT_MAX_PROFILES_SEEN 16
#define FSCERT_MAX_STEPS 64
#define FSCERT_MAX_ENDPOINTS 16

/* What "sofia jsonstatus" says of one profile. */
struct fscert_fsprofile {
	char name[64];
	char state[16]; /* "RUNNING", "DOWN", ... */
	long inuse; /* -1: not given */
	char tls_host[64]; /* from tls-bind-url, or "" */
	int tls_port;
	char wss_host[64]; /* from wss-bind-url, or "" */
	int wss_port;
};

struct fscert_fsstatus {
	struct fscert_fsprofile profiles[FSCERT_MAX_PROFILES_SEEN];
	size_t nprofiles;
};

/* What "verto status" says of one secure (wss) binding. */
struct fscert_vertobind {
	char profile[64];
	char host[64];
	int port;
	int running;
};

struct fscert_vertostatus {
	int loaded; /* mod_verto answered */
	struct fscert_vertobind binds[FSCERT_MAX_ENDPOINTS];
	size_t nbinds;
	long clients; /* "N clients" */
};

/*
 * Parse the body of "api verto status" (mod_verto.c cmd_status): the
 * wss rows and the client count.  "-ERR verto Command not found!"
 * (mod_verto not loaded), or any -ERR, gives loaded = 0.  Returns 0, or -1 with err
 * for text that is neither.
 */
int fscert_verto_status_parse(
    const char *body, struct fscert_vertostatus *vs, struct fscert_err *err);

/*
 * Parse the body of "api sofia jsonstatus" (aliases skipped).  Returns
 * 0, or -1 with err for text that is not that JSON.  For the client and
 * the fuzzer.
 */
int fscert_jsonstatus_parse(
    const char *body, struct fscert_fsstatus *st, struct fscert_err *err);

struct fscert_reload_opts {
	const char *cert_dir; /* the installed set to prove */
	const char *esl_host; /* NULL: 127.0.0.1 then ::1 */
	int esl_port;
	const char *esl_password; /* never logged */
	int esl_timeout_ms;
	int reloadxml_timeout_ms; /* for "api reloadxml" (large configs) */
	const char *const *profiles; /* none: those with TLS/WSS, else internal */
	size_t nprofiles;
	const char *const *verify; /* HOST:PORT; none: from jsonstatus */
	size_t nverify;
	const char *sni; /* the expected host name, or NULL */
	int vars_changed; /* reloadxml first */
	int force; /* restart even with calls up */
	int force_window_days;
	int max_wait; /* seconds to wait for in-use 0 */
	int poll_ms; /* in-use polling interval */
	int verify_timeout_ms;
	int running_timeout_ms;
	int custom_ciphers; /* warn: reloadcert drops them */
	const struct fscert_install_opts *rollback; /* NULL: none */
	/* What this run installed; NULL: never roll back (fscert reload). */
	const struct fscert_rollback_guard *guard;
	/* verto's files besides wss.pem, rewritten after a rollback */
	const struct fscert_extra *extras;
	size_t nextras;
};

enum fscert_reload_status {
	FSCERT_RELOAD_OK,
	FSCERT_RELOAD_DEFERRED, /* calls in progress: retry later */
	FSCERT_RELOAD_FAILED,
	FSCERT_RELOAD_ROLLED_BACK, /* failed, previous set restored */
	FSCERT_RELOAD__MAX
};

struct fscert_step {
	char what[64]; /* "reloadcert", "verify 127.0.0.1:5061" */
	long ms; /* how long it took */
	int ok;
	char detail[192];
};

struct fscert_reload_result {
	enum fscert_reload_status status;
	char method[16]; /* "reloadcert" or "restart" */
	struct fscert_step steps[FSCERT_MAX_STEPS];
	size_t nsteps;
	struct fscert_probe served[FSCERT_MAX_ENDPOINTS]; /* last probes */
	size_t nserved;
	char warning[256]; /* a caveat to report, or "" */
	int rollback_unloaded; /* rolled back, but not (proved) loaded */
	char rollback_why[512]; /* why it was not rolled back, or "" */
};

void fscert_reload_opts_init(struct fscert_reload_opts *o);

/*
 * Options for target t under config c ([event_socket], [reload], the
 * target's profile/verify keys; SNI is its first host).  The strings
 * are borrowed from c and t.  password_is_default is set when no
 * password was configured and FreeSWITCH's well-known one is used.
 */
void fscert_reload_opts_from(struct fscert_reload_opts *o,
    const struct fscert_config *c, const struct fscert_target *t,
    int *password_is_default);
const char *fscert_reload_status_name(enum fscert_reload_status s);

/*
 * Run the policy above.  Returns 0 when the installed leaf is served
 * everywhere, -1 with err otherwise (deferred: FSCERT_EDEFERRED; the
 * endpoint named with what it served: FSCERT_EVERIFY).  r says what was
 * done, step by step.
 */
int fscert_reload(const struct fscert_reload_opts *o,
    struct fscert_reload_result *r, struct fscert_err *err);

/*
 * Probe every endpoint (o->verify, or discovered over the event socket)
 * once and store what each serves in r->served.  For fscert status.
 */
int fscert_reload_served(const struct fscert_reload_opts *o,
    struct fscert_reload_result *r, struct fscert_err *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_RELOAD_H */
