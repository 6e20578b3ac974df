/*
 * cmd_check.c: fscert check, a monitoring plugin as much as a command:
 * exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, the worst over all paths.
 */
#include <err.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define EXIT_UNKNOWN 3

enum fmt { FMT_TEXT, FMT_JSON, FMT_NAGIOS };

static const char *const kind_names[FSCERT_KIND__MAX] = {
	"live",
	"files",
	"installed",
};

/*
 * The paths of every configured target: its lineage, then its cert
 * dir.  *argvp becomes a new array (the strings belong to cfg).
 */
static int
config_paths(
    struct globals *g, struct fscert_config *cfg, int *argcp, char ***argvp)
{
	struct fscert_err e;
	char **v;
	size_t i;
	int n = 0;

	fscert_err_clear(&e);
	if (fscert_config_load(cfg, g->conf ? g->conf : FSCERT_CONF_DEFAULT,
		g->conf == NULL, &e) == -1) {
		warnx("%s", e.msg); /* names FILE:LINE, as every command */
		return -1;
	}
	if ((v = calloc(2 * cfg->ntargets + 1, sizeof(*v))) == NULL)
		err(EXIT_UNKNOWN, "out of memory");
	for (i = 0; i < cfg->ntargets; i++) {
		if (cfg->targets[i].lineage != NULL)
			v[n++] = cfg->targets[i].lineage;
		if (cfg->targets[i].cert_dir != NULL)
			v[n++] = cfg->targets[i].cert_dir;
	}
	*argcp = n;
	*argvp = v;
	return 0;
}

const char check_synopsis[] =
    "[--json|--nagios] [--host NAME]... [--ca-file FILE]\n"
    "\t[--warn-days N] [--crit-days N] [--key-types rsa|rsa,ecdsa]\n"
    "\t[--cert FILE --key FILE [--chain FILE]]\n"
    "\t[PATH...]";

static int
check_usage(FILE *f)
{
	print_usage(f, "check", check_synopsis);
	return EXIT_UNKNOWN;
}

/* The first finding of the worst severity, or NULL (none, or notes). */
static const struct fscert_finding *
worst_finding(const struct fscert_report *r)
{
	size_t j;

	if (r->worst == FSCERT_SEV_OK)
		return NULL;
	for (j = 0; j < r->nfindings; j++)
		if (r->findings[j].sev == r->worst)
			return &r->findings[j];
	return NULL;
}

/* The last component of path (no trailing slash), without copying. */
static size_t
last_len(const char *path, const char **start)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	*start = path + n;
	while (*start > path && (*start)[-1] != '/')
		(*start)--;
	return (size_t)(path + n - *start);
}

static json_t *
report_json(const char *path, const struct fscert_report *r)
{
	json_t *o, *names;
	char *copy, *tok, *save = NULL;

	o = json_pack("{s:o, s:s, s:s}", "path", jstr(path), "kind",
	    kind_names[r->kind], "status", fscert_sev_name(r->worst));
	if (o == NULL)
		errx(EXIT_UNKNOWN, "out of memory");
	if (r->subject[0] != '\0') {
		names = json_array();
		if ((copy = strdup(r->names)) == NULL || names == NULL)
			errx(EXIT_UNKNOWN, "out of memory");
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save))
			json_array_append_new(names, jstr(tok));
		free(copy);
		json_object_set_new(o, "subject", jstr(r->subject));
		json_object_set_new(o, "issuer", jstr(r->issuer));
		json_object_set_new(o, "not_after", jstr(r->not_after));
		json_object_set_new(o, "days_left", json_integer(r->days_left));
		json_object_set_new(o, "sha256", jstr(r->sha256));
		json_object_set_new(o, "key_type", jstr(r->key_type));
		json_object_set_new(o, "key_bits", json_integer(r->key_bits));
		json_object_set_new(
		    o, "chain_length", json_integer(r->chain_len));
		json_object_set_new(o, "names", names);
	}
	json_object_set_new(o, "findings", findings_json(r));
	return o;
}

/*
 * Output goes out as each path is checked, so that memory does not
 * grow with the number of paths (10,000 lineages in one run): text and
 * JSON stream; only the Nagios line, whose status comes first, is
 * gathered, and it is as long as the output itself.
 */
struct run {
	enum fmt fmt;
	int quiet;
	char *const *paths; /* every path, for Nagios labels */
	size_t npaths;
	size_t done;
	enum fscert_sev worst;
	const struct fscert_policy *p;
	struct fscert_buf summary;
	struct fscert_buf perf;
};

/* Append a formatted string to b; exits on ENOMEM (a CLI matter). */
static void
bprintf(struct fscert_buf *b, const char *fmt, ...)
{
	struct fscert_err e;
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fscert_err_clear(&e);
	if (n > 0 &&
	    fscert_buf_append(b, line,
		(size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
		&e) == -1)
		errx(EXIT_UNKNOWN, "%s", e.msg);
}

/* The perfdata label of path: its last component, unless shared. */
static const char *
label_of(const struct run *ru, const char *path, char *buf, size_t len)
{
	const char *a, *b;
	size_t al, bl, j;

	al = last_len(path, &a);
	for (j = 0; j < ru->npaths; j++) {
		bl = last_len(ru->paths[j], &b);
		if (ru->paths[j] != path && al == bl && memcmp(a, b, al) == 0)
			return path;
	}
	(void)snprintf(buf, len, "%.*s", (int)al, a);
	return buf;
}

static void
emit_text(const struct run *ru, const char *path, const struct fscert_report *r)
{
	const struct fscert_finding *f;
	size_t j;

	if (ru->quiet && r->worst == FSCERT_SEV_OK)
		return;
	if (r->subject[0] != '\0')
		printf("%s: %s - '%s' expires %s (%ld days)\n", path,
		    fscert_sev_name(r->worst), r->subject, r->not_after,
		    r->days_left);
	else
		printf("%s: %s - cannot be read\n", path,
		    fscert_sev_name(r->worst));
	for (j = 0; j < r->nfindings; j++) {
		f = &r->findings[j];
		printf("  %s: %s\n",
		    f->sev == FSCERT_SEV_CRIT       ? "critical"
			: f->sev == FSCERT_SEV_WARN ? "warning"
						    : "note",
		    f->msg);
	}
}

static void
emit_json(struct run *ru, const char *path, const struct fscert_report *r)
{
	json_t *o = report_json(path, r);
	char *text, *c;

	if ((text = json_dumps(o, JSON_INDENT(2))) == NULL)
		errx(EXIT_UNKNOWN, "out of memory");
	printf("%s    ", ru->done == 0 ? "{\n  \"paths\": [\n" : ",\n");
	for (c = text; *c != '\0'; c++) {
		putchar(*c);
		if (*c == '\n')
			fputs("    ", stdout);
	}
	free(text);
	json_decref(o);
}

static void
emit_nagios(struct run *ru, const char *path, const struct fscert_report *r)
{
	const struct fscert_finding *f = worst_finding(r);
	char line[1024], label[256];
	const char *c;

	if (ru->done > 0)
		bprintf(&ru->summary, "; ");
	if (f != NULL)
		bprintf(&ru->summary, "%s",
		    with_path(line, sizeof(line), path, f->msg));
	else
		bprintf(&ru->summary, "%s: '%s' expires in %ld days", path,
		    r->subject, r->days_left);
	if (r->subject[0] == '\0')
		return; /* unreadable: no figure to give */
	bprintf(&ru->perf, "%s", ru->perf.len == 0 ? "|" : " ");
	if (ru->npaths == 1) {
		bprintf(&ru->perf, "days=%ld;%d;%d;;", r->days_left,
		    ru->p->warn_days, ru->p->crit_days);
		return;
	}
	/*
	 * One label per path: its last component, or the whole path when
	 * two share it.  A quote or an equals sign would end the label.
	 */
	bprintf(&ru->perf, "'days_");
	for (c = label_of(ru, path, label, sizeof(label)); *c != '\0'; c++)
		bprintf(&ru->perf, "%c", *c == '\'' || *c == '=' ? '_' : *c);
	bprintf(&ru->perf, "'=%ld;%d;%d;;", r->days_left, ru->p->warn_days,
	    ru->p->crit_days);
}

/* Report one path, then let its report go. */
static void
emit(struct run *ru, const char *path, struct fscert_report *r)
{
	if (r->worst > ru->worst)
		ru->worst = r->worst;
	if (ru->fmt == FMT_JSON)
		emit_json(ru, path, r);
	else if (ru->fmt == FMT_NAGIOS)
		emit_nagios(ru, path, r);
	else
		emit_text(ru, path, r);
	ru->done++;
	fscert_report_free(r);
}

static void
finish(struct run *ru)
{
	if (ru->fmt == FMT_JSON)
		printf("\n  ],\n  \"status\": \"%s\",\n  \"exit\": %d\n}\n",
		    fscert_sev_name(ru->worst), (int)ru->worst);
	else if (ru->fmt == FMT_NAGIOS)
		printf("FSCERT %s - %.*s%.*s\n", fscert_sev_name(ru->worst),
		    (int)ru->summary.len, (const char *)ru->summary.data,
		    (int)ru->perf.len, (const char *)ru->perf.data);
	fscert_buf_free(&ru->summary);
	fscert_buf_free(&ru->perf);
}

int
cmd_check(int argc, char **argv, struct globals *g)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "warn-days", required_argument, NULL, 'w' },
		{ "crit-days", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "nagios", no_argument, NULL, 'n' },
		{ "cert", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "chain", required_argument, NULL, 'a' },
		{ "key-types", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **hosts = NULL, *cert = NULL, *key = NULL, *chain = NULL;
	struct fscert_policy p;
	struct fscert_err e;
	struct fscert_report *r;
	struct run ru;
	enum fmt fmt = g->json ? FMT_JSON : FMT_TEXT;
	struct fscert_config cfg;
	char **cfgpaths = NULL, **all = NULL;
	size_t nhosts = 0, i;
	int c, rc = EXIT_UNKNOWN;

	fscert_policy_init(&p);
	fscert_err_clear(&e);
	fscert_config_init(&cfg);
	while ((c = getopt_long(
		    argc, argv, "h" GLOBAL_SHORTOPTS, opts, NULL)) != -1) {
		if (global_opt(g, c))
			continue;
		switch (c) {
		case 'H':
			hosts_add(&hosts, &nhosts, optarg);
			break;
		case 'C':
			p.ca_file = optarg;
			break;
		case 'w':
		case 'x':
			if (parse_days(optarg) == -1) {
				warnx("check: --%s: '%s' is not a number of "
				      "days",
				    c == 'w' ? "warn-days" : "crit-days",
				    optarg);
				goto out;
			}
			*(c == 'w' ? &p.warn_days : &p.crit_days) =
			    parse_days(optarg);
			break;
		case 'j':
		case 'n':
			if (fmt != FMT_TEXT &&
			    fmt != (c == 'j' ? FMT_JSON : FMT_NAGIOS)) {
				warnx("check: --json and --nagios exclude each "
				      "other");
				goto out;
			}
			fmt = c == 'j' ? FMT_JSON : FMT_NAGIOS;
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
		case 'K':
			if (fscert_key_types_parse(optarg, &p.key_types, &e) ==
			    -1) {
				warnx("check: --key-types: %s", e.msg);
				goto out;
			}
			break;
		case 'h':
			(void)check_usage(stdout);
			rc = 0;
			goto out;
		default:
			(void)check_usage(stderr);
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if ((cert != NULL) != (key != NULL) ||
	    (chain != NULL && cert == NULL)) {
		warnx("check: --cert and --key go together (--chain needs "
		      "them)");
		goto out;
	}
	if (argc == 0 && cert == NULL) {
		/* No path: every configured target's lineage and cert dir. */
		if (config_paths(g, &cfg, &argc, &argv) == -1)
			goto out;
		cfgpaths = argv;
		if (argc == 0) {
			warnx("check: no lineage given, and no [target] in %s",
			    g->conf ? g->conf : FSCERT_CONF_DEFAULT);
			(void)check_usage(stderr);
			goto out;
		}
	}
	p.hosts = hosts;
	p.nhosts = nhosts;
	/* One trust store for the whole run, not one per lineage. */
	if (fscert_policy_load(&p, &e) == -1)
		goto fail;

	memset(&ru, 0, sizeof(ru));
	ru.fmt = fmt;
	ru.quiet = g->quiet;
	/* The labels are drawn from every path: --cert's, then the rest. */
	if ((all = calloc((size_t)argc + 1, sizeof(*all))) == NULL)
		errx(EXIT_UNKNOWN, "out of memory");
	all[0] = (char *)cert;
	for (i = 0; i < (size_t)argc; i++)
		all[i + 1] = argv[i];
	ru.paths = cert != NULL ? all : all + 1;
	ru.npaths = (size_t)argc + (cert != NULL);
	ru.p = &p;
	if (cert != NULL) {
		if ((r = fscert_check_files(cert, key, chain, &p, &e)) == NULL)
			goto fail;
		emit(&ru, cert, r);
	}
	for (i = 0; i < (size_t)argc; i++) {
		if ((r = fscert_check_path(argv[i], &p, &e)) == NULL)
			goto fail;
		emit(&ru, argv[i], r);
	}
	finish(&ru);
	rc = (int)ru.worst;
	goto out;
fail:
	/* An internal failure (unusable --ca-file, memory): UNKNOWN. */
	if (fmt == FMT_NAGIOS)
		printf("FSCERT UNKNOWN - %s\n", e.msg);
	else
		warnx("check: %s", e.msg);
	rc = EXIT_UNKNOWN;
out:
	free(hosts);
	free(all);
	free(cfgpaths);
	fscert_config_free(&cfg);
	fscert_policy_clear(&p);
	return rc;
}
