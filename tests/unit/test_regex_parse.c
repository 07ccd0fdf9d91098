/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Regex scanner and parser (grammar/regex.l, regex.y): what each accepted
 * construct parses to, and that each rejected one is refused with a message
 * naming it and the column and span of the construct.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "grammar/regex.h"

struct parse_case {
	const char *pattern;
	unsigned flags;
	const char *tree;
};

#define DOT_RANGES "\\x00-\\x09\\x0b-\\x{d7ff}\\x{e000}-\\x{10ffff}"
#define ALL_RANGES "\\x00-\\x{d7ff}\\x{e000}-\\x{10ffff}"

static const struct parse_case accepted[] = {
	{"", 0, "(empty)"},
	{"a", 0, "'a'"},
	{"abc", 0, "(cat 'a' 'b' 'c')"},
	{"a|b", 0, "(alt 'a' 'b')"},
	{"a|", 0, "(alt 'a' (empty))"},
	{"a||b", 0, "(alt 'a' (empty) 'b')"},
	{"()", 0, "(empty)"},
	{"(a)(b)", 0, "(cat 'a' 'b')"},
	{"(?:ab)+", 0, "(+ (cat 'a' 'b'))"},
	{"a*", 0, "(* 'a')"},
	{"a*?", 0, "(* 'a')"},
	{"a+?b??", 0, "(cat (+ 'a') (? 'b'))"},
	{"a{2}", 0, "({2} 'a')"},
	{"a{2,}", 0, "({2,} 'a')"},
	{"a{2,5}?", 0, "({2,5} 'a')"},
	{"a{0,1}", 0, "(? 'a')"},
	{"a{1}", 0, "'a'"},
	{"a{0}b", 0, "(cat (empty) 'b')"},
	{"a{,3}", 0, "(cat 'a' '{' ',' '3' '}')"},
	{"a{01}", 0, "(cat 'a' '{' '0' '1' '}')"},
	{"{", 0, "'{'"},
	{"a}]", 0, "(cat 'a' '}' '\\x5d')"},
	{".", 0, "[" DOT_RANGES "]"},
	{"(?s).", 0, "[" ALL_RANGES "]"},
	{".", REGEX_DOTNL, "[" ALL_RANGES "]"},
	{"(?s:.).", 0, "(cat [" ALL_RANGES "] [" DOT_RANGES "])"},
	{"[a-c]", 0, "[a-c]"},
	{"[a-cx]", 0, "[a-cx]"},
	{"[^a]", 0, "[\\x00-`b-\\x{d7ff}\\x{e000}-\\x{10ffff}]"},
	{"[]a]", 0, "[\\x5da]"},
	{"[^]a]", 0, "[\\x00-\\x5c\\x5e-`b-\\x{d7ff}\\x{e000}-\\x{10ffff}]"},
	{"[a-]", 0, "[\\x2da]"},
	{"[-a]", 0, "[\\x2da]"},
	{"[a\\-z]", 0, "[\\x2daz]"},
	{"[a-b-c]", 0, "[\\x2da-c]"},
	{"[--/]", 0, "[\\x2d-/]"},
	{"[-[:alpha:]]", 0, "[\\x2dA-Za-z]"},
	{"[\\d-z]", 0, "[\\x2d0-9z]"},
	{"[a-c-e]", 0, "[\\x2da-ce]"},
	{"[]-a]", 0, "[\\x5d-a]"},
	{"[\\d]", 0, "[0-9]"},
	{"\\d", 0, "[0-9]"},
	{"\\w", 0, "[0-9A-Z_a-z]"},
	{"\\s", 0, "[\\x09-\\x0a\\x0c-\\x0d\\x20]"},
	{"\\D", 0, "[\\x00-/:-\\x{d7ff}\\x{e000}-\\x{10ffff}]"},
	{"[\\d\\s]", 0, "[\\x09-\\x0a\\x0c-\\x0d\\x200-9]"},
	{"[\\w-]", 0, "[\\x2d0-9A-Z_a-z]"},
	{"[[:alpha:]]", 0, "[A-Za-z]"},
	{"[[:^alpha:]0]", 0, "[\\x00-@\\x5b-`{-\\x{d7ff}\\x{e000}-\\x{10ffff}]"},
	{"[[:xdigit:]]", 0, "[0-9A-Fa-f]"},
	{"[[:word:][:space:]]", 0, "[\\x09-\\x0d\\x200-9A-Z_a-z]"},
	{"[[:a]", 0, "[:\\x5ba]"},
	{"(?i)a", 0, "[Aa]"},
	{"ab", REGEX_ICASE, "(cat [Aa] [Bb])"},
	{"(?i)ab(?-i)c", 0, "(cat [Aa] [Bb] 'c')"},
	{"a(?i:b)c", 0, "(cat 'a' [Bb] 'c')"},
	{"(a(?i)b|c)d", 0, "(cat (alt (cat 'a' [Bb]) [Cc]) 'd')"},
	{"(?i)k", 0, "[Kk\\x{212a}]"},
	{"(?i)s", 0, "[Ss\\x{17f}]"},
	{"(?i)\\x{212a}", 0, "[Kk\\x{212a}]"},
	{"k", REGEX_ICASE_ASCII, "[Kk]"},
	{"(?i)k", REGEX_ICASE_ASCII, "[Kk]"},
	{"\xc3\xa9", REGEX_ICASE_ASCII, "'\\xe9'"},
	{"(?i)[a-c]", 0, "[A-Ca-c]"},
	{"(?i)[^k]", 0, "[\\x00-JL-jl-\\x{2129}\\x{212b}-\\x{d7ff}\\x{e000}-\\x{10ffff}]"},
	{"(?i)\\W", 0, "[\\x00-/:-@\\x5b-\\x5e`{-\\x{17e}\\x{180}-\\x{2129}\\x{212b}-\\x{d7ff}"
		       "\\x{e000}-\\x{10ffff}]"},
	{"(?i)[[:upper:]]", 0, "[A-Za-z\\x{17f}\\x{212a}]"},
	{"\\x41\\x{42}\\101\\0\\08", 0, "(cat 'A' 'B' 'A' '\\x00' '\\x00' '8')"},
	{"\\t\\n\\r\\f\\v\\a", 0, "(cat '\\x09' '\\x0a' '\\x0d' '\\x0c' '\\x0b' '\\x07')"},
	{"\\.\\/\\\\\\-\\_\\ ", 0, "(cat '.' '/' '\\x5c' '\\x2d' '_' '\\x20')"},
	{"\\Qa.b\\E.", 0, "(cat 'a' '.' 'b' [" DOT_RANGES "])"},
	{"\\Qa\\b", 0, "(cat 'a' '\\x5c' 'b')"},
	{"\\Qab\\E*", 0, "(cat 'a' (* 'b'))"},
	{"^a$", 0, "(cat (begin) 'a' (end))"},
	{"\\Aa\\z", 0, "(cat (begin) 'a' (end))"},
	{"(^|/)x", 0, "(cat (alt (begin) '/') 'x')"},
	{"^*", 0, "(* (begin))"},
	{"\\C+", 0, "(+ (byte))"},
	{"\xc3\xa9\xe2\x82\xac", 0, "(cat '\\xe9' '\\x{20ac}')"},
	{"[\xc3\xa0-\xc3\xbf]", 0, "[\\xe0-\\xff]"},
	{"(?P<name>a)(?<other_1>b)", 0, "(cat 'a' 'b')"},
	{"(?P<n>a)(?P<n>b)", 0, "(cat 'a' 'b')"},
	{"[.-[:punct:]]", 0, "(cat [.-\\x5bcnpt-u] '\\x5d')"},
	{"a(?i)*", 0, "(* 'a')"},
	{"(?U)a*", 0, "(* 'a')"},
	{"(?)a", 0, "'a'"},
	{"(?i-s:a.)", 0, "(cat [Aa] [" DOT_RANGES "])"},
	{"a.b*", REGEX_LITERAL, "(cat 'a' '.' 'b' '*')"},
	{"Ab", REGEX_LITERAL | REGEX_ICASE, "(cat [Aa] [Bb])"},
	{"", REGEX_LITERAL, "(empty)"},
	{"/api/v[0-9]+/users/[^/]+", 0,
	 "(cat '/' 'a' 'p' 'i' '/' 'v' (+ [0-9]) '/' 'u' 's' 'e' 'r' 's' '/' "
	 "(+ [\\x00-.0-\\x{d7ff}\\x{e000}-\\x{10ffff}]))"},
	{"[\\x{d800}-\\x{dfff}]", 0, "[]"},
};

static void test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const struct parse_case *c = &accepted[i];
		struct arena *arena = arena_new();
		struct strbuf sb = STRBUF_INIT;
		struct regex_error err;
		struct regex_ast *ast = NULL;
		int rc = regex_parse(arena, c->pattern, strlen(c->pattern), c->flags, &ast, &err);

		if (rc)
			fail_msg("/%s/: unexpected error at column %u: %s", c->pattern, err.column,
				 err.message);
		regex_ast_dump(ast, &sb);
		if (strcmp(strbuf_cstr(&sb), c->tree))
			fail_msg("/%s/:\n  got      %s\n  expected %s", c->pattern, strbuf_cstr(&sb),
				 c->tree);
		strbuf_free(&sb);
		arena_free(arena);
	}
}

struct error_case {
	const char *pattern;
	unsigned flags;
	uint32_t column, len;
	const char *message; /* a substring of it */
};

static const struct error_case rejected[] = {
	{"a**", 0, 2, 2, "invalid nested repetition operator **"},
	{"a*?+", 0, 2, 3, "invalid nested repetition operator *?+"},
	{"a{2}{3}", 0, 2, 6, "invalid nested repetition operator {2}{3}"},
	{"*a", 0, 1, 1, "missing argument to repetition operator *"},
	{"a|*", 0, 3, 1, "missing argument to repetition operator *"},
	{"(*)", 0, 2, 1, "missing argument"},
	{"(?i)+", 0, 5, 1, "missing argument"},
	{"a++", 0, 2, 2, "possessive quantifier ++ is not supported"},
	{"(a", 0, 1, 1, "missing ')'"},
	{"x(?:a|(b)", 0, 2, 3, "missing ')'"},
	{"a)", 0, 2, 1, "unmatched ')'"},
	{"[a", 0, 1, 1, "missing ']'"},
	{"x[^a-", 0, 2, 2, "missing ']'"},
	{"[]", 0, 1, 1, "missing ']'"},
	{"[z-a]", 0, 2, 3, "invalid character class range z-a"},
	{"[a-\\d]", 0, 2, 4, "invalid character class range a-\\d"},
	{"\\1", 0, 1, 2, "backreference \\1 is not supported"},
	{"(a)\\1", 0, 4, 2, "backreference \\1"},
	{"\\k<n>", 0, 1, 2, "backreference \\k"},
	{"(?=a)", 0, 1, 3, "lookahead assertion (?=...) is not supported"},
	{"a(?!b)", 0, 2, 3, "negative lookahead"},
	{"(?<=a)", 0, 1, 4, "lookbehind assertion"},
	{"(?<!a)", 0, 1, 4, "negative lookbehind"},
	{"(?>a)", 0, 1, 3, "atomic group"},
	{"(?#c)", 0, 1, 3, "comment group"},
	{"(?|a)", 0, 1, 3, "branch reset"},
	{"(?(1)a)", 0, 1, 3, "conditional"},
	{"(?R)", 0, 1, 4, "recursion (?R)"},
	{"(?1)", 0, 1, 4, "recursion (?1)"},
	{"(?", 0, 1, 2, "invalid group syntax"},
	{"x\\b", 0, 2, 2, "word boundary assertion \\b is not supported"},
	{"\\B", 0, 1, 2, "word boundary assertion \\B"},
	{"\\pL", 0, 1, 3, "Unicode character class \\pL is not supported"},
	{"a\\p{Greek}", 0, 2, 9, "Unicode character class \\p{Greek}"},
	{"[a\\PN]", 0, 3, 3, "Unicode character class \\PN"},
	{"(?m)^a", 0, 1, 4, "multi-line mode (?m) is not supported"},
	{"(?x)a", 0, 1, 4, "unknown flag 'x' in (?x)"},
	{"(?i-)a", 0, 1, 5, "'-' without a flag"},
	{"(?-i-s)a", 0, 1, 7, "more than one '-'"},
	{"(?P<>a)", 0, 1, 4, "invalid named capture group"},
	{"(?P<a-b>x)", 0, 1, 4, "invalid named capture group"},
	{"(?'n'a)", 0, 1, 3, "(?'name') is not supported"},
	{"(?P=n)", 0, 1, 4, "named backreference"},
	{"(?P>n)", 0, 1, 4, "subroutine call"},
	{"a{1001}", 0, 2, 6, "exceeds the maximum of 1000"},
	{"a{2,1001}", 0, 2, 8, "exceeds the maximum of 1000"},
	{"a{99999999999999999999}", 0, 2, 22, "exceeds the maximum"},
	{"a{3,2}", 0, 2, 5, "minimum exceeds maximum"},
	{"\\x4", 0, 1, 3, "invalid hexadecimal escape \\x4"},
	{"\\xg0", 0, 1, 2, "invalid hexadecimal escape"},
	{"\\x{}", 0, 1, 3, "invalid hexadecimal escape"},
	{"\\x{110000}", 0, 1, 10, "beyond U+10FFFF"},
	{"\\u00e9", 0, 1, 2, "\\u escapes are not supported"},
	{"\\q", 0, 1, 2, "invalid escape sequence \\q"},
	{"\\8", 0, 1, 2, "backreference \\8"},
	{"ab\\", 0, 3, 1, "trailing backslash"},
	{"\\Z", 0, 1, 2, "\\Z is not supported"},
	{"\\G", 0, 1, 2, "\\G is not supported"},
	{"\\E", 0, 1, 2, "\\E without a preceding \\Q"},
	{"[\\A]", 0, 2, 2, "\\A is not allowed in a character class"},
	{"[\\b]", 0, 2, 2, "not supported in a character class"},
	{"[[:foo:]]", 0, 2, 7, "unknown POSIX class [:foo:]"},
	{"a\xff", 0, 2, 1, "invalid UTF-8"},
	{"[\xc3]", 0, 2, 1, "invalid UTF-8"},
	{"\xed\xa0\x80", 0, 1, 1, "invalid UTF-8"},
	{"\\\xc3\xa9", 0, 1, 3, "invalid escape sequence"},
	{"\xc3\xa9\xc3\xa9\\b", 0, 3, 2, "word boundary"},
	{"(?i)\xc3\xa9", 0, 5, 2, "non-ASCII characters (U+00E9)"},
	{"(?i)[a\xc3\xa0-\xc3\xbf]", 0, 7, 5, "non-ASCII characters (U+00E0)"},
	{"\xc3\xa9", REGEX_ICASE, 1, 2, "case-insensitive"},
	{"a\xff", REGEX_LITERAL, 2, 1, "invalid UTF-8"},
};

static void test_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		const struct error_case *c = &rejected[i];
		struct arena *arena = arena_new();
		struct regex_error err;
		struct regex_ast *ast = NULL;
		int rc = regex_parse(arena, c->pattern, strlen(c->pattern), c->flags, &ast, &err);

		if (rc == 0)
			fail_msg("/%s/: accepted, expected \"%s\"", c->pattern, c->message);
		if (rc != -EINVAL || err.code != rc)
			fail_msg("/%s/: rc %d code %d", c->pattern, rc, err.code);
		if (!strstr(err.message, c->message) || err.column != c->column ||
		    err.len != c->len)
			fail_msg("/%s/: got column %u len %u \"%s\", expected column %u len %u \"%s\"",
				 c->pattern, err.column, err.len, err.message, c->column, c->len,
				 c->message);
		assert_null(ast);
		arena_free(arena);
	}
}

/* The column counts characters, the offset bytes. */
static void test_column_counts_characters(void **state)
{
	struct arena *arena = arena_new();
	struct regex_error err;
	struct regex_ast *ast;
	const char *p = "/caf\xc3\xa9/(?=x)";

	(void)state;
	assert_int_equal(regex_parse(arena, p, strlen(p), 0, &ast, &err), -EINVAL);
	assert_int_equal(err.offset, 7);
	assert_int_equal(err.column, 7);
	assert_int_equal(err.len, 3);
	assert_int_equal(err.index, -1);
	arena_free(arena);
}

static void test_nesting_limit(void **state)
{
	char deep[2 * REGEX_MAX_NESTING + 8];
	struct arena *arena = arena_new();
	struct regex_error err;
	struct regex_ast *ast;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < REGEX_MAX_NESTING; i++)
		deep[n++] = '(';
	for (int i = 0; i < REGEX_MAX_NESTING; i++)
		deep[n++] = ')';
	assert_int_equal(regex_parse(arena, deep, n, 0, &ast, &err), 0);

	n = 0;
	for (int i = 0; i <= REGEX_MAX_NESTING; i++)
		deep[n++] = '(';
	for (int i = 0; i <= REGEX_MAX_NESTING; i++)
		deep[n++] = ')';
	assert_int_equal(regex_parse(arena, deep, n, 0, &ast, &err), -EINVAL);
	assert_non_null(strstr(err.message, "nest deeper than 1000"));
	assert_int_equal(err.column, REGEX_MAX_NESTING + 1);
	arena_free(arena);
}

/* NUL bytes are literals; the pattern need not be NUL-terminated. */
static void test_embedded_nul(void **state)
{
	struct arena *arena = arena_new();
	struct strbuf sb = STRBUF_INIT;
	struct regex_ast *ast;
	const char p[] = {'a', 0, 'b', '*', '!'};

	(void)state;
	assert_int_equal(regex_parse(arena, p, 4, 0, &ast, NULL), 0);
	regex_ast_dump(ast, &sb);
	assert_string_equal(strbuf_cstr(&sb), "(cat 'a' '\\x00' (* 'b'))");
	strbuf_free(&sb);
	arena_free(arena);
}

/* A failed parse leaves *out alone and works without an error record. */
static void test_out_untouched(void **state)
{
	struct arena *arena = arena_new();
	struct regex_ast *ast = (struct regex_ast *)0x1;

	(void)state;
	assert_int_equal(regex_parse(arena, "(", 1, 0, &ast, NULL), -EINVAL);
	assert_ptr_equal(ast, (struct regex_ast *)0x1);
	arena_free(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_column_counts_characters),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_out_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
