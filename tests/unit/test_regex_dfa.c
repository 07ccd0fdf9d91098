/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Regex automata (grammar/regex_nfa.c, regex_dfa.c, regex_minimize.c): the
 * DFA must accept exactly what an independent backtracking matcher over
 * the parse tree accepts (exhaustive short strings, random strings, samples
 * of the language and their one-byte mutations), be minimal and canonical
 * (equivalent regexes give identical tables), keep per-regex accept sets
 * apart in combined DFAs, and refuse blow-ups with a clear error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "regex_ref.h"

struct pat {
	const char *pattern;
	unsigned flags;
};

/* Realistic L7 rules first, then the corners of the construction. */
static const struct pat patterns[] = {
	{"/public/.*", 0},
	{"/api/v[0-9]+/users/[^/]+", 0},
	{"GET|POST", 0},
	{"GET|HEAD|PUT|DELETE", 0},
	{"/", 0},
	{"/static/.*\\.(css|js|png)", 0},
	{"/v1/[a-z0-9-]{1,8}/status", 0},
	{"(?i)api\\.example\\.com", 0},
	{"(?i)(www\\.)?example\\.(com|org)(:[0-9]+)?", 0},
	{"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", 0},
	{"/health(z)?", 0},
	{"Bearer [A-Za-z0-9._~+/-]+=*", 0},
	{"application/(json|xml)(;.*)?", 0},
	{"kube\\.io", REGEX_ICASE},
	{"kube\\.io", REGEX_ICASE_ASCII},
	{"^[-a-zA-Z0-9_]*[.]example[.]com[.]$", REGEX_ICASE_ASCII},
	{"^([-a-zA-Z0-9_]+([.][-a-zA-Z0-9_]+)*)[.]example[.]com[.]$", REGEX_ICASE_ASCII},
	{"(^([-a-zA-Z0-9_]+[.])+$)|(^[.]$)", REGEX_ICASE_ASCII},
	{"", 0},
	{"a|", 0},
	{"a*", 0},
	{"(a*)*", 0},
	{"(a*|b)*c", 0},
	{"(a|b)*abb", 0},
	{"a{2,3}", 0},
	{"a{0,2}b{2,}", 0},
	{"(a?){3}", 0},
	{"(a?){2,}b", 0},
	{"(ab|a)(bc|c)", 0},
	{"(a|ab)(c|bcd)(d*)", 0},
	{"x*y*x*", 0},
	{"^a$", 0},
	{"a^b", 0},
	{"a$b", 0},
	{"(^|/)x", 0},
	{"x($|/)", 0},
	{"(a$)*", 0},
	{"^*a", 0},
	{"(a|$)(b|^)", 0},
	{"\\C", 0},
	{"\\C{2}a", 0},
	{"/p/\\C*", 0},
	{"\xc3\xa9+", 0},
	{"[^a]", 0},
	{".", 0},
	{"(?s).", 0},
	{"..", 0},
	{"[\\x{80}-\\x{10ffff}]", 0},
	{"[\\x{7ff}-\\x{800}]", 0},
	{"[\\x{ffff}-\\x{10000}]", 0},
	{"[\\x{d7ff}\\x{e000}]", 0},
	{"\\x{10ffff}", 0},
	{"[^\\x00-\\x{10ffff}]", 0},
	{"[\\x{d800}-\\x{dfff}]a", 0},
	{"(?i)k", 0},
	{"(?i)[^s]", 0},
	{"(?i)\\W", 0},
	{"\\w+@\\w+", 0},
	{"a{5}", 0},
	{"[[:alpha:]]+", 0},
	{"\\d{1,3}(\\.\\d{1,3}){3}", 0},
	{"((a|b)(c|d))*", 0},
	{"a.c", 0},
	{"[^/]*/[^/]*", 0},
	{"(?U)a+?b", 0},
};

#define N_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

struct built {
	struct regex_ast *ast;
	struct dfa *dfa;
};

static struct built build(struct arena *arena, const char *pattern, unsigned flags)
{
	struct built b = {0};
	struct regex_error err;

	if (regex_parse(arena, pattern, strlen(pattern), flags, &b.ast, &err))
		fail_msg("/%s/: parse: %s (column %u)", pattern, err.message, err.column);
	if (dfa_build(arena, (const struct regex_ast *const *)&b.ast, 1, NULL, &b.dfa, &err))
		fail_msg("/%s/: build: %s", pattern, err.message);
	return b;
}

static bool matches(struct arena *arena, const char *pattern, unsigned flags, const char *s)
{
	struct built b = build(arena, pattern, flags);

	return dfa_match(b.dfa, (const uint8_t *)s, strlen(s)) != 0;
}

static const char *hex(const uint8_t *s, size_t n)
{
	static char buf[4 * REF_MAX_STR + 1];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++) {
		if (s[i] >= 0x21 && s[i] < 0x7f && s[i] != '\\')
			buf[o++] = s[i];
		else
			o += snprintf(buf + o, sizeof(buf) - o, "\\x%02x", s[i]);
	}
	buf[o] = 0;
	return buf;
}

struct tally {
	size_t checked, matched, skipped;
};

static void agree(const struct pat *p, const struct built *b, const uint8_t *s, size_t n,
		  struct tally *t)
{
	int want = ref_match(b->ast, s, n);
	bool got = dfa_match(b->dfa, s, n) != 0;

	if (want < 0) {
		t->skipped++;
		return;
	}
	if (got != (bool)want)
		fail_msg("/%s/ (flags %#x) on \"%s\": DFA says %d, reference says %d", p->pattern,
			 p->flags, hex(s, n), got, want);
	t->checked++;
	t->matched += want;
}

/* Every string of up to max_len symbols of the alphabet. */
static void exhaustive(const struct pat *p, const struct built *b, const struct ref_alphabet *a,
		       struct tally *t)
{
	size_t max_len = 0, total = 1;
	size_t idx[8];

	while (max_len < 6 && total * a->n <= 40000) {
		total *= a->n;
		max_len++;
	}
	for (size_t len = 0; len <= max_len; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			struct ref_str s = {.n = 0};
			size_t i;

			for (i = 0; i < len; i++)
				ref_put(&s, a->sym[idx[i]].b, a->sym[idx[i]].n);
			agree(p, b, s.b, s.n, t);
			for (i = 0; i < len && ++idx[i] == a->n; i++)
				idx[i] = 0;
			if (i == len)
				break;
		}
	}
}

static void test_reference_agreement(void **state)
{
	struct tally all = {0};

	(void)state;
	for (size_t i = 0; i < N_PATTERNS; i++) {
		const struct pat *p = &patterns[i];
		struct arena *arena = arena_new();
		struct built b = build(arena, p->pattern, p->flags);
		struct ref_rng rng = {0x9e3779b97f4a7c15ull + i};
		struct ref_alphabet a;
		struct tally t = {0};

		ref_alphabet(&a, b.ast->root);
		exhaustive(p, &b, &a, &t);
		for (int k = 0; k < 3000; k++) {
			struct ref_str s = {.n = 0};
			size_t len = ref_below(&rng, 16);

			for (size_t j = 0; j < len; j++)
				ref_put(&s, &a.bytes[ref_below(&rng, (uint32_t)a.n_bytes)], 1);
			agree(p, &b, s.b, s.n, &t);
		}
		for (int k = 0; k < 3000; k++) {
			struct ref_str s = {.n = 0};

			ref_sample(&rng, b.ast->root, &s);
			agree(p, &b, s.b, s.n, &t);
			for (int m = 0; m < 3; m++) {
				ref_mutate(&rng, &s, a.bytes, a.n_bytes);
				agree(p, &b, s.b, s.n, &t);
			}
		}
		/* a regex that matches something must have been seen matching */
		if (b.dfa->start != DFA_DEAD_STATE && t.matched == 0)
			fail_msg("/%s/: no test string matched", p->pattern);
		assert_true(t.skipped * 100 <= t.checked);
		all.checked += t.checked;
		all.matched += t.matched;
		all.skipped += t.skipped;
		arena_free(arena);
	}
	print_message("%zu regexes, %zu strings agree (%zu matching), %zu skipped\n", N_PATTERNS,
		      all.checked, all.matched, all.skipped);
}

/* Truth tables written by hand, independent of both matchers. */
struct expect {
	const char *pattern;
	unsigned flags;
	const char *s;
	bool match;
};

static const struct expect expectations[] = {
	{"/public/.*", 0, "/public/", true},
	{"/public/.*", 0, "/public/a/b?c=d", true},
	{"/public/.*", 0, "/public/caf\xc3\xa9", true},
	{"/public/.*", 0, "/public", false},
	{"/public/.*", 0, "/publicx", false},
	{"/public/.*", 0, "/public/\xff", false},
	{"/public/.*", 0, "/public/\xc0\xaf", false},
	{"/public/.*", 0, "/public/a\nb", false},
	{"(?s)/public/.*", 0, "/public/a\nb", true},
	{"/api/v[0-9]+/users/[^/]+", 0, "/api/v1/users/bob", true},
	{"/api/v[0-9]+/users/[^/]+", 0, "/api/v12/users/b%20b", true},
	{"/api/v[0-9]+/users/[^/]+", 0, "/api/v/users/bob", false},
	{"/api/v[0-9]+/users/[^/]+", 0, "/api/v1/users/", false},
	{"/api/v[0-9]+/users/[^/]+", 0, "/api/v1/users/bob/x", false},
	{"/api/v[0-9]+/users/[^/]+", 0, "/API/v1/users/bob", false},
	{"GET|POST", 0, "GET", true},
	{"GET|POST", 0, "POST", true},
	{"GET|POST", 0, "GETPOST", false},
	{"GET|POST", 0, "get", false},
	{"GET|POST", 0, "", false},
	{"GET|POST", REGEX_ICASE, "get", true},
	{"(?i)api\\.example\\.com", 0, "API.Example.COM", true},
	{"(?i)api\\.example\\.com", 0, "api.example.co", false},
	{"(?i)api\\.example\\.com", 0, "apixexample.com", false},
	{"(?i)kube\\.io", 0, "\xe2\x84\xaaUBE.io", true},
	{"kube\\.io", REGEX_ICASE_ASCII, "\xe2\x84\xaaube.io", false},
	{"kube\\.io", REGEX_ICASE_ASCII, "KUBE.IO", true},
	{"^/x$", 0, "/x", true},
	{"a^b", 0, "ab", false},
	{"(^|/)x", 0, "x", true},
	{"(^|/)x", 0, "/x", true},
	{"(^|/)x", 0, "a/x", false},
	{"x($|/)", 0, "x", true},
	{"x($|/)", 0, "x/", true},
	{"\\C\\C", 0, "\xff\xfe", true},
	{".", 0, "\xf4\x8f\xbf\xbf", true},
	{".", 0, "\xf4\x90\x80\x80", false},
	{".", 0, "\xed\xa0\x80", false},
	{"", 0, "", true},
	{"", 0, "a", false},
};

static void test_expectations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(expectations) / sizeof(expectations[0]); i++) {
		const struct expect *e = &expectations[i];
		struct arena *arena = arena_new();

		if (matches(arena, e->pattern, e->flags, e->s) != e->match)
			fail_msg("/%s/ on \"%s\": expected %s", e->pattern, e->s,
				 e->match ? "a match" : "no match");
		arena_free(arena);
	}
}

/*
 * Minimal and canonical, checked the slow way: no two states equivalent
 * (Moore's refinement until stable), no two classes alike, every state
 * reachable, dead state 0, breadth-first numbering.
 */
static void check_canonical(const char *pattern, const struct dfa *d)
{
	uint32_t n = d->n_states, k = d->n_classes;
	uint32_t blk[512], nblk[512], order[512];
	uint32_t n_blocks = 0, head = 0, tail = 0;
	bool seen[512] = {false};

	if (n > 512)
		return;
	/* dead state */
	for (uint32_t c = 0; c < k; c++)
		assert_int_equal(d->next[c], 0);
	assert_int_equal(d->accept_of[0], 0);
	assert_true(d->flags[0] & DFA_STATE_SINK);
	/* classes: numbered by smallest byte, all distinct */
	for (unsigned b = 0, max = 0; b < 256; b++) {
		assert_true(d->class_of[b] <= max);
		if (d->class_of[b] == max)
			max++;
	}
	for (uint32_t c1 = 0; c1 < k; c1++) {
		for (uint32_t c2 = c1 + 1; c2 < k; c2++) {
			bool differ = false;

			for (uint32_t s = 0; s < n && !differ; s++)
				differ = d->next[s * k + c1] != d->next[s * k + c2];
			if (!differ)
				fail_msg("/%s/: classes %u and %u are alike", pattern, c1, c2);
		}
	}
	/* breadth-first numbering from start */
	if (d->start == 0) {
		assert_int_equal(n, 1);
		return;
	}
	assert_int_equal(d->start, 1);
	seen[0] = seen[1] = true;
	order[tail++] = 1;
	while (head < tail) {
		uint32_t s = order[head++];

		for (uint32_t c = 0; c < k; c++) {
			uint32_t t = d->next[s * k + c];

			if (!seen[t]) {
				seen[t] = true;
				order[tail++] = t;
			}
		}
	}
	for (uint32_t i = 0; i < tail; i++)
		if (order[i] != i + 1)
			fail_msg("/%s/: state %u found in place %u", pattern, order[i], i + 1);
	if (tail != n - 1)
		fail_msg("/%s/: %u of %u states reachable", pattern, tail, n - 1);
	/* Moore */
	for (uint32_t s = 0; s < n; s++)
		blk[s] = d->accept_of[s];
	for (;;) {
		uint32_t count = 0;

		for (uint32_t s = 0; s < n; s++) {
			nblk[s] = UINT32_MAX;
			for (uint32_t t = 0; t < s && nblk[s] == UINT32_MAX; t++) {
				bool same = blk[s] == blk[t];

				for (uint32_t c = 0; c < k && same; c++)
					same = blk[d->next[s * k + c]] == blk[d->next[t * k + c]];
				if (same)
					nblk[s] = nblk[t];
			}
			if (nblk[s] == UINT32_MAX)
				nblk[s] = count++;
		}
		memcpy(blk, nblk, n * sizeof(*blk));
		if (count == n_blocks)
			break;
		n_blocks = count;
	}
	if (n_blocks != n)
		fail_msg("/%s/: %u states but only %u distinguishable", pattern, n, n_blocks);
}

static void test_minimal_and_canonical(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_PATTERNS; i++) {
		struct arena *arena = arena_new();
		struct built b = build(arena, patterns[i].pattern, patterns[i].flags);

		check_canonical(patterns[i].pattern, b.dfa);
		arena_free(arena);
	}
}

struct pair {
	const char *a;
	unsigned fa;
	const char *b;
	unsigned fb;
	bool equal;
};

static const struct pair pairs[] = {
	{"a|a", 0, "a", 0, true},
	{"(a*)*", 0, "a*", 0, true},
	{"(a*|b)*", 0, "[ab]*", 0, true},
	{"a{2,3}", 0, "aa|aaa", 0, true},
	{"a{2,3}", 0, "aaa?", 0, true},
	{"a{2,}", 0, "aaa*", 0, true},
	{"(a|b)*", 0, "[ab]*", 0, true},
	{"a+", 0, "aa*", 0, true},
	{"a?", 0, "a|", 0, true},
	{"(?i)abc", 0, "[aA][bB][cC]", 0, true},
	{"abc", REGEX_ICASE, "(?i)abc", 0, true},
	{"x*?y??", 0, "x*y?", 0, true},
	{"^a$", 0, "a", 0, true},
	{"\\Aa\\z", 0, "a", 0, true},
	{"[a-c]|[b-d]", 0, "[a-d]", 0, true},
	{"(?:a|b)(?:c|d)", 0, "ac|ad|bc|bd", 0, true},
	{"\\d", 0, "[0-9]", 0, true},
	{"[^\\D]", 0, "\\d", 0, true},
	{"a{0}b", 0, "b", 0, true},
	{"(a|b){0,2}", 0, "(a|b)?(a|b)?", 0, true},
	{"GET|POST", 0, "POST|GET", 0, true},
	{"a^b", 0, "[^\\x00-\\x{10ffff}]", 0, true},
	{"(a$)*b", 0, "b", 0, true},
	{"x(^|/)y", 0, "x/y", 0, true},
	{"(?s).", 0, "[\\x00-\\x{10ffff}]", 0, true},
	{".", 0, "[^\\n]", 0, true},
	{"a.b", REGEX_LITERAL, "a\\.b", 0, true},
	{"(a|b)*abb", 0, "[ab]*abb", 0, true},
	{"a", 0, "b", 0, false},
	{"a*", 0, "a+", 0, false},
	{".", 0, "\\C", 0, false},
	{"(?i)k", 0, "k", REGEX_ICASE_ASCII, false},
	{"a$b", 0, "ab", 0, false},
};

static void test_equivalent_regexes_identical(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const struct pair *p = &pairs[i];
		struct arena *arena = arena_new();
		struct built a = build(arena, p->a, p->fa), b = build(arena, p->b, p->fb);

		if (dfa_equal(a.dfa, b.dfa) != p->equal)
			fail_msg("/%s/ and /%s/ should %sbe identical", p->a, p->b,
				 p->equal ? "" : "not ");
		arena_free(arena);
	}
}

/* One DFA for the rules of a port: accept sets say which rules match. */
static void test_combined_accept_sets(void **state)
{
	static const char *rules[] = {"GET", "POST", "GET|HEAD", ".*", "", "G.*", "[A-Z]+",
				      "(?i)get"};
	const size_t n = sizeof(rules) / sizeof(rules[0]);
	struct arena *arena = arena_new();
	struct regex_ast *asts[8];
	struct ref_alphabet a = {.n = 0};
	struct ref_rng rng = {42};
	struct regex_error err;
	struct dfa *d;
	size_t idx[5];

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(regex_parse(arena, rules[i], strlen(rules[i]), 0, &asts[i], &err),
				 0);
	assert_int_equal(dfa_build(arena, (const struct regex_ast *const *)asts, n, NULL, &d, &err),
			 0);
	assert_int_equal(d->n_regexes, n);
	assert_int_equal(d->accept_words, 1);
	check_canonical("combined", d);
	for (const char *c = "GETPOSHADgx\xc3"; *c; c++)
		ref_alpha_add(&a, (const uint8_t *)c, 1);
	for (size_t len = 0; len <= 4; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			uint8_t s[8];
			uint32_t set;
			size_t i;

			for (i = 0; i < len; i++)
				s[i] = a.sym[idx[i]].b[0];
			if (len && ref_below(&rng, 2))
				s[ref_below(&rng, (uint32_t)len)] = ref_rand(&rng);
			set = dfa_match(d, s, len);
			for (size_t r = 0; r < n; r++) {
				int want = ref_match(asts[r], s, len);

				if (dfa_set_has(d, set, (uint32_t)r) != want)
					fail_msg("rule %zu /%s/ on \"%s\": DFA %d, reference %d", r,
						 rules[r], hex(s, len), !want, want);
			}
			for (i = 0; i < len && ++idx[i] == a.n; i++)
				idx[i] = 0;
			if (i == len)
				break;
		}
	}
	/* the set of "GET": rules 0 GET, 2 GET|HEAD, 3 .*, 5 G.*, 6 [A-Z]+, 7 (?i)get */
	assert_int_equal(d->accept_sets[dfa_match(d, (const uint8_t *)"GET", 3)], 0xed);
	assert_int_equal(d->accept_sets[dfa_match(d, (const uint8_t *)"", 0)], 0x18);
	arena_free(arena);
}

/* More than 64 regexes: accept sets span several words. */
static void test_many_regexes(void **state)
{
	enum { N = 130 };
	struct arena *arena = arena_new();
	struct regex_ast *asts[N];
	struct regex_error err;
	struct dfa *d;
	uint8_t s[N + 5];

	(void)state;
	for (int i = 0; i < N; i++) {
		char p[32];

		snprintf(p, sizeof(p), "a{%d}", i);
		assert_int_equal(regex_parse(arena, p, strlen(p), 0, &asts[i], &err), 0);
	}
	assert_int_equal(dfa_build(arena, (const struct regex_ast *const *)asts, N, NULL, &d, &err),
			 0);
	assert_int_equal(d->accept_words, 3);
	assert_int_equal(d->n_accept_sets, N + 1);
	memset(s, 'a', sizeof(s));
	for (uint32_t len = 0; len < N + 5; len++) {
		uint32_t set = dfa_match(d, s, len);

		for (uint32_t r = 0; r < N; r++)
			assert_int_equal(dfa_set_has(d, set, r), r == len);
	}
	arena_free(arena);
}

static void test_no_regex(void **state)
{
	struct arena *arena = arena_new();
	struct dfa *d;

	(void)state;
	assert_int_equal(dfa_build(arena, NULL, 0, NULL, &d, NULL), 0);
	assert_int_equal(d->n_states, 1);
	assert_int_equal(d->start, DFA_DEAD_STATE);
	assert_int_equal(d->n_classes, 1);
	assert_int_equal(dfa_match(d, (const uint8_t *)"x", 1), 0);
	arena_free(arena);
}

static void test_limits(void **state)
{
	struct arena *arena = arena_new();
	struct regex_ast *asts[2];
	struct regex_error err;
	struct dfa *d = (struct dfa *)0x1;
	const char *explode = "(a|b)*a(a|b){20}";
	const char *nested = "((a{1000}){1000}){1000}";
	const char *big = "a{800}";
	struct dfa_limits small = {.max_nfa_states = 1500, .max_dfa_states = 2000};
	struct dfa_limits tiny = {.max_nfa_states = 1000, .max_dfa_states = 5};

	(void)state;
	/* the subset construction would need 2^21 states */
	assert_int_equal(regex_compile(arena, explode, strlen(explode), 0, NULL, &d, &err), -E2BIG);
	assert_string_equal(err.message, "regex too complex: DFA needs more than 10000 states (limit)");
	assert_int_equal(err.index, 0);
	assert_ptr_equal(d, (struct dfa *)0x1);

	/* counted repetitions multiply: refused before anything is built */
	assert_int_equal(regex_compile(arena, nested, strlen(nested), 0, NULL, &d, &err), -E2BIG);
	assert_string_equal(err.message, "regex too complex: 1000000001 NFA states > limit 100000");

	/* each fits, together they do not */
	assert_int_equal(regex_parse(arena, big, strlen(big), 0, &asts[0], &err), 0);
	assert_int_equal(regex_parse(arena, big, strlen(big), 0, &asts[1], &err), 0);
	assert_int_equal(
		dfa_build(arena, (const struct regex_ast *const *)asts, 1, &small, &d, &err), 0);
	d = (struct dfa *)0x1;
	assert_int_equal(
		dfa_build(arena, (const struct regex_ast *const *)asts, 2, &small, &d, &err), -E2BIG);
	assert_int_equal(err.index, -1);
	assert_string_equal(err.message,
			    "regexes too complex together: 1603 NFA states > limit 1500");
	assert_ptr_equal(d, (struct dfa *)0x1);

	/* big closures in many states: bounded work, not bounded states */
	{
		struct dfa_limits steps = {.max_steps = 1000000};
		const char *p = "(x*y*z*){300}";

		assert_int_equal(regex_compile(arena, p, strlen(p), 0, &steps, &d, &err), -E2BIG);
		assert_string_equal(err.message, "regex too complex: DFA construction needs more than "
						 "1000000 steps (limit)");
		assert_int_equal(regex_compile(arena, p, strlen(p), 0, NULL, &d, &err), 0);
		assert_int_equal(d->n_states, 901);
	}

	/* caller's limits */
	assert_int_equal(regex_compile(arena, "abcdef", 6, 0, &tiny, &d, &err), -E2BIG);
	assert_non_null(strstr(err.message, "more than 5 states"));
	tiny.max_dfa_states = 2000;
	assert_int_equal(regex_compile(arena, "a{999}", 6, 0, &tiny, &d, &err), 0);
	assert_int_equal(regex_compile(arena, "a{1000}", 7, 0, &tiny, &d, &err), -E2BIG);
	assert_string_equal(err.message, "regex too complex: 1001 NFA states > limit 1000");
	arena_free(arena);
}

static void test_dump(void **state)
{
	static const char *rules[] = {"GET|POST", "G.*"};
	struct arena *arena = arena_new();
	struct strbuf sb = STRBUF_INIT;
	struct regex_ast *asts[2];
	struct dfa *d;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(regex_parse(arena, rules[i], strlen(rules[i]), 0, &asts[i], NULL), 0);
	assert_int_equal(dfa_build(arena, (const struct regex_ast *const *)asts, 1, NULL, &d, NULL),
			 0);
	dfa_dump(d, &sb);
	assert_string_equal(strbuf_cstr(&sb), "dfa: 7 states x 7 classes, start 1, 1 regex, 2 accept sets\n"
					       "class 0: \\x00-D F H-N Q-R U-\\xff\n"
					       "class 1: E\n"
					       "class 2: G\n"
					       "class 3: O\n"
					       "class 4: P\n"
					       "class 5: S\n"
					       "class 6: T\n"
					       "state 0: dead\n"
					       "state 1: start; 2->2 4->3\n"
					       "state 2: 1->4\n"
					       "state 3: 3->5\n"
					       "state 4: 6->6\n"
					       "state 5: 5->4\n"
					       "state 6: accept {0}\n"
					       "accept set 1: {0}\n");
	strbuf_reset(&sb);
	assert_int_equal(regex_parse(arena, "/p/\\C*", 6, 0, &asts[0], NULL), 0);
	assert_int_equal(regex_parse(arena, "/p.", 3, 0, &asts[1], NULL), 0);
	assert_int_equal(dfa_build(arena, (const struct regex_ast *const *)asts, 2, NULL, &d, NULL),
			 0);
	dfa_dump(d, &sb);
	assert_string_equal(strbuf_cstr(&sb),
			    "dfa: 14 states x 14 classes, start 1, 2 regexes, 4 accept sets\n"
			    "class 0: \\x00-\\x09 \\x0b-. 0-o q-\\x7f\n"
			    "class 1: \\x0a \\xc0-\\xc1 \\xf5-\\xff\n"
			    "class 2: /\n"
			    "class 3: p\n"
			    "class 4: \\x80-\\x8f\n"
			    "class 5: \\x90-\\x9f\n"
			    "class 6: \\xa0-\\xbf\n"
			    "class 7: \\xc2-\\xdf\n"
			    "class 8: \\xe0\n"
			    "class 9: \\xe1-\\xec \\xee-\\xef\n"
			    "class 10: \\xed\n"
			    "class 11: \\xf0\n"
			    "class 12: \\xf1-\\xf3\n"
			    "class 13: \\xf4\n"
			    "state 0: dead\n"
			    "state 1: start; 2->2\n"
			    "state 2: 3->3\n"
			    "state 3: 0,3->4 2->5 7->6 8->7 9->8 10->9 11->10 12->11 13->12\n"
			    "state 4: accept {1}\n"
			    "state 5: accept {0,1}; 0,1,2,3,4,5,6,7,8,9,10,11,12,13->13\n"
			    "state 6: 4,5,6->4\n"
			    "state 7: 6->6\n"
			    "state 8: 4,5,6->6\n"
			    "state 9: 4,5->6\n"
			    "state 10: 5,6->8\n"
			    "state 11: 4,5,6->8\n"
			    "state 12: 4->8\n"
			    "state 13: accept {0}, sink\n"
			    "accept set 1: {1}\n"
			    "accept set 2: {0,1}\n"
			    "accept set 3: {0}\n");
	strbuf_free(&sb);
	arena_free(arena);
}

/* The walk may stop in a sink: after /p/ anything goes with \C*. */
static void test_sink(void **state)
{
	struct arena *arena = arena_new();
	struct built b = build(arena, "/p/\\C*", 0), c = build(arena, "/p/.*", 0);
	uint32_t s = dfa_walk(b.dfa, b.dfa->start, (const uint8_t *)"/p/", 3);

	(void)state;
	assert_true(b.dfa->flags[s] & DFA_STATE_SINK);
	assert_int_not_equal(b.dfa->accept_of[s], 0);
	/* strict UTF-8: a later invalid byte still fails /p/.*, no sink */
	s = dfa_walk(c.dfa, c.dfa->start, (const uint8_t *)"/p/", 3);
	assert_false(c.dfa->flags[s] & DFA_STATE_SINK);
	assert_int_equal(dfa_state_width(b.dfa), 1);
	arena_free(arena);
}

/* Identical input, identical tables, whatever the arena. */
static void test_deterministic(void **state)
{
	struct arena *a1 = arena_new(), *a2 = arena_new();
	struct strbuf s1 = STRBUF_INIT, s2 = STRBUF_INIT;

	(void)state;
	for (size_t i = 0; i < N_PATTERNS; i++) {
		struct built x = build(a1, patterns[i].pattern, patterns[i].flags);
		struct built y = build(a2, patterns[i].pattern, patterns[i].flags);

		assert_true(dfa_equal(x.dfa, y.dfa));
		dfa_dump(x.dfa, &s1);
		dfa_dump(y.dfa, &s2);
	}
	assert_string_equal(strbuf_cstr(&s1), strbuf_cstr(&s2));
	strbuf_free(&s1);
	strbuf_free(&s2);
	arena_free(a1);
	arena_free(a2);
}

struct dns_case {
	bool pattern; /* matchPattern, else matchName */
	const char *in;
	const char *regex;
};

static const struct dns_case dns_cases[] = {
	{true, "*.example.com", "^[-a-zA-Z0-9_]*[.]example[.]com[.]$"},
	{true, "**.example.com", "^([-a-zA-Z0-9_]+([.][-a-zA-Z0-9_]+)*)[.]example[.]com[.]$"},
	{true, "*", "(^([-a-zA-Z0-9_]+[.])+$)|(^[.]$)"},
	{true, "**.", "(^([-a-zA-Z0-9_]+[.])+$)|(^[.]$)"},
	{true, " Example.COM. ", "^example[.]com[.]$"},
	{true, "api-**.svc", "^api-[-a-zA-Z0-9_]*[.]svc[.]$"},
	{false, "www.Example.com", "^www[.]example[.]com[.]$"},
	{false, "example.com.", "^example[.]com[.]$"},
};

struct dns_match {
	const char *pattern;
	const char *name;
	bool match;
};

static const struct dns_match dns_matches[] = {
	{"*.example.com", "foo.example.com.", true},
	{"*.example.com", "FOO.Example.COM.", true},
	{"*.example.com", "a.b.example.com.", false},
	{"*.example.com", "example.com.", false},
	{"**.example.com", "a.b.example.com.", true},
	{"**.example.com", "x.example.com.", true},
	{"**.example.com", "example.com.", false},
	{"*", "anything.at.all.", true},
	{"*", ".", true},
	{"*", "no-dot", false},
};

static void test_dns(void **state)
{
	struct arena *arena = arena_new();
	struct regex_error err;
	char *re;

	(void)state;
	for (size_t i = 0; i < sizeof(dns_cases) / sizeof(dns_cases[0]); i++) {
		const struct dns_case *c = &dns_cases[i];
		int rc = c->pattern ? regex_from_dns_pattern(arena, c->in, strlen(c->in), &re, &err)
				    : regex_from_dns_name(arena, c->in, strlen(c->in), &re, &err);

		assert_int_equal(rc, 0);
		assert_string_equal(re, c->regex);
	}
	for (size_t i = 0; i < sizeof(dns_matches) / sizeof(dns_matches[0]); i++) {
		const struct dns_match *m = &dns_matches[i];

		assert_int_equal(regex_from_dns_pattern(arena, m->pattern, strlen(m->pattern), &re,
							&err),
				 0);
		if (matches(arena, re, REGEX_ICASE_ASCII, m->name) != m->match)
			fail_msg("matchPattern %s on %s: expected %s", m->pattern, m->name,
				 m->match ? "a match" : "no match");
	}
	assert_int_equal(regex_from_dns_pattern(arena, "a/b", 3, &re, &err), -EINVAL);
	assert_int_equal(err.column, 2);
	assert_int_equal(regex_from_dns_name(arena, "a*b", 3, &re, &err), -EINVAL);
	assert_int_equal(err.column, 2);
	arena_free(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_agreement),
		cmocka_unit_test(test_expectations),
		cmocka_unit_test(test_minimal_and_canonical),
		cmocka_unit_test(test_equivalent_regexes_identical),
		cmocka_unit_test(test_combined_accept_sets),
		cmocka_unit_test(test_many_regexes),
		cmocka_unit_test(test_no_regex),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_sink),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_dns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
