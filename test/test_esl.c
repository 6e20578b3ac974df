/*
 * test_esl.c: lib/esl.c, the event-socket client.
 *
 * A loopback listener thread plays FreeSWITCH from a script of actions
 * (send, send one byte per write, read N commands, sleep, close, hold
 * until the client goes) and records every byte the client sent.  The
 * server's bytes are those of shared/reference/esl-transcripts/.
 * fscert_esl_parse is also tested alone, on buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fscert/err.h"
#include "fscert/esl.h"

/* -------------------------------------------- transcript bytes */

#define GREETING	"Content-Type: auth/request\n\n"
#define REPLY(t)	"Content-Type: command/reply\nReply-Text: " t "\n\n"
#define AUTH_OK		REPLY("+OK accepted")
#define AUTH_BAD	REPLY("-ERR invalid")
#define NOTICE		"Content-Type: text/disconnect-notice\n" \
			"Content-Length: 67\n\n" \
			"Disconnected, goodbye.\n" \
			"See you at ClueCon! http://www.cluecon.com/\n"
#define RUDE		"Content-Type: text/rude-rejection\n" \
			"Content-Length: 24\n\n" \
			"Access Denied, go away.\n"
#define VERSION_BODY	"FreeSWITCH Version 1.10.12-release~64bit " \
			"( 64bit)\n"
#define API(n)		"Content-Type: api/response\n" \
			"Content-Length: " #n "\n\n"
#define VERSION		API(50) VERSION_BODY
#define RELOADXML	API(14) "+OK [Success]\n"
/* 1.10.12-05: a body with no trailing newline. */
#define RESTART_BODY	"Reload XML [Success]\nrestarting: internal"
#define RESTART		API(41) RESTART_BODY
/* Unsolicited: an event (its body has a blank line) and a log line. */
#define EVENT_BODY	"Event-Name: HEARTBEAT\nCore-UUID: 1234\n\n" \
			"Up-Time: 0 years, 0 days\n"
#define EVENT		"Content-Type: text/event-plain\n" \
			"Content-Length: 64\n\n" EVENT_BODY
#define LOGLINE_BODY	"2024-01-01 00:00:00.000 [NOTICE] sofia.c:1 hi\n"
#define LOGLINE		"Content-Type: log/data\nContent-Length: 46\n" \
			"Log-Level: 5\n\n" LOGLINE_BODY

#define PASSWORD	"s3cr3t-Pa55;word"

/* -------------------------------------------- the scripted server */

enum op { END, SEND, SEND_BYTES, READ, SLEEP, CLOSE, HOLD };

struct act {
	enum op		 op;
	const char	*data;		/* SEND, SEND_BYTES */
	int		 n;		/* READ: commands; SLEEP: ms */
};

struct srv {
	int		 lfd;
	int		 port;
	pthread_t	 th;
	const struct act *script;
	char		 got[16384];	/* everything the client sent */
	size_t		 ngot;
	int		 accepted;
};

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read from fd into s->got; 1 read, 0 EOF, -1 error or 5 s of silence. */
static int
srv_recv(struct srv *s, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	if (poll(&pfd, 1, 5000) != 1)
		return -1;
	if (s->ngot >= sizeof(s->got) - 1)
		return -1;
	r = recv(fd, s->got + s->ngot, sizeof(s->got) - 1 - s->ngot, 0);
	if (r <= 0)
		return (int)r;
	s->ngot += (size_t)r;
	s->got[s->ngot] = '\0';
	return 1;
}

/* How many commands ("...\n\n") the client has sent so far. */
static int
ncommands(const struct srv *s)
{
	const char *p = s->got;
	int n = 0;

	while ((p = strstr(p, "\n\n")) != NULL) {
		n++;
		p += 2;
	}
	return n;
}

static void
send_str(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
	const struct act *a;
	int fd = -1, one = 1, want = 0;
	size_t i;

	if (poll(&pfd, 1, 5000) != 1 ||
	    (fd = accept(s->lfd, NULL, NULL)) == -1)
		return NULL;
	s->accepted = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (a = s->script; a != NULL && a->op != END; a++) {
		switch (a->op) {
		case SEND:
			send_str(fd, a->data, strlen(a->data));
			break;
		case SEND_BYTES:
			for (i = 0; a->data[i] != '\0'; i++) {
				send_str(fd, a->data + i, 1);
				sleep_ms(1);
			}
			break;
		case READ:
			want += a->n;
			while (ncommands(s) < want)
				if (srv_recv(s, fd) != 1)
					goto out;
			break;
		case SLEEP:
			sleep_ms(a->n);
			break;
		case CLOSE:
			goto out;
		case HOLD:
			/* Until the client closes (or 5 s). */
			while (srv_recv(s, fd) == 1)
				;
			goto out;
		case END:
			break;
		}
	}
	while (srv_recv(s, fd) == 1)
		;
out:
	if (fd != -1)
		(void)close(fd);
	return NULL;
}

/* Listen on 127.0.0.1, any port, and play script to one client. */
static void
srv_start(struct srv *s, const struct act *script)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->script = script;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd != -1);
	(void)setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &sl), 0);
	s->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void
srv_join(struct srv *s)
{
	(void)pthread_join(s->th, NULL);
	(void)close(s->lfd);
}

/* "127.0.0.1:PORT", as the client names the endpoint. */
static const char *
ep(const struct srv *s)
{
	static char buf[64];

	(void)snprintf(buf, sizeof(buf), "127.0.0.1:%d", s->port);
	return buf;
}

static void
assert_names_endpoint(const struct fscert_err *e, const struct srv *s)
{
	if (strstr(e->msg, ep(s)) == NULL)
		fail_msg("'%s' does not name %s", e->msg, ep(s));
}

static void
assert_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' lacks '%s'", hay, needle);
}

/* The greeting and a good auth, the start of most scripts. */
#define LOGIN	{ SEND, GREETING, 0 }, { READ, NULL, 1 }, \
		{ SEND, AUTH_OK, 0 }

/* ------------------------------------------------ connection cases */

static void
auth_ok_then_api(void **state)
{
	static const struct act script[] = {
		LOGIN,
		{ READ, NULL, 1 }, { SEND, VERSION, 0 },
		{ READ, NULL, 1 }, { SEND, RELOADXML, 0 },
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	if (c == NULL)
		fail_msg("open: %s", e.msg);
	assert_string_equal(fscert_esl_endpoint(c), ep(&s));
	assert_int_equal(fscert_esl_api(c, "version", &body, &e), 0);
	assert_string_equal(body, VERSION_BODY);
	free(body);
	assert_int_equal(fscert_esl_api(c, "reloadxml", &body, &e), 0);
	assert_string_equal(body, "+OK [Success]\n");
	free(body);
	fscert_esl_close(c);
	srv_join(&s);
	/* Exactly what libesl sends, exit included. */
	assert_string_equal(s.got, "auth " PASSWORD "\n\napi version\n\n"
	    "api reloadxml\n\nexit\n\n");
}

static void
host_null_tries_ipv4_loopback_first(void **state)
{
	static const struct act script[] = {
		LOGIN, { HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open(NULL, s.port, PASSWORD, 2000, &e);
	if (c == NULL)
		fail_msg("open: %s", e.msg);
	assert_string_equal(fscert_esl_endpoint(c), ep(&s));
	fscert_esl_close(c);
	srv_join(&s);
}

static void
auth_invalid(void **state)
{
	static const struct act script[] = {
		{ SEND, GREETING, 0 }, { READ, NULL, 1 },
		{ SEND, AUTH_BAD NOTICE, 0 }, { CLOSE, NULL, 0 },
		{ END, NULL, 0 },
	};
	struct fscert_err e;
	struct srv s;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	assert_null(fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e));
	srv_join(&s);
	assert_int_equal(e.code, FSCERT_EREFUSED);
	assert_names_endpoint(&e, &s);
	assert_has(e.msg, "authentication failed");
	assert_has(e.msg, "-ERR invalid");
	assert_null(strstr(e.msg, PASSWORD));
	assert_null(strstr(e.msg, "s3cr3t"));
}

static void
password_with_newline_refused_unsent(void **state)
{
	struct fscert_err e;

	(void)state;
	fscert_err_clear(&e);
	/* Port 1: nothing is dialled before the check. */
	assert_null(fscert_esl_open("127.0.0.1", 1, "pw\napi x", 500, &e));
	assert_int_equal(e.code, FSCERT_EUSAGE);
	assert_null(strstr(e.msg, "pw\n"));
	assert_null(strstr(e.msg, "api x"));
	fscert_err_clear(&e);
	assert_null(fscert_esl_open("127.0.0.1", 1, "pw\r", 500, &e));
	assert_int_equal(e.code, FSCERT_EUSAGE);
	fscert_err_clear(&e);
	assert_null(fscert_esl_open("127.0.0.1", 1, NULL, 500, &e));
	assert_int_equal(e.code, FSCERT_EUSAGE);
}

static void
disconnect_notice(void **state)
{
	static const struct act script[] = {
		LOGIN, { READ, NULL, 1 }, { SEND, NOTICE, 0 },
		{ CLOSE, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	assert_non_null(c);
	assert_int_equal(fscert_esl_api(c, "version", &body, &e), -1);
	assert_null(body);
	assert_names_endpoint(&e, &s);
	assert_has(e.msg, "disconnect notice");
	fscert_esl_close(c);
	srv_join(&s);
}

static void
rude_rejection(void **state)
{
	static const struct act script[] = {
		{ SEND, RUDE NOTICE, 0 }, { CLOSE, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct srv s;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	assert_null(fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e));
	srv_join(&s);
	assert_names_endpoint(&e, &s);
	assert_has(e.msg, "refused");
	/* Nothing was sent to a server that rejected us: no password. */
	assert_null(strstr(s.got, PASSWORD));
}

static void
split_byte_by_byte(void **state)
{
	static const struct act script[] = {
		{ SEND_BYTES, GREETING, 0 }, { READ, NULL, 1 },
		{ SEND_BYTES, AUTH_OK, 0 },
		{ READ, NULL, 1 }, { SEND_BYTES, RESTART, 0 },
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 5000, &e);
	if (c == NULL)
		fail_msg("open: %s", e.msg);
	assert_int_equal(fscert_esl_api(c, "sofia profile internal restart",
	    &body, &e), 0);
	assert_string_equal(body, RESTART_BODY);
	free(body);
	fscert_esl_close(c);
	srv_join(&s);
}

static void
body_without_trailing_newline(void **state)
{
	static const struct act script[] = {
		LOGIN,
		{ READ, NULL, 1 }, { SEND, RESTART, 0 },
		/* And a reply right behind it in the same segment. */
		{ READ, NULL, 1 },
		{ SEND, "Content-Type: api/response\nContent-Length: 24\n\n"
		    "Invalid Profile [nosuch]" RELOADXML, 0 },
		{ READ, NULL, 1 },
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	assert_non_null(c);
	assert_int_equal(fscert_esl_api(c, "sofia profile internal restart",
	    &body, &e), 0);
	assert_string_equal(body, RESTART_BODY);
	assert_int_equal(strlen(body), 41);
	free(body);
	assert_int_equal(fscert_esl_api(c, "sofia profile nosuch restart",
	    &body, &e), 0);
	assert_string_equal(body, "Invalid Profile [nosuch]");
	free(body);
	/* The next reply was already buffered: not lost. */
	assert_int_equal(fscert_esl_api(c, "reloadxml", &body, &e), 0);
	assert_string_equal(body, "+OK [Success]\n");
	free(body);
	fscert_esl_close(c);
	srv_join(&s);
}

static void
unsolicited_messages_skipped(void **state)
{
	static const struct act script[] = {
		{ SEND, GREETING, 0 }, { READ, NULL, 1 },
		{ SEND, LOGLINE AUTH_OK, 0 },
		{ READ, NULL, 1 },
		{ SEND, EVENT LOGLINE EVENT, 0 },
		{ SEND_BYTES, LOGLINE, 0 },
		{ SEND, VERSION, 0 },
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;

	(void)state;
	assert_int_equal(strlen(EVENT_BODY), 64);
	assert_int_equal(strlen(LOGLINE_BODY), 46);
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	if (c == NULL)
		fail_msg("open: %s", e.msg);
	assert_int_equal(fscert_esl_api(c, "version", &body, &e), 0);
	assert_string_equal(body, VERSION_BODY);
	free(body);
	fscert_esl_close(c);
	srv_join(&s);
}

static void
oversize_refused(void **state)
{
	static const struct act script[] = {
		LOGIN, { READ, NULL, 1 },
		{ SEND, "Content-Type: api/response\nContent-Length: 999999999"
		    "\n\n+OK fsmock", 0 },
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;
	long t0;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 3000, &e);
	assert_non_null(c);
	t0 = now_ms();
	assert_int_equal(fscert_esl_api(c, "version", &body, &e), -1);
	/* Refused when the header is read, not after a timeout. */
	assert_true(now_ms() - t0 < 2000);
	assert_null(body);
	assert_names_endpoint(&e, &s);
	assert_has(e.msg, "999999999");
	fscert_esl_close(c);
	srv_join(&s);
}

static void
silent_peer_times_out(void **state)
{
	static const struct act greeting_only[] = {
		{ SEND, GREETING, 0 }, { HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	static const struct act nothing[] = {
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	static const struct act no_api_reply[] = {
		LOGIN, { HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;
	long t0, dt;

	(void)state;
	/* No greeting. */
	srv_start(&s, nothing);
	fscert_err_clear(&e);
	t0 = now_ms();
	assert_null(fscert_esl_open("127.0.0.1", s.port, PASSWORD, 300, &e));
	dt = now_ms() - t0;
	srv_join(&s);
	if (dt < 250 || dt > 2000)
		fail_msg("no greeting: gave up after %ld ms, timeout 300", dt);
	assert_names_endpoint(&e, &s);
	assert_has(e.msg, "300 ms");

	/* No answer to auth. */
	srv_start(&s, greeting_only);
	fscert_err_clear(&e);
	t0 = now_ms();
	assert_null(fscert_esl_open("127.0.0.1", s.port, PASSWORD, 300, &e));
	dt = now_ms() - t0;
	srv_join(&s);
	if (dt < 250 || dt > 2000)
		fail_msg("no auth reply: gave up after %ld ms, timeout 300",
		    dt);
	assert_names_endpoint(&e, &s);
	assert_null(strstr(e.msg, PASSWORD));

	/* No answer to an api command. */
	srv_start(&s, no_api_reply);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 300, &e);
	assert_non_null(c);
	t0 = now_ms();
	assert_int_equal(fscert_esl_api(c, "sofia jsonstatus", &body, &e), -1);
	dt = now_ms() - t0;
	if (dt < 250 || dt > 2000)
		fail_msg("no api reply: gave up after %ld ms, timeout 300", dt);
	assert_names_endpoint(&e, &s);
	fscert_esl_close(c);
	srv_join(&s);
}

static void
peer_closes_mid_reply(void **state)
{
	static const struct act script[] = {
		LOGIN, { READ, NULL, 1 },
		{ SEND, "Content-Type: api/response\nContent-Length: 50\n\n"
		    "FreeSWITCH Vers", 0 },
		{ CLOSE, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	assert_non_null(c);
	assert_int_equal(fscert_esl_api(c, "version", &body, &e), -1);
	assert_null(body);
	assert_names_endpoint(&e, &s);
	assert_has(e.msg, "closed");
	fscert_esl_close(c);
	srv_join(&s);
}

static void
send_after_peer_closed_no_sigpipe(void **state)
{
	static const struct act script[] = {
		LOGIN, { CLOSE, NULL, 0 }, { END, NULL, 0 },
	};
	void (*old)(int);
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;
	int i;

	(void)state;
	/* SIGPIPE's default action kills the test: the client must not
	 * raise it (MSG_NOSIGNAL), whatever the caller's disposition. */
	old = signal(SIGPIPE, SIG_DFL);
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	assert_non_null(c);
	srv_join(&s);
	sleep_ms(50);
	for (i = 0; i < 4; i++) {
		fscert_err_clear(&e);
		assert_int_equal(fscert_esl_api(c, "version", &body, &e), -1);
		assert_null(body);
		assert_names_endpoint(&e, &s);
		sleep_ms(20);
	}
	fscert_esl_close(c);	/* sends exit: no SIGPIPE either */
	(void)signal(SIGPIPE, old);
}

static void
api_refuses_control_characters(void **state)
{
	static const struct act script[] = {
		LOGIN, { READ, NULL, 1 }, { SEND, VERSION, 0 },
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	static const char *const bad[] = {
		"version\nexit", "version\r", "reloadxml\n\napi x", "a\tb",
		"", "version\x7f",
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL, longcmd[600];
	size_t i;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	assert_non_null(c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fscert_err_clear(&e);
		assert_int_equal(fscert_esl_api(c, bad[i], &body, &e), -1);
		assert_int_equal(e.code, FSCERT_EUSAGE);
		assert_null(body);
	}
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = '\0';
	fscert_err_clear(&e);
	assert_int_equal(fscert_esl_api(c, longcmd, &body, &e), -1);
	assert_int_equal(e.code, FSCERT_EUSAGE);
	/* Nothing of those was sent; the connection still works. */
	assert_int_equal(fscert_esl_api(c, "version", &body, &e), 0);
	assert_string_equal(body, VERSION_BODY);
	free(body);
	fscert_esl_close(c);
	srv_join(&s);
	assert_string_equal(s.got, "auth " PASSWORD "\n\napi version\n\n"
	    "exit\n\n");
}

static void
api_error_reply_is_an_error(void **state)
{
	static const struct act script[] = {
		LOGIN, { READ, NULL, 1 },
		{ SEND, "Content-Type: command/reply\n"
		    "Reply-Text: -ERR command not found\n\n", 0 },
		{ READ, NULL, 1 },
		{ SEND, "Content-Type: api/response\nContent-Length: 35\n\n"
		    "-ERR reloadcert Command not found!\n", 0 },
		{ HOLD, NULL, 0 }, { END, NULL, 0 },
	};
	struct fscert_err e;
	struct fscert_esl *c;
	struct srv s;
	char *body = NULL;

	(void)state;
	srv_start(&s, script);
	fscert_err_clear(&e);
	c = fscert_esl_open("127.0.0.1", s.port, PASSWORD, 2000, &e);
	assert_non_null(c);
	/* A command/reply where an api/response is due: an error. */
	assert_int_equal(fscert_esl_api(c, "version", &body, &e), -1);
	assert_names_endpoint(&e, &s);
	assert_has(e.msg, "-ERR command not found");
	/* An api/response with an error text: the caller's to judge. */
	assert_int_equal(fscert_esl_api(c, "reloadcert", &body, &e), 0);
	assert_string_equal(body, "-ERR reloadcert Command not found!\n");
	free(body);
	fscert_esl_close(c);
	srv_join(&s);
}

static void
port_closed_fails_fast(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct fscert_err e;
	char want[64];
	int fd, port;
	long t0;

	(void)state;
	/* A port that was just free: bound, then closed, never listened. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	(void)close(fd);
	fscert_err_clear(&e);
	t0 = now_ms();
	assert_null(fscert_esl_open("127.0.0.1", port, PASSWORD, 3000, &e));
	assert_true(now_ms() - t0 < 1000);
	(void)snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	assert_has(e.msg, want);
	assert_has(e.msg, "refused");
}

static void
close_null(void **state)
{
	(void)state;
	fscert_esl_close(NULL);
	assert_string_equal(fscert_esl_endpoint(NULL), "?");
}

/* ------------------------------------------------ fscert_esl_parse */

/* parse(buf) with a 1 MiB cap: the return value, m, used, err. */
static int
parse(const char *buf, size_t len, struct fscert_esl_msg *m, size_t *used,
    struct fscert_err *e)
{
	fscert_err_clear(e);
	return fscert_esl_parse(buf, len, 1024 * 1024, m, used, e);
}

static void
parse_api_response(void **state)
{
	static const char b[] = VERSION;
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used = 99;

	(void)state;
	assert_int_equal(parse(b, sizeof(b) - 1, &m, &used, &e), 1);
	assert_int_equal(used, sizeof(b) - 1);
	assert_string_equal(m.content_type, "api/response");
	assert_int_equal(m.content_length, 50);
	assert_string_equal(m.body, VERSION_BODY);
	assert_string_equal(m.reply_text, "");
	fscert_esl_msg_free(&m);
	assert_null(m.body);
	fscert_esl_msg_free(NULL);
}

static void
parse_command_reply(void **state)
{
	static const char b[] = AUTH_OK;
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used;

	(void)state;
	assert_int_equal(parse(b, sizeof(b) - 1, &m, &used, &e), 1);
	assert_int_equal(used, sizeof(b) - 1);
	assert_string_equal(m.content_type, "command/reply");
	assert_string_equal(m.reply_text, "+OK accepted");
	assert_int_equal(m.content_length, 0);
	assert_null(m.body);
	fscert_esl_msg_free(&m);
}

static void
parse_needs_more(void **state)
{
	static const char b[] = RESTART;
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used, n;

	(void)state;
	/* Every proper prefix: 0, nothing consumed, no error. */
	for (n = 0; n < sizeof(b) - 1; n++) {
		assert_int_equal(parse(b, n, &m, &used, &e), 0);
		assert_int_equal(used, 0);
		assert_int_equal(e.code, FSCERT_OK);
		assert_null(m.body);
	}
	assert_int_equal(parse(b, n, &m, &used, &e), 1);
	assert_string_equal(m.body, RESTART_BODY);
	fscert_esl_msg_free(&m);
}

static void
parse_two_messages(void **state)
{
	static const char b[] = LOGLINE RELOADXML;
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used, used2;

	(void)state;
	assert_int_equal(parse(b, sizeof(b) - 1, &m, &used, &e), 1);
	assert_string_equal(m.content_type, "log/data");
	assert_string_equal(m.body, LOGLINE_BODY);
	assert_int_equal(used, sizeof(LOGLINE) - 1);
	fscert_esl_msg_free(&m);
	assert_int_equal(parse(b + used, sizeof(b) - 1 - used, &m, &used2,
	    &e), 1);
	assert_string_equal(m.body, "+OK [Success]\n");
	assert_int_equal(used + used2, sizeof(b) - 1);
	fscert_esl_msg_free(&m);
}

static void
parse_event_body_with_blank_line(void **state)
{
	static const char b[] = EVENT;
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used;

	(void)state;
	assert_int_equal(parse(b, sizeof(b) - 1, &m, &used, &e), 1);
	assert_string_equal(m.content_type, "text/event-plain");
	assert_string_equal(m.body, EVENT_BODY);
	fscert_esl_msg_free(&m);
}

static void
parse_leading_blank_lines_and_crlf(void **state)
{
	static const char b[] = "\n\r\n\nContent-Type: api/response\r\n"
	    "content-length:  4 \r\n\r\n+OK\n";
	static const char c[] = "CONTENT-TYPE:\tcommand/reply\n"
	    "reply-text:   +OK accepted  \n\n";
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used;

	(void)state;
	assert_int_equal(parse(b, sizeof(b) - 1, &m, &used, &e), 1);
	assert_int_equal(used, sizeof(b) - 1);
	assert_string_equal(m.content_type, "api/response");
	assert_int_equal(m.content_length, 4);
	assert_string_equal(m.body, "+OK\n");
	fscert_esl_msg_free(&m);
	assert_int_equal(parse(c, sizeof(c) - 1, &m, &used, &e), 1);
	assert_string_equal(m.content_type, "command/reply");
	assert_string_equal(m.reply_text, "+OK accepted");
	fscert_esl_msg_free(&m);
	/* Blank lines alone are not a message. */
	assert_int_equal(parse("\n\n\n", 3, &m, &used, &e), 0);
}

static void
parse_body_is_a_nul_terminated_copy(void **state)
{
	char b[] = "Content-Type: api/response\nContent-Length: 3\n\n"
	    "abcdef";
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used;

	(void)state;
	assert_int_equal(parse(b, sizeof(b) - 1, &m, &used, &e), 1);
	assert_int_equal(used, sizeof(b) - 1 - 3);
	assert_string_equal(m.body, "abc");
	/* The input changes; the copy does not. */
	b[sizeof(b) - 7] = 'X';
	assert_string_equal(m.body, "abc");
	fscert_esl_msg_free(&m);
}

static void
parse_malformed(void **state)
{
	static const char *const bad[] = {
		"Content-Length: 3\n\nabc",		/* no Content-Type */
		"Reply-Text: +OK\n\n",
		"Content-Type api/response\n\n",	/* no colon */
		"Content-Type: api/response\ngarbage\n\n",
		"Content-Type: api/response\nContent-Length: 12x\n\n",
		"Content-Type: api/response\nContent-Length: -1\n\n",
		"Content-Type: api/response\nContent-Length: \n\n",
		"Content-Type: api/response\nContent-Length: +5\n\nabcde",
		("Content-Type: api/response\n"
		    "Content-Length: 99999999999999999999999\n\n"),
	};
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], strlen(bad[i]), &m, &used, &e) != -1)
			fail_msg("accepted: '%s'", bad[i]);
		assert_int_equal(e.code, FSCERT_EPARSE);
		assert_true(e.msg[0] != '\0');
		assert_null(m.body);
	}
}

static void
parse_body_cap(void **state)
{
	static const char ok10[] = "Content-Type: api/response\n"
	    "Content-Length: 10\n\n0123456789";
	static const char over[] = "Content-Type: api/response\n"
	    "Content-Length: 11\n\n";
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t used;

	(void)state;
	fscert_err_clear(&e);
	assert_int_equal(fscert_esl_parse(ok10, sizeof(ok10) - 1, 10, &m,
	    &used, &e), 1);
	assert_string_equal(m.body, "0123456789");
	fscert_esl_msg_free(&m);
	/* Refused from the header alone, before the body arrives. */
	fscert_err_clear(&e);
	assert_int_equal(fscert_esl_parse(over, sizeof(over) - 1, 10, &m,
	    &used, &e), -1);
	assert_int_equal(e.code, FSCERT_EPARSE);
	assert_has(e.msg, "11");
}

static void
parse_header_cap(void **state)
{
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t n = FSCERT_ESL_MAX_HEAD + 100, used;
	char *b;

	(void)state;
	b = malloc(n);
	assert_non_null(b);
	memcpy(b, "Content-Type: api/response\nX-Pad: ", 34);
	memset(b + 34, 'x', n - 34);
	/* Under the cap and unfinished: wait for more. */
	assert_int_equal(parse(b, 1000, &m, &used, &e), 0);
	/* Over it with no end of header: refused. */
	assert_int_equal(parse(b, n, &m, &used, &e), -1);
	assert_int_equal(e.code, FSCERT_EPARSE);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auth_ok_then_api),
		cmocka_unit_test(host_null_tries_ipv4_loopback_first),
		cmocka_unit_test(auth_invalid),
		cmocka_unit_test(password_with_newline_refused_unsent),
		cmocka_unit_test(disconnect_notice),
		cmocka_unit_test(rude_rejection),
		cmocka_unit_test(split_byte_by_byte),
		cmocka_unit_test(body_without_trailing_newline),
		cmocka_unit_test(unsolicited_messages_skipped),
		cmocka_unit_test(oversize_refused),
		cmocka_unit_test(silent_peer_times_out),
		cmocka_unit_test(peer_closes_mid_reply),
		cmocka_unit_test(send_after_peer_closed_no_sigpipe),
		cmocka_unit_test(api_refuses_control_characters),
		cmocka_unit_test(api_error_reply_is_an_error),
		cmocka_unit_test(port_closed_fails_fast),
		cmocka_unit_test(close_null),
		cmocka_unit_test(parse_api_response),
		cmocka_unit_test(parse_command_reply),
		cmocka_unit_test(parse_needs_more),
		cmocka_unit_test(parse_two_messages),
		cmocka_unit_test(parse_event_body_with_blank_line),
		cmocka_unit_test(parse_leading_blank_lines_and_crlf),
		cmocka_unit_test(parse_body_is_a_nul_terminated_copy),
		cmocka_unit_test(parse_malformed),
		cmocka_unit_test(parse_body_cap),
		cmocka_unit_test(parse_header_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
