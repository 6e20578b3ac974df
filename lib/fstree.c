/*
 * fstree.c: who reads certificates from where, out of FreeSWITCH's
 * configuration tree on disk, for when the running FreeSWITCH cannot be
 * asked.  FreeSWITCH's preprocessor (switch_xml.c preprocess()) is
 * played as it really works: line by line, $${var} expanded first (an
 * unknown one becomes nothing), a line holding <include>, </include> or
 * <? dropped, <X-PRE-PROCESS cmd="set"> setting a variable (later sets
 * win, and ordinary XML comments do not stop it), cmd="include" with a
 * glob relative to the including file's directory.  exec, exec-set,
 * env-set and stun-set are not evaluated (fscert runs nothing); an
 * include that leaves the configuration tree is not followed.  The
 * sofia.conf and verto.conf sections of the result are then read by
 * fsconf.c, and modules.conf says whether mod_verto is loaded.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "fscert/fsconf.h"
#include "fscert/pem.h"
#include "internal.h"

#define TREE_FILE_MAX ((size_t)8 * 1024 * 1024)
#define TREE_OUT_MAX ((size_t)64 * 1024 * 1024)
#define TREE_DEPTH_MAX 100 /* preprocess()'s rlevel */

struct var {
	char *name, *val;
};

struct pp {
	char root[PATH_MAX]; /* the conf dir, resolved */
	struct var *v;
	size_t nv, cap;
	struct fscert_buf out;
	char *note; /* the first thing not evaluated, for the caller */
	size_t notelen;
	struct fscert_err *err;
};

static const char *
var_get(const struct pp *p, const char *name, size_t n)
{
	size_t i;

	for (i = p->nv; i-- > 0;)
		if (strlen(p->v[i].name) == n &&
		    strncasecmp(p->v[i].name, name, n) == 0)
			return p->v[i].val;
	return NULL;
}

static int
var_set(struct pp *p, const char *name, const char *val)
{
	struct var *nv;
	size_t i;

	for (i = 0; i < p->nv; i++)
		if (strcasecmp(p->v[i].name, name) == 0) {
			char *s = strdup(val);

			if (s == NULL)
				goto oom;
			OPENSSL_cleanse(p->v[i].val, strlen(p->v[i].val));
			free(p->v[i].val);
			p->v[i].val = s;
			return 0;
		}
	if (p->nv == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		if ((nv = realloc(p->v, p->cap * sizeof(*nv))) == NULL)
			goto oom;
		p->v = nv;
	}
	p->v[p->nv].name = strdup(name);
	p->v[p->nv].val = strdup(val);
	if (p->v[p->nv].name == NULL || p->v[p->nv].val == NULL) {
		free(p->v[p->nv].name);
		free(p->v[p->nv].val);
		goto oom;
	}
	p->nv++;
	return 0;
oom:
	return fscert_err_set(p->err, FSCERT_ENOMEM, "out of memory");
}

static void
note(struct pp *p, const char *file, int line, const char *what)
{
	if (p->note != NULL && p->note[0] == '\0')
		(void)snprintf(
		    p->note, p->notelen, "%s:%d: %s", file, line, what);
}

/* The '}' closing the '{' at s (switch_find_end_paren), or NULL. */
static const char *
end_paren(const char *s, const char *end)
{
	int depth = 0;

	for (; s < end; s++) {
		if (*s == '{')
			depth++;
		else if (*s == '}' && --depth == 0)
			return s;
	}
	return NULL;
}

/* expand_vars(): $${name} by its value, into out. */
static int
expand(struct pp *p, const char *s, size_t n, struct fscert_buf *out)
{
	const char *end = s + n, *e, *val;

	out->len = 0;
	while (s < end) {
		if (end - s >= 3 && s[0] == '$' && s[1] == '$' && s[2] == '{' &&
		    (e = end_paren(s + 2, end)) != NULL) {
			val = var_get(p, s + 3, (size_t)(e - s - 3));
			if (val != NULL &&
			    fscert_buf_append(out, val, strlen(val), p->err) ==
				-1)
				return -1;
			s = e + 1;
			continue;
		}
		if (fscert_buf_append(out, s, 1, p->err) == -1)
			return -1;
		s++;
	}
	return fscert_buf_append(out, "", 1, p->err); /* NUL-terminated */
}

/* The first key in s, ignoring case (switch_stristr), or NULL. */
static char *
ci_find(char *s, const char *key)
{
	size_t n = strlen(key);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, key, n) == 0)
			return s;
	return NULL;
}

/* The value of attribute key="..." after s (as preprocess() finds it). */
static char *
quoted_after(char *s, const char *key, char **rest)
{
	char *q, *e;

	if ((q = ci_find(s, key)) == NULL || (q = strchr(q, '=')) == NULL ||
	    (q = strchr(q, '"')) == NULL)
		return NULL;
	q++;
	if ((e = strchr(q, '"')) != NULL)
		*e++ = '\0';
	*rest = e != NULL ? e : q + strlen(q);
	return q;
}

static int
preprocess(struct pp *p, const char *cwd, const char *file, int level);

/* preprocess_glob(): every file pattern names, relative to cwd. */
static int
include(struct pp *p, const char *cwd, const char *pattern, const char *file,
    int line, int level)
{
	char path[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
	glob_t g;
	size_t i, rl = strlen(p->root);
	char *slash;
	int rc = 0;

	if (pattern[0] == '/')
		(void)snprintf(path, sizeof(path), "%s", pattern);
	else
		(void)snprintf(path, sizeof(path), "%s/%s", cwd, pattern);
	memset(&g, 0, sizeof(g));
	if (glob(path, GLOB_ERR, NULL, &g) != 0) {
		globfree(&g);
		return 0; /* "No files to include" */
	}
	for (i = 0; i < g.gl_pathc && rc == 0; i++) {
		if (realpath(g.gl_pathv[i], real) == NULL)
			continue;
		if (strncmp(real, p->root, rl) != 0 ||
		    (real[rl] != '/' && real[rl] != '\0')) {
			note(p, file, line,
			    "an include outside the configuration tree is not "
			    "followed");
			continue;
		}
		(void)snprintf(dir, sizeof(dir), "%s", g.gl_pathv[i]);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		rc = preprocess(p, dir, g.gl_pathv[i], level + 1);
	}
	globfree(&g);
	return rc;
}

/* A set or include command with its argument (X-PRE-PROCESS or <!--#). */
static int
command(struct pp *p, const char *cwd, const char *cmd, char *arg,
    const char *file, int line, int level)
{
	char *val, *ve;

	if (strcasecmp(cmd, "set") == 0) {
		if ((val = strchr(arg, '=')) == NULL)
			return 0;
		ve = val++;
		while (*val == ' ')
			val++;
		*ve = '\0';
		while (ve > arg && ve[-1] == ' ')
			*--ve = '\0';
		return var_set(p, arg, val);
	}
	if (strcasecmp(cmd, "include") == 0)
		return include(p, cwd, arg, file, line, level);
	if (strcasecmp(cmd, "exec") == 0 || strcasecmp(cmd, "exec-set") == 0 ||
	    strcasecmp(cmd, "env-set") == 0 || strcasecmp(cmd, "stun-set") == 0)
		note(p, file, line,
		    "exec, exec-set, env-set, stun-set: not evaluated");
	return 0;
}

/* One line of file, expanded, as preprocess() handles it. */
static int
one_line(struct pp *p, const char *cwd, char *bp, const char *file, int line,
    int level, int *ml)
{
	char *tcmd, *targ, *e, *rest;

	if (strstr(bp, "<include>") != NULL ||
	    strstr(bp, "</include>") != NULL || strstr(bp, "<?") != NULL)
		return 0;
	if (*ml) {
		if ((e = strstr(bp, "-->")) == NULL)
			return 0;
		*ml = 0;
		bp = e + 3;
	}
	if ((tcmd = ci_find(bp, "X-pre-process")) != NULL) {
		if (tcmd == bp || tcmd[-1] != '<')
			return 0;
		/* Nothing else of the line is kept (preprocess() cuts it). */
		if ((e = strstr(tcmd, "/>")) != NULL)
			e[2] = '\0';
		if ((tcmd = quoted_after(tcmd, "cmd", &rest)) == NULL ||
		    (targ = quoted_after(rest, "data", &rest)) == NULL)
			return 0;
		return command(p, cwd, tcmd, targ, file, line, level);
	}
	if ((tcmd = strstr(bp, "<!--#")) != NULL) {
		if (fscert_buf_append(
			&p->out, bp, (size_t)(tcmd - bp), p->err) == -1)
			return -1;
		if ((e = strstr(tcmd, "-->")) != NULL) {
			*e = '\0';
			if (fscert_buf_append(
				&p->out, e + 3, strlen(e + 3), p->err) == -1)
				return -1;
		} else
			*ml = 1;
		tcmd += 5;
		tcmd[strcspn(tcmd, "\r\n")] = '\0';
		if ((targ = strchr(tcmd, ' ')) == NULL)
			return 0;
		*targ++ = '\0';
		if ((e = strchr(targ, '"')) != NULL &&
		    (rest = strchr(e + 1, '"')) != NULL) {
			*rest = '\0';
			targ = e + 1;
		}
		return command(p, cwd, tcmd, targ, file, line, level);
	}
	if (fscert_buf_append(&p->out, bp, strlen(bp), p->err) == -1)
		return -1;
	if (p->out.len > TREE_OUT_MAX)
		return fscert_err_set(p->err, FSCERT_ETOOBIG,
		    "%s: the preprocessed configuration is over %zu bytes",
		    p->root, TREE_OUT_MAX);
	return 0;
}

static int
preprocess(struct pp *p, const char *cwd, const char *file, int level)
{
	struct fscert_buf line = { 0 };
	unsigned char *buf = NULL;
	struct stat st;
	char real[PATH_MAX];
	const char *s, *nl, *end;
	size_t len = 0;
	int n = 0, ml = 0, rc = -1;

	if (level > TREE_DEPTH_MAX)
		return fscert_err_set(p->err, FSCERT_EPARSE,
		    "%s: includes nested over %d deep", file, TREE_DEPTH_MAX);
	if (realpath(file, real) == NULL)
		return fscert_err_sys(p->err, FSCERT_ENOENT, "%s", file);
	if (fs_read_capped(
		real, file, TREE_FILE_MAX, &buf, &len, &st, p->err) == -1)
		return -1;
	end = (const char *)buf + len;
	for (s = (const char *)buf; s < end; s = nl) {
		nl = memchr(s, '\n', (size_t)(end - s));
		nl = nl != NULL ? nl + 1 : end;
		n++;
		if (expand(p, s, (size_t)(nl - s), &line) == -1 ||
		    one_line(p, cwd, (char *)line.data, file, n, level, &ml) ==
			-1)
			goto out;
	}
	rc = 0;
out:
	/* Configuration holds passwords (default_password, the ESL's). */
	fscert_buf_free(&line);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/*
 * The <configuration name="name" ...>...</configuration> section of
 * text, NUL-terminated in a new string, or NULL (none, or no memory).
 */
static char *
section(const char *text, size_t len, const char *name)
{
	const char *s = text, *end = text + len, *gt, *close;
	char want[64];

	(void)snprintf(want, sizeof(want), "name=\"%s\"", name);
	while ((s = fs_find(s, (size_t)(end - s), "<configuration")) != NULL) {
		if ((gt = memchr(s, '>', (size_t)(end - s))) == NULL)
			return NULL;
		if (fs_find(s, (size_t)(gt - s), want) != NULL) {
			if ((close = fs_find(gt, (size_t)(end - gt),
				 "</configuration>")) == NULL)
				return NULL;
			close += 16;
			return strndup(s, (size_t)(close - s));
		}
		s = gt;
	}
	return NULL;
}

/* FreeSWITCH's compiled-in certs_dir, from the layout of conf_dir. */
static void
guess_dirs(const char *conf, char *base, size_t blen, char *certs, size_t clen)
{
	const char *slash = strrchr(conf, '/');

	base[0] = certs[0] = '\0';
	if (slash != NULL && strcmp(slash, "/conf") == 0) {
		/* A source build: PREFIX/conf, PREFIX/certs. */
		(void)snprintf(base, blen, "%.*s", (int)(slash - conf), conf);
		if ((size_t)snprintf(certs, clen, "%s/certs", base) >= clen)
			certs[0] = '\0';
	} else if (slash != NULL && strcmp(slash, "/freeswitch") == 0) {
		/* Debian packages (FHS): /etc/freeswitch, /etc/freeswitch/tls. */
		if ((size_t)snprintf(certs, clen, "%s/tls", conf) >= clen)
			certs[0] = '\0';
	}
}

int
fscert_fsconf_from_tree(struct fscert_fsconf *fc, const char *conf_dir,
    char *notes, size_t nlen, struct fscert_err *err)
{
	char top[PATH_MAX], base[PATH_MAX], certs[1024];
	char *sofia = NULL, *verto = NULL, *modules = NULL;
	struct pp p;
	size_t i;
	int rc = -1;

	memset(fc, 0, sizeof(*fc));
	memset(&p, 0, sizeof(p));
	p.err = err;
	p.note = notes;
	p.notelen = nlen;
	if (notes != NULL && nlen > 0)
		notes[0] = '\0';
	if (realpath(conf_dir, p.root) == NULL)
		return fscert_err_sys(err, FSCERT_ENOENT, "%s", conf_dir);
	if ((size_t)snprintf(top, sizeof(top), "%s/freeswitch.xml", p.root) >=
	    sizeof(top))
		return fscert_err_set(
		    err, FSCERT_EUSAGE, "%s: path too long", conf_dir);
	guess_dirs(p.root, base, sizeof(base), certs, sizeof(certs));
	(void)snprintf(fc->certs_dir, sizeof(fc->certs_dir), "%s", certs);
	fc->certs_dir_guessed = 1;
	if (var_set(&p, "conf_dir", p.root) == -1 ||
	    (base[0] && var_set(&p, "base_dir", base) == -1) ||
	    (certs[0] && var_set(&p, "certs_dir", certs) == -1) ||
	    preprocess(&p, p.root, top, 0) == -1)
		goto out;
	sofia = section((char *)p.out.data, p.out.len, "sofia.conf");
	verto = section((char *)p.out.data, p.out.len, "verto.conf");
	modules = section((char *)p.out.data, p.out.len, "modules.conf");
	if (sofia != NULL && fsconf_parse(fc, 0, sofia, p.root, err) == -1)
		goto out;
	/* verto.conf.xml counts only when modules.conf loads mod_verto. */
	if (verto != NULL &&
	    (modules == NULL ||
		fscert_fsconf_loads(modules, "mod_verto") == 1) &&
	    fsconf_parse(fc, 1, verto, p.root, err) == -1)
		goto out;
	rc = 0;
out:
	if (sofia != NULL)
		OPENSSL_cleanse(sofia, strlen(sofia)); /* gateway passwords */
	free(sofia);
	free(verto);
	free(modules);
	for (i = 0; i < p.nv; i++) {
		OPENSSL_cleanse(p.v[i].val, strlen(p.v[i].val));
		free(p.v[i].name);
		free(p.v[i].val);
	}
	free(p.v);
	fscert_buf_free(&p.out);
	return rc;
}
