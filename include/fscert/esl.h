/*
 * fscert/esl.h: a small clean-room client for FreeSWITCH's event socket
 * (mod_event_socket), enough for api commands: connect, auth, api,
 * exit.  Every read is under a timeout; bodies are capped; unsolicited
 * messages (events, logs) are skipped; an error reply, a disconnect
 * notice or a rude rejection becomes a clear error naming the endpoint.
 * It never sees key material.  The password is never logged and the
 * buffer that carried it is cleansed.
 */
#ifndef FSCERT_ESL_H
#define FSCERT_ESL_H

#include <stddef.h>

#include "fscert/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define FSCERT_ESL_PORT 8021
#define FSCERT_ESL_PASSWORD "ClueCon" /* FreeSWITCH's default */
#define FSCERT_ESL_MAX_BODY ((size_t)4 * 1024 * 1024)
#define FSCERT_ESL_MAX_HEAD ((size_t)64 * 1024)

/* One message from the server. */
struct fscert_esl_msg {
	char content_type[64]; /* "api/response", ... */
	char reply_text[512]; /* Reply-Text, if any */
	size_t content_length;
	char *body; /* NUL-terminated, or NULL */
};

/*
 * Parse one message from the len bytes at buf.  Returns 1 with *m
 * filled (m->body points into a new copy; free it with
 * fscert_esl_msg_free) and *used set to the bytes consumed; 0 when more
 * bytes are needed; -1 with err on a malformed header block or a
 * Content-Length over max_body.  For the client and the fuzzer.
 */
int fscert_esl_parse(const char *buf, size_t len, size_t max_body,
    struct fscert_esl_msg *m, size_t *used, struct fscert_err *err);
void fscert_esl_msg_free(struct fscert_esl_msg *m);

struct fscert_esl; /* a connection */

/*
 * Connect to host:port (host NULL: 127.0.0.1, then ::1) within
 * timeout_ms, read the auth/request greeting and authenticate with
 * password.  Returns the connection, or NULL with err naming the
 * endpoint ("127.0.0.1:8021: authentication failed (-ERR invalid)").
 */
struct fscert_esl *fscert_esl_open(const char *host, int port,
    const char *password, int timeout_ms, struct fscert_err *err);

/*
 * Run "api CMD" and store the reply body in *body (NUL-terminated, the
 * caller frees it).  cmd is checked against a whitelist of characters.
 * Returns 0, or -1 with err.  The body may be an error text ("-ERR ...");
 * judging it is the caller's business.
 */
int fscert_esl_api(
    struct fscert_esl *e, const char *cmd, char **body, struct fscert_err *err);

/* "host:port" of the connection, for messages. */
const char *fscert_esl_endpoint(const struct fscert_esl *e);

/* Send exit (best effort), close and free.  Accepts NULL. */
void fscert_esl_close(struct fscert_esl *e);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_ESL_H */
