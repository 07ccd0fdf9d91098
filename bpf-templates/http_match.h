/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Walking the HTTP rule sets' DFAs (http_tables.h) and deciding a
 * request from the states its fields ended in. Only compiled when the
 * generation has HTTP rules (POLC_GEN_HAVE_L7_HTTP).
 *
 * Every index is checked against its table's length before the load:
 * the verifier needs it, and an out-of-range index reads as state 0
 * (dead) or an empty mask, so a bug can only refuse a request.
 */
#ifndef POLC_BPF_HTTP_MATCH_H
#define POLC_BPF_HTTP_MATCH_H

#include <linux/types.h>

#include "http_tables.h"
#include "l7_sets.h"
#include "verifier.h"

/* A set id that matches nothing (l7_sets.h). */
#define POLC_HTTP_SET_NONE POLC_L7_SET_NONE

/* One DFA of the set being walked, its offsets copied once per request. */
struct polc_http_walk {
	__u32 next;
	__u32 accept;
	__u32 classes;
	__u32 n_classes; /* 0: unconstrained field */
};

static __always_inline void polc_http_walk_init(struct polc_http_walk *w, const struct polc_http_dfa *d)
{
	w->next = d->next;
	w->accept = d->accept;
	w->classes = d->classes;
	w->n_classes = d->n_states ? d->n_classes : 0;
}

static __always_inline __u32 polc_dfa_step(const struct polc_http_walk *w, __u32 state, __u8 byte)
{
	__u32 ci = w->classes + byte;

	if (ci >= POLC_HTTP_CLASS_LEN)
		return 0;

	__u32 idx = w->next + (state & 0xffff) * w->n_classes + polc_http_class[ci];

	if (idx >= POLC_HTTP_NEXT_LEN)
		return 0;
	return polc_http_next[idx];
}

static __always_inline __u64 polc_dfa_accept(const struct polc_http_walk *w, __u32 state)
{
	__u32 idx = w->accept + (state & 0xffff);

	if (idx >= POLC_HTTP_ACCEPT_LEN)
		return 0;
	return polc_http_accept[idx];
}

/* The set with this id, or NULL (0, an unknown id, POLC_HTTP_SET_NONE: nothing matches). */
static __always_inline const struct polc_http_set *polc_http_set_get(__u32 id)
{
	if (id == 0 || id > POLC_HTTP_NR_SETS)
		return NULL;
	/* Lesson 12 (verifier.h): index with the register that was checked. */
	polc_barrier_var(id);
	return &polc_http_sets[id];
}

/* The rule id of bit `bit` of set s. */
static __always_inline __u32 polc_http_rule_id(const struct polc_http_set *s, __u32 bit)
{
	__u32 idx = s->rule_ids + (bit & 63);

	if (idx >= POLC_HTTP_RULE_IDS_LEN)
		return POLC_RULE_NONE;
	return polc_http_rule_ids[idx];
}

/* Lowest set bit (mask != 0). */
static __always_inline __u32 polc_ctz64(__u64 mask)
{
	__u32 n = 0;

	if (!(mask & 0xffffffffull)) {
		n += 32;
		mask >>= 32;
	}
	if (!(mask & 0xffff)) {
		n += 16;
		mask >>= 16;
	}
	if (!(mask & 0xff)) {
		n += 8;
		mask >>= 8;
	}
	if (!(mask & 0xf)) {
		n += 4;
		mask >>= 4;
	}
	if (!(mask & 0x3)) {
		n += 2;
		mask >>= 2;
	}
	if (!(mask & 0x1))
		n += 1;
	return n;
}

#endif
