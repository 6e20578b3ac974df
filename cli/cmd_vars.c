/*
 * cmd_vars.c: fscert vars: print the vars fragment of a target, or with
 * --write write it into the conf dir (the fragment alone: the include
 * line in vars.xml is deploy's business, as is reloading).
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <err.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char vars_synopsis[] =
    "[--target NAME] [--cert-dir DIR] [--conf-dir DIR] [--write]";

static int
vars_usage(FILE *f)
{
	print_usage(f, "vars", vars_synopsis);
	return 2;
}

int
cmd_vars(int argc, char **argv, struct globals *g)
{
	static const struct option opts[] = {
		TFLAGS_LONGOPTS,
		{ "write", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fscert_target **sel = NULL, *t;
	struct fscert_buf out = { 0 };
	struct fscert_config cfg;
	struct fscert_err e;
	struct tflags f;
	const char *frag;
	char dir[PATH_MAX];
	size_t n = 0, i;
	int c, sr, write = 0, changed = 0, rc = 0;

	memset(&f, 0, sizeof(f));
	while ((c = getopt_long(
		    argc, argv, "h" GLOBAL_SHORTOPTS, opts, NULL)) != -1) {
		if (global_opt(g, c))
			continue;
		if ((sr = tflags_opt(&f, c, optarg)) == 1)
			continue;
		if (sr == -1)
			return vars_usage(stderr);
		if (c == 'w')
			write = 1;
		else if (c == 'h') {
			(void)vars_usage(stdout);
			return 0;
		} else
			return vars_usage(stderr);
	}
	if (tflags_positional(&f, "vars", argc - optind, argv + optind) == -1)
		return vars_usage(stderr);
	sr = targets_select(g, &f, &cfg, &sel, &n);
	if (sr < 0) {
		fscert_config_free(&cfg);
		return sr == -2 ? vars_usage(stderr) : 1;
	}
	for (i = 0; i < n; i++) {
		t = sel[i];
		fscert_err_clear(&e);
		memset(&out, 0, sizeof(out));
		frag = t->vars_file ? t->vars_file : FSCERT_VARS_FILE;
		if (t->cert_dir == NULL || (write && t->conf_dir == NULL)) {
			warnx("vars: %s: %s", t->name,
			    t->cert_dir == NULL ? "no cert_dir"
						: "--write needs --conf-dir");
			rc = 1;
			continue;
		}
		if (write && !t->vars) {
			/* vars = no: the admin keeps the fragment. */
			if (!g->quiet)
				printf("%s: vars = no: nothing written\n",
				    t->name);
			continue;
		}
		/*
		 * As deploy writes it: FreeSWITCH needs an absolute path, of
		 * a directory that exists.
		 */
		if (realpath(t->cert_dir, dir) == NULL) {
			warn("vars: %s: %s", t->name, t->cert_dir);
			rc = 1;
			continue;
		}
		if (fscert_vars_render(t, dir, &out, &e) == -1 ||
		    (write &&
			fscert_install_file(t->conf_dir, frag, out.data,
			    out.len, 0644, 0, &changed, &e) == -1)) {
			warnx("vars: %s: %s", t->name, e.msg);
			rc = 1;
		} else if (!write)
			(void)fwrite(out.data, 1, out.len, stdout);
		else if (!g->quiet)
			printf("%s: %s/%s %s\n", t->name, t->conf_dir, frag,
			    changed ? "written" : "already current");
		fscert_buf_free(&out);
	}
	free(sel);
	fscert_config_free(&cfg);
	return rc;
}
