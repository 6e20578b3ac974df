/*
 * config.c: the INI configuration file, read with inih into
 * struct fscert_config.  Table-driven: each key names its section, its
 * type and where it goes, so that fscert.conf(5) and this table can be
 * compared line by line.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "fscert/config.h"
#include "fscert/validate.h"
#include "internal.h"

/* inih's distro build reads at most this many bytes of a line. */
#define LINE_MAX_INI 200

enum sect { S_TARGET, S_ESL, S_RELOAD, S_CHECK };
enum type { T_STR, T_INT, T_BOOL, T_LIST };

struct key {
	enum sect sect;
	enum type type;
	const char *name;
	size_t off; /* in the target or in the config */
	size_t cnt; /* T_LIST: offset of the count */
	size_t max; /* T_LIST: capacity; T_INT: upper bound */
};

#define TS(n, f) \
	{ \
		S_TARGET, T_STR, n, offsetof(struct fscert_target, f), 0, 0 \
	}
#define TB(n, f) \
	{ \
		S_TARGET, T_BOOL, n, offsetof(struct fscert_target, f), 0, 0 \
	}
#define TL(n, f, c, m) \
	{ \
		S_TARGET, T_LIST, n, offsetof(struct fscert_target, f), \
		    offsetof(struct fscert_target, c), m \
	}
#define CS(s, n, f) \
	{ \
		s, T_STR, n, offsetof(struct fscert_config, f), 0, 0 \
	}
#define CI(s, n, f, m) \
	{ \
		s, T_INT, n, offsetof(struct fscert_config, f), 0, m \
	}
#define CB(s, n, f) \
	{ \
		s, T_BOOL, n, offsetof(struct fscert_config, f), 0, 0 \
	}

static const struct key keys[] = {
	TS("lineage", lineage),
	TS("cert", cert),
	TS("key", key),
	TS("chain", chain),
	TS("cert_dir", cert_dir),
	TS("conf_dir", conf_dir),
	TS("ca_file", ca_file),
	TS("owner", owner),
	TS("group", group),
	TL("host", hosts, nhosts, FSCERT_MAX_HOSTS),
	TB("vars", vars),
	TS("vars_file", vars_file),
	TS("internal_ssl_enable", internal_ssl_enable),
	TS("internal_tls_port", internal_tls_port),
	TS("external_ssl_enable", external_ssl_enable),
	TS("external_tls_port", external_tls_port),
	TS("tls_version", tls_version),
	TS("tls_ciphers", tls_ciphers),
	TB("move_shadowing", move_shadowing),
	TL("profile", profiles, nprofiles, FSCERT_MAX_PROFILES),
	TL("verify", verify, nverify, FSCERT_MAX_VERIFY),
	CS(S_ESL, "host", esl_host),
	CI(S_ESL, "port", esl_port, 65535),
	CS(S_ESL, "password", esl_password),
	CI(S_ESL, "timeout", esl_timeout, 3600),
	CI(S_RELOAD, "max_wait", max_wait, 86400),
	CI(S_RELOAD, "force_window_days", force_window_days, 3650),
	CI(S_RELOAD, "verify_timeout", verify_timeout, 3600),
	CI(S_RELOAD, "running_timeout", running_timeout, 3600),
	CI(S_RELOAD, "reloadxml_timeout", reloadxml_timeout, 3600),
	CB(S_RELOAD, "force", force),
	CI(S_CHECK, "warn_days", warn_days, 3650),
	CI(S_CHECK, "crit_days", crit_days, 3650),
	TS("key_types", key_types),
	CS(S_CHECK, "key_types", key_types),
};

void
fscert_config_init(struct fscert_config *c)
{
	memset(c, 0, sizeof(*c));
	c->esl_port = 8021;
	c->esl_timeout = 5;
	c->max_wait = 600;
	c->force_window_days = 3;
	c->verify_timeout = 15;
	c->running_timeout = 120;
	c->reloadxml_timeout = 30;
	c->warn_days = 20;
	c->crit_days = 10;
}

static void
target_free(struct fscert_target *t)
{
	const struct key *k;
	size_t i, j;

	free(t->name);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k = &keys[i];
		if (k->sect != S_TARGET)
			continue;
		if (k->type == T_STR)
			free(*(char **)((char *)t + k->off));
		else if (k->type == T_LIST)
			for (j = 0; j < *(size_t *)((char *)t + k->cnt); j++)
				free(((char **)((char *)t + k->off))[j]);
	}
}

void
fscert_config_free(struct fscert_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ntargets; i++)
		target_free(&c->targets[i]);
	free(c->targets);
	free(c->path);
	free(c->esl_host);
	free(c->key_types);
	if (c->esl_password != NULL) {
		OPENSSL_cleanse(c->esl_password, strlen(c->esl_password));
		free(c->esl_password);
	}
	memset(c, 0, sizeof(*c));
}

struct fscert_target *
fscert_config_target(struct fscert_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntargets; i++)
		if (strcmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	return NULL;
}

/* The parser's state: the config, and the first error's reason. */
struct pstate {
	struct fscert_config *c;
	char why[160];
	int toolong; /* line number of an over-long line */
	int lineno;
};

static int
parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Section name to its kind; for [target NAME] also the NAME. */
static int
section_of(const char *s, enum sect *out, const char **tname)
{
	*tname = NULL;
	if (strncmp(s, "target", 6) == 0 && (s[6] == ' ' || s[6] == '\0')) {
		*tname = s + 6;
		while (**tname == ' ')
			(*tname)++;
		*out = S_TARGET;
		return 0;
	}
	if (strcmp(s, "event_socket") == 0)
		*out = S_ESL;
	else if (strcmp(s, "reload") == 0)
		*out = S_RELOAD;
	else if (strcmp(s, "check") == 0)
		*out = S_CHECK;
	else
		return -1;
	return 0;
}

struct fscert_target *
fscert_config_add_target(
    struct fscert_config *c, const char *name, struct fscert_err *err)
{
	struct fscert_target *t;

	if ((t = fscert_config_target(c, name)) != NULL)
		return t;
	return fscert_config_new_target(c, name, err);
}

struct fscert_target *
fscert_config_new_target(
    struct fscert_config *c, const char *name, struct fscert_err *err)
{
	struct fscert_target *t, *nt;
	char *n;

	if ((n = strdup(name)) == NULL)
		goto nomem;
	nt = realloc(c->targets, (c->ntargets + 1) * sizeof(*nt));
	if (nt == NULL) {
		free(n);
		goto nomem;
	}
	c->targets = nt;
	t = &nt[c->ntargets++];
	memset(t, 0, sizeof(*t));
	t->vars = 1;
	t->name = n;
	return t;
nomem:
	fscert_err_set(err, FSCERT_ENOMEM, "out of memory");
	return NULL;
}

#define FAIL(ps, ...) \
	do { \
		(void)snprintf((ps)->why, sizeof((ps)->why), __VA_ARGS__); \
		return 0; \
	} while (0)

/* inih's handler: 1 to go on, 0 to stop at this line with ps->why. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct pstate *ps = user;
	const struct key *k = NULL;
	const char *tname;
	char *base, *end, *copy, *tok, *save = NULL, **list;
	size_t i, *cnt;
	enum sect s;
	long v;
	int b;

	if (ps->toolong)
		FAIL(ps, "line longer than %d bytes", LINE_MAX_INI - 2);
	if (section[0] == '\0')
		FAIL(ps, "'%s' outside any section", name);
	if (section_of(section, &s, &tname) == -1)
		FAIL(ps, "unknown section [%s]", section);
	if (s == S_TARGET && *tname == '\0')
		FAIL(ps, "[target] needs a name: [target NAME]");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].sect == s && strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	if (k == NULL)
		FAIL(ps, "unknown key '%s' in [%s]", name, section);
	if (s == S_TARGET) {
		if ((base = (char *)fscert_config_add_target(
			 ps->c, tname, NULL)) == NULL)
			FAIL(ps, "out of memory");
	} else
		base = (char *)ps->c;

	switch (k->type) {
	case T_STR:
		if (value[0] == '\0')
			FAIL(ps, "'%s' has no value", name);
		/*
		 * inih hands an indented line to us as a second value of
		 * the key above it; for a single value that is an error,
		 * not a silent replacement.
		 */
		if (*(char **)(base + k->off) != NULL)
			FAIL(ps,
			    "'%s' given twice (an indented line continues "
			    "the key above it)",
			    name);
		if (strcmp(name, "key_types") == 0 &&
		    fscert_key_types_parse(value, NULL, NULL) == -1)
			FAIL(ps,
			    "'key_types' must be rsa or rsa,ecdsa, not '%s'",
			    value);
		if ((*(char **)(base + k->off) = strdup(value)) == NULL)
			FAIL(ps, "out of memory");
		break;
	case T_INT:
		errno = 0;
		v = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno != 0 || v < 0 ||
		    (size_t)v > k->max)
			FAIL(ps,
			    "'%s' must be a number from 0 to %zu, not "
			    "'%s'",
			    name, k->max, value);
		*(int *)(base + k->off) = (int)v;
		break;
	case T_BOOL:
		if (parse_bool(value, &b) == -1)
			FAIL(ps,
			    "'%s' must be yes or no (true/false, on/off, "
			    "1/0), not '%s'",
			    name, value);
		*(int *)(base + k->off) = b;
		break;
	case T_LIST:
		/* Repeatable, and each value may list several, by spaces. */
		list = (char **)(base + k->off);
		cnt = (size_t *)(base + k->cnt);
		if ((copy = strdup(value)) == NULL)
			FAIL(ps, "out of memory");
		for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
		     tok = strtok_r(NULL, " \t,", &save)) {
			if (*cnt >= k->max) {
				free(copy);
				FAIL(ps, "more than %zu '%s' values", k->max,
				    name);
			}
			if ((list[*cnt] = strdup(tok)) == NULL) {
				free(copy);
				FAIL(ps, "out of memory");
			}
			(*cnt)++;
		}
		free(copy);
		break;
	}
	return 1;
}

/*
 * inih's reader: fgets that notices a line inih would cut in two, so
 * that it becomes an error instead of a silently different value.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct pstate *ps = ((void **)stream)[1];
	FILE *f = ((void **)stream)[0];
	size_t n;
	int ch;

	if (fgets(str, num, f) == NULL)
		return NULL;
	ps->lineno++;
	n = strlen(str);
	if (n > 0 && str[n - 1] != '\n' && !feof(f)) {
		/* Skip the rest, and fail at this line. */
		while ((ch = fgetc(f)) != EOF && ch != '\n')
			;
		if (ps->toolong == 0)
			ps->toolong = ps->lineno;
		/* Make inih call the handler (or fail) on this line. */
		(void)snprintf(str, (size_t)num, "[ line too long ]\n");
	}
	return str;
}

int
fscert_config_parse(
    struct fscert_config *c, FILE *f, const char *name, struct fscert_err *err)
{
	struct pstate ps;
	void *stream[2];
	int line;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	stream[0] = f;
	stream[1] = &ps;
	line = ini_parse_stream(reader, stream, handler, &ps);
	if (ps.toolong)
		return fscert_err_set(err, FSCERT_EPARSE,
		    "%s:%d: line longer than %d bytes", name, ps.toolong,
		    LINE_MAX_INI - 2);
	if (line == -2)
		return fscert_err_set(
		    err, FSCERT_ENOMEM, "%s: out of memory", name);
	if (line > 0)
		return fscert_err_set(err, FSCERT_EPARSE, "%s:%d: %s", name,
		    line, ps.why[0] ? ps.why : "syntax error");
	return 0;
}

/* Do two directory paths name one directory (real paths when both exist)? */
int
fs_same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	size_t na, nb;

	if (realpath(a, ra) != NULL && realpath(b, rb) != NULL)
		return strcmp(ra, rb) == 0;
	/* Not there (yet): as written, but for trailing slashes. */
	na = strlen(a);
	nb = strlen(b);
	while (na > 1 && a[na - 1] == '/')
		na--;
	while (nb > 1 && b[nb - 1] == '/')
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

/*
 * Two targets writing the same vars fragment would rewrite it in turn
 * on every run (and reload FreeSWITCH each time): refuse the file.  So
 * would two targets installing into one cert dir.
 */
static int
check_targets(
    const struct fscert_config *c, const char *path, struct fscert_err *err)
{
	const struct fscert_target *a, *b;
	size_t i, j;

	for (i = 0; i < c->ntargets; i++)
		for (j = i + 1; j < c->ntargets; j++) {
			a = &c->targets[i];
			b = &c->targets[j];
			if (a->cert_dir != NULL && b->cert_dir != NULL &&
			    fs_same_dir(a->cert_dir, b->cert_dir))
				return fscert_err_set(err, FSCERT_EPARSE,
				    "%s: targets '%s' and '%s' both install "
				    "into %s%s%s%s: each would replace the "
				    "other's set on every run; give each its "
				    "own cert_dir",
				    path, a->name, b->name, a->cert_dir,
				    strcmp(a->cert_dir, b->cert_dir) ? " (as "
								     : "",
				    strcmp(a->cert_dir, b->cert_dir)
					? b->cert_dir
					: "",
				    strcmp(a->cert_dir, b->cert_dir) ? ")"
								     : "");
			if (!a->vars || !b->vars || a->conf_dir == NULL ||
			    b->conf_dir == NULL ||
			    !fs_same_dir(a->conf_dir, b->conf_dir) ||
			    strcmp(
				a->vars_file ? a->vars_file : FSCERT_VARS_FILE,
				b->vars_file ? b->vars_file
					     : FSCERT_VARS_FILE) != 0)
				continue;
			return fscert_err_set(err, FSCERT_EPARSE,
			    "%s: targets '%s' and '%s' write the same vars "
			    "fragment in %s: give one vars_file, or vars = no",
			    path, a->name, b->name, a->conf_dir);
		}
	return 0;
}

int
fscert_config_load(struct fscert_config *c, const char *path, int missing_ok,
    struct fscert_err *err)
{
	struct stat st;
	FILE *f;
	int rc;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && missing_ok)
			return 0;
		if (errno == ENOENT)
			return fscert_err_set(
			    err, FSCERT_ENOENT, "%s: no such file", path);
		return fscert_err_sys(err, FSCERT_EIO, "%s", path);
	}
	if (fstat(fileno(f), &st) == -1) {
		(void)fclose(f);
		return fscert_err_sys(err, FSCERT_EIO, "%s", path);
	}
	if (!S_ISREG(st.st_mode)) {
		(void)fclose(f);
		return fscert_err_set(
		    err, FSCERT_EIO, "%s: not a regular file", path);
	}
	rc = fscert_config_parse(c, f, path, err);
	(void)fclose(f);
	if (rc == -1)
		return -1;
	if (check_targets(c, path, err) == -1)
		return -1;
	/* Checked on the stream that was read, not on the name. */
	if (c->esl_password != NULL && (st.st_mode & (S_IRWXG | S_IRWXO)))
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "%s: holds the event-socket password but is readable "
		    "by others (mode %04o; chmod 600 it)",
		    path, (unsigned)(st.st_mode & 07777));
	free(c->path);
	if ((c->path = fs_strdup(path, err)) == NULL)
		return -1;
	return 0;
}

const char *
fscert_target_key_types(
    const struct fscert_target *t, const struct fscert_config *c)
{
	if (t->key_types != NULL)
		return t->key_types;
	return c->key_types != NULL ? c->key_types : "rsa,ecdsa";
}
