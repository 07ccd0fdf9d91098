/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * toFQDNs in the datapath: the addresses an endpoint learned from DNS
 * answers (polc_fqdn, polc/layout.h struct polc_fqdn_value), written
 * here as the answer passes on its way to the pod (dns.h) and read by
 * the policy lookup of the pod's new flows (policy.h): the entry exists
 * before the pod has the answer, so its first connection to a
 * just-resolved address is already allowed.
 *
 * Lookup: (endpoint interface, remote address) -> up to POLC_FQDN_SLOTS
 * selectors, each probed as peer POLC_PEER_FQDN | selector in the
 * endpoint's egress policy, like an identity or a CIDR class. Only for
 * world peers: Cilium gives the address of a pod or a node its own
 * identity, which toFQDNs never selects.
 *
 * Time: seconds of bpf_ktime_get_coarse_ns(). An address is allowed
 * while now < expires. A connection that a policy swap judges again
 * keeps an expired selector (POLC_DECIDE_KEEP in policy.h): Cilium keeps
 * the addresses of live connections too; only new connections need a
 * fresh answer.
 */
#ifndef POLC_BPF_FQDN_H
#define POLC_BPF_FQDN_H

#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "context.h"
#include "maps_shared.h"
#include "verifier.h"

static __always_inline __u32 polc_now_s(__u64 now_ns)
{
	return (__u32)(now_ns / 1000000000ull);
}

/* Has this egress policy toFQDNs selectors (dns_tables.h)? Else its flows skip the lookup. */
static __always_inline bool polc_fqdn_policy(__u32 policy)
{
	if (policy >= POLC_FQDN_POLICY_GROUP_LEN)
		return false;
	polc_barrier_var(policy);
	return polc_fqdn_policy_group[policy] != 0;
}

/* Does toFQDNs apply to a peer with this identity? World, also an external API server's. */
static __always_inline bool polc_fqdn_world(__u32 identity)
{
	return identity == POLC_ID_WORLD || identity == POLC_ID_WORLD_IPV4 || identity == POLC_ID_WORLD_IPV6 ||
	       identity == POLC_ID_WORLD_IPV4_APISERVER || identity == POLC_ID_WORLD_IPV6_APISERVER;
}

static __always_inline void polc_fqdn_key_init(struct polc_fqdn_key *k, __u32 ifindex, __u8 family)
{
	polc_zero(k);
	k->ifindex = ifindex;
	k->family = family;
}

/*
 * The selectors the remote end of c's packet was learned under, live at
 * c->now (or any, with keep), into sel[]; 0 for an empty slot.
 */
static __always_inline void polc_fqdn_slots(const struct polc_ctx *c, bool keep, __u32 *sel)
{
	struct polc_fqdn_key k;

	polc_fqdn_key_init(&k, c->ifindex, c->pkt.family);
	__builtin_memcpy(k.addr, c->dir == POLC_DIR_INGRESS ? c->pkt.saddr : c->pkt.daddr, 16);

	const struct polc_fqdn_value *v = bpf_map_lookup_elem(&polc_fqdn, &k);
	__u32 now = polc_now_s(c->now);

#pragma clang loop unroll(full)
	for (int i = 0; i < POLC_FQDN_SLOTS; i++) {
		__u32 s = v ? POLC_READ_ONCE(v->slot[i].sel) : 0;
		__u32 e = v ? POLC_READ_ONCE(v->slot[i].expires) : 0;

		sel[i] = s && (keep || now < e) ? s : 0;
	}
}

/*
 * Learn the address in k under selector sel until `expires` (nv: room
 * for a new value, not on the stack, which is short): the
 * selector's slot lives on (the later expiry wins), else a free or
 * expired slot, else the slot that expires first if it expires before
 * this one. Stores are plain: two CPUs learning one address at once can
 * lose one of the two, which the next answer repairs.
 */
static __always_inline void polc_fqdn_learn(const struct polc_fqdn_key *k, struct polc_fqdn_value *nv, __u32 sel,
					    __u32 expires, __u32 now)
{
	struct polc_fqdn_value *v = bpf_map_lookup_elem(&polc_fqdn, k);

	if (!v) {
		polc_zero(nv);
		nv->slot[0].sel = sel;
		nv->slot[0].expires = expires;
		if (!bpf_map_update_elem(&polc_fqdn, k, nv, BPF_NOEXIST))
			return;
		/* Another CPU created it meanwhile: join it. */
		v = bpf_map_lookup_elem(&polc_fqdn, k);
		if (!v)
			return;
	}

	__u32 pick = POLC_FQDN_SLOTS, pick_rank = 0xffffffffu;

#pragma clang loop unroll(full)
	for (__u32 i = 0; i < POLC_FQDN_SLOTS; i++) {
		__u32 s = v->slot[i].sel, e = v->slot[i].expires;

		if (s == sel) {
			if (e < expires)
				v->slot[i].expires = expires;
			return;
		}

		__u32 rank = s == 0 || e <= now ? 0 : e;

		if (rank < pick_rank) {
			pick_rank = rank;
			pick = i;
		}
	}
	if (pick_rank >= expires)
		return;
#pragma clang loop unroll(full)
	for (__u32 i = 0; i < POLC_FQDN_SLOTS; i++) {
		if (i != pick)
			continue;
		/* Free the slot first: a reader never sees the new selector with the old expiry. */
		*(volatile __u32 *)&v->slot[i].sel = 0;
		*(volatile __u32 *)&v->slot[i].expires = expires;
		*(volatile __u32 *)&v->slot[i].sel = sel;
	}
}

#endif
