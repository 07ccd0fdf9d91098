/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Cilium DNS rules as regexes: matchName and matchPattern become the
 * anchored regex Cilium's DNS proxy matches lower-case, fully qualified
 * names against (pkg/fqdn/matchpattern), so the datapath can match query
 * names with a DFA built from it.
 */
#include <errno.h>
#include <string.h>

#include "grammar/regex_int.h"
#include "util/strbuf.h"

/* Cilium's allowedDNSCharsREGroup: what `*` stands for within a label. */
#define DNS_CHARS "[-a-zA-Z0-9_]"
/* A leading `**.`: one or more whole labels. */
#define DNS_LABELS "(" DNS_CHARS "+([.]" DNS_CHARS "+)*)[.]"

static int dns_fail(struct regex_error *err, const char *s, size_t len, size_t at,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int dns_fail(struct regex_error *err, const char *s, size_t len, size_t at,
		    const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	memset(err, 0, sizeof(*err));
	err->index = -1;
	va_start(ap, fmt);
	regex_error_set(err, s, len, -EINVAL, at, 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool dns_char(char c, bool star)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || (star && c == '*');
}

static int finish(struct arena *arena, struct strbuf *sb, char **out, struct regex_error *err)
{
	char *s;

	if (strbuf_error(sb)) {
		strbuf_free(sb);
		if (err)
			regex_error_setf(err, -ENOMEM, -1, "out of memory");
		return -ENOMEM;
	}
	s = arena_strndup(arena, strbuf_cstr(sb), sb->len);
	strbuf_free(sb);
	if (!s) {
		if (err)
			regex_error_setf(err, -ENOMEM, -1, "out of memory");
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

static void put_lower(struct strbuf *sb, char c)
{
	if (c == '.')
		strbuf_puts(sb, "[.]");
	else
		strbuf_putc(sb, c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* Surrounding spaces, as strings.TrimSpace in Cilium. */
static void trim(const char **s, size_t *len)
{
	while (*len && strchr(" \t\r\n\v\f", (*s)[0]))
		(*s)++, (*len)--;
	while (*len && strchr(" \t\r\n\v\f", (*s)[*len - 1]))
		(*len)--;
}

int regex_from_dns_pattern(struct arena *arena, const char *pattern, size_t len, char **out,
			   struct regex_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = pattern;
	size_t n = len, i = 0, stars = 0;
	bool all_stars;

	trim(&p, &n);
	for (size_t j = 0; j < n; j++) {
		if (!dns_char(p[j], true))
			return dns_fail(err, pattern, len, (size_t)(p - pattern) + j,
					"invalid character in DNS matchPattern (allowed: a-z A-Z 0-9 - _ . *)");
	}
	/* only stars (and one optional final dot): every name */
	all_stars = n > 0;
	for (size_t j = 0; j < n; j++)
		all_stars = all_stars && (p[j] == '*' || (j == n - 1 && j > 0 && p[j] == '.'));
	if (all_stars) {
		strbuf_puts(&sb, "(^(" DNS_CHARS "+[.])+$)|(^[.]$)");
		return finish(arena, &sb, out, err);
	}
	strbuf_putc(&sb, '^');
	while (stars < n && p[stars] == '*')
		stars++;
	if (stars >= 2 && stars < n && p[stars] == '.') {
		strbuf_puts(&sb, DNS_LABELS);
		i = stars + 1;
	}
	for (; i < n; i++) {
		if (p[i] == '*') {
			while (i + 1 < n && p[i + 1] == '*')
				i++;
			strbuf_puts(&sb, DNS_CHARS "*");
		} else {
			put_lower(&sb, p[i]);
		}
	}
	/* fully qualified: the trailing dot Cilium's dns.FQDN() adds */
	if (!n || p[n - 1] != '.')
		strbuf_puts(&sb, "[.]");
	strbuf_putc(&sb, '$');
	return finish(arena, &sb, out, err);
}

int regex_from_dns_name(struct arena *arena, const char *name, size_t len, char **out,
			struct regex_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = name;
	size_t n = len;

	trim(&p, &n);
	for (size_t j = 0; j < n; j++) {
		if (!dns_char(p[j], false))
			return dns_fail(err, name, len, (size_t)(p - name) + j,
					"invalid character in DNS matchName (allowed: a-z A-Z 0-9 - _ .)");
	}
	strbuf_putc(&sb, '^');
	for (size_t i = 0; i < n; i++)
		put_lower(&sb, p[i]);
	if (!n || p[n - 1] != '.')
		strbuf_puts(&sb, "[.]");
	strbuf_putc(&sb, '$');
	return finish(arena, &sb, out, err);
}
