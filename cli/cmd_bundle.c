/*
 * cmd_bundle.c: fscert bundle: validate, then write agent.pem,
 * cafile.pem and wss.pem into a directory.  Exit 0 written, 1 refused
 * or failed (the directory untouched), 2 usage.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"

const char bundle_synopsis[] =
    "[--json] [--host NAME]... [--ca-file FILE]\n"
    "\t[--cert FILE --key FILE [--chain FILE]] [PATH] -o DIR";

static int
bundle_usage(FILE *f)
{
	print_usage(f, "bundle", bundle_synopsis);
	return 2;
}

int
cmd_bundle(int argc, char **argv, struct globals *g)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "cert", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "chain", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **hosts = NULL, *cert = NULL, *key = NULL, *chain = NULL;
	const char *out = NULL, *src = NULL;
	struct fscert_lineage *l = NULL;
	struct fscert_report *r = NULL;
	struct fscert_bundle b = { 0 };
	struct fscert_policy p;
	struct fscert_err e;
	char line[1024];
	size_t nhosts = 0, i;
	int c, rc = 2;

	fscert_policy_init(&p);
	fscert_err_clear(&e);
	while ((c = getopt_long(
		    argc, argv, "h" GLOBAL_SHORTOPTS "o:", opts, NULL)) != -1) {
		if (global_opt(g, c))
			continue;
		switch (c) {
		case 'H':
			hosts_add(&hosts, &nhosts, optarg);
			break;
		case 'C':
			p.ca_file = optarg;
			break;
		case 'e':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'a':
			chain = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			g->json = 1;
			break;
		case 'h':
			(void)bundle_usage(stdout);
			rc = 0;
			goto done;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (out == NULL) {
		warnx("bundle: -o DIR is required");
		goto usage;
	}
	if ((cert != NULL) != (key != NULL) ||
	    (chain != NULL && cert == NULL) || (cert != NULL) == (argc == 1) ||
	    argc > 1) {
		warnx("bundle: give one lineage PATH, or --cert and --key");
		goto usage;
	}
	p.hosts = hosts;
	p.nhosts = nhosts;
	src = cert != NULL ? cert : argv[0];

	rc = 1;
	l = cert != NULL ? fscert_lineage_open_files(cert, key, chain, &e)
			 : fscert_lineage_open_dir(argv[0], &e);
	if (l == NULL) {
		warnx("bundle: %s",
		    cert ? e.msg
			 : with_path(line, sizeof(line), argv[0], e.msg));
		goto done;
	}
	if ((r = fscert_validate(l, &p, &e)) == NULL) {
		warnx("bundle: %s", e.msg);
		goto done;
	}
	for (i = 0; i < r->nfindings; i++) {
		if (r->findings[i].refuse)
			warnx("bundle: %s: %s", src, r->findings[i].msg);
		else if (!g->quiet)
			warnx("%s: %s: %s",
			    r->findings[i].sev == FSCERT_SEV_OK ? "note"
								: "warning",
			    src, r->findings[i].msg);
	}
	if (r->refused) {
		warnx("bundle: %s: refused, nothing written to '%s'", src, out);
		goto done;
	}
	if (fscert_bundle_build(l, NULL, &b, &e) == -1 ||
	    fscert_bundle_write(&b, out, 0600, &e) == -1) {
		warnx("bundle: %s", e.msg);
		goto done;
	}
	if (!g->quiet && !g->json)
		printf("%s: wrote %s/agent.pem %s/cafile.pem %s/wss.pem\n", src,
		    out, out, out);
	rc = 0;
	goto done;
usage:
	rc = bundle_usage(stderr);
	return rc;
done:
	if (g->json && rc != 2 && src != NULL)
		json_print(json_pack("{s:o, s:o, s:s, s:o, s:o}", "path",
		    jstr(src), "dir", jstr(out), "status",
		    rc == 0                       ? "written"
			: r != NULL && r->refused ? "refused"
						  : "failed",
		    "findings", findings_json(r), "error",
		    jstr(e.msg[0] ? e.msg : NULL)));
	fscert_bundle_free(&b);
	fscert_report_free(r);
	fscert_lineage_free(l);
	free(hosts);
	return rc;
}
