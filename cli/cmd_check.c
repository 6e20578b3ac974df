/*
 * cmd_check.c: fscert check, a monitoring plugin as much as a command:
 * exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, the worst over all paths.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define EXIT_UNKNOWN 3

enum fmt { FMT_TEXT, FMT_JSON, FMT_NAGIOS };

struct item {
	const char *path;
	struct fscert_report *r;
};

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
		warnx("check: %s", e.msg);
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
    "\t[--warn-days N] [--crit-days N] [--cert FILE --key FILE [--chain FILE]]\n"
    "\t[PATH...]";

static int
check_usage(FILE *f)
{
	print_usage(f, "check", check_synopsis);
	return EXIT_UNKNOWN;
}

static void
print_text(const struct item *it, size_t n, int quiet)
{
	const struct fscert_finding *f;
	const struct fscert_report *r;
	size_t i, j;

	for (i = 0; i < n; i++) {
		r = it[i].r;
		if (quiet && r->worst == FSCERT_SEV_OK)
			continue;
		if (r->subject[0] != '\0')
			printf("%s: %s - '%s' expires %s (%ld days)\n",
			    it[i].path, fscert_sev_name(r->worst), r->subject,
			    r->not_after, r->days_left);
		else
			printf("%s: %s - cannot be read\n", it[i].path,
			    fscert_sev_name(r->worst));
		for (j = 0; j < r->nfindings; j++) {
			f = &r->findings[j];
			printf("  %s: %s\n",
			    f->sev == FSCERT_SEV_CRIT ? "critical" : "warning",
			    f->msg);
		}
	}
}

/* The first finding of the worst severity, or NULL. */
static const struct fscert_finding *
worst_finding(const struct fscert_report *r)
{
	size_t j;

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

/* The perfdata label of item i: its basename unless another shares it. */
static const char *
label_of(const struct item *it, size_t n, size_t i)
{
	static char buf[256];
	const char *a, *b;
	size_t al, bl, j;

	al = last_len(it[i].path, &a);
	for (j = 0; j < n; j++) {
		bl = last_len(it[j].path, &b);
		if (j != i && al == bl && memcmp(a, b, al) == 0)
			return it[i].path;
	}
	(void)snprintf(buf, sizeof(buf), "%.*s", (int)al, a);
	return buf;
}

static void
print_nagios(const struct item *it, size_t n, enum fscert_sev worst,
    const struct fscert_policy *p)
{
	const struct fscert_finding *f;
	const char *sep = "|";
	char line[1024];
	size_t i;

	printf("FSCERT %s - ", fscert_sev_name(worst));
	for (i = 0; i < n; i++) {
		f = worst_finding(it[i].r);
		if (i > 0)
			printf("; ");
		if (f != NULL)
			printf("%s",
			    with_path(line, sizeof(line), it[i].path, f->msg));
		else
			printf("%s: '%s' expires in %ld days", it[i].path,
			    it[i].r->subject, it[i].r->days_left);
	}
	for (i = 0; i < n; i++) {
		if (it[i].r->subject[0] == '\0')
			continue; /* unreadable: no figure to give */
		printf("%s", sep);
		sep = " ";
		if (n == 1) {
			printf("days=%ld;%d;%d;;", it[i].r->days_left,
			    p->warn_days, p->crit_days);
			continue;
		}
		/*
		 * One label per path: its last component, or the whole
		 * path when two share it.  A quote or an equals sign would
		 * end the label.
		 */
		printf("'days_");
		for (const char *c = label_of(it, n, i); *c != '\0'; c++)
			putchar(*c == '\'' || *c == '=' ? '_' : *c);
		printf("'=%ld;%d;%d;;", it[i].r->days_left, p->warn_days,
		    p->crit_days);
	}
	printf("\n");
}

static json_t *
report_json(const struct item *it)
{
	const struct fscert_report *r = it->r;
	json_t *o, *names;
	char *copy, *tok, *save = NULL;

	o = json_pack("{s:s, s:s, s:s}", "path", it->path, "kind",
	    kind_names[r->kind], "status", fscert_sev_name(r->worst));
	if (o == NULL)
		errx(EXIT_UNKNOWN, "out of memory");
	if (r->subject[0] != '\0') {
		names = json_array();
		if ((copy = strdup(r->names)) == NULL || names == NULL)
			errx(EXIT_UNKNOWN, "out of memory");
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save))
			json_array_append_new(names, json_string(tok));
		free(copy);
		json_object_set_new(o, "subject", json_string(r->subject));
		json_object_set_new(o, "issuer", json_string(r->issuer));
		json_object_set_new(o, "not_after", json_string(r->not_after));
		json_object_set_new(o, "days_left", json_integer(r->days_left));
		json_object_set_new(o, "sha256", json_string(r->sha256));
		json_object_set_new(o, "key_type", json_string(r->key_type));
		json_object_set_new(o, "key_bits", json_integer(r->key_bits));
		json_object_set_new(
		    o, "chain_length", json_integer(r->chain_len));
		json_object_set_new(o, "names", names);
	}
	json_object_set_new(o, "findings", findings_json(r));
	return o;
}

static void
print_json(const struct item *it, size_t n, enum fscert_sev worst)
{
	json_t *root, *arr;
	size_t i;

	root = json_pack(
	    "{s:s, s:i}", "status", fscert_sev_name(worst), "exit", (int)worst);
	arr = json_array();
	if (root == NULL || arr == NULL)
		errx(EXIT_UNKNOWN, "out of memory");
	for (i = 0; i < n; i++)
		json_array_append_new(arr, report_json(&it[i]));
	json_object_set_new(root, "paths", arr);
	json_print(root);
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
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "chain", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **hosts = NULL, *cert = NULL, *key = NULL, *chain = NULL;
	struct fscert_policy p;
	struct fscert_err e;
	struct item *it = NULL;
	enum fscert_sev worst = FSCERT_SEV_OK;
	enum fmt fmt = g->json ? FMT_JSON : FMT_TEXT;
	struct fscert_config cfg;
	char **cfgpaths = NULL;
	size_t nhosts = 0, n = 0, i;
	int c, rc = EXIT_UNKNOWN;

	fscert_policy_init(&p);
	fscert_err_clear(&e);
	fscert_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
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
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'a':
			chain = optarg;
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

	if ((it = calloc((size_t)argc + 1, sizeof(*it))) == NULL)
		err(EXIT_UNKNOWN, "out of memory");
	if (cert != NULL) {
		it[n].path = cert;
		if ((it[n].r = fscert_check_files(cert, key, chain, &p, &e)) ==
		    NULL)
			goto fail;
		n++;
	}
	for (i = 0; i < (size_t)argc; i++, n++) {
		it[n].path = argv[i];
		if ((it[n].r = fscert_check_path(argv[i], &p, &e)) == NULL)
			goto fail;
	}
	for (i = 0; i < n; i++)
		if (it[i].r->worst > worst)
			worst = it[i].r->worst;

	if (fmt == FMT_JSON)
		print_json(it, n, worst);
	else if (fmt == FMT_NAGIOS)
		print_nagios(it, n, worst, &p);
	else
		print_text(it, n, g->quiet);
	rc = (int)worst;
	goto out;
fail:
	/* An internal failure (unusable --ca-file, memory): UNKNOWN. */
	if (fmt == FMT_NAGIOS)
		printf("FSCERT UNKNOWN - %s\n", e.msg);
	else
		warnx("check: %s", e.msg);
	rc = EXIT_UNKNOWN;
out:
	for (i = 0; it != NULL && i < n; i++)
		fscert_report_free(it[i].r);
	free(it);
	free(hosts);
	free(cfgpaths);
	fscert_config_free(&cfg);
	fscert_policy_clear(&p);
	return rc;
}
