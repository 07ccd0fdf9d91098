/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The semantic actions of regex.y: building regex_node trees in the arena,
 * with case folding and `.` resolved into code point sets as the flags in
 * effect say, and the checks RE2 makes while parsing (repetition operands,
 * group nesting, capture names).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/regex_int.h"

static void oom(struct regex_parse_ctx *ctx, struct regex_loc loc)
{
	regex_fail(ctx, -ENOMEM, loc.begin, loc.end - loc.begin, "out of memory");
}

struct regex_node *regex_node_new(struct regex_parse_ctx *ctx, enum regex_node_kind kind,
				  struct regex_loc loc)
{
	struct regex_node *node = arena_alloc(ctx->arena, sizeof(*node));

	if (!node) {
		oom(ctx, loc);
		return NULL;
	}
	node->kind = kind;
	node->offset = loc.begin;
	node->len = loc.end - loc.begin;
	return node;
}

static enum regex_fold active_fold(const struct regex_parse_ctx *ctx)
{
	return ctx->flags & RXF_FOLD ? ctx->fold : FOLD_NONE;
}

/* Refuse to fold what has no known case orbit, naming it. */
static int check_foldable(struct regex_parse_ctx *ctx, uint32_t lo, uint32_t hi,
			  struct regex_loc loc)
{
	if (active_fold(ctx) != FOLD_UNICODE || !regex_fold_unknown(lo, hi))
		return 0;
	if (lo < 0x80)
		lo = 0x80;
	regex_fail(ctx, -EINVAL, loc.begin, loc.end - loc.begin,
		   "case-insensitive matching of non-ASCII characters (U+%04X) is not supported", lo);
	return -EINVAL;
}

/* The set, as the CLASS node of a finished atom; frees the set. */
struct regex_node *regex_node_class(struct regex_parse_ctx *ctx, struct cpset *set, bool negated,
				    struct regex_loc loc)
{
	struct regex_range *ranges = NULL;
	struct regex_node *node;
	int err;

	cpset_normalize(set);
	err = negated ? cpset_negate(set) : 0;
	/* Surrogates are not scalar values: no valid UTF-8 encodes them. */
	err = err ?: cpset_remove(set, 0xd800, 0xdfff);
	if (!err && set->n) {
		ranges = arena_calloc(ctx->arena, set->n, sizeof(*ranges));
		if (ranges)
			memcpy(ranges, set->r, set->n * sizeof(*ranges));
		else
			err = -ENOMEM;
	}
	node = err ? NULL : regex_node_new(ctx, REGEX_NODE_CLASS, loc);
	if (node) {
		node->cls.ranges = ranges;
		node->cls.n = set->n;
	}
	if (err)
		oom(ctx, loc);
	cpset_free(set);
	return node;
}

static struct cpset *new_set(struct regex_parse_ctx *ctx, struct regex_loc loc)
{
	struct cpset *set = cpset_new();

	if (!set)
		oom(ctx, loc);
	return set;
}

struct regex_node *regex_node_literal(struct regex_parse_ctx *ctx, uint32_t cp,
				      struct regex_loc loc)
{
	struct cpset *set;

	if (check_foldable(ctx, cp, cp, loc))
		return NULL;
	set = new_set(ctx, loc);
	if (!set)
		return NULL;
	if (cpset_add(set, cp, cp) || cpset_fold(set, active_fold(ctx))) {
		cpset_free(set);
		oom(ctx, loc);
		return NULL;
	}
	return regex_node_class(ctx, set, false, loc);
}

struct regex_node *regex_node_dot(struct regex_parse_ctx *ctx, struct regex_loc loc)
{
	struct cpset *set = new_set(ctx, loc);
	int err;

	if (!set)
		return NULL;
	if (ctx->flags & RXF_DOTNL)
		err = cpset_add(set, 0, REGEX_CP_MAX);
	else
		err = cpset_add(set, 0, '\n' - 1) ?: cpset_add(set, '\n' + 1, REGEX_CP_MAX);
	if (err) {
		cpset_free(set);
		oom(ctx, loc);
		return NULL;
	}
	return regex_node_class(ctx, set, false, loc);
}

/*
 * A named class as RE2 adds it: fold the positive class, then negate, so
 * (?i)\W excludes the Kelvin sign as well as k and K.
 */
static int named_set(struct regex_parse_ctx *ctx, struct cpset *set, struct regex_class_ref ref)
{
	const struct regex_named_class *named = regex_named_class_get(ref.id);
	int err = 0;

	for (uint32_t i = 0; named && i < named->n && !err; i++)
		err = cpset_add(set, named->ranges[i].lo, named->ranges[i].hi);
	err = err ?: cpset_fold(set, active_fold(ctx));
	if (!err && ref.negated)
		err = cpset_negate(set);
	return err;
}

struct regex_node *regex_node_named(struct regex_parse_ctx *ctx, struct regex_class_ref ref,
				    struct regex_loc loc)
{
	struct cpset *set = new_set(ctx, loc);

	if (!set)
		return NULL;
	if (named_set(ctx, set, ref)) {
		cpset_free(set);
		oom(ctx, loc);
		return NULL;
	}
	return regex_node_class(ctx, set, false, loc);
}

int regex_class_add_range(struct regex_parse_ctx *ctx, struct cpset *set, uint32_t lo, uint32_t hi,
			  struct regex_loc loc)
{
	struct cpset item = {.normal = true};
	int err;

	if (check_foldable(ctx, lo, hi, loc))
		return -EINVAL;
	err = cpset_add(&item, lo, hi) ?: cpset_fold(&item, active_fold(ctx)) ?:
		cpset_add_set(set, &item);
	free(item.r);
	if (err)
		oom(ctx, loc);
	return err;
}

int regex_class_add_named(struct regex_parse_ctx *ctx, struct cpset *set,
			  struct regex_class_ref ref, struct regex_loc loc)
{
	struct cpset item = {.normal = true};
	int err = named_set(ctx, &item, ref) ?: cpset_add_set(set, &item);

	free(item.r);
	if (err)
		oom(ctx, loc);
	return err;
}

/* ---- sequences ------------------------------------------------------------ */

struct regex_seq *regex_seq_new(struct regex_parse_ctx *ctx)
{
	struct regex_seq *seq = arena_alloc(ctx->arena, sizeof(*seq));

	if (!seq)
		oom(ctx, (struct regex_loc){ctx->pos, ctx->pos});
	return seq;
}

int regex_seq_push(struct regex_parse_ctx *ctx, struct regex_seq *seq, struct regex_node *node)
{
	if (vec_push(ctx->arena, &seq->items, node)) {
		oom(ctx, (struct regex_loc){node->offset, node->offset + node->len});
		return -ENOMEM;
	}
	seq->has_operand = true;
	seq->last_is_repeat = false;
	return 0;
}

int regex_seq_repeat(struct regex_parse_ctx *ctx, struct regex_seq *seq, struct regex_quant q,
		     struct regex_loc loc)
{
	const char *op = ctx->pattern + loc.begin;
	int op_len = loc.end - loc.begin;
	struct regex_node *sub, *node;

	if (!seq->has_operand) {
		regex_fail(ctx, -EINVAL, loc.begin, op_len,
			   "missing argument to repetition operator %.*s", op_len, op);
		return -EINVAL;
	}
	sub = seq->items.items[seq->items.len - 1];
	if (seq->last_is_repeat) {
		/* RE2: a** is an error, and a++ would be possessive in Perl. */
		uint32_t begin = seq->last_repeat_begin;

		regex_fail(ctx, -EINVAL, begin, loc.end - begin,
			   "invalid nested repetition operator %.*s", (int)(loc.end - begin),
			   ctx->pattern + begin);
		return -EINVAL;
	}
	if (q.min == 1 && q.max == 1) {
		node = sub;
	} else if (q.max == 0) {
		node = regex_node_new(ctx, REGEX_NODE_EMPTY,
				      (struct regex_loc){sub->offset, loc.end});
	} else {
		node = regex_node_new(ctx, REGEX_NODE_REPEAT,
				      (struct regex_loc){sub->offset, loc.end});
		if (node) {
			node->rep.sub = sub;
			node->rep.min = q.min;
			node->rep.max = q.max;
		}
	}
	if (!node)
		return -ENOMEM;
	seq->items.items[seq->items.len - 1] = node;
	seq->last_is_repeat = true;
	seq->last_repeat_begin = loc.begin;
	return 0;
}

void regex_seq_flags(struct regex_parse_ctx *ctx, struct regex_seq *seq,
		     struct regex_flag_change change)
{
	ctx->flags = (ctx->flags | change.set) & ~change.clear;
	/* As in RE2, a flag group is not an operand: a(?i)* repeats a. */
	seq->last_is_repeat = false;
}

static struct regex_node *collapse(struct regex_parse_ctx *ctx, struct regex_seq *seq,
				   enum regex_node_kind kind, struct regex_loc loc)
{
	struct regex_node *node;

	if (seq->items.len == 1)
		return seq->items.items[0];
	node = regex_node_new(ctx, seq->items.len ? kind : REGEX_NODE_EMPTY, loc);
	if (node && seq->items.len) {
		node->list.subs = seq->items.items;
		node->list.n = seq->items.len;
	}
	return node;
}

struct regex_node *regex_seq_concat(struct regex_parse_ctx *ctx, struct regex_seq *seq,
				    struct regex_loc loc)
{
	return collapse(ctx, seq, REGEX_NODE_CONCAT, loc);
}

struct regex_node *regex_seq_alt(struct regex_parse_ctx *ctx, struct regex_seq *seq,
				 struct regex_loc loc)
{
	return collapse(ctx, seq, REGEX_NODE_ALT, loc);
}

/* ---- groups ----------------------------------------------------------------- */

int regex_group_open(struct regex_parse_ctx *ctx, struct regex_group_open open,
		     struct regex_loc loc)
{
	if (ctx->depth >= REGEX_MAX_NESTING) {
		regex_fail(ctx, -EINVAL, loc.begin, loc.end - loc.begin,
			   "groups nest deeper than %d", REGEX_MAX_NESTING);
		return -EINVAL;
	}
	if (vec_push(ctx->arena, &ctx->saved, ctx->flags)) {
		oom(ctx, loc);
		return -ENOMEM;
	}
	ctx->depth++;
	ctx->flags = (ctx->flags | open.change.set) & ~open.change.clear;
	return 0;
}

void regex_group_close(struct regex_parse_ctx *ctx)
{
	ctx->flags = ctx->saved.items[--ctx->saved.len];
	ctx->depth--;
}
