/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Reading the artifact's tab-separated metadata sections (meta/rules,
 * meta/identities, ...): one splitter and one unescaper for everyone who
 * reads them (libpolc, re-resolution, polc inspect).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "polc/artifact.h"

/* Undo the writer's escapes in place; the result is never longer. */
static size_t unescape_in_place(char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			char c = s[++i];
			s[n++] = c == 't' ? '\t' : c == 'n' ? '\n' : c;
		} else {
			s[n++] = s[i];
		}
	}
	s[n] = '\0';
	return n;
}

int polc_meta_parse(const char *text, size_t len, polc_meta_row_fn fn, void *ctx)
{
	const char *end = text + len;
	unsigned lineno = 0;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		lineno++;
		if (le > line) {
			size_t line_len = (size_t)(le - line);
			char *copy = malloc(line_len + 1);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, line, line_len);
			copy[line_len] = '\0';
			struct polc_meta_row row = {.line = lineno};
			char *p = copy;
			for (;;) {
				char *tab = row.n + 1 < POLC_META_MAX_FIELDS ? strchr(p, '\t') : NULL;
				if (tab)
					*tab = '\0';
				unescape_in_place(p, strlen(p));
				row.field[row.n++] = p;
				if (!tab)
					break;
				p = tab + 1;
			}
			int rc = fn(&row, ctx);
			free(copy);
			if (rc)
				return rc;
		}
		line = nl ? nl + 1 : end;
	}
	return 0;
}

int polc_artifact_meta_rows(const struct polc_artifact *a, const char *section, polc_meta_row_fn fn, void *ctx)
{
	size_t len = 0;
	const char *text = polc_artifact_section(a, section, &len);
	return text ? polc_meta_parse(text, len, fn, ctx) : 0;
}
