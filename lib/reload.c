/*
 * reload.c: the reload policy and its proof by handshake.  Talks to
 * FreeSWITCH through esl.c, probes through probe.c, and writes only
 * through install.c (rollback).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fscert/esl.h"
#include "fscert/lineage.h"
#include "fscert/reload.h"
#include "internal.h"

static const char *const status_names[FSCERT_RELOAD__MAX] = {
	"reloaded",
	"deferred",
	"failed",
	"rolled back",
};

const char *
fscert_reload_status_name(enum fscert_reload_status s)
{
	return (unsigned)s < FSCERT_RELOAD__MAX ? status_names[s] : "?";
}

void
fscert_reload_opts_init(struct fscert_reload_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->esl_port = FSCERT_ESL_PORT;
	o->esl_timeout_ms = 5000;
	o->reloadxml_timeout_ms = 30000;
	o->force_window_days = 3;
	o->max_wait = 600;
	o->poll_ms = 2000;
	o->verify_timeout_ms = 15000;
	o->running_timeout_ms = 120000;
}

void
fscert_reload_opts_from(struct fscert_reload_opts *o,
    const struct fscert_config *c, const struct fscert_target *t,
    int *password_is_default)
{
	fscert_reload_opts_init(o);
	o->cert_dir = t->cert_dir;
	o->esl_host = c->esl_host;
	o->esl_port = c->esl_port;
	o->esl_password = c->esl_password;
	*password_is_default = c->esl_password == NULL;
	o->esl_timeout_ms = c->esl_timeout * 1000;
	o->profiles = (const char *const *)t->profiles;
	o->nprofiles = t->nprofiles;
	o->verify = (const char *const *)t->verify;
	o->nverify = t->nverify;
	o->sni = t->nhosts > 0 ? t->hosts[0] : NULL;
	o->force = c->force;
	o->force_window_days = c->force_window_days;
	o->max_wait = c->max_wait;
	o->verify_timeout_ms = c->verify_timeout * 1000;
	o->running_timeout_ms = c->running_timeout * 1000;
	o->reloadxml_timeout_ms = c->reloadxml_timeout * 1000;
	o->custom_ciphers = t->tls_ciphers != NULL;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Record a step (what it was, since when, how it went). */
static void
step(struct fscert_reload_result *r, long since, int ok, const char *what,
    const char *fmt, ...)
{
	struct fscert_step *s;
	va_list ap;

	if (r->nsteps >= FSCERT_MAX_STEPS)
		return;
	s = &r->steps[r->nsteps++];
	(void)snprintf(s->what, sizeof(s->what), "%s", what);
	s->ms = conn_now_ms() - since;
	s->ok = ok;
	va_start(ap, fmt);
	(void)vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

/* "sips:mod_sofia@127.0.0.1:15061;maddr=...;transport=tls" -> host, port. */
static void
bind_url(const char *url, char *host, size_t hlen, int *port)
{
	const char *at, *p, *end;
	char *pe;
	size_t n;
	long v;

	*port = 0;
	host[0] = '\0';
	if (url == NULL || (at = strchr(url, '@')) == NULL)
		return;
	p = at + 1;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL || end[1] != ':')
			return;
		n = (size_t)(end - p - 1);
		p++;
		end++;
	} else {
		if ((end = strchr(p, ':')) == NULL)
			return;
		n = (size_t)(end - p);
	}
	if (n == 0 || n >= hlen)
		return;
	if (end[1] < '0' || end[1] > '9')
		return;
	v = strtol(end + 1, &pe, 10);
	if (v < 1 || v > 65535 || (*pe != '\0' && *pe != ';'))
		return;
	memcpy(host, p, n);
	host[n] = '\0';
	*port = (int)v;
	/* A wildcard bind is reachable on loopback. */
	if (strcmp(host, "0.0.0.0") == 0)
		(void)snprintf(host, hlen, "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		(void)snprintf(host, hlen, "::1");
}

int
fscert_jsonstatus_parse(
    const char *body, struct fscert_fsstatus *st, struct fscert_err *err)
{
	json_t *root, *profiles, *v, *status, *info;
	json_error_t je;
	const char *name, *type, *s;
	struct fscert_fsprofile *p;

	memset(st, 0, sizeof(*st));
	root = json_loads(body, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return fscert_err_set(err, FSCERT_EPROTO,
		    "sofia jsonstatus: not JSON (%s at line %d)", je.text,
		    je.line);
	profiles = json_object_get(root, "profiles");
	if (!json_is_object(profiles)) {
		json_decref(root);
		return fscert_err_set(err, FSCERT_EPROTO,
		    "sofia jsonstatus: no \"profiles\" object");
	}
	json_object_foreach(profiles, name, v)
	{
		status = json_object_get(v, "status");
		type = json_string_value(json_object_get(status, "type"));
		if (type == NULL || strcmp(type, "profile") != 0)
			continue; /* aliases, gateways */
		if (st->nprofiles >= FSCERT_MAX_PROFILES_SEEN)
			break;
		p = &st->profiles[st->nprofiles++];
		(void)snprintf(p->name, sizeof(p->name), "%s", name);
		s = json_string_value(json_object_get(status, "state"));
		(void)snprintf(p->state, sizeof(p->state), "%s", s ? s : "");
		p->inuse = json_is_integer(json_object_get(status, "in-use"))
		    ? (long)json_integer_value(
			  json_object_get(status, "in-use"))
		    : -1;
		info = json_object_get(v, "info");
		bind_url(
		    json_string_value(json_object_get(info, "tls-bind-url")),
		    p->tls_host, sizeof(p->tls_host), &p->tls_port);
		bind_url(
		    json_string_value(json_object_get(info, "wss-bind-url")),
		    p->wss_host, sizeof(p->wss_host), &p->wss_port);
	}
	json_decref(root);
	return 0;
}

/* Trim the spaces around [p, p + n) into out. */
static void
field(const char *p, size_t n, char *out, size_t len)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	(void)snprintf(out, len, "%.*s", (int)n, p);
}

int
fscert_verto_status_parse(
    const char *body, struct fscert_vertostatus *vs, struct fscert_err *err)
{
	const char *line, *eol, *f[4], *t;
	char name[64], type[16], data[128], state[32], url[160];
	struct fscert_vertobind *b;
	size_t n;
	int i, port;

	memset(vs, 0, sizeof(*vs));
	/* "-ERR verto Command not found!": mod_verto is not loaded. */
	if (strncmp(body, "-ERR", 4) == 0)
		return 0;
	if (strncmp(body, "                     Name\t", 26) != 0)
		return fscert_err_set(err, FSCERT_EPROTO,
		    "verto status: not its table: %.60s", body);
	vs->loaded = 1;
	for (line = body; *line != '\0'; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		/* "%25s\t%s\t  %40s\t%s": name, type, data, state. */
		f[0] = line;
		for (i = 1; i < 4; i++) {
			t = memchr(f[i - 1], '\t', (size_t)(eol - f[i - 1]));
			if (t == NULL)
				break;
			f[i] = t + 1;
		}
		if (i < 4) {
			/* "1 profile , 2 clients" */
			if ((t = strstr(line, " , ")) != NULL && t < eol)
				vs->clients = strtol(t + 3, NULL, 10);
			continue;
		}
		field(f[0], (size_t)(f[1] - 1 - f[0]), name, sizeof(name));
		field(f[1], (size_t)(f[2] - 1 - f[1]), type, sizeof(type));
		field(f[2], (size_t)(f[3] - 1 - f[2]), data, sizeof(data));
		field(f[3], (size_t)(eol - f[3]), state, sizeof(state));
		if (strcmp(type, "profile") != 0 ||
		    strncmp(data, "wss:", 4) != 0 ||
		    vs->nbinds >= FSCERT_MAX_ENDPOINTS)
			continue;
		b = &vs->binds[vs->nbinds];
		/* "wss:127.0.0.1:8082", "wss:[::1]:8082": a bind URL's tail. */
		(void)snprintf(url, sizeof(url), "x@%s", data + 4);
		bind_url(url, b->host, sizeof(b->host), &port);
		if (port == 0)
			continue;
		b->port = port;
		n = strlen(name);
		(void)snprintf(
		    b->profile, sizeof(b->profile), "%.*s", (int)n, name);
		b->running = strcmp(state, "RUNNING") == 0;
		vs->nbinds++;
	}
	return 0;
}

/* The state of FreeSWITCH's profiles, over the connection e. */
static int
jsonstatus(
    struct fscert_esl *e, struct fscert_fsstatus *st, struct fscert_err *err)
{
	char *body = NULL;
	int rc;

	if (fscert_esl_api(e, "sofia jsonstatus", &body, err) == -1)
		return -1;
	rc = fscert_jsonstatus_parse(body, st, err);
	free(body);
	return rc;
}

static const struct fscert_fsprofile *
find_profile(const struct fscert_fsstatus *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nprofiles; i++)
		if (strcmp(st->profiles[i].name, name) == 0)
			return &st->profiles[i];
	return NULL;
}

/* Everything the run needs to know, gathered once. */
struct rctx {
	const struct fscert_reload_opts *o;
	struct fscert_reload_result *r;
	struct fscert_esl *e;
	char leaf[65]; /* installed leaf */
	char inter[65]; /* installed first intermediate */
	char host[FSCERT_MAX_ENDPOINTS][64];
	int port[FSCERT_MAX_ENDPOINTS];
	size_t nend;
	char prof[FSCERT_MAX_PROFILES_SEEN][64];
	size_t nprof;
	int down; /* a profile did not come back after a restart */
	size_t nverto; /* verto wss endpoints among the endpoints */
	int verto_owed; /* "reload mod_verto" still to send (1.10) */
	struct fscert_vertostatus vs;
};

static void
hex(const unsigned char *md, unsigned int n, char *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + (size_t)2 * i, 3, "%02x", md[i]);
}

/* The installed leaf and intermediate, to compare with what is served. */
static int
installed(struct rctx *c, struct fscert_err *err)
{
	struct fscert_lineage *l;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;

	if ((l = fscert_lineage_open_dir(c->o->cert_dir, err)) == NULL)
		return -1;
	n = 0;
	if (X509_digest(l->leaf, EVP_sha256(), md, &n))
		hex(md, n, c->leaf);
	n = 0;
	if (sk_X509_num(l->chain) > 0 &&
	    X509_digest(sk_X509_value(l->chain, 0), EVP_sha256(), md, &n))
		hex(md, n, c->inter);
	fscert_lineage_free(l);
	return 0;
}

/* Was profile name asked for (or were none asked for)? */
static int
wanted(const struct fscert_reload_opts *o, const char *name)
{
	size_t j;

	if (o->nprofiles == 0)
		return 1;
	for (j = 0; j < o->nprofiles; j++)
		if (strcmp(o->profiles[j], name) == 0)
			return 1;
	return 0;
}

static void
add_endpoint(struct rctx *c, const char *host, int port)
{
	if (port == 0 || c->nend >= FSCERT_MAX_ENDPOINTS)
		return;
	(void)snprintf(c->host[c->nend], sizeof(c->host[0]), "%s", host);
	c->port[c->nend++] = port;
}

/*
 * Endpoints from --verify, else the TLS and WSS bind URLs of the
 * profiles; profiles from --profile, else those with a TLS or WSS
 * binding, else "internal".  Done while the profiles are RUNNING: a
 * DOWN profile shows no URLs.
 */
static int
discover(struct rctx *c, struct fscert_err *err)
{
	const struct fscert_reload_opts *o = c->o;
	const struct fscert_fsprofile *p;
	struct fscert_fsstatus st;
	long t0 = conn_now_ms();
	char *body = NULL;
	size_t i, j;
	int verto;

	for (i = 0; i < o->nverify && c->nend < FSCERT_MAX_ENDPOINTS; i++) {
		if (fscert_parse_hostport(o->verify[i], c->host[c->nend],
			sizeof(c->host[0]), &c->port[c->nend], err) == -1)
			return -1;
		c->nend++;
	}
	if (c->e != NULL) {
		/* mod_verto's secure bindings (none when it is not loaded). */
		if (fscert_esl_api(c->e, "verto status", &body, err) == -1)
			return -1;
		verto = fscert_verto_status_parse(body, &c->vs, err);
		free(body);
		if (verto == -1)
			return -1;
	}
	/* --profile names a sofia profile, or a verto one. */
	for (i = 0; i < o->nprofiles && c->nprof < FSCERT_MAX_PROFILES_SEEN;
	     i++) {
		for (verto = 0, j = 0; j < c->vs.nbinds; j++)
			verto |=
			    strcmp(c->vs.binds[j].profile, o->profiles[i]) == 0;
		if (!verto)
			(void)snprintf(c->prof[c->nprof++], sizeof(c->prof[0]),
			    "%s", o->profiles[i]);
	}
	if (c->e != NULL) {
		if (jsonstatus(c->e, &st, err) == -1)
			return -1;
		for (i = 0; i < st.nprofiles; i++) {
			p = &st.profiles[i];
			if ((p->tls_port == 0 && p->wss_port == 0) ||
			    !wanted(o, p->name))
				continue;
			if (o->nprofiles == 0 &&
			    c->nprof < FSCERT_MAX_PROFILES_SEEN)
				(void)snprintf(c->prof[c->nprof++],
				    sizeof(c->prof[0]), "%s", p->name);
			if (o->nverify == 0) {
				add_endpoint(c, p->tls_host, p->tls_port);
				add_endpoint(c, p->wss_host, p->wss_port);
			}
		}
		for (i = 0; i < c->vs.nbinds; i++) {
			if (!wanted(o, c->vs.binds[i].profile))
				continue;
			c->nverto++;
			if (o->nverify == 0)
				add_endpoint(c, c->vs.binds[i].host,
				    c->vs.binds[i].port);
		}
	}
	if (c->nprof == 0 && c->nverto == 0)
		(void)snprintf(
		    c->prof[c->nprof++], sizeof(c->prof[0]), "internal");
	if (c->nend == 0)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "%s: no TLS or WSS binding found: give --verify HOST:PORT",
		    c->e ? fscert_esl_endpoint(c->e) : "event socket");
	step(c->r, t0, 1, "discover", "%zu endpoint(s); profile %s%s%s",
	    c->nend, c->nprof ? c->prof[0] : "-",
	    c->nprof > 1 ? " and more" : "", c->nverto ? "; mod_verto" : "");
	return 0;
}

/* Does probe p show the installed leaf and the intermediate? */
static int
serves_installed(const struct rctx *c, const struct fscert_probe *p)
{
	int i, inter = c->inter[0] == '\0';

	if (!p->ok || strcmp(p->sha256[0], c->leaf) != 0)
		return 0;
	for (i = 1; i < p->nserved; i++)
		inter |= strcmp(p->sha256[i], c->inter) == 0;
	return inter;
}

/* What p served, for a message. */
static const char *
served_text(
    const struct rctx *c, const struct fscert_probe *p, char *buf, size_t len)
{
	if (!p->ok)
		(void)snprintf(buf, len, "%s", p->error);
	else if (strcmp(p->sha256[0], c->leaf) != 0)
		(void)snprintf(buf, len,
		    "the old leaf %.16s... ('%s'), not "
		    "%.16s...",
		    p->sha256[0], p->subject, c->leaf);
	else
		(void)snprintf(buf, len,
		    "the new leaf without its "
		    "intermediate (%d certificate(s))",
		    p->nserved);
	return buf;
}

/*
 * Poll every endpoint until it serves the installed leaf with the
 * intermediate, or the timeout.  FreeSWITCH keeps serving the old
 * leaf for a moment after it replied: an old leaf means "not yet",
 * never success.
 */
static int
verify(struct rctx *c, struct fscert_err *err)
{
	const struct fscert_reload_opts *o = c->o;
	struct fscert_reload_result *r = c->r;
	struct fscert_probe *p;
	char what[64], why[192];
	long t0 = conn_now_ms(), deadline = t0 + o->verify_timeout_ms;
	int done[FSCERT_MAX_ENDPOINTS] = { 0 };
	size_t i, left = c->nend;
	int bad = -1;

	/* One deadline for all endpoints, probed in turn until each is done. */
	r->nserved = c->nend;
	while (left > 0) {
		for (i = 0; i < c->nend; i++) {
			if (done[i])
				continue;
			p = &r->served[i];
			if (fscert_probe_tls(c->host[i], c->port[i], o->sni,
				2000, p, err) == -1)
				return -1;
			if ((done[i] = serves_installed(c, p))) {
				left--;
				(void)snprintf(what, sizeof(what),
				    "verify %.56s", p->endpoint);
				step(r, t0, 1, what,
				    "serves the installed leaf and "
				    "intermediate");
			}
		}
		if (left == 0 || conn_now_ms() >= deadline)
			break;
		sleep_ms(50);
	}
	for (i = 0; i < c->nend; i++) {
		if (done[i])
			continue;
		p = &r->served[i];
		(void)snprintf(what, sizeof(what), "verify %.56s", p->endpoint);
		step(r, t0, 0, what, "%s", served_text(c, p, why, sizeof(why)));
		if (bad == -1)
			bad = (int)i;
	}
	if (bad == -1)
		return 0;
	p = &r->served[bad];
	return fscert_err_set(err, FSCERT_EVERIFY, "%s: serves %s after %d ms",
	    p->endpoint, served_text(c, p, why, sizeof(why)),
	    o->verify_timeout_ms);
}

/* "api CMD" as a recorded step; the body is returned (caller frees). */
static int
api(struct rctx *c, const char *cmd, char **body, struct fscert_err *err)
{
	long t0 = conn_now_ms();
	int rc;

	size_t n = 0;

	rc = fscert_esl_api(c->e, cmd, body, err);
	if (rc == 0) {
		/* The first line of the reply, for -v and --json. */
		n = strcspn(*body, "\n");
		if (n > 120)
			n = 120;
	}
	step(c->r, t0, rc == 0, cmd, "%.*s", (int)n, rc == 0 ? *body : "");
	return rc;
}

/* Field i of the comma-separated line [p, eol), or NULL. */
static const char *
csv_field(const char *p, const char *eol, int i, size_t *len)
{
	const char *comma;

	for (; i > 0; i--) {
		if ((comma = memchr(p, ',', (size_t)(eol - p))) == NULL)
			return NULL;
		p = comma + 1;
	}
	comma = memchr(p, ',', (size_t)(eol - p));
	*len = (size_t)((comma != NULL ? comma : eol) - p);
	return p;
}

/*
 * The calls on mod_verto: rows of "show channels" whose name column is
 * "verto.rtc/...".  -1 with err when the reply is not that table.
 */
static long
verto_calls(struct rctx *c, struct fscert_err *err)
{
	const char *line, *eol, *f;
	char *body = NULL;
	size_t len;
	long n = 0;
	int col = -1, i;

	if (fscert_esl_api(c->e, "show channels", &body, err) == -1)
		return -1;
	for (line = body; *line != '\0'; line = *eol ? eol + 1 : eol) {
		eol = line + strcspn(line, "\n");
		if (col == -1) {
			/* The header: uuid,direction,created,...,name,... */
			for (i = 0; (f = csv_field(line, eol, i, &len)) != NULL;
			     i++)
				if (len == 4 && strncmp(f, "name", 4) == 0) {
					col = i;
					break;
				}
			continue;
		}
		if ((f = csv_field(line, eol, col, &len)) != NULL && len > 10 &&
		    strncmp(f, "verto.rtc/", 10) == 0)
			n++;
	}
	if (col == -1 && strstr(body, " total.") == NULL) {
		fscert_err_set(err, FSCERT_EPROTO, "%s: show channels: %.80s",
		    fscert_esl_endpoint(c->e), body);
		free(body);
		return -1;
	}
	free(body);
	return n;
}

/*
 * Wait until the in-use count of every profile to restart is 0, or
 * max_wait: 1 when all are 0, 0 when not (*busy names the first with
 * calls).  All are checked before any is restarted, so that a deferral
 * never leaves some profiles restarted and others not.
 */
static int
drained(struct rctx *c, const char **busy, struct fscert_err *err)
{
	const struct fscert_fsprofile *p;
	struct fscert_fsstatus st;
	long t0 = conn_now_ms(), deadline = t0 + (long)c->o->max_wait * 1000;
	long inuse, n;
	size_t i;

	for (;;) {
		if (jsonstatus(c->e, &st, err) == -1)
			return -1;
		*busy = NULL;
		inuse = 0;
		for (i = 0; i < c->nprof; i++) {
			p = find_profile(&st, c->prof[i]);
			n = p != NULL && p->inuse > 0 ? p->inuse : 0;
			if (n > 0 && *busy == NULL)
				*busy = c->prof[i];
			inuse += n;
		}
		/* "reload mod_verto" drops every verto call too. */
		if (c->nverto > 0) {
			if ((n = verto_calls(c, err)) == -1)
				return -1;
			if (n > 0 && *busy == NULL)
				*busy = "mod_verto";
			inuse += n;
		}
		if (inuse == 0 || conn_now_ms() >= deadline) {
			step(c->r, t0, inuse == 0, "wait for in-use 0",
			    "%zu profile(s)%s: %ld call(s) in use%s%s",
			    c->nprof, c->nverto ? " and mod_verto" : "", inuse,
			    *busy ? " on " : "", *busy ? *busy : "");
			return inuse == 0;
		}
		sleep_ms(c->o->poll_ms);
	}
}

/* Wait until prof is RUNNING again after a restart. */
static int
running(struct rctx *c, const char *prof, struct fscert_err *err)
{
	const struct fscert_fsprofile *p;
	struct fscert_fsstatus st;
	long t0 = conn_now_ms(), deadline = t0 + c->o->running_timeout_ms;

	for (;;) {
		if (jsonstatus(c->e, &st, err) == -1)
			return -1;
		p = find_profile(&st, prof);
		if (p != NULL && strcmp(p->state, "RUNNING") == 0) {
			step(c->r, t0, 1, "wait for RUNNING", "profile %s",
			    prof);
			return 0;
		}
		if (conn_now_ms() >= deadline) {
			c->down = 1;
			step(c->r, t0, 0, "wait for RUNNING", "profile %s: %s",
			    prof, p ? p->state : "absent");
			return fscert_err_set(err, FSCERT_EVERIFY,
			    "%s: profile %s not RUNNING again after %d ms "
			    "(state %s)",
			    fscert_esl_endpoint(c->e), prof,
			    c->o->running_timeout_ms, p ? p->state : "absent");
		}
		sleep_ms(100);
	}
}

/* Names for the esl_api whitelist: letters, digits, "._-". */
static int
safe_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
			*s == '-'))
			return 0;
	return 1;
}

/*
 * "sofia profile NAME start" for a profile that is not running, then
 * wait until it is RUNNING (it loads the files on disk).  mod_sofia
 * replies "NAME started successfully" or "Failure starting NAME".
 */
static int
start(struct rctx *c, const char *prof, struct fscert_err *err)
{
	char cmd[128], *body = NULL;

	(void)snprintf(cmd, sizeof(cmd), "sofia profile %s start", prof);
	if (api(c, cmd, &body, err) == -1)
		return -1;
	if (strstr(body, "Failure") != NULL || strncmp(body, "-ERR", 4) == 0) {
		fscert_err_set(err, FSCERT_EPROTO, "%s: '%s': %.120s",
		    fscert_esl_endpoint(c->e), cmd, body);
		free(body);
		return -1;
	}
	free(body);
	return running(c, prof, err);
}

/*
 * After a rollback: start every profile that a restart left down, so
 * that it loads the set put back.  The others are left as they are.
 */
static int
start_down(struct rctx *c, struct fscert_err *err)
{
	const struct fscert_fsprofile *p;
	struct fscert_fsstatus st;
	size_t i;

	if (jsonstatus(c->e, &st, err) == -1)
		return -1;
	for (i = 0; i < c->nprof; i++) {
		p = find_profile(&st, c->prof[i]);
		if ((p != NULL && strcmp(p->state, "RUNNING") == 0) ||
		    !safe_name(c->prof[i]))
			continue;
		if (start(c, c->prof[i], err) == -1)
			return -1;
	}
	return 0;
}

/*
 * "reload mod_verto": synchronous, it answers once the module is loaded
 * again from the files on disk.
 */
static int
reload_verto(struct rctx *c, struct fscert_err *err)
{
	char *body = NULL;

	c->verto_owed = 0;
	if (api(c, "reload mod_verto", &body, err) == -1)
		return -1;
	if (strstr(body, "+OK module loaded") == NULL) {
		fscert_err_set(err, FSCERT_EPROTO,
		    "%s: reload mod_verto: %.160s", fscert_esl_endpoint(c->e),
		    body);
		free(body);
		return -1;
	}
	free(body);
	return 0;
}

/* Restart one profile, waiting out the 10-second uptime guard. */
static int
restart(struct rctx *c, const char *prof, struct fscert_err *err)
{
	char cmd[128], *body = NULL, *w;
	int tries, secs;

	for (tries = 0; tries < 8; tries++) {
		(void)snprintf(
		    cmd, sizeof(cmd), "sofia profile %s restart", prof);
		if (api(c, cmd, &body, err) == -1)
			return -1;
		if (strstr(body, "restarting:") != NULL) {
			free(body);
			if (c->verto_owed && reload_verto(c, err) == -1)
				return -1;
			return running(c, prof, err);
		}
		if ((w = strstr(body, "Please wait ")) != NULL) {
			/* "must be up for at least 10 seconds": not an error. */
			secs = (int)strtol(w + 12, NULL, 10);
			free(body);
			sleep_ms(
			    (secs > 0 && secs <= 10 ? secs : 1) * 1000L + 200);
			continue;
		}
		if (strncmp(body, "Invalid Profile", 15) == 0) {
			/* Not running at all: start it. */
			free(body);
			return start(c, prof, err);
		}
		fscert_err_set(err, FSCERT_EPROTO, "%s: '%s': %.120s",
		    fscert_esl_endpoint(c->e), cmd, body);
		free(body);
		return -1;
	}
	return fscert_err_set(err, FSCERT_EPROTO,
	    "%s: profile %s would not restart", fscert_esl_endpoint(c->e),
	    prof);
}

/*
 * "api reloadxml" under its own timeout: FreeSWITCH replies only once
 * the whole XML tree is parsed again, which takes seconds on a large
 * FusionPBX config.  esl.c keeps one timeout per connection, so when
 * reloadxml's is longer it goes over a second connection to the
 * endpoint the first one reached.  The body is returned (caller frees).
 */
static int
reloadxml(struct rctx *c, char **body, struct fscert_err *err)
{
	const struct fscert_reload_opts *o = c->o;
	struct fscert_esl *x = c->e, *first = c->e;
	char host[256];
	long t0 = conn_now_ms();
	int port, rc;

	if (o->reloadxml_timeout_ms > o->esl_timeout_ms) {
		if (fscert_parse_hostport(fscert_esl_endpoint(c->e), host,
			sizeof(host), &port, err) == -1 ||
		    (x = fscert_esl_open(host, port,
			 o->esl_password ? o->esl_password
					 : FSCERT_ESL_PASSWORD,
			 o->reloadxml_timeout_ms, err)) == NULL) {
			step(c->r, t0, 0, "reloadxml", "%s", err->msg);
			return -1;
		}
	}
	c->e = x;
	rc = api(c, "reloadxml", body, err);
	c->e = first;
	if (x != first)
		fscert_esl_close(x);
	return rc;
}

/*
 * One pass of the policy: reloadxml, reloadcert or restarts, verify.
 * force: restart even with calls up.
 */
static int
reload_once(struct rctx *c, int force, int vars, struct fscert_err *err)
{
	const struct fscert_reload_opts *o = c->o;
	struct fscert_reload_result *r = c->r;
	const char *busy = NULL;
	char *body = NULL;
	size_t i;
	int d;

	if (vars) {
		if (reloadxml(c, &body, err) == -1)
			return -1;
		if (strncmp(body, "+OK [Success]", 13) != 0) {
			fscert_err_set(err, FSCERT_EPROTO,
			    "%s: reloadxml: "
			    "%.160s",
			    fscert_esl_endpoint(c->e), body);
			free(body);
			return -1;
		}
		free(body);
	}
	if (api(c, "reloadcert", &body, err) == -1)
		return -1;
	if (strncmp(body, "+OK", 3) == 0) {
		free(body);
		(void)snprintf(r->method, sizeof(r->method), "reloadcert");
		if (o->custom_ciphers)
			(void)snprintf(r->warning, sizeof(r->warning),
			    "after reloadcert FreeSWITCH uses sofia-sip's "
			    "default cipher list, not sip_tls_ciphers, until "
			    "the profile restarts");
		return verify(c, err);
	}
	if (strstr(body, "Command not found") == NULL) {
		fscert_err_set(err, FSCERT_EPROTO, "%s: reloadcert: %.160s",
		    fscert_esl_endpoint(c->e), body);
		free(body);
		return -1;
	}
	free(body);
	(void)snprintf(r->method, sizeof(r->method), "restart");

	/*
	 * A restart hangs up every call on the profile.  Force it when
	 * asked, or when what clients get now expires within the window:
	 * an expired certificate stops every TLS phone anyway.
	 */
	if (!force && o->force_window_days > 0) {
		for (i = 0; i < c->nend; i++) {
			struct fscert_probe p;

			if (fscert_probe_tls(c->host[i], c->port[i], o->sni,
				2000, &p, err) == -1)
				return -1;
			if (p.ok && p.days_left < o->force_window_days) {
				step(r, conn_now_ms(), 1, "force window",
				    "%s serves a leaf expiring in %ld day(s)",
				    p.endpoint, p.days_left);
				force = 1;
			}
		}
	}
	for (i = 0; i < c->nprof; i++)
		if (!safe_name(c->prof[i]))
			return fscert_err_set(err, FSCERT_EUSAGE,
			    "profile name '%s' is not a plain name",
			    c->prof[i]);
	/* Every profile idle before the first restart, or none restarted. */
	if (!force) {
		if ((d = drained(c, &busy, err)) == -1)
			return -1;
		if (d == 0)
			return fscert_err_set(err, FSCERT_EDEFERRED,
			    "%s: %s%s still has calls after %d s; "
			    "restart deferred (fscert reload retries, "
			    "--force restarts now)",
			    fscert_esl_endpoint(c->e),
			    busy != NULL && strcmp(busy, "mod_verto") == 0
				? ""
				: "profile ",
			    busy ? busy : c->prof[0], o->max_wait);
	}
	/*
	 * XXX: a call that starts on a later profile while an earlier one
	 * restarts is hung up; waiting again there would leave the set
	 * half loaded instead.
	 */
	/*
	 * Before reloadcert, mod_verto loads its certificate only when the
	 * module loads: "reload mod_verto" (which drops its clients and
	 * calls, hence the in-use rule above) goes out while the first
	 * profile restarts, not after it.
	 */
	c->verto_owed = c->nverto > 0;
	for (i = 0; i < c->nprof; i++)
		if (restart(c, c->prof[i], err) == -1)
			return -1;
	/* No sofia profile restarted (only verto served): now. */
	if (c->verto_owed && reload_verto(c, err) == -1)
		return -1;
	return verify(c, err);
}

static int
run(struct rctx *c, struct fscert_err *err)
{
	const struct fscert_reload_opts *o = c->o;
	struct fscert_reload_result *r = c->r;
	struct fscert_err rerr;
	long t0;
	int lock = -1;

	if (installed(c, err) == -1)
		return -1;
	t0 = conn_now_ms();
	c->e = fscert_esl_open(o->esl_host, o->esl_port,
	    o->esl_password ? o->esl_password : FSCERT_ESL_PASSWORD,
	    o->esl_timeout_ms, err);
	step(r, t0, c->e != NULL, "connect", "%s",
	    c->e ? fscert_esl_endpoint(c->e) : "");
	if (c->e == NULL || discover(c, err) == -1)
		return -1;
	if (reload_once(c, o->force, o->vars_changed, err) == 0)
		return 0;
	/*
	 * Only a deploy rolls back, and only what it installed itself:
	 * fscert reload installed nothing, so it reports and leaves the
	 * files (the next run retries).
	 */
	if (err->code != FSCERT_EVERIFY || o->rollback == NULL ||
	    o->guard == NULL)
		return -1;

	/*
	 * The new set is not served: put back the set this run replaced
	 * (if it is fit to serve) and make FreeSWITCH load it, so that
	 * clients keep what worked.  The error reported stays the first
	 * one.
	 */
	t0 = conn_now_ms();
	fscert_err_clear(&rerr);
	/* Under the cert dir's lock: a deploy may be installing. */
	if (fscert_install_lock(o->cert_dir, &lock, &rerr) == -1 ||
	    fscert_install_rollback_checked(o->rollback, o->guard, &rerr) ==
		-1) {
		fscert_install_unlock(lock);
		step(r, t0, 0, "rollback", "%s", rerr.msg);
		(void)snprintf(
		    r->rollback_why, sizeof(r->rollback_why), "%s", rerr.msg);
		return -1;
	}
	/* verto's own files follow the set put back. */
	if (o->nextras > 0) {
		int changed[FSCERT_MAX_EXTRAS];

		if (fscert_install_extras_from_dir(o->rollback, o->extras,
			o->nextras, changed, &rerr) == -1)
			step(r, t0, 0, "rollback verto files", "%s", rerr.msg);
	}
	fscert_install_unlock(lock);
	step(r, t0, 1, "rollback", "previous set restored in %s", o->cert_dir);
	r->status = FSCERT_RELOAD_ROLLED_BACK;
	/*
	 * The same rules as any reload: a restart with calls up is
	 * deferred (the pending marker makes the next run load it), never
	 * forced for the rollback's sake.  A profile that did not come back
	 * will load whatever is on disk when it starts.
	 */
	if (c->down) {
		/*
		 * A profile that did not come back is started, not restarted
		 * again (that would only wait as long once more): it loads the
		 * set put back.  The others are left until the next run.
		 */
		c->down = 0;
		if (installed(c, &rerr) == -1 || start_down(c, &rerr) == -1 ||
		    (c->nverto > 0 && reload_verto(c, &rerr) == -1) ||
		    verify(c, &rerr) == -1) {
			step(r, t0, 0, "reload after rollback", "%s", rerr.msg);
			r->rollback_unloaded = 1;
		}
	} else if (installed(c, &rerr) == -1 ||
	    reload_once(c, o->force, 0, &rerr) == -1) {
		step(r, t0, 0, "reload after rollback", "%s", rerr.msg);
		r->rollback_unloaded = 1;
	}
	return -1;
}

int
fscert_reload(const struct fscert_reload_opts *o,
    struct fscert_reload_result *r, struct fscert_err *err)
{
	struct rctx c;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.r = r;
	rc = run(&c, err);
	fscert_esl_close(c.e);
	if (rc == 0)
		r->status = FSCERT_RELOAD_OK;
	else if (err != NULL && err->code == FSCERT_EDEFERRED)
		r->status = FSCERT_RELOAD_DEFERRED;
	else if (r->status != FSCERT_RELOAD_ROLLED_BACK)
		r->status = FSCERT_RELOAD_FAILED;
	return rc;
}

int
fscert_reload_served(const struct fscert_reload_opts *o,
    struct fscert_reload_result *r, struct fscert_err *err)
{
	struct rctx c;
	size_t i;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.r = r;
	if (o->nverify == 0 &&
	    (c.e = fscert_esl_open(o->esl_host, o->esl_port,
		 o->esl_password ? o->esl_password : FSCERT_ESL_PASSWORD,
		 o->esl_timeout_ms, err)) == NULL)
		goto out;
	if (discover(&c, err) == -1)
		goto out;
	for (i = 0; i < c.nend; i++)
		if (fscert_probe_tls(c.host[i], c.port[i], o->sni, 2000,
			&r->served[i], err) == -1)
			goto out;
	r->nserved = c.nend;
	rc = 0;
out:
	fscert_esl_close(c.e);
	return rc;
}
