/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Port classes: each protocol's port space is cut into intervals at every
 * range boundary, and intervals covered by exactly the same set of
 * ranges share a class. A rule's port range then becomes a few classes,
 * and the datapath maps (protocol, port) to its class with one array
 * lookup, whatever the number or width of ranges. Single ports are not
 * ranges: they are matched exactly and never cut a range into pieces.
 *
 * Coverage sets are compared by a 128-bit Zobrist signature (XOR of a
 * per-range hash, toggled at the range's ends), so the sweep is
 * O(ranges log ranges) and never materialises the sets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

struct port_range {
	uint32_t lo, hi;
};

struct port_interval {
	uint32_t start; /* interval runs to the next start - 1 (last: 65535) */
	uint16_t cls;
};

struct port_index {
	struct port_interval *iv[POLC_NR_PSLOTS];
	size_t n_iv[POLC_NR_PSLOTS];
};

int port_slot(uint8_t proto)
{
	switch (proto) {
	case IR_PROTO_TCP: return POLC_PSLOT_TCP;
	case IR_PROTO_UDP: return POLC_PSLOT_UDP;
	case IR_PROTO_SCTP: return POLC_PSLOT_SCTP;
	case IR_PROTO_ICMP: return POLC_PSLOT_ICMP;
	case IR_PROTO_ICMPV6: return POLC_PSLOT_ICMPV6;
	default: return -1;
	}
}

typedef VEC(struct port_range) range_vec;

static int add_range(struct arena *a, range_vec *v, uint32_t lo, uint32_t hi)
{
	return vec_push(a, v, (struct port_range){lo, hi});
}

static int range_cmp(const void *x, const void *y)
{
	const struct port_range *a = x, *b = y;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

struct boundary {
	uint32_t pos;
	int32_t delta;
	uint64_t sig[2];
};

static int boundary_cmp(const void *x, const void *y)
{
	const struct boundary *a = x, *b = y;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

struct class_sig {
	uint64_t sig[2];
};

static int classify_slot(struct pass_ctx *ctx, int slot, range_vec *ranges)
{
	struct arena *a = ctx->arena;
	struct dp_port_classes *pc = ctx->dp->ports;
	struct port_index *index = ctx->port_index;

	/* Identical ranges cover identical ports: keep one, or XOR would cancel it. */
	if (ranges->len > 1)
		qsort(ranges->items, ranges->len, sizeof(*ranges->items), range_cmp);
	size_t n = 0;
	for (size_t i = 0; i < ranges->len; i++)
		if (n == 0 || range_cmp(&ranges->items[i], &ranges->items[n - 1]) != 0)
			ranges->items[n++] = ranges->items[i];
	ranges->len = n;

	struct boundary *b = arena_calloc(a, 2 * n + 1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	size_t nb = 0;
	for (size_t i = 0; i < n; i++) {
		struct {
			uint32_t slot, lo, hi, salt;
		} seed = {(uint32_t)slot, ranges->items[i].lo, ranges->items[i].hi, 1};
		uint64_t s0 = hash_bytes(&seed, sizeof(seed));
		seed.salt = 2;
		uint64_t s1 = hash_bytes(&seed, sizeof(seed));
		b[nb++] = (struct boundary){ranges->items[i].lo, +1, {s0, s1}};
		if (ranges->items[i].hi < 65535)
			b[nb++] = (struct boundary){ranges->items[i].hi + 1, -1, {s0, s1}};
	}
	qsort(b, nb, sizeof(*b), boundary_cmp);

	struct hashmap classes;
	if (hashmap_init(&classes, a, sizeof(struct class_sig), sizeof(uint16_t)))
		return -ENOMEM;
	index->iv[slot] = arena_calloc(a, nb + 2, sizeof(struct port_interval));
	if (!index->iv[slot])
		return -ENOMEM;

	uint16_t next_class = 1;
	struct class_sig sig = {{0, 0}};
	int32_t active = 0;
	uint32_t pos = 0;
	size_t bi = 0;
	while (pos <= 65535) {
		while (bi < nb && b[bi].pos == pos) {
			sig.sig[0] ^= b[bi].sig[0];
			sig.sig[1] ^= b[bi].sig[1];
			active += b[bi].delta;
			bi++;
		}
		uint32_t end = bi < nb ? b[bi].pos : 65536;
		uint16_t cls = 0;
		if (active > 0) {
			void *slotp;
			bool inserted;
			if (hashmap_upsert(&classes, &sig, &slotp, &inserted))
				return -ENOMEM;
			if (inserted)
				*(uint16_t *)slotp = next_class++;
			cls = *(uint16_t *)slotp;
		}
		for (uint32_t p = pos; p < end; p++)
			pc->cls[slot][p] = cls;
		index->iv[slot][index->n_iv[slot]++] = (struct port_interval){pos, cls};
		pos = end;
	}
	pc->n_classes[slot] = next_class;
	return 0;
}

int port_classes_in_range(struct pass_ctx *ctx, int slot, uint16_t lo, uint16_t hi,
			  uint16_t **out, size_t *n_out, size_t *cap_out)
{
	const struct port_index *index = ctx->port_index;
	const struct port_interval *iv = index->iv[slot];
	size_t n = index->n_iv[slot];
	/* Last interval starting at or before lo. */
	size_t l = 0, h = n;
	while (h - l > 1) {
		size_t mid = l + (h - l) / 2;
		if (iv[mid].start <= lo)
			l = mid;
		else
			h = mid;
	}
	size_t first = *n_out;
	for (size_t i = l; i < n && iv[i].start <= hi; i++) {
		if (iv[i].cls == 0)
			continue;
		bool seen = false;
		for (size_t j = first; j < *n_out && !seen; j++)
			seen = (*out)[j] == iv[i].cls;
		if (seen)
			continue;
		if (*n_out == *cap_out) {
			size_t cap = *cap_out ? *cap_out * 2 : 16;
			uint16_t *p = arena_realloc(ctx->arena, *out, *cap_out * sizeof(uint16_t), cap * sizeof(uint16_t));
			if (!p)
				return -ENOMEM;
			*out = p;
			*cap_out = cap;
		}
		(*out)[(*n_out)++] = iv[i].cls;
	}
	return 0;
}

int pass_port_classes(struct pass_ctx *ctx)
{
	struct arena *a = ctx->arena;
	struct ir_datapath *dp = ctx->dp;
	dp->ports = arena_alloc(a, sizeof(*dp->ports));
	ctx->port_index = arena_alloc(a, sizeof(*ctx->port_index));
	if (!dp->ports || !ctx->port_index)
		return -ENOMEM;

	range_vec ranges[POLC_NR_PSLOTS];
	memset(ranges, 0, sizeof(ranges));
	for (size_t i = 0; i < dp->policies.len; i++) {
		const struct dp_policy *pol = dp->policies.items[i];
		for (size_t r = 0; r < pol->n_rules; r++) {
			const struct dp_applied_rule *ar = &pol->rules[r];
			for (size_t k = 0; k < ar->n_ports; k++) {
				const struct dp_port *p = &ar->ports[k];
				int slot = port_slot(p->proto);
				/* Named ports resolve to single ports: exact entries, no class. */
				if (slot < 0 || p->dst_name || p->lo == p->hi ||
				    ir_port_is_wildcard(p->proto, p->lo, p->hi))
					continue;
				if (add_range(a, &ranges[slot], p->lo, p->hi))
					return -ENOMEM;
			}
		}
	}
	for (int slot = 0; slot < POLC_NR_PSLOTS; slot++) {
		int err = classify_slot(ctx, slot, &ranges[slot]);
		if (err)
			return err;
	}
	return 0;
}
