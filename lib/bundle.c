/*
 * bundle.c: the three files FreeSWITCH reads, built in memory and
 * written as a set.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "fscert/bundle.h"
#include "internal.h"

static const char *const out_names[FSCERT_OUT__MAX] = {
	[FSCERT_OUT_AGENT] = "agent.pem",
	[FSCERT_OUT_CAFILE] = "cafile.pem",
	[FSCERT_OUT_WSS] = "wss.pem",
};

const char *
fscert_out_name(enum fscert_out o)
{
	return (unsigned)o < FSCERT_OUT__MAX ? out_names[o] : "?";
}

int
fscert_out_has_key(enum fscert_out o)
{
	return o == FSCERT_OUT_AGENT || o == FSCERT_OUT_WSS;
}

void
fscert_bundle_free(struct fscert_bundle *b)
{
	int i;

	if (b == NULL)
		return;
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		fscert_buf_free(&b->files[i]);
}

/*
 * The DH PARAMETERS block to carry into agent.pem must be one OpenSSL
 * parses (fscert_pem_parse checks that); carried corrupt, FreeSWITCH
 * would read a broken agent.pem.
 */
static int
check_dh(const char *dh, struct fscert_err *err)
{
	struct fscert_pem *p;
	int ok;

	if ((p = fscert_pem_parse("agent.pem", dh, strlen(dh), err)) == NULL)
		return -1;
	ok = p->dhparams != NULL;
	fscert_pem_free(p);
	if (!ok)
		return fscert_err_set(err, FSCERT_EPARSE,
		    "agent.pem: the block kept from the old file holds no DH "
		    "PARAMETERS");
	return 0;
}

int
fscert_bundle_build(const struct fscert_lineage *l, const char *dhparams,
    struct fscert_bundle *b, struct fscert_err *err)
{
	const struct fscert_pem *key;
	struct fscert_buf *agent = &b->files[FSCERT_OUT_AGENT];
	struct fscert_buf *ca = &b->files[FSCERT_OUT_CAFILE];
	struct fscert_buf *wss = &b->files[FSCERT_OUT_WSS];
	size_t dl;
	int i;

	if (l == NULL || l->leaf == NULL)
		return fscert_err_set(
		    err, FSCERT_ENOCERT, "no leaf certificate");
	key = l->files[l->key_from].pem;
	if (key == NULL || key->key_der == NULL)
		return fscert_err_set(err, FSCERT_ENOKEY, "%s: no private key",
		    fscert_lineage_name(l, l->key_from));
	if (sk_X509_num(l->chain) == 0)
		return fscert_err_set(err, FSCERT_EREFUSED,
		    "%s: no intermediate: cafile.pem would be empty",
		    fscert_lineage_name(l, l->chain_from));
	if (dhparams != NULL && *dhparams != '\0' &&
	    check_dh(dhparams, err) == -1)
		return -1;

	/* agent.pem: SIP-TLS reads the first certificate and the key. */
	if (fscert_pem_put_cert(agent, l->leaf, err) == -1 ||
	    fscert_pem_put_key(agent, key, err) == -1)
		goto err;
	if (dhparams != NULL && (dl = strlen(dhparams)) > 0) {
		if (fscert_buf_append(agent, dhparams, dl, err) == -1 ||
		    (dhparams[dl - 1] != '\n' &&
			fscert_buf_append(agent, "\n", 1, err) == -1))
			goto err;
	}
	/* cafile.pem: the verify store OpenSSL auto-chains from. */
	for (i = 0; i < sk_X509_num(l->chain); i++)
		if (fscert_pem_put_cert(ca, sk_X509_value(l->chain, i), err) ==
		    -1)
			goto err;
	/* wss.pem: use_certificate_chain_file wants the leaf first. */
	if (fscert_pem_put_cert(wss, l->leaf, err) == -1 ||
	    fscert_buf_append(wss, ca->data, ca->len, err) == -1 ||
	    fscert_pem_put_key(wss, key, err) == -1)
		goto err;
	return 0;
err:
	fscert_bundle_free(b);
	return -1;
}

int
fscert_bundle_write(const struct fscert_bundle *b, const char *dir,
    mode_t key_mode, struct fscert_err *err)
{
	char tmp[FSCERT_OUT__MAX][NAME_MAX + 1];
	int done[FSCERT_OUT__MAX] = { 0 };
	int dfd, i, rc = -1;
	mode_t mode;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1) {
		if (errno == ENOENT)
			return fscert_err_set(
			    err, FSCERT_ENOENT, "%s: no such directory", dir);
		return fscert_err_sys(err, FSCERT_EIO, "%s", dir);
	}
	/* All three complete on disk before any of them replaces a file. */
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		mode = fscert_out_has_key(i) ? key_mode : 0644;
		if (fs_write_temp(dfd, dir, out_names[i], mode, (uid_t)-1,
			(gid_t)-1, b->files[i].data, b->files[i].len, tmp[i],
			sizeof(tmp[i]), err) == -1)
			goto out;
		done[i] = 1;
	}
	for (i = 0; i < FSCERT_OUT__MAX; i++) {
		if (renameat(dfd, tmp[i], dfd, out_names[i]) == -1) {
			fscert_err_sys(err, FSCERT_EIO, "%s/%s: rename", dir,
			    out_names[i]);
			goto out;
		}
		done[i] = 0;
	}
	if (fsync(dfd) == -1) {
		fscert_err_sys(err, FSCERT_EIO, "%s: fsync", dir);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < FSCERT_OUT__MAX; i++)
		if (done[i])
			(void)unlinkat(dfd, tmp[i], 0);
	(void)close(dfd);
	return rc;
}

/* Is x one of l's certificates (its leaf or an intermediate)? */
static int
of_lineage(const struct fscert_lineage *l, X509 *x)
{
	int i;

	if (l->leaf != NULL && X509_cmp(l->leaf, x) == 0)
		return 1;
	for (i = 0; i < sk_X509_num(l->chain); i++)
		if (X509_cmp(sk_X509_value(l->chain, i), x) == 0)
			return 1;
	return 0;
}

/*
 * Mark in ours[] the certificates of certs on the issuer path of leaf,
 * short of a self-signed one: the intermediates fscert wrote.
 */
static void
issuer_path(STACK_OF(X509) * certs, X509 *leaf, int *ours)
{
	X509 *cur = leaf, *c;
	int i, n = sk_X509_num(certs), found;

	while (cur != NULL) {
		found = -1;
		for (i = 0; i < n && found == -1; i++) {
			c = sk_X509_value(certs, i);
			if (!ours[i] && X509_cmp(c, cur) != 0 &&
			    X509_check_issued(c, cur) == X509_V_OK)
				found = i;
		}
		if (found == -1)
			break;
		c = sk_X509_value(certs, found);
		if (X509_check_issued(c, c) == X509_V_OK)
			break; /* a root: fscert writes none */
		ours[found] = 1;
		cur = c;
	}
}

int
fscert_bundle_keep_anchors(struct fscert_bundle *b,
    const struct fscert_lineage *l, const struct fscert_buf *cur,
    const struct fscert_buf *agent, int verify_peers, int *nkept, char *kept,
    size_t klen, struct fscert_err *err)
{
	struct fscert_buf *ca = &b->files[FSCERT_OUT_CAFILE];
	struct fscert_pem *p = NULL, *pa = NULL;
	const char *m = NULL;
	char subj[256];
	size_t off = 0, kl = 0;
	int *ours = NULL, i, n, rc = -1;
	X509 *x;

	*nkept = 0;
	if (klen > 0)
		kept[0] = '\0';
	if (cur == NULL || cur->data == NULL || cur->len == 0)
		return 0;
	m = fs_find(cur->data, cur->len, FSCERT_ANCHORS_MARKER);
	if (m == NULL && !verify_peers)
		return 0;
	if (m != NULL) {
		off = (size_t)(m - (const char *)cur->data);
		if (fs_find(m, cur->len - off, "-----BEGIN ") == NULL)
			return 0;
	}
	if ((p = fscert_pem_parse(
		 "cafile.pem", cur->data + off, cur->len - off, err)) == NULL)
		return -1;
	n = sk_X509_num(p->certs);
	if ((ours = calloc((size_t)n + 1, sizeof(*ours))) == NULL) {
		fscert_err_sys(err, FSCERT_ENOMEM, "out of memory");
		goto out;
	}
	/* No marker yet: what fscert wrote is the installed leaf's path. */
	if (m == NULL && agent != NULL && agent->data != NULL) {
		if ((pa = fscert_pem_parse(
			 "agent.pem", agent->data, agent->len, err)) == NULL)
			goto out;
		if (sk_X509_num(pa->certs) > 0)
			issuer_path(
			    p->certs, sk_X509_value(pa->certs, 0), ours);
	}
	for (i = 0; i < n; i++) {
		x = sk_X509_value(p->certs, i);
		if (ours[i] || of_lineage(l, x))
			continue;
		if (*nkept == 0 &&
		    fscert_buf_append(ca, FSCERT_ANCHORS_MARKER,
			strlen(FSCERT_ANCHORS_MARKER), err) == -1)
			goto out;
		if (fscert_pem_put_cert(ca, x, err) == -1)
			goto out;
		(*nkept)++;
		X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
		if (kl < klen)
			kl += (size_t)snprintf(kept + kl, klen - kl, "%s%s",
			    kl > 0 ? "; " : "", subj);
	}
	rc = 0;
out:
	free(ours);
	fscert_pem_free(pa);
	fscert_pem_free(p);
	return rc;
}
