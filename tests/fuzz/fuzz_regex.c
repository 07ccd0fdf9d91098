/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Fuzz target for the regex compiler (grammar/regex*): any byte string is a
 * pattern (first byte: flags). It must parse or fail with an error inside
 * the pattern, never crash or leak; what parses and builds within small
 * limits must match exactly what the reference backtracking matcher of the
 * unit tests matches, on the pattern itself and on samples of its language.
 *
 *   make fuzz && build/fuzz/fuzz_regex -dict=tests/fuzz/regex.dict corpus/
 */
#include <stdio.h>
#include <stdlib.h>

#include "regex_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct regex_ast *ast, const struct dfa *d, const uint8_t *s, size_t n)
{
	int want = ref_match(ast, s, n);

	if (want >= 0 && want != (dfa_match(d, s, n) != 0)) {
		fprintf(stderr, "DFA and reference disagree (reference %d)\n", want);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dfa_limits limits = {.max_nfa_states = 5000, .max_dfa_states = 500};
	struct arena *arena;
	struct regex_error err;
	struct regex_ast *ast;
	struct dfa *d;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0] & (REGEX_ICASE | REGEX_ICASE_ASCII | REGEX_DOTNL | REGEX_LITERAL);
	data++;
	size--;
	arena = arena_new();
	if (!arena)
		return 0;
	if (regex_parse(arena, (const char *)data, size, flags, &ast, &err)) {
		if (err.offset > size || err.offset + err.len > size || !err.message[0])
			abort();
		goto out;
	}
	if (dfa_build(arena, (const struct regex_ast *const *)&ast, 1, &limits, &d, &err))
		goto out;
	if (d->start && d->start != 1)
		abort();
	check(ast, d, data, size);
	{
		struct ref_rng rng = {0x1234567 + size};

		for (int i = 0; i < 16; i++) {
			struct ref_str s = {.n = 0};

			ref_sample(&rng, ast->root, &s);
			check(ast, d, s.b, s.n);
			if (size) {
				ref_mutate(&rng, &s, data, size);
				check(ast, d, s.b, s.n);
			}
		}
	}
out:
	arena_free(arena);
	return 0;
}
