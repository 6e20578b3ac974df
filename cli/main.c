/*
 * main.c: global options and the command table (git's commands[],
 * cut down).
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <openssl/crypto.h>

#include "cli.h"

static const struct cmd {
	const char *name;
	int (*fn)(int, char **, struct globals *);
	const char *synopsis;
} cmds[] = {
	{ "check", cmd_check, check_synopsis },
	{ "bundle", cmd_bundle, bundle_synopsis },
	{ "deploy", cmd_deploy, deploy_synopsis },
	{ "reload", cmd_reload, reload_synopsis },
	{ "status", cmd_status, status_synopsis },
	{ "vars", cmd_vars, vars_synopsis },
};

void
print_usage(FILE *f, const char *name, const char *synopsis)
{
	const char *p;

	fprintf(f, "usage: fscert %s ", name);
	for (p = synopsis; *p != '\0'; p++)
		if (*p == '\t')
			fprintf(f, "%*s", (int)strlen(name) + 15, "");
		else
			fputc(*p, f);
	fputc('\n', f);
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: fscert [-c FILE] [-v|-q] [--json] COMMAND [ARGS]\n"
	    "       fscert --version\n"
	    "(the global options may also follow COMMAND)\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		print_usage(f, cmds[i].name, cmds[i].synopsis);
}

void
hosts_add(const char ***hosts, size_t *n, const char *name)
{
	const char **h = realloc(*hosts, (*n + 1) * sizeof(*h));

	if (h == NULL)
		err(3, "out of memory");
	h[(*n)++] = name;
	*hosts = h;
}

int
global_opt(struct globals *g, int c)
{
	if (c == 'v')
		g->verbose++;
	else if (c == 'q')
		g->quiet = 1;
	else if (c == 'c')
		g->conf = optarg;
	else
		return 0;
	return 1;
}

const char *
with_path(char *buf, size_t len, const char *path, const char *msg)
{
	size_t n = strlen(path);

	if (strncmp(msg, path, n) == 0 && msg[n] == ':')
		(void)snprintf(buf, len, "%s", msg);
	else
		(void)snprintf(buf, len, "%s: %s", path, msg);
	return buf;
}

int
parse_days(const char *s)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

/*
 * The event-socket password may come from FSCERT_ESL_PASSWORD: keep a
 * copy, then wipe the variable's bytes and drop it, so that it is not
 * left in /proc/PID/environ nor passed to anything we run.
 */
static void
take_password(struct globals *g)
{
	char *v = getenv("FSCERT_ESL_PASSWORD");

	if (v == NULL)
		return;
	if ((g->esl_password = strdup(v)) == NULL)
		err(1, "out of memory");
	OPENSSL_cleanse(v, strlen(v));
	(void)unsetenv("FSCERT_ESL_PASSWORD");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct globals g;
	size_t i;
	int c;

	/*
	 * fscert holds private keys and the event-socket password: no core
	 * dump, no ptrace by other processes of the same user.
	 */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(&g, 0, sizeof(g));
	/* "+": stop at the command name; its options are its own. */
	while ((c = getopt_long(
		    argc, argv, "+" GLOBAL_SHORTOPTS "h", opts, NULL)) != -1) {
		if (global_opt(&g, c))
			continue;
		switch (c) {
		case 'j':
			g.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("fscert %s\n", fscert_version());
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	take_password(&g);
	c = 2;
	if (argc == 0)
		usage(stderr);
	else if (strcmp(argv[0], "help") == 0) {
		usage(stdout);
		c = 0;
	} else {
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (strcmp(argv[0], cmds[i].name) == 0)
				break;
		if (i < sizeof(cmds) / sizeof(cmds[0])) {
			/* glibc resets getopt with optind = 0. */
			optind = 0;
			c = cmds[i].fn(argc, argv, &g);
		} else
			warnx("'%s' is not a command; see 'fscert --help'",
			    argv[0]);
	}
	if (g.esl_password != NULL) {
		OPENSSL_cleanse(g.esl_password, strlen(g.esl_password));
		free(g.esl_password);
	}
	return c;
}
