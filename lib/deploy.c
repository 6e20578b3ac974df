/*
 * deploy.c: chain the library calls for one target.  No I/O of its own
 * beyond what lineage.c reads and install.c writes.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "fscert/bundle.h"
#include "fscert/deploy.h"
#include "fscert/lineage.h"

static const char *const status_names[FSCERT_DEPLOY__MAX] = {
	"current",
	"deployed",
	"refused",
	"failed",
};

const char *
fscert_deploy_status_name(enum fscert_deploy_status s)
{
	return (unsigned)s < FSCERT_DEPLOY__MAX ? status_names[s] : "?";
}

void
fscert_deploy_result_free(struct fscert_deploy_result *res)
{
	if (res == NULL)
		return;
	fscert_report_free(res->report);
	res->report = NULL;
}

int
fscert_target_matches(const struct fscert_target *t, const char *lineage)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (t->lineage == NULL)
		return 0;
	if (realpath(t->lineage, a) == NULL || realpath(lineage, b) == NULL)
		return strcmp(t->lineage, lineage) == 0;
	return strcmp(a, b) == 0;
}

/* A numeric id (as chown takes one), or -1. */
static long
numeric_id(const char *s)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v >= 0xffffffffUL)
		return -1;
	return (long)v;
}

/*
 * Owner and group names, or numeric ids (a name wins, as for chown), to
 * ids; -1 for "the cert dir's".
 */
static int
resolve_owner(const struct fscert_target *t, uid_t *uid, gid_t *gid,
    struct fscert_err *err)
{
	struct passwd *pw;
	struct group *gr;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (t->owner != NULL) {
		if ((pw = getpwnam(t->owner)) != NULL)
			*uid = pw->pw_uid;
		else if (numeric_id(t->owner) != -1)
			*uid = (uid_t)numeric_id(t->owner);
		else
			return fscert_err_set(err, FSCERT_EUSAGE,
			    "owner '%s': no such user", t->owner);
	}
	if (t->group != NULL) {
		if ((gr = getgrnam(t->group)) != NULL)
			*gid = gr->gr_gid;
		else if (numeric_id(t->group) != -1)
			*gid = (gid_t)numeric_id(t->group);
		else
			return fscert_err_set(err, FSCERT_EUSAGE,
			    "group '%s': no such group", t->group);
	}
	return 0;
}

int
fscert_target_install_opts(const struct fscert_target *t,
    struct fscert_install_opts *io, struct fscert_err *err)
{
	memset(io, 0, sizeof(*io));
	io->cert_dir = t->cert_dir;
	io->move_shadowing = t->move_shadowing;
	io->key_mode = t->group != NULL ? 0640 : 0600;
	return resolve_owner(t, &io->uid, &io->gid, err);
}

/*
 * Render the vars fragment of t into text (empty when t writes none).
 * Done before anything is installed: a bad value refuses the deploy.
 */
static int
render_vars(const struct fscert_target *t, struct fscert_buf *text,
    struct fscert_err *err)
{
	char dir[PATH_MAX];

	if (!t->vars || t->conf_dir == NULL)
		return 0;
	/* FreeSWITCH resolves a relative tls-cert-dir elsewhere. */
	if (realpath(t->cert_dir, dir) == NULL)
		return fscert_err_sys(err, FSCERT_EIO, "%s", t->cert_dir);
	return fscert_vars_render(t, dir, text, err);
}

/* Write the fragment, and the include line into vars.xml. */
static int
do_vars(const struct fscert_target *t, const struct fscert_buf *text,
    const struct fscert_deploy_opts *o, struct fscert_deploy_result *res,
    struct fscert_err *err)
{
	const char *frag = t->vars_file ? t->vars_file : FSCERT_VARS_FILE;
	struct fscert_buf cur = { 0 }, edited = { 0 };
	int changed, rc = -1;

	res->include = FSCERT_INC_NONE;
	if (!t->vars || t->conf_dir == NULL)
		return 0;
	if (fscert_install_file(t->conf_dir, frag, text->data, text->len, 0644,
		o->dry_run, &res->vars_changed, err) == -1)
		goto out;
	if (fscert_install_read(t->conf_dir, "vars.xml", &cur, err) == -1)
		goto out;
	res->include_checked = 1;
	if (cur.data == NULL) {
		res->vars_xml_missing = 1;
		rc = 0;
		goto out;
	}
	if (fscert_vars_include((const char *)cur.data, cur.len, frag, &edited,
		&res->include, err) == -1)
		goto out;
	if (res->include == FSCERT_INC_ADDED) {
		/*
		 * The backup first: vars.xml is the admin's file, and may
		 * hold passwords: owner-only.
		 */
		if (fscert_install_file(t->conf_dir, "vars.xml.fscert-bak",
			cur.data, cur.len, 0600, o->dry_run, &changed,
			err) == -1 ||
		    fscert_install_file(t->conf_dir, "vars.xml", edited.data,
			edited.len, 0644, o->dry_run, &changed, err) == -1)
			goto out;
	}
	rc = 0;
out:
	fscert_buf_free(&cur);
	fscert_buf_free(&edited);
	return rc;
}

/* The admin's trust anchors in the installed cafile.pem, into b. */
static int
keep_anchors(const struct fscert_target *t, const struct fscert_lineage *l,
    const struct fscert_deploy_opts *o, struct fscert_bundle *b,
    struct fscert_deploy_result *res, struct fscert_err *err)
{
	struct fscert_buf ca = { 0 }, agent = { 0 };
	int rc = -1;

	if (fscert_install_read_own(t->cert_dir, "cafile.pem", &ca, err) ==
		-1 ||
	    (o->verify_peers &&
		fscert_install_read_own(
		    t->cert_dir, "agent.pem", &agent, err) == -1) ||
	    fscert_bundle_keep_anchors(b, l, &ca, &agent, o->verify_peers,
		&res->anchors_kept, res->anchors, sizeof(res->anchors),
		err) == -1)
		goto out;
	rc = 0;
out:
	fscert_buf_free(&ca);
	fscert_buf_free(&agent);
	return rc;
}

/*
 * Will this deploy change anything?  A dry run into res says; if so,
 * set the pending marker (keeping an owed reloadxml) before a byte is
 * written and return 1.  0: nothing to do, and res already tells.
 */
static int
mark_if_changing(const struct fscert_target *t, const struct fscert_bundle *b,
    const struct fscert_install_opts *io, const struct fscert_buf *vars,
    const struct fscert_deploy_opts *o, struct fscert_deploy_result *res,
    struct fscert_err *err)
{
	struct fscert_install_opts dio = *io;
	struct fscert_deploy_opts dopt = *o;
	int i, any = 0, pvars = 0;

	dio.dry_run = 1;
	dopt.dry_run = 1;
	if (fscert_install(b, &dio, &res->inst, err) == -1 ||
	    do_vars(t, vars, &dopt, res, err) == -1 ||
	    fscert_install_extras(&dio, &b->files[FSCERT_OUT_WSS], o->extras,
		o->nextras, res->extra_changed, err) == -1)
		return -1;
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		any |= res->inst.changed[i];
	for (i = 0; i < (int)o->nextras; i++)
		any |= res->extra_changed[i];
	for (i = 0; i < FSCERT_SH__MAX; i++)
		any |= io->move_shadowing && res->inst.shadow[i];
	if (!any && !res->vars_changed && res->include != FSCERT_INC_ADDED)
		return 0;
	(void)fscert_install_pending(t->cert_dir, &pvars);
	if (fscert_install_set_pending(t->cert_dir, 1,
		pvars || res->vars_changed || res->include == FSCERT_INC_ADDED,
		err) == -1)
		return -1;
	res->vars_changed = 0;
	res->include = FSCERT_INC_NONE;
	return 1;
}

int
fscert_deploy(const struct fscert_target *t, const struct fscert_config *c,
    const struct fscert_deploy_opts *o, struct fscert_deploy_result *res,
    struct fscert_err *err)
{
	struct fscert_install_opts io;
	struct fscert_lineage *l = NULL;
	struct fscert_bundle b;
	struct fscert_policy p;
	struct fscert_buf vars = { 0 };
	char *dh = NULL;
	int lock = -1, i, moved = 0, change, rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	res->status = FSCERT_DEPLOY_FAILED;
	if (t->cert_dir == NULL)
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "target '%s': no cert_dir", t->name);
	if (t->lineage != NULL)
		l = fscert_lineage_open_dir(t->lineage, err);
	else if (t->cert != NULL && t->key != NULL)
		l = fscert_lineage_open_files(t->cert, t->key, t->chain, err);
	else
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "target '%s': no lineage (nor cert and key)", t->name);
	if (l == NULL)
		return -1;
	if (l->kind == FSCERT_KIND_INSTALLED) {
		fscert_err_set(err, FSCERT_EUSAGE,
		    "%s: is a FreeSWITCH cert "
		    "dir, not a lineage",
		    t->lineage);
		goto out;
	}

	fscert_policy_init(&p);
	p.hosts = (const char *const *)t->hosts;
	p.nhosts = t->nhosts;
	p.ca_file = t->ca_file;
	p.warn_days = c->warn_days;
	(void)fscert_key_types_parse(
	    fscert_target_key_types(t, c), &p.key_types, NULL);
	p.crit_days = c->crit_days;
	if ((res->report = fscert_validate(l, &p, err)) == NULL)
		goto out;
	(void)memcpy(
	    res->leaf_sha256, res->report->sha256, sizeof(res->leaf_sha256));
	if (res->report->refused) {
		res->status = FSCERT_DEPLOY_REFUSED;
		fscert_err_set(err, FSCERT_EREFUSED,
		    "%s: refused, nothing installed in '%s'",
		    t->lineage ? t->lineage : t->cert, t->cert_dir);
		goto out;
	}

	if (fscert_target_install_opts(t, &io, err) == -1 ||
	    render_vars(t, &vars, err) == -1)
		goto out;
	io.dry_run = o->dry_run;
	io.force = o->force;

	if (!o->dry_run && !o->no_lock &&
	    fscert_install_lock(t->cert_dir, &lock, err) == -1)
		goto out;
	/* An admin's DH PARAMETERS block in agent.pem is carried over. */
	if (fscert_install_dhparams(t->cert_dir, &dh, err) == -1 ||
	    fscert_bundle_build(l, dh, &b, err) == -1 ||
	    keep_anchors(t, l, o, &b, res, err) == -1)
		goto out;
	/* With the marker: one dry pass first; nothing to do ends there. */
	change = o->mark_pending && !o->dry_run
	    ? mark_if_changing(t, &b, &io, &vars, o, res, err)
	    : 1;
	if (change == -1 ||
	    (change == 1 &&
		(fscert_install(&b, &io, &res->inst, err) == -1 ||
		    do_vars(t, &vars, o, res, err) == -1 ||
		    fscert_install_extras(&io, &b.files[FSCERT_OUT_WSS],
			o->extras, o->nextras, res->extra_changed, err) == -1)))
		goto out;
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		res->files_changed |= res->inst.changed[i];
	for (i = 0; i < (int)o->nextras; i++)
		res->files_changed |= res->extra_changed[i];
	/* A shadowing file moved aside changes what WSS serves, too. */
	for (i = 0; i < FSCERT_SH__MAX; i++)
		moved |= o->dry_run ? io.move_shadowing && res->inst.shadow[i]
				    : res->inst.moved[i];
	res->status = res->files_changed || res->vars_changed || moved ||
		res->include == FSCERT_INC_ADDED
	    ? FSCERT_DEPLOY_DONE
	    : FSCERT_DEPLOY_CURRENT;
	rc = 0;
out:
	fscert_install_unlock(lock);
	fscert_buf_free(&vars);
	fscert_bundle_free(&b);
	free(dh);
	fscert_lineage_free(l);
	return rc;
}
