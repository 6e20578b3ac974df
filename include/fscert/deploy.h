/*
 * fscert/deploy.h: the pipeline for one target, up to the reload:
 * source -> read -> validate -> bundle -> compare -> install -> vars.
 */
#ifndef FSCERT_DEPLOY_H
#define FSCERT_DEPLOY_H

#include "fscert/config.h"
#include "fscert/err.h"
#include "fscert/fsconf.h"
#include "fscert/install.h"
#include "fscert/validate.h"
#include "fscert/vars.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

enum fscert_deploy_status {
	FSCERT_DEPLOY_CURRENT, /* nothing to do, nothing written */
	FSCERT_DEPLOY_DONE, /* something was (or would be) written */
	FSCERT_DEPLOY_REFUSED, /* validation refused the lineage */
	FSCERT_DEPLOY_FAILED, /* reading, writing or locking failed */
	FSCERT_DEPLOY__MAX
};

struct fscert_deploy_opts {
	int dry_run; /* validate and plan; write nothing */
	int force; /* rewrite even when current */
	int no_lock; /* caller holds the lock */
	/*
	 * Set the pending-reload marker before the first byte changes, so
	 * that a crash between install and reload still leaves the reload
	 * owed; the caller clears it once FreeSWITCH serves the new set.
	 */
	int mark_pending;
	/* Files verto reads besides wss.pem (fscert_fsconf_check). */
	const struct fscert_extra *extras;
	size_t nextras;
	/* A profile reading this cafile.pem verifies its peers. */
	int verify_peers;
};

struct fscert_deploy_result {
	enum fscert_deploy_status status;
	struct fscert_report *report; /* validation; freed by _free */
	struct fscert_install_result inst;
	int files_changed; /* any of the three (would be) written */
	int vars_changed; /* the fragment (would be) written */
	enum fscert_include include; /* what was done to vars.xml */
	int include_checked; /* 0: no conf_dir / vars = no */
	int vars_xml_missing; /* conf_dir has no vars.xml */
	char leaf_sha256[65]; /* of the leaf installed */
	int extra_changed[FSCERT_MAX_EXTRAS]; /* o->extras (would be) written */
	int anchors_kept; /* trust anchors kept in cafile.pem */
	char anchors[512]; /* their subjects, "; " between them */
};

/* The name of status ("current", "deployed", "refused", "failed"). */
const char *fscert_deploy_status_name(enum fscert_deploy_status s);

/*
 * Deploy target t under the [check] windows of c.  Fills res (free its
 * report with fscert_deploy_result_free) and returns 0 when the target
 * is deployed or current, -1 with err set when refused or failed.
 * Writes nothing when refused, when dry_run, or when everything is
 * already current.  Serialised by the cert dir's private lock.
 */
int fscert_deploy(const struct fscert_target *t, const struct fscert_config *c,
    const struct fscert_deploy_opts *o, struct fscert_deploy_result *res,
    struct fscert_err *err);

void fscert_deploy_result_free(struct fscert_deploy_result *res);

/*
 * How fscert installs into t's cert dir (owner, group, key mode, moving
 * shadowing files), into io.  Returns 0, or -1 with err for an owner or
 * group that does not exist.
 */
int fscert_target_install_opts(const struct fscert_target *t,
    struct fscert_install_opts *io, struct fscert_err *err);

/*
 * Does target t take its certificate from the certbot lineage dir
 * lineage (as RENEWED_LINEAGE names it)?  Compares real paths.
 */
int fscert_target_matches(const struct fscert_target *t, const char *lineage);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_DEPLOY_H */
