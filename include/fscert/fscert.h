/*
 * fscert/fscert.h: everything libfscert exports.
 */
#ifndef FSCERT_FSCERT_H
#define FSCERT_FSCERT_H

#include "fscert/err.h"
#include "fscert/pem.h"
#include "fscert/lineage.h"
#include "fscert/validate.h"
#include "fscert/bundle.h"
#include "fscert/config.h"
#include "fscert/vars.h"
#include "fscert/install.h"
#include "fscert/deploy.h"
#include "fscert/esl.h"
#include "fscert/fsconf.h"
#include "fscert/probe.h"
#include "fscert/reload.h"

#define FSCERT_VERSION "0.1.0"

/* The library's version string. */
#pragma GCC visibility push(default)
const char *fscert_version(void);
#pragma GCC visibility pop

#endif /* FSCERT_FSCERT_H */
