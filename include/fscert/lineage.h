/*
 * fscert/lineage.h: read a certificate lineage from disk.
 *
 * Three kinds of source:
 *  - a certbot live directory (cert.pem, chain.pem, fullchain.pem,
 *    privkey.pem; usually relative symlinks into ../../archive/NAME/);
 *  - explicit files (--cert, --key, optional --chain);
 *  - an installed FreeSWITCH cert dir (agent.pem, cafile.pem, wss.pem).
 *
 * Every file is read with a size cap (FSCERT_FILE_MAX) and only after
 * its real path was found inside the lineage's own tree: for a
 * directory under a live/ directory that is the certbot config dir two
 * levels up, for any other directory its parent (hand-made layouts keep
 * a sibling archive directory).  A symlink that leads elsewhere is
 * refused with both paths and the rule that set the tree named.
 */
#ifndef FSCERT_LINEAGE_H
#define FSCERT_LINEAGE_H

#include <sys/types.h>
#include <openssl/x509.h>

#include "fscert/err.h"
#include "fscert/pem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Only what the headers declare is exported (lib is built -fvisibility=hidden). */
#pragma GCC visibility push(default)

enum fscert_kind {
	FSCERT_KIND_LIVE, /* certbot live dir (or a dir with cert.pem) */
	FSCERT_KIND_FILES, /* explicit --cert/--key/--chain */
	FSCERT_KIND_INSTALLED, /* agent.pem/cafile.pem/wss.pem */
	FSCERT_KIND__MAX
};

enum fscert_role {
	FSCERT_F_CERT,
	FSCERT_F_KEY,
	FSCERT_F_CHAIN,
	FSCERT_F_FULLCHAIN,
	FSCERT_F_AGENT,
	FSCERT_F_CAFILE,
	FSCERT_F_WSS,
	FSCERT_F__MAX
};

/* In cafile.pem: every certificate after this line is a kept anchor. */
#define FSCERT_ANCHORS_MARKER \
	"# fscert: the certificates below are trust anchors for " \
	"tls-verify-policy, kept by every deploy\n"

/* One file that was read. */
struct fscert_file {
	int present; /* 0: absent (optional file) */
	char *path; /* as opened (dir + name, or as given) */
	char *name; /* for messages: "cert.pem" or the path */
	char *real; /* after resolving symlinks */
	mode_t mode; /* st_mode of the real file */
	uid_t uid;
	gid_t gid;
	struct fscert_pem *pem;
	int nanchors; /* certificates after FSCERT_ANCHORS_MARKER */
};

struct fscert_lineage {
	enum fscert_kind kind;
	char *dir; /* the directory, or NULL for FILES */
	char *root; /* the tree symlinks may not leave */
	const char *root_why; /* static: which rule chose root */
	struct fscert_file files[FSCERT_F__MAX];

	/*
	 * What the files say, borrowed from files[]: the leaf (first
	 * certificate of cert.pem / agent.pem), the intermediates in
	 * order (chain.pem, else fullchain.pem after the leaf, else
	 * cafile.pem up to its kept trust anchors) and the file holding
	 * the private key.
	 */
	X509 *leaf;
	enum fscert_role leaf_from;
	STACK_OF(X509) * chain; /* owned; its X509s are up-ref'd */
	enum fscert_role chain_from;
	enum fscert_role key_from;
};

/*
 * Open the directory dir: an installed FreeSWITCH cert dir (has
 * agent.pem, cafile.pem or wss.pem, whatever else lies there; those may
 * be symlinks within it, as FusionPBX's to all.pem) or else a certbot
 * live dir (has cert.pem).
 * Returns a lineage to free with fscert_lineage_free, or NULL with err
 * set (a missing, dangling, escaping, oversize or unparsable file, or a
 * directory that is neither kind).  Validation is not done here.
 */
struct fscert_lineage *
fscert_lineage_open_dir(const char *dir, struct fscert_err *err);

/*
 * What fscert_lineage_open_dir would read dir as, even when it cannot
 * read it: FSCERT_KIND_INSTALLED when agent.pem, wss.pem or cafile.pem
 * is there, else FSCERT_KIND_LIVE.
 */
enum fscert_kind fscert_lineage_dir_kind(const char *dir);

/*
 * Open explicit files; chain may be NULL (then cert may carry the
 * intermediates after the leaf, as a fullchain).  Symlinks given
 * directly are followed: the caller named the file.
 */
struct fscert_lineage *fscert_lineage_open_files(const char *cert,
    const char *key, const char *chain, struct fscert_err *err);

/* Release l and everything it holds.  Accepts NULL. */
void fscert_lineage_free(struct fscert_lineage *l);

/* The short name used in messages for role r of l ("privkey.pem"). */
const char *
fscert_lineage_name(const struct fscert_lineage *l, enum fscert_role r);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_LINEAGE_H */
