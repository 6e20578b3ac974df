/*
 * json.c: the JSON shapes the commands share (jansson).
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/*
 * The length of the well-formed UTF-8 sequence at s (as jansson checks
 * it: no overlong form, no surrogate, nothing past U+10FFFF), or 0.
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

json_t *
jstr(const char *s)
{
	const unsigned char *p;
	char *copy, *o;
	size_t n, bad = 0;
	json_t *j;

	if (s == NULL)
		return json_null();
	for (p = (const unsigned char *)s; *p != '\0'; p += n)
		if ((n = utf8_len(p)) == 0)
			n = 1, bad++;
	if (bad == 0) {
		if ((j = json_string(s)) == NULL)
			errx(3, "out of memory");
		return j;
	}
	/* Each byte that is not UTF-8 becomes U+FFFD (3 bytes). */
	if ((copy = malloc(strlen(s) + 2 * bad + 1)) == NULL)
		errx(3, "out of memory");
	for (p = (const unsigned char *)s, o = copy; *p != '\0'; p += n) {
		if ((n = utf8_len(p)) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		} else {
			memcpy(o, p, n);
			o += n;
		}
	}
	*o = '\0';
	j = json_string(copy);
	free(copy);
	if (j == NULL)
		errx(3, "out of memory");
	return j;
}

json_t *
findings_json(const struct fscert_report *r)
{
	const struct fscert_finding *f;
	json_t *fs = json_array(), *o;
	size_t i;

	if (fs == NULL)
		errx(3, "out of memory");
	for (i = 0; r != NULL && i < r->nfindings; i++) {
		f = &r->findings[i];
		o = json_pack("{s:s, s:s, s:b, s:o}", "rule",
		    fscert_rule_name(f->rule), "severity",
		    fscert_sev_name(f->sev), "refuse", f->refuse, "message",
		    jstr(f->msg));
		if (o == NULL || json_array_append_new(fs, o) == -1)
			errx(3, "out of memory");
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
