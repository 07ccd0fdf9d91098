/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * L7 rule sets, whatever their protocol: the set id that policy entries
 * and conntrack entries carry (polc/layout.h), which protocol judges a
 * set, and the union of an identity's set and a CIDR class's set. Only
 * compiled when the generation has L7 rules (POLC_GEN_HAVE_L7).
 *
 * Ids: HTTP sets 1..POLC_GEN_DNS_SET_FIRST-1, DNS sets from
 * POLC_GEN_DNS_SET_FIRST (passes/l7.c numbers them so). The generated
 * polc_gen.h defines, before the datapath includes this file:
 *
 *   POLC_L7_NR_UNIONS     pairs in the union table
 *   polc_l7_unions[]      __u32 (a << 16 | b), sorted, and polc_l7_union_to[]
 *                         __u16: the union of identity set a and CIDR set b
 */
#ifndef POLC_BPF_L7_SETS_H
#define POLC_BPF_L7_SETS_H

#include <stdbool.h>
#include <linux/types.h>

/*
 * What the datapath tells an L7 judge about a packet, packed into one
 * scalar with the set (global functions take five arguments).
 */
#define POLC_L7_A_REPLY (1u << 0)     /* the packet goes from server to client */
#define POLC_L7_A_SPOOFED (1u << 1)   /* its addresses say the other direction */
#define POLC_L7_A_CT_CLOSED (1u << 2) /* conntrack saw the connection reset or closed */
#define POLC_L7_A_AUDIT (1u << 3)     /* the direction is audited: refusals pass, reported */
#define POLC_L7_A_SET_SHIFT 16

/* A set id that matches nothing: a union the compiler did not foresee (fail closed). */
#define POLC_L7_SET_NONE 0xffff

/* Is set (non-zero) a DNS set? SET_NONE is judged by the HTTP engine when there is one. */
static __always_inline bool polc_l7_is_dns(__u32 set)
{
	if (!POLC_GEN_HAVE_L7_DNS)
		return false;
	if (set == POLC_L7_SET_NONE)
		return !POLC_GEN_HAVE_L7_HTTP;
	return set >= POLC_GEN_DNS_SET_FIRST;
}

/*
 * The union of an identity's set a and a CIDR class's set b: a binary
 * search in the compiler's table of the pairs the ipcache can produce.
 */
static __always_inline __u16 polc_l7_union(__u16 a, __u16 b)
{
	__u32 key = (__u32)a << 16 | b;
	__u32 lo = 0, hi = POLC_L7_NR_UNIONS;

#pragma clang loop unroll(full)
	for (int i = 0; i < 17; i++) {
		if (lo >= hi)
			break;

		__u32 mid = (lo + hi) / 2;

		if (mid >= POLC_L7_NR_UNIONS + 1)
			break;

		__u32 k = polc_l7_unions[mid];

		if (k == key)
			return polc_l7_union_to[mid];
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return POLC_L7_SET_NONE;
}

#endif
