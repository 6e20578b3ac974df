/*
 * fuzz_jsonstatus.c: the "sofia jsonstatus" reader.  Any input: no
 * crash, bounded profile count, ports in range.
 */
#include <stdlib.h>
#include <string.h>

#include "fscert/fscert.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fscert_fsstatus st;
	struct fscert_err e;
	char *s;
	size_t i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fscert_err_clear(&e);
	if (fscert_jsonstatus_parse(s, &st, &e) == 0) {
		if (st.nprofiles > FSCERT_MAX_PROFILES_SEEN)
			abort();
		for (i = 0; i < st.nprofiles; i++)
			if (st.profiles[i].tls_port < 0 ||
			    st.profiles[i].tls_port > 65535 ||
			    st.profiles[i].wss_port < 0 ||
			    st.profiles[i].wss_port > 65535)
				abort();
	}
	free(s);
	return 0;
}
