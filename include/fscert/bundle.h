/*
 * fscert/bundle.h: build the three files FreeSWITCH reads, in memory,
 * exactly as sofia-sip loads them (see freeswitch-internals.md 1.1-1.3):
 *
 *   agent.pem  = leaf + key (+ an admin's DH PARAMETERS block)
 *                SIP-TLS reads only the first certificate of it;
 *   cafile.pem = the intermediates, never empty: OpenSSL auto-chains
 *                the served chain from this verify store;
 *   wss.pem    = leaf + intermediates in order + key
 *                (use_certificate_chain_file).
 *
 * LF line ends, no text outside the blocks, but for one line: when the
 * admin's trust anchors are kept in cafile.pem (a profile verifies its
 * peers), they follow FSCERT_ANCHORS_MARKER, after the intermediates.
 */
#ifndef FSCERT_BUNDLE_H
#define FSCERT_BUNDLE_H

#include "fscert/err.h"
#include "fscert/lineage.h"
#include "fscert/pem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Only what the headers declare is exported (lib is built -fvisibility=hidden). */
#pragma GCC visibility push(default)

enum fscert_out {
	FSCERT_OUT_AGENT,
	FSCERT_OUT_CAFILE,
	FSCERT_OUT_WSS,
	FSCERT_OUT__MAX
};

struct fscert_bundle {
	struct fscert_buf files[FSCERT_OUT__MAX];
};

/* "agent.pem", "cafile.pem", "wss.pem". */
const char *fscert_out_name(enum fscert_out o);

/* 1 when file o carries the private key (agent.pem, wss.pem). */
int fscert_out_has_key(enum fscert_out o);

/*
 * Build the bundle of l into *b (zeroed by the caller).  dhparams, if
 * not NULL, is a "DH PARAMETERS" PEM block appended to agent.pem; it
 * comes from the PEM reader, which refuses a block OpenSSL cannot parse
 * (FSCERT_EPARSE), so a corrupt one is never carried into a new set.
 * Returns 0, or -1 with err set (no leaf, no key, empty chain).
 * fscert_bundle_free cleanses the key-bearing buffers.
 */
int fscert_bundle_build(const struct fscert_lineage *l, const char *dhparams,
    struct fscert_bundle *b, struct fscert_err *err);
void fscert_bundle_free(struct fscert_bundle *b);

/*
 * Keep the admin's trust anchors of the installed cafile.pem (cur, its
 * bytes; NULL or empty: none) in b's cafile.pem, after the
 * intermediates and FSCERT_ANCHORS_MARKER.  The anchors are the
 * certificates after the marker when cur has one; else, with
 * verify_peers (a profile verifying its peers reads this cafile.pem),
 * every certificate of cur but those on the issuer path of the leaf of
 * agent (the installed agent.pem's bytes, or NULL), which fscert wrote.
 * Certificates of l (leaf, intermediates) are never anchors.  Without
 * marker nor verify_peers nothing is kept.  *nkept and kept (subjects,
 * "; " between them) say what was kept.  Returns 0, or -1 with err.
 */
int fscert_bundle_keep_anchors(struct fscert_bundle *b,
    const struct fscert_lineage *l, const struct fscert_buf *cur,
    const struct fscert_buf *agent, int verify_peers, int *nkept, char *kept,
    size_t klen, struct fscert_err *err);

/*
 * Write b into the existing directory dir: every file goes to a temp
 * file in dir created with its final mode (key_mode for key-bearing
 * files, 0644 for cafile.pem), is written, fsync'ed and closed; only
 * when all three are complete are they renamed into place, then dir is
 * fsync'ed.  On failure no temp file is left and no file was renamed
 * (unless the failure struck between renames).  Returns 0 or -1.
 */
int fscert_bundle_write(const struct fscert_bundle *b, const char *dir,
    mode_t key_mode, struct fscert_err *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_BUNDLE_H */
