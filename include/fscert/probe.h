/*
 * fscert/probe.h: what a TLS client is served.  A handshake (SNI set)
 * to an endpoint, without judging trust: the caller compares what was
 * served with what was installed.
 */
#ifndef FSCERT_PROBE_H
#define FSCERT_PROBE_H

#include "fscert/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define FSCERT_PROBE_MAX_CHAIN 8

struct fscert_probe {
	char endpoint[128]; /* "127.0.0.1:5061" */
	int ok; /* the handshake completed */
	int nserved; /* certificates the server sent */
	char sha256[FSCERT_PROBE_MAX_CHAIN][65]; /* [0] is the leaf */
	char subject[128]; /* the leaf's subject, for messages */
	long days_left; /* until the served leaf expires */
	char error[160]; /* why not ok: "refused", ... */
};

/*
 * Handshake with host:port within timeout_ms, sending sni (NULL or an
 * IP address: none).  Fills p; returns 0 whether or not the handshake
 * worked (p->ok), -1 only on an internal error with err set.
 */
int fscert_probe_tls(const char *host, int port, const char *sni,
    int timeout_ms, struct fscert_probe *p, struct fscert_err *err);

/*
 * Split "HOST:PORT" or "[V6]:PORT" into host (size hlen) and *port.
 * Returns 0, or -1 with err.
 */
int fscert_parse_hostport(
    const char *s, char *host, size_t hlen, int *port, struct fscert_err *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_PROBE_H */
