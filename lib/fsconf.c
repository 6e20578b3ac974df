/*
 * fsconf.c: who in a running FreeSWITCH reads which certificate files.
 * The configuration comes from "xml_locate" over the event socket and is
 * parsed with expat (no DTD, no external entities: expat loads none).
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <openssl/crypto.h>

#include "fscert/esl.h"
#include "fscert/fsconf.h"
#include "internal.h"

#define DEPTH_MAX 16

/* What the element handlers are after. */
enum which { SOFIA, VERTO };

struct px {
	enum which which;
	struct fscert_fsconf *fc;
	char path[DEPTH_MAX][16]; /* element names down to here */
	int depth;
	int root_ok; /* <configuration name="sofia.conf"> */
	struct fscert_consumer *cur; /* the profile being read */
	char tls_dir[1024]; /* its tls-cert-dir */
	int full; /* more consumers than fit */
};

/* switch_true(): "yes", "on", "true", "t", "enabled", ... or a number. */
static int
fs_true(const char *v)
{
	static const char *const yes[] = { "yes", "on", "true", "t", "enabled",
		"enable", "active", "allow" };
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
	return strtol(v, NULL, 10) != 0;
}

static const char *
attr(const XML_Char **a, const char *name)
{
	for (; a != NULL && a[0] != NULL; a += 2)
		if (strcmp(a[0], name) == 0)
			return a[1];
	return NULL;
}

/* Is the element at depth d (1 = root) called name? */
static int
at(const struct px *p, int d, const char *name)
{
	return d >= 1 && d <= p->depth && d <= DEPTH_MAX &&
	    strcmp(p->path[d - 1], name) == 0;
}

static void
copy(char *dst, size_t len, const char *src)
{
	(void)snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* A new consumer for profile name, or NULL when the table is full. */
static struct fscert_consumer *
consumer_new(struct px *p, enum fscert_consumer_kind kind, const char *name)
{
	struct fscert_consumer *c;

	if (p->fc->n >= FSCERT_MAX_CONSUMERS) {
		p->full = 1;
		return NULL;
	}
	c = &p->fc->c[p->fc->n];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	copy(c->name, sizeof(c->name), name);
	return c;
}

static void
sofia_param(struct px *p, const char *name, const char *value)
{
	struct fscert_consumer *c = p->cur;

	if (strcasecmp(name, "tls") == 0)
		c->tls = fs_true(value);
	else if (strcasecmp(name, "wss-binding") == 0)
		c->wss = value != NULL && *value != '\0';
	else if (strcasecmp(name, "tls-cert-dir") == 0 && value != NULL &&
	    *value != '\0')
		copy(p->tls_dir, sizeof(p->tls_dir), value); /* sofia.c */
	else if (strcasecmp(name, "tls-verify-policy") == 0)
		copy(c->verify_policy, sizeof(c->verify_policy), value);
}

static void
verto_param(
    struct px *p, const char *name, const char *value, const XML_Char **a)
{
	struct fscert_consumer *c = p->cur;

	if (strcasecmp(name, "bind-local") == 0) {
		if (fs_true(attr(a, "secure")) &&
		    c->nbind < FSCERT_MAX_VERTO_BINDS)
			copy(c->bind[c->nbind++], sizeof(c->bind[0]), value);
	} else if (strcasecmp(name, "secure-combined") == 0) {
		copy(c->cert, sizeof(c->cert), value);
		copy(c->key, sizeof(c->key), value);
	} else if (strcasecmp(name, "secure-cert") == 0)
		copy(c->cert, sizeof(c->cert), value);
	else if (strcasecmp(name, "secure-key") == 0)
		copy(c->key, sizeof(c->key), value);
	else if (strcasecmp(name, "secure-chain") == 0)
		copy(c->chain, sizeof(c->chain), value);
}

static void XMLCALL
on_start(void *ud, const XML_Char *el, const XML_Char **a)
{
	struct px *p = ud;
	const char *conf = p->which == SOFIA ? "sofia.conf" : "verto.conf";
	const char *name, *value;
	int d;

	d = ++p->depth;
	if (d <= DEPTH_MAX)
		copy(p->path[d - 1], sizeof(p->path[0]), el);
	if (d == 1) {
		name = attr(a, "name");
		p->root_ok = strcmp(el, "configuration") == 0 && name != NULL &&
		    strcmp(name, conf) == 0;
		return;
	}
	if (!p->root_ok)
		return;
	/* <configuration><profiles><profile name="..."> */
	if (d == 3 && at(p, 2, "profiles") && strcmp(el, "profile") == 0) {
		p->cur = consumer_new(p,
		    p->which == SOFIA ? FSCERT_CONSUMER_SOFIA
				      : FSCERT_CONSUMER_VERTO,
		    attr(a, "name"));
		p->tls_dir[0] = '\0';
		return;
	}
	if (p->cur == NULL || strcmp(el, "param") != 0 ||
	    (name = attr(a, "name")) == NULL)
		return;
	value = attr(a, "value");
	/* sofia: <profile><settings><param>; verto: <profile><param>. */
	if (p->which == SOFIA && d == 5 && at(p, 4, "settings") &&
	    at(p, 3, "profile"))
		sofia_param(p, name, value);
	else if (p->which == VERTO && d == 4 && at(p, 3, "profile"))
		verto_param(p, name, value, a);
}

/* A profile ends: keep it when it reads certificates. */
static void
profile_end(struct px *p)
{
	struct fscert_consumer *c = p->cur;

	p->cur = NULL;
	if (c == NULL)
		return;
	if (p->which == SOFIA) {
		if (!c->tls && !c->wss)
			return;
		if (p->tls_dir[0] != '\0') {
			copy(c->dir, sizeof(c->dir), p->tls_dir);
			copy(c->source, sizeof(c->source), "tls-cert-dir");
		} else {
			copy(c->dir, sizeof(c->dir), p->fc->certs_dir);
			copy(c->source, sizeof(c->source), "certs_dir");
		}
	} else {
		const char *f = c->chain[0] ? c->chain : c->cert;
		const char *slash;

		if (c->nbind == 0)
			return;
		/* Informational: the directory of its first file. */
		if ((slash = strrchr(f, '/')) != NULL)
			(void)snprintf(c->dir, sizeof(c->dir), "%.*s",
			    (int)(slash - f), f);
		copy(c->source, sizeof(c->source),
		    c->cert[0] && strcmp(c->cert, c->key) == 0
			? "secure-combined"
			: "secure-cert");
	}
	p->fc->n++;
}

static void XMLCALL
on_end(void *ud, const XML_Char *el)
{
	struct px *p = ud;

	if (p->root_ok && p->depth == 3 && strcmp(el, "profile") == 0 &&
	    at(p, 2, "profiles"))
		profile_end(p);
	p->depth--;
}

int
fsconf_parse(struct fscert_fsconf *fc, int verto, const char *xml,
    const char *src, struct fscert_err *err)
{
	enum which which = verto ? VERTO : SOFIA;
	const char *what = which == SOFIA ? "sofia.conf" : "verto.conf";
	struct px p;
	XML_Parser x;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.which = which;
	p.fc = fc;
	if ((x = XML_ParserCreate(NULL)) == NULL)
		return fscert_err_set(err, FSCERT_ENOMEM, "out of memory");
	XML_SetUserData(x, &p);
	XML_SetElementHandler(x, on_start, on_end);
	if (XML_Parse(x, xml, (int)strnlen(xml, INT_MAX), 1) ==
	    XML_STATUS_ERROR)
		rc = fscert_err_set(err, FSCERT_EPROTO,
		    "%s %s: not XML (%s at line %lu)", src, what,
		    XML_ErrorString(XML_GetErrorCode(x)),
		    (unsigned long)XML_GetCurrentLineNumber(x));
	else if (!p.root_ok)
		rc = fscert_err_set(err, FSCERT_EPROTO,
		    "%s %s: no <configuration name=\"%s\">", src, what, what);
	else if (p.full)
		rc = fscert_err_set(err, FSCERT_EPROTO,
		    "%s %s: more than %d profiles with certificates", src, what,
		    FSCERT_MAX_CONSUMERS);
	XML_ParserFree(x);
	if (rc == 0 && which == SOFIA)
		fc->have_sofia = 1;
	else if (rc == 0)
		fc->have_verto = 1;
	return rc;
}

int
fscert_fsconf_sofia(
    struct fscert_fsconf *fc, const char *xml, struct fscert_err *err)
{
	return fsconf_parse(fc, 0, xml, "xml_locate", err);
}

int
fscert_fsconf_verto(
    struct fscert_fsconf *fc, const char *xml, struct fscert_err *err)
{
	return fsconf_parse(fc, 1, xml, "xml_locate", err);
}

/* modules.conf: is <load module="NAME"/> under <modules>? */
struct mx {
	const char *module;
	int depth, found;
};

static void XMLCALL
mod_start(void *ud, const XML_Char *el, const XML_Char **a)
{
	struct mx *m = ud;
	const char *v;

	if (++m->depth == 3 && strcmp(el, "load") == 0 &&
	    (v = attr(a, "module")) != NULL && strcmp(v, m->module) == 0)
		m->found = 1;
}

static void XMLCALL
mod_end(void *ud, const XML_Char *el)
{
	(void)el;
	((struct mx *)ud)->depth--;
}

int
fscert_fsconf_loads(const char *modules_conf, const char *module)
{
	struct mx m;
	XML_Parser x;
	int rc;

	memset(&m, 0, sizeof(m));
	m.module = module;
	if ((x = XML_ParserCreate(NULL)) == NULL)
		return -1;
	XML_SetUserData(x, &m);
	XML_SetElementHandler(x, mod_start, mod_end);
	rc = XML_Parse(x, modules_conf, (int)strnlen(modules_conf, INT_MAX),
		 1) == XML_STATUS_ERROR
	    ? -1
	    : m.found;
	XML_ParserFree(x);
	return rc;
}

/* "xml_locate" for name; *body NULL when FreeSWITCH has no such config. */
static int
locate(
    struct fscert_esl *e, const char *name, char **body, struct fscert_err *err)
{
	char cmd[128];

	(void)snprintf(cmd, sizeof(cmd),
	    "xml_locate configuration configuration name %s", name);
	if (fscert_esl_api(e, cmd, body, err) == -1)
		return -1;
	if (strncmp(*body, "can't find anything", 19) == 0) {
		free(*body);
		*body = NULL;
	} else if (strncmp(*body, "-ERR", 4) == 0) {
		fscert_err_set(err, FSCERT_EPROTO, "%s: %s: %.120s",
		    fscert_esl_endpoint(e), cmd, *body);
		free(*body);
		*body = NULL;
		return -1;
	}
	return 0;
}

/* Free a reply that may hold passwords (sofia.conf's gateways). */
static void
forget(char **body)
{
	if (*body != NULL)
		OPENSSL_cleanse(*body, strlen(*body));
	free(*body);
	*body = NULL;
}

/* Parse body with fn; a parse error names the endpoint e. */
static int
parse_from(struct fscert_esl *e, struct fscert_fsconf *fc,
    int (*fn)(struct fscert_fsconf *, const char *, struct fscert_err *),
    const char *body, struct fscert_err *err)
{
	struct fscert_err pe;

	fscert_err_clear(&pe);
	if (body == NULL || fn(fc, body, &pe) == 0)
		return 0;
	return fscert_err_set(
	    err, pe.code, "%s: %s", fscert_esl_endpoint(e), pe.msg);
}

int
fscert_fsconf_fetch(struct fscert_fsconf *fc, const char *host, int port,
    const char *password, int timeout_ms, struct fscert_err *err)
{
	struct fscert_esl *e;
	char *body = NULL;
	size_t n;
	int rc = -1;

	memset(fc, 0, sizeof(*fc));
	if ((e = fscert_esl_open(host, port,
		 password != NULL ? password : FSCERT_ESL_PASSWORD, timeout_ms,
		 err)) == NULL)
		return -1;
	if (fscert_esl_api(e, "global_getvar certs_dir", &body, err) == -1)
		goto out;
	n = strcspn(body, "\r\n");
	(void)snprintf(
	    fc->certs_dir, sizeof(fc->certs_dir), "%.*s", (int)n, body);
	free(body);
	body = NULL;
	if (locate(e, "sofia.conf", &body, err) == -1 ||
	    parse_from(e, fc, fscert_fsconf_sofia, body, err) == -1)
		goto out;
	forget(&body);
	if (locate(e, "verto.conf", &body, err) == -1 ||
	    parse_from(e, fc, fscert_fsconf_verto, body, err) == -1)
		goto out;
	rc = 0;
out:
	forget(&body);
	fscert_esl_close(e);
	return rc;
}

int
fscert_consumer_wanted(const struct fscert_consumer *c,
    const char *const *profiles, size_t nprofiles)
{
	size_t i;

	if (nprofiles == 0)
		return 1;
	for (i = 0; i < nprofiles; i++)
		if (strcmp(profiles[i], c->name) == 0)
			return 1;
	return 0;
}

/* Split path into its directory (into dir) and its last name. */
static const char *
split(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		copy(dir, len, ".");
		return path;
	}
	(void)snprintf(
	    dir, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return slash + 1;
}

int
fscert_consumer_reads(const struct fscert_consumer *c, const char *cert_dir)
{
	const char *f[3] = { c->cert, c->key, c->chain };
	char dir[1024];
	int i;

	if (c->kind == FSCERT_CONSUMER_SOFIA)
		return fs_same_dir(c->dir, cert_dir);
	for (i = 0; i < 3; i++) {
		if (f[i][0] == '\0')
			continue;
		(void)split(f[i], dir, sizeof(dir));
		if (!fs_same_dir(dir, cert_dir))
			return 0;
	}
	return 1;
}

/* Add (or widen) the extra file name with role. */
static int
extra_add(struct fscert_extra *x, size_t *n, const char *name,
    enum fscert_extra_role role)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(x[i].name, name) == 0) {
			if (x[i].role != role)
				x[i].role = FSCERT_EXTRA_COMBINED;
			return 0;
		}
	if (*n >= FSCERT_MAX_EXTRAS)
		return -1;
	copy(x[*n].name, sizeof(x[0].name), name);
	x[(*n)++].role = role;
	return 0;
}

/*
 * One of verto's files (param what, path) for a target installing into
 * cert_dir: refused when it lies elsewhere or names a file of ours that
 * does not hold what verto wants from it, else added to the extras.
 */
static int
verto_file(const struct fscert_consumer *c, const char *what, const char *path,
    enum fscert_extra_role role, const char *cert_dir, const char *target,
    struct fscert_extra *x, size_t *nx, struct fscert_err *err)
{
	char dir[1024];
	const char *name = split(path, dir, sizeof(dir));

	if (!fs_same_dir(dir, cert_dir))
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "verto profile %s reads %s (%s), not a file in %s where "
		    "target %s installs: set %s to %s/wss.pem in "
		    "verto.conf.xml, or cert_dir = %s in [target %s]",
		    c->name, path, what, cert_dir, target, what, cert_dir, dir,
		    target);
	if (strcmp(name, "wss.pem") == 0)
		return 0; /* leaf, intermediates, key: good for any role */
	if (strcmp(name, "agent.pem") == 0 && role != FSCERT_EXTRA_CERT)
		return 0;
	if (strcmp(name, "cafile.pem") == 0 || strcmp(name, "agent.pem") == 0 ||
	    strcmp(name, "tls.pem") == 0 ||
	    strncmp(name, "dtls-srtp", 9) == 0 || name[0] == '.' ||
	    name[0] == '\0')
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "verto profile %s reads %s (%s), which %s: set %s to "
		    "%s/wss.pem in verto.conf.xml",
		    c->name, path, what,
		    strcmp(name, "agent.pem") == 0
			? "holds no intermediate"
			: "is not a file fscert writes for it",
		    what, cert_dir);
	if (extra_add(x, nx, name, role) == -1)
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "verto profile %s: more than %d files to write", c->name,
		    FSCERT_MAX_EXTRAS);
	return 0;
}

static int
check_verto(const struct fscert_consumer *c, const char *cert_dir,
    const char *target, struct fscert_extra *x, size_t *nx,
    struct fscert_err *err)
{
	int combined = c->cert[0] != '\0' && strcmp(c->cert, c->key) == 0;

	if (c->cert[0] == '\0' || c->key[0] == '\0')
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "verto profile %s listens on %s with secure=\"true\" but "
		    "has no %s: set secure-combined to %s/wss.pem in "
		    "verto.conf.xml",
		    c->name, c->bind[0],
		    c->cert[0] == '\0' ? "secure-cert" : "secure-key",
		    cert_dir);
	/* use_certificate_file loads the leaf alone: the chain is needed. */
	if (c->chain[0] == '\0')
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "verto profile %s has no secure-chain, so it would serve "
		    "its leaf without the intermediate: set secure-chain to "
		    "%s in verto.conf.xml",
		    c->name,
		    strcmp(c->cert, c->key) == 0 ? c->cert : "the full chain");
	if (combined)
		return verto_file(c, "secure-combined", c->cert,
			   FSCERT_EXTRA_COMBINED, cert_dir, target, x, nx,
			   err) == -1 ||
			(strcmp(c->chain, c->cert) != 0 &&
			    verto_file(c, "secure-chain", c->chain,
				FSCERT_EXTRA_CERT, cert_dir, target, x, nx,
				err) == -1)
		    ? -1
		    : 0;
	if (verto_file(c, "secure-cert", c->cert, FSCERT_EXTRA_CERT, cert_dir,
		target, x, nx, err) == -1 ||
	    verto_file(c, "secure-key", c->key, FSCERT_EXTRA_KEY, cert_dir,
		target, x, nx, err) == -1 ||
	    verto_file(c, "secure-chain", c->chain, FSCERT_EXTRA_CERT, cert_dir,
		target, x, nx, err) == -1)
		return -1;
	return 0;
}

int
fscert_fsconf_check(const struct fscert_fsconf *fc, const char *cert_dir,
    const char *const *profiles, size_t nprofiles, const char *target,
    struct fscert_extra *extras, size_t *nextras, int *verify_peers,
    struct fscert_err *err)
{
	const struct fscert_consumer *c;
	size_t i;

	*nextras = 0;
	*verify_peers = 0;
	for (i = 0; i < fc->n; i++) {
		c = &fc->c[i];
		if (!fscert_consumer_wanted(c, profiles, nprofiles))
			continue;
		if (c->kind == FSCERT_CONSUMER_VERTO) {
			if (check_verto(c, cert_dir, target, extras, nextras,
				err) == -1)
				return -1;
			continue;
		}
		/* certs_dir not known (guessed from a layout that says none). */
		if (c->dir[0] == '\0')
			continue;
		if (!fs_same_dir(c->dir, cert_dir)) {
			if (strcmp(c->source, "certs_dir") == 0)
				return fscert_err_set(err, FSCERT_EREFUSED,
				    "profile %s reads %s (FreeSWITCH's "
				    "certs_dir: it sets no tls-cert-dir), not "
				    "%s where target %s installs: set cert_dir "
				    "= %s in [target %s], or <param "
				    "name=\"tls-cert-dir\" value=\"%s\"/> in "
				    "profile %s",
				    c->name, c->dir, cert_dir, target, c->dir,
				    target, cert_dir, c->name);
			return fscert_err_set(err, FSCERT_EREFUSED,
			    "profile %s reads %s (its tls-cert-dir), not %s "
			    "where target %s installs: set cert_dir = %s in "
			    "[target %s], or name the profiles it serves "
			    "(profile = NAME)",
			    c->name, c->dir, cert_dir, target, c->dir, target);
		}
		if (c->verify_policy[0] != '\0' &&
		    strcasecmp(c->verify_policy, "none") != 0)
			*verify_peers = 1;
	}
	return 0;
}
