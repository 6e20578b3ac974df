/*
 * fuzz_fsconf.c: the readers of FreeSWITCH's replies about who reads
 * certificates: xml_locate's sofia.conf and verto.conf (expat), and
 * "verto status".  The first byte picks the reader ('s', 'v', else the
 * verto status table); the rest is the body.  Any input: no crash,
 * bounded counts, and the check on the result never crashes either.
 */
#include <stdlib.h>
#include <string.h>

#include "fscert/fscert.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const prof[] = { "internal", "default-v4" };
	struct fscert_extra x[FSCERT_MAX_EXTRAS];
	struct fscert_vertostatus vs;
	struct fscert_fsconf *fc;
	struct fscert_err e;
	size_t i, nx;
	char *s;
	int vp;

	if (size < 1 || (s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	fscert_err_clear(&e);
	if (data[0] == 's' || data[0] == 'v') {
		if ((fc = calloc(1, sizeof(*fc))) == NULL) {
			free(s);
			return 0;
		}
		memcpy(fc->certs_dir, "/certs", 7);
		(void)(data[0] == 's' ? fscert_fsconf_sofia(fc, s, &e)
				      : fscert_fsconf_verto(fc, s, &e));
		if (fc->n > FSCERT_MAX_CONSUMERS)
			abort();
		for (i = 0; i < fc->n; i++)
			if (fc->c[i].nbind > FSCERT_MAX_VERTO_BINDS)
				abort();
		(void)fscert_fsconf_check(
		    fc, "/certs", NULL, 0, "t", x, &nx, &vp, &e);
		if (nx > FSCERT_MAX_EXTRAS)
			abort();
		(void)fscert_fsconf_check(
		    fc, "/certs", prof, 2, "t", x, &nx, &vp, &e);
		free(fc);
	} else if (fscert_verto_status_parse(s, &vs, &e) == 0) {
		if (vs.nbinds > FSCERT_MAX_ENDPOINTS)
			abort();
		for (i = 0; i < vs.nbinds; i++)
			if (vs.binds[i].port < 1 || vs.binds[i].port > 65535)
				abort();
	}
	free(s);
	return 0;
}
