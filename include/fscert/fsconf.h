/*
 * fscert/fsconf.h: who in a running FreeSWITCH reads certificate files,
 * and from where (freeswitch-internals.md 1.1, 1.4).
 *
 * Asked over the event socket: "global_getvar certs_dir" and
 * "xml_locate configuration configuration name sofia.conf" / "verto.conf"
 * (the configuration as FreeSWITCH holds it, after its preprocessor,
 * $${vars} expanded).  Parsed with expat.
 *
 *  - A sofia profile with "tls" true or a "wss-binding" reads agent.pem,
 *    cafile.pem and wss.pem from its "tls-cert-dir", or, when that
 *    param is absent or empty, from the global certs_dir
 *    (sofia.c config_sofia).
 *  - A mod_verto profile with a bind-local secure="true" reads
 *    secure-chain (SSL_CTX_use_certificate_chain_file), then
 *    secure-cert and secure-key ("secure-combined" sets both), as
 *    mod_verto.c verto_create_ssl_ctx does.
 */
#ifndef FSCERT_FSCONF_H
#define FSCERT_FSCONF_H

#include <stddef.h>

#include "fscert/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define FSCERT_MAX_CONSUMERS 16
#define FSCERT_MAX_VERTO_BINDS 4
#define FSCERT_MAX_EXTRAS 8

enum fscert_consumer_kind {
	FSCERT_CONSUMER_SOFIA,
	FSCERT_CONSUMER_VERTO,
};

/* One reader of certificate files: a sofia or a verto profile. */
struct fscert_consumer {
	enum fscert_consumer_kind kind;
	char name[64]; /* profile name */
	char dir[1024]; /* the directory it reads from */
	char source[32]; /* "tls-cert-dir", "certs_dir", "secure-..." */
	/* sofia */
	int tls, wss; /* "tls" true; a "wss-binding" */
	char verify_policy[64]; /* tls-verify-policy; "" when unset */
	/* verto: the files it loads, "" when not set */
	char cert[1024], key[1024], chain[1024];
	char bind[FSCERT_MAX_VERTO_BINDS][80]; /* secure bind-local values */
	size_t nbind;
};

struct fscert_fsconf {
	char certs_dir[1024]; /* global_getvar certs_dir */
	int certs_dir_guessed; /* from the conf dir's layout (on disk) */
	int have_sofia; /* sofia.conf was found */
	int have_verto; /* verto.conf was found (mod_verto configured) */
	struct fscert_consumer c[FSCERT_MAX_CONSUMERS];
	size_t n;
};

/*
 * Add the consumers in the preprocessed sofia.conf (verto.conf) body xml
 * to fc; fc->certs_dir must be set first.  Returns 0, or -1 with err for
 * text that is not XML or not that configuration.
 */
int fscert_fsconf_sofia(
    struct fscert_fsconf *fc, const char *xml, struct fscert_err *err);
int fscert_fsconf_verto(
    struct fscert_fsconf *fc, const char *xml, struct fscert_err *err);

/*
 * Ask the FreeSWITCH at host:port (host NULL: 127.0.0.1 then ::1) for
 * certs_dir, sofia.conf and verto.conf, and fill fc.  Returns 0, or -1
 * with err (the endpoint named).  A configuration FreeSWITCH does not
 * have ("can't find anything") is not an error: have_* stays 0.
 */
int fscert_fsconf_fetch(struct fscert_fsconf *fc, const char *host, int port,
    const char *password, int timeout_ms, struct fscert_err *err);

/*
 * The same, from FreeSWITCH's configuration tree on disk (conf_dir, with
 * freeswitch.xml), for when FreeSWITCH cannot be asked: preprocessed as
 * FreeSWITCH does (switch_xml.c preprocess(): line by line, $${var}
 * expanded, set and include; exec, exec-set, env-set and stun-set not
 * evaluated, includes leaving the tree not followed), verto.conf only
 * when modules.conf loads mod_verto.  certs_dir, compiled into
 * FreeSWITCH, is guessed from the layout: PREFIX/conf -> PREFIX/certs,
 * /etc/freeswitch -> /etc/freeswitch/tls, else unknown ("").  notes
 * (nlen bytes) gets the first thing not evaluated, as "file:line: what".
 * What is on disk may not be what is loaded (FusionPBX serves sofia.conf
 * from its database): the caller warns, never refuses, on this alone.
 * Returns 0, or -1 with err (no freeswitch.xml, unreadable, not XML).
 */
int fscert_fsconf_from_tree(struct fscert_fsconf *fc, const char *conf_dir,
    char *notes, size_t nlen, struct fscert_err *err);

/*
 * Does the modules.conf configuration xml load module (<load
 * module="NAME"/>)?  1 yes, 0 no, -1 not XML.
 */
int fscert_fsconf_loads(const char *modules_conf, const char *module);

/* The role of a file fscert writes for verto besides its three. */
enum fscert_extra_role {
	FSCERT_EXTRA_COMBINED, /* leaf, intermediates, key (as wss.pem) */
	FSCERT_EXTRA_CERT, /* leaf and intermediates */
	FSCERT_EXTRA_KEY, /* the key alone */
};

struct fscert_extra {
	char name[256]; /* a file name in the cert dir */
	enum fscert_extra_role role;
};

/*
 * Does every consumer that a target installing into cert_dir serves read
 * there?  The target serves the consumers named in profiles (sofia or
 * verto profile names), or, with none named, every one.  Returns 0 and
 * the verto files to write besides agent.pem, cafile.pem and wss.pem
 * (extras, *nextras), and *verify_peers when a served sofia profile has
 * a tls-verify-policy other than none; -1 with err (FSCERT_EREFUSED)
 * naming the consumer, both directories and the line to change.
 * target: the target's name, for the message.
 */
int fscert_fsconf_check(const struct fscert_fsconf *fc, const char *cert_dir,
    const char *const *profiles, size_t nprofiles, const char *target,
    struct fscert_extra *extras, size_t *nextras, int *verify_peers,
    struct fscert_err *err);

/* Does c read every file of its from the directory cert_dir? */
int
fscert_consumer_reads(const struct fscert_consumer *c, const char *cert_dir);

/* Is consumer c one that profiles (none: all) selects? */
int fscert_consumer_wanted(const struct fscert_consumer *c,
    const char *const *profiles, size_t nprofiles);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* FSCERT_FSCONF_H */
