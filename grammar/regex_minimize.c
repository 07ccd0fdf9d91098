/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Minimisation and canonical form: Hopcroft's partition refinement on the
 * subset DFA (initial blocks = states with the same accept set), then the
 * table the datapath gets: byte classes merged into the coarsest partition
 * the minimal DFA distinguishes, states renumbered breadth first from the
 * start with the dead state as 0, accept sets deduplicated. Equivalent
 * regex sets therefore give identical tables, which the tests use to check
 * minimality and the artifact relies on for byte-identical output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/regex_int.h"

struct refine {
	uint32_t n, k;
	uint32_t *elems, *loc, *blk;
	uint32_t *first, *end, *mid;
	uint32_t n_blocks;
	uint32_t *inv_off, *inv; /* (c * n + t) -> states s with next[s][c] = t */
	uint8_t *in_work;	 /* block * k + c */
	VEC(uint64_t) work;	 /* block << 32 | c */
	VEC(uint32_t) touched;
	VEC(uint32_t) tmp;
};

static int acc_cmp_raw(const struct dfa_raw *raw, uint32_t a, uint32_t b)
{
	return memcmp(raw->acc + (size_t)a * raw->words, raw->acc + (size_t)b * raw->words,
		      raw->words * sizeof(uint64_t));
}

static int by_accept(const void *x, const void *y, void *arg)
{
	const struct dfa_raw *raw = arg;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int c = acc_cmp_raw(raw, a, b);

	if (c)
		return c;
	return a < b ? -1 : a > b;
}

static int push_work(struct arena *scratch, struct refine *r, uint32_t b, uint32_t c)
{
	if (r->in_work[(size_t)b * r->k + c])
		return 0;
	r->in_work[(size_t)b * r->k + c] = 1;
	return vec_push(scratch, &r->work, (uint64_t)b << 32 | c);
}

static int refine_init(struct arena *scratch, struct refine *r, const struct dfa_raw *raw)
{
	uint32_t n = raw->n, k = raw->k;
	size_t nk = (size_t)n * k;

	r->n = n;
	r->k = k;
	r->elems = arena_calloc(scratch, n, sizeof(uint32_t));
	r->loc = arena_calloc(scratch, n, sizeof(uint32_t));
	r->blk = arena_calloc(scratch, n, sizeof(uint32_t));
	r->first = arena_calloc(scratch, n, sizeof(uint32_t));
	r->end = arena_calloc(scratch, n, sizeof(uint32_t));
	r->mid = arena_calloc(scratch, n, sizeof(uint32_t));
	r->inv_off = arena_calloc(scratch, nk + 1, sizeof(uint32_t));
	r->inv = arena_calloc(scratch, nk ? nk : 1, sizeof(uint32_t));
	r->in_work = arena_calloc(scratch, nk ? nk : 1, 1);
	if (!r->elems || !r->loc || !r->blk || !r->first || !r->end || !r->mid || !r->inv_off ||
	    !r->inv || !r->in_work)
		return -ENOMEM;

	/* inverse transitions, counting sort by (class, target) */
	for (uint32_t s = 0; s < n; s++)
		for (uint32_t c = 0; c < k; c++)
			r->inv_off[(size_t)c * n + raw->next[(size_t)s * k + c] + 1]++;
	for (size_t i = 0; i < nk; i++)
		r->inv_off[i + 1] += r->inv_off[i];
	for (uint32_t s = 0; s < n; s++)
		for (uint32_t c = 0; c < k; c++)
			r->inv[r->inv_off[(size_t)c * n + raw->next[(size_t)s * k + c]]++] = s;
	for (size_t i = nk; i > 0; i--)
		r->inv_off[i] = r->inv_off[i - 1];
	r->inv_off[0] = 0;

	/* initial blocks: one per accept set */
	for (uint32_t s = 0; s < n; s++)
		r->elems[s] = s;
	qsort_r(r->elems, n, sizeof(uint32_t), by_accept, (void *)raw);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = r->elems[i];

		if (i == 0 || acc_cmp_raw(raw, r->elems[i - 1], s)) {
			if (i)
				r->end[r->n_blocks - 1] = i;
			r->first[r->n_blocks] = r->mid[r->n_blocks] = i;
			r->n_blocks++;
		}
		r->loc[s] = i;
		r->blk[s] = r->n_blocks - 1;
	}
	r->end[r->n_blocks - 1] = n;
	return 0;
}

/* Split every block the preimage of (A, c) cuts. */
static int refine_split(struct arena *scratch, struct refine *r, uint32_t a, uint32_t c)
{
	int err;

	r->tmp.len = 0;
	for (uint32_t i = r->first[a]; i < r->end[a]; i++) {
		if (vec_push(scratch, &r->tmp, r->elems[i]))
			return -ENOMEM;
	}
	r->touched.len = 0;
	vec_foreach(&r->tmp, t) {
		size_t key = (size_t)c * r->n + *t;

		for (uint32_t i = r->inv_off[key]; i < r->inv_off[key + 1]; i++) {
			uint32_t s = r->inv[i], b = r->blk[s], at = r->loc[s], to = r->mid[b];

			if (at < to)
				continue; /* marked already */
			if (r->mid[b] == r->first[b] && vec_push(scratch, &r->touched, b))
				return -ENOMEM;
			r->elems[at] = r->elems[to];
			r->loc[r->elems[at]] = at;
			r->elems[to] = s;
			r->loc[s] = to;
			r->mid[b]++;
		}
	}
	vec_foreach(&r->touched, bp) {
		uint32_t b = *bp, z, lo, hi;

		if (r->mid[b] == r->end[b]) {
			r->mid[b] = r->first[b];
			continue;
		}
		/* the smaller half becomes the new block, the bigger keeps b */
		z = r->n_blocks++;
		if (r->mid[b] - r->first[b] <= r->end[b] - r->mid[b]) {
			lo = r->first[b];
			hi = r->mid[b];
			r->first[b] = hi;
		} else {
			lo = r->mid[b];
			hi = r->end[b];
			r->end[b] = lo;
		}
		r->mid[b] = r->first[b];
		r->first[z] = r->mid[z] = lo;
		r->end[z] = hi;
		for (uint32_t i = lo; i < hi; i++)
			r->blk[r->elems[i]] = z;
		for (uint32_t d = 0; d < r->k; d++) {
			err = push_work(scratch, r, z, d);
			if (err)
				return err;
		}
	}
	return 0;
}

static int hopcroft(struct arena *scratch, struct refine *r, const struct dfa_raw *raw)
{
	uint32_t largest = 0;
	int err = refine_init(scratch, r, raw);

	if (err)
		return err;
	/* every initial block but one: the last is implied by the others */
	for (uint32_t b = 1; b < r->n_blocks; b++)
		if (r->end[b] - r->first[b] > r->end[largest] - r->first[largest])
			largest = b;
	for (uint32_t b = 0; b < r->n_blocks; b++) {
		for (uint32_t c = 0; b != largest && c < r->k; c++) {
			err = push_work(scratch, r, b, c);
			if (err)
				return err;
		}
	}
	while (r->work.len) {
		uint64_t w = r->work.items[--r->work.len];
		uint32_t b = w >> 32, c = (uint32_t)w;

		r->in_work[(size_t)b * r->k + c] = 0;
		err = refine_split(scratch, r, b, c);
		if (err)
			return err;
	}
	return 0;
}

/* ---- canonical form ----------------------------------------------------- */

static uint64_t hash_words(const uint64_t *w, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < n; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

/* The id of accept set acc, numbered by first appearance; 0 is empty. */
static uint32_t accept_id(uint64_t *sets, uint32_t *n_sets, uint32_t *table, uint32_t mask,
			  const uint64_t *acc, uint32_t words)
{
	bool empty = true;
	uint32_t h;

	for (uint32_t w = 0; w < words; w++)
		empty = empty && !acc[w];
	if (empty)
		return 0;
	h = hash_words(acc, words) & mask;
	while (table[h]) {
		if (!memcmp(sets + (size_t)table[h] * words, acc, words * sizeof(*acc)))
			return table[h];
		h = (h + 1) & mask;
	}
	memcpy(sets + (size_t)*n_sets * words, acc, words * sizeof(*acc));
	table[h] = (*n_sets)++;
	return table[h];
}

int dfa_minimize(struct arena *scratch, struct arena *arena, const struct dfa_raw *raw,
		 uint32_t n_regexes, struct dfa **out)
{
	struct refine r = {0};
	uint32_t nb, k = raw->k, n_cls = 0, words = raw->words;
	uint32_t *rep, *qnext, *col_of, *cls_rep, *num, *order, *queue;
	uint64_t *col_hash;
	uint32_t head = 0, tail = 0, n_sets = 0, mask;
	uint32_t *table, *next, *accept_of;
	uint64_t *sets;
	uint8_t *flags;
	struct dfa *dfa;
	int err;

	err = hopcroft(scratch, &r, raw);
	if (err)
		return err;
	nb = r.n_blocks;

	/* quotient over intervals, each block represented by its smallest state */
	rep = arena_calloc(scratch, nb, sizeof(*rep));
	qnext = arena_calloc(scratch, (size_t)nb * k, sizeof(*qnext));
	if (!rep || !qnext)
		return -ENOMEM;
	for (uint32_t b = 0; b < nb; b++)
		rep[b] = UINT32_MAX;
	for (uint32_t s = 0; s < raw->n; s++)
		if (s < rep[r.blk[s]])
			rep[r.blk[s]] = s;
	for (uint32_t b = 0; b < nb; b++)
		for (uint32_t c = 0; c < k; c++)
			qnext[(size_t)b * k + c] = r.blk[raw->next[(size_t)rep[b] * k + c]];

	/* coarsest byte classes: intervals with equal columns, by first byte */
	col_of = arena_calloc(scratch, k, sizeof(*col_of));
	cls_rep = arena_calloc(scratch, k, sizeof(*cls_rep));
	col_hash = arena_calloc(scratch, k, sizeof(*col_hash));
	if (!col_of || !cls_rep || !col_hash)
		return -ENOMEM;
	for (uint32_t c = 0; c < k; c++) {
		uint32_t found = UINT32_MAX;

		for (uint32_t b = 0; b < nb; b++)
			col_hash[c] = col_hash[c] * 0x100000001b3ull ^ (qnext[(size_t)b * k + c] + 1);
		for (uint32_t C = 0; C < n_cls && found == UINT32_MAX; C++) {
			uint32_t d = cls_rep[C];
			bool same = col_hash[d] == col_hash[c];

			for (uint32_t b = 0; same && b < nb; b++)
				same = qnext[(size_t)b * k + c] == qnext[(size_t)b * k + d];
			if (same)
				found = C;
		}
		if (found == UINT32_MAX) {
			found = n_cls++;
			cls_rep[found] = c;
		}
		col_of[c] = found;
	}

	/* states: dead block 0, then breadth first from the start */
	num = arena_calloc(scratch, nb, sizeof(*num));
	order = arena_calloc(scratch, nb, sizeof(*order));
	queue = order;
	if (!num || !order)
		return -ENOMEM;
	for (uint32_t b = 0; b < nb; b++)
		num[b] = UINT32_MAX;
	num[r.blk[0]] = 0;
	order[tail++] = r.blk[0];
	head = 1;
	if (num[r.blk[raw->start]] == UINT32_MAX) {
		num[r.blk[raw->start]] = tail;
		queue[tail++] = r.blk[raw->start];
	}
	while (head < tail) {
		uint32_t b = queue[head++];

		for (uint32_t C = 0; C < n_cls; C++) {
			uint32_t t = qnext[(size_t)b * k + cls_rep[C]];

			if (num[t] == UINT32_MAX) {
				num[t] = tail;
				queue[tail++] = t;
			}
		}
	}
	/* Every subset state is reachable from the start; be safe anyway. */
	for (uint32_t b = 0; b < nb; b++) {
		if (num[b] == UINT32_MAX) {
			num[b] = tail;
			order[tail++] = b;
		}
	}

	/* the result, in the caller's arena */
	mask = 1;
	while (mask < 2 * nb)
		mask <<= 1;
	dfa = arena_alloc(arena, sizeof(*dfa));
	next = arena_calloc(arena, (size_t)nb * n_cls, sizeof(*next));
	accept_of = arena_calloc(arena, nb, sizeof(*accept_of));
	flags = arena_calloc(arena, nb, sizeof(*flags));
	table = arena_calloc(scratch, mask, sizeof(*table));
	sets = arena_calloc(scratch, (size_t)(nb + 1) * words, sizeof(*sets));
	if (!dfa || !next || !accept_of || !flags || !table || !sets)
		return -ENOMEM;
	n_sets = 1;
	for (uint32_t i = 0; i < nb; i++) {
		uint32_t b = order[i];
		bool sink = true;

		for (uint32_t C = 0; C < n_cls; C++) {
			uint32_t t = num[qnext[(size_t)b * k + cls_rep[C]]];

			next[(size_t)i * n_cls + C] = t;
			sink = sink && t == i;
		}
		flags[i] = sink ? DFA_STATE_SINK : 0;
		accept_of[i] = accept_id(sets, &n_sets, table, mask - 1,
					 raw->acc + (size_t)rep[b] * words, words);
	}
	dfa->accept_sets = arena_calloc(arena, (size_t)n_sets * words, sizeof(uint64_t));
	if (!dfa->accept_sets)
		return -ENOMEM;
	memcpy((uint64_t *)dfa->accept_sets, sets, (size_t)n_sets * words * sizeof(uint64_t));

	dfa->n_states = nb;
	dfa->n_classes = n_cls;
	dfa->start = num[r.blk[raw->start]];
	dfa->n_regexes = n_regexes;
	dfa->accept_words = words;
	dfa->n_accept_sets = n_sets;
	for (unsigned b = 0; b < 256; b++)
		dfa->class_of[b] = col_of[raw->iclass[b]];
	dfa->next = next;
	dfa->accept_of = accept_of;
	dfa->flags = flags;
	*out = dfa;
	return 0;
}
