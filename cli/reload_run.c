/*
 * reload_run.c: run the reload + verify of one target and print what
 * happened; shared by deploy and reload.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* 0 when arg is a HOST:PORT; else a one-line error naming opt. */
static int
hostport_ok(const char *opt, const char *arg)
{
	struct fscert_err e;
	char host[256];
	int port;

	fscert_err_clear(&e);
	if (fscert_parse_hostport(arg, host, sizeof(host), &port, &e) == 0)
		return 0;
	warnx("%s: %s", opt, e.msg);
	return -1;
}

int
rflags_opt(struct rflags *f, int c, const char *arg)
{
	char *end;
	long v;

	/* Checked here, so a typo stops the run before anything is installed. */
	switch (c) {
	case RF_ESL:
		if (hostport_ok("--esl", arg) == -1)
			return -1;
		f->esl = arg;
		break;
	case RF_PROFILE:
		if (f->nprofiles >= FSCERT_MAX_PROFILES) {
			warnx("more than %d --profile names",
			    FSCERT_MAX_PROFILES);
			return -1;
		}
		f->profiles[f->nprofiles++] = arg;
		break;
	case RF_VERIFY:
		if (f->nverify >= FSCERT_MAX_VERIFY) {
			warnx("more than %d --verify endpoints",
			    FSCERT_MAX_VERIFY);
			return -1;
		}
		if (hostport_ok("--verify", arg) == -1)
			return -1;
		f->verify[f->nverify++] = arg;
		break;
	case RF_MAX_WAIT:
		v = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || v < 0 || v > 86400) {
			warnx("--max-wait: '%s' is not a number of seconds "
			      "(0-86400)",
			    arg);
			return -1;
		}
		f->max_wait = (int)v;
		break;
	default:
		return 0;
	}
	return 1;
}

void
flags_init(struct tflags *f, struct rflags *rf)
{
	memset(f, 0, sizeof(*f));
	memset(rf, 0, sizeof(*rf));
	rf->max_wait = -1;
}

int
shared_opt(struct globals *g, struct tflags *f, struct rflags *rf, int c,
    const char *arg)
{
	int sr;

	if (global_opt(g, c))
		return 1;
	if ((sr = tflags_opt(f, c, arg)) != 0)
		return sr;
	return rflags_opt(rf, c, arg);
}

static json_t *
steps_json(const struct fscert_reload_result *r)
{
	json_t *a = json_array(), *served = json_array(), *o;
	size_t i;

	if (a == NULL || served == NULL)
		errx(1, "out of memory");
	for (i = 0; i < r->nsteps; i++)
		json_array_append_new(a,
		    json_pack("{s:o, s:I, s:b, s:o}", "step",
			jstr(r->steps[i].what), "ms",
			(json_int_t)r->steps[i].ms, "ok", r->steps[i].ok,
			"detail", jstr(r->steps[i].detail)));
	for (i = 0; i < r->nserved; i++)
		json_array_append_new(served,
		    json_pack("{s:o, s:b, s:s, s:i}", "endpoint",
			jstr(r->served[i].endpoint), "ok", r->served[i].ok,
			"leaf_sha256", r->served[i].sha256[0], "certificates",
			r->served[i].nserved));
	o = json_pack("{s:s, s:o, s:o, s:o}", "status",
	    fscert_reload_status_name(r->status), "method", jstr(r->method),
	    "steps", a, "served", served);
	if (o == NULL)
		errx(1, "out of memory");
	if (r->warning[0])
		json_object_set_new(o, "warning", jstr(r->warning));
	return o;
}

/* Say once per run that FreeSWITCH's well-known password is used. */
void
warn_default_password(struct globals *g)
{
	if (!g->quiet && !g->warned_password)
		warnx("warning: no event-socket password configured: using "
		      "FreeSWITCH's well-known default");
	g->warned_password = 1;
}

int
reload_opts_for(struct fscert_config *cfg, struct fscert_target *t,
    const struct rflags *rf, struct fscert_reload_opts *o, char *host,
    size_t hlen)
{
	int dflt;

	fscert_reload_opts_from(o, cfg, t, &dflt);
	if (rf->esl != NULL) {
		struct fscert_err e;

		fscert_err_clear(&e);
		if (fscert_parse_hostport(
			rf->esl, host, hlen, &o->esl_port, &e) == -1)
			errx(2, "--esl: %s", e.msg);
		o->esl_host = host;
	}
	if (rf->nprofiles > 0) {
		o->profiles = rf->profiles;
		o->nprofiles = rf->nprofiles;
	}
	if (rf->nverify > 0) {
		o->verify = rf->verify;
		o->nverify = rf->nverify;
	}
	if (rf->max_wait >= 0)
		o->max_wait = rf->max_wait;
	if (rf->force)
		o->force = 1;
	return dflt;
}

int
consumers_check(struct globals *g, struct fscert_config *cfg,
    struct fscert_target *t, const struct rflags *rf, int ask,
    struct fscert_fsconf *fc, struct fscert_extra *x, size_t *nx,
    int *verify_peers, char *warn, size_t wlen, struct fscert_err *err)
{
	struct fscert_reload_opts o;
	struct fscert_err fe;
	char host[256], notes[256];

	*nx = 0;
	*verify_peers = 0;
	warn[0] = '\0';
	if (reload_opts_for(cfg, t, rf, &o, host, sizeof(host)) && ask)
		warn_default_password(g);
	fscert_err_clear(&fe);
	if (ask) {
		if (fscert_fsconf_fetch(fc, o.esl_host, o.esl_port,
			o.esl_password, o.esl_timeout_ms, &fe) == 0)
			return fscert_fsconf_check(fc, t->cert_dir, o.profiles,
			    o.nprofiles, t->name, x, nx, verify_peers, err);
		/* The reload reports an unreachable FreeSWITCH. */
		if (g->verbose)
			warnx("%s: FreeSWITCH not asked where it reads: %s",
			    t->name, fe.msg);
	}
	/*
	 * Not asked: the configuration tree on disk, which may not be what
	 * FreeSWITCH loaded (FusionPBX serves sofia.conf from its
	 * database), so what it says is a warning, never a refusal.
	 */
	memset(fc, 0, sizeof(*fc));
	if (t->conf_dir == NULL)
		return 0;
	fscert_err_clear(&fe);
	if (fscert_fsconf_from_tree(
		fc, t->conf_dir, notes, sizeof(notes), &fe) == -1) {
		if (g->verbose)
			warnx("%s: %s not read: %s", t->name, t->conf_dir,
			    fe.msg);
		memset(fc, 0, sizeof(*fc));
		return 0;
	}
	if (notes[0] != '\0' && g->verbose)
		warnx("%s: %s", t->name, notes);
	fscert_err_clear(&fe);
	if (fscert_fsconf_check(fc, t->cert_dir, o.profiles, o.nprofiles,
		t->name, x, nx, verify_peers, &fe) == -1) {
		(void)snprintf(warn, wlen,
		    "warning: %s: by the configuration on disk in %s "
		    "(FreeSWITCH %s%s%s): %s",
		    t->name, t->conf_dir, ask ? "not answering" : "not asked",
		    fc->certs_dir[0] ? "; its certs_dir taken as " : "",
		    fc->certs_dir, fe.msg);
		*nx = 0;
		*verify_peers = 0;
	}
	return 0;
}

json_t *
consumers_json(const struct fscert_fsconf *fc, struct fscert_config *cfg,
    struct fscert_target *t, const struct rflags *rf)
{
	struct fscert_reload_opts o;
	const struct fscert_consumer *c;
	json_t *a = json_array(), *jc;
	char host[256];
	size_t i;

	if (a == NULL)
		errx(1, "out of memory");
	(void)reload_opts_for(cfg, t, rf, &o, host, sizeof(host));
	for (i = 0; i < fc->n; i++) {
		c = &fc->c[i];
		if (!fscert_consumer_wanted(c, o.profiles, o.nprofiles))
			continue;
		if (c->kind == FSCERT_CONSUMER_SOFIA)
			jc = json_pack("{s:s, s:o, s:o, s:o, s:o}", "kind",
			    "sofia", "profile", jstr(c->name), "dir",
			    jstr(c->dir), "source", jstr(c->source),
			    "verify_policy",
			    jstr(c->verify_policy[0] ? c->verify_policy
						     : "none"));
		else
			jc = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
			    "kind", "verto", "profile", jstr(c->name), "dir",
			    jstr(c->dir), "source", jstr(c->source), "cert",
			    jstr(c->cert), "key", jstr(c->key), "chain",
			    jstr(c->chain));
		if (jc == NULL)
			errx(1, "out of memory");
		json_object_set_new(jc, "reads_cert_dir",
		    json_boolean(fscert_consumer_reads(c, t->cert_dir)));
		json_array_append_new(a, jc);
	}
	return a;
}

int
verto_files(struct globals *g, const struct fscert_target *t,
    const struct fscert_extra *x, size_t nx, struct fscert_err *err)
{
	struct fscert_install_opts io;
	int changed[FSCERT_MAX_EXTRAS], lock = -1, rc;
	size_t i;

	if (nx == 0)
		return 0;
	if (fscert_target_install_opts(t, &io, err) == -1 ||
	    fscert_install_lock(t->cert_dir, &lock, err) == -1)
		return -1;
	rc = fscert_install_extras_from_dir(&io, x, nx, changed, err);
	fscert_install_unlock(lock);
	for (i = 0; rc == 0 && i < nx; i++)
		if (changed[i] && !g->quiet && !g->json)
			printf("%s: wrote %s/%s (verto) from wss.pem\n",
			    t->name, t->cert_dir, x[i].name);
	return rc;
}

int
run_reload(struct globals *g, struct fscert_config *cfg,
    struct fscert_target *t, const struct rflags *rf, int vars_changed,
    const struct fscert_install_result *inst, const struct fscert_extra *extras,
    size_t nextras, json_t *jout)
{
	struct fscert_rollback_guard guard;
	struct fscert_install_opts io;
	struct fscert_reload_opts o;
	struct fscert_reload_result *r;
	struct fscert_err e, perr;
	char host[256];
	size_t i;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		err(1, "out of memory");
	fscert_err_clear(&e);
	fscert_err_clear(&perr);
	if (reload_opts_for(cfg, t, rf, &o, host, sizeof(host)))
		warn_default_password(g);
	o.vars_changed = vars_changed;
	/* As deploy installs (verto's files after a rollback). */
	if (fscert_target_install_opts(t, &io, &perr) == -1) {
		io.uid = (uid_t)-1;
		io.gid = (gid_t)-1;
	}
	fscert_err_clear(&perr);
	if (inst != NULL) {
		/* Only what this run installed may be undone. */
		memset(&guard, 0, sizeof(guard));
		guard.installed = inst->installed_sha256;
		guard.replaced = inst->backed_up ? inst->replaced_sha256 : "";
		guard.hosts = (const char *const *)t->hosts;
		guard.nhosts = t->nhosts;
		o.rollback = &io;
		o.guard = &guard;
		o.extras = extras;
		o.nextras = nextras;
	}

	(void)fscert_reload(&o, r, &e); /* r->status says how it went */
	if (g->verbose)
		for (i = 0; i < r->nsteps; i++)
			fprintf(stderr, "fscert: %s: %-34s %6ld ms  %s%s\n",
			    t->name, r->steps[i].what, r->steps[i].ms,
			    r->steps[i].ok ? "" : "FAILED ",
			    r->steps[i].detail);
	if (jout != NULL) {
		json_t *jr = steps_json(r);

		/* Why it was not loaded, as the text output says it. */
		if (r->status != FSCERT_RELOAD_OK && e.msg[0] != '\0')
			json_object_set_new(jr, "error", jstr(e.msg));
		if (r->rollback_why[0] != '\0')
			json_object_set_new(
			    jr, "not_rolled_back", jstr(r->rollback_why));
		json_object_set_new(jout, "reload", jr);
	}
	if (r->warning[0] && !g->quiet)
		warnx("warning: %s: %s", t->name, r->warning);
	switch (r->status) {
	case FSCERT_RELOAD_OK:
		(void)fscert_install_set_pending(t->cert_dir, 0, 0, &perr);
		if (!g->quiet && !g->json)
			for (i = 0; i < r->nserved; i++)
				printf("%s: %s serves %.16s... (%s)\n", t->name,
				    r->served[i].endpoint,
				    r->served[i].sha256[0], r->method);
		rc = 0;
		break;
	case FSCERT_RELOAD_DEFERRED:
		if (fscert_install_set_pending(
			t->cert_dir, 1, vars_changed, &perr) == -1)
			warnx("%s: %s", t->name, perr.msg);
		warnx("%s: %s", t->name, e.msg);
		rc = 75;
		break;
	default:
		/*
		 * Not loaded, or the old set put back: either way the next
		 * timer run must try again, unless the rollback left the
		 * served set as the installed one.
		 */
		(void)fscert_install_set_pending(t->cert_dir,
		    r->status != FSCERT_RELOAD_ROLLED_BACK ||
			r->rollback_unloaded,
		    vars_changed, &perr);
		warnx("reload: %s: %s%s%s%s", t->name, e.msg,
		    r->status != FSCERT_RELOAD_ROLLED_BACK ? ""
			: r->rollback_unloaded
			? "; the previous set was put back, but is not "
			  "loaded yet (reload pending)"
			: "; the previous set was put back and is served",
		    r->rollback_why[0] ? "; " : "", r->rollback_why);
		rc = 1;
	}
	free(r);
	return rc;
}
