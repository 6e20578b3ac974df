/*
 * install.c: replace FreeSWITCH's cert files safely.  With fs.c, the
 * only code that writes; it never opens a socket.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "fscert/install.h"
#include "fscert/pem.h"
#include "internal.h"

static const char *const shadow_names[FSCERT_SH__MAX] = {
	[FSCERT_SH_WSS_CRT] = "wss.crt",
	[FSCERT_SH_WSS_KEY] = "wss.key",
	[FSCERT_SH_CA_BUNDLE] = "ca-bundle.crt",
	[FSCERT_SH_TLS_PEM] = "tls.pem",
};

/* Rename order: the chain first, the files with the leaf after it. */
static const enum fscert_out order[FSCERT_OUT__MAX] = {
	FSCERT_OUT_CAFILE,
	FSCERT_OUT_AGENT,
	FSCERT_OUT_WSS,
};

/* Files FreeSWITCH does not read, left by admins, FusionPBX, certbot. */
static const char *const foreign_names[FSCERT_FOREIGN__MAX] = {
	[FSCERT_FO_CERT] = "cert.pem",
	[FSCERT_FO_PRIVKEY] = "privkey.pem",
	[FSCERT_FO_CHAIN] = "chain.pem",
	[FSCERT_FO_FULLCHAIN] = "fullchain.pem",
	[FSCERT_FO_ALL] = "all.pem",
};

const char *
fscert_shadow_name(enum fscert_shadow s)
{
	return (unsigned)s < FSCERT_SH__MAX ? shadow_names[s] : "?";
}

const char *
fscert_foreign_name(enum fscert_foreign f)
{
	return (unsigned)f < FSCERT_FOREIGN__MAX ? foreign_names[f] : "?";
}

/*
 * fs_read_at for a file fscert replaces: a symlink there (FusionPBX's
 * agent.pem -> all.pem) is never followed; it reads as no file, so
 * that the link itself is replaced by a regular file.  *link says so.
 */
static int
read_own(int dirfd, const char *dirname, const char *name, unsigned char **buf,
    size_t *len, struct stat *st, int *link, struct fscert_err *err)
{
	struct stat ls;

	*buf = NULL;
	*len = 0;
	if (link != NULL)
		*link = 0;
	if (fstatat(dirfd, name, &ls, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(ls.st_mode)) {
		if (link != NULL)
			*link = 1;
		return 0;
	}
	return fs_read_at(dirfd, dirname, name, buf, len, st, err);
}

/* Open (creating, 0700) the subdirectory name of dirfd. */
static int
open_subdir(
    int dirfd, const char *dirname, const char *name, struct fscert_err *err)
{
	struct stat st;
	int fd;

	if (mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST)
		return fscert_err_sys(
		    err, FSCERT_EIO, "%s/%s: mkdir", dirname, name);
	fd = openat(
	    dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return fscert_err_sys(err, FSCERT_EIO, "%s/%s", dirname, name);
	/* Private whatever the umask or an earlier hand did. */
	if (fstat(fd, &st) == -1 ||
	    ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == -1)) {
		(void)close(fd);
		return fscert_err_sys(
		    err, FSCERT_EIO, "%s/%s: chmod", dirname, name);
	}
	return fd;
}

static int
open_dir(const char *dir, struct stat *st, struct fscert_err *err)
{
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return fscert_err_set(
			    err, FSCERT_ENOENT, "%s: no such directory", dir);
		return fscert_err_sys(err, FSCERT_EIO, "%s", dir);
	}
	if (st != NULL && fstat(fd, st) == -1) {
		(void)close(fd);
		return fscert_err_sys(err, FSCERT_EIO, "%s", dir);
	}
	return fd;
}

int
fscert_install_lock(const char *cert_dir, int *fd, struct fscert_err *err)
{
	struct flock fl;
	char what[PATH_MAX];
	int dfd, sfd = -1, lfd = -1;

	*fd = -1;
	if ((dfd = open_dir(cert_dir, NULL, err)) == -1)
		return -1;
	(void)snprintf(what, sizeof(what), "%s/%s", cert_dir, FSCERT_STATE_DIR);
	if ((sfd = open_subdir(dfd, cert_dir, FSCERT_STATE_DIR, err)) == -1)
		goto fail;
	lfd = openat(
	    sfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lfd == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s/lock", what);
		goto fail;
	}
	/* POSIX record lock: released by the kernel if we die. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(lfd, F_SETLKW, &fl) == -1) {
		if (errno != EINTR) {
			fscert_err_sys(err, FSCERT_EIO, "%s/lock: lock", what);
			goto fail;
		}
	}
	(void)close(sfd);
	(void)close(dfd);
	*fd = lfd;
	return 0;
fail:
	if (lfd != -1)
		(void)close(lfd);
	if (sfd != -1)
		(void)close(sfd);
	(void)close(dfd);
	return -1;
}

void
fscert_install_unlock(int fd)
{
	if (fd != -1)
		(void)close(fd);
}

int
fscert_install_dhparams(const char *cert_dir, char **dh, struct fscert_err *err)
{
	struct fscert_pem *p = NULL;
	struct fscert_err perr;
	unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int dfd;

	*dh = NULL;
	if ((dfd = open_dir(cert_dir, NULL, err)) == -1)
		return -1;
	/* A symlinked agent.pem is replaced, not read: no block to keep. */
	if (read_own(dfd, cert_dir, "agent.pem", &buf, &len, &st, NULL, err) ==
	    -1) {
		(void)close(dfd);
		return -1;
	}
	(void)close(dfd);
	if (buf == NULL)
		return 0;
	/* An old agent.pem we cannot parse has no block to keep. */
	fscert_err_clear(&perr);
	if ((p = fscert_pem_parse("agent.pem", buf, len, &perr)) != NULL) {
		*dh = p->dhparams;
		p->dhparams = NULL;
	}
	fscert_pem_free(p);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return 0;
}

/* Remove temp files a killed run left in dirfd. */
static int
sweep(int dirfd)
{
	struct dirent *de;
	DIR *d;
	int fd, n = 0;

	if ((fd = dup(dirfd)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (fs_is_temp(de->d_name) &&
		    unlinkat(dirfd, de->d_name, 0) == 0)
			n++;
	(void)closedir(d);
	return n;
}

/* Does the file name in dirfd hold exactly data, with mode and owner? */
static int
same_file(int dirfd, const char *dirname, const char *name,
    const struct fscert_buf *data, mode_t mode, uid_t uid, gid_t gid, int *link,
    struct fscert_err *err)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int same;

	if (read_own(dirfd, dirname, name, &buf, &len, &st, link, err) == -1)
		return -1;
	if (buf == NULL)
		return 0;
	same = len == data->len && memcmp(buf, data->data, len) == 0 &&
	    (st.st_mode & 07777) == mode && st.st_uid == uid &&
	    st.st_gid == gid;
	OPENSSL_cleanse(buf, len);
	free(buf);
	return same;
}

/*
 * Is cur a complete, consistent set: agent.pem and wss.pem with the same
 * leaf and key, and wss.pem's intermediates those of cafile.pem?  A set
 * caught between two renames (cafile.pem new, the others old) is not.
 */
static int
consistent(const struct fscert_buf cur[FSCERT_OUT__MAX])
{
	struct fscert_pem *p[FSCERT_OUT__MAX] = { NULL };
	STACK_OF(X509) * w, *ca;
	int i, ok = 0;

	for (i = 0; i < FSCERT_OUT__MAX; i++)
		if ((p[i] = fscert_pem_parse(fscert_out_name(i), cur[i].data,
			 cur[i].len, NULL)) == NULL)
			goto out;
	w = p[FSCERT_OUT_WSS]->certs;
	ca = p[FSCERT_OUT_CAFILE]->certs;
	if (p[FSCERT_OUT_AGENT]->key == NULL ||
	    p[FSCERT_OUT_WSS]->key == NULL ||
	    sk_X509_num(p[FSCERT_OUT_AGENT]->certs) < 1 ||
	    sk_X509_num(w) != sk_X509_num(ca) + 1 ||
	    X509_cmp(sk_X509_value(p[FSCERT_OUT_AGENT]->certs, 0),
		sk_X509_value(w, 0)) != 0 ||
	    EVP_PKEY_eq(p[FSCERT_OUT_AGENT]->key, p[FSCERT_OUT_WSS]->key) != 1)
		goto out;
	for (i = 0; i < sk_X509_num(ca); i++)
		if (X509_cmp(sk_X509_value(ca, i), sk_X509_value(w, i + 1)) !=
		    0)
			goto out;
	ok = 1;
out:
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		fscert_pem_free(p[i]);
	ERR_clear_error();
	return ok;
}

/*
 * Copy the installed set into .fscert/prev/, but only a complete,
 * consistent one: after a crash half-way, the set kept from before
 * stays the one to go back to.  Returns 1 when saved, 0 when not, -1 on error.
 */
static int
backup(int dirfd, int sfd, const char *dirname, struct fscert_err *err)
{
	struct fscert_buf cur[FSCERT_OUT__MAX];
	struct stat st[FSCERT_OUT__MAX];
	char what[PATH_MAX];
	int i, pfd = -1, rc = -1;

	memset(cur, 0, sizeof(cur));
	memset(st, 0, sizeof(st));
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		/* A symlink in the set: not one of ours to go back to. */
		if (read_own(dirfd, dirname, fscert_out_name(i), &cur[i].data,
			&cur[i].len, &st[i], NULL, err) == -1)
			goto out;
		cur[i].cap = cur[i].len;
		if (cur[i].data == NULL) {
			rc = 0;
			goto out;
		}
	}
	if (!consistent(cur)) {
		rc = 0;
		goto out;
	}
	(void)snprintf(what, sizeof(what), "%s/%s", dirname, FSCERT_STATE_DIR);
	if ((pfd = open_subdir(sfd, what, "prev", err)) == -1)
		goto out;
	(void)sweep(pfd);
	(void)snprintf(
	    what, sizeof(what), "%s/%s/prev", dirname, FSCERT_STATE_DIR);
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		if (fs_replace(pfd, what, fscert_out_name(i),
			st[i].st_mode & 07777, st[i].st_uid, st[i].st_gid,
			cur[i].data, cur[i].len, err) == -1)
			goto out;
	}
	if (fsync(pfd) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s: fsync", what);
		goto out;
	}
	rc = 1;
out:
	if (pfd != -1)
		(void)close(pfd);
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		if (cur[i].data != NULL) {
			OPENSSL_cleanse(cur[i].data, cur[i].len);
			free(cur[i].data);
		}
	}
	return rc;
}

/* Move the shadowing files that exist into .fscert/shadowed/. */
static int
move_shadowing(int dirfd, int sfd, const char *dirname,
    struct fscert_install_result *r, struct fscert_err *err)
{
	char what[PATH_MAX];
	int i, hfd;

	(void)snprintf(what, sizeof(what), "%s/%s", dirname, FSCERT_STATE_DIR);
	if ((hfd = open_subdir(sfd, what, "shadowed", err)) == -1)
		return -1;
	for (i = 0; i < FSCERT_SH__MAX; i++) {
		if (!r->shadow[i])
			continue;
		if (renameat(dirfd, shadow_names[i], hfd, shadow_names[i]) ==
		    -1) {
			fscert_err_sys(err, FSCERT_EIO,
			    "%s/%s: move to %s/"
			    "shadowed",
			    dirname, shadow_names[i], what);
			(void)close(hfd);
			return -1;
		}
		r->moved[i] = 1;
	}
	(void)fsync(hfd);
	(void)close(hfd);
	return 0;
}

/* Write the files of b marked in which, via temp + rename, in order. */
static int
replace(int dirfd, const char *dirname, const struct fscert_bundle *b,
    const int which[FSCERT_OUT__MAX], const struct fscert_install_opts *o,
    uid_t uid, gid_t gid, struct fscert_err *err)
{
	enum fscert_out f;
	mode_t mode;
	int i;

	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		f = order[i];
		if (!which[f])
			continue;
		mode = fscert_out_has_key(f) ? o->key_mode : 0644;
		if (fs_replace(dirfd, dirname, fscert_out_name(f), mode, uid,
			gid, b->files[f].data, b->files[f].len, err) == -1)
			return -1;
	}
	if (fsync(dirfd) == -1)
		return fscert_err_sys(err, FSCERT_EIO, "%s: fsync", dirname);
	return 0;
}

int
fscert_install(const struct fscert_bundle *b,
    const struct fscert_install_opts *o, struct fscert_install_result *r,
    struct fscert_err *err)
{
	const char *dir = o->cert_dir;
	struct stat st, sh;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int dfd, sfd = -1, i, same, any = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&st, 0, sizeof(st));
	if (o->key_mode & 0137)
		return fscert_err_set(err, FSCERT_EUSAGE,
		    "key mode %04o is looser than 0640", (unsigned)o->key_mode);
	if ((dfd = open_dir(dir, &st, err)) == -1)
		return -1;
	uid = o->uid != (uid_t)-1 ? o->uid : st.st_uid;
	gid = o->gid != (gid_t)-1 ? o->gid : st.st_gid;

	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		mode = fscert_out_has_key(i) ? o->key_mode : 0644;
		same = same_file(dfd, dir, fscert_out_name(i), &b->files[i],
		    mode, uid, gid, &r->symlink[i], err);
		if (r->symlink[i]) {
			ssize_t n = readlinkat(dfd, fscert_out_name(i),
			    r->symlink_to[i], sizeof(r->symlink_to[i]) - 1);

			r->symlink_to[i][n < 0 ? 0 : n] = '\0';
		}
		if (same == -1)
			goto out;
		r->changed[i] = !same || o->force;
		any |= r->changed[i];
	}
	for (i = 0; i < FSCERT_SH__MAX; i++)
		r->shadow[i] = fstatat(dfd, shadow_names[i], &sh,
				   AT_SYMLINK_NOFOLLOW) == 0;
	for (i = 0; i < FSCERT_FOREIGN__MAX; i++)
		r->foreign[i] = fstatat(dfd, foreign_names[i], &sh,
				    AT_SYMLINK_NOFOLLOW) == 0;
	r->current = !any;
	if (o->dry_run ||
	    (!any &&
		!(o->move_shadowing &&
		    (r->shadow[0] | r->shadow[1] | r->shadow[2] |
			r->shadow[3])))) {
		rc = 0;
		goto out;
	}

	if ((sfd = open_subdir(dfd, dir, FSCERT_STATE_DIR, err)) == -1)
		goto out;
	r->stale = sweep(dfd) + sweep(sfd);
	if (any) {
		if ((r->backed_up = backup(dfd, sfd, dir, err)) == -1)
			goto out;
		if (replace(dfd, dir, b, r->changed, o, uid, gid, err) == -1)
			goto out;
	}
	if (o->move_shadowing && move_shadowing(dfd, sfd, dir, r, err) == -1)
		goto out;
	rc = 0;
out:
	if (sfd != -1)
		(void)close(sfd);
	(void)close(dfd);
	return rc;
}

int
fscert_install_rollback(
    const struct fscert_install_opts *o, struct fscert_err *err)
{
	struct fscert_bundle prev;
	struct stat st[FSCERT_OUT__MAX];
	char what[PATH_MAX];
	int dfd, pfd = -1, i, rc = -1;

	memset(&prev, 0, sizeof(prev));
	if ((dfd = open_dir(o->cert_dir, NULL, err)) == -1)
		return -1;
	(void)snprintf(
	    what, sizeof(what), "%s/%s/prev", o->cert_dir, FSCERT_STATE_DIR);
	pfd = openat(dfd, FSCERT_STATE_DIR "/prev",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd == -1) {
		fscert_err_set(err, FSCERT_ENOENT,
		    "%s: no previous set to roll back to", what);
		goto out;
	}
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		struct fscert_buf *f = &prev.files[i];

		if (fs_read_at(pfd, what, fscert_out_name(i), &f->data, &f->len,
			&st[i], err) == -1)
			goto out;
		f->cap = f->len;
		if (f->data == NULL) {
			fscert_err_set(err, FSCERT_ENOENT, "%s/%s: missing",
			    what, fscert_out_name(i));
			goto out;
		}
	}
	/* Back as they were: same modes and owners as when saved. */
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		enum fscert_out f = order[i];

		if (fs_replace(dfd, o->cert_dir, fscert_out_name(f),
			st[f].st_mode & 07777, st[f].st_uid, st[f].st_gid,
			prev.files[f].data, prev.files[f].len, err) == -1)
			goto out;
	}
	if (fsync(dfd) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s: fsync", o->cert_dir);
		goto out;
	}
	rc = 0;
out:
	fscert_bundle_free(&prev);
	if (pfd != -1)
		(void)close(pfd);
	(void)close(dfd);
	return rc;
}

int
fscert_install_read(const char *dir, const char *name, struct fscert_buf *out,
    struct fscert_err *err)
{
	struct stat st;
	int dfd, rc;

	memset(out, 0, sizeof(*out));
	if ((dfd = open_dir(dir, NULL, err)) == -1)
		return -1;
	rc = fs_read_at(dfd, dir, name, &out->data, &out->len, &st, err);
	out->cap = out->len;
	(void)close(dfd);
	return rc;
}

int
fscert_install_file(const char *dir, const char *name, const void *data,
    size_t len, mode_t mode, int dry_run, int *changed, struct fscert_err *err)
{
	unsigned char *buf = NULL;
	struct stat dst, st;
	size_t blen = 0;

	memset(&st, 0, sizeof(st));
	memset(&dst, 0, sizeof(dst));
	uid_t uid;
	gid_t gid;
	int dfd, rc = -1;

	*changed = 0;
	if ((dfd = open_dir(dir, &dst, err)) == -1)
		return -1;
	if (fs_read_at(dfd, dir, name, &buf, &blen, &st, err) == -1)
		goto out;
	if (buf != NULL && blen == len && memcmp(buf, data, len) == 0) {
		rc = 0;
		goto out;
	}
	*changed = 1;
	if (buf != NULL) {
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	} else {
		uid = dst.st_uid;
		gid = dst.st_gid;
	}
	if (dry_run) {
		rc = 0;
		goto out;
	}
	if (fs_replace(dfd, dir, name, mode, uid, gid, data, len, err) == -1)
		goto out;
	if (fsync(dfd) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s: fsync", dir);
		goto out;
	}
	rc = 0;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, blen);
		free(buf);
	}
	(void)close(dfd);
	return rc;
}

int
fscert_install_set_pending(
    const char *cert_dir, int on, int vars, struct fscert_err *err)
{
	char what[PATH_MAX];
	const char *text = vars ? "vars=1\n" : "vars=0\n";
	int dfd, sfd = -1, rc = -1;

	if ((dfd = open_dir(cert_dir, NULL, err)) == -1)
		return -1;
	(void)snprintf(what, sizeof(what), "%s/%s", cert_dir, FSCERT_STATE_DIR);
	if ((sfd = open_subdir(dfd, cert_dir, FSCERT_STATE_DIR, err)) == -1)
		goto out;
	(void)sweep(sfd);
	if (!on) {
		if (unlinkat(sfd, "pending", 0) == -1 && errno != ENOENT) {
			fscert_err_sys(err, FSCERT_EIO, "%s/pending", what);
			goto out;
		}
	} else {
		if (fs_replace(sfd, what, "pending", 0600, (uid_t)-1, (gid_t)-1,
			text, strlen(text), err) == -1)
			goto out;
	}
	(void)fsync(sfd);
	rc = 0;
out:
	if (sfd != -1)
		(void)close(sfd);
	(void)close(dfd);
	return rc;
}

int
fscert_install_pending(const char *cert_dir, int *vars)
{
	struct fscert_buf b;
	char path[PATH_MAX];
	int rc;

	*vars = 0;
	(void)snprintf(path, sizeof(path), "%s/%s", cert_dir, FSCERT_STATE_DIR);
	if (fscert_install_read(path, "pending", &b, NULL) == -1 ||
	    b.data == NULL)
		return 0;
	*vars = strstr((char *)b.data, "vars=1") != NULL;
	rc = 1;
	fscert_buf_free(&b);
	return rc;
}
