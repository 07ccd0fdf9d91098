/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the generation program knows about the packet it is judging,
 * passed from stage to stage: parse fills pkt, the endpoint lookup ep,
 * the ipcache peer. One instance per packet, on the stack.
 */
#ifndef POLC_BPF_CONTEXT_H
#define POLC_BPF_CONTEXT_H

#include <linux/bpf.h>

#include "polc/layout.h"
#include "parse.h"
#include "ipcache.h"

struct polc_ctx {
	struct __sk_buff *skb;
	const struct polc_endpoint *ep; /* NULL until found (events say endpoint 0) */
	struct polc_pkt pkt;
	struct polc_peer peer;          /* identity 0 until the ipcache is asked */
	__u64 now;                      /* bpf_ktime_get_coarse_ns(), once per packet */
	__u32 ifindex;
	__u32 dir;                      /* POLC_DIR_*, checked < POLC_NR_DIRS */
	__u32 revision;                 /* polc_gen_state.revision, read once */
	__u32 gen_flags;                /* polc_gen_state.flags, read once */
};

/* The remote end of the connection, whichever way the packet goes. */
static __always_inline const __be32 *polc_peer_addr(const struct polc_ctx *c)
{
	return c->dir == POLC_DIR_INGRESS ? c->pkt.saddr : c->pkt.daddr;
}

static __always_inline void polc_peer_lookup(struct polc_ctx *c)
{
	polc_ipcache_lookup(c->pkt.family, polc_peer_addr(c), &c->peer);
}

#endif
