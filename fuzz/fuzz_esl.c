/*
 * fuzz_esl.c: the event-socket reply parser.  Feed the bytes as a
 * stream of messages; every parsed message must lie inside the input,
 * carry a Content-Type and a body of exactly Content-Length bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fscert/fscert.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *p = (const char *)data;
	struct fscert_esl_msg m;
	struct fscert_err e;
	size_t left = size, used;
	int rc;

	for (;;) {
		fscert_err_clear(&e);
		rc = fscert_esl_parse(p, left, 65536, &m, &used, &e);
		if (rc != 1)
			break;
		if (used == 0 || used > left || m.content_type[0] == '\0' ||
		    (m.content_length > 0 && (m.body == NULL ||
		    m.body[m.content_length] != '\0')) ||
		    m.content_length > 65536)
			abort();
		fscert_esl_msg_free(&m);
		p += used;
		left -= used;
	}
	if (rc == -1 && e.msg[0] == '\0')
		abort();
	return 0;
}
