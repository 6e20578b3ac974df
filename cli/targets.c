/*
 * targets.c: which targets a deploy, status or vars run is about, from
 * the config file, the flags and certbot's RENEWED_LINEAGE.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <err.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Replace *slot with a copy of v (when v is set). */
static void
override(char **slot, const char *v)
{
	if (v == NULL)
		return;
	free(*slot);
	if ((*slot = strdup(v)) == NULL)
		err(1, "out of memory");
}

static void
apply_flags(struct fscert_target *t, const struct tflags *f)
{
	size_t i;

	override(&t->lineage, f->lineage);
	override(&t->cert, f->cert);
	override(&t->key, f->key);
	override(&t->chain, f->chain);
	override(&t->cert_dir, f->cert_dir);
	override(&t->conf_dir, f->conf_dir);
	override(&t->ca_file, f->ca_file);
	override(&t->owner, f->owner);
	override(&t->group, f->group);
	if (f->move_shadowing)
		t->move_shadowing = 1;
	if (f->nhosts > 0) {
		for (i = 0; i < t->nhosts; i++) {
			free(t->hosts[i]);
			t->hosts[i] = NULL;
		}
		t->nhosts = 0;
		for (i = 0; i < f->nhosts && i < FSCERT_MAX_HOSTS; i++)
			override(&t->hosts[t->nhosts++], f->hosts[i]);
	}
}

int
tflags_opt(struct tflags *f, int c, const char *arg)
{
	switch (c) {
	case TF_TARGET:
		f->target = arg;
		break;
	case TF_LINEAGE:
		f->lineage = arg;
		break;
	case TF_CERT:
		f->cert = arg;
		break;
	case TF_KEY:
		f->key = arg;
		break;
	case TF_CHAIN:
		f->chain = arg;
		break;
	case TF_CERT_DIR:
		f->cert_dir = arg;
		break;
	case TF_CONF_DIR:
		f->conf_dir = arg;
		break;
	case TF_HOST:
		if (f->nhosts >= FSCERT_MAX_HOSTS) {
			warnx("more than %d --host names", FSCERT_MAX_HOSTS);
			return -1;
		}
		f->hosts[f->nhosts++] = arg;
		break;
	case TF_CA_FILE:
		f->ca_file = arg;
		break;
	case TF_OWNER:
		f->owner = arg;
		break;
	case TF_GROUP:
		f->group = arg;
		break;
	case TF_MOVE_SHADOWING:
		f->move_shadowing = 1;
		break;
	default:
		return 0; /* not one of ours */
	}
	return 1;
}

int
tflags_positional(struct tflags *f, const char *cmd, int argc, char **argv)
{
	if (argc == 0)
		return 0;
	if (argc > 1) {
		warnx("%s: unexpected argument '%s'", cmd, argv[1]);
		return -1;
	}
	if (f->cert != NULL) {
		warnx("%s: give a lineage '%s' or --cert, not both", cmd,
		    argv[0]);
		return -1;
	}
	if (f->lineage != NULL && strcmp(f->lineage, argv[0]) != 0) {
		warnx("%s: two lineages, '%s' and --lineage '%s'", cmd, argv[0],
		    f->lineage);
		return -1;
	}
	f->lineage = argv[0];
	return 0;
}

/* Do two cert dir paths name the same directory? */
static int
same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (a == NULL || b == NULL)
		return 0;
	if (realpath(a, ra) == NULL || realpath(b, rb) == NULL)
		return strcmp(a, b) == 0;
	return strcmp(ra, rb) == 0;
}

/*
 * A target from the flags alone: the manual one-shot install.  It is a
 * target of its own, even when a configured one has its name: nothing
 * of that one (conf_dir, profiles, owner, hosts...) is taken.
 */
static struct fscert_target *
flag_target(
    struct fscert_config *cfg, const struct tflags *f, const char *lineage)
{
	struct fscert_err e;
	struct fscert_target *t;
	char name[256], *b;

	fscert_err_clear(&e);
	(void)snprintf(name, sizeof(name), "%s",
	    lineage != NULL       ? lineage
		: f->cert != NULL ? f->cert
				  : f->cert_dir);
	b = basename(name);
	if ((t = fscert_config_new_target(cfg, b, &e)) == NULL)
		errx(1, "%s", e.msg);
	if (lineage != NULL)
		override(&t->lineage, lineage);
	return t;
}

int
targets_select(struct globals *g, struct tflags *f, struct fscert_config *cfg,
    struct fscert_target ***out, size_t *n)
{
	struct fscert_target **sel = NULL, *t;
	const char *renewed = getenv("RENEWED_LINEAGE");
	struct fscert_err e;
	size_t i, ns = 0;

	*out = NULL;
	*n = 0;
	fscert_err_clear(&e);
	fscert_config_init(cfg);
	if (fscert_config_load(cfg, g->conf ? g->conf : FSCERT_CONF_DEFAULT,
		g->conf == NULL, &e) == -1) {
		warnx("%s", e.msg);
		return -1;
	}
	/* FSCERT_ESL_PASSWORD when the file has none. */
	if (cfg->esl_password == NULL && g->esl_password != NULL &&
	    (cfg->esl_password = strdup(g->esl_password)) == NULL)
		err(1, "out of memory");
	if ((f->cert != NULL) != (f->key != NULL)) {
		warnx("--cert and --key go together");
		return -2;
	}
	if ((sel = calloc(cfg->ntargets + 1, sizeof(struct fscert_target *))) ==
	    NULL)
		err(1, "out of memory");

	if (f->target != NULL) {
		if ((t = fscert_config_target(cfg, f->target)) == NULL) {
			warnx("%s: no [target %s]",
			    cfg->path ? cfg->path : "no config file",
			    f->target);
			free(sel);
			return -2;
		}
		sel[ns++] = t;
	} else {
		/*
		 * --lineage (or --cert), else certbot's hook variable, else
		 * the targets installing into --cert-dir, else every one.
		 * A lineage and --cert-dir together choose the targets that
		 * install that lineage into that directory: another
		 * target's conf_dir would point FreeSWITCH elsewhere.
		 */
		const char *lin = f->lineage;
		int by_dir = 0, match;

		if (lin == NULL && f->cert == NULL) {
			lin = renewed;
			by_dir = lin == NULL && f->cert_dir != NULL;
		}
		for (i = 0; i < cfg->ntargets; i++) {
			if (by_dir)
				match = same_dir(
				    cfg->targets[i].cert_dir, f->cert_dir);
			else if (lin != NULL)
				match = fscert_target_matches(
					    &cfg->targets[i], lin) &&
				    (f->cert_dir == NULL ||
					same_dir(cfg->targets[i].cert_dir,
					    f->cert_dir));
			else
				match = f->cert == NULL;
			if (match)
				sel[ns++] = &cfg->targets[i];
		}
		if (ns == 0 && f->cert_dir != NULL &&
		    (lin != NULL || f->cert != NULL || by_dir)) {
			/* add_target may move the array: select after. */
			free(sel);
			(void)flag_target(cfg, f, lin);
			if ((sel = calloc(1, sizeof(struct fscert_target *))) ==
			    NULL)
				err(1, "out of memory");
			sel[ns++] = &cfg->targets[cfg->ntargets - 1];
		} else if (ns == 0 && lin != NULL && lin == renewed) {
			/* A hook for a lineage we do not serve: fine. */
			if (g->verbose)
				fprintf(stderr, "fscert: no target uses %s\n",
				    renewed);
			free(sel);
			return 0;
		} else if (ns == 0) {
			warnx("no target: give --lineage DIR (or --cert and "
			      "--key) and --cert-dir DIR, or a config file "
			      "with [target NAME] sections");
			free(sel);
			return -2;
		}
	}
	for (i = 0; i < ns; i++)
		apply_flags(sel[i], f);
	*out = sel;
	*n = ns;
	return 0;
}
