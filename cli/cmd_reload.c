/*
 * cmd_reload.c: fscert reload: make FreeSWITCH load what is installed
 * and verify it is served, for every target (or --target), including a
 * reload an earlier deploy deferred.  Exit 0 done, 1 failed, 2 usage,
 * 75 deferred.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

const char reload_synopsis[] =
    "[--json] [--target NAME] [LINEAGE | --lineage DIR] [--cert-dir DIR]\n"
    "\t[--host NAME]... [--esl HOST:PORT] [--profile NAME]...\n"
    "\t[--verify HOST:PORT]... [--max-wait SECONDS] [--force]";

static int
reload_usage(FILE *f)
{
	print_usage(f, "reload", reload_synopsis);
	return 2;
}

/* Exit statuses in order of badness: 0 < 75 (deferred) < 1 (failed). */
int
worse(int a, int b)
{
	if (a == 1 || b == 1)
		return 1;
	if (a == 75 || b == 75)
		return 75;
	return a > b ? a : b;
}

int
cmd_reload(int argc, char **argv, struct globals *g)
{
	static const struct option opts[] = {
		TFLAGS_LONGOPTS,
		RFLAGS_LONGOPTS,
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	struct fscert_target **sel = NULL;
	struct fscert_fsconf *fc;
	struct fscert_config cfg;
	char warn[1024];
	struct fscert_err e;
	struct tflags f;
	struct rflags rf;
	json_t *root = NULL, *arr = NULL, *o = NULL;
	size_t n = 0, i, nx;
	int c, sr, vars, vp, rc = 0;

	flags_init(&f, &rf);
	while ((c = getopt_long(
		    argc, argv, "h" GLOBAL_SHORTOPTS, opts, NULL)) != -1) {
		if ((sr = shared_opt(g, &f, &rf, c, optarg)) == 1)
			continue;
		if (sr == -1)
			return reload_usage(stderr);
		if (c == 'f')
			rf.force = 1;
		else if (c == 'j')
			g->json = 1;
		else if (c == 'h') {
			(void)reload_usage(stdout);
			return 0;
		} else
			return reload_usage(stderr);
	}
	if (tflags_positional(&f, "reload", argc - optind, argv + optind) == -1)
		return reload_usage(stderr);
	sr = targets_select(g, &f, &cfg, &sel, &n);
	if (sr < 0) {
		fscert_config_free(&cfg);
		return sr == -2 ? reload_usage(stderr) : 1;
	}
	if ((g->json &&
		((root = json_object()) == NULL ||
		    (arr = json_array()) == NULL)) ||
	    (fc = calloc(1, sizeof(*fc))) == NULL)
		errx(1, "out of memory");
	for (i = 0; i < n; i++) {
		if (sel[i]->cert_dir == NULL) {
			warnx("reload: %s: no cert_dir", sel[i]->name);
			rc = 1;
			continue;
		}
		(void)fscert_install_pending(sel[i]->cert_dir, &vars);
		if (g->json &&
		    (o = json_pack("{s:o}", "target", jstr(sel[i]->name))) ==
			NULL)
			errx(1, "out of memory");
		/*
		 * Where FreeSWITCH reads, as deploy asks: a directory it does
		 * not read is an error, and verto's own files (not written by
		 * a deploy --no-reload) are written from wss.pem first.
		 */
		fscert_err_clear(&e);
		if (consumers_check(g, &cfg, sel[i], &rf, 1, fc, x, &nx, &vp,
			warn, sizeof(warn), &e) == -1 ||
		    verto_files(g, sel[i], x, nx, &e) == -1) {
			warnx("reload: %s: %s", sel[i]->name, e.msg);
			rc = 1;
			if (o != NULL) {
				json_object_set_new(o, "error", jstr(e.msg));
				json_object_set_new(o, "consumers",
				    consumers_json(fc, &cfg, sel[i], &rf));
				json_array_append_new(arr, o);
			}
			continue;
		}
		/* NULL: a plain reload installed nothing, rolls nothing back. */
		rc = worse(rc,
		    run_reload(g, &cfg, sel[i], &rf, vars, NULL, NULL, 0, o));
		if (o != NULL)
			json_array_append_new(arr, o);
	}
	if (root != NULL) {
		json_object_set_new(root, "targets", arr);
		json_object_set_new(root, "exit", json_integer(rc));
		json_print(root);
	}
	free(fc);
	free(sel);
	fscert_config_free(&cfg);
	return rc;
}
