/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Code point sets for the regex parser: the items of a bracket class, the
 * Perl and POSIX named classes, negation and case folding. Sets are ranges
 * over [0, U+10FFFF]; the parser turns a finished set into a CLASS node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/regex_int.h"

struct cpset *cpset_new(void)
{
	struct cpset *set = calloc(1, sizeof(*set));

	if (set)
		set->normal = true;
	return set;
}

void cpset_free(struct cpset *set)
{
	if (!set)
		return;
	free(set->r);
	free(set);
}

int cpset_add(struct cpset *set, uint32_t lo, uint32_t hi)
{
	if (lo > hi)
		return 0;
	if (set->n == set->cap) {
		uint32_t cap = set->cap ? set->cap * 2 : 8;
		struct regex_range *r = realloc(set->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		set->r = r;
		set->cap = cap;
	}
	if (set->n && set->normal && set->r[set->n - 1].hi + 1 < lo)
		; /* still sorted and apart */
	else if (set->n)
		set->normal = false;
	set->r[set->n++] = (struct regex_range){lo, hi};
	return 0;
}

int cpset_add_set(struct cpset *set, const struct cpset *other)
{
	for (uint32_t i = 0; i < other->n; i++) {
		int err = cpset_add(set, other->r[i].lo, other->r[i].hi);

		if (err)
			return err;
	}
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct regex_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

void cpset_normalize(struct cpset *set)
{
	uint32_t out = 0;

	if (set->normal)
		return;
	qsort(set->r, set->n, sizeof(*set->r), range_cmp);
	for (uint32_t i = 0; i < set->n; i++) {
		if (out && set->r[i].lo <= set->r[out - 1].hi + 1) {
			if (set->r[i].hi > set->r[out - 1].hi)
				set->r[out - 1].hi = set->r[i].hi;
			continue;
		}
		set->r[out++] = set->r[i];
	}
	set->n = out;
	set->normal = true;
}

int cpset_negate(struct cpset *set)
{
	struct cpset neg = {.normal = true};
	uint32_t next = 0;
	int err = 0;

	cpset_normalize(set);
	for (uint32_t i = 0; i < set->n && !err; i++) {
		if (set->r[i].lo > next)
			err = cpset_add(&neg, next, set->r[i].lo - 1);
		next = set->r[i].hi + 1;
	}
	if (!err && next <= REGEX_CP_MAX)
		err = cpset_add(&neg, next, REGEX_CP_MAX);
	if (err) {
		free(neg.r);
		return err;
	}
	free(set->r);
	*set = neg;
	set->normal = true;
	return 0;
}

int cpset_remove(struct cpset *set, uint32_t lo, uint32_t hi)
{
	struct cpset out = {.normal = true};
	int err = 0;

	cpset_normalize(set);
	for (uint32_t i = 0; i < set->n && !err; i++) {
		struct regex_range r = set->r[i];

		if (r.hi < lo || r.lo > hi) {
			err = cpset_add(&out, r.lo, r.hi);
			continue;
		}
		if (r.lo < lo)
			err = cpset_add(&out, r.lo, lo - 1);
		if (!err && r.hi > hi)
			err = cpset_add(&out, hi + 1, r.hi);
	}
	if (err) {
		free(out.r);
		return err;
	}
	free(set->r);
	*set = out;
	set->normal = true;
	return 0;
}

static bool cpset_has(const struct cpset *set, uint32_t cp)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (set->r[i].lo <= cp && cp <= set->r[i].hi)
			return true;
	return false;
}

/*
 * The Unicode simple case folding orbits that involve ASCII: a-z with A-Z,
 * plus k K U+212A (KELVIN SIGN) and s S U+017F (LATIN SMALL LETTER LONG S).
 * No other code point folds to ASCII, so for sets built from ASCII items
 * (and the complements of those) this is the whole of RE2's (?i).
 */
#define CP_LONG_S 0x017Fu
#define CP_KELVIN 0x212Au

bool regex_fold_unknown(uint32_t lo, uint32_t hi)
{
	uint32_t known = 0;

	if (lo < 0x80)
		lo = 0x80;
	if (lo > hi)
		return false;
	known += lo <= CP_LONG_S && CP_LONG_S <= hi;
	known += lo <= CP_KELVIN && CP_KELVIN <= hi;
	return hi - lo + 1 > known;
}

int cpset_fold(struct cpset *set, enum regex_fold fold)
{
	bool k, s, kelvin, long_s;
	uint32_t n;
	int err = 0;

	if (fold == FOLD_NONE)
		return 0;
	cpset_normalize(set);
	kelvin = fold == FOLD_UNICODE && cpset_has(set, CP_KELVIN);
	long_s = fold == FOLD_UNICODE && cpset_has(set, CP_LONG_S);
	n = set->n;
	for (uint32_t i = 0; i < n && !err; i++) {
		uint32_t lo = set->r[i].lo, hi = set->r[i].hi;
		uint32_t a, b;

		/* upper-case part -> lower case, lower-case part -> upper */
		a = lo > 'A' ? lo : 'A';
		b = hi < 'Z' ? hi : 'Z';
		if (a <= b)
			err = cpset_add(set, a + 32, b + 32);
		a = lo > 'a' ? lo : 'a';
		b = hi < 'z' ? hi : 'z';
		if (!err && a <= b)
			err = cpset_add(set, a - 32, b - 32);
	}
	if (err)
		return err;
	cpset_normalize(set);
	k = cpset_has(set, 'k') || kelvin;
	s = cpset_has(set, 's') || long_s;
	if (fold == FOLD_UNICODE && k)
		err = cpset_add(set, 'k', 'k') ?: cpset_add(set, 'K', 'K') ?:
			cpset_add(set, CP_KELVIN, CP_KELVIN);
	if (!err && fold == FOLD_UNICODE && s)
		err = cpset_add(set, 's', 's') ?: cpset_add(set, 'S', 'S') ?:
			cpset_add(set, CP_LONG_S, CP_LONG_S);
	cpset_normalize(set);
	return err;
}

/* ---- named classes (ASCII only in RE2, as here) ------------------------ */

#define R(lo, hi) {(lo), (hi)}
static const struct regex_range cls_digit[] = {R('0', '9')};
static const struct regex_range cls_space_perl[] = {R('\t', '\n'), R('\f', '\r'), R(' ', ' ')};
static const struct regex_range cls_word[] = {R('0', '9'), R('A', 'Z'), R('_', '_'),
					      R('a', 'z')};
static const struct regex_range cls_alnum[] = {R('0', '9'), R('A', 'Z'), R('a', 'z')};
static const struct regex_range cls_alpha[] = {R('A', 'Z'), R('a', 'z')};
static const struct regex_range cls_ascii[] = {R(0x00, 0x7f)};
static const struct regex_range cls_blank[] = {R('\t', '\t'), R(' ', ' ')};
static const struct regex_range cls_cntrl[] = {R(0x00, 0x1f), R(0x7f, 0x7f)};
static const struct regex_range cls_graph[] = {R('!', '~')};
static const struct regex_range cls_lower[] = {R('a', 'z')};
static const struct regex_range cls_print[] = {R(' ', '~')};
static const struct regex_range cls_punct[] = {R('!', '/'), R(':', '@'), R('[', '`'),
					       R('{', '~')};
static const struct regex_range cls_space[] = {R('\t', '\r'), R(' ', ' ')};
static const struct regex_range cls_upper[] = {R('A', 'Z')};
static const struct regex_range cls_xdigit[] = {R('0', '9'), R('A', 'F'), R('a', 'f')};
#undef R

#define CLS(name, table) {name, table, sizeof(table) / sizeof(table[0])}
static const struct regex_named_class named_classes[] = {
	/* Perl: indexes 0-2, looked up by letter */
	CLS("\\d", cls_digit),
	CLS("\\s", cls_space_perl),
	CLS("\\w", cls_word),
	/* POSIX */
	CLS("alnum", cls_alnum),
	CLS("alpha", cls_alpha),
	CLS("ascii", cls_ascii),
	CLS("blank", cls_blank),
	CLS("cntrl", cls_cntrl),
	CLS("digit", cls_digit),
	CLS("graph", cls_graph),
	CLS("lower", cls_lower),
	CLS("print", cls_print),
	CLS("punct", cls_punct),
	CLS("space", cls_space),
	CLS("upper", cls_upper),
	CLS("word", cls_word),
	CLS("xdigit", cls_xdigit),
};
#undef CLS

#define N_NAMED (int)(sizeof(named_classes) / sizeof(named_classes[0]))
#define FIRST_POSIX 3

int regex_perl_class(char letter)
{
	switch (letter) {
	case 'd':
	case 'D':
		return 0;
	case 's':
	case 'S':
		return 1;
	case 'w':
	case 'W':
		return 2;
	default:
		return -1;
	}
}

int regex_posix_class(const char *name, size_t len)
{
	for (int i = FIRST_POSIX; i < N_NAMED; i++) {
		if (strlen(named_classes[i].name) == len && !memcmp(named_classes[i].name, name, len))
			return i;
	}
	return -1;
}

const struct regex_named_class *regex_named_class_get(int id)
{
	return id >= 0 && id < N_NAMED ? &named_classes[id] : NULL;
}
