/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * ipcache: the peer's address to its identity and CIDR class.
 *
 * Longest-prefix match as one exact hash lookup per prefix length the
 * policy set uses, longest first (POLC_GEN_V4/V6_PREFIXLENS): the first
 * hit is the longest match. The cost is bounded by the number of lengths
 * in use, never by the number of prefixes. An address no prefix covers
 * belongs to the world (WORLD_IPV4 / WORLD_IPV6) and has no CIDR class.
 */
#ifndef POLC_BPF_IPCACHE_H
#define POLC_BPF_IPCACHE_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "polc/layout.h"
#include "context.h"
#include "maps_gen.h"
#include "verifier.h"

/* Word `word` (0..3, network order) of the netmask of a /plen. Constant for constant arguments. */
static __always_inline __be32 polc_mask_word(__u32 plen, __u32 word)
{
	if (plen >= (word + 1) * 32)
		return 0xffffffffu;
	if (plen <= word * 32)
		return 0;
	return bpf_htonl(0xffffffffu << ((word + 1) * 32 - plen));
}

static __always_inline void polc_ipcache_key_set(struct polc_ipcache_key *key, const __be32 *addr,
						 __u32 plen, __u32 nr_words)
{
	key->prefixlen = plen;
#pragma clang loop unroll(full)
	for (__u32 w = 0; w < nr_words; w++) {
		__be32 masked = addr[w] & polc_mask_word(plen, w);

		__builtin_memcpy(&key->addr[w * 4], &masked, 4);
	}
}

/*
 * Lesson 5 (verifier.h): both loops are unrolled so that every mask is a
 * constant, and a hit leaves nothing behind but identity and class.
 */
static __always_inline void polc_ipcache_find(__u8 family, const __be32 *addr, struct polc_peer *peer)
{
	static const __u8 v4_plens[] = { POLC_GEN_V4_PREFIXLENS };
	static const __u8 v6_plens[] = { POLC_GEN_V6_PREFIXLENS };
	struct polc_ipcache_value *val = NULL;
	struct polc_ipcache_key key;

	polc_zero(&key);
	key.family = family;
	if (family == POLC_AF_INET) {
#pragma clang loop unroll(full)
		for (int i = 0; i < POLC_GEN_V4_NR_PREFIXLENS; i++) {
			polc_ipcache_key_set(&key, addr, v4_plens[i], 1);
			val = bpf_map_lookup_elem(&polc_ipcache, &key);
			if (val)
				break;
		}
	} else {
#pragma clang loop unroll(full)
		for (int i = 0; i < POLC_GEN_V6_NR_PREFIXLENS; i++) {
			polc_ipcache_key_set(&key, addr, v6_plens[i], 4);
			val = bpf_map_lookup_elem(&polc_ipcache, &key);
			if (val)
				break;
		}
	}

	if (val) {
		peer->identity = val->identity;
		peer->cidr_class = val->cidr_class;
	} else {
		peer->identity = family == POLC_AF_INET ? POLC_ID_WORLD_IPV4 : POLC_ID_WORLD_IPV6;
		peer->cidr_class = 0;
	}
}

/*
 * The peer of the packet (the remote end, whichever way it goes: the
 * source for ingress, the destination for egress) into c->peer. Global
 * (lesson 7): the unrolled loops are verified once, not once per path
 * that reaches them.
 */
POLC_GLOBAL int polc_peer_lookup(struct polc_ctx *c)
{
	if (!c)
		return 0;
	polc_ipcache_find(c->pkt.family, c->dir == POLC_DIR_INGRESS ? c->pkt.saddr : c->pkt.daddr, &c->peer);
	return 0;
}

#endif
