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
 * LF line ends, no text outside the blocks.
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
