/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * IP fragments (IPv4 and IPv6). Only the first fragment of a datagram
 * carries the L4 header, so only it can be judged: when it passes, its
 * verdict is kept in polc_frag (shared, survives swaps) for
 * POLC_FRAG_LIFETIME_NS under (interface, direction, addresses, IP id,
 * protocol), and the later fragments take it.
 *
 * A later fragment with no kept verdict is dropped: its first fragment
 * was dropped, has expired, or has not been seen. The last case means
 * that a first fragment overtaken by later ones on the way (out-of-order
 * delivery) loses its datagram: we fail closed rather than buffer.
 *
 * Drops are not kept: a missing verdict already drops, and storing them
 * would let a flood of denied first fragments evict the verdicts of
 * allowed datagrams from the LRU.
 */
#ifndef POLC_BPF_FRAGMENTS_H
#define POLC_BPF_FRAGMENTS_H

#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "maps_shared.h"
#include "context.h"
#include "verifier.h"

static __always_inline void polc_frag_key_init(struct polc_frag_key *key, const struct polc_ctx *c)
{
	polc_zero(key);
	key->ifindex = c->ifindex;
	key->id = c->pkt.frag_id;
	__builtin_memcpy(key->saddr, c->pkt.saddr, 16);
	__builtin_memcpy(key->daddr, c->pkt.daddr, 16);
	key->proto = c->pkt.proto;
	key->family = c->pkt.family;
	key->dir = c->dir;
}

/* The first fragment passed (with rule, POLC_RULE_NONE for a default): let the rest follow. */
static __always_inline void polc_frag_remember(const struct polc_ctx *c, __u32 rule)
{
	struct polc_frag_key key;
	struct polc_frag_value val;

	polc_frag_key_init(&key, c);
	polc_zero(&val);
	val.created_ns = c->now;
	val.verdict = POLC_VERDICT_ALLOW;
	val.rule = rule;
	bpf_map_update_elem(&polc_frag, &key, &val, BPF_ANY);
}

/* The kept verdict of a later fragment's datagram, or NULL. */
static __always_inline const struct polc_frag_value *polc_frag_find(const struct polc_ctx *c)
{
	struct polc_frag_key key;

	polc_frag_key_init(&key, c);

	const struct polc_frag_value *val = bpf_map_lookup_elem(&polc_frag, &key);

	if (!val || val->verdict != POLC_VERDICT_ALLOW)
		return NULL;
	if (c->now > val->created_ns && c->now - val->created_ns > POLC_FRAG_LIFETIME_NS)
		return NULL;
	return val;
}

#endif
