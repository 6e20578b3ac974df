/*
 * internal.h: helpers shared inside libfscert; nothing here is exported.
 */
#ifndef FSCERT_INTERNAL_H
#define FSCERT_INTERNAL_H

#include <stddef.h>
#include <sys/stat.h>

#include "fscert/err.h"

/*
 * Read the regular file at path (already resolved: opened with
 * O_NOFOLLOW) into a new NUL-terminated buffer.  A file over cap bytes is
 * FSCERT_ETOOBIG before anything is parsed.  name is used in messages.
 * The caller cleanses and frees *buf.
 */
int fs_read_capped(const char *path, const char *name, size_t cap,
    unsigned char **buf, size_t *len, struct stat *st, struct fscert_err *err);

/*
 * Create a temp file next to final in the directory dirfd: created
 * 0600, then owner uid:gid (when not -1) and exactly mode set before any
 * byte is written; write len bytes of data, fsync and close it.  The
 * temp name (".FINAL.XXXXXXXXXXXX.tmp") is stored in tmp (size tmplen).
 * On failure the temp file is removed.
 */
int fs_write_temp(int dirfd, const char *dirname, const char *final,
    mode_t mode, uid_t uid, gid_t gid, const void *data, size_t len, char *tmp,
    size_t tmplen, struct fscert_err *err);

/*
 * Replace dirfd's file name by len bytes of data with exactly mode and
 * uid:gid, by fs_write_temp and a rename; the directory is not fsync'ed
 * (the caller does, once for a set).  On failure no temp file is left.
 */
int fs_replace(int dirfd, const char *dirname, const char *name, mode_t mode,
    uid_t uid, gid_t gid, const void *data, size_t len, struct fscert_err *err);

/* Is name one of our temp files (".X.XXXXXXXXXXXX.tmp")? */
int fs_is_temp(const char *name);

/*
 * Read the regular file name in dirfd (never through a symlink) into a
 * new buffer; a missing file gives 0 with *buf NULL.  Capped as
 * fs_read_capped.  The caller cleanses and frees *buf.
 */
int fs_read_at(int dirfd, const char *dirname, const char *name,
    unsigned char **buf, size_t *len, struct stat *st, struct fscert_err *err);

/* Join dir and name into a new string ("dir/name"); NULL on ENOMEM. */
char *fs_join(const char *dir, const char *name);

/* Do two directory paths name one directory (real paths when both exist)? */
int fs_same_dir(const char *a, const char *b);

/* The first s in the len bytes at buf (not NUL-terminated), or NULL. */
const char *fs_find(const void *buf, size_t len, const char *s);

/* strdup that sets err on failure. */
char *fs_strdup(const char *s, struct fscert_err *err);

struct fscert_fsconf;

/*
 * Read the sofia.conf (verto: verto.conf) configuration xml into fc;
 * src names where it came from in messages ("xml_locate", a file).
 */
int fsconf_parse(struct fscert_fsconf *fc, int verto, const char *xml,
    const char *src, struct fscert_err *err);

struct addrinfo;

/* Milliseconds on the monotonic clock. */
long conn_now_ms(void);

/*
 * A TCP socket connected to ai within timeout_ms (non-blocking connect
 * and poll), left non-blocking and close-on-exec; -1 with errno set.
 */
int conn_connect(const struct addrinfo *ai, int timeout_ms);

/*
 * Connect to host:port (numeric or a name) within timeout_ms; -1 with
 * err naming "host:port".
 */
int
conn_dial(const char *host, int port, int timeout_ms, struct fscert_err *err);

/* "host:port", or "[v6]:port", into buf. */
const char *conn_endpoint(char *buf, size_t len, const char *host, int port);

#endif /* FSCERT_INTERNAL_H */
