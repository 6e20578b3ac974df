/*
 * test_reload.c: the parsers of lib/reload.c and lib/probe.c that the
 * reload runs on: fscert_jsonstatus_parse (the body of "api sofia
 * jsonstatus", as captured from real FreeSWITCH in
 * shared/reference/esl-transcripts/) and fscert_parse_hostport
 * (--verify and --esl).  The reload itself is tested against fsmock by
 * reload_test.sh; what fsmock's single profile cannot show (several
 * profiles, one with calls) against a loopback listener thread that
 * answers from canned bodies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fscert/err.h"
#include "fscert/probe.h"
#include "fscert/reload.h"

/* ------------------------------------------- transcript bodies */

/* 1.10.12-04: RUNNING, in-use 0, TLS 15061, WSS 17443 (1798 bytes). */
static const char running_1_10[] =
	"{\n"
	"\t\"profiles\":\t{\n"
	"\t\t\"127.0.0.1\":\t{\n"
	"\t\t\t\"status\":\t{\n"
	"\t\t\t\t\"type\":\t\"alias\",\n"
	"\t\t\t\t\"data\":\t\"internal\",\n"
	"\t\t\t\t\"state\":\t\"ALIASED\"\n"
	"\t\t\t},\n"
	"\t\t\t\"info\":\t{\n"
	"\t\t\t\t\"domain-name\":\t\"N/A\",\n"
	"\t\t\t\t\"alias-of\":\t\"internal\",\n"
	"\t\t\t\t\"auto-nat\":\t\"false\",\n"
	"\t\t\t\t\"db-name\":\t\"sofia_reg_internal\",\n"
	"\t\t\t\t\"pres-hosts\":\t\"127.0.0.1,127.0.0.1\",\n"
	"\t\t\t\t\"dialplan\":\t\"XML\",\n"
	"\t\t\t\t\"context\":\t\"public\",\n"
	"\t\t\t\t\"challenge-realm\":\t\"auto_from\",\n"
	"\t\t\t\t\"rtp-ip\":\t[\"127.0.0.1\"],\n"
	"\t\t\t\t\"ext-rtp-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"ext-sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"url\":\t\"sip:mod_sofia@127.0.0.1:15060\",\n"
	"\t\t\t\t\"bind-url\":\t\"sip:mod_sofia@127.0.0.1:15060;"
	"maddr=127.0.0.1;transport=udp,tcp\",\n"
	"\t\t\t\t\"tls-url\":\t\"sip:mod_sofia@127.0.0.1:15061\",\n"
	"\t\t\t\t\"tls-bind-url\":\t\"sips:mod_sofia@127.0.0.1:15061;"
	"maddr=127.0.0.1;transport=tls\",\n"
	"\t\t\t\t\"wss-bind-url\":\t\"sips:mod_sofia@127.0.0.1:17443;"
	"transport=wss\",\n"
	"\t\t\t\t\"hold-music\":\t\"local_stream://moh\",\n"
	"\t\t\t\t\"outbound-proxy\":\t\"N/A\"\n"
	"\t\t\t}\n"
	"\t\t},\n"
	"\t\t\"internal\":\t{\n"
	"\t\t\t\"status\":\t{\n"
	"\t\t\t\t\"type\":\t\"profile\",\n"
	"\t\t\t\t\"state\":\t\"RUNNING\",\n"
	"\t\t\t\t\"in-use\":\t0,\n"
	"\t\t\t\t\"data\":\t\"sip:mod_sofia@127.0.0.1:15060\"\n"
	"\t\t\t},\n"
	"\t\t\t\"info\":\t{\n"
	"\t\t\t\t\"domain-name\":\t\"N/A\",\n"
	"\t\t\t\t\"auto-nat\":\t\"false\",\n"
	"\t\t\t\t\"db-name\":\t\"sofia_reg_internal\",\n"
	"\t\t\t\t\"pres-hosts\":\t\"127.0.0.1,127.0.0.1\",\n"
	"\t\t\t\t\"dialplan\":\t\"XML\",\n"
	"\t\t\t\t\"context\":\t\"public\",\n"
	"\t\t\t\t\"challenge-realm\":\t\"auto_from\",\n"
	"\t\t\t\t\"rtp-ip\":\t[\"127.0.0.1\"],\n"
	"\t\t\t\t\"ext-rtp-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"ext-sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"url\":\t\"sip:mod_sofia@127.0.0.1:15060\",\n"
	"\t\t\t\t\"bind-url\":\t\"sip:mod_sofia@127.0.0.1:15060;"
	"maddr=127.0.0.1;transport=udp,tcp\",\n"
	"\t\t\t\t\"tls-url\":\t\"sip:mod_sofia@127.0.0.1:15061\",\n"
	"\t\t\t\t\"tls-bind-url\":\t\"sips:mod_sofia@127.0.0.1:15061;"
	"maddr=127.0.0.1;transport=tls\",\n"
	"\t\t\t\t\"wss-bind-url\":\t\"sips:mod_sofia@127.0.0.1:17443;"
	"transport=wss\",\n"
	"\t\t\t\t\"hold-music\":\t\"local_stream://moh\",\n"
	"\t\t\t\t\"outbound-proxy\":\t\"N/A\"\n"
	"\t\t\t}\n"
	"\t\t}\n"
	"\t}\n"
	"}\n";

/*
 * 1.11.2-02: RUNNING with a held call (in-use 2), TLS 25061, WSS 27443
 * (1798 bytes).
 */
static const char running_1_11_inuse2[] =
	"{\n"
	"\t\"profiles\":\t{\n"
	"\t\t\"127.0.0.1\":\t{\n"
	"\t\t\t\"status\":\t{\n"
	"\t\t\t\t\"type\":\t\"alias\",\n"
	"\t\t\t\t\"data\":\t\"internal\",\n"
	"\t\t\t\t\"state\":\t\"ALIASED\"\n"
	"\t\t\t},\n"
	"\t\t\t\"info\":\t{\n"
	"\t\t\t\t\"domain-name\":\t\"N/A\",\n"
	"\t\t\t\t\"alias-of\":\t\"internal\",\n"
	"\t\t\t\t\"auto-nat\":\t\"false\",\n"
	"\t\t\t\t\"db-name\":\t\"sofia_reg_internal\",\n"
	"\t\t\t\t\"pres-hosts\":\t\"127.0.0.1,127.0.0.1\",\n"
	"\t\t\t\t\"dialplan\":\t\"XML\",\n"
	"\t\t\t\t\"context\":\t\"public\",\n"
	"\t\t\t\t\"challenge-realm\":\t\"auto_from\",\n"
	"\t\t\t\t\"rtp-ip\":\t[\"127.0.0.1\"],\n"
	"\t\t\t\t\"ext-rtp-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"ext-sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"url\":\t\"sip:mod_sofia@127.0.0.1:25060\",\n"
	"\t\t\t\t\"bind-url\":\t\"sip:mod_sofia@127.0.0.1:25060;"
	"maddr=127.0.0.1;transport=udp,tcp\",\n"
	"\t\t\t\t\"tls-url\":\t\"sip:mod_sofia@127.0.0.1:25061\",\n"
	"\t\t\t\t\"tls-bind-url\":\t\"sips:mod_sofia@127.0.0.1:25061;"
	"maddr=127.0.0.1;transport=tls\",\n"
	"\t\t\t\t\"wss-bind-url\":\t\"sips:mod_sofia@127.0.0.1:27443;"
	"transport=wss\",\n"
	"\t\t\t\t\"hold-music\":\t\"local_stream://moh\",\n"
	"\t\t\t\t\"outbound-proxy\":\t\"N/A\"\n"
	"\t\t\t}\n"
	"\t\t},\n"
	"\t\t\"internal\":\t{\n"
	"\t\t\t\"status\":\t{\n"
	"\t\t\t\t\"type\":\t\"profile\",\n"
	"\t\t\t\t\"state\":\t\"RUNNING\",\n"
	"\t\t\t\t\"in-use\":\t2,\n"
	"\t\t\t\t\"data\":\t\"sip:mod_sofia@127.0.0.1:25060\"\n"
	"\t\t\t},\n"
	"\t\t\t\"info\":\t{\n"
	"\t\t\t\t\"domain-name\":\t\"N/A\",\n"
	"\t\t\t\t\"auto-nat\":\t\"false\",\n"
	"\t\t\t\t\"db-name\":\t\"sofia_reg_internal\",\n"
	"\t\t\t\t\"pres-hosts\":\t\"127.0.0.1,127.0.0.1\",\n"
	"\t\t\t\t\"dialplan\":\t\"XML\",\n"
	"\t\t\t\t\"context\":\t\"public\",\n"
	"\t\t\t\t\"challenge-realm\":\t\"auto_from\",\n"
	"\t\t\t\t\"rtp-ip\":\t[\"127.0.0.1\"],\n"
	"\t\t\t\t\"ext-rtp-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"ext-sip-ip\":\t\"127.0.0.1\",\n"
	"\t\t\t\t\"url\":\t\"sip:mod_sofia@127.0.0.1:25060\",\n"
	"\t\t\t\t\"bind-url\":\t\"sip:mod_sofia@127.0.0.1:25060;"
	"maddr=127.0.0.1;transport=udp,tcp\",\n"
	"\t\t\t\t\"tls-url\":\t\"sip:mod_sofia@127.0.0.1:25061\",\n"
	"\t\t\t\t\"tls-bind-url\":\t\"sips:mod_sofia@127.0.0.1:25061;"
	"maddr=127.0.0.1;transport=tls\",\n"
	"\t\t\t\t\"wss-bind-url\":\t\"sips:mod_sofia@127.0.0.1:27443;"
	"transport=wss\",\n"
	"\t\t\t\t\"hold-music\":\t\"local_stream://moh\",\n"
	"\t\t\t\t\"outbound-proxy\":\t\"N/A\"\n"
	"\t\t\t}\n"
	"\t\t}\n"
	"\t}\n"
	"}\n";

/* 1.10.12-06: DOWN while the profile restarts, no URLs (277 bytes). */
static const char down_1_10[] =
	"{\n"
	"\t\"profiles\":\t{\n"
	"\t\t\"127.0.0.1\":\t{\n"
	"\t\t\t\"status\":\t{\n"
	"\t\t\t\t\"type\":\t\"alias\",\n"
	"\t\t\t\t\"data\":\t\"internal\",\n"
	"\t\t\t\t\"state\":\t\"ALIASED\"\n"
	"\t\t\t}\n"
	"\t\t},\n"
	"\t\t\"internal\":\t{\n"
	"\t\t\t\"status\":\t{\n"
	"\t\t\t\t\"type\":\t\"profile\",\n"
	"\t\t\t\t\"state\":\t\"DOWN\",\n"
	"\t\t\t\t\"in-use\":\t0,\n"
	"\t\t\t\t\"data\":\t\"sip:mod_sofia@127.0.0.1:15060\"\n"
	"\t\t\t}\n"
	"\t\t}\n"
	"\t}\n"
	"}\n";

/* ------------------------------------------- jsonstatus */

static void
parse_ok(const char *body, struct fscert_fsstatus *st)
{
	struct fscert_err e;

	fscert_err_clear(&e);
	if (fscert_jsonstatus_parse(body, st, &e) != 0)
		fail_msg("refused: %s", e.msg);
	assert_int_equal(e.code, FSCERT_OK);
}

static void
bodies_are_verbatim(void **state)
{
	(void)state;
	/* The Content-Length of each captured reply. */
	assert_int_equal(strlen(running_1_10), 1798);
	assert_int_equal(strlen(running_1_11_inuse2), 1798);
	assert_int_equal(strlen(down_1_10), 277);
}

static void
running_with_urls(void **state)
{
	struct fscert_fsstatus st;
	const struct fscert_fsprofile *p;

	(void)state;
	parse_ok(running_1_10, &st);
	/* The alias "127.0.0.1" is skipped. */
	assert_int_equal(st.nprofiles, 1);
	p = &st.profiles[0];
	assert_string_equal(p->name, "internal");
	assert_string_equal(p->state, "RUNNING");
	assert_int_equal(p->inuse, 0);
	assert_string_equal(p->tls_host, "127.0.0.1");
	assert_int_equal(p->tls_port, 15061);
	assert_string_equal(p->wss_host, "127.0.0.1");
	assert_int_equal(p->wss_port, 17443);
}

static void
running_with_calls_in_use(void **state)
{
	struct fscert_fsstatus st;
	const struct fscert_fsprofile *p;

	(void)state;
	parse_ok(running_1_11_inuse2, &st);
	assert_int_equal(st.nprofiles, 1);
	p = &st.profiles[0];
	assert_string_equal(p->name, "internal");
	assert_string_equal(p->state, "RUNNING");
	assert_int_equal(p->inuse, 2);
	assert_int_equal(p->tls_port, 25061);
	assert_int_equal(p->wss_port, 27443);
}

static void
down_without_urls(void **state)
{
	struct fscert_fsstatus st;
	const struct fscert_fsprofile *p;

	(void)state;
	parse_ok(down_1_10, &st);
	assert_int_equal(st.nprofiles, 1);
	p = &st.profiles[0];
	assert_string_equal(p->name, "internal");
	assert_string_equal(p->state, "DOWN");
	assert_int_equal(p->inuse, 0);
	assert_string_equal(p->tls_host, "");
	assert_int_equal(p->tls_port, 0);
	assert_string_equal(p->wss_host, "");
	assert_int_equal(p->wss_port, 0);
}

/* One profile "p" with the given status and info members. */
static const struct fscert_fsprofile *
one(const char *status, const char *info, struct fscert_fsstatus *st)
{
	char body[2048];

	(void)snprintf(body, sizeof(body), "{\"profiles\": {\"p\": "
	    "{\"status\": {%s}%s%s%s}}}", status, info ? ", \"info\": {" : "",
	    info ? info : "", info ? "}" : "");
	parse_ok(body, st);
	assert_int_equal(st->nprofiles, 1);
	return &st->profiles[0];
}

#define PROFILE	"\"type\": \"profile\", \"state\": \"RUNNING\", " \
		"\"in-use\": 0"

static void
bind_urls(void **state)
{
	struct fscert_fsstatus st;
	const struct fscert_fsprofile *p;

	(void)state;
	/* A wildcard bind is probed on loopback. */
	p = one(PROFILE, "\"tls-bind-url\": \"sips:mod_sofia@0.0.0.0:5061;"
	    "transport=tls\", \"wss-bind-url\": \"sips:mod_sofia@[::]:7443;"
	    "transport=wss\"", &st);
	assert_string_equal(p->tls_host, "127.0.0.1");
	assert_int_equal(p->tls_port, 5061);
	assert_string_equal(p->wss_host, "::1");
	assert_int_equal(p->wss_port, 7443);

	p = one(PROFILE, "\"tls-bind-url\": \"sips:mod_sofia@"
	    "[2001:db8::5]:5061;maddr=2001:db8::5;transport=tls\", "
	    "\"wss-bind-url\": \"sips:mod_sofia@203.0.113.7:443\"", &st);
	assert_string_equal(p->tls_host, "2001:db8::5");
	assert_int_equal(p->tls_port, 5061);
	assert_string_equal(p->wss_host, "203.0.113.7");
	assert_int_equal(p->wss_port, 443);

	/* Unusable URLs: no endpoint, not an error. */
	p = one(PROFILE, "\"tls-bind-url\": \"sips:mod_sofia@10.0.0.1\", "
	    "\"wss-bind-url\": \"no at sign:5061\"", &st);
	assert_int_equal(p->tls_port, 0);
	assert_int_equal(p->wss_port, 0);
	p = one(PROFILE, "\"tls-bind-url\": \"sips:x@10.0.0.1:99999\", "
	    "\"wss-bind-url\": \"sips:x@10.0.0.1:12ab\"", &st);
	assert_int_equal(p->tls_port, 0);
	assert_int_equal(p->wss_port, 0);
	p = one(PROFILE, "\"tls-bind-url\": 5061, \"wss-bind-url\": null",
	    &st);
	assert_int_equal(p->tls_port, 0);
	assert_int_equal(p->wss_port, 0);
}

static void
in_use_missing_or_odd(void **state)
{
	struct fscert_fsstatus st;
	const struct fscert_fsprofile *p;

	(void)state;
	p = one("\"type\": \"profile\", \"state\": \"RUNNING\"", NULL, &st);
	assert_int_equal(p->inuse, -1);
	p = one("\"type\": \"profile\", \"state\": \"RUNNING\", "
	    "\"in-use\": \"3\"", NULL, &st);
	assert_int_equal(p->inuse, -1);
	p = one("\"type\": \"profile\", \"in-use\": 7", NULL, &st);
	assert_int_equal(p->inuse, 7);
	assert_string_equal(p->state, "");
}

static void
aliases_and_gateways_skipped(void **state)
{
	static const char body[] = "{\"profiles\": {"
	    "\"a\": {\"status\": {\"type\": \"alias\", "
	    "\"state\": \"ALIASED\"}},"
	    "\"gw\": {\"status\": {\"type\": \"gateway\"}},"
	    "\"x\": {\"status\": {}},"
	    "\"y\": 5,"
	    "\"internal\": {\"status\": {" PROFILE "}},"
	    "\"external\": {\"status\": {\"type\": \"profile\", "
	    "\"state\": \"DOWN\", \"in-use\": 1}}}}";
	struct fscert_fsstatus st;

	(void)state;
	parse_ok(body, &st);
	assert_int_equal(st.nprofiles, 2);
	assert_string_equal(st.profiles[0].name, "internal");
	assert_string_equal(st.profiles[1].name, "external");
	assert_string_equal(st.profiles[1].state, "DOWN");
	assert_int_equal(st.profiles[1].inuse, 1);
}

static void
many_profiles_capped(void **state)
{
	struct fscert_fsstatus st;
	char body[8192];
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(body + n, sizeof(body) - n, "{\"profiles\": {");
	for (i = 0; i < FSCERT_MAX_PROFILES_SEEN + 5; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		    "%s\"p%d\": {\"status\": {" PROFILE "}}", i ? "," : "", i);
	(void)snprintf(body + n, sizeof(body) - n, "}}");
	parse_ok(body, &st);
	assert_int_equal(st.nprofiles, FSCERT_MAX_PROFILES_SEEN);
}

static void
long_names_truncated_not_overflowed(void **state)
{
	struct fscert_fsstatus st;
	char body[1024], name[200];

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	(void)snprintf(body, sizeof(body), "{\"profiles\": {\"%s\": "
	    "{\"status\": {\"type\": \"profile\", \"state\": "
	    "\"RUNNINGRUNNINGRUNNINGRUNNING\"}}}}", name);
	parse_ok(body, &st);
	assert_int_equal(strlen(st.profiles[0].name),
	    sizeof(st.profiles[0].name) - 1);
	assert_int_equal(strlen(st.profiles[0].state),
	    sizeof(st.profiles[0].state) - 1);
}

static void
not_jsonstatus(void **state)
{
	static const char *const bad[] = {
		"", "-ERR sofia Command not found!\n", "Invalid Profile!\n",
		"{", "[]", "{}", "{\"profiles\": []}", "{\"profiles\": 1}",
		/* A duplicate key. */
		"{\"profiles\": {}, \"profiles\": {}}",
		"{\"profiles\": {\"a\": {}}} trailing",
	};
	struct fscert_fsstatus st;
	struct fscert_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fscert_err_clear(&e);
		if (fscert_jsonstatus_parse(bad[i], &st, &e) != -1)
			fail_msg("accepted: '%s'", bad[i]);
		assert_int_equal(e.code, FSCERT_EPROTO);
		if (strstr(e.msg, "jsonstatus") == NULL)
			fail_msg("'%s' does not say what it parsed", e.msg);
	}
	/* An object with no profile at all is jsonstatus of nothing. */
	parse_ok("{\"profiles\": {}}", &st);
	assert_int_equal(st.nprofiles, 0);
}

/* ------------------------------------------- HOST:PORT */

static void
hostport_ok(void **state)
{
	static const struct {
		const char	*in, *host;
		int		 port;
	} t[] = {
		{ "127.0.0.1:5061", "127.0.0.1", 5061 },
		{ "[::1]:8021", "::1", 8021 },
		{ "[2001:db8::1]:443", "2001:db8::1", 443 },
		{ "sip.example.test:65535", "sip.example.test", 65535 },
		{ "h:1", "h", 1 },
	};
	struct fscert_err e;
	char host[64];
	size_t i;
	int port;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fscert_err_clear(&e);
		port = -1;
		if (fscert_parse_hostport(t[i].in, host, sizeof(host), &port,
		    &e) != 0)
			fail_msg("'%s' refused: %s", t[i].in, e.msg);
		assert_string_equal(host, t[i].host);
		assert_int_equal(port, t[i].port);
	}
}

static void
hostport_bad(void **state)
{
	static const char *const bad[] = {
		"", "host", "host:", ":5061", "host:0", "host:65536",
		"host:-1", "host:12a", "::1:5061", "[::1]5061",
		"[::1]:", "[::1", "[]:5061", "a:b:5061", "host:5061:",
		"host:99999999999999999999",
	};
	struct fscert_err e;
	char host[64];
	size_t i;
	int port;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fscert_err_clear(&e);
		if (fscert_parse_hostport(bad[i], host, sizeof(host), &port,
		    &e) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(e.code, FSCERT_EUSAGE);
		/* The message quotes what was given. */
		if (bad[i][0] != '\0' && strstr(e.msg, bad[i]) == NULL)
			fail_msg("'%s' not in '%s'", bad[i], e.msg);
	}
}

static void
hostport_host_too_long(void **state)
{
	struct fscert_err e;
	char host[8];
	int port;

	(void)state;
	fscert_err_clear(&e);
	assert_int_equal(fscert_parse_hostport("1234567:80", host,
	    sizeof(host), &port, &e), 0);
	assert_string_equal(host, "1234567");
	fscert_err_clear(&e);
	assert_int_equal(fscert_parse_hostport("12345678:80", host,
	    sizeof(host), &port, &e), -1);
	fscert_err_clear(&e);
	assert_int_equal(fscert_parse_hostport("[1234:5678::]:80", host,
	    sizeof(host), &port, &e), -1);
}

/* ------------------------------ a two-profile event socket */

/* sofia jsonstatus with profiles a (idle) and b (a call up). */
static const char two_profiles[] =
	"{\"profiles\":{"
	"\"a\":{\"status\":{\"type\":\"profile\",\"state\":\"RUNNING\","
	"\"in-use\":0,\"data\":\"sip:mod_sofia@127.0.0.1:5060\"},"
	"\"info\":{\"tls-bind-url\":\"sips:mod_sofia@127.0.0.1:5061;"
	"transport=tls\"}},"
	"\"b\":{\"status\":{\"type\":\"profile\",\"state\":\"RUNNING\","
	"\"in-use\":1,\"data\":\"sip:mod_sofia@127.0.0.1:5080\"},"
	"\"info\":{\"tls-bind-url\":\"sips:mod_sofia@127.0.0.1:5081;"
	"transport=tls\"}}}}\n";

struct fake {
	int		 lfd;
	int		 port;
	pthread_t	 t;
	char		 log[2048];	/* commands received, "|" after each */
};

static int
send_str(int fd, const char *p)
{
	size_t n = strlen(p);
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One api/response with body. */
static int
send_api(int fd, const char *body)
{
	char hdr[128];

	(void)snprintf(hdr, sizeof(hdr),
	    "Content-Type: api/response\nContent-Length: %zu\n\n",
	    strlen(body));
	return send_str(fd, hdr) == -1 ? -1 : send_str(fd, body);
}

/* Bodies as FreeSWITCH 1.10.12 gives them (esl-transcripts 1.10.12-*). */
static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[4096], *end, cmd[256];
	size_t len = 0;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = accept(f->lfd, NULL, NULL)) == -1)
		return NULL;
	if (send_str(fd, "Content-Type: auth/request\n\n") == -1)
		goto out;
	for (;;) {
		while ((end = strstr(buf, "\n\n")) == NULL || len == 0) {
			if (len + 1 >= sizeof(buf) ||
			    (n = recv(fd, buf + len, sizeof(buf) - len - 1,
				 0)) <= 0)
				goto out;
			len += (size_t)n;
			buf[len] = '\0';
		}
		*end = '\0';
		(void)snprintf(cmd, sizeof(cmd), "%.200s", buf);
		len -= (size_t)(end + 2 - buf);
		memmove(buf, end + 2, len + 1);
		if (strncmp(cmd, "auth ", 5) == 0) {
			(void)snprintf(cmd, sizeof(cmd), "auth");
			if (send_str(fd, "Content-Type: command/reply\n"
					 "Reply-Text: +OK accepted\n\n") == -1)
				goto out;
		} else if (strcmp(cmd, "api sofia jsonstatus") == 0) {
			if (send_api(fd, two_profiles) == -1)
				goto out;
		} else if (strcmp(cmd, "api reloadcert") == 0) {
			if (send_api(fd,
				"-ERR reloadcert Command not found!\n") == -1)
				goto out;
		} else if (strcmp(cmd, "api verto status") == 0) {
			/* 1.10.12-09: mod_verto not loaded */
			if (send_api(fd, "-ERR verto Command not found!\n") ==
			    -1)
				goto out;
		} else if (strncmp(cmd, "api sofia profile ", 18) == 0) {
			char body[128];

			(void)snprintf(body, sizeof(body),
			    "Reload XML [Success]\nrestarting: %.*s",
			    (int)strcspn(cmd + 18, " "), cmd + 18);
			if (send_api(fd, body) == -1)
				goto out;
		} else if (strcmp(cmd, "exit") == 0) {
			(void)send_str(fd, "Content-Type: command/reply\n"
					   "Reply-Text: +OK bye\n\n");
			(void)strcat(f->log, "exit|");
			goto out;
		} else if (send_api(fd, "-ERR no\n") == -1)
			goto out;
		if (strlen(f->log) + strlen(cmd) + 2 < sizeof(f->log)) {
			(void)strcat(f->log, cmd);
			(void)strcat(f->log, "|");
		}
	}
out:
	(void)close(fd);
	return NULL;
}

static void
fake_start(struct fake *f)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(f, 0, sizeof(*f));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_not_equal(f->lfd = socket(AF_INET, SOCK_STREAM, 0), -1);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sin, &sl), 0);
	f->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&f->t, NULL, fake_main, f), 0);
}

static void
fake_stop(struct fake *f)
{
	(void)pthread_join(f->t, NULL);
	(void)close(f->lfd);
}

/*
 * A throw-away installed set in a new directory (dir: "/tmp/...XXXXXX"
 * on entry): a self-signed P-256 leaf in agent.pem, cafile.pem and
 * wss.pem.  Only read (its digests), never served.
 */
static void
mkcerts(char *dir)
{
	static const char *const names[] = { "agent.pem", "cafile.pem",
		"wss.pem" };
	EVP_PKEY *k;
	X509 *x;
	FILE *fp;
	char path[512];
	size_t i;

	assert_non_null(mkdtemp(dir));
	assert_non_null(k = EVP_EC_gen("P-256"));
	assert_non_null(x = X509_new());
	(void)ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	(void)X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	(void)X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	(void)X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"sip.example.test", -1, -1, 0);
	(void)X509_set_issuer_name(x, X509_get_subject_name(x));
	(void)X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	for (i = 0; i < 3; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		assert_non_null(fp = fopen(path, "w"));
		assert_int_equal(PEM_write_X509(fp, x), 1);
		if (i != 1)
			assert_int_equal(PEM_write_PrivateKey(fp, k, NULL,
			    NULL, 0, NULL, NULL), 1);
		assert_int_equal(fclose(fp), 0);
	}
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
rmcerts(const char *dir)
{
	static const char *const names[] = { "agent.pem", "cafile.pem",
		"wss.pem" };
	char path[512];
	size_t i;

	for (i = 0; i < 3; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
}

/*
 * Profiles a (idle) and b (a call up), 1.10 (no reloadcert): the
 * restart is deferred before any profile is restarted, a included.
 */
static void
inuse_checked_on_every_profile_before_any_restart(void **state)
{
	static const char *const profiles[] = { "a", "b" };
	static const char *const verify[] = { "127.0.0.1:1" };
	struct fscert_reload_opts o;
	struct fscert_reload_result *r;
	struct fscert_err e;
	struct fake f;
	char dir[] = "/tmp/fscert-test-reload.XXXXXX";

	(void)state;
	mkcerts(dir);
	fake_start(&f);
	fscert_reload_opts_init(&o);
	o.cert_dir = dir;
	o.esl_host = "127.0.0.1";
	o.esl_port = f.port;
	o.esl_timeout_ms = 2000;
	o.profiles = profiles;
	o.nprofiles = 2;
	o.verify = verify;
	o.nverify = 1;
	o.force_window_days = 0;
	o.max_wait = 0;
	o.poll_ms = 10;
	assert_non_null(r = calloc(1, sizeof(*r)));
	fscert_err_clear(&e);
	assert_int_equal(fscert_reload(&o, r, &e), -1);
	fake_stop(&f);
	if (e.code != FSCERT_EDEFERRED)
		fail_msg("not deferred: %s (log %s)", e.msg, f.log);
	assert_int_equal(r->status, FSCERT_RELOAD_DEFERRED);
	assert_non_null(strstr(e.msg, "profile b"));
	if (strstr(f.log, "restart") != NULL)
		fail_msg("a profile was restarted: %s", f.log);
	assert_string_equal(f.log,
	    "auth|api verto status|api sofia jsonstatus|api reloadcert|"
	    "api sofia jsonstatus|exit|");
	free(r);
	rmcerts(dir);
}

/*
 * A TLS peer that resets the connection (SO_LINGER 0) as soon as the
 * handshake is done, right after it sent its flight, or at once, in
 * turn: the client then writes (close_notify, its Finished, its
 * ClientHello) into a reset connection.
 */
struct rude {
	int lfd, port;
	SSL_CTX *ctx;
	volatile int stop;
	int n; /* connections served */
	pthread_t t;
};

static void *
rude_main(void *arg)
{
	struct rude *r = arg;
	struct linger lg = { 1, 0 };
	struct pollfd pfd;
	sigset_t pipe;
	SSL *ssl;
	int fd, rc;

	/* This side writes to clients gone, too: its SIGPIPE stays here. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	(void)pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	while (!r->stop) {
		if ((fd = accept(r->lfd, NULL, NULL)) == -1)
			continue;
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
		ssl = SSL_new(r->ctx);
		(void)SSL_set_fd(ssl, fd);
		/* Every third connection: reset at once, like a verto port
		 * whose SSL is not ready. */
		for (; r->n % 3 != 2;) {
			rc = SSL_accept(ssl);
			/* Or gone once the server's flight is out. */
			if (rc == 1 ||
			    SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ ||
			    (r->n % 3 == 1 &&
				BIO_number_written(SSL_get_wbio(ssl)) > 0))
				break;
			pfd.fd = fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 2000) <= 0)
				break;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		SSL_free(ssl);
		(void)close(fd);
		r->n++;
	}
	return NULL;
}

/*
 * A TLS peer that hangs up at any point of the handshake: the probe
 * returns (a failed or a finished handshake), never SIGPIPE killing the
 * caller, whose disposition of SIGPIPE (the default here) and signal
 * mask are left as they were.
 */
static void
probe_peer_resets_no_sigpipe(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct fscert_probe p;
	struct fscert_err e;
	struct rude r;
	sigset_t before, after;
	char dir[] = "/tmp/fscert-rude.XXXXXX", path[512];
	int i, wake;

	(void)state;
	mkcerts(dir);
	memset(&r, 0, sizeof(r));
	(void)snprintf(path, sizeof(path), "%s/agent.pem", dir);
	assert_non_null(r.ctx = SSL_CTX_new(TLS_server_method()));
	/*
	 * TLS 1.2: the client's SSL_connect returns once it read the
	 * server's Finished, which the reset follows at once; its
	 * close_notify then goes into the reset connection.
	 */
	assert_int_equal(SSL_CTX_set_max_proto_version(r.ctx, TLS1_2_VERSION),
	    1);
	assert_int_equal(
	    SSL_CTX_use_certificate_file(r.ctx, path, SSL_FILETYPE_PEM), 1);
	assert_int_equal(
	    SSL_CTX_use_PrivateKey_file(r.ctx, path, SSL_FILETYPE_PEM), 1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_not_equal(r.lfd = socket(AF_INET, SOCK_STREAM, 0), -1);
	assert_int_equal(bind(r.lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(r.lfd, 64), 0);
	assert_int_equal(getsockname(r.lfd, (struct sockaddr *)&sin, &sl), 0);
	r.port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&r.t, NULL, rude_main, &r), 0);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &before), 0);
	for (i = 0; i < 150; i++) {
		fscert_err_clear(&e);
		assert_int_equal(
		    fscert_probe_tls("127.0.0.1", r.port, NULL, 2000, &p, &e),
		    0);
		if (!p.ok)
			assert_true(p.error[0] != '\0');
	}
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &after), 0);
	assert_int_equal(sigismember(&after, SIGPIPE),
	    sigismember(&before, SIGPIPE));
	r.stop = 1;
	/* Wake the accept loop once more so that it sees stop. */
	wake = socket(AF_INET, SOCK_STREAM, 0);
	(void)connect(wake, (struct sockaddr *)&sin, sizeof(sin));
	(void)pthread_join(r.t, NULL);
	(void)close(wake);
	(void)close(r.lfd);
	SSL_CTX_free(r.ctx);
	rmcerts(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bodies_are_verbatim),
		cmocka_unit_test(running_with_urls),
		cmocka_unit_test(running_with_calls_in_use),
		cmocka_unit_test(down_without_urls),
		cmocka_unit_test(bind_urls),
		cmocka_unit_test(in_use_missing_or_odd),
		cmocka_unit_test(aliases_and_gateways_skipped),
		cmocka_unit_test(many_profiles_capped),
		cmocka_unit_test(long_names_truncated_not_overflowed),
		cmocka_unit_test(not_jsonstatus),
		cmocka_unit_test(hostport_ok),
		cmocka_unit_test(hostport_bad),
		cmocka_unit_test(hostport_host_too_long),
		cmocka_unit_test(probe_peer_resets_no_sigpipe),
		cmocka_unit_test(
		    inuse_checked_on_every_profile_before_any_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
