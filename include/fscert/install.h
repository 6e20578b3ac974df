/*
 * fscert/install.h: put a bundle into FreeSWITCH's cert dir so that it
 * never reads a half-written, mismatched or missing file.
 *
 * Each file goes to a temp file in the same directory created 0600,
 * given its owner and final mode before a byte is written, written,
 * fsync'ed and renamed over the old one; the directory is fsync'ed at
 * the end.  No file is ever deleted.  The previous complete set is kept
 * in CERT_DIR/.fscert/prev/ (0700) for rollback.  Unchanged bytes, mode
 * and owner: nothing is written at all.
 */
#ifndef FSCERT_INSTALL_H
#define FSCERT_INSTALL_H

#include <sys/types.h>

#include "fscert/bundle.h"
#include "fscert/err.h"
#include "fscert/fsconf.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* The private directory inside the cert dir: lock, backups. */
#define FSCERT_STATE_DIR ".fscert"

/* Files that shadow ours in sofia-sip's lookup (internals 1.1, 1.3). */
enum fscert_shadow {
	FSCERT_SH_WSS_CRT, /* wss.crt overrides wss.pem's certificate */
	FSCERT_SH_WSS_KEY, /* wss.key overrides wss.pem's key */
	FSCERT_SH_CA_BUNDLE, /* ca-bundle.crt overrides wss.pem's chain */
	FSCERT_SH_TLS_PEM, /* tls.pem: used when agent/cafile missing */
	FSCERT_SH__MAX
};

/*
 * Files in a cert dir that FreeSWITCH does not read (certbot's names
 * copied by hand, FusionPBX's all.pem): reported, never touched.
 */
enum fscert_foreign {
	FSCERT_FO_CERT, /* cert.pem */
	FSCERT_FO_PRIVKEY, /* privkey.pem */
	FSCERT_FO_CHAIN, /* chain.pem */
	FSCERT_FO_FULLCHAIN, /* fullchain.pem */
	FSCERT_FO_ALL, /* all.pem (FusionPBX: agent.pem, tls.pem -> it) */
	FSCERT_FOREIGN__MAX
};

struct fscert_install_opts {
	const char *cert_dir;
	uid_t uid; /* (uid_t)-1: the cert dir's owner */
	gid_t gid; /* (gid_t)-1: the cert dir's group */
	mode_t key_mode; /* 0600, or 0640 with a group */
	int dry_run; /* compare only; write nothing */
	int force; /* rewrite even when current */
	int move_shadowing; /* move shadowing files to .fscert/ */
};

struct fscert_install_result {
	int current; /* everything already as it should be */
	int changed[FSCERT_OUT__MAX]; /* (would be) rewritten */
	int shadow[FSCERT_SH__MAX]; /* present */
	int moved[FSCERT_SH__MAX]; /* moved aside */
	int symlink[FSCERT_OUT__MAX]; /* was a symlink: replaced, not followed */
	char symlink_to[FSCERT_OUT__MAX][256]; /* what it pointed to */
	int foreign[FSCERT_FOREIGN__MAX]; /* present, left alone */
	int backed_up; /* the previous set was saved (by this run) */
	int stale; /* leftover temp files removed */
	/* Set digests (fscert_install_set_sha256), "" when not known. */
	char installed_sha256[65]; /* the set installed (b) */
	char replaced_sha256[65]; /* backed_up: the set saved in prev/ */
};

const char *fscert_shadow_name(enum fscert_shadow s); /* "wss.crt" */
const char *fscert_foreign_name(enum fscert_foreign f); /* "all.pem" */

/*
 * Take the private lock of cert_dir (CERT_DIR/.fscert/lock), waiting
 * for another fscert run to finish.  Never certbot's lock.  *fd is
 * released with fscert_install_unlock.
 */
int fscert_install_lock(const char *cert_dir, int *fd, struct fscert_err *err);
void fscert_install_unlock(int fd);

/*
 * The "DH PARAMETERS" block of the installed agent.pem, to carry over
 * into the new one: *dh is a new string, or NULL when there is none (or
 * no agent.pem).  The caller frees it.
 */
int fscert_install_dhparams(
    const char *cert_dir, char **dh, struct fscert_err *err);

/*
 * Install b into o->cert_dir (see above), filling r.  Returns 0, or -1
 * with err set; on failure every file is either the old or the new one,
 * complete, and no temp file is left.
 */
int fscert_install(const struct fscert_bundle *b,
    const struct fscert_install_opts *o, struct fscert_install_result *r,
    struct fscert_err *err);

/*
 * Make dir/name hold exactly len bytes of data (temp file + fsync +
 * rename + fsync of dir) unless it already does; *changed says whether
 * it was (or, with dry_run, would be) written.  A new file gets mode
 * and the directory's owner; an existing one keeps its mode and owner.
 * For the vars fragment and vars.xml.
 */
int fscert_install_file(const char *dir, const char *name, const void *data,
    size_t len, mode_t mode, int dry_run, int *changed, struct fscert_err *err);

/*
 * Read dir/name (never through a symlink) into *out; a missing file
 * gives 0 with out->data NULL.  Capped at FSCERT_FILE_MAX.
 */
int fscert_install_read(const char *dir, const char *name,
    struct fscert_buf *out, struct fscert_err *err);

/*
 * As fscert_install_read for one of the files fscert replaces: a
 * symlink there (FusionPBX's) reads as no file, never followed.
 */
int fscert_install_read_own(const char *dir, const char *name,
    struct fscert_buf *out, struct fscert_err *err);

/*
 * The pending-reload marker (CERT_DIR/.fscert/pending): set when a
 * reload was deferred, so that fscert reload and the next timer run
 * retry it.  vars: the vars fragment changed too (reloadxml needed).
 * fscert_install_pending returns 1 (with *vars) when set, 0 when not.
 */
int fscert_install_set_pending(
    const char *cert_dir, int on, int vars, struct fscert_err *err);
int fscert_install_pending(const char *cert_dir, int *vars);

/*
 * Put the set kept in .fscert/prev/ back, the same safe way, without
 * any check.  fscert reload uses fscert_install_rollback_checked.
 */
int fscert_install_rollback(
    const struct fscert_install_opts *o, struct fscert_err *err);

/*
 * What one install run may undo: the digests of the set it installed
 * and of the set it saved in prev/ (its fscert_install_result), and the
 * target's expected host names (none: not checked).  Borrowed strings.
 */
struct fscert_rollback_guard {
	const char *installed; /* installed_sha256 of the run */
	const char *replaced; /* replaced_sha256 of the run; "": none */
	const char *const *hosts;
	size_t nhosts;
};

/*
 * The digest of a set: SHA-256 over agent.pem, cafile.pem and wss.pem
 * in that order, each as an 8-byte big-endian length and its bytes;
 * 64 lower-case hex digits and a NUL into out.
 */
void fscert_install_set_sha256(
    const struct fscert_buf files[FSCERT_OUT__MAX], char out[65]);

/*
 * Roll back the install run g describes, and nothing else: only when
 * the cert dir still holds the set it installed, prev/ holds the set it
 * replaced, and that set is fit to serve (its leaf not expired nor not
 * yet valid, its key that of the leaf, its three files one set, and,
 * with hosts, covering at least one of them).  Returns 0 when put back;
 * -1 with err otherwise (FSCERT_EREFUSED: one of those checks, naming
 * the directory and why; nothing was written).  The caller holds the
 * cert dir's lock.
 */
int fscert_install_rollback_checked(const struct fscert_install_opts *o,
    const struct fscert_rollback_guard *g, struct fscert_err *err);

/*
 * Write the files verto reads besides wss.pem (fscert_fsconf_check's
 * extras) into o->cert_dir, from wss (leaf, intermediates, key): a
 * combined file as wss.pem, a certificate file with the certificates,
 * a key file with the key.  Files with the key get o->key_mode, the
 * others 0644, each o->uid:o->gid (-1: the directory's), written as
 * fscert_install writes.  changed[i]: extra i was (would be) written.
 * _from_dir takes wss from the cert dir's wss.pem (after a rollback).
 */
int fscert_install_extras(const struct fscert_install_opts *o,
    const struct fscert_buf *wss, const struct fscert_extra *x, size_t n,
    int *changed, struct fscert_err *err);
int fscert_install_extras_from_dir(const struct fscert_install_opts *o,
    const struct fscert_extra *x, size_t n, int *changed,
    struct fscert_err *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_INSTALL_H */
