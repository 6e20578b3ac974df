/*
 * lineage.c: find and read the files of a lineage, following symlinks
 * only while they stay inside the lineage's own tree.
 */
/* realpath(3) is XSI. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fscert/lineage.h"
#include "internal.h"

static const char *const role_file[FSCERT_F__MAX] = {
	[FSCERT_F_CERT] = "cert.pem",
	[FSCERT_F_KEY] = "privkey.pem",
	[FSCERT_F_CHAIN] = "chain.pem",
	[FSCERT_F_FULLCHAIN] = "fullchain.pem",
	[FSCERT_F_AGENT] = "agent.pem",
	[FSCERT_F_CAFILE] = "cafile.pem",
	[FSCERT_F_WSS] = "wss.pem",
};

const char *
fscert_lineage_name(const struct fscert_lineage *l, enum fscert_role r)
{
	if ((unsigned)r >= FSCERT_F__MAX)
		return "?";
	if (l != NULL && l->files[r].name != NULL)
		return l->files[r].name;
	return role_file[r];
}

void
fscert_lineage_free(struct fscert_lineage *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i < FSCERT_F__MAX; i++) {
		free(l->files[i].path);
		free(l->files[i].name);
		free(l->files[i].real);
		fscert_pem_free(l->files[i].pem);
	}
	sk_X509_pop_free(l->chain, X509_free);
	free(l->dir);
	free(l->root);
	free(l);
}

/* Is real inside root (or root itself)? */
static int
inside(const char *real, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(real, root, n) == 0 &&
	    (real[n] == '/' || real[n] == '\0');
}

/* The certificates after FSCERT_ANCHORS_MARKER in buf, into f. */
static int
count_anchors(struct fscert_file *f, const unsigned char *buf, size_t len,
    struct fscert_err *err)
{
	const char *m = fs_find(buf, len, FSCERT_ANCHORS_MARKER);
	struct fscert_pem *tail;
	size_t off;

	f->nanchors = 0;
	if (m == NULL)
		return 0;
	off = (size_t)(m - (const char *)buf);
	if (fs_find(m, len - off, "-----BEGIN ") == NULL)
		return 0;
	if ((tail = fscert_pem_parse(f->name, m, len - off, err)) == NULL)
		return -1;
	f->nanchors = sk_X509_num(tail->certs);
	fscert_pem_free(tail);
	return 0;
}

/*
 * Read file f (its path and name already set).  optional: a missing
 * file is not an error.  root: when not NULL, the tree the real path
 * must stay inside, which why names in the refusal.
 */
static int
read_file(struct fscert_file *f, const char *root, const char *why,
    int optional, struct fscert_err *err)
{
	char real[PATH_MAX], target[PATH_MAX];
	unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t tl;
	int rc = -1;

	if (lstat(f->path, &st) == -1) {
		if (errno == ENOENT && optional)
			return 0;
		if (errno == ENOENT)
			return fscert_err_set(
			    err, FSCERT_ENOENT, "%s: no such file", f->name);
		return fscert_err_sys(err, FSCERT_EIO, "%s", f->name);
	}
	if (realpath(f->path, real) == NULL) {
		if (errno != ENOENT)
			return fscert_err_sys(err, FSCERT_EIO, "%s", f->name);
		tl = readlink(f->path, target, sizeof(target) - 1);
		target[tl < 0 ? 0 : tl] = '\0';
		return fscert_err_set(err, FSCERT_ENOENT,
		    "%s: dangling symlink to '%s'", f->name, target);
	}
	if (root != NULL && !inside(real, root))
		return fscert_err_set(err, FSCERT_ESYMLINK,
		    "%s: symlink leads outside '%s' (%s), to '%s'", f->path,
		    root, why != NULL ? why : "the lineage's tree", real);
	if ((f->real = fs_strdup(real, err)) == NULL)
		return -1;
	if (fs_read_capped(
		real, f->name, FSCERT_FILE_MAX, &buf, &len, &st, err) == -1)
		return -1;
	f->mode = st.st_mode;
	f->uid = st.st_uid;
	f->gid = st.st_gid;
	if ((f->pem = fscert_pem_parse(f->name, buf, len, err)) == NULL ||
	    count_anchors(f, buf, len, err) == -1)
		goto out;
	f->present = 1;
	rc = 0;
out:
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* Name file r of l: dir/NAME, or (dir NULL) the path given. */
static int
set_file(struct fscert_lineage *l, enum fscert_role r, const char *dir,
    const char *given, struct fscert_err *err)
{
	struct fscert_file *f = &l->files[r];

	if (dir != NULL) {
		f->path = fs_join(dir, role_file[r]);
		f->name = strdup(role_file[r]);
	} else if (given != NULL) {
		f->path = strdup(given);
		f->name = strdup(given);
	}
	if (f->path == NULL || f->name == NULL)
		return fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
	return 0;
}

/* Push certs[from..] of src onto l->chain, up-referencing them. */
static int
chain_from(struct fscert_lineage *l, enum fscert_role r, int from,
    struct fscert_err *err)
{
	STACK_OF(X509) *src = l->files[r].pem->certs;
	X509 *x;
	int i;

	l->chain_from = r;
	/* Kept trust anchors are not intermediates. */
	for (i = from; i < sk_X509_num(src) - l->files[r].nanchors; i++) {
		x = sk_X509_value(src, i);
		if (!sk_X509_push(l->chain, x))
			return fscert_err_sys(
			    err, FSCERT_ENOMEM, "out of memory");
		X509_up_ref(x);
	}
	return 0;
}

/* Pick the leaf, the chain and the key out of the files read. */
static int
derive(struct fscert_lineage *l, enum fscert_role cert, enum fscert_role key,
    struct fscert_err *err)
{
	struct fscert_file *c = &l->files[cert], *k = &l->files[key];

	if (c->pem == NULL || k->pem == NULL)
		return fscert_err_set(err, FSCERT_ENOENT, "%s: missing",
		    c->pem == NULL ? c->name : k->name);
	if (sk_X509_num(c->pem->certs) == 0)
		return fscert_err_set(
		    err, FSCERT_ENOCERT, "%s: holds no certificate", c->name);
	if (k->pem->key == NULL)
		return fscert_err_set(
		    err, FSCERT_ENOKEY, "%s: holds no private key", k->name);
	if (k->pem->nkeys > 1)
		return fscert_err_set(err, FSCERT_EPARSE,
		    "%s: holds %d private keys", k->name, k->pem->nkeys);
	l->leaf = sk_X509_value(c->pem->certs, 0);
	l->leaf_from = cert;
	l->key_from = key;
	if ((l->chain = sk_X509_new_null()) == NULL)
		return fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");

	switch (l->kind) {
	case FSCERT_KIND_LIVE:
		if (l->files[FSCERT_F_CHAIN].present)
			return chain_from(l, FSCERT_F_CHAIN, 0, err);
		if (l->files[FSCERT_F_FULLCHAIN].present)
			return chain_from(l, FSCERT_F_FULLCHAIN, 1, err);
		l->chain_from = FSCERT_F_CHAIN;
		return 0;
	case FSCERT_KIND_FILES:
		if (l->files[FSCERT_F_CHAIN].present)
			return chain_from(l, FSCERT_F_CHAIN, 0, err);
		return chain_from(l, FSCERT_F_CERT, 1, err);
	case FSCERT_KIND_INSTALLED:
		return chain_from(l, FSCERT_F_CAFILE, 0, err);
	default:
		return fscert_err_set(err, FSCERT_EUSAGE, "bad lineage kind");
	}
}

static struct fscert_lineage *
new_lineage(enum fscert_kind kind, struct fscert_err *err)
{
	struct fscert_lineage *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
		return NULL;
	}
	l->kind = kind;
	return l;
}

/* Does dir/name exist (as anything, even a dangling symlink)? */
static int
exists(const char *dir, const char *name)
{
	char *p = fs_join(dir, name);
	struct stat st;
	int rc;

	if (p == NULL)
		return 0;
	rc = lstat(p, &st) == 0;
	free(p);
	return rc;
}

enum fscert_kind
fscert_lineage_dir_kind(const char *dir)
{
	if (exists(dir, "agent.pem") || exists(dir, "wss.pem") ||
	    exists(dir, "cafile.pem"))
		return FSCERT_KIND_INSTALLED;
	return FSCERT_KIND_LIVE;
}

#define ROOT_CERTBOT "the certbot config dir, for a lineage under live/"
#define ROOT_PARENT "the parent directory, for a lineage not under live/"

/*
 * The tree a lineage's symlinks may lead into: certbot's config dir
 * (live/NAME/../..) when the directory sits in a "live" directory, else
 * the directory's parent, since hand-made layouts keep their files in
 * a sibling archive directory.  *why names the rule for messages.
 */
static char *
tree_root(const char *realdir, enum fscert_kind kind, const char **why,
    struct fscert_err *err)
{
	char parent[PATH_MAX], grand[PATH_MAX], *d;

	(void)snprintf(parent, sizeof(parent), "%s", realdir);
	d = dirname(parent);
	if (kind == FSCERT_KIND_LIVE) {
		(void)snprintf(grand, sizeof(grand), "%s", d);
		if (strcmp(basename(grand), "live") == 0) {
			(void)snprintf(grand, sizeof(grand), "%s", d);
			*why = ROOT_CERTBOT;
			return fs_strdup(dirname(grand), err);
		}
	}
	*why = ROOT_PARENT;
	return fs_strdup(d, err);
}

struct fscert_lineage *
fscert_lineage_open_dir(const char *dir, struct fscert_err *err)
{
	static const enum fscert_role live[] = { FSCERT_F_CERT, FSCERT_F_KEY,
		FSCERT_F_CHAIN, FSCERT_F_FULLCHAIN };
	static const enum fscert_role inst[] = { FSCERT_F_AGENT,
		FSCERT_F_CAFILE, FSCERT_F_WSS };
	struct fscert_lineage *l = NULL;
	const enum fscert_role *roles;
	char realdir[PATH_MAX];
	enum fscert_kind kind;
	struct stat st;
	size_t i, n;

	if (stat(dir, &st) == -1) {
		if (errno == ENOENT)
			fscert_err_set(
			    err, FSCERT_ENOENT, "%s: no such directory", dir);
		else
			fscert_err_sys(err, FSCERT_EIO, "%s", dir);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		fscert_err_set(err, FSCERT_EUSAGE,
		    "%s: not a directory (use --cert and --key for files)",
		    dir);
		return NULL;
	}
	if (realpath(dir, realdir) == NULL) {
		fscert_err_sys(err, FSCERT_EIO, "%s", dir);
		return NULL;
	}
	/*
	 * The files FreeSWITCH reads decide first: admins leave cert.pem
	 * and privkey.pem beside them in /etc/freeswitch/tls, and what
	 * FreeSWITCH serves is agent.pem, not those.
	 */
	if (fscert_lineage_dir_kind(dir) == FSCERT_KIND_INSTALLED) {
		kind = FSCERT_KIND_INSTALLED;
		roles = inst;
		n = sizeof(inst) / sizeof(inst[0]);
	} else if (exists(dir, "cert.pem") || exists(dir, "privkey.pem")) {
		kind = FSCERT_KIND_LIVE;
		roles = live;
		n = sizeof(live) / sizeof(live[0]);
	} else {
		fscert_err_set(err, FSCERT_ENOENT,
		    "%s: neither a certbot lineage (no cert.pem) nor a "
		    "FreeSWITCH cert dir (no agent.pem)",
		    dir);
		return NULL;
	}
	if ((l = new_lineage(kind, err)) == NULL)
		return NULL;
	if ((l->dir = fs_strdup(dir, err)) == NULL ||
	    (l->root = tree_root(realdir, kind, &l->root_why, err)) == NULL)
		goto err;
	for (i = 0; i < n; i++) {
		/*
		 * Only chain.pem and fullchain.pem may be absent, and
		 * wss.pem (SIP-TLS without WebRTC; validation warns).
		 */
		int optional = roles[i] == FSCERT_F_CHAIN ||
		    roles[i] == FSCERT_F_FULLCHAIN || roles[i] == FSCERT_F_WSS;

		if (set_file(l, roles[i], dir, NULL, err) == -1 ||
		    read_file(&l->files[roles[i]], l->root, l->root_why,
			optional, err) == -1)
			goto err;
	}
	if (kind == FSCERT_KIND_LIVE) {
		if (derive(l, FSCERT_F_CERT, FSCERT_F_KEY, err) == -1)
			goto err;
	} else if (derive(l, FSCERT_F_AGENT, FSCERT_F_AGENT, err) == -1)
		goto err;
	return l;
err:
	fscert_lineage_free(l);
	return NULL;
}

struct fscert_lineage *
fscert_lineage_open_files(const char *cert, const char *key, const char *chain,
    struct fscert_err *err)
{
	struct fscert_lineage *l;

	if (cert == NULL || key == NULL) {
		fscert_err_set(
		    err, FSCERT_EUSAGE, "--cert and --key go together");
		return NULL;
	}
	if ((l = new_lineage(FSCERT_KIND_FILES, err)) == NULL)
		return NULL;
	if (set_file(l, FSCERT_F_CERT, NULL, cert, err) == -1 ||
	    read_file(&l->files[FSCERT_F_CERT], NULL, NULL, 0, err) == -1 ||
	    set_file(l, FSCERT_F_KEY, NULL, key, err) == -1 ||
	    read_file(&l->files[FSCERT_F_KEY], NULL, NULL, 0, err) == -1)
		goto err;
	if (chain != NULL &&
	    (set_file(l, FSCERT_F_CHAIN, NULL, chain, err) == -1 ||
		read_file(&l->files[FSCERT_F_CHAIN], NULL, NULL, 0, err) == -1))
		goto err;
	if (derive(l, FSCERT_F_CERT, FSCERT_F_KEY, err) == -1)
		goto err;
	return l;
err:
	fscert_lineage_free(l);
	return NULL;
}
