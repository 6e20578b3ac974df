/*
 * json.c: the JSON shapes the commands share (jansson).
 */
#include <err.h>

#include <jansson.h>

#include "cli.h"

json_t *
findings_json(const struct fscert_report *r)
{
	const struct fscert_finding *f;
	json_t *fs = json_array();
	size_t i;

	if (fs == NULL)
		errx(3, "out of memory");
	for (i = 0; r != NULL && i < r->nfindings; i++) {
		f = &r->findings[i];
		json_array_append_new(fs,
		    json_pack("{s:s, s:s, s:b, s:s}", "rule",
			fscert_rule_name(f->rule), "severity",
			fscert_sev_name(f->sev), "refuse", f->refuse, "message",
			f->msg));
	}
	return fs;
}

void
json_print(json_t *root)
{
	if (json_dumpf(root, stdout, JSON_INDENT(2)) == -1)
		errx(3, "writing JSON failed");
	putchar('\n');
	json_decref(root);
}
