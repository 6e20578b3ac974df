/*
 * check.c: open and validate in one call, turning a lineage that cannot
 * be read into a critical finding, so that a run over many lineages
 * reports every one of them.
 */
#include <stdlib.h>

#include "fscert/validate.h"

static struct fscert_report *
finish(struct fscert_lineage *l, enum fscert_kind kind,
    const struct fscert_err *rerr, const struct fscert_policy *p,
    struct fscert_err *err)
{
	struct fscert_report *r;

	if (l != NULL) {
		r = fscert_validate(l, p, err);
		fscert_lineage_free(l);
		return r;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    fscert_report_add(r, FSCERT_R_UNREADABLE, FSCERT_SEV_CRIT, 1, "%s",
		rerr->msg) == -1) {
		fscert_report_free(r);
		fscert_err_set(err, FSCERT_ENOMEM, "out of memory");
		return NULL;
	}
	r->kind = kind;
	return r;
}

struct fscert_report *
fscert_check_path(
    const char *path, const struct fscert_policy *p, struct fscert_err *err)
{
	struct fscert_err rerr;
	struct fscert_lineage *l;

	fscert_err_clear(&rerr);
	l = fscert_lineage_open_dir(path, &rerr);
	/* Unreadable: still say which kind of directory it is. */
	return finish(l, fscert_lineage_dir_kind(path), &rerr, p, err);
}

struct fscert_report *
fscert_check_files(const char *cert, const char *key, const char *chain,
    const struct fscert_policy *p, struct fscert_err *err)
{
	struct fscert_err rerr;
	struct fscert_lineage *l;

	fscert_err_clear(&rerr);
	l = fscert_lineage_open_files(cert, key, chain, &rerr);
	return finish(l, FSCERT_KIND_FILES, &rerr, p, err);
}
