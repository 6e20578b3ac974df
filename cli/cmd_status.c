/*
 * cmd_status.c: fscert status: per target, what the lineage holds, what
 * is installed, whether they match and how many days are left.
 * Exit 0 when every target's installed set matches its lineage, else 1.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

const char status_synopsis[] =
    "[--json] [--target NAME] [LINEAGE | --lineage DIR |\n"
    "\t--cert FILE --key FILE [--chain FILE]] [--cert-dir DIR] [--host NAME]...\n"
    "\t[--ca-file FILE] [--esl HOST:PORT] [--verify HOST:PORT]...";

static int
status_usage(FILE *f)
{
	print_usage(f, "status", status_synopsis);
	return 2;
}

static json_t *
side_json(const char *path, const struct fscert_report *r)
{
	json_t *o;

	o = json_pack("{s:o, s:s}", "path", jstr(path), "status",
	    fscert_sev_name(r->worst));
	if (o == NULL)
		errx(1, "out of memory");
	if (r->sha256[0] != '\0') {
		json_object_set_new(o, "sha256", jstr(r->sha256));
		json_object_set_new(o, "subject", jstr(r->subject));
		json_object_set_new(o, "not_after", jstr(r->not_after));
		json_object_set_new(o, "days_left", json_integer(r->days_left));
	}
	json_object_set_new(o, "findings", findings_json(r));
	return o;
}

static void
side_text(const char *name, const char *what, const char *path,
    const struct fscert_report *r)
{
	size_t i;

	if (r->sha256[0] != '\0')
		printf("%s: %-9s %s: '%s' sha256 %.16s... expires %s "
		       "(%ld days) %s\n",
		    name, what, path, r->subject, r->sha256, r->not_after,
		    r->days_left, fscert_sev_name(r->worst));
	else
		printf("%s: %-9s %s: %s\n", name, what, path,
		    fscert_sev_name(r->worst));
	for (i = 0; i < r->nfindings; i++)
		printf("    %s: %s\n",
		    r->findings[i].sev == FSCERT_SEV_CRIT     ? "critical"
			: r->findings[i].sev == FSCERT_SEV_OK ? "note"
							      : "warning",
		    r->findings[i].msg);
}

/*
 * What clients are served, per endpoint (--verify or the target's
 * verify keys, else discovered over the event socket), when there is a
 * way to know: an endpoint or an event socket configured.  Printed, or
 * added to jo.  -1 when an endpoint serves another leaf (or none); an
 * event socket out of reach is reported, not counted as a failure.
 */
static int
served(struct globals *g, struct fscert_config *cfg, struct fscert_target *t,
    const struct rflags *rf, const struct fscert_report *inst, json_t *jo)
{
	struct fscert_reload_opts o;
	struct fscert_reload_result *r;
	struct fscert_err e;
	json_t *arr = NULL;
	char host[256];
	size_t i;
	int ok, dflt, rc = 0;

	dflt = reload_opts_for(cfg, t, rf, &o, host, sizeof(host));
	if (o.nverify == 0 && rf->esl == NULL && cfg->esl_host == NULL &&
	    cfg->esl_password == NULL)
		return 0;
	if (dflt && o.nverify == 0)
		warn_default_password(g);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		err(1, "out of memory");
	fscert_err_clear(&e);
	if (jo != NULL && (arr = json_array()) == NULL)
		errx(1, "out of memory");
	if (fscert_reload_served(&o, r, &e) == -1) {
		if (jo != NULL)
			json_object_set_new(jo, "served_error", jstr(e.msg));
		else
			printf("%s: served    unknown: %s\n", t->name, e.msg);
		/*
		 * Unknown is not wrong: status compares lineage and cert
		 * dir whether or not FreeSWITCH is up.
		 */
	}
	for (i = 0; i < r->nserved; i++) {
		const struct fscert_probe *p = &r->served[i];

		ok = p->ok && strcmp(p->sha256[0], inst->sha256) == 0;
		if (!ok)
			rc = -1;
		if (jo != NULL)
			json_array_append_new(arr,
			    json_pack("{s:o, s:b, s:o, s:b}", "endpoint",
				jstr(p->endpoint), "ok", p->ok, "leaf_sha256",
				jstr(p->sha256[0]), "matches_installed", ok));
		else if (p->ok)
			printf("%s: served    %s: sha256 %.16s... %s\n",
			    t->name, p->endpoint, p->sha256[0],
			    ok ? "(the installed leaf)"
			       : "NOT the installed leaf: run fscert reload");
		else
			printf("%s: served    %s: %s\n", t->name, p->endpoint,
			    p->error);
	}
	if (jo != NULL)
		json_object_set_new(jo, "served", arr);
	free(r);
	return rc;
}

/*
 * Who in FreeSWITCH reads certificates for t, from where (asked over
 * the event socket, as served() does); printed, or added to jo.  -1
 * when one of them does not read from t's cert dir.
 */
static int
readers(struct fscert_config *cfg, struct fscert_target *t,
    const struct rflags *rf, json_t *jo)
{
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	struct fscert_reload_opts o;
	const struct fscert_consumer *c;
	struct fscert_fsconf *fc;
	struct fscert_err e;
	char host[256];
	size_t i, nx;
	int vp, peers, rc = 0;

	(void)reload_opts_for(cfg, t, rf, &o, host, sizeof(host));
	if (rf->esl == NULL && cfg->esl_host == NULL &&
	    cfg->esl_password == NULL)
		return 0;
	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		err(1, "out of memory");
	fscert_err_clear(&e);
	if (fscert_fsconf_fetch(fc, o.esl_host, o.esl_port, o.esl_password,
		o.esl_timeout_ms, &e) == -1) {
		if (jo != NULL)
			json_object_set_new(jo, "consumers_error", jstr(e.msg));
		else
			printf("%s: readers   unknown: %s\n", t->name, e.msg);
		free(fc);
		return 0;
	}
	if (fscert_fsconf_check(fc, t->cert_dir, o.profiles, o.nprofiles,
		t->name, x, &nx, &vp, &e) == -1)
		rc = -1;
	if (jo != NULL) {
		json_object_set_new(
		    jo, "consumers", consumers_json(fc, cfg, t, rf));
		if (rc == -1)
			json_object_set_new(jo, "consumers_error", jstr(e.msg));
	}
	for (i = 0; jo == NULL && i < fc->n; i++) {
		c = &fc->c[i];
		if (!fscert_consumer_wanted(c, o.profiles, o.nprofiles))
			continue;
		peers = c->verify_policy[0] != '\0' &&
		    strcmp(c->verify_policy, "none") != 0;
		if (c->kind == FSCERT_CONSUMER_SOFIA)
			printf("%s: reader    sofia profile %s: %s (%s): "
			       "agent.pem, cafile.pem, wss.pem%s%s\n",
			    t->name, c->name, c->dir, c->source,
			    peers ? "; verifies peers: " : "",
			    peers ? c->verify_policy : "");
		else
			printf("%s: reader    verto profile %s: cert %s, key "
			       "%s, chain %s\n",
			    t->name, c->name, c->cert, c->key,
			    c->chain[0] ? c->chain : "(none)");
	}
	if (jo == NULL && rc == -1)
		printf("%s: readers   WRONG: %s\n", t->name, e.msg);
	free(fc);
	return rc;
}

int
cmd_status(int argc, char **argv, struct globals *g)
{
	static const struct option opts[] = {
		TFLAGS_LONGOPTS,
		RFLAGS_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fscert_report *src = NULL, *inst = NULL;
	struct fscert_target **sel = NULL, *t;
	struct fscert_policy p;
	struct fscert_config cfg;
	struct fscert_err e;
	struct tflags f;
	struct rflags rf;
	json_t *root = NULL, *arr = NULL, *o;
	size_t n = 0, i;
	int c, sr, json = g->json, match, pending, pvars, rc = 0;

	flags_init(&f, &rf);
	while ((c = getopt_long(
		    argc, argv, "h" GLOBAL_SHORTOPTS, opts, NULL)) != -1) {
		if ((sr = shared_opt(g, &f, &rf, c, optarg)) == 1)
			continue;
		if (sr == -1)
			return status_usage(stderr);
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			(void)status_usage(stdout);
			return 0;
		} else
			return status_usage(stderr);
	}
	if (tflags_positional(&f, "status", argc - optind, argv + optind) == -1)
		return status_usage(stderr);
	sr = targets_select(g, &f, &cfg, &sel, &n);
	if (sr < 0) {
		fscert_config_free(&cfg);
		return sr == -2 ? status_usage(stderr) : 1;
	}
	if (json &&
	    ((root = json_object()) == NULL || (arr = json_array()) == NULL))
		errx(1, "out of memory");
	for (i = 0; i < n; i++) {
		t = sel[i];
		fscert_err_clear(&e);
		fscert_policy_init(&p);
		p.hosts = (const char *const *)t->hosts;
		p.nhosts = t->nhosts;
		p.ca_file = t->ca_file;
		p.warn_days = cfg.warn_days;
		(void)fscert_key_types_parse(
		    fscert_target_key_types(t, &cfg), &p.key_types, NULL);
		p.crit_days = cfg.crit_days;
		if (t->lineage == NULL && t->cert == NULL) {
			warnx("status: %s: no lineage: give --lineage, or a "
			      "[target] with lineage = DIR",
			    t->name);
			rc = 1;
			continue;
		}
		src = t->lineage != NULL
		    ? fscert_check_path(t->lineage, &p, &e)
		    : fscert_check_files(t->cert, t->key, t->chain, &p, &e);
		inst = t->cert_dir != NULL
		    ? fscert_check_path(t->cert_dir, &p, &e)
		    : NULL;
		if (src == NULL || inst == NULL) {
			warnx("status: %s: %s", t->name,
			    e.msg[0] ? e.msg : "no cert_dir");
			rc = 1;
			goto next;
		}
		match = src->sha256[0] != '\0' &&
		    strcmp(src->sha256, inst->sha256) == 0;
		pending = fscert_install_pending(t->cert_dir, &pvars);
		if (!match || inst->worst == FSCERT_SEV_CRIT)
			rc = 1;
		if (json) {
			o = json_pack("{s:o, s:o, s:o, s:b}", "target",
			    jstr(t->name), "lineage",
			    side_json(t->lineage ? t->lineage : t->cert, src),
			    "installed", side_json(t->cert_dir, inst), "match",
			    match);
			json_object_set_new(
			    o, "reload_pending", json_boolean(pending));
			if (readers(&cfg, t, &rf, o) == -1)
				rc = 1;
			if (served(g, &cfg, t, &rf, inst, o) == -1)
				rc = 1;
			json_array_append_new(arr, o);
		} else {
			side_text(t->name, "lineage",
			    t->lineage ? t->lineage : t->cert, src);
			side_text(t->name, "installed", t->cert_dir, inst);
			printf("%s: %s\n", t->name,
			    match
				? "installed set matches the lineage"
				: "installed set DIFFERS from the lineage: run "
				  "fscert deploy");
			if (pending)
				printf("%s: a reload is pending (deferred or "
				       "failed): run fscert reload\n",
				    t->name);
			if (readers(&cfg, t, &rf, NULL) == -1)
				rc = 1;
			if (served(g, &cfg, t, &rf, inst, NULL) == -1)
				rc = 1;
		}
	next:
		fscert_report_free(src);
		fscert_report_free(inst);
		src = inst = NULL;
	}
	if (json) {
		json_object_set_new(root, "targets", arr);
		json_object_set_new(root, "exit", json_integer(rc));
		json_print(root);
	}
	free(sel);
	fscert_config_free(&cfg);
	return rc;
}
