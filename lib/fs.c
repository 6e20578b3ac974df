/*
 * fs.c: reading files with a cap and writing temp files safely.
 * With install.c, the only code that writes to the file system.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "fscert/pem.h"
#include "internal.h"

/*
 * Read the open regular file fd, named what in messages, into a new
 * NUL-terminated buffer of at most cap bytes; closes fd.
 */
static int
read_fd(int fd, const char *what, size_t cap, unsigned char **buf, size_t *len,
    struct stat *st, struct fscert_err *err)
{
	unsigned char *b = NULL;
	size_t have = 0;
	ssize_t n;
	int rc = -1;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, st) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s: stat", what);
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		fscert_err_set(err, FSCERT_EIO, "%s: not a regular file", what);
		goto out;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* Refuse by size before reading a byte, and again while reading. */
	if ((size_t)st->st_size > cap) {
		fscert_err_set(err, FSCERT_ETOOBIG,
		    "%s: file is larger than %zu bytes", what, cap);
		goto out;
	}
	if ((b = malloc(cap + 2)) == NULL) {
		fscert_err_sys(err, FSCERT_ENOMEM, "%s", what);
		goto out;
	}
	for (;;) {
		n = read(fd, b + have, cap + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fscert_err_sys(err, FSCERT_EIO, "%s: read", what);
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > cap) {
			fscert_err_set(err, FSCERT_ETOOBIG,
			    "%s: file is larger than %zu bytes", what, cap);
			goto out;
		}
	}
	b[have] = '\0';
	*buf = b;
	*len = have;
	b = NULL;
	rc = 0;
out:
	if (b != NULL) {
		OPENSSL_cleanse(b, cap + 2);
		free(b);
	}
	(void)close(fd);
	return rc;
}

int
fs_read_capped(const char *path, const char *name, size_t cap,
    unsigned char **buf, size_t *len, struct stat *st, struct fscert_err *err)
{
	int fd;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO must not hang us before fstat says no. */
	fd = open(
	    path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT)
			return fscert_err_set(
			    err, FSCERT_ENOENT, "%s: no such file", name);
		return fscert_err_sys(err, FSCERT_EIO, "%s: open", name);
	}
	return read_fd(fd, name, cap, buf, len, st, err);
}

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fs_write_temp(int dirfd, const char *dirname, const char *final, mode_t mode,
    uid_t uid, gid_t gid, const void *data, size_t len, char *tmp,
    size_t tmplen, struct fscert_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[6];
	int fd = -1, tries, saved;
	size_t i, n;

	for (tries = 0; tries < 16; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return fscert_err_ssl(
			    err, "%s: random temp name", dirname);
		n = (size_t)snprintf(tmp, tmplen, ".%s.", final);
		if (n + 2 * sizeof(rnd) + 5 > tmplen)
			return fscert_err_set(err, FSCERT_EUSAGE,
			    "%s/%s: name too long", dirname, final);
		for (i = 0; i < sizeof(rnd); i++) {
			tmp[n++] = hex[rnd[i] >> 4];
			tmp[n++] = hex[rnd[i] & 15];
		}
		memcpy(tmp + n, ".tmp", 5);
		/*
		 * Created owner-only whatever the umask, and never through
		 * a symlink; fchmod then sets the exact final mode, which
		 * for a key is never looser than configured.
		 */
		fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1)
		return fscert_err_sys(
		    err, FSCERT_EIO, "%s/%s: create", dirname, tmp);
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s/%s: chown", dirname, tmp);
		goto fail;
	}
	if (fchmod(fd, mode) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s/%s: chmod", dirname, tmp);
		goto fail;
	}
	if (write_all(fd, data, len) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s/%s: write", dirname, tmp);
		goto fail;
	}
	if (fsync(fd) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s/%s: fsync", dirname, tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		fscert_err_sys(err, FSCERT_EIO, "%s/%s: close", dirname, tmp);
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlinkat(dirfd, tmp, 0);
	errno = saved;
	return -1;
}

int
fs_replace(int dirfd, const char *dirname, const char *name, mode_t mode,
    uid_t uid, gid_t gid, const void *data, size_t len, struct fscert_err *err)
{
	char tmp[NAME_MAX + 1];

	if (fs_write_temp(dirfd, dirname, name, mode, uid, gid, data, len, tmp,
		sizeof(tmp), err) == -1)
		return -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s/%s: rename", dirname, name);
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

int
fs_is_temp(const char *name)
{
	size_t n = strlen(name), i;

	/* "." + final + "." + 12 hex + ".tmp" */
	if (n < 19 || name[0] != '.' || strcmp(name + n - 4, ".tmp") != 0 ||
	    name[n - 17] != '.')
		return 0;
	for (i = n - 16; i < n - 4; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
			(name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

int
fs_read_at(int dirfd, const char *dirname, const char *name,
    unsigned char **buf, size_t *len, struct stat *st, struct fscert_err *err)
{
	char what[PATH_MAX];
	int fd;

	*buf = NULL;
	*len = 0;
	(void)snprintf(what, sizeof(what), "%s/%s", dirname, name);
	fd = openat(dirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return fscert_err_set(err, FSCERT_ESYMLINK,
			    "%s: is a symlink; fscert replaces only regular "
			    "files",
			    what);
		return fscert_err_sys(err, FSCERT_EIO, "%s", what);
	}
	return read_fd(fd, what, FSCERT_FILE_MAX, buf, len, st, err);
}

char *
fs_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p;

	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if ((p = malloc(dl + nl + 2)) == NULL)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

char *
fs_strdup(const char *s, struct fscert_err *err)
{
	char *p = strdup(s);

	if (p == NULL)
		fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
	return p;
}

const char *
fs_find(const void *buf, size_t len, const char *s)
{
	const char *p = buf, *end = p + len;
	size_t n = strlen(s);

	for (; n <= (size_t)(end - p); p++)
		if (memcmp(p, s, n) == 0)
			return p;
	return NULL;
}
