/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Thompson construction: regex trees to one NFA over bytes. Each regex
 * ends in an NFA_MATCH state carrying its index; a chain of splits joins
 * the regexes at one start state, so the subset construction builds the
 * union with per-regex acceptance.
 *
 * Fragments are built back to front, each given the state to continue
 * with, so no patch lists are needed; classes become UTF-8 byte-range
 * sequences sharing their common suffixes. The state count is computed
 * exactly before anything is built, so an oversized {m,n} nest is refused
 * with its real size instead of being built up to the limit.
 */
#include <errno.h>

#include "grammar/regex_int.h"

/* ---- classes: UTF-8 byte-range sequences -------------------------------- */

/* A byte-range state already built for this class: reused as a suffix. */
struct suffix {
	uint8_t lo, hi;
	uint32_t out, state;
};

struct class_emit {
	struct nfa *nfa;
	struct arena *scratch;
	uint32_t next;
	VEC(struct suffix) suffixes;
	VEC(uint32_t) heads;
	uint64_t count; /* states a dry run would add */
	bool dry;
};

static int nfa_add(struct arena *scratch, struct nfa *nfa, struct nfa_state st, uint32_t *id)
{
	if (vec_push(scratch, &nfa->vec, st))
		return -ENOMEM;
	*id = nfa->vec.len - 1;
	return 0;
}

static int class_state(struct class_emit *ce, uint8_t lo, uint8_t hi, uint32_t out, uint32_t *id)
{
	vec_foreach(&ce->suffixes, s) {
		if (s->lo == lo && s->hi == hi && s->out == out) {
			*id = s->state;
			return 0;
		}
	}
	if (ce->dry) {
		*id = ce->suffixes.len + 1; /* any id not used as `next` */
	} else if (nfa_add(ce->scratch, ce->nfa,
			   (struct nfa_state){.kind = NFA_BYTE, .lo = lo, .hi = hi, .out = out}, id)) {
		return -ENOMEM;
	}
	ce->count++;
	return vec_push(ce->scratch, &ce->suffixes, ((struct suffix){lo, hi, out, *id}));
}

static int class_seq(const struct utf8_seq *seq, void *arg)
{
	struct class_emit *ce = arg;
	uint32_t tail = ce->dry ? 0 : ce->next;

	for (int i = seq->len - 1; i >= 0; i--) {
		int err = class_state(ce, seq->lo[i], seq->hi[i], tail, &tail);

		if (err)
			return err;
	}
	vec_foreach(&ce->heads, h) {
		if (*h == tail)
			return 0;
	}
	return vec_push(ce->scratch, &ce->heads, tail);
}

/* States for a class: byte ranges, plus splits to join the heads. */
static int class_emit(struct arena *scratch, struct nfa *nfa, const struct regex_node *node,
		      uint32_t next, bool dry, uint64_t *count, uint32_t *start)
{
	struct class_emit ce = {.nfa = nfa, .scratch = scratch, .next = next, .dry = dry};
	int err;

	err = utf8_sequences(node->cls.ranges, node->cls.n, class_seq, &ce);
	if (err)
		return err;
	if (ce.heads.len == 0) {
		/* the empty set: a state nothing leaves */
		*count = 1;
		return dry ? 0 : nfa_add(scratch, nfa, (struct nfa_state){.kind = NFA_FAIL}, start);
	}
	*count = ce.count + ce.heads.len - 1;
	if (dry)
		return 0;
	*start = ce.heads.items[ce.heads.len - 1];
	for (size_t i = ce.heads.len - 1; i-- > 0;) {
		err = nfa_add(scratch, nfa,
			      (struct nfa_state){.kind = NFA_SPLIT, .out = ce.heads.items[i],
						 .out1 = *start},
			      start);
		if (err)
			return err;
	}
	return 0;
}

/* ---- size ------------------------------------------------------------------- */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Exactly the number of states emit() adds for node. */
static int count_states(struct arena *scratch, const struct regex_node *node, uint64_t *count)
{
	uint64_t sub, total;
	int err;

	switch (node->kind) {
	case REGEX_NODE_EMPTY:
		*count = 0;
		return 0;
	case REGEX_NODE_CLASS:
		return class_emit(scratch, NULL, node, 0, true, count, NULL);
	case REGEX_NODE_ANY_BYTE:
	case REGEX_NODE_BEGIN:
	case REGEX_NODE_END:
		*count = 1;
		return 0;
	case REGEX_NODE_CONCAT:
	case REGEX_NODE_ALT:
		total = node->kind == REGEX_NODE_ALT ? node->list.n - 1 : 0;
		for (uint32_t i = 0; i < node->list.n; i++) {
			err = count_states(scratch, node->list.subs[i], &sub);
			if (err)
				return err;
			total = sat_add(total, sub);
		}
		*count = total;
		return 0;
	case REGEX_NODE_REPEAT:
		err = count_states(scratch, node->rep.sub, &sub);
		if (err)
			return err;
		if (node->rep.max == REGEX_REPEAT_INF)
			/* one loop copy with its split, min - 1 more copies */
			total = sat_add(sat_mul(sub, node->rep.min ? node->rep.min : 1), 1);
		else
			/* min copies, then max - min optional copies with a split each */
			total = sat_add(sat_mul(sub, node->rep.max), node->rep.max - node->rep.min);
		*count = total;
		return 0;
	}
	return -EINVAL;
}

/* ---- construction ------------------------------------------------------------- */

static int emit(struct arena *scratch, struct nfa *nfa, const struct regex_node *node,
		uint32_t next, uint32_t *start);

static int emit_split(struct arena *scratch, struct nfa *nfa, uint32_t out, uint32_t out1,
		      uint32_t *id)
{
	return nfa_add(scratch, nfa, (struct nfa_state){.kind = NFA_SPLIT, .out = out, .out1 = out1},
		       id);
}

static int emit_repeat(struct arena *scratch, struct nfa *nfa, const struct regex_node *node,
		       uint32_t next, uint32_t *start)
{
	const struct regex_node *sub = node->rep.sub;
	uint32_t cur = next, loop, body;
	int err;

	if (node->rep.max == REGEX_REPEAT_INF) {
		/* loop: split -> (sub -> split) | next */
		err = emit_split(scratch, nfa, 0, next, &loop);
		err = err ?: emit(scratch, nfa, sub, loop, &body);
		if (err)
			return err;
		nfa->vec.items[loop].out = body;
		cur = node->rep.min ? body : loop;
		for (uint32_t i = 1; i < node->rep.min; i++) {
			err = emit(scratch, nfa, sub, cur, &cur);
			if (err)
				return err;
		}
		*start = cur;
		return 0;
	}
	/* (sub (sub (sub)?)?)? for the optional copies, innermost first */
	for (uint32_t i = node->rep.min; i < node->rep.max; i++) {
		err = emit(scratch, nfa, sub, cur, &body);
		err = err ?: emit_split(scratch, nfa, body, next, &cur);
		if (err)
			return err;
	}
	for (uint32_t i = 0; i < node->rep.min; i++) {
		err = emit(scratch, nfa, sub, cur, &cur);
		if (err)
			return err;
	}
	*start = cur;
	return 0;
}

static int emit(struct arena *scratch, struct nfa *nfa, const struct regex_node *node,
		uint32_t next, uint32_t *start)
{
	uint64_t unused;
	int err;

	switch (node->kind) {
	case REGEX_NODE_EMPTY:
		*start = next;
		return 0;
	case REGEX_NODE_CLASS:
		return class_emit(scratch, nfa, node, next, false, &unused, start);
	case REGEX_NODE_ANY_BYTE:
		return nfa_add(scratch, nfa,
			       (struct nfa_state){.kind = NFA_BYTE, .lo = 0, .hi = 0xff, .out = next},
			       start);
	case REGEX_NODE_BEGIN:
	case REGEX_NODE_END:
		return nfa_add(scratch, nfa,
			       (struct nfa_state){
				       .kind = node->kind == REGEX_NODE_BEGIN ? NFA_BEGIN : NFA_END,
				       .out = next},
			       start);
	case REGEX_NODE_CONCAT:
		for (uint32_t i = node->list.n; i-- > 0;) {
			err = emit(scratch, nfa, node->list.subs[i], next, &next);
			if (err)
				return err;
		}
		*start = next;
		return 0;
	case REGEX_NODE_ALT:
		err = emit(scratch, nfa, node->list.subs[node->list.n - 1], next, start);
		for (uint32_t i = node->list.n - 1; !err && i-- > 0;) {
			uint32_t head;

			err = emit(scratch, nfa, node->list.subs[i], next, &head);
			err = err ?: emit_split(scratch, nfa, head, *start, start);
		}
		return err;
	case REGEX_NODE_REPEAT:
		return emit_repeat(scratch, nfa, node, next, start);
	}
	return -EINVAL;
}

int nfa_build(struct arena *scratch, const struct regex_ast *const *res, size_t n,
	      uint32_t max_states, struct nfa *out, struct regex_error *err)
{
	struct nfa nfa = {0};
	uint64_t total = n ? n - 1 : 0; /* the joining splits */
	uint32_t start = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		uint64_t count;

		rc = count_states(scratch, res[i]->root, &count);
		if (rc) {
			regex_error_setf(err, rc, (int32_t)i, "out of memory");
			return rc;
		}
		count = sat_add(count, 1); /* NFA_MATCH */
		if (count > max_states) {
			regex_error_setf(err, -E2BIG, (int32_t)i,
					 "regex too complex: %llu NFA states > limit %u",
					 (unsigned long long)count, max_states);
			return -E2BIG;
		}
		total = sat_add(total, count);
	}
	if (total > max_states) {
		regex_error_setf(err, -E2BIG, -1,
				 "regexes too complex together: %llu NFA states > limit %u",
				 (unsigned long long)total, max_states);
		return -E2BIG;
	}
	/* back to front, so that the start chain is built last */
	for (size_t i = n; i-- > 0;) {
		uint32_t match, head;

		rc = nfa_add(scratch, &nfa,
			     (struct nfa_state){.kind = NFA_MATCH, .out = (uint32_t)i}, &match);
		rc = rc ?: emit(scratch, &nfa, res[i]->root, match, &head);
		if (!rc && i == n - 1)
			start = head;
		else if (!rc)
			rc = emit_split(scratch, &nfa, head, start, &start);
		if (rc) {
			regex_error_setf(err, rc, (int32_t)i, "out of memory");
			return rc;
		}
	}
	if (n == 0) {
		rc = nfa_add(scratch, &nfa, (struct nfa_state){.kind = NFA_FAIL}, &start);
		if (rc) {
			regex_error_setf(err, rc, -1, "out of memory");
			return rc;
		}
	}
	nfa.start = start;
	*out = nfa;
	return 0;
}
