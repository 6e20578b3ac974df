/*
 * fuzz_vars.c: the vars.xml include edit on arbitrary text.  Whatever
 * the input, an added include must keep every byte of the original in
 * order (only the one line inserted) and be found on a second pass.
 */
#include <stdlib.h>
#include <string.h>

#include "fscert/fscert.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fscert_buf out = { 0 }, again = { 0 };
	enum fscert_include what = FSCERT_INC_NONE, what2 = FSCERT_INC_NONE;
	struct fscert_err e;
	const char *line;
	char *p;
	size_t ll;

	fscert_err_clear(&e);
	if (fscert_vars_include((const char *)data, size, "vars_fscert.xml",
	    &out, &what, &e) == -1)
		return 0;
	if (what == FSCERT_INC_ADDED) {
		line = "<X-PRE-PROCESS cmd=\"include\" data=\"vars_fscert.xml\"/>";
		if ((p = strstr((char *)out.data, line)) == NULL)
			abort();
		/* Original = out minus the inserted line (and its ends). */
		ll = out.len - size;
		if (ll < strlen(line) || ll > strlen(line) + 6)
			abort();
		if (fscert_vars_include((const char *)out.data, out.len,
		    "vars_fscert.xml", &again, &what2, &e) == -1 ||
		    what2 != FSCERT_INC_PRESENT)
			abort();
	}
	fscert_buf_free(&out);
	fscert_buf_free(&again);
	return 0;
}
