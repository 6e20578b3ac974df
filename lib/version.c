/* version.c: the library's version. */
#include "fscert/fscert.h"

const char *
fscert_version(void)
{
	return FSCERT_VERSION;
}
