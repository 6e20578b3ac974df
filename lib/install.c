/*
 * install.c: replace FreeSWITCH's cert files safely.  With fs.c, the
 * only code that writes; it never opens a socket.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "fscert/install.h"
#include "fscert/pem.h"
#include "fscert/validate.h"
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

void
fscert_install_set_sha256(
    const struct fscert_buf files[FSCERT_OUT__MAX], char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE], n8[8];
	unsigned int n = 0, j;
	EVP_MD_CTX *ctx;
	uint64_t len;
	int i, ok;

	out[0] = '\0';
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (i = 0; ok && i < FSCERT_OUT__MAX; i++) {
		/* The length first: no two sets hash the same bytes. */
		len = files[i].data != NULL ? (uint64_t)files[i].len : 0;
		for (j = 0; j < 8; j++)
			n8[j] = (unsigned char)(len >> (56 - 8 * j));
		ok = EVP_DigestUpdate(ctx, n8, sizeof(n8)) == 1 &&
		    (len == 0 ||
			EVP_DigestUpdate(ctx, files[i].data, files[i].len) ==
			    1);
	}
	if (ok && EVP_DigestFinal_ex(ctx, md, &n) == 1)
		for (j = 0; j < n && j < 32; j++)
			(void)snprintf(out + 2 * (size_t)j, 3, "%02x", md[j]);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
}

/*
 * Copy the installed set into .fscert/prev/, but only a complete,
 * consistent one: after a crash half-way, the set kept from before
 * stays the one to go back to.  Returns 1 when saved (its digest in
 * sha), 0 when not, -1 on error.
 */
static int
backup(int dirfd, int sfd, const char *dirname, char sha[65],
    struct fscert_err *err)
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
	fscert_install_set_sha256(cur, sha);
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
	fscert_install_set_sha256(b->files, r->installed_sha256);
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
	/* A killed run's temp files go even when the set is current. */
	if (!o->dry_run)
		r->stale = sweep(dfd);
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
	r->stale += sweep(sfd);
	if (any) {
		r->backed_up = backup(dfd, sfd, dir, r->replaced_sha256, err);
		if (r->backed_up == -1)
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

/*
 * Read the set kept in CERT_DIR/.fscert/prev/ (what names it) into
 * prev, with the modes and owners it was saved with; *pfd is left open
 * for the caller to close.
 */
static int
read_prev(int dfd, const char *what, int *pfd, struct fscert_bundle *prev,
    struct stat st[FSCERT_OUT__MAX], struct fscert_err *err)
{
	int i;

	memset(st, 0, sizeof(*st) * FSCERT_OUT__MAX);
	*pfd = openat(dfd, FSCERT_STATE_DIR "/prev",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*pfd == -1)
		return fscert_err_set(err, FSCERT_ENOENT,
		    "%s: no previous set to roll back to", what);
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		struct fscert_buf *f = &prev->files[i];

		if (fs_read_at(*pfd, what, fscert_out_name(i), &f->data,
			&f->len, &st[i], err) == -1)
			return -1;
		f->cap = f->len;
		if (f->data == NULL)
			return fscert_err_set(err, FSCERT_ENOENT,
			    "%s/%s: missing", what, fscert_out_name(i));
	}
	return 0;
}

/* Write prev back into the cert dir, as it was saved, in order. */
static int
restore(int dfd, const char *dir, const struct fscert_bundle *prev,
    const struct stat st[FSCERT_OUT__MAX], struct fscert_err *err)
{
	int i;

	/* Back as they were: same modes and owners as when saved. */
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		enum fscert_out f = order[i];

		if (fs_replace(dfd, dir, fscert_out_name(f),
			st[f].st_mode & 07777, st[f].st_uid, st[f].st_gid,
			prev->files[f].data, prev->files[f].len, err) == -1)
			return -1;
	}
	if (fsync(dfd) == -1)
		return fscert_err_sys(err, FSCERT_EIO, "%s: fsync", dir);
	return 0;
}

int
fscert_install_rollback(
    const struct fscert_install_opts *o, struct fscert_err *err)
{
	struct fscert_bundle prev;
	struct stat st[FSCERT_OUT__MAX];
	char what[PATH_MAX];
	int dfd, pfd = -1, rc = -1;

	memset(&prev, 0, sizeof(prev));
	if ((dfd = open_dir(o->cert_dir, NULL, err)) == -1)
		return -1;
	(void)snprintf(
	    what, sizeof(what), "%s/%s/prev", o->cert_dir, FSCERT_STATE_DIR);
	if (read_prev(dfd, what, &pfd, &prev, st, err) == -1 ||
	    restore(dfd, o->cert_dir, &prev, st, err) == -1)
		goto out;
	rc = 0;
out:
	fscert_bundle_free(&prev);
	if (pfd != -1)
		(void)close(pfd);
	(void)close(dfd);
	return rc;
}

/*
 * Is the set in the directory what fit to put back in front of
 * clients?  Never an expired (or not yet valid) leaf, a key that is not
 * the leaf's, three files that disagree, nor, when the target names
 * hosts, a leaf that covers none of them: a rollback must not make
 * things worse than the set that failed.  Other findings (chain, trust,
 * key size) do not stop it: that set was served before.
 */
static int
fit_to_restore(const char *what, const struct fscert_rollback_guard *g,
    struct fscert_err *err)
{
	struct fscert_policy p;
	struct fscert_report *r;
	const struct fscert_finding *f, *bad = NULL;
	size_t i, hosts = 0;
	int rc = -1;

	fscert_policy_init(&p);
	p.hosts = g->hosts;
	p.nhosts = g->nhosts;
	if ((r = fscert_check_path(what, &p, err)) == NULL)
		return -1;
	for (i = 0; i < r->nfindings && bad == NULL; i++) {
		f = &r->findings[i];
		/* None of the names covered, or unfit whatever the names. */
		if ((f->rule == FSCERT_R_HOST_MISMATCH &&
			++hosts == g->nhosts) ||
		    (f->refuse &&
			(f->rule == FSCERT_R_UNREADABLE ||
			    f->rule == FSCERT_R_LEAF_EXPIRED ||
			    f->rule == FSCERT_R_LEAF_NOT_YET_VALID ||
			    f->rule == FSCERT_R_KEY_MISMATCH ||
			    f->rule == FSCERT_R_SET_MISMATCH)))
			bad = f;
	}
	if (bad != NULL)
		fscert_err_set(err, FSCERT_EREFUSED, "%s: not put back: %s",
		    what, bad->msg);
	else
		rc = 0;
	fscert_report_free(r);
	return rc;
}

int
fscert_install_rollback_checked(const struct fscert_install_opts *o,
    const struct fscert_rollback_guard *g, struct fscert_err *err)
{
	struct fscert_bundle prev, cur;
	struct stat st[FSCERT_OUT__MAX], cst;
	char what[PATH_MAX], sha[65];
	int dfd, pfd = -1, i, rc = -1;

	memset(&prev, 0, sizeof(prev));
	memset(&cur, 0, sizeof(cur));
	(void)snprintf(
	    what, sizeof(what), "%s/%s/prev", o->cert_dir, FSCERT_STATE_DIR);
	if (g == NULL || g->installed == NULL || g->installed[0] == '\0' ||
	    g->replaced == NULL || g->replaced[0] == '\0')
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "%s: this run saved no previous set: not put back", what);
	if ((dfd = open_dir(o->cert_dir, NULL, err)) == -1)
		return -1;

	/* Only what this run installed is undone: a later hand is kept. */
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		if (read_own(dfd, o->cert_dir, fscert_out_name(i),
			&cur.files[i].data, &cur.files[i].len, &cst, NULL,
			err) == -1)
			goto out;
		cur.files[i].cap = cur.files[i].len;
	}
	fscert_install_set_sha256(cur.files, sha);
	if (strcmp(sha, g->installed) != 0) {
		fscert_err_set(err, FSCERT_EREFUSED,
		    "%s: no longer holds the set this run installed: "
		    "not rolled back",
		    o->cert_dir);
		goto out;
	}
	/* prev/ may be several runs old: only the set this run saved. */
	if (read_prev(dfd, what, &pfd, &prev, st, err) == -1)
		goto out;
	fscert_install_set_sha256(prev.files, sha);
	if (strcmp(sha, g->replaced) != 0) {
		fscert_err_set(err, FSCERT_EREFUSED,
		    "%s: not the set this run replaced: not put back", what);
		goto out;
	}
	/*
	 * XXX: validated by path, restored from the bytes read above;
	 * both under the cert dir's lock, in a 0700 directory.
	 */
	if (fit_to_restore(what, g, err) == -1 ||
	    restore(dfd, o->cert_dir, &prev, st, err) == -1)
		goto out;
	rc = 0;
out:
	fscert_bundle_free(&prev);
	fscert_bundle_free(&cur);
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
fscert_install_read_own(const char *dir, const char *name,
    struct fscert_buf *out, struct fscert_err *err)
{
	struct stat st;
	int dfd, rc;

	memset(out, 0, sizeof(*out));
	if ((dfd = open_dir(dir, NULL, err)) == -1)
		return -1;
	rc = read_own(dfd, dir, name, &out->data, &out->len, &st, NULL, err);
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

/*
 * The part of wss (leaf, intermediates, key, as fscert writes it) that
 * role wants, into out: all of it, the certificate blocks, or the key.
 */
static int
extra_bytes(const struct fscert_buf *wss, enum fscert_extra_role role,
    struct fscert_buf *out, struct fscert_err *err)
{
	const char *p = (const char *)wss->data, *end = p + wss->len;
	const char *b, *e, *nl;
	int key;

	if (role == FSCERT_EXTRA_COMBINED)
		return fscert_buf_append(out, wss->data, wss->len, err);
	while ((b = fs_find(p, (size_t)(end - p), "-----BEGIN ")) != NULL) {
		if ((e = fs_find(b, (size_t)(end - b), "-----END ")) == NULL ||
		    (nl = memchr(e, '\n', (size_t)(end - e))) == NULL)
			break;
		key = (size_t)(end - b) < 27 ||
		    memcmp(b + 11, "CERTIFICATE-----", 16) != 0;
		if (key == (role == FSCERT_EXTRA_KEY) &&
		    fscert_buf_append(out, b, (size_t)(nl + 1 - b), err) == -1)
			return -1;
		p = nl + 1;
	}
	if (out->len == 0)
		return fscert_err_set(err, FSCERT_EPARSE,
		    "wss.pem: no %s block",
		    role == FSCERT_EXTRA_KEY ? "private key" : "certificate");
	return 0;
}

int
fscert_install_extras(const struct fscert_install_opts *o,
    const struct fscert_buf *wss, const struct fscert_extra *x, size_t n,
    int *changed, struct fscert_err *err)
{
	struct fscert_buf want;
	unsigned char *cur = NULL;
	struct stat dst, st;
	size_t i, clen = 0;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int dfd, rc = -1, same;

	if (n == 0)
		return 0;
	memset(&dst, 0, sizeof(dst));
	memset(&st, 0, sizeof(st));
	if ((dfd = open_dir(o->cert_dir, &dst, err)) == -1)
		return -1;
	uid = o->uid == (uid_t)-1 ? dst.st_uid : o->uid;
	gid = o->gid == (gid_t)-1 ? dst.st_gid : o->gid;
	memset(&want, 0, sizeof(want));
	for (i = 0; i < n; i++) {
		changed[i] = 0;
		mode = x[i].role == FSCERT_EXTRA_CERT ? 0644 : o->key_mode;
		want.len = 0;
		if (extra_bytes(wss, x[i].role, &want, err) == -1 ||
		    fs_read_at(dfd, o->cert_dir, x[i].name, &cur, &clen, &st,
			err) == -1)
			goto out;
		same = cur != NULL && want.data != NULL && clen == want.len &&
		    memcmp(cur, want.data, clen) == 0 &&
		    (st.st_mode & 07777) == mode && st.st_uid == uid &&
		    st.st_gid == gid;
		if (cur != NULL) {
			OPENSSL_cleanse(cur, clen);
			free(cur);
			cur = NULL;
		}
		if (same && !o->force)
			continue;
		changed[i] = 1;
		/* Written 0600 first, owner and mode set before any byte. */
		if (!o->dry_run &&
		    fs_replace(dfd, o->cert_dir, x[i].name, mode, uid, gid,
			want.data, want.len, err) == -1)
			goto out;
	}
	if (!o->dry_run && fsync(dfd) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s: fsync", o->cert_dir);
		goto out;
	}
	rc = 0;
out:
	if (want.data != NULL)
		OPENSSL_cleanse(want.data, want.cap);
	free(want.data);
	(void)close(dfd);
	return rc;
}

int
fscert_install_extras_from_dir(const struct fscert_install_opts *o,
    const struct fscert_extra *x, size_t n, int *changed,
    struct fscert_err *err)
{
	struct fscert_buf wss;
	int rc;

	if (n == 0)
		return 0;
	if (fscert_install_read(o->cert_dir, "wss.pem", &wss, err) == -1)
		return -1;
	if (wss.data == NULL)
		return fscert_err_set(
		    err, FSCERT_ENOENT, "%s/wss.pem: missing", o->cert_dir);
	rc = fscert_install_extras(o, &wss, x, n, changed, err);
	OPENSSL_cleanse(wss.data, wss.len);
	free(wss.data);
	return rc;
}
