/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Differential test of polc's regex compiler against RE2, the engine Envoy
 * matches Cilium's HTTP regexes with. Random patterns over the supported
 * syntax (plus some junk and some unsupported constructs) must be accepted
 * by both or rejected by both, except where polc says "not supported"; the
 * accepted ones must full-match the same valid UTF-8 strings. (On invalid
 * UTF-8 polc fails closed by design; RE2 versions differ there anyway.)
 *
 * Not compared: patterns that switch case folding inside an alternation.
 * RE2 (at least 2022-06-01, Debian 12) merges alternatives with the same
 * literal regardless of folding, so a|(?i:a) does not match "A" there; Go
 * and RE2's own documentation say it should, and polc does (the unit tests
 * check how flags scope).
 *
 *   re2_diff [patterns [seed]]      exit 0 when nothing disagrees
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "regex_ref.h"

void *re2_shim_new(const char *pattern, size_t len, int icase, int dotnl, int literal, char *msg,
		   size_t msg_len);
int re2_shim_full_match(void *re, const char *s, size_t len);
void re2_shim_free(void *re);

struct buf {
	char s[512];
	size_t n;
};

static void put(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->n + n < sizeof(b->s)) {
		memcpy(b->s + b->n, s, n);
		b->n += n;
	}
}

#define PICK(rng, list) (list)[ref_below((rng), sizeof(list) / sizeof((list)[0]))]

static const char *literals[] = {"a", "b", "c", "A", "K", "k", "s", "S", "/", "-", "_", "0",
				 "9", " ", "\xc3\xa9", "\xe2\x82\xac", "\xe2\x84\xaa", "\xc5\xbf",
				 "{", "}", "]", ","};
static const char *escapes[] = {"\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\.", "\\x41",
				"\\x{e9}", "\\101", "\\t", "\\n", "\\-", "\\[", "\\\\", "\\/",
				"\\x{212a}", "\\C"};
static const char *anchors[] = {"^", "$", "\\A", "\\z", "."};
static const char *class_items[] = {"a", "b", "k", "s", "-", "a-c", "0-9", "A-Z", "\\d", "\\W",
				    "[:alpha:]", "[:^digit:]", "[:punct:]", ".", "\xc3\xa9",
				    "\xc3\xa0-\xc3\xbf", "\\x{100}-\\x{10ffff}", "\\n", "/"};
static const char *quants[] = {"*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,}",
			       "{2,}?", "{0,1}", "{3}", "{0}"};
static const char *opens[] = {"(", "(?:", "(?i:", "(?-i:", "(?s:", "(?P<g>", "(?U:"};
static const char *flags_only[] = {"(?i)", "(?s)", "(?-i)", "(?is)"};
static const char *junk[] = {")", "(", "[", "]", "\\", "|", "*", "{1,0}", "\\b", "(?=x)",
			     "\\pL", "(?m)", "\\1", "a**", "[z-a]", "\\x{110000}", "(?P<g>x)",
			     "\\Q.*\\E", "[]a]", "[^]a]", "[a-]", "\\Z"};

static void gen_alt(struct ref_rng *r, struct buf *b, int depth);

static void gen_atom(struct ref_rng *r, struct buf *b, int depth)
{
	switch (ref_below(r, depth > 2 ? 5 : 7)) {
	case 0:
	case 1:
		put(b, PICK(r, literals));
		return;
	case 2:
		put(b, PICK(r, escapes));
		return;
	case 3:
		put(b, PICK(r, anchors));
		return;
	case 4: {
		uint32_t n = 1 + ref_below(r, 3);

		put(b, ref_below(r, 3) ? "[" : "[^");
		for (uint32_t i = 0; i < n; i++)
			put(b, PICK(r, class_items));
		put(b, "]");
		return;
	}
	case 5:
		put(b, PICK(r, opens));
		gen_alt(r, b, depth + 1);
		put(b, ")");
		return;
	default:
		put(b, PICK(r, flags_only));
		return;
	}
}

static void gen_concat(struct ref_rng *r, struct buf *b, int depth)
{
	uint32_t n = ref_below(r, 5);

	for (uint32_t i = 0; i < n; i++) {
		if (ref_below(r, 60) == 0) {
			put(b, PICK(r, junk));
			continue;
		}
		gen_atom(r, b, depth);
		if (ref_below(r, 3) == 0)
			put(b, PICK(r, quants));
	}
}

static void gen_alt(struct ref_rng *r, struct buf *b, int depth)
{
	uint32_t n = ref_below(r, 4) ? 1 : 2 + ref_below(r, 2);

	for (uint32_t i = 0; i < n; i++) {
		if (i)
			put(b, "|");
		gen_concat(r, b, depth);
	}
}

/* Valid UTF-8 test characters, so both engines see the same input. */
static const char *symbols[] = {"a", "b", "c", "A", "B", "K", "k", "s", "S", "/", "-", "_",
				"0", "9", "\n", " ", "\xc3\xa9", "\xc3\x89", "\xe2\x82\xac",
				"\xe2\x84\xaa", "\xc5\xbf", "x", "{", "}", "]", ",", "\xf0\x9f\x98\x80"};

static bool valid_utf8(const uint8_t *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		unsigned len = ref_utf8(s + i, n - i, &cp);

		if (!len)
			return false;
		i += len;
	}
	return true;
}

struct stats {
	unsigned long patterns, both_ok, both_bad, unsupported, mixed_fold, strings, failures;
};

static void compare_strings(struct ref_rng *r, const char *pattern, unsigned flags,
			    const struct regex_ast *ast, const struct dfa *d, void *re,
			    struct stats *st)
{
	for (int i = 0; i < 200; i++) {
		struct ref_str s = {.n = 0};
		bool mine, theirs;

		if (i < 120) {
			ref_sample(r, ast->root, &s);
			for (uint32_t m = ref_below(r, 3); m > 0; m--) {
				/* edits at character boundaries keep the string valid */
				struct ref_str t = {.n = 0};
				size_t at = ref_below(r, (uint32_t)s.n + 1);
				const char *sym = PICK(r, symbols);
				uint32_t cp;
				unsigned len;

				while (at < s.n && at > 0 && (s.b[at] & 0xc0) == 0x80)
					at--;
				ref_put(&t, s.b, at);
				len = at < s.n ? ref_utf8(s.b + at, s.n - at, &cp) : 0;
				if (ref_below(r, 2) || !len)
					ref_put(&t, (const uint8_t *)sym, strlen(sym));
				else
					at += len; /* delete the character instead */
				ref_put(&t, s.b + at, s.n - at);
				s = t;
			}
		} else {
			for (uint32_t n = ref_below(r, 7); n > 0; n--) {
				const char *sym = PICK(r, symbols);

				ref_put(&s, (const uint8_t *)sym, strlen(sym));
			}
		}
		if (!valid_utf8(s.b, s.n))
			continue;
		st->strings++;
		mine = dfa_match(d, s.b, s.n) != 0;
		theirs = re2_shim_full_match(re, (const char *)s.b, s.n);
		if (mine != theirs) {
			st->failures++;
			if (st->failures <= 20) {
				printf("MISMATCH /%s/ flags %#x on \"", pattern, flags);
				fwrite(s.b, 1, s.n, stdout);
				printf("\": polc %d, RE2 %d\n", mine, theirs);
			}
			return;
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	struct ref_rng rng = {argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5eed5eedull};
	struct stats st = {0};

	for (unsigned long i = 0; i < n; i++) {
		struct arena *arena = arena_new();
		struct buf b = {.n = 0};
		struct regex_error err;
		struct regex_ast *ast;
		struct dfa *d;
		unsigned flags = 0;
		char msg[256];
		void *re;
		int rc;

		gen_alt(&rng, &b, 0);
		if (ref_below(&rng, 8) == 0)
			flags |= REGEX_ICASE;
		if (ref_below(&rng, 8) == 0)
			flags |= REGEX_DOTNL;
		if (ref_below(&rng, 30) == 0)
			flags |= REGEX_LITERAL;
		b.s[b.n] = 0;
		st.patterns++;
		rc = regex_parse(arena, b.s, b.n, flags, &ast, &err);
		if (!rc)
			rc = dfa_build(arena, (const struct regex_ast *const *)&ast, 1, NULL, &d, &err);
		re = re2_shim_new(b.s, b.n, !!(flags & REGEX_ICASE), !!(flags & REGEX_DOTNL),
				  !!(flags & REGEX_LITERAL), msg, sizeof(msg));
		if (rc && !re) {
			st.both_bad++;
		} else if (rc) {
			if (strstr(err.message, "not supported") || rc == -E2BIG) {
				st.unsupported++;
				if (getenv("RE2_DIFF_VERBOSE"))
					printf("unsupported: %s\n", err.message);
			} else {
				st.failures++;
				printf("polc rejects /%s/ flags %#x that RE2 accepts: %s (column %u)\n",
				       b.s, flags, err.message, err.column);
			}
		} else if (!re) {
			st.failures++;
			printf("polc accepts /%s/ flags %#x that RE2 rejects: %s\n", b.s, flags, msg);
		} else if ((strstr(b.s, "(?i") || strstr(b.s, "(?-i")) && strchr(b.s, '|')) {
			st.both_ok++;
			st.mixed_fold++;
		} else {
			st.both_ok++;
			compare_strings(&rng, b.s, flags, ast, d, re, &st);
		}
		if (re)
			re2_shim_free(re);
		arena_free(arena);
	}
	printf("SUMMARY re2: %lu patterns (%lu accepted by both, %lu of them not compared for mixed "
	       "case folding; %lu rejected by both, %lu unsupported by polc), %lu strings, %lu "
	       "failures\n",
	       st.patterns, st.both_ok, st.mixed_fold, st.both_bad, st.unsupported, st.strings,
	       st.failures);
	return st.failures ? 1 : 0;
}
