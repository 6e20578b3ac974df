/*
 * fuzz_config.c: the config file parser (inih + our handler) on
 * arbitrary bytes.  Every accepted config must have named targets and
 * in-range numbers; every refused one an error message with file:line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fscert/fscert.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fscert_config c;
	struct fscert_err e;
	size_t i;
	FILE *f;

	if ((f = fmemopen((void *)data, size ? size : 1, "r")) == NULL)
		return 0;
	if (size == 0)
		(void)fgetc(f);
	fscert_config_init(&c);
	fscert_err_clear(&e);
	if (fscert_config_parse(&c, f, "fuzz.conf", &e) == -1) {
		if (strncmp(e.msg, "fuzz.conf", 9) != 0 ||
		    memchr(e.msg, '\n', sizeof(e.msg)) != NULL)
			abort();
	} else {
		for (i = 0; i < c.ntargets; i++)
			if (c.targets[i].name == NULL ||
			    c.targets[i].nhosts > FSCERT_MAX_HOSTS)
				abort();
		if (c.esl_port < 0 || c.esl_port > 65535)
			abort();
	}
	fscert_config_free(&c);
	(void)fclose(f);
	return 0;
}
