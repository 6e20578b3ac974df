/*
 * cli.h: what the command files share.  Commands parse their own
 * options, call the library, print, and return the exit status.
 */
#ifndef FSCERT_CLI_H
#define FSCERT_CLI_H

#include "fscert/fscert.h"

struct globals {
	const char	*conf;		/* -c FILE */
	int		 verbose;	/* -v */
	int		 quiet;		/* -q */
	int		 json;		/* --json */
};

int	cmd_check(int argc, char **argv, struct globals *g);
int	cmd_bundle(int argc, char **argv, struct globals *g);

/* Append name to a growing list of --host names; exits on ENOMEM. */
void	hosts_add(const char ***hosts, size_t *n, const char *name);

/* Parse a non-negative day count; -1 when it is not one. */
int	parse_days(const char *s);

#endif /* FSCERT_CLI_H */
