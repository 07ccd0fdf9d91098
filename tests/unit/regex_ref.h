/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test helpers for the regex compiler: a backtracking matcher over the
 * parsed tree, written without any of the automata code (it decodes UTF-8
 * and tests set membership instead of walking byte ranges), so the DFA can
 * be checked against it; and generators of test strings for a regex.
 */
#ifndef POLC_TESTS_REGEX_REF_H
#define POLC_TESTS_REGEX_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "grammar/regex.h"

/* ---- the reference matcher ------------------------------------------- */

struct ref_ctx {
	const uint8_t *s;
	size_t n;
	unsigned long steps, budget; /* exceeded: the answer is unknown */
};

enum ref_kind { REF_CONCAT, REF_REPEAT };

/* What is left to match after the current node: a stack of frames. */
struct ref_k {
	enum ref_kind kind;
	const struct regex_node *node;
	uint32_t i;   /* REF_CONCAT: next child; REF_REPEAT: copies done */
	size_t start; /* REF_REPEAT: where the last copy began, SIZE_MAX before one */
	const struct ref_k *next;
};

/* Strict UTF-8: the length of the scalar value at s, or 0. */
static inline unsigned ref_utf8(const uint8_t *s, size_t n, uint32_t *cp)
{
	unsigned len;
	uint32_t c;

	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (unsigned i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* shortest form only, scalar values only */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static inline bool ref_in_class(const struct regex_node *node, uint32_t cp)
{
	for (uint32_t i = 0; i < node->cls.n; i++)
		if (node->cls.ranges[i].lo <= cp && cp <= node->cls.ranges[i].hi)
			return true;
	return false;
}

static bool ref_node(struct ref_ctx *c, const struct regex_node *node, size_t pos,
		     const struct ref_k *k);

static bool ref_cont(struct ref_ctx *c, size_t pos, const struct ref_k *k)
{
	if (++c->steps > c->budget)
		return false;
	if (!k)
		return pos == c->n;
	if (k->kind == REF_CONCAT) {
		struct ref_k f = *k;

		if (k->i == k->node->list.n)
			return ref_cont(c, pos, k->next);
		f.i = k->i + 1;
		return ref_node(c, k->node->list.subs[k->i], pos, &f);
	}
	/* REF_REPEAT: k->i copies matched, the last one from k->start */
	if (k->start != SIZE_MAX && k->start == pos && k->i > k->node->rep.min)
		return false; /* an empty copy past the minimum changes nothing */
	if (k->i < k->node->rep.max) {
		struct ref_k f = {REF_REPEAT, k->node, k->i + 1, pos, k->next};

		if (ref_node(c, k->node->rep.sub, pos, &f))
			return true;
	}
	return k->i >= k->node->rep.min && ref_cont(c, pos, k->next);
}

static bool ref_node(struct ref_ctx *c, const struct regex_node *node, size_t pos,
		     const struct ref_k *k)
{
	uint32_t cp;
	unsigned len;

	switch (node->kind) {
	case REGEX_NODE_EMPTY:
		return ref_cont(c, pos, k);
	case REGEX_NODE_CLASS:
		len = ref_utf8(c->s + pos, c->n - pos, &cp);
		return len && ref_in_class(node, cp) && ref_cont(c, pos + len, k);
	case REGEX_NODE_ANY_BYTE:
		return pos < c->n && ref_cont(c, pos + 1, k);
	case REGEX_NODE_BEGIN:
		return pos == 0 && ref_cont(c, pos, k);
	case REGEX_NODE_END:
		return pos == c->n && ref_cont(c, pos, k);
	case REGEX_NODE_CONCAT: {
		struct ref_k f = {REF_CONCAT, node, 1, 0, k};

		return ref_node(c, node->list.subs[0], pos, &f);
	}
	case REGEX_NODE_ALT:
		for (uint32_t i = 0; i < node->list.n; i++)
			if (ref_node(c, node->list.subs[i], pos, k))
				return true;
		return false;
	case REGEX_NODE_REPEAT: {
		struct ref_k f = {REF_REPEAT, node, 0, SIZE_MAX, k};

		return ref_cont(c, pos, &f);
	}
	}
	return false;
}

/* 1 match, 0 no match, -1 gave up (budget). */
static inline int ref_match(const struct regex_ast *ast, const uint8_t *s, size_t n)
{
	struct ref_ctx c = {s, n, 0, 2000000};
	bool m = ref_node(&c, ast->root, 0, NULL);

	return c.steps > c.budget ? -1 : m;
}

/* ---- strings to test with --------------------------------------------- */

struct ref_rng {
	uint64_t x;
};

static inline uint64_t ref_rand(struct ref_rng *r)
{
	r->x ^= r->x << 13;
	r->x ^= r->x >> 7;
	r->x ^= r->x << 17;
	return r->x;
}

static inline uint32_t ref_below(struct ref_rng *r, uint32_t n)
{
	return n ? (uint32_t)(ref_rand(r) % n) : 0;
}

#define REF_MAX_STR 64

struct ref_str {
	uint8_t b[REF_MAX_STR];
	size_t n;
};

static inline void ref_put(struct ref_str *s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n && s->n < REF_MAX_STR; i++)
		s->b[s->n++] = b[i];
}

static inline void ref_put_cp(struct ref_str *s, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = 0xc0 | cp >> 6;
		b[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | cp >> 12;
		b[1] = 0x80 | (cp >> 6 & 0x3f);
		b[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		b[0] = 0xf0 | cp >> 18;
		b[1] = 0x80 | (cp >> 12 & 0x3f);
		b[2] = 0x80 | (cp >> 6 & 0x3f);
		b[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	ref_put(s, b, n);
}

/* A random string of the language, mostly (assertions may fail it). */
static inline void ref_sample(struct ref_rng *r, const struct regex_node *node, struct ref_str *s)
{
	switch (node->kind) {
	case REGEX_NODE_EMPTY:
	case REGEX_NODE_BEGIN:
	case REGEX_NODE_END:
		return;
	case REGEX_NODE_CLASS: {
		const struct regex_range *rg;
		uint32_t span;

		if (!node->cls.n)
			return;
		rg = &node->cls.ranges[ref_below(r, node->cls.n)];
		span = rg->hi - rg->lo + 1;
		/* favour the ends of ranges, where the encodings change */
		switch (ref_below(r, 4)) {
		case 0:
			ref_put_cp(s, rg->lo);
			return;
		case 1:
			ref_put_cp(s, rg->hi);
			return;
		default:
			ref_put_cp(s, rg->lo + ref_below(r, span));
			return;
		}
	}
	case REGEX_NODE_ANY_BYTE: {
		uint8_t b = ref_rand(r);

		ref_put(s, &b, 1);
		return;
	}
	case REGEX_NODE_CONCAT:
		for (uint32_t i = 0; i < node->list.n; i++)
			ref_sample(r, node->list.subs[i], s);
		return;
	case REGEX_NODE_ALT:
		ref_sample(r, node->list.subs[ref_below(r, node->list.n)], s);
		return;
	case REGEX_NODE_REPEAT: {
		uint32_t max = node->rep.max == REGEX_REPEAT_INF ? node->rep.min + 3 : node->rep.max;
		uint32_t n;

		if (max > node->rep.min + 3)
			max = node->rep.min + 3;
		n = node->rep.min + ref_below(r, max - node->rep.min + 1);
		for (uint32_t i = 0; i < n && s->n < REF_MAX_STR; i++)
			ref_sample(r, node->rep.sub, s);
		return;
	}
	}
}

/* One byte deleted, inserted or replaced: the near misses. */
static inline void ref_mutate(struct ref_rng *r, struct ref_str *s, const uint8_t *alphabet,
			      size_t n_alpha)
{
	size_t at = ref_below(r, (uint32_t)s->n + 1);
	uint8_t b = alphabet[ref_below(r, (uint32_t)n_alpha)];

	switch (ref_below(r, 3)) {
	case 0:
		if (at < s->n) {
			memmove(s->b + at, s->b + at + 1, s->n - at - 1);
			s->n--;
		}
		return;
	case 1:
		if (s->n < REF_MAX_STR) {
			memmove(s->b + at + 1, s->b + at, s->n - at);
			s->b[at] = b;
			s->n++;
		}
		return;
	default:
		if (at < s->n)
			s->b[at] = b;
		return;
	}
}

/* Symbols for exhaustive strings: bytes at the edges of the classes of
 * the regex, plus characters of each UTF-8 length and broken encodings. */
struct ref_alphabet {
	struct {
		uint8_t b[4];
		uint8_t n;
	} sym[48];
	size_t n;
	uint8_t bytes[256]; /* every byte of every symbol */
	size_t n_bytes;
};

static inline void ref_alpha_add(struct ref_alphabet *a, const uint8_t *b, uint8_t n)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->sym[i].n == n && !memcmp(a->sym[i].b, b, n))
			return;
	if (a->n == sizeof(a->sym) / sizeof(a->sym[0]))
		return;
	memcpy(a->sym[a->n].b, b, n);
	a->sym[a->n++].n = n;
	for (uint8_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < a->n_bytes && !seen; j++)
			seen = a->bytes[j] == b[i];
		if (!seen)
			a->bytes[a->n_bytes++] = b[i];
	}
}

static inline void ref_alpha_cp(struct ref_alphabet *a, uint32_t cp)
{
	struct ref_str s = {.n = 0};

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return;
	ref_put_cp(&s, cp);
	ref_alpha_add(a, s.b, (uint8_t)s.n);
}

static inline void ref_alpha_walk(struct ref_alphabet *a, const struct regex_node *node)
{
	switch (node->kind) {
	case REGEX_NODE_CLASS:
		for (uint32_t i = 0; i < node->cls.n && i < 4; i++) {
			uint32_t lo = node->cls.ranges[i].lo, hi = node->cls.ranges[i].hi;

			ref_alpha_cp(a, lo);
			ref_alpha_cp(a, hi);
			if (lo)
				ref_alpha_cp(a, lo - 1);
			ref_alpha_cp(a, hi + 1);
		}
		return;
	case REGEX_NODE_CONCAT:
	case REGEX_NODE_ALT:
		for (uint32_t i = 0; i < node->list.n; i++)
			ref_alpha_walk(a, node->list.subs[i]);
		return;
	case REGEX_NODE_REPEAT:
		ref_alpha_walk(a, node->rep.sub);
		return;
	default:
		return;
	}
}

static inline void ref_alphabet(struct ref_alphabet *a, const struct regex_node *root)
{
	static const struct {
		uint8_t b[4];
		uint8_t n;
	} extra[] = {
		{{'a'}, 1},
		{{'/'}, 1},
		{{'\n'}, 1},
		{{0xc3, 0xa9}, 2},		/* é */
		{{0xe2, 0x84, 0xaa}, 3},	/* KELVIN SIGN */
		{{0xf0, 0x9f, 0x98, 0x80}, 4}, /* emoji */
		{{0x80}, 1},			/* stray continuation */
		{{0xc3}, 1},			/* truncated */
		{{0xff}, 1},			/* never valid */
		{{0xc0, 0xaf}, 2},		/* overlong '/' */
		{{0xed, 0xa0, 0x80}, 3},	/* surrogate */
	};

	memset(a, 0, sizeof(*a));
	ref_alpha_walk(a, root);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		ref_alpha_add(a, extra[i].b, extra[i].n);
}

#endif
