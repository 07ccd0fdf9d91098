/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Subset construction: the Thompson NFA of a regex set to a complete DFA
 * over byte intervals, and dfa_build(), the whole pipeline.
 *
 * A DFA state is the set of byte-consuming NFA states reachable without
 * input, plus the set of regexes that match if the input ends there. The
 * assertions are resolved here: ^ (NFA_BEGIN) can be crossed only in the
 * closure of the start state; $ (NFA_END) only on the way to a match, so
 * whatever follows it cannot consume a byte. States are numbered in the
 * order they are found, breadth first, classes in byte order, so the
 * result is deterministic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/regex_int.h"

struct subset {
	struct arena *scratch;
	const struct nfa *nfa;
	uint32_t k, words, max_states;
	uint64_t steps, max_steps;
	uint8_t iclass[256];

	/* state keys: n_ids, ids (sorted), accept bits as 2 * words uint32 */
	VEC(uint32_t) pool;
	VEC(uint32_t) key_off;
	VEC(uint32_t) next; /* n * k */

	uint32_t *table; /* open addressing, state + 1, 0 = free */
	uint32_t table_mask;

	/* closure scratch */
	uint32_t *mark, *mark_end, epoch;
	uint32_t *acc; /* accept bits of the closure, 2 * words */
	VEC(uint32_t) stack;
	VEC(uint32_t) ends;
	VEC(uint32_t) key;
	VEC(uint32_t) seeds;
	VEC(uint32_t) seed_off;
};

static uint32_t n_states(const struct subset *ss)
{
	return ss->key_off.len;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Keys hold the ids of a set in the order the closure found them, so the
 * hash must not depend on the order (and the ids need no sorting).
 */
static uint64_t hash_key(const struct subset *ss, const uint32_t *key)
{
	uint64_t h = 0;

	for (uint32_t i = 1; i <= key[0]; i++)
		h += mix(key[i]);
	h = mix(h ^ key[0]);
	for (uint32_t w = 0; w < 2 * ss->words; w++)
		h = mix(h ^ key[1 + key[0] + w]);
	return h;
}

/* Whether the stored key is the set the last closure marked. */
static bool is_current(const struct subset *ss, const uint32_t *other)
{
	const uint32_t *key = ss->key.items;

	if (other[0] != key[0] ||
	    memcmp(other + 1 + other[0], key + 1 + key[0], 2 * ss->words * sizeof(*key)))
		return false;
	for (uint32_t i = 1; i <= other[0]; i++)
		if (ss->mark[other[i]] != ss->epoch)
			return false;
	return true;
}

static int grow_table(struct subset *ss)
{
	uint32_t cap = (ss->table_mask + 1) * 2;
	uint32_t *table = arena_calloc(ss->scratch, cap, sizeof(*table));

	if (!table)
		return -ENOMEM;
	for (uint32_t s = 0; s < n_states(ss); s++) {
		const uint32_t *key = ss->pool.items + ss->key_off.items[s];
		uint32_t h = hash_key(ss, key) & (cap - 1);

		while (table[h])
			h = (h + 1) & (cap - 1);
		table[h] = s + 1;
	}
	ss->table = table;
	ss->table_mask = cap - 1;
	return 0;
}

/*
 * The state of ss->key (the set the last closure marked in ss->mark under
 * ss->epoch), made if new; -E2BIG past the limit.
 */
static int intern(struct subset *ss, uint32_t *state)
{
	const uint32_t *key = ss->key.items;
	size_t len = ss->key.len;
	uint32_t h = hash_key(ss, key) & ss->table_mask;
	uint32_t off;

	while (ss->table[h]) {
		uint32_t s = ss->table[h] - 1;
		const uint32_t *other = ss->pool.items + ss->key_off.items[s];

		if (is_current(ss, other)) {
			*state = s;
			return 0;
		}
		h = (h + 1) & ss->table_mask;
	}
	if (n_states(ss) >= ss->max_states)
		return -E2BIG;
	off = ss->pool.len;
	for (size_t i = 0; i < len; i++) {
		if (vec_push(ss->scratch, &ss->pool, key[i]))
			return -ENOMEM;
	}
	if (vec_push(ss->scratch, &ss->key_off, off))
		return -ENOMEM;
	for (uint32_t c = 0; c < ss->k; c++) {
		if (vec_push(ss->scratch, &ss->next, 0))
			return -ENOMEM;
	}
	*state = n_states(ss) - 1;
	ss->table[h] = *state + 1;
	if (n_states(ss) * 2 > ss->table_mask + 1)
		return grow_table(ss);
	return 0;
}

static int push(struct subset *ss, uint32_t s)
{
	return vec_push(ss->scratch, &ss->stack, s);
}

/*
 * The state for the epsilon closure of seeds: byte states in the key, and
 * the regexes whose NFA_MATCH is reachable if the input ends here. A path
 * to a match may cross NFA_END (which blocks everything else): the first
 * walk notes where such crossings lead, the second goes on from there.
 */
static int closure(struct subset *ss, const uint32_t *seeds, size_t n_seeds, bool at_start,
		   uint32_t *state)
{
	const struct nfa_state *st = ss->nfa->vec.items;
	int err = 0;

	ss->key.len = 0;
	ss->ends.len = 0;
	memset(ss->acc, 0, 2 * ss->words * sizeof(*ss->acc));
	if (vec_push(ss->scratch, &ss->key, 0))
		return -ENOMEM;
	ss->stack.len = 0;
	for (size_t i = 0; i < n_seeds && !err; i++)
		err = push(ss, seeds[i]);
	ss->epoch++;
	while (ss->stack.len && !err) {
		uint32_t s = ss->stack.items[--ss->stack.len];

		if (ss->mark[s] == ss->epoch)
			continue;
		ss->mark[s] = ss->epoch;
		ss->steps++;
		switch (st[s].kind) {
		case NFA_BYTE:
			err = vec_push(ss->scratch, &ss->key, s);
			break;
		case NFA_SPLIT:
			err = push(ss, st[s].out1) ?: push(ss, st[s].out);
			break;
		case NFA_EPS:
			err = push(ss, st[s].out);
			break;
		case NFA_BEGIN:
			err = at_start ? push(ss, st[s].out) : 0;
			break;
		case NFA_END:
			err = vec_push(ss->scratch, &ss->ends, st[s].out);
			break;
		case NFA_MATCH:
			ss->acc[st[s].out / 32] |= 1u << (st[s].out % 32);
			break;
		case NFA_FAIL:
			break;
		}
	}
	/* second walk: only what lies beyond an NFA_END, at the end of input
	 * (its own marks: intern() reads the first walk's) */
	ss->stack.len = 0;
	for (size_t i = 0; i < ss->ends.len && !err; i++)
		err = push(ss, ss->ends.items[i]);
	while (ss->stack.len && !err) {
		uint32_t s = ss->stack.items[--ss->stack.len];

		if (ss->mark_end[s] == ss->epoch)
			continue;
		ss->mark_end[s] = ss->epoch;
		ss->steps++;
		switch (st[s].kind) {
		case NFA_SPLIT:
			err = push(ss, st[s].out1) ?: push(ss, st[s].out);
			break;
		case NFA_EPS:
		case NFA_END:
			err = push(ss, st[s].out);
			break;
		case NFA_BEGIN:
			err = at_start ? push(ss, st[s].out) : 0;
			break;
		case NFA_MATCH:
			ss->acc[st[s].out / 32] |= 1u << (st[s].out % 32);
			break;
		case NFA_BYTE:
		case NFA_FAIL:
			break;
		}
	}
	if (err)
		return -ENOMEM;
	if (ss->steps > ss->max_steps)
		return -ETIME;
	ss->key.items[0] = ss->key.len - 1;
	for (uint32_t w = 0; w < 2 * ss->words; w++) {
		if (vec_push(ss->scratch, &ss->key, ss->acc[w]))
			return -ENOMEM;
	}
	return intern(ss, state);
}

/* Byte intervals: bytes no NFA range tells apart share one. */
static void intervals(struct subset *ss)
{
	bool cut[257] = {false};
	uint32_t k = 0;

	for (size_t i = 0; i < ss->nfa->vec.len; i++) {
		const struct nfa_state *st = &ss->nfa->vec.items[i];

		if (st->kind == NFA_BYTE) {
			cut[st->lo] = true;
			cut[st->hi + 1] = true;
		}
	}
	for (unsigned b = 0; b < 256; b++) {
		if (b && cut[b])
			k++;
		ss->iclass[b] = k;
	}
	ss->k = k + 1;
}

/* Targets of the byte states of `state`, grouped by interval. */
static int bucket(struct subset *ss, uint32_t state)
{
	const struct nfa_state *st = ss->nfa->vec.items;
	const uint32_t *key = ss->pool.items + ss->key_off.items[state];
	uint32_t *count;
	size_t total = 0;

	ss->seed_off.len = 0;
	for (uint32_t c = 0; c <= ss->k; c++) {
		if (vec_push(ss->scratch, &ss->seed_off, 0))
			return -ENOMEM;
	}
	count = ss->seed_off.items;
	for (uint32_t i = 1; i <= key[0]; i++) {
		const struct nfa_state *s = &st[key[i]];

		for (uint32_t c = ss->iclass[s->lo]; c <= ss->iclass[s->hi]; c++)
			count[c + 1]++;
	}
	for (uint32_t c = 0; c < ss->k; c++)
		count[c + 1] += count[c];
	total = count[ss->k];
	ss->seeds.len = 0;
	while (ss->seeds.len < total) {
		if (vec_push(ss->scratch, &ss->seeds, 0))
			return -ENOMEM;
	}
	/* fill, then shift back: count[c] ends as the start of c */
	key = ss->pool.items + ss->key_off.items[state];
	count = ss->seed_off.items;
	for (uint32_t i = 1; i <= key[0]; i++) {
		const struct nfa_state *s = &st[key[i]];

		for (uint32_t c = ss->iclass[s->lo]; c <= ss->iclass[s->hi]; c++)
			ss->seeds.items[count[c]++] = s->out;
	}
	for (uint32_t c = ss->k; c > 0; c--)
		count[c] = count[c - 1];
	count[0] = 0;
	return 0;
}

int dfa_subset(struct arena *scratch, const struct nfa *nfa, uint32_t n_regexes,
	       const struct dfa_limits *limits, struct dfa_raw *out, struct regex_error *err)
{
	struct subset ss = {
		.scratch = scratch,
		.nfa = nfa,
		.words = n_regexes ? (n_regexes + 63) / 64 : 1,
		.max_states = limits->max_dfa_states,
		.max_steps = limits->max_steps,
	};
	uint32_t max_states = limits->max_dfa_states;
	uint32_t state;
	int rc;

	intervals(&ss);
	ss.table_mask = 63;
	ss.table = arena_calloc(scratch, ss.table_mask + 1, sizeof(*ss.table));
	ss.mark = arena_calloc(scratch, nfa->vec.len ? nfa->vec.len : 1, sizeof(*ss.mark));
	ss.mark_end = arena_calloc(scratch, nfa->vec.len ? nfa->vec.len : 1, sizeof(*ss.mark));
	ss.acc = arena_calloc(scratch, 2 * ss.words, sizeof(*ss.acc));
	if (!ss.table || !ss.mark || !ss.mark_end || !ss.acc)
		goto nomem;

	/* state 0: the empty set, the dead state */
	ss.key.len = 0;
	if (vec_push(scratch, &ss.key, 0))
		goto nomem;
	for (uint32_t w = 0; w < 2 * ss.words; w++) {
		if (vec_push(scratch, &ss.key, 0))
			goto nomem;
	}
	rc = intern(&ss, &state);
	rc = rc ?: closure(&ss, &nfa->start, 1, true, &out->start);

	for (uint32_t s = 0; !rc && s < n_states(&ss); s++) {
		rc = bucket(&ss, s);
		for (uint32_t c = 0; !rc && c < ss.k; c++) {
			const uint32_t *off = ss.seed_off.items;
			size_t n = off[c + 1] - off[c];

			if (n == 0) {
				state = 0;
			} else if (c && n == off[c] - off[c - 1] &&
				   !memcmp(ss.seeds.items + off[c], ss.seeds.items + off[c - 1],
					   n * sizeof(uint32_t))) {
				/* same targets as the interval before: same state */
				state = ss.next.items[s * ss.k + c - 1];
			} else {
				rc = closure(&ss, ss.seeds.items + off[c], n, false, &state);
			}
			if (!rc)
				ss.next.items[s * ss.k + c] = state;
		}
	}
	if (rc == -E2BIG) {
		regex_error_setf(err, -E2BIG, n_regexes == 1 ? 0 : -1,
				 "regex too complex: DFA needs more than %u states (limit)",
				 max_states);
		return rc;
	}
	if (rc == -ETIME) {
		regex_error_setf(err, -E2BIG, n_regexes == 1 ? 0 : -1,
				 "regex too complex: DFA construction needs more than %llu steps "
				 "(limit)",
				 (unsigned long long)ss.max_steps);
		return -E2BIG;
	}
	if (rc)
		goto nomem;

	out->n = n_states(&ss);
	out->k = ss.k;
	out->words = ss.words;
	memcpy(out->iclass, ss.iclass, sizeof(out->iclass));
	out->next = ss.next.items;
	out->acc = arena_calloc(scratch, (size_t)out->n * ss.words, sizeof(uint64_t));
	if (!out->acc)
		goto nomem;
	for (uint32_t s = 0; s < out->n; s++) {
		const uint32_t *key = ss.pool.items + ss.key_off.items[s];
		const uint32_t *acc = key + 1 + key[0];

		for (uint32_t w = 0; w < ss.words; w++)
			out->acc[(size_t)s * ss.words + w] =
				acc[2 * w] | (uint64_t)acc[2 * w + 1] << 32;
	}
	return 0;
nomem:
	regex_error_setf(err, -ENOMEM, -1, "out of memory");
	return -ENOMEM;
}

/* ---- the pipeline ------------------------------------------------------- */

int dfa_build(struct arena *arena, const struct regex_ast *const *res, size_t n,
	      const struct dfa_limits *limits, struct dfa **out, struct regex_error *err)
{
	struct dfa_limits lim = {DFA_DEFAULT_MAX_NFA_STATES, DFA_DEFAULT_MAX_DFA_STATES,
				 DFA_DEFAULT_MAX_STEPS};
	struct regex_error scratch_err;
	struct arena *scratch;
	struct dfa_raw raw;
	struct nfa nfa;
	int rc;

	if (!err)
		err = &scratch_err;
	memset(err, 0, sizeof(*err));
	err->index = -1;
	if (limits) {
		lim = *limits;
		if (!lim.max_nfa_states)
			lim.max_nfa_states = DFA_DEFAULT_MAX_NFA_STATES;
		if (!lim.max_dfa_states)
			lim.max_dfa_states = DFA_DEFAULT_MAX_DFA_STATES;
		if (!lim.max_steps)
			lim.max_steps = DFA_DEFAULT_MAX_STEPS;
	}
	if (n > UINT32_MAX / 2) {
		regex_error_setf(err, -E2BIG, -1, "too many regexes");
		return -E2BIG;
	}
	/* The automata are temporaries: only the result goes to the arena. */
	scratch = arena_new();
	if (!scratch) {
		regex_error_setf(err, -ENOMEM, -1, "out of memory");
		return -ENOMEM;
	}
	rc = nfa_build(scratch, res, n, lim.max_nfa_states, &nfa, err);
	rc = rc ?: dfa_subset(scratch, &nfa, n, &lim, &raw, err);
	if (!rc) {
		rc = dfa_minimize(scratch, arena, &raw, n, out);
		if (rc)
			regex_error_setf(err, rc, -1, "out of memory");
	}
	arena_free(scratch);
	return rc;
}

int regex_compile(struct arena *arena, const char *pattern, size_t len, unsigned flags,
		  const struct dfa_limits *limits, struct dfa **out, struct regex_error *err)
{
	struct regex_ast *ast;
	int rc = regex_parse(arena, pattern, len, flags, &ast, err);

	if (rc)
		return rc;
	return dfa_build(arena, (const struct regex_ast *const *)&ast, 1, limits, out, err);
}
