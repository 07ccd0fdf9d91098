/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the generation program knows about the packet it is judging,
 * passed from stage to stage: parse fills pkt, the endpoint lookup ep,
 * the ipcache peer. One instance per packet, on the stack.
 *
 * Plain data, no pointers: it is handed to the global functions that the
 * verifier checks once on their own (verifier.h, lesson 7), which may
 * only read it as memory.
 */
#ifndef POLC_BPF_CONTEXT_H
#define POLC_BPF_CONTEXT_H

#include "polc/layout.h"
#include "parse.h"

struct polc_peer {
	__u32 identity;
	__u32 cidr_class;
};

struct polc_ctx {
	struct polc_pkt pkt;
	struct polc_endpoint ep; /* a copy: all zero until found (events then say endpoint 0) */
	struct polc_peer peer;   /* identity 0 until the ipcache is asked */
	__u64 now;               /* bpf_ktime_get_coarse_ns(), once per packet */
	__u32 ifindex;
	__u32 dir;               /* POLC_DIR_*, checked < POLC_NR_DIRS */
	__u32 revision;          /* polc_gen_state.revision, read once */
	__u32 gen_flags;         /* polc_gen_state.flags, read once */
};

#endif
