/*
 * conn.c: connecting TCP sockets under a timeout, for esl.c and
 * probe.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

long
conn_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
conn_connect(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, fl, soerr = 0;

	fd = socket(
	    ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	fl = fcntl(fd, F_GETFL);
	(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 ||
		    soerr != 0) {
			errno = soerr ? soerr : errno;
			goto fail;
		}
	}
	return fd;
fail:
	fl = errno;
	(void)close(fd);
	errno = fl;
	return -1;
}

const char *
conn_endpoint(char *buf, size_t len, const char *host, int port)
{
	(void)snprintf(
	    buf, len, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	return buf;
}

int
conn_dial(const char *host, int port, int timeout_ms, struct fscert_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16], ep[128];
	int fd = -1, gai, saved = 0;

	(void)conn_endpoint(ep, sizeof(ep), host, port);
	(void)snprintf(ps, sizeof(ps), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, ps, &hints, &res)) != 0)
		return fscert_err_set(
		    err, FSCERT_EIO, "%s: %s", ep, gai_strerror(gai));
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		if ((fd = conn_connect(ai, timeout_ms)) == -1)
			saved = errno;
	freeaddrinfo(res);
	if (fd == -1) {
		errno = saved;
		return fscert_err_sys(err, FSCERT_EIO, "%s: connect", ep);
	}
	return fd;
}
